"""Prescription pages, included under ``patients/`` (next to the clinical app's urls)."""

from django.urls import path

from nyeri.prescriptions import views

app_name = "prescriptions"

urlpatterns = [
    path("<int:patient_id>/prescriptions/", views.patient_prescriptions, name="list"),
    path("<int:patient_id>/prescriptions/new/", views.new, name="new"),
    path("<int:patient_id>/prescriptions/<int:prescription_id>/", views.detail, name="detail"),
    path("<int:patient_id>/prescriptions/<int:prescription_id>/edit/", views.edit, name="edit"),
    path("<int:patient_id>/prescriptions/<int:prescription_id>/check/", views.check, name="check"),
    path("<int:patient_id>/prescriptions/<int:prescription_id>/sign/", views.sign, name="sign"),
    path("<int:patient_id>/prescriptions/<int:prescription_id>/cancel/", views.cancel, name="cancel"),
    path("<int:patient_id>/prescriptions/<int:prescription_id>/reissue/", views.reissue, name="reissue"),
    path("<int:patient_id>/prescriptions/<int:prescription_id>/pdf/", views.pdf, name="pdf"),
]
