"""Diagnosis pages, meant to be included under ``patients/`` (next to the clinical app's urls)."""

from django.urls import path

from nyeri.clinical.diagnoses import views

app_name = "diagnoses"

urlpatterns = [
    path("<int:patient_id>/diagnoses/", views.problem_list, name="problem_list"),
    path("<int:patient_id>/diagnoses/new/", views.add, name="add"),
    path("<int:patient_id>/diagnoses/<int:diagnosis_id>/", views.history, name="history"),
    path("<int:patient_id>/diagnoses/<int:diagnosis_id>/amend/", views.amend, name="amend"),
    path(
        "<int:patient_id>/diagnoses/<int:diagnosis_id>/entered-in-error/",
        views.entered_in_error,
        name="entered_in_error",
    ),
    path("diagnosis-codes/", views.code_search, name="code_search"),
]
