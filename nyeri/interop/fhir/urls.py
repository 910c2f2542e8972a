from django.urls import path

from nyeri.interop.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("$export", views.export_system, name="export"),
    path("Patient/$export", views.export_patients, name="export-patients"),
    path("$export-status/<str:export_id>", views.export_status, name="export-status"),
    path("$export-file/<str:export_id>/<str:resource_type>.ndjson", views.export_file, name="export-file"),
    path("<str:resource_type>", views.search_type, name="search"),
    path("<str:resource_type>/<str:resource_id>", views.read, name="read"),
]
