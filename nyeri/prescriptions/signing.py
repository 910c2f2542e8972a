"""The fresh second factor a controlled prescription is signed with, and the legal statement.

After the rule of DEA EPCS (21 CFR 1311, shared/reference/regulation.md): a prescription with
a controlled drug is signed by completing two factors while the prescription and a legal
statement are shown. In Nyeri that is

1. a recent password (and second factor) entry, as for every sensitive action
   (``nyeri.accounts.reauth``: within REAUTH_MAX_AGE, else ``ReauthenticationRequired``), and
2. a code from the authenticator app (or a recovery code) typed on the signing page itself,
   checked when the signature is made (``SessionSecondFactor``).

Nothing is spent before the rest of the signature has been checked: the signing service asks
for the second factor only once the prescription, the justification and the engine's
decision are in order (see services.sign_prescription).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import user_has_device

from nyeri.accounts.models import User
from nyeri.accounts.reauth import require_recent_authentication
from nyeri.accounts.second_factor import looks_like_totp, normalise_code
from nyeri.accounts.services import CodeCheck, verify_second_factor

CODE_FIELD = "code"


def legal_statement(jurisdiction: str) -> str:
    """What the prescriber confirms by signing, in the active language (kept with the signature)."""
    statement = _(
        "By entering the code from my authenticator app I sign this prescription electronically. I am the "
        "prescriber named on it and the medications, doses and quantities are as I intend them."
    )
    if jurisdiction == "ID":
        law = _(
            "I know that narcotics and psychotropics are prescribed only for medical treatment, that a "
            "narcotic prescription cannot be refilled, and that misuse is an offence (UU 35/2009, UU 5/1997)."
        )
    elif jurisdiction == "US":
        law = _(
            "I know that a prescription for a controlled substance must be issued for a legitimate medical "
            "purpose in the usual course of professional practice (21 CFR 1306.04)."
        )
    else:
        law = ""
    return f"{statement} {law}".strip()


class SecondFactor(Protocol):
    """Confirms the signer's second factor now; returns how (for the record), or raises.

    Raises ``ReauthenticationRequired`` when the password must be entered again first, or
    ``ValidationError`` keyed ``code`` when the code is missing or wrong.
    """

    def confirm(self, *, user: User) -> str: ...


def no_code_error() -> ValidationError:
    return ValidationError(
        {CODE_FIELD: _("Enter the code from your authenticator app: a prescription with a controlled drug needs it.")},
        code="second_factor_required",
    )


@dataclass
class SessionSecondFactor:
    """The code typed on the signing page (or sent to the API) by a logged-in session."""

    request: HttpRequest
    code: str

    def confirm(self, *, user: User) -> str:
        if not user_has_device(user, confirmed=True):
            raise ValidationError(
                {
                    CODE_FIELD: _(
                        "Set up a second factor (an authenticator app) in your profile first: prescriptions "
                        "with controlled drugs are signed with it."
                    )
                },
                code="no_second_factor",
            )
        # A stale password is asked for again before any code is spent.
        require_recent_authentication(self.request)
        code = normalise_code(self.code or "")
        if not code:
            raise no_code_error()
        result = verify_second_factor(self.request, user=user, code=code)
        if result is CodeCheck.VALID:
            return "totp" if looks_like_totp(code) else "recovery_code"
        if result is CodeCheck.THROTTLED:
            message = _("Too many wrong codes in a row. Wait a few seconds, then enter the newest code.")
        else:
            message = _("That code is not valid. Enter the newest code from your authenticator app.")
        raise ValidationError({CODE_FIELD: message}, code="second_factor_invalid")


@dataclass(frozen=True)
class AttestedSecondFactor:
    """A second factor the caller vouches for: only for trusted server-side callers.

    The demo seed and the benchmark have no person at a phone; what they attest is kept on
    the prescription and in the audit trail (``attested: demo seed``). Views and the API
    never use it.
    """

    method: str

    def confirm(self, *, user: User) -> str:
        return f"attested: {self.method}"[:40]
