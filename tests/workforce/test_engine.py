from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.workforce.engine import certification_progress, decide, decide_many
from nyeri.workforce.kinds import CheckKind, CheckResult, CredentialKind, CredentialStatus, Specialty
from nyeri.workforce.models import Credential, Person
from tests.workforce.conftest import AddCredential, MakePerson, hours, passed_check

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JAKARTA)
Licensed = Callable[[Person], tuple[Credential, Credential]]


def codes(decision: Any) -> list[str]:
    return [u.code for u in decision.unmet]


def test_a_licensed_nurse_may_record_an_assessment_and_the_decision_names_her_credentials(
    make_person: MakePerson, licensed: Licensed, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    str_, sip = licensed(nurse)
    decision = decide(nurse.pk, "record_assessment", facility, at=NOW)
    assert decision.allowed
    assert decision.unmet == ()
    assert set(decision.relied_on) == {str_.pk, sip.pk}
    assert decision.pack.startswith("ID@")


def test_it_refuses_a_nurse_who_prescribes_and_says_which_role_is_needed(
    make_person: MakePerson, licensed: Licensed, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    licensed(nurse)
    decision = decide(nurse.pk, "prescribe_controlled", facility, at=NOW)
    assert not decision.allowed
    assert codes(decision)[0] == "role_missing"
    assert "Dokter umum" in decision.unmet[0].message("id")
    assert "General practitioner" in decision.unmet[0].message("en")


def test_a_privilege_lapses_at_the_moment_its_permit_expires(
    make_person: MakePerson, add_credential: AddCredential, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    add_credential(nurse, CredentialKind.REGISTRATION)
    add_credential(
        nurse,
        CredentialKind.PRACTICE_PERMIT,
        facility=facility,
        issuer_regency_code=facility.regency_code,
        expires_on=date(2026, 11, 30),
    )
    last_moment = datetime.combine(date(2026, 11, 30), time(23, 59, 59), JAKARTA)
    assert decide(nurse.pk, "record_assessment", facility, at=last_moment).allowed
    lapsed = decide(nurse.pk, "record_assessment", facility, at=last_moment + timedelta(seconds=1))
    assert not lapsed.allowed
    assert codes(lapsed) == ["credential_expired"]
    assert lapsed.unmet[0].params["date"] == date(2026, 11, 30)
    assert "30 Nov 2026" in lapsed.unmet[0].message("en")


def test_it_explains_a_permit_issued_for_another_place(
    make_person: MakePerson, add_credential: AddCredential, facility: Facility, org: Any
) -> None:
    elsewhere = Facility.objects.create(
        organization=org,
        name="Klinik Cimahi",
        code="cimahi",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )
    doctor = make_person(Role.PAIN_PHYSICIAN, facilities=(facility, elsewhere))
    add_credential(doctor, CredentialKind.REGISTRATION)
    add_credential(
        doctor, CredentialKind.PRACTICE_PERMIT, facility=elsewhere, issuer_regency_code="32.77", expires_on=None
    )
    decision = decide(doctor.pk, "prescribe", facility, at=NOW)
    assert codes(decision) == ["permit_other_place"]
    assert "32.77" in decision.unmet[0].message("en")
    assert decide(doctor.pk, "prescribe", elsewhere, at=NOW).allowed


def test_an_unverified_registration_does_not_count_yet(
    make_person: MakePerson, add_credential: AddCredential, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    add_credential(nurse, CredentialKind.REGISTRATION, status=CredentialStatus.SUBMITTED)
    add_credential(nurse, CredentialKind.PRACTICE_PERMIT, facility=facility, issuer_regency_code=facility.regency_code)
    assert codes(decide(nurse.pk, "record_assessment", facility, at=NOW)) == ["credential_unverified"]


@pytest.mark.parametrize(
    ("check_fields", "expected"),
    [
        (None, "check_missing"),
        ({"check_result": CheckResult.PENDING, "status": CredentialStatus.SUBMITTED}, "check_pending"),
        ({"check_result": CheckResult.FAILED}, "check_failed"),
        ({"issued_on": date(2025, 6, 1)}, "check_outdated"),
        ({"issued_on": date(2026, 6, 1)}, None),
    ],
)
def test_controlled_prescribing_needs_a_recent_passed_background_check(
    make_person: MakePerson,
    licensed: Licensed,
    add_credential: AddCredential,
    facility: Facility,
    check_fields: dict[str, Any] | None,
    expected: str | None,
) -> None:
    doctor = make_person(Role.ANESTHESIOLOGIST)
    licensed(doctor)
    add_credential(doctor, CredentialKind.CONTROLLED_AUTHORISATION, issuer="Komite Medik")
    if check_fields is not None:
        fields = {
            "issuer": "Polres",
            "issued_on": date(2026, 6, 1),
            "check_kind": CheckKind.CRIMINAL_RECORD,
            "check_result": CheckResult.PASSED,
            "valid_months": 12,
        }
        fields.update(check_fields)
        add_credential(doctor, CredentialKind.BACKGROUND_CHECK, **fields)
    decision = decide(doctor.pk, "prescribe_controlled", facility, at=NOW)
    assert codes(decision) == ([expected] if expected else [])


def test_interventional_procedures_accept_a_pain_fellowship_or_an_anesthesiology_residency(
    make_person: MakePerson, licensed: Licensed, add_credential: AddCredential, facility: Facility
) -> None:
    doctor = make_person(Role.PAIN_PHYSICIAN)
    licensed(doctor)
    refused = decide(doctor.pk, "perform_procedure:interventional_spine", facility, at=NOW)
    assert codes(refused) == ["one_of"]
    assert [o.code for o in refused.unmet[0].options] == ["specialty_missing", "specialty_missing"]
    assert "fellowship or subspecialty in pain management" in refused.unmet[0].message("en")
    add_credential(doctor, CredentialKind.RESIDENCY, specialty=Specialty.ANESTHESIOLOGY, issuer="Kolegium")
    assert decide(doctor.pk, "perform_procedure:interventional_spine", facility, at=NOW).allowed


def test_someone_who_does_not_work_at_the_facility_is_refused_there(
    make_person: MakePerson, licensed: Licensed, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE, facilities=())
    licensed(nurse)
    assert codes(decide(nurse.pk, "record_assessment", facility, at=NOW)) == ["not_at_facility"]


def test_a_single_decision_takes_at_most_five_queries(
    make_person: MakePerson, licensed: Licensed, facility: Facility
) -> None:
    doctor = make_person(Role.ANESTHESIOLOGIST)
    licensed(doctor)
    facility.organization  # noqa: B018 - loaded as a request would have it
    with CaptureQueriesContext(connection) as queries:
        decide(doctor.pk, "prescribe_controlled", facility, at=NOW)
    assert len(queries) <= 5


def test_a_batch_takes_the_same_queries_for_many_people_and_agrees_with_single_decisions(
    make_person: MakePerson,
    licensed: Licensed,
    add_credential: AddCredential,
    facility: Facility,
) -> None:
    people = []
    for n in range(12):
        person = make_person(Role.NURSE if n % 2 else Role.ANESTHESIOLOGIST, name=f"P{n}")
        if n % 3:
            licensed(person)
        if n % 4 == 0:
            passed_check(add_credential, person, date(2026, 3, 1))
        people.append(person.pk)
    actions = ["record_assessment", "prescribe", "prescribe_controlled", "give_sedation"]
    with CaptureQueriesContext(connection) as few:
        decide_many(people[:2], actions, facility, at=NOW)
    with CaptureQueriesContext(connection) as many:
        batch = decide_many(people, actions, facility, at=NOW)
    assert len(many) == len(few)
    assert len(batch) == len(people) * len(actions)
    for (pid, action), decision in batch.items():
        single = decide(pid, action, facility, at=NOW)
        assert (single.allowed, codes(single)) == (decision.allowed, codes(decision))


def test_certification_progress_counts_verified_hours_in_the_window(
    make_person: MakePerson, add_credential: AddCredential, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    add_credential(nurse, CredentialKind.REGISTRATION)
    hours(nurse, facility, date(2026, 1, 10), "8")
    hours(nurse, facility, date(2026, 11, 20), "4.5")
    hours(nurse, facility, date(2023, 11, 25), "8")  # outside the 36-month window
    add_credential(nurse, CredentialKind.PAIN_TRAINING, hours="12", issuer="PERAWAT Nyeri", issued_on=date(2025, 5, 1))
    progress = certification_progress(nurse.pk, "pain_nursing", jurisdiction="ID", at=NOW)
    assert not progress.complete
    by_kind = {item.requirement.kind: item for item in progress.items}
    assert by_kind["hours"].have == 12.5
    assert by_kind["hours"].need == 2000
    assert by_kind["training_hours"].have == 12
    assert by_kind["role"].met
    unmet = by_kind["hours"].unmet
    assert unmet is not None
    assert "12.5 of 2,000 hours" in unmet.message("en")
    assert "12,5 dari 2.000 jam" in unmet.message("id")


def test_a_sip_issued_in_jayapura_lapses_at_24_00_wit_not_at_24_00_wib(
    make_person: MakePerson, add_credential: AddCredential, org: Any
) -> None:
    jayapura = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Jayapura",
        code="jayapura",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Papua",
        regency="Kota Jayapura",
        regency_code="91.71",
        time_zone="Asia/Jayapura",
    )
    nurse = make_person(Role.NURSE, facilities=(jayapura,))
    add_credential(nurse, CredentialKind.REGISTRATION)
    add_credential(
        nurse,
        CredentialKind.PRACTICE_PERMIT,
        facility=jayapura,
        issuer_regency_code="91.71",
        expires_on=date(2026, 12, 31),
    )
    utc = ZoneInfo("UTC")
    # 24:00 WIT on 31 December is 15:00 UTC; 24:00 WIB would be 17:00 UTC.
    assert decide(nurse.pk, "record_assessment", jayapura, at=datetime(2026, 12, 31, 14, 59, 59, tzinfo=utc)).allowed
    lapsed = decide(nurse.pk, "record_assessment", jayapura, at=datetime(2026, 12, 31, 15, 0, tzinfo=utc))
    assert codes(lapsed) == ["credential_expired"]
    # At 16:00 UTC it is still 31 December in Jakarta, but no longer in Jayapura.
    assert not decide(nurse.pk, "record_assessment", jayapura, at=datetime(2026, 12, 31, 16, 0, tzinfo=utc)).allowed
