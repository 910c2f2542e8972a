from django.urls import path

from nyeri.candidates import views

app_name = "candidates"

urlpatterns = [
    path("sign-up/", views.signup_view, name="signup"),
    path("sign-up/done/", views.signup_done_view, name="signup_done"),
    path("confirm/<str:token>/", views.confirm_view, name="confirm"),
    path("profile/", views.profile_view, name="profile"),
    path("profile/credentials/", views.credential_add_view, name="credential_add"),
    path(
        "profile/credentials/<int:credential_id>/withdraw/", views.credential_withdraw_view, name="credential_withdraw"
    ),
    path("profile/credentials/<int:credential_id>/evidence/", views.evidence_add_view, name="credential_evidence_add"),
    path("profile/evidence/<int:evidence_id>/", views.evidence_download_view, name="evidence_download"),
    path("profile/evidence/<int:evidence_id>/remove/", views.evidence_remove_view, name="evidence_remove"),
    path("profile/hours/", views.hours_add_view, name="hours_add"),
    path("pathway/", views.pathway_view, name="pathway"),
]
