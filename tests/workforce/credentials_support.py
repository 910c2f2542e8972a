"""Fixtures and helpers shared by the credential tests (no tests here).

Test modules take the fixtures with ``from tests.workforce.credentials_support import *``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.accounts.session_keys import SESSION_PASSWORD_AT, SESSION_SECOND_FACTOR_AT
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.credentials import verification
from nyeri.workforce.credentials.services import SourceCheck
from nyeri.workforce.kinds import Citizenship, CredentialKind
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole
from tests.conftest import MakeMember

__all__ = [
    "JPEG_BYTES",
    "PDF_BYTES",
    "PNG_BYTES",
    "add_person",
    "approver",
    "at_source",
    "credential_events",
    "doctor",
    "facility_in",
    "fresh_request",
    "officer",
    "private_root",
    "real_upload",
    "scope_of",
    "sip_fields",
    "source_check_form",
    "stale_request",
    "stored_files",
]

# Real file heads: what a scanner or a phone writes at the start of each file.
PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40)


@pytest.fixture
def private_root(settings: Any, tmp_path: Path) -> Path:
    """Evidence goes to a fresh folder of this test, never to the real private storage."""
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def real_upload(tmp_path: Path, name: str, content: bytes, content_type: str = "application/octet-stream") -> Any:
    """A file written to disk under ``name`` and read back as an upload, as a browser sends it."""
    folder = tmp_path / "client"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return SimpleUploadedFile(name, path.read_bytes(), content_type=content_type)


def add_person(
    org: Organization,
    *roles: Role,
    name: str,
    user: User | None = None,
    facilities: tuple[Facility, ...] = (),
    citizenship: Citizenship = Citizenship.CITIZEN,
) -> Person:
    person = Person.objects.create(organization=org, user=user, full_name=name, citizenship=citizenship)
    PersonRole.objects.bulk_create([PersonRole(organization=org, person=person, role=r) for r in roles])
    PersonFacility.objects.bulk_create(
        [PersonFacility(organization=org, person=person, facility=f) for f in facilities]
    )
    return person


def current_sip(add_credential: Callable[..., Credential], person: Person, facility: Facility) -> Credential:
    """The person's current SIP at ``facility``: issued a year ago, valid four more years
    (its period is the one SKP credits count in)."""
    return add_credential(
        person,
        CredentialKind.PRACTICE_PERMIT,
        facility=facility,
        issuer_regency_code=facility.regency_code,
        issued_on=timezone.localdate() - timedelta(days=365),
        expires_on=timezone.localdate() + timedelta(days=4 * 365),
    )


def at_source(credential: Credential, **overrides: Any) -> SourceCheck:
    """A complete check at the source for ``credential``: its jurisdiction's first source for
    the kind, that source's first method, today, and a written attestation."""
    places = verification.sources_for(credential.organization.jurisdiction, credential.kind)
    # A kind without a source in the data (a controlled authorisation in Indonesia) gets codes
    # that name none: whatever refuses it must do so before the codes are looked at.
    fields: dict[str, Any] = {
        "source": places[0].code if places else "none",
        "method": places[0].methods[0] if places else "letter",
        "checked_on": timezone.localdate(),
        "reference": "REF-1",
        "attestation": "Seen in the register: active, name and number match.",
    }
    fields.update(overrides)
    return SourceCheck(**fields)


def source_check_form(credential: Credential, **overrides: Any) -> dict[str, Any]:
    """The verification page's form for ``credential``, complete and confirmed."""
    check = at_source(credential)
    data: dict[str, Any] = {
        "source": check.source,
        "method": check.method,
        "checked_on": check.checked_on.isoformat() if check.checked_on else "",
        "reference": check.reference,
        "attestation": check.attestation,
        "confirm": "on",
    }
    data.update(overrides)
    return data


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def facility_in(org: Organization, code: str, regency_code: str) -> Facility:
    return Facility.objects.create(
        organization=org,
        name=f"Klinik {code}",
        code=code,
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency=f"Regency {regency_code}",
        regency_code=regency_code,
    )


def sip_fields(facility: Facility, **overrides: Any) -> dict[str, Any]:
    """A valid practice permit (SIP) for ``facility``: current, issued by its regency."""
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "number": f"SIP-{facility.code}",
        "issuer": f"DPMPTSP {facility.regency}",
        "issued_on": today - timedelta(days=365),
        "expires_on": today + timedelta(days=4 * 365),
        "facility": facility,
        "issuer_regency_code": facility.regency_code,
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def officer(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    """A credentialing officer, with a professional record that the engine allows to verify."""
    user = make_member(org, Role.CREDENTIALING_OFFICER, username="rina")
    add_person(org, Role.CREDENTIALING_OFFICER, name="Rina Wulandari", user=user, facilities=(facility,))
    return user


@pytest.fixture
def approver(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    """A second credentialing officer, the second person of a two-person approval."""
    user = make_member(org, Role.CREDENTIALING_OFFICER, username="budi")
    add_person(org, Role.CREDENTIALING_OFFICER, name="Budi Santoso", user=user, facilities=(facility,))
    return user


@pytest.fixture
def doctor(org: Organization, facility: Facility, make_member: MakeMember) -> Person:
    """A pain physician with a user account."""
    user = make_member(org, Role.PAIN_PHYSICIAN, username="andi")
    return add_person(org, Role.PAIN_PHYSICIAN, name="dr. Andi Pratama", user=user, facilities=(facility,))


def _request(user: User, *, age: timedelta | None) -> HttpRequest:
    request = RequestFactory().post("/")
    request.user = user
    request.session = SessionStore()
    if age is not None:
        at = (timezone.now() - age).timestamp()
        request.session[SESSION_PASSWORD_AT] = at
        request.session[SESSION_SECOND_FACTOR_AT] = at
    return request


def fresh_request(user: User) -> HttpRequest:
    """A request of ``user`` who entered their password and second factor a minute ago."""
    return _request(user, age=timedelta(minutes=1))


def stale_request(user: User, age: timedelta) -> HttpRequest:
    return _request(user, age=age)


def credential_events(action: AuditAction | None = None) -> list[AuditEvent]:
    qs = AuditEvent.objects.filter(object_type__in=["credential", "credential_evidence"])
    if action is not None:
        qs = qs.filter(action=action)
    return list(qs.order_by("seq"))
