from django.urls import path

from nyeri.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.report, name="report"),
    path("export.csv", views.export_csv, name="export"),
    path("security/", views.security_report, name="security"),
]
