from django.urls import path

from nyeri.background import views

app_name = "background"

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("<int:job_run_id>/retry/", views.job_retry, name="retry"),
]
