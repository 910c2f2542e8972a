from django.urls import path

from nyeri.staffing import views

app_name = "staffing"

urlpatterns = [
    path("facilities/<int:facility_id>/plan/", views.plan, name="plan"),
    path("facilities/<int:facility_id>/plan/preview/", views.preview, name="preview"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_new, name="rule_new"),
    path("rules/<slug:code>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<slug:code>/reset/", views.rule_reset, name="rule_reset"),
]
