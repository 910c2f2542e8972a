from django.urls import path

from nyeri.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("verify/", views.verify_view, name="verify"),
    path("reauthenticate/", views.reauthenticate_view, name="reauthenticate"),
    path("profile/", views.profile_view, name="profile"),
    path("profile/language/", views.language_view, name="language"),
    path("profile/password/", views.password_view, name="password"),
    path("second-factor/setup/", views.mfa_setup_view, name="mfa_setup"),
    path("second-factor/recovery-codes/", views.recovery_codes_view, name="mfa_recovery_codes"),
    path("second-factor/remove/", views.mfa_remove_view, name="mfa_remove"),
    path("tokens/new/", views.token_new_view, name="token_new"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
]
