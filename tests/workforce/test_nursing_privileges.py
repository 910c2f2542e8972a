"""Nursing privileges are facts for the engine (docs/privileges.md, docs/credentials.md): a
privilege granted through the nursing committee gates its action like a physician's, where
the facility requires it, from its first day through its last (the facility's local day),
and a refusal names it in the user's language. The procedures app asks it of the nurse who
monitors a patient under sedation (docs/procedures.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.facilities.models import Equipment
from nyeri.procedures import services as procedures
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord
from nyeri.procedures.refusals import ProcedureRefused
from nyeri.tenancy.clock import facility_zone, local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.workforce.door import check
from nyeri.workforce.engine import decide
from nyeri.workforce.engine.periods import valid_through
from nyeri.workforce.kinds import Citizenship
from nyeri.workforce.models import Person
from nyeri.workforce.privileges import services
from nyeri.workforce.privileges.catalogue import catalogue_for, committee_for
from tests.procedures.conftest import (  # noqa: F401 - fixtures used by name
    MakeStaff,
    Order,
    Staff,
    add_unit,
    admin,
    anesthesiologist,
    c_arm,
    make_staff,
    nurse,
    order,
    patient,
    physician,
    radiographer,
    scope_of,
)
from tests.workforce.credentials_support import facility_in
from tests.workforce.privileges_support import granted

pytestmark = pytest.mark.django_db
SEDATION = "nursing_sedation_monitoring"
ACTION = "monitor_sedation"
NAME_EN = "Monitoring patients under procedural sedation"
NAME_ID = "Pemantauan pasien dalam sedasi prosedural"


@pytest.fixture
def requires_sedation_monitoring(admin: User, facility: Facility) -> None:  # noqa: F811
    services.require_privileges(scope=scope_of(admin), acting_user=admin, facility=facility, privileges=[SEDATION])


def test_the_catalogue_ties_the_sedation_monitoring_privilege_to_its_action_and_the_nursing_committee() -> None:
    found = catalogue_for("ID")
    assert found is not None
    entry = found.get(SEDATION)
    assert entry is not None
    assert entry.actions == (ACTION,)
    assert entry.label("en") == NAME_EN
    assert entry.label("id") == NAME_ID
    committee = committee_for("ID", SEDATION)
    assert committee is not None
    assert committee.code == "nursing"


def test_a_nurse_needs_no_grant_where_the_facility_does_not_require_the_privilege(
    nurse: Staff,  # noqa: F811
    facility: Facility,
) -> None:
    assert decide(nurse.person.pk, ACTION, facility).allowed


def test_without_the_grant_the_engine_refuses_naming_the_nursing_privilege_in_both_languages(
    requires_sedation_monitoring: None,
    nurse: Staff,  # noqa: F811
    facility: Facility,
) -> None:
    refused = decide(nurse.person.pk, ACTION, facility)

    assert not refused.allowed
    assert [u.code for u in refused.unmet] == ["privilege_missing"]
    assert refused.unmet[0].message("en") == f"No clinical privilege “{NAME_EN}” granted at this facility."
    assert refused.unmet[0].message("id") == f"Tidak ada kewenangan klinis “{NAME_ID}” yang diberikan di fasilitas ini."


def test_a_grant_through_the_nursing_committee_allows_the_action_until_its_last_local_day_then_it_lapses(
    requires_sedation_monitoring: None,
    nurse: Staff,  # noqa: F811
    facility: Facility,
    nursing_committee: User,
    director: User,
) -> None:
    grant = granted(nurse, facility, nursing_committee, director, SEDATION)
    assert grant.ends_on == valid_through(local_date(facility), 36)
    zone = facility_zone(facility)
    last_moment = datetime.combine(grant.ends_on, time(23, 59, 59), tzinfo=zone)
    first_lapsed = datetime.combine(grant.ends_on + timedelta(days=1), time(0, 0, 1), tzinfo=zone)

    assert decide(nurse.person.pk, ACTION, facility).allowed
    assert decide(nurse.person.pk, ACTION, facility, at=last_moment).allowed
    lapsed = decide(nurse.person.pk, ACTION, facility, at=first_lapsed)

    assert not lapsed.allowed
    # (the SIP of the fixture may have ended too: the privilege's own reason is what counts)
    reason = next(u for u in lapsed.unmet if u.code == "privilege_lapsed")
    assert reason.params["date"] == grant.ends_on
    assert reason.message("en").startswith(f"The clinical privilege “{NAME_EN}” ended on")
    assert reason.message("id").startswith(f"Kewenangan klinis “{NAME_ID}” berakhir pada")


def test_the_door_refuses_a_nurse_without_the_privilege_and_audits_what_it_relied_on(
    requires_sedation_monitoring: None,
    nurse: Staff,  # noqa: F811
    facility: Facility,
    nursing_committee: User,
    director: User,
) -> None:
    with translation.override("en"):
        before = check(nurse.scope, [ACTION], facility, no_record="-")
    assert not before.allowed
    assert before.reasons == (f"No clinical privilege “{NAME_EN}” granted at this facility.",)
    assert f"{ACTION}: privilege_missing" in before.basis

    granted(nurse, facility, nursing_committee, director, SEDATION)

    after = check(nurse.scope, [ACTION], facility, no_record="-")
    assert after.allowed
    grants = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="privilege_grant")
    assert grants.count() == 1


def test_a_grant_counts_only_at_its_own_facility(
    nurse: Staff,  # noqa: F811
    facility: Facility,
    admin: User,  # noqa: F811
    nursing_committee: User,
    director: User,
) -> None:
    annex = facility_in(facility.organization, "annex", facility.regency_code)
    services.require_privileges(scope=scope_of(admin), acting_user=admin, facility=annex, privileges=[SEDATION])
    granted(nurse, facility, nursing_committee, director, SEDATION)

    refused = decide(nurse.person.pk, ACTION, annex)

    assert "privilege_missing" in [u.code for u in refused.unmet]


# --- The monitoring nurse of a procedure under sedation (nyeri.procedures) ------------------------


@dataclass(frozen=True)
class Team:
    """Who records a transforaminal ESI under sedation: the nurse records it, the physician
    performs, the anesthesiologist sedates, the radiographer runs the C-arm (in service)."""

    order: Order
    nurse: Staff
    physician: Staff
    anesthesiologist: Staff
    radiographer: Staff

    def sedated(self, watcher: Person | None, **fields: object) -> ProcedurePerformance:
        """Record it with ``watcher`` as the monitoring nurse."""
        return procedures.record_performance(
            scope=self.nurse.scope,
            acting_user=self.nurse.user,
            record=self.order(anesthesia="sedation"),
            performer=self.physician.person,
            anesthesiologist=self.anesthesiologist.person,
            imaging_operator=self.radiographer.person,
            monitoring_nurse=watcher,
            **fields,  # type: ignore[arg-type]
        )


@pytest.fixture
def team(
    order: Order,  # noqa: F811
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
    anesthesiologist: Staff,  # noqa: F811
    radiographer: Staff,  # noqa: F811
    c_arm: Equipment,  # noqa: F811
) -> Team:
    return Team(order, nurse, physician, anesthesiologist, radiographer)


def test_a_procedure_under_sedation_records_the_monitoring_nurse_holding_the_privilege(
    requires_sedation_monitoring: None,
    team: Team,
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
    facility: Facility,
    nursing_committee: User,
    director: User,
) -> None:
    granted(nurse, facility, nursing_committee, director, SEDATION)

    performance = team.sedated(nurse.person)

    assert performance.monitoring_nurse == nurse.person
    assert not performance.before_monitoring_rule
    assert f"{ACTION} allowed for person {nurse.person.pk}" in performance.decision
    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="procedure_performance")
    assert f"{ACTION} allowed for person {nurse.person.pk}" in created.reason


def test_a_monitoring_nurse_without_the_privilege_where_the_facility_requires_it_is_refused_naming_it(
    requires_sedation_monitoring: None,
    team: Team,
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
) -> None:
    with pytest.raises(ProcedureRefused) as caught:
        team.sedated(nurse.person)

    reasons = caught.value.reasons
    assert [(r.code, r.subject) for r in reasons] == [("monitoring_nurse.privilege_missing", "monitoring_nurse")]
    assert reasons[0].message_en == (
        f"Monitoring nurse Ns Siti: No clinical privilege “{NAME_EN}” granted at this facility."
    )
    assert reasons[0].message_id == (
        f"Perawat pemantau Ns Siti: Tidak ada kewenangan klinis “{NAME_ID}” yang diberikan di fasilitas ini."
    )
    assert not ProcedurePerformance.objects.exists()
    assert ProcedureRecord.objects.get().status == "ordered"
    denied = AuditEvent.objects.get(action=AuditAction.PERMISSION_DENIED, object_type="procedure")
    assert denied.outcome == AuditOutcome.DENIED
    assert "monitoring_nurse.privilege_missing" in denied.reason
    assert f"{ACTION} refused for person {nurse.person.pk}" in denied.reason


def test_a_monitoring_nurse_is_refused_on_the_day_after_the_grants_end_date(
    requires_sedation_monitoring: None,
    team: Team,
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
    facility: Facility,
    nursing_committee: User,
    director: User,
) -> None:
    # Granted for a year from 400 days ago: its last day has passed.
    grant = granted(
        nurse,
        facility,
        nursing_committee,
        director,
        SEDATION,
        years=1,
        starts_on=local_date(facility) - timedelta(days=400),
    )
    zone = facility_zone(facility)
    last_day = datetime.combine(grant.ends_on, time(10, 0), tzinfo=zone)
    day_after = datetime.combine(grant.ends_on + timedelta(days=1), time(10, 0), tzinfo=zone)

    with pytest.raises(ProcedureRefused) as caught:
        team.sedated(nurse.person, performed_at=day_after)

    lapsed = next(r for r in caught.value.reasons if r.code == "monitoring_nurse.privilege_lapsed")
    assert lapsed.message_en.startswith(f"Monitoring nurse Ns Siti: The clinical privilege “{NAME_EN}” ended on")
    assert lapsed.message_id.startswith(f"Perawat pemantau Ns Siti: Kewenangan klinis “{NAME_ID}” berakhir pada")
    # On its last day (the facility's local day) the same nurse is allowed.
    performance = team.sedated(nurse.person, performed_at=last_day)
    assert performance.monitoring_nurse == nurse.person


def test_the_performer_is_not_the_monitoring_nurse(
    team: Team,
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        team.sedated(physician.person)
    assert caught.value.message_dict["monitoring_nurse"] == [
        "The monitoring nurse must be someone other than the performer."
    ]
    assert not ProcedurePerformance.objects.exists()


def test_sedation_without_a_monitoring_nurse_is_a_field_error_in_both_languages(
    team: Team,
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        team.sedated(None)
    assert caught.value.message_dict["monitoring_nurse"] == [
        "Sedation needs a nurse who monitors the patient: choose who."
    ]
    with translation.override("id"), pytest.raises(ValidationError) as caught:
        team.sedated(None)
    assert caught.value.message_dict["monitoring_nurse"] == [
        "Sedasi memerlukan perawat yang memantau pasien: pilih siapa."
    ]


def test_another_organizations_person_is_not_a_monitoring_nurse_here(
    team: Team,
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
    other_org: object,
) -> None:
    stranger = Person.objects.create(organization=other_org, full_name="Ns Lain", citizenship=Citizenship.CITIZEN)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        team.sedated(stranger)
    assert caught.value.message_dict["monitoring_nurse"] == ["This person is not part of your organization."]


def test_an_amendment_keeps_the_rule_and_asks_the_engine_again_for_a_new_nurse(
    team: Team,
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
    make_staff: MakeStaff,  # noqa: F811
    admin: User,  # noqa: F811
    facility: Facility,
) -> None:
    performance = team.sedated(nurse.person)
    # Removing the nurse while the sedation stays is refused naming the field.
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        procedures.amend_performance(
            scope=nurse.scope, acting_user=nurse.user, performance=performance, reason="x", monitoring_nurse=None
        )
    assert "monitoring_nurse" in caught.value.message_dict
    # Another nurse, once the facility requires the privilege: decided again, refused naming it.
    services.require_privileges(scope=scope_of(admin), acting_user=admin, facility=facility, privileges=[SEDATION])
    other = make_staff(Role.NURSE, "ns_rina")
    with pytest.raises(ProcedureRefused) as refused:
        procedures.amend_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            performance=performance,
            reason="Ganti",
            monitoring_nurse=other.person,
        )
    assert [r.code for r in refused.value.reasons] == ["monitoring_nurse.privilege_missing"]
    # Dropping sedation drops the nurse with it.
    local = procedures.amend_performance(
        scope=nurse.scope,
        acting_user=nurse.user,
        performance=performance,
        reason="Tanpa sedasi",
        anesthesia="local",
        anesthesiologist=None,
    )
    assert local.monitoring_nurse is None


def test_the_database_holds_the_monitoring_nurse_rule_and_the_versions_recorded_before_it(
    team: Team,
    nurse: Staff,  # noqa: F811
    physician: Staff,  # noqa: F811
) -> None:
    done = team.sedated(nurse.person)

    def amendment(version: int, **fields: object) -> ProcedurePerformance:
        values: dict[str, object] = {
            "organization": done.organization,
            "record": done.record,
            "version": version,
            "kind": "amendment",
            "amends": None,
            "amendment_reason": "x",
            "procedure_code": done.procedure_code,
            "catalogue_version": done.catalogue_version,
            "performed_at": done.performed_at,
            "performer": done.performer,
            "anesthesiologist": done.anesthesiologist,
            "imaging_operator": done.imaging_operator,
            "anesthesia": "sedation",
            "guidance": done.guidance,
            "body_site": done.body_site,
            "decision": "x",
            "recorded_by": done.recorded_by,
            "recorded_at": done.recorded_at,
        }
        values.update(fields)
        return ProcedurePerformance.objects.create(**values)

    with pytest.raises(IntegrityError), transaction.atomic():
        amendment(2, amends=done)  # sedation, no nurse
    with pytest.raises(IntegrityError), transaction.atomic():
        amendment(2, amends=done, monitoring_nurse=done.performer)  # the performer
    with pytest.raises(IntegrityError), transaction.atomic():
        amendment(2, amends=done, anesthesia="local", anesthesiologist=None, monitoring_nurse=nurse.person)
    # A version recorded before the rule (as migration 0005 marks them) holds without a nurse.
    kept = amendment(2, amends=done, before_monitoring_rule=True)
    assert kept.monitoring_nurse is None
