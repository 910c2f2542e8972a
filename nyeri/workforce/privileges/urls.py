from django.urls import URLPattern, URLResolver, path

from nyeri.workforce.privileges import views

# Included under /workforce/privileges/ in the "workforce" namespace.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="privileges"),
    path("requests/", views.request_new, name="privilege_request_new"),
    path("requests/<int:request_id>/", views.request_detail, name="privilege_request"),
    path("requests/<int:request_id>/review/", views.review, name="privilege_review"),
    path("requests/<int:request_id>/grant/", views.grant, name="privilege_grant_new"),
    path("requests/<int:request_id>/rkk.pdf", views.rkk, name="privilege_rkk"),
    path("grants/<int:grant_id>/", views.grant_detail, name="privilege_grant"),
    path("grants/<int:grant_id>/spk.pdf", views.spk, name="privilege_spk"),
    path("grants/<int:grant_id>/recredential/", views.recredential, name="privilege_recredential"),
    path("cases/<int:case_id>/sign-off/", views.sign_off, name="privilege_sign_off"),
    path("facilities/<int:facility_id>/", views.facility_settings, name="privilege_facility"),
]
