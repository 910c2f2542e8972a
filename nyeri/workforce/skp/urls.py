from django.urls import URLPattern, URLResolver, path

from nyeri.workforce.skp import views

# Included under /workforce/skp/ in the "workforce" namespace: names start with "skp_".
urlpatterns: list[URLPattern | URLResolver] = [
    path("people/<int:person_id>/", views.ledger, name="skp_ledger"),
    path("evidence/<int:activity_id>/", views.evidence_download, name="skp_evidence"),
    path("settings/", views.skp_settings, name="skp_settings"),
]
