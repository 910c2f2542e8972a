from django.urls import path

from nyeri.clinical.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("", views.report, name="report"),
    path("export.csv", views.export_csv, name="export"),
]
