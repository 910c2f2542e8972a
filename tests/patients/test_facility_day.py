"""Registration on the facility's day (issue 18): at 00:30 WIT on New Year's Day it is already
the new year in Jayapura, while still New Year's Eve in Jakarta."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.scope import Scope
from tests.patients.conftest import euis, register

# 31 December 2026 15:30 UTC: 22:30 WIB, 1 January 2027 00:30 WIT.
NEW_YEAR_IN_JAYAPURA = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)


@pytest.fixture
def jayapura(org: Organization) -> Facility:
    return Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Jayapura",
        code="JPR",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Papua",
        regency="Kota Jayapura",
        regency_code="91.71",
        time_zone="Asia/Jayapura",
    )


def newborn(**overrides: object) -> dict[str, object]:
    return euis(
        full_name="Bayi Yoku",
        birth_date=date(2027, 1, 1),
        nik="",
        no_nik_reason="unknown",
        other_identifier_kind="other",
        other_identifier="KK-2027",
        **overrides,
    )


def test_a_jayapura_baby_born_on_new_year_s_day_is_registered_with_a_record_number_of_the_new_year(
    scope: Scope, jayapura: Facility
) -> None:
    with time_machine.travel(NEW_YEAR_IN_JAYAPURA, tick=False):
        patient = register(scope, jayapura, **newborn())
    assert patient.birth_date == date(2027, 1, 1)
    assert patient.mrn.startswith("JPR-2027-")


def test_the_same_birth_date_is_still_in_the_future_at_a_jakarta_clinic(scope: Scope, facility: Facility) -> None:
    with time_machine.travel(NEW_YEAR_IN_JAYAPURA, tick=False), pytest.raises(ValidationError) as refused:
        register(scope, facility, **newborn())
    assert "birth_date" in refused.value.message_dict
