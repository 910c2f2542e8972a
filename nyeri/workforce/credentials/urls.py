from django.urls import URLPattern, URLResolver, path

from nyeri.workforce.credentials import views

# Included under /workforce/credentials/ in the "workforce" namespace: names start with
# "credential_" so that they do not collide with the other parts of the app.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.queue, name="credential_queue"),
    path("people/<int:person_id>/new/", views.submit, name="credential_submit"),
    path("<int:credential_id>/", views.detail, name="credential_detail"),
    path("<int:credential_id>/verify/", views.verify, name="credential_verify"),
    path("<int:credential_id>/reject/", views.reject, name="credential_reject"),
    path("<int:credential_id>/revoke/", views.revoke, name="credential_revoke"),
    path("<int:credential_id>/approve/", views.approve, name="credential_approve"),
    path("<int:credential_id>/evidence/", views.evidence_add, name="credential_evidence_add"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="credential_evidence"),
]
