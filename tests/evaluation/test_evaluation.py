"""The practice evaluation: each practitioner's own care, the outcomes rules for relief, peers,
flags, small numbers, who may see it, and its constant number of queries."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.evaluation.selectors import (
    EvaluationFilters,
    Practitioner,
    default_period,
    flags_for,
    listed_years,
    practice_evaluation,
    practitioner_evaluation,
)
from nyeri.lib.periods import is_ended_year, year_period
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused, write_transaction
from nyeri.tenancy.roles import Role
from nyeri.workforce.door import authorize
from nyeri.workforce.policy.loader import all_packs
from tests.conftest import MakeMember
from tests.evaluation.conftest import (
    AS_OF,
    PERIOD,
    break_glass,
    client_of,
    in_period,
    perform,
    person_of,
    scope_of,
    sign,
)
from tests.outcomes.conftest import Example, make_patient

JANUARY = EvaluationFilters(*PERIOD)


def evaluate(user: User, filters: EvaluationFilters = JANUARY) -> Any:
    return practice_evaluation(scope_of(user), filters, as_of=AS_OF)


def test_procedures_and_prescriptions_count_for_the_practitioner_who_performed_or_signed_them(
    org: Organization,
    other_org: Organization,
    facility: Facility,
    other_facility: Facility,
    physician: User,
    colleague: User,
    officer: User,
) -> None:
    patient = make_patient(org, facility, "RM-9")
    perform(physician, patient, facility, in_period(2))
    perform(physician, patient, facility, in_period(3), complication=True)
    # Corrected to add a complication: counted once, with the amendment's complication.
    perform(physician, patient, facility, in_period(4), amended_with_complication=True)
    perform(physician, patient, facility, in_period(5), entered_in_error=True)
    perform(physician, patient, facility, in_period(40))  # February: outside the period
    perform(colleague, patient, facility, in_period(6))
    sign(physician, patient, facility, in_period(7))
    sign(physician, patient, facility, in_period(8), mme=60)
    sign(physician, patient, facility, in_period(9), mme=90, justification="Cancer pain")
    sign(physician, patient, facility, in_period(10), mme=120)
    found = evaluate(officer).practitioners
    budi, ani = found[person_of(physician).pk], found[person_of(colleague).pk]
    assert (budi.procedures, budi.complicated, budi.complication_percent) == (3, 2, Decimal("66.7"))
    assert (ani.procedures, ani.complicated) == (1, 0)
    assert (budi.prescriptions, budi.opioid_prescriptions, budi.high_mme, budi.high_mme_unjustified) == (4, 3, 2, 1)
    assert budi.high_mme_percent == Decimal("66.7")
    assert ani.prescriptions == 0


def test_relief_counts_the_outcomes_cohort_patients_the_practitioner_treated_in_the_period(
    example: Example, physician: User, colleague: User, officer: User
) -> None:
    # dr_budi treats P1, P2 and P4 (prescriptions) and P3 (a procedure); dr_ani only P1.
    for patient in (example.p1, example.p2, example.p4):
        sign(physician, patient, example.a, in_period(29))
    perform(physician, example.p3, example.b, in_period(29))
    perform(colleague, example.p1, example.a, in_period(30))
    found = evaluate(officer).practitioners
    budi, ani = found[person_of(physician).pk], found[person_of(colleague).pk]
    # The outcomes report's hand-computed figures (tests/outcomes/conftest.py): at 3 months P1 >= 50,
    # P2 >= 30, P3 not assessed, P4 neither; at 6 months P1 neither, P2 and P3 >= 50, P4 >= 30.
    assert budi.patients == 4
    assert (budi.at(3).assessed, budi.at(3).moderate, budi.at(3).substantial) == (3, 2, 1)
    assert (budi.at(6).assessed, budi.at(6).moderate, budi.at(6).substantial) == (4, 3, 2)
    assert (ani.patients, ani.at(3).assessed, ani.at(3).moderate, ani.at(3).substantial) == (1, 1, 1, 1)


def test_relief_leaves_out_patients_treated_outside_the_period(
    example: Example, physician: User, officer: User
) -> None:
    sign(physician, example.p1, example.a, in_period(45))
    assert evaluate(officer).practitioners[person_of(physician).pk].patients == 0


def test_engine_refusals_count_and_other_denials_do_not(
    org: Organization, facility: Facility, make_member: MakeMember, officer: User
) -> None:
    from tests.diagnoses.conftest import licensed_staff

    unlicensed = licensed_staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "dr_tanpa_izin", licensed=False)
    for _ in range(2):
        with pytest.raises(ActionRefused), write_transaction():
            authorize(scope_of(unlicensed), "record_diagnosis", facility, object_type="diagnosis", no_record="-")
    # A role check (not the engine) refused the same account: not counted.
    # The installation's day (the period of "all facilities"), not the machine's.
    today = local_date(None)
    recent = EvaluationFilters(today - timedelta(days=1), today)
    with pytest.raises(ActionRefused):
        practice_evaluation(scope_of(unlicensed), recent)
    found = practice_evaluation(scope_of(officer), recent).practitioners[person_of(unlicensed).pk]
    assert found.engine_refusals == 2
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, actor=unlicensed).count() == 3


def test_emergency_accesses_and_those_reviewed_as_not_justified_are_counted(
    example: Example, physician: User, officer: User
) -> None:
    break_glass(physician, example.p1, in_period(3), officer, "justified")
    break_glass(physician, example.p2, in_period(4), officer, "not_justified")
    break_glass(physician, example.p3, in_period(5), officer)
    break_glass(physician, example.p4, in_period(50), officer, "not_justified")  # March
    budi = evaluate(officer).practitioners[person_of(physician).pk]
    assert (budi.break_glass, budi.break_glass_not_justified) == (3, 1)


def _thresholds(**changes: Any) -> Any:
    return all_packs()["ID"].pack.practice_evaluation.model_copy(update=changes)


def test_the_policy_pack_flags_a_practitioner_for_review_and_names_the_rule() -> None:
    t = _thresholds(min_cases=10)
    p = Practitioner(
        1, "dr. A", procedures=10, complicated=1, opioid_prescriptions=10, high_mme=3, high_mme_justified=2
    )
    p.engine_refusals = 11
    p.break_glass_not_justified = 1
    p.at(3).assessed, p.at(3).moderate = 10, 2
    medians: dict[str, Decimal | None] = {"complication_percent": Decimal(2), "high_mme_percent": Decimal(10)}
    codes = [f.code for f in flags_for(p, medians, t, Decimal(90))]
    assert codes == ["complications", "relief", "unjustified_mme", "high_mme_peers", "engine_refusals", "break_glass"]
    # Below the minimum of cases a rate says too little: no rate flag.
    few = Practitioner(2, "dr. B", procedures=9, complicated=5)
    assert flags_for(few, medians, t, Decimal(90)) == []
    # Within the absolute limit but over twice the peers' median.
    peers = Practitioner(3, "dr. C", procedures=20, complicated=1)
    assert [f.code for f in flags_for(peers, medians, t, Decimal(90))] == ["complications_peers"]


def test_every_policy_pack_states_its_practice_evaluation_thresholds_and_their_source() -> None:
    for pack in all_packs().values():
        rules = pack.pack.practice_evaluation
        assert rules.min_cases > 0
        assert "policy choice" in rules.source.lower()


def test_peers_of_the_same_role_are_side_by_side_with_their_medians(
    example: Example, physician: User, colleague: User, make_member: MakeMember, org: Organization, officer: User
) -> None:
    from tests.diagnoses.conftest import licensed_staff

    nurse = licensed_staff(make_member, org, example.a, Role.NURSE, "ners_rina")
    perform(physician, example.p1, example.a, in_period(2))
    found = evaluate(officer)
    roles = {g.role: [r.practitioner.name for r in g.rows] for g in found.groups}
    assert roles == {"pain_physician": ["Dr_Ani", "Dr_Budi"], "nurse": ["Ners_Rina"]}
    physicians = next(g for g in found.groups if g.role == "pain_physician")
    assert physicians.medians["procedures"] == Decimal("0.5")
    assert person_of(nurse).pk in found.practitioners


def test_counts_of_few_patients_are_hidden_with_the_shares_they_make(
    example: Example, physician: User, officer: User, settings: Any
) -> None:
    settings.SMALL_NUMBER_MINIMUM = 5
    for patient in (example.p1, example.p2, example.p3, example.p4):
        sign(physician, patient, example.a, in_period(29))
    budi = evaluate(officer).practitioners[person_of(physician).pk]
    assert budi.patients == 4  # exact behind the page
    assert budi.shown_patients == "< 5"
    shown = budi.at(3).shown
    assert (shown["assessed"], shown["moderate"], shown["moderate_percent"]) == ("< 5", "< 5", None)


def test_the_selector_reads_in_the_same_number_of_queries_for_one_or_many_practitioners(
    example: Example, physician: User, colleague: User, make_member: MakeMember, org: Organization, officer: User
) -> None:
    from tests.diagnoses.conftest import licensed_staff

    scope = scope_of(officer)
    perform(physician, example.p1, example.a, in_period(2))
    with CaptureQueriesContext(connection) as few:
        practice_evaluation(scope, JANUARY, as_of=AS_OF)
    for n in range(6):
        user = licensed_staff(make_member, org, example.a, Role.GENERAL_PRACTITIONER, f"dr_umum_{n}")
        sign(user, example.p2, example.a, in_period(3 + n), mme=90)
        perform(user, example.p3, example.a, in_period(3 + n), complication=True)
        break_glass(user, example.p4, in_period(3 + n), officer, "not_justified")
    with CaptureQueriesContext(connection) as many:
        found = practice_evaluation(scope, JANUARY, as_of=AS_OF)
    assert len(found.practitioners) == 8
    assert len(few) == len(many) == 7


def test_a_facility_limited_officer_sees_only_the_care_given_at_their_facilities(
    example: Example, physician: User, make_member: MakeMember, org: Organization
) -> None:
    limited = make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan_b", facilities=(example.b,))
    perform(physician, example.p1, example.a, in_period(2))
    perform(physician, example.p3, example.b, in_period(3), complication=True)
    found = practice_evaluation(scope_of(limited), JANUARY, as_of=AS_OF)
    budi = found.practitioners[person_of(physician).pk]
    assert (budi.procedures, budi.complicated) == (1, 1)


def test_the_committee_file_gets_one_practitioner_with_their_peer_groups_and_flags(
    example: Example, physician: User, colleague: User, officer: User
) -> None:
    perform(physician, example.p1, example.a, in_period(2))
    practitioner, groups = practitioner_evaluation(scope_of(officer), person_of(physician).pk, JANUARY, as_of=AS_OF)
    assert practitioner.procedures == 1
    assert [group.role for group, _row in groups] == ["pain_physician"]
    assert practitioner_evaluation(scope_of(officer), 10**9, JANUARY, as_of=AS_OF) is None


# --- Page, CSV, API: who may see it, audited --------------------------------------------------


@pytest.mark.parametrize("role", [Role.PAIN_PHYSICIAN, Role.FACILITY_MANAGER, Role.CREDENTIALING_OFFICER])
def test_other_staff_are_refused_the_page_the_csv_and_the_api_and_the_refusal_is_audited(
    org: Organization, make_member: MakeMember, role: Role
) -> None:
    user = make_member(org, role, username=f"staf_{role.value}", language="en")
    client = client_of(user)
    for url in ("/practice-evaluation/", "/practice-evaluation/export.csv", "/api/practice-evaluation"):
        assert client.get(url).status_code == 403, url
    denied = AuditEvent.objects.filter(
        actor=user, action=AuditAction.PERMISSION_DENIED, object_type="practice_evaluation"
    )
    assert denied.count() == 3
    assert "review_practice_evaluation" in denied.first().reason  # type: ignore[union-attr]


def test_the_administrator_is_refused_the_evaluation(org: Organization, make_member: MakeMember) -> None:
    admin = make_member(org, Role.ADMINISTRATOR, username="admin_rs")
    with pytest.raises(ActionRefused):
        evaluate(admin)
    assert AuditEvent.objects.filter(actor=admin, action=AuditAction.PERMISSION_DENIED).count() == 1


def test_the_compliance_officer_reads_the_page_csv_and_api_each_audited(
    example: Example, physician: User, officer: User
) -> None:
    perform(physician, example.p1, example.a, in_period(2), complication=True)
    client = client_of(officer)
    query = "period=2025"
    page = client.get(f"/practice-evaluation/?{query}")
    assert page.status_code == 200
    assert b'data-testid="evaluation-pain_physician"' in page.content
    assert b"Dr_Budi" in page.content
    exported = client.get(f"/practice-evaluation/export.csv?{query}")
    assert exported.status_code == 200
    assert 'filename="practice-evaluation-' in exported["Content-Disposition"]
    assert exported["Content-Disposition"].endswith('-2025.csv"')
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    budi = next(r for r in rows if r[3] == "Dr_Budi")
    assert (budi[0], budi[4], budi[6], budi[7], budi[8]) == ("pain_physician", "2025-01-01", "1", "1", "100.0")
    api = client.get(f"/api/practice-evaluation?{query}")
    assert api.status_code == 200
    body = api.json()
    assert (body["period"], body["from"], body["to"]) == ("2025", "2025-01-01", "2025-12-31")
    assert body["thresholds"]["min_cases"] == 10
    group = next(g for g in body["groups"] if g["role"] == "pain_physician")
    row = next(p for p in group["practitioners"] if p["name"] == "Dr_Budi")
    assert (row["procedures"], row["complicated"], row["complication_percent"]) == (1, 1, "100.0")
    events = AuditEvent.objects.filter(actor=officer, object_type="practice_evaluation")
    assert sorted(events.values_list("action", "reason")) == [
        ("export", "csv; period 2025-01-01..2025-12-31; all facilities"),
        ("read", "api; period 2025-01-01..2025-12-31; all facilities"),
        ("read", "page; period 2025-01-01..2025-12-31; all facilities"),
    ]


YEARS_ONLY = (
    "Choose a year from the list: the evaluation is of whole calendar years that have ended (2025). "
    "Periods of any other length could be subtracted from one another."
)


def test_dates_are_a_422_naming_from_and_to_with_the_reason(officer: User) -> None:
    response = client_of(officer).get("/api/practice-evaluation?from=2025-01-01&to=2025-01-30")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == [{"field": "from", "message": YEARS_ONLY}, {"field": "to", "message": YEARS_ONLY}]
    whole_year = client_of(officer).get("/api/practice-evaluation?from=2025-01-01&to=2025-12-31").json()
    assert whole_year["error"]["fields"][0]["message"].endswith("These dates are the period 2025.")
    assert not AuditEvent.objects.filter(object_type="practice_evaluation").exists()


def test_the_refusal_of_dates_is_in_indonesian_for_an_indonesian_request(officer: User) -> None:
    response = client_of(officer, "id").get("/api/practice-evaluation?to=2025-12-31")
    assert response.status_code == 422
    [field] = response.json()["error"]["fields"]
    assert field["field"] == "to"
    assert field["message"].startswith("Pilih tahun dari daftar")


def test_a_quarter_a_month_or_a_year_not_yet_ended_is_a_422_naming_period(officer: User) -> None:
    client = client_of(officer)
    this_year = local_date(None).year
    for period in ("2025-Q1", "2025-03", str(this_year), str(this_year + 1), "last-year"):
        response = client.get(f"/api/practice-evaluation?period={period}")
        assert response.status_code == 422, period
        assert response.json()["error"]["fields"] == [{"field": "period", "message": YEARS_ONLY}]


def test_without_a_period_the_evaluation_is_of_the_last_year_that_has_ended(officer: User) -> None:
    body = client_of(officer).get("/api/practice-evaluation").json()
    last = local_date(None).year - 1
    assert (body["period"], body["from"], body["to"]) == (str(last), f"{last}-01-01", f"{last}-12-31")
    page = client_of(officer).get("/practice-evaluation/").content.decode()
    assert f'<option value="{last}" selected>{last}</option>' in page
    assert "The period is a whole calendar year that has ended" in page
    halaman = client_of(officer, "id").get("/practice-evaluation/").content.decode()
    assert "Periodenya satu tahun kalender penuh yang sudah berakhir" in halaman
    assert f'<option value="{last}" selected>{last}</option>' in halaman
    assert f'<option value="{last + 1}"' not in page


def test_bad_filters_are_refused_naming_the_field(org: Organization, other_facility: Facility, officer: User) -> None:
    client = client_of(officer)
    foreign = client.get(f"/api/practice-evaluation?facility={other_facility.pk}")
    assert foreign.status_code == 422
    assert "Unknown facility" in str(foreign.json())
    page = client.get("/practice-evaluation/?from=2025-02-01&to=2025-01-01")
    assert page.status_code == 200
    assert YEARS_ONLY.encode() in page.content
    assert b'data-testid="evaluation-summary"' not in page.content
    quarter = client.get("/practice-evaluation/?period=2025-Q1").content.decode()
    assert re.search(r'<div class="field has-error">\s*<label for="id_period">', quarter)
    assert not AuditEvent.objects.filter(object_type="practice_evaluation").exists()


def test_the_navigation_links_the_evaluation_for_the_compliance_officer_only(officer: User, physician: User) -> None:
    assert b'href="/practice-evaluation/"' in client_of(officer).get("/", follow=True).content
    assert b'href="/practice-evaluation/"' not in client_of(physician).get("/", follow=True).content


@pytest.mark.parametrize(
    ("today", "last"),
    [(date(2026, 12, 31), 2025), (date(2027, 1, 1), 2026), (date(2028, 2, 29), 2027)],
)
def test_the_last_ended_year_turns_on_the_first_of_january_not_on_the_thirty_first_of_december(
    today: date, last: int
) -> None:
    assert default_period(today).key == str(last)
    assert [p.key for p in listed_years(today)] == [str(last - n) for n in range(5)]
    assert not is_ended_year(year_period(today.year), today)
    assert is_ended_year(year_period(last), today)
