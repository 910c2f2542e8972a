from django.urls import path

from nyeri.clinical import views
from nyeri.clinical.assessments import views as assessment_views
from nyeri.clinical.consents import views as consent_views
from nyeri.clinical.encounters import views as encounter_views

app_name = "clinical"

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("new/", views.patient_register, name="patient_register"),
    path("<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path("<int:patient_id>/edit/", views.patient_edit, name="patient_edit"),
    path("<int:patient_id>/merge/", views.patient_merge, name="patient_merge"),
    # Encounters and assessments (nyeri/clinical/encounters, nyeri/clinical/assessments).
    path("<int:patient_id>/care/", encounter_views.timeline, name="patient_timeline"),
    path("<int:patient_id>/encounters/new/", encounter_views.new, name="encounter_new"),
    path("encounters/<int:encounter_id>/", encounter_views.detail, name="encounter_detail"),
    path("encounters/<int:encounter_id>/participants/", encounter_views.add_participant, name="encounter_participant"),
    path("encounters/<int:encounter_id>/finish/", encounter_views.finish, name="encounter_finish"),
    path("encounters/<int:encounter_id>/cancel/", encounter_views.cancel, name="encounter_cancel"),
    path("<int:patient_id>/consents/", consent_views.consents, name="patient_consents"),
    path("consents/<int:consent_id>/withdraw/", consent_views.withdraw, name="consent_withdraw"),
    path("<int:patient_id>/assessments/new/", assessment_views.record, name="assessment_new"),
    path("assessments/<int:assessment_id>/", assessment_views.detail, name="assessment_detail"),
    path("assessments/<int:assessment_id>/amend/", assessment_views.amend, name="assessment_amend"),
    path(
        "assessments/<int:assessment_id>/entered-in-error/",
        assessment_views.entered_in_error,
        name="assessment_entered_in_error",
    ),
]
