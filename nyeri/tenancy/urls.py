from django.urls import path

from nyeri.tenancy import views

FACILITY = "organization/facilities/<int:facility_id>"

app_name = "tenancy"

urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("regions/regencies/", views.regency_options, name="regency_options"),
    path("organization/", views.organization, name="organization"),
    path("organization/edit/", views.organization_edit, name="organization_edit"),
    path("organization/facilities/new/", views.facility_new, name="facility_new"),
    path(f"{FACILITY}/edit/", views.facility_edit, name="facility_edit"),
    path(
        "organization/facilities/<int:facility_id>/deactivate/", views.facility_deactivate, name="facility_deactivate"
    ),
    path(
        "organization/facilities/<int:facility_id>/reactivate/", views.facility_reactivate, name="facility_reactivate"
    ),
]
