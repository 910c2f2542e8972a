"""A new installation: the first organization, its first facility and its administrator.

Two doors lead here, and both end in ``start_organization``:

- ``manage.py start_organization`` (prompts, or flags for scripts), which a platform operator
  runs again for every further organization the installation hosts;
- ``/setup/`` in the browser, only while the installation has no organization, guarded by a
  one-time code that the server writes to its log (``ensure_setup_code``). Only the code's
  SHA-256 digest is stored; it works once, for ``SETUP_CODE_LIFETIME``, and the page answers
  404 as soon as an organization exists.

Everything is written in one transaction: the administrator's account, the organization,
the facility and the membership (role administrator), audited in the new organization's
chain, plus one event in the platform chain. The administrator must then enrol a second
factor before anything else (``nyeri.accounts.second_factor``).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.accounts.tokens import digest
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.lib.services import Errors
from nyeri.tenancy.models import Facility, FacilityKind, Organization, OrganizationKind, SetupCode
from nyeri.tenancy.places import find_place
from nyeri.tenancy.roles import Role
from nyeri.tenancy.services import add_member, create_facility, create_organization

logger = logging.getLogger("nyeri.setup")

SETUP_CODE_LIFETIME: Final = timedelta(hours=24)
# No 0/O, 1/I/L: the code is read from a log and typed by hand.
_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_GROUPS, _GROUP_LENGTH = 4, 5


# --- The one-time set-up code ---------------------------------------------------------------


def has_organization() -> bool:
    return Organization.objects.exists()


def _digest(code: str) -> str:
    # The same fast digest as API tokens: a random code has nothing to brute-force.
    return digest(normalise_setup_code(code))


def normalise_setup_code(code: str) -> str:
    """Codes are accepted in any case, with or without the dashes and spaces."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _new_code() -> str:
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS))


def issue_setup_code() -> str:
    """A fresh one-time code (its digest stored), written to the log at WARNING and returned."""
    code = _new_code()
    now = timezone.now()
    with transaction.atomic():
        row = SetupCode.objects.create(digest=_digest(code), expires_at=now + SETUP_CODE_LIFETIME)
        record_event(actor=None, action=AuditAction.CREATE, object_type="setup_code", object_id=row.pk, reason="issued")
    logger.warning(
        "Nyeri has no organization yet. Open /setup/ in a browser and enter this one-time set-up code: %s "
        "(it works once, for %d hours; `manage.py start_organization` does the same on the command line).",
        code,
        SETUP_CODE_LIFETIME.total_seconds() // 3600,
    )
    return code


def ensure_setup_code() -> bool:
    """While no organization exists, make sure a valid code is waiting (issue and log one if not).

    Returns whether a code was issued now. Several server processes may each issue one: every
    code they log works, and none works once an organization exists.
    """
    if has_organization():
        return False
    if SetupCode.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now()).exists():
        return False
    issue_setup_code()
    return True


def _refuse_code(reason: str) -> None:
    with transaction.atomic():
        record_event(
            actor=None,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            object_type="setup",
            reason=reason,
        )


def _code_is_waiting(code: str) -> bool:
    """Whether ``code`` may set up the installation now (checked again, locked, when it is used)."""
    if not normalise_setup_code(code) or has_organization():
        return False
    return SetupCode.objects.filter(digest=_digest(code), used_at__isnull=True, expires_at__gt=timezone.now()).exists()


def _consume_code(code: str) -> None:
    """Mark the code used (inside the caller's transaction), or refuse it, keyed ``setup_code``.

    Every waiting code is locked, so that two set-ups at once (with two codes logged by two
    server processes) run one after the other, and the second finds the organization.
    """
    now = timezone.now()
    waiting = list(SetupCode.objects.select_for_update().filter(used_at__isnull=True).order_by("pk"))
    digest = _digest(code)
    row = next((r for r in waiting if r.digest == digest and r.expires_at > now), None)
    if row is None or not normalise_setup_code(code) or has_organization():
        raise ValidationError(
            {"setup_code": [_("That set-up code is not valid. Copy the newest code from the server's log.")]}
        )
    SetupCode.objects.filter(pk=row.pk).update(used_at=now)


# --- Starting an organization ----------------------------------------------------------------


@dataclass(frozen=True)
class Installation:
    organization: Organization
    facility: Facility
    administrator: User


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "organization"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base[:45]}-{n}"
    return slug


