from django.urls import path

from nyeri.appointments import views

app_name = "appointments"

urlpatterns = [
    path("", views.index, name="index"),
    path("facilities/<int:facility_id>/", views.day, name="day"),
    path("facilities/<int:facility_id>/book/", views.book, name="book"),
    path("<int:appointment_id>/", views.detail, name="detail"),
    path("<int:appointment_id>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("<int:appointment_id>/no-show/", views.no_show, name="no_show"),
    path("<int:appointment_id>/check-in/", views.check_in, name="check_in"),
    path("<int:appointment_id>/complete/", views.complete, name="complete"),
]
