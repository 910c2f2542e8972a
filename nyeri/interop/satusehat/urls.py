from django.urls import path

from nyeri.interop.satusehat import views

app_name = "satusehat"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
]
