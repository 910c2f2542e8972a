from django.urls import include, path

app_name = "workforce"

# Each part of the workforce app keeps its own URLs (credentials, hours, people).
urlpatterns = [
    path("credentials/", include("nyeri.workforce.credentials.urls")),
    path("hours/", include("nyeri.workforce.hours.urls")),
    path("skp/", include("nyeri.workforce.skp.urls")),
    path("privileges/", include("nyeri.workforce.privileges.urls")),
    path("", include("nyeri.workforce.people.urls")),
]
