from django.urls import include, path

from nyeri.api.root import api

urlpatterns = [
    # The machine APIs first: Django tries the patterns in order, and every API call would
    # otherwise be compared with the ~200 page patterns before it (none of which starts
    # with "api/" or "fhir/", so the order changes no answer).
    path("api/", api.urls),
    path("fhir/R4/", include("nyeri.interop.fhir.urls")),
    path("", include("nyeri.web.urls")),
    path("", include("nyeri.tenancy.urls")),
    path("accounts/", include("nyeri.accounts.urls")),
    path("audit/", include("nyeri.audit.urls")),
    path("patients/", include("nyeri.clinical.urls")),
    path("patients/", include("nyeri.clinical.diagnoses.urls")),
    path("patients/", include("nyeri.prescriptions.urls")),
    path("register/", include("nyeri.register.urls")),
    path("break-glass/", include("nyeri.clinical.breakglass.urls")),
    path("", include("nyeri.clinical.diary.urls")),
    path("", include("nyeri.procedures.urls")),
    path("", include("nyeri.imaging.urls")),
    path("outcomes/", include("nyeri.clinical.outcomes.urls")),
    path("appointments/", include("nyeri.appointments.urls")),
    path("practice-evaluation/", include("nyeri.evaluation.urls")),
    path("workforce/", include("nyeri.workforce.urls")),
    path("facilities/", include("nyeri.facilities.urls")),
    path("staffing/", include("nyeri.staffing.urls")),
    path("jobs/", include("nyeri.jobs.urls")),
    path("candidates/", include("nyeri.candidates.urls")),
    path("hiring/", include("nyeri.hiring.urls")),
    path("notifications/", include("nyeri.notifications.urls")),
    path("imports/", include("nyeri.imports.urls")),
    path("privacy/", include("nyeri.privacy.urls")),
    path("background-jobs/", include("nyeri.background.urls")),
    path("", include("nyeri.onboarding.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("satusehat/", include("nyeri.interop.satusehat.urls")),
]

handler403 = "nyeri.web.views.permission_denied"
handler404 = "nyeri.web.views.page_not_found"
handler500 = "nyeri.web.views.server_error"
