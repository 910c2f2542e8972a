from django.urls import path

from nyeri.privacy import views

app_name = "privacy"

urlpatterns = [
    path("patients/<int:patient_id>/", views.patient_page, name="patient"),
    path("patients/<int:patient_id>/export/", views.patient_export, name="patient_export"),
    path("requests/", views.open_requests, name="open_requests"),
    path("requests/<int:request_id>/answer/", views.answer, name="answer"),
    path("me/", views.own_page, name="own"),
    path("me/export/", views.own_export, name="own_export"),
    path("me/erase/", views.erase_account, name="erase"),
    path("erased/", views.erased, name="erased"),
]
