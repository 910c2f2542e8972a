"""A facility-limited member sees only their facilities' rows, on every page and list endpoint.

The URL list is not written by hand: every page and API endpoint that takes no parameter
in its path is walked (a new list is checked the day it is added). Rows of another
facility of the same organization carry a marker; no response may contain it, in any
format (HTML, JSON, CSV). The same walk as a member of the whole organization finds the
marker, so the rows are there to leak.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.models import AdministrativeSex, Patient
from nyeri.interop.fhir.resources import RESOURCE_TYPES
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole
from tests.conftest import MakeMember, log_in

MARKER = "Zzmarker"
# Every role but the administrator's, who manages the organization as a whole (its
# facilities and members) and is not limited to facilities.
ROLES = tuple(r for r in Role if r != Role.ADMINISTRATOR)
# Not reads: leaving the session, switching language or organization.
SKIPPED = ("accounts/logout/", "i18n/setlang/", "logout/")


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif not any(c in route for c in "^$()?*+\\"):
            yield "/" + route


def _routes() -> list[str]:
    return [url for url in _walk(get_resolver().url_patterns) if not url.startswith(tuple(f"/{s}" for s in SKIPPED))]


def facility_urls() -> list[str]:
    """The pages and endpoints of one facility (its id the only parameter), as templates."""
    return sorted(
        {
            url.replace("<int:facility_id>", "<facility_id>")
            for url in _routes()
            if url.count("<") == 1 and ("<int:facility_id>" in url or "<facility_id>" in url)
        }
    )


def parameterless_urls() -> list[str]:
    found = {url for url in _routes() if "<" not in url}
    # The FHIR searches take their type in the path: every type the server offers.
    found |= {f"/fhir/R4/{name}" for name in RESOURCE_TYPES}
    return sorted(found)


URLS = parameterless_urls()
FACILITY_URLS = facility_urls()


@pytest.fixture(autouse=True)
def language_kept() -> Iterator[None]:
    """The pages activate their user's language; the tests run after these keep theirs."""
    with translation.override(translation.get_language()):
        yield


@pytest.fixture
def elsewhere(org: Organization) -> Facility:
    return Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Makassar",
        code="makassar",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Sulawesi Selatan",
        regency="Kota Makassar",
        regency_code="73.71",
        time_zone="Asia/Makassar",
    )


@pytest.fixture
def rows_elsewhere(org: Organization, elsewhere: Facility) -> None:
    """A patient, a colleague, their credential and an audit event, all at the other facility."""
    patient = Patient.objects.create(
        organization=org,
        registered_at=elsewhere,
        mrn=f"{MARKER}-RM",
        full_name=f"{MARKER} Pasien",
        birth_date=date(1970, 1, 2),
        sex=AdministrativeSex.FEMALE,
    )
    person = Person.objects.create(organization=org, full_name=f"{MARKER} Perawat", citizenship=Citizenship.CITIZEN)
    PersonRole.objects.create(organization=org, person=person, role=Role.NURSE)
    PersonFacility.objects.create(organization=org, person=person, facility=elsewhere)
    Credential.objects.create(
        organization=org,
        person=person,
        kind=CredentialKind.REGISTRATION,
        status=CredentialStatus.SUBMITTED,
        issuer="Konsil Kesehatan Indonesia",
        number=f"{MARKER}-STR",
        issued_on=date(2024, 1, 1),
    )
    record_event(
        actor=None,
        action=AuditAction.READ,
        organization=org,
        facility=elsewhere,
        patient_id=patient.pk,
        object_type="patient",
        object_id=patient.pk,
        reason=f"{MARKER} read",
    )


def signed_in(user: User) -> Client:
    """A browser session, which also sends an API token (the FHIR server takes tokens only)."""
    _token, raw = create_api_token(acting_user=user, name="walk", expires_in_days=None)
    client = log_in(Client(), user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def body(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    content = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    return content.decode(errors="replace")


@pytest.fixture
def limited_client(org: Organization, facility: Facility, make_member: MakeMember, rows_elsewhere: None) -> Client:
    return signed_in(make_member(org, *ROLES, username="terbatas", facilities=(facility,), language="en"))


@pytest.mark.parametrize("url", URLS)
def test_a_facility_limited_member_sees_nothing_of_another_facility(limited_client: Client, url: str) -> None:
    assert MARKER not in body(limited_client, url)


def test_the_same_walk_finds_the_other_facility_s_rows_for_a_member_of_the_whole_organization(
    org: Organization, make_member: MakeMember, rows_elsewhere: None
) -> None:
    client = signed_in(make_member(org, *ROLES, username="semua", language="en"))
    leaking = {url for url in URLS if MARKER in body(client, url)}
    # The patient lists, the credential queue and the audit report at least.
    assert {"/patients/", "/api/patients", "/fhir/R4/Patient", "/workforce/credentials/", "/audit/"} <= leaking, leaking


@pytest.mark.parametrize("template", FACILITY_URLS)
def test_another_facility_s_own_pages_are_not_found_for_a_facility_limited_member(
    limited_client: Client, elsewhere: Facility, facility: Facility, template: str
) -> None:
    response = limited_client.get(template.replace("<facility_id>", str(elsewhere.pk)))
    assert response.status_code in (404, 405), (template, response.status_code)
    assert response.status_code == 405 or MARKER not in response.content.decode()
