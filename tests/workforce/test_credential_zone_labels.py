"""Credential times in the zone of the credential's facility, with its label; the installation's
zone (labelled too) for a credential of no facility (issue 18).

16:30 UTC on 1 February 2026 is 23:30 WIB on the 1st in Jakarta but 01:30 WIT on the 2nd in
Jayapura.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.tenancy.models import Facility
from nyeri.workforce.credentials.services import submit_credential
from nyeri.workforce.kinds import CredentialKind
from nyeri.workforce.models import Credential, Person
from tests.conftest import log_in
from tests.workforce.credentials_support import *  # noqa: F403 - fixtures
from tests.workforce.credentials_support import scope_of, sip_fields

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]

LATE = datetime(2026, 2, 1, 16, 30, tzinfo=UTC)


def test_a_jayapura_permit_reads_in_wit_and_a_registration_in_the_installations_zone(
    officer: User, doctor: Person, facility: Facility
) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Jayapura")
    facility.refresh_from_db()
    scope = scope_of(officer)
    permit = submit_credential(
        scope=scope, acting_user=officer, person=doctor, kind=CredentialKind.PRACTICE_PERMIT, **sip_fields(facility)
    )
    registration = submit_credential(
        scope=scope,
        acting_user=officer,
        person=doctor,
        kind=CredentialKind.REGISTRATION,
        issuer="Konsil Kesehatan Indonesia",
        issued_on=date(2024, 1, 2),
        number="STR-1",
    )
    Credential.objects.filter(pk__in=[permit.pk, registration.pk]).update(submitted_at=LATE)
    client = log_in(Client(), officer)

    assert "2 Feb 2026 01:30 WIT" in client.get(f"/workforce/credentials/{permit.pk}/").content.decode()
    assert "1 Feb 2026 23:30 WIB" in client.get(f"/workforce/credentials/{registration.pk}/").content.decode()
    queue = client.get("/workforce/credentials/").content.decode()
    rows = {
        c.pk: next(r for r in queue.split("<tr>") if f"/workforce/credentials/{c.pk}/reject/" in r)
        for c in (permit, registration)
    }
    # The day it was submitted: the facility's (WIT) for the permit, the installation's for the registration.
    assert "2 Feb 2026" in rows[permit.pk]
    assert "1 Feb 2026" not in rows[permit.pk]
    assert "1 Feb 2026" in rows[registration.pk]
