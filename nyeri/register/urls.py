"""Register pages, included under ``register/``."""

from django.urls import path

from nyeri.register import views

app_name = "register"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:facility_id>/", views.facility_register, name="facility"),
    path("<int:facility_id>/dispense/", views.dispensing, name="dispensing"),
    path("<int:facility_id>/movements/<int:movement_id>/reverse/", views.reverse, name="reverse"),
    path("<int:facility_id>/report/", views.report, name="report"),
    path("<int:facility_id>/report.<str:kind>", views.report_file, name="report_file"),
    path("<int:facility_id>/<str:kind>/", views.write, name="write"),
]