def _account_problems(username: str, email: str, password: str, full_name: str, language: str) -> Errors:
    errors: Errors = {}
    candidate = User(username=username, email=email, full_name=full_name, language=language)
    try:
        candidate.full_clean(exclude=["password"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            key = {"username": "admin_username", "email": "admin_email", "full_name": "admin_full_name"}.get(name, name)
            errors[key] = list(messages)
    if not username:
        errors["admin_username"] = [_("Enter the administrator's username.")]
    if not email:
        errors["admin_email"] = [_("Enter the administrator's e-mail address.")]
    elif "admin_email" not in errors:
        try:
            validate_email(email)
        except ValidationError as error:
            errors["admin_email"] = list(error.messages)
    if not password:
        errors["admin_password"] = [_("Enter a password for the administrator.")]
    else:
        try:
            validate_password(password, user=candidate)
        except ValidationError as error:
            errors["admin_password"] = list(error.messages)
    return errors


def start_organization(
    *,
    acting_user: User | None,
    name: str,
    kind: str,
    facility_name: str,
    facility_kind: str,
    province_code: str,
    regency_code: str,
    admin_username: str,
    admin_email: str,
    admin_password: str,
    admin_full_name: str = "",
    language: str = settings.LANGUAGE_CODE,
    setup_code: str | None = None,
    via: str = "command",
) -> Installation:
    """Create an organization with its first facility and administrator, in one transaction.

    ``setup_code`` (the browser's door): the one-time code, which must be valid and unused,
    and no organization may exist yet. A wrong code is refused (audited) under ``setup_code``.
    Every other problem is reported at once, keyed by the field; nothing is written.
    """
    name, facility_name = name.strip(), facility_name.strip()
    admin_username, admin_email = admin_username.strip(), admin_email.strip().lower()
    admin_full_name = admin_full_name.strip()
    errors: Errors = {}
    if not name:
        errors["name"] = [_("Enter the organization's name.")]
    if kind not in OrganizationKind.values:
        errors["kind"] = [_("Choose a hospital or a clinic operator.")]
    if not facility_name:
        errors["facility_name"] = [_("Enter the facility's name.")]
    if facility_kind not in FacilityKind.values:
        errors["facility_kind"] = [_("Choose a hospital pain unit or a stand-alone pain clinic.")]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose one of the offered languages.")]
    place, region_errors = find_place(province_code, regency_code)
    errors.update(region_errors)
    errors.update(_account_problems(admin_username, admin_email, admin_password, admin_full_name, language))
    if admin_username and "admin_username" not in errors and User.objects.filter(username=admin_username).exists():
        errors["admin_username"] = [_("The username %(username)s is taken.") % {"username": admin_username}]
    if setup_code is not None and not _code_is_waiting(setup_code):
        errors.setdefault("setup_code", []).append(
            _("That set-up code is not valid. Copy the newest code from the server's log.")
        )
    if errors:
        if "setup_code" in errors:
            _refuse_code("wrong or used set-up code")
        raise ValidationError(errors)
    assert place is not None
    try:
        with transaction.atomic():
            if setup_code is not None:
                _consume_code(setup_code)
            return _create(
                acting_user=acting_user,
                name=name,
                kind=kind,
                facility_name=facility_name,
                facility_kind=facility_kind,
                place_codes=(place.province.name, place.regency.name, place.regency.code, place.province.time_zone),
                admin=(admin_username, admin_email, admin_password, admin_full_name, language),
                via=via,
            )
    except ValidationError as error:
        if "setup_code" in getattr(error, "error_dict", {}):
            _refuse_code("wrong or used set-up code")
        raise


def _create(
    *,
    acting_user: User | None,
    name: str,
    kind: str,
    facility_name: str,
    facility_kind: str,
    place_codes: tuple[str, str, str, str],
    admin: tuple[str, str, str, str, str],
    via: str,
) -> Installation:
    username, email, password, full_name, language = admin
    province_name, regency_name, regency_code, time_zone = place_codes
    user = User.objects.create_user(
        username=username, email=email, password=password, full_name=full_name, language=language
    )
    org = create_organization(acting_user=acting_user, name=name, slug=_unique_slug(name), kind=kind)
    facility = create_facility(
        acting_user=acting_user,
        organization=org,
        name=facility_name,
        code=slugify(facility_name)[:40].strip("-") or "facility-1",
        kind=facility_kind,
        province=province_name,
        regency=regency_name,
        regency_code=regency_code,
        time_zone=time_zone,
    )
    record_event(
        actor=acting_user,
        action=AuditAction.CREATE,
        organization=org,
        object_type="user",
        object_id=user.pk,
        reason=f"administrator account {username}",
    )
    add_member(acting_user=acting_user, organization=org, user=user, roles=[Role.ADMINISTRATOR])
    # The platform's own chain: which organizations this installation hosts, and how each began.
    record_event(
        actor=acting_user,
        action=AuditAction.CREATE,
        object_type="organization",
        object_id=org.pk,
        reason=f"organization started ({via}): {org.slug}",
    )
    return Installation(org, facility, user)
