from django.urls import URLPattern, URLResolver, path

from nyeri.workforce.people import views

# Included at /workforce/ in the "workforce" namespace: names start with "people_" so that
# they do not collide with the other parts of the app (credential_*, hours_*).
urlpatterns: list[URLPattern | URLResolver] = [
    path("facilities/<int:facility_id>/staff/", views.staff, name="people_staff"),
    path("facilities/<int:facility_id>/matrix/", views.facility_matrix, name="people_facility_matrix"),
    path("people/<int:person_id>/", views.profile, name="people_profile"),
    path("people/<int:person_id>/facilities/<int:facility_id>/matrix/", views.person_matrix, name="people_matrix"),
]
