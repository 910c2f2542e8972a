"""Eligibility on declarations, against hand-made examples, through the engine's own rules."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nyeri.candidates.eligibility import (
    RequirementSet,
    evaluate,
    evaluate_many,
    requirement_set,
    role_requirement_set,
)
from nyeri.candidates.models import CandidateCredential, CandidateHours, CandidateProfile
from nyeri.workforce.policy.loader import pack_for
from tests.candidates.conftest import make_candidate

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def declare(profile: CandidateProfile, kind: str, issued_on: date = date(2020, 1, 1), **fields: object) -> None:
    CandidateCredential.objects.create(candidate=profile, kind=kind, issued_on=issued_on, **fields)


def nurse_set() -> RequirementSet:
    pack = pack_for("ID")
    return requirement_set(
        "nurse-pain@32.73",
        "nurse",
        [pack.actions["record_assessment"], pack.certifications["pain_nursing"]],
        regency_code="32.73",
        regency="Kota Bandung",
    )


def months(profile: CandidateProfile, count: int, hours: str, last: date = date(2026, 11, 1)) -> None:
    y, m = last.year, last.month
    for _ in range(count):
        CandidateHours.objects.create(candidate=profile, month=date(y, m, 1), hours=Decimal(hours))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)


def test_a_nurse_short_of_hours_is_told_how_many_and_the_sip_comes_after_hiring() -> None:
    ayu = make_candidate("ayu@example.id", roles=("nurse",))
    declare(ayu, "registration")
    declare(ayu, "pain_nursing_certification", date(2025, 6, 1))
    declare(ayu, "pain_training", date(2026, 3, 1), hours=Decimal(30))
    months(ayu, 31, "40")  # 1,240 hours in the last 36 months
    result = evaluate(ayu.pk, nurse_set(), at=AT)
    assert not result.eligible
    assert [u.code for u in result.unmet] == ["hours_short"]
    assert result.unmet[0].message("en") == "1,240 of 2,000 hours with pain-clinic patients in the last 36 months."
    assert result.unmet[0].message("id").startswith("1.240 dari 2.000 jam") or "1.240" in result.unmet[0].message("id")
    assert [u.code for u in result.after_hiring] == ["permit_after_hiring"]
    assert "Kota Bandung" in result.after_hiring[0].message("en")
    assert "after hiring" in result.after_hiring[0].message("en")


def test_a_nurse_with_everything_declared_is_eligible_although_the_sip_is_still_to_come() -> None:
    ayu = make_candidate("ayu@example.id", roles=("nurse",))
    declare(ayu, "registration")
    declare(ayu, "pain_nursing_certification", date(2025, 6, 1))
    declare(ayu, "pain_training", date(2026, 3, 1), hours=Decimal(30))
    months(ayu, 34, "60")
    result = evaluate(ayu.pk, nurse_set(), at=AT)
    assert result.eligible
    assert result.unmet == ()
    assert len(result.after_hiring) == 1


def test_hours_outside_the_window_do_not_count() -> None:
    ayu = make_candidate("ayu@example.id", roles=("nurse",))
    months(ayu, 20, "100", last=date(2023, 6, 1))  # all before the 36-month window
    result = evaluate(ayu.pk, nurse_set(), at=AT)
    hours = next(u for u in result.unmet if u.code == "hours_short")
    assert hours.params["have"] == 0


def test_every_unmet_requirement_is_listed_for_someone_with_nothing() -> None:
    nobody = make_candidate("nobody@example.id")
    result = evaluate(nobody.pk, nurse_set(), at=AT)
    codes = [u.code for u in result.unmet]
    assert codes == ["role_missing", "credential_missing", "credential_missing", "hours_short", "training_hours_short"]
    assert result.unmet[0].message("en") == "Needs one of these roles: Nurse."
    assert result.unmet[1].message("en") == "No registration certificate (STR) on record."
    assert result.unmet[1].message("id") != result.unmet[1].message("en")


def test_an_expired_declared_registration_is_reported_with_its_date() -> None:
    budi = make_candidate("budi@example.id", roles=("nurse",))
    declare(budi, "registration", date(2019, 1, 1), expires_on=date(2024, 1, 1))
    result = evaluate(budi.pk, role_requirement_set("ID", "nurse", regency="Kota Bandung"), at=AT)
    assert [u.code for u in result.unmet] == ["credential_expired"]
    assert "1 Jan 2024" in result.unmet[0].message("en")


def test_a_pain_physician_without_a_fellowship_misses_the_interventional_training() -> None:
    dewi = make_candidate("dewi@example.id", roles=("pain_physician",))
    declare(dewi, "registration")
    declare(dewi, "residency", specialty="neurology")
    pack = pack_for("ID")
    block = requirement_set(
        "block", "pain_physician", [pack.actions["perform_procedure:nerve_block"]], regency="Kota Bandung"
    )
    result = evaluate(dewi.pk, block, at=AT)
    assert [u.code for u in result.unmet] == ["one_of"]
    text = result.unmet[0].message("en")
    assert "fellowship" in text
    assert "pain management" in text.lower()
    declare(dewi, "fellowship", specialty="pain_management")
    assert evaluate(dewi.pk, block, at=AT).eligible


def test_a_medical_assistant_needs_twelve_months_in_a_hospital_or_general_clinic() -> None:
    eko = make_candidate("eko@example.id", roles=("medical_assistant",))
    declare(eko, "work_experience", employer_kind="pain_clinic", months=24)
    declare(eko, "work_experience", employer_kind="general_clinic", months=7)
    s = role_requirement_set("ID", "medical_assistant")
    result = evaluate(eko.pk, s, at=AT)
    assert [u.code for u in result.unmet] == ["experience_short"]
    assert result.unmet[0].message("en") == "7 of 12 months of experience at hospital, general clinic."
    declare(eko, "work_experience", employer_kind="hospital", months=5)
    assert evaluate(eko.pk, s, at=AT).eligible


def test_a_role_the_set_is_not_for_is_still_required() -> None:
    pack = pack_for("ID")
    # Dispensing controlled drugs needs a pharmacist: a nurse set that asks for it cannot be met.
    s = requirement_set("odd", "nurse", [pack.actions["dispense_controlled"]])
    fitri = make_candidate("fitri@example.id", roles=("nurse",))
    declare(fitri, "registration")
    result = evaluate(fitri.pk, s, at=AT)
    assert [u.code for u in result.unmet] == ["role_missing"]


def test_the_batch_agrees_with_one_by_one_and_sets_share_outcomes() -> None:
    people = [make_candidate(f"c{n}@example.id", roles=("nurse",)) for n in range(3)]
    people.append(make_candidate("ma@example.id", roles=("medical_assistant", "nurse")))
    declare(people[0], "registration")
    declare(people[1], "registration")
    declare(people[1], "pain_nursing_certification")
    months(people[1], 36, "60")
    declare(people[1], "pain_training", date(2026, 1, 1), hours=Decimal(40))
    sets = [
        role_requirement_set("ID", role, regency_code=code, regency=name)
        for role in ("nurse", "medical_assistant", "pain_physician")
        for code, name in (("32.73", "Kota Bandung"), ("35.78", "Kota Surabaya"))
    ] + [nurse_set()]
    batch = evaluate_many(CandidateProfile.objects.all(), sets, at=AT)
    assert len(batch) == 4 * 7
    for p in people:
        for s in sets:
            one = evaluate(p.pk, s, at=AT)
            got = batch.get(p.pk, s.code)
            assert (got.eligible, [u.code for u in got.unmet]) == (one.eligible, [u.code for u in one.unmet])
    counts = batch.eligible_counts()
    assert counts["nurse@32.73"] == 2  # STR is all record_assessment needs before the SIP
    assert counts["nurse-pain@32.73"] == 1
    assert batch.eligible_for("nurse-pain@32.73") == [people[1].pk]
    # The SIP names each set's own region.
    assert "Kota Surabaya" in batch.get(people[0].pk, "nurse@35.78").after_hiring[0].message("en")


def test_the_batch_takes_a_constant_number_of_queries() -> None:
    def queries(n: int) -> int:
        for i in range(n):
            p = make_candidate(f"q{n}-{i}@example.id", roles=("nurse",))
            declare(p, "registration")
            months(p, 3, "10")
        sets = [nurse_set(), role_requirement_set("ID", "radiographer", regency="Kota Bandung")]
        with CaptureQueriesContext(connection) as ctx:
            evaluate_many(CandidateProfile.objects.all(), sets, at=AT)
        return len(ctx.captured_queries)

    small = queries(2)
    large = queries(30)
    assert small == large == 4


def test_duplicate_set_codes_are_refused() -> None:
    s = nurse_set()
    with pytest.raises(ValueError, match="unique"):
        evaluate_many([], [s, s], at=AT)


def test_a_nurse_registration_does_not_make_a_nurse_eligible_as_a_physician() -> None:
    ayu = make_candidate("ayu@example.id", roles=("nurse",))
    declare(ayu, "registration")
    as_nurse = evaluate(ayu.pk, role_requirement_set("ID", "nurse"), at=AT)
    as_physician = evaluate(ayu.pk, role_requirement_set("ID", "pain_physician"), at=AT)
    assert as_nurse.eligible
    assert not as_physician.eligible
    assert [u.code for u in as_physician.unmet] == ["role_missing"]
