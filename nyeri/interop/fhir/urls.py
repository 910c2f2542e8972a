from django.urls import path

from nyeri.interop.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("<str:resource_type>", views.search_type, name="search"),
    path("<str:resource_type>/<str:resource_id>", views.read, name="read"),
]
