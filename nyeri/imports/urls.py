from django.urls import path

from nyeri.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:what>/", views.upload, name="upload"),
    path("<str:what>/confirm/", views.confirm, name="confirm"),
    path("<str:what>/template.<str:fmt>", views.template, name="template"),
]
