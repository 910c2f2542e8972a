from django.urls import path

from nyeri.interop.satusehat import views

app_name = "satusehat"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:entry_id>/resend/", views.resend, name="resend"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/test/", views.test_connection, name="test_connection"),
    path("patients/<int:patient_id>/ihs/", views.lookup_ihs, name="lookup_ihs"),
]
