from django.urls import path

from nyeri.hiring import views

app_name = "hiring"

urlpatterns = [
    path("apply/<int:posting_id>/", views.apply, name="apply"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:application_id>/withdraw/", views.withdraw, name="withdraw"),
    path("", views.index, name="index"),
    path("postings/<int:posting_id>/", views.posting, name="posting"),
    path("applications/<int:application_id>/", views.application, name="application"),
    path("applications/<int:application_id>/evidence/<int:evidence_id>/", views.evidence, name="evidence"),
    path("applications/<int:application_id>/advance/", views.advance, name="advance"),
    path("applications/<int:application_id>/reject/", views.reject, name="reject"),
    path("applications/<int:application_id>/hire/", views.hire, name="hire"),
]
