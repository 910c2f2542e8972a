"""Nursing privileges are facts for the engine (docs/privileges.md, docs/credentials.md): a
privilege granted through the nursing committee gates its action like a physician's, where
the facility requires it, from its first day through its last (the facility's local day),
and a refusal names it in the user's language."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.clock import facility_zone, local_date
from nyeri.tenancy.models import Facility
from nyeri.workforce.door import check
from nyeri.workforce.engine import decide
from nyeri.workforce.engine.periods import valid_through
from nyeri.workforce.privileges import services
from nyeri.workforce.privileges.catalogue import catalogue_for, committee_for
from tests.procedures.conftest import (  # noqa: F401 - fixtures used by name
    MakeStaff,
    Staff,
    admin,
    make_staff,
    nurse,
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
