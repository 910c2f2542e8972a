"""Keys Nyeri keeps in a logged-in session (values are Unix timestamps)."""

# When the user logged in: the absolute session lifetime is counted from here.
SESSION_LOGIN_AT = "nyeri_login_at"
# When the password, and the second factor, were last entered (login or re-authentication).
SESSION_PASSWORD_AT = "nyeri_password_at"  # noqa: S105 - a session key name, not a password
SESSION_SECOND_FACTOR_AT = "nyeri_second_factor_at"
