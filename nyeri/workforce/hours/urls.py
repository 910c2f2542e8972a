from django.urls import URLPattern, URLResolver, path

from nyeri.workforce.expiry import views as expiry_views
from nyeri.workforce.hours import views

# Included under /workforce/hours/ in the "workforce" namespace: names start with "hours_"
# so that they do not collide with the other parts of the app.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="hours_index"),
    path("people/<int:person_id>/", views.ledger, name="hours_ledger"),
    path("people/<int:person_id>/add/", views.add, name="hours_add"),
    path("pending/", views.pending, name="hours_pending"),
    path("<int:entry_id>/verify/", views.verify, name="hours_verify"),
    path("<int:entry_id>/reject/", views.reject, name="hours_reject"),
    path("expiring/", expiry_views.expiring, name="expiring"),
]
