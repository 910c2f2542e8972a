from django.urls import path

from nyeri.onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/invite/", views.invite, name="invite"),
    path("people/invitations/<int:invitation_id>/resend/", views.invitation_resend, name="invitation_resend"),
    path("people/invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("people/members/<int:membership_id>/", views.member_edit, name="member_edit"),
    path("people/members/<int:membership_id>/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("people/members/<int:membership_id>/reactivate/", views.member_reactivate, name="member_reactivate"),
    path("invitation/<str:token>/", views.accept, name="accept"),
]
