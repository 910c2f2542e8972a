"""Imaging pages: under a patient (``patients/<id>/imaging/``), and referrals and worklists under
``imaging/``. Included at the site root."""

from django.urls import path

from nyeri.imaging import views

app_name = "imaging"

urlpatterns = [
    path("patients/<int:patient_id>/imaging/", views.patient_imaging, name="patient"),
    path("patients/<int:patient_id>/imaging/<int:order_id>/", views.order_detail, name="order"),
    path("patients/<int:patient_id>/imaging/<int:order_id>/result/", views.record_result, name="result"),
    path("patients/<int:patient_id>/imaging/<int:order_id>/refer/", views.refer_order, name="refer"),
    path("patients/<int:patient_id>/imaging/<int:order_id>/result/amend/", views.amend_result, name="amend_result"),
    path(
        "patients/<int:patient_id>/imaging/<int:order_id>/result/entered-in-error/",
        views.result_entered_in_error,
        name="result_entered_in_error",
    ),
    path("patients/<int:patient_id>/imaging/<int:order_id>/cancel/", views.cancel_order, name="cancel"),
    path(
        "patients/<int:patient_id>/imaging/procedures/<int:record_id>/refer/",
        views.refer_procedure,
        name="refer_procedure",
    ),
    path("imaging/referrals/<int:referral_id>/", views.referral_detail, name="referral"),
    path("imaging/referrals/<int:referral_id>/accept/", views.accept, name="accept"),
    path("imaging/referrals/<int:referral_id>/decline/", views.decline, name="decline"),
    path("imaging/referrals/<int:referral_id>/complete/", views.complete, name="complete"),
    path("imaging/referrals/<int:referral_id>/file/", views.result_file, name="file"),
    path(
        "imaging/referrals/<int:referral_id>/result/amend/", views.amend_referral_result, name="amend_referral_result"
    ),
    path(
        "imaging/referrals/<int:referral_id>/result/entered-in-error/",
        views.referral_result_entered_in_error,
        name="referral_result_entered_in_error",
    ),
    path("imaging/facilities/<int:facility_id>/referrals/", views.worklist, name="worklist"),
]
