from django.urls import path

from nyeri.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.report, name="report"),
    path("export.csv", views.export_csv, name="export"),
]
