from django.urls import path

from nyeri.facilities import views

app_name = "facilities"

urlpatterns = [
    path("<int:facility_id>/profile/", views.profile, name="profile"),
    path("<int:facility_id>/profile/edit/", views.profile_edit, name="profile_edit"),
    path("<int:facility_id>/equipment/", views.equipment, name="equipment"),
    path("<int:facility_id>/equipment/add/", views.equipment_add, name="equipment_add"),
    path("equipment/<int:equipment_id>/status/", views.equipment_status, name="equipment_status"),
    path("<int:facility_id>/services/", views.services_offered, name="services"),
]
