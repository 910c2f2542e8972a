"""Break-glass pages, included under ``break-glass/``."""

from django.urls import path

from nyeri.clinical.breakglass import views

app_name = "breakglass"

urlpatterns = [
    path("patients/<int:patient_id>/", views.break_glass, name="break_glass"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/<int:grant_id>/", views.review_detail, name="review_detail"),
]
