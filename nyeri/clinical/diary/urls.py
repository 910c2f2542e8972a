"""Diary pages, included at the root: the staff's under ``patients/``, the patient's under ``diary/``."""

from django.urls import path

from nyeri.clinical.diary import views

app_name = "diary"

urlpatterns = [
    path("patients/<int:patient_id>/diary/", views.links, name="links"),
    path("patients/diary-links/<int:link_id>/revoke/", views.revoke, name="revoke"),
    # The patient's own pages: no account, the token is the credential.
    path("diary/<str:token>/", views.page, name="page"),
    path("diary/<str:token>/entries/<int:entry_id>/", views.entry, name="entry"),
]
