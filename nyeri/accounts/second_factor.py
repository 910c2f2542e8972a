"""Who must present a second factor, where to send them if they have not, and its devices.

The second factor is a TOTP authenticator app (django-otp ``TOTPDevice``) backed by ten
single-use recovery codes (a ``StaticDevice`` with ``StaticToken`` rows).
"""

from __future__ import annotations

import enum
from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from nyeri.accounts.models import User
from nyeri.tenancy.models import MembershipRole
from nyeri.tenancy.roles import Role

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"

# Reachable whatever the state of the second factor: assets, health checks, language
# switching, and the API (which refuses unsettled sessions itself, with a JSON error
# instead of a redirect).
_ALWAYS_OPEN_PREFIXES = ("/static/", "/healthz", "/i18n/", "/api/")


class SecondFactorState(enum.Enum):
    SETTLED = "settled"
    MUST_VERIFY = "must_verify"
    MUST_ENROL = "must_enrol"


def must_have_second_factor(user: User) -> bool:
    """Administrators (of any organization, or superusers) must enrol a second factor."""
    if user.is_superuser:
        return True
    return MembershipRole.objects.filter(
        membership__user=user, membership__is_active=True, role=Role.ADMINISTRATOR
    ).exists()


def is_verified(user: object) -> bool:
    """Whether this session passed the second factor (set by django-otp's OTPMiddleware)."""
    # A user attached by API-token authentication has no ``otp_device`` attribute at all.
    return getattr(user, "otp_device", None) is not None


def second_factor_state(user: User) -> SecondFactorState:
    """Where ``user`` stands, in one query (this runs on every request)."""
    if is_verified(user):
        return SecondFactorState.SETTLED
    facts = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            has_recovery=Exists(StaticDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            is_admin=Exists(
                MembershipRole.objects.filter(
                    membership__user=OuterRef("pk"), membership__is_active=True, role=Role.ADMINISTRATOR
                )
            ),
        )
        .values("has_totp", "has_recovery", "is_admin")
        .first()
    )
    if facts is None:
        return SecondFactorState.SETTLED
    if facts["has_totp"] or facts["has_recovery"]:
        return SecondFactorState.MUST_VERIFY
    if facts["is_admin"] or user.is_superuser:
        return SecondFactorState.MUST_ENROL
    return SecondFactorState.SETTLED


def _with_next(url_name: str, request: HttpRequest) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}"


def second_factor_redirect(request: HttpRequest) -> str | None:
    """The URL to send this request to before anything else, or None to let it through."""
    user = request.user
    if not user.is_authenticated or request.path.startswith(_ALWAYS_OPEN_PREFIXES):
        return None
    open_paths = {reverse("accounts:login"), reverse("accounts:logout"), reverse("accounts:verify")}
    if request.path in open_paths:
        return None
    state = second_factor_state(user)
    if state is SecondFactorState.MUST_VERIFY:
        return _with_next("accounts:verify", request)
    if state is SecondFactorState.MUST_ENROL:
        # Enrolment asks for the password again (reauthentication), so both pages stay open.
        if request.path in {reverse("accounts:mfa_setup"), reverse("accounts:reauthenticate")}:
            return None
        return _with_next("accounts:mfa_setup", request)
    return None


def normalise_code(code: str) -> str:
    """Codes are accepted with spaces or dashes and in any case, as people copy them."""
    return "".join(code.split()).replace("-", "").lower()


def looks_like_totp(code: str) -> bool:
    return code.isdigit() and len(code) in (6, 8)


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps ask for it when typed in by hand, in groups of 4."""
    raw = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def totp_qr_svg(device: TOTPDevice, *, title: str) -> SafeString:
    """The enrolment QR code as inline SVG: no image request, no inline style (CSP)."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, title=title, omitsize=True)
    # segno builds the markup from the otpauth URL and escapes the title itself.
    return mark_safe(svg)  # noqa: S308 - segno escapes what it embeds  # nosec B308, B703


def format_recovery_code(code: str) -> str:
    """``abcdefgh`` -> ``abcd-efgh``: easier to read aloud and to copy by hand."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code
