"""Procedure pages: under a patient (``patients/<id>/procedures/``), and the catalogue and a
facility's worklist under ``procedures/``. Included at the site root."""

from django.urls import path

from nyeri.procedures import views

app_name = "procedures"

urlpatterns = [
    path("patients/<int:patient_id>/procedures/", views.patient_procedures, name="patient_list"),
    path("patients/<int:patient_id>/procedures/new/", views.order, name="order"),
    path("patients/<int:patient_id>/procedures/<int:record_id>/", views.detail, name="detail"),
    path("patients/<int:patient_id>/procedures/<int:record_id>/schedule/", views.schedule, name="schedule"),
    path("patients/<int:patient_id>/procedures/<int:record_id>/perform/", views.perform, name="perform"),
    path("patients/<int:patient_id>/procedures/<int:record_id>/cancel/", views.cancel, name="cancel"),
    path("patients/<int:patient_id>/procedures/<int:record_id>/amend/", views.amend, name="amend"),
    path(
        "patients/<int:patient_id>/procedures/<int:record_id>/entered-in-error/",
        views.entered_in_error,
        name="entered_in_error",
    ),
    path("procedures/catalogue/", views.catalogue_page, name="catalogue"),
    path("procedures/facilities/<int:facility_id>/", views.worklist, name="worklist"),
]
