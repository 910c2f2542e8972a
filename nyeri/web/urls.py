from django.urls import path

from nyeri.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("facilities/<int:facility_id>/", views.facility_dashboard, name="facility_dashboard"),
    path("healthz", views.healthz, name="healthz"),
]
