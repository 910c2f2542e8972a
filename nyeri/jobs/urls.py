from django.urls import path

from nyeri.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.board, name="board"),
    path("<int:posting_id>/", views.detail, name="detail"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.new, name="new"),
    path("manage/<int:posting_id>/edit/", views.edit, name="edit"),
    path("manage/<int:posting_id>/publish/", views.publish, name="publish"),
    path("manage/<int:posting_id>/close/", views.close, name="close"),
    path("manage/<int:posting_id>/fill/", views.fill, name="fill"),
    path("manage/from-gap/<int:facility_id>/", views.from_gap, name="from_gap"),
    path("network/", views.network, name="network"),
]
