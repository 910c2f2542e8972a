from django.urls import path

from nyeri.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("verify/", views.verify_view, name="verify"),
    path("profile/", views.profile_view, name="profile"),
    path("second-factor/setup/", views.mfa_setup_view, name="mfa_setup"),
]
