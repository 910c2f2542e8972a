from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from nyeri.accounts.services import API_TOKEN_MAX_DAYS
from nyeri.accounts.token_scopes import TokenScope


class LoginForm(AuthenticationForm):
    error_messages = {
        # The same message whether the user exists or not: no account enumeration.
        "invalid_login": _("The username or password is not correct. Check both and try again."),
        "inactive": _("The username or password is not correct. Check both and try again."),
    }


def _code_field(*, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=_("Code"),
        max_length=16,
        required=required,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}),
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
    )


class TokenForm(forms.Form):
    token = _code_field()


class TotpConfirmForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("The 6-digit code your authenticator app shows now."),
    )


class ReauthenticationForm(forms.Form):
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    token = _code_field(required=False)

    def __init__(self, *args: Any, needs_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if needs_code:
            self.fields["token"].required = True
        else:
            del self.fields["token"]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, such as the program that will use it."),
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=API_TOKEN_MAX_DAYS,
        help_text=_("At most a year. You can revoke it at any time."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the token may reach. Choose only what the program needs."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_in_days"].initial = settings.API_TOKEN_DEFAULT_DAYS


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password, not only digits, not like your name."),
    )
    new_password_again = forms.CharField(
        label=_("New password, again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_password") and cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return cleaned
