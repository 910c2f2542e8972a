"""Clinical privileges in the clinic: a facility that requires "interventional pain
procedures under fluoroscopy" refuses the procedure to a physician without a current grant
(naming the privilege), allows it once the committee recommended and the director granted
it, opens a focused-review case for the first N procedures (a proctor, never the performer,
signs off), and refuses again from the day after the grant's last day (the facility's day).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.facilities.models import Equipment
from nyeri.procedures import services
from nyeri.procedures.refusals import ProcedureRefused
from nyeri.tenancy.clock import facility_zone, local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.workforce.engine import decide
from nyeri.workforce.engine.periods import valid_through
from nyeri.workforce.models import PrivilegeGrant, ProctoredCase
from nyeri.workforce.privileges import services as privileges
from nyeri.workforce.privileges.catalogue import catalogue_for
from tests.procedures.conftest import MakeStaff, Order, Staff, scope_of

FLUORO = "fluoroscopy_interventional"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """The refusals read in English here (each test that reads Indonesian says so)."""
    with translation.override("en"):
        yield


@pytest.fixture
def requires_fluoroscopy(admin: User, facility: Facility) -> None:
    privileges.require_privileges(scope=scope_of(admin), acting_user=admin, facility=facility, privileges=[FLUORO])


def grant_to(staff: Staff, facility: Facility, committee: User, director: User, **grant: Any) -> PrivilegeGrant:
    request = privileges.request_privilege(
        scope=staff.scope, acting_user=staff.user, person=staff.person, facility=facility, privilege=FLUORO
    )
    privileges.review_request(
        scope=scope_of(committee),
        acting_user=committee,
        request=request,
        recommend=True,
        reasons="Sp.An, KMN; file complete.",
    )
    return privileges.grant_privilege(scope=scope_of(director), acting_user=director, request=request, **grant)


def perform(order: Order, nurse: Staff, performer: Staff, radiographer: Staff, **fields: Any) -> Any:
    record = order()
    return services.record_performance(
        scope=nurse.scope,
        acting_user=nurse.user,
        record=record,
        performer=performer.person,
        imaging_operator=radiographer.person,
        performed_at=fields.pop("performed_at", timezone.now() - timedelta(minutes=10)),
        pain_before=7,
        pain_after=2,
        **fields,
    )


def test_a_facility_that_requires_the_privilege_refuses_the_procedure_without_a_grant_naming_it(
    requires_fluoroscopy: None,
    order: Order,
    nurse: Staff,
    physician: Staff,
    radiographer: Staff,
    c_arm: Equipment,
) -> None:
    with pytest.raises(ProcedureRefused) as refused:
        perform(order, nurse, physician, radiographer)

    messages = refused.value.messages("en")
    assert any("Interventional pain procedures under fluoroscopy" in m for m in messages), messages
    assert any("No clinical privilege" in m for m in messages)
    assert refused.value.messages("id") != messages
    assert any("Tindakan intervensi nyeri dengan panduan fluoroskopi" in m for m in refused.value.messages("id"))


def test_a_facility_that_does_not_require_it_performs_without_a_grant(
    order: Order, nurse: Staff, physician: Staff, radiographer: Staff, c_arm: Equipment
) -> None:
    performance = perform(order, nurse, physician, radiographer)

    assert performance.pk is not None
    assert not ProctoredCase.objects.exists()


def test_the_granted_privilege_allows_the_procedure_and_the_first_cases_wait_for_a_proctor(
    requires_fluoroscopy: None,
    order: Order,
    nurse: Staff,
    physician: Staff,
    radiographer: Staff,
    c_arm: Equipment,
    committee: User,
    director: User,
    make_staff: MakeStaff,
    facility: Facility,
) -> None:
    grant = grant_to(physician, facility, committee, director)
    entry = catalogue_for("ID").get(FLUORO)  # type: ignore[union-attr]
    assert entry is not None
    assert grant.fppe_cases == entry.fppe_cases == 5

    performance = perform(order, nurse, physician, radiographer)

    case = ProctoredCase.objects.get(procedure_id=performance.record_id)
    assert case.performer_id == physician.person.pk
    assert case.signed_off_at is None
    # The performer cannot sign off their own case.
    with pytest.raises(ActionRefused) as own:
        privileges.sign_off_case(scope=physician.scope, acting_user=physician.user, case=case)
    assert "cannot sign off their own case" in own.value.message
    denied = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="proctored_case").get()
    assert denied.patient_id == case.patient_id
    # A colleague without the privilege is no proctor either.
    colleague = make_staff(Role.ANESTHESIOLOGIST, "dr_sari")
    with pytest.raises(ActionRefused):
        privileges.sign_off_case(scope=colleague.scope, acting_user=colleague.user, case=case)


def test_a_proctor_holding_the_privilege_past_their_focused_review_signs_off(
    requires_fluoroscopy: None,
    order: Order,
    nurse: Staff,
    physician: Staff,
    radiographer: Staff,
    c_arm: Equipment,
    committee: User,
    director: User,
    make_staff: MakeStaff,
    facility: Facility,
) -> None:
    from nyeri.workforce.kinds import Specialty

    senior = make_staff(Role.ANESTHESIOLOGIST, "dr_senior", residency=Specialty.ANESTHESIOLOGY)
    # A senior colleague's grant from before focused review was kept (written to the table).
    PrivilegeGrant.objects.filter(pk=grant_to(senior, facility, committee, director).pk).update(fppe_cases=0)
    grant_to(physician, facility, committee, director)
    performance = perform(order, nurse, physician, radiographer)
    case = ProctoredCase.objects.get(procedure_id=performance.record_id)

    signed = privileges.sign_off_case(scope=senior.scope, acting_user=senior.user, case=case, note="Good technique.")

    assert signed.proctor_id == senior.person.pk
    assert signed.signed_off_at is not None
    event = AuditEvent.objects.filter(object_type="proctored_case", action=AuditAction.UPDATE).get()
    assert event.patient_id == case.patient_id


def test_the_privilege_lapses_the_day_after_its_last_day_at_the_facility_and_the_engine_names_it(
    requires_fluoroscopy: None,
    physician: Staff,
    committee: User,
    director: User,
    facility: Facility,
) -> None:
    grant = grant_to(physician, facility, committee, director)
    assert grant.ends_on == valid_through(local_date(facility), 36)

    zone = facility_zone(facility)
    last_moment = datetime.combine(grant.ends_on, time(23, 59, 59), tzinfo=zone)
    first_lapsed = datetime.combine(grant.ends_on + timedelta(days=1), time(0, 0, 1), tzinfo=zone)
    on_last_day = decide(physician.person.pk, "perform_fluoroscopy_guided", facility, at=last_moment)
    lapsed = decide(physician.person.pk, "perform_fluoroscopy_guided", facility, at=first_lapsed)

    assert on_last_day.unmet == () or all(u.code != "privilege_lapsed" for u in on_last_day.unmet)
    codes = [u.code for u in lapsed.unmet]
    assert "privilege_lapsed" in codes
    reason = next(u for u in lapsed.unmet if u.code == "privilege_lapsed")
    assert reason.message("en").startswith(
        "The clinical privilege “Interventional pain procedures under fluoroscopy” ended on"
    )


def test_a_grant_without_the_committees_recommendation_is_refused(
    physician: Staff, committee: User, director: User, facility: Facility
) -> None:
    request = privileges.request_privilege(
        scope=physician.scope, acting_user=physician.user, person=physician.person, facility=facility, privilege=FLUORO
    )
    with pytest.raises(ActionRefused) as waiting:
        privileges.grant_privilege(scope=scope_of(director), acting_user=director, request=request)
    assert "has not recommended" in waiting.value.message

    privileges.review_request(
        scope=scope_of(committee), acting_user=committee, request=request, recommend=False, reasons="No KMN yet."
    )
    with pytest.raises(ActionRefused):
        privileges.grant_privilege(scope=scope_of(director), acting_user=director, request=request)
    assert not PrivilegeGrant.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="privilege_request").count() == 2


def test_a_request_whose_prerequisites_are_unmet_is_refused_listing_each(
    make_staff: MakeStaff, facility: Facility
) -> None:
    gp = make_staff(Role.GENERAL_PRACTITIONER, "dr_umum")

    with translation.override("en"), pytest.raises(ActionRefused) as refused:
        privileges.request_privilege(
            scope=gp.scope, acting_user=gp.user, person=gp.person, facility=facility, privilege=FLUORO
        )

    reasons = refused.value.reasons
    assert len(reasons) == 2  # the role, and a pain fellowship or an anesthesiology residency
    assert reasons[0].startswith("Needs one of these roles:"), reasons
    assert reasons[1].startswith("One of these is needed:"), reasons
    assert refused.value.field == "privilege"
