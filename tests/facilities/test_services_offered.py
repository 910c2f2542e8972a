"""Derived services (equipment in service + rooms + staff the engine allows) and the selectors for other apps."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.facilities import services
from nyeri.facilities.catalogue import (
    CATALOGUE_FILE,
    CatalogueError,
    equipment_actions_problems,
    load_catalogue,
    service_catalogue,
)
from nyeri.facilities.models import EquipmentKind
from nyeri.facilities.selectors import (
    equipment_in_service,
    facilities_with_equipment,
    in_house_imaging,
    services_offered,
)
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.kinds import Specialty
from tests.facilities.conftest import MakeStaff, describe, scope_of, unit


def result(scope: Scope, facility: Facility, code: str):  # type: ignore[no-untyped-def]
    offered = services_offered(scope, facility)
    return next(r for r in offered.results if r.code == code)


@pytest.fixture
def fluoroscopy_ready(admin_scope: Scope, admin: User, facility: Facility, make_staff: MakeStaff) -> dict[str, object]:
    """A C-arm in service, a pain physician with a pain fellowship and a radiographer, both licensed here."""
    describe(admin_scope, admin, facility)
    c_arm = unit(admin_scope, admin, facility, "c_arm")
    physician = make_staff(Role.PAIN_PHYSICIAN, "dr. Andi", fellowship=True)
    radiographer = make_staff(Role.RADIOGRAPHER, "Dedi Kurniawan")
    return {"c_arm": c_arm, "physician": physician, "radiographer": radiographer}


def test_a_fluoroscopy_guided_block_is_offered_with_a_c_arm_a_privileged_physician_and_a_radiographer(
    admin_scope: Scope, facility: Facility, fluoroscopy_ready: dict[str, object]
) -> None:
    found = result(admin_scope, facility, "fluoroscopy_guided_spine")
    assert found.offered
    assert all(p.met for p in found.parts)


def test_with_the_c_arm_under_maintenance_the_block_is_not_offered_and_the_reason_says_so(
    admin_scope: Scope, admin: User, facility: Facility, fluoroscopy_ready: dict[str, object]
) -> None:
    services.change_equipment_status(
        scope=admin_scope,
        acting_user=admin,
        equipment=fluoroscopy_ready["c_arm"],
        status="under_maintenance",
        reason="x",
    )
    found = result(admin_scope, facility, "fluoroscopy_guided_spine")
    assert not found.offered
    [missing] = found.unmet_parts
    assert missing.unmet("en") == "Needs a C-arm in service at this facility."
    assert missing.unmet("id") == "Memerlukan C-arm yang beroperasi di fasilitas ini."
    assert missing.details("en", names=True) == ["C-arm fluoroscopy here: 1 under maintenance."]


def test_a_missing_unit_names_the_facilities_of_the_network_that_have_one_in_service(
    admin_scope: Scope, admin: User, org: Organization, facility: Facility, other_admin: User, other_facility: Facility
) -> None:
    describe(admin_scope, admin, facility)
    hospital = Facility.objects.create(
        organization=org,
        name="RSUD Kota",
        code="rsud",
        kind="hospital_pain_unit",
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )
    unit(admin_scope, admin, hospital, "c_arm")
    unit(scope_of(other_admin), other_admin, other_facility, "c_arm")  # another organization: not the network
    offered = services_offered(admin_scope, facility)
    spine = next(r for r in offered.results if r.code == "fluoroscopy_guided_spine")
    equipment = next(p for p in spine.unmet_parts if p.part.kind == "equipment")
    assert offered.network_hint(equipment) == "Available in the network at: RSUD Kota."
    mri = next(r for r in offered.results if r.code == "mri_imaging")
    assert offered.network_hint(mri.unmet_parts[0]) == ""


def test_a_radiographer_with_an_expired_permit_does_not_make_the_block_possible_and_is_named_with_why(
    admin_scope: Scope, admin: User, member_nurse: User, facility: Facility, make_staff: MakeStaff
) -> None:
    describe(admin_scope, admin, facility)
    unit(admin_scope, admin, facility, "c_arm")
    make_staff(Role.PAIN_PHYSICIAN, "dr. Andi", fellowship=True)
    make_staff(Role.RADIOGRAPHER, "Dedi Kurniawan", permit="expired")
    found = result(admin_scope, facility, "fluoroscopy_guided_spine")
    assert not found.offered
    [missing] = found.unmet_parts
    assert missing.part.action == "operate_equipment:c_arm"
    [detail] = missing.details("en", names=True)
    assert detail.startswith("Dedi Kurniawan: The practice permit (SIP) expired on ")
    # A colleague without access to workforce records learns that someone lacks it, not who.
    assert not services_offered(scope_of(member_nurse), facility).names
    assert missing.details("en", names=False) == ["1 person here holds the role but may not do this today."]


def test_sedation_needs_an_anesthesiologist_with_the_sedation_privilege(
    admin_scope: Scope, admin: User, facility: Facility, make_staff: MakeStaff
) -> None:
    describe(admin_scope, admin, facility)
    make_staff(Role.ANESTHESIOLOGIST, "dr. Bambang")  # no anesthesiology residency on record
    found = result(admin_scope, facility, "procedural_sedation")
    assert not found.offered
    [missing] = found.unmet_parts
    assert missing.unmet("en").startswith("Needs an anesthesiologist working here with the privilege")
    assert missing.details("en", names=True) == ["dr. Bambang: Needs a residency (specialty) in anesthesiology."]
    make_staff(Role.ANESTHESIOLOGIST, "dr. Sri", residency=Specialty.ANESTHESIOLOGY)
    assert result(admin_scope, facility, "procedural_sedation").offered


def test_without_a_procedure_room_no_procedure_is_offered(
    admin_scope: Scope, admin: User, facility: Facility, fluoroscopy_ready: dict[str, object]
) -> None:
    describe(admin_scope, admin, facility, procedure_rooms=0, sedation_room_days_per_week=0)
    found = result(admin_scope, facility, "fluoroscopy_guided_spine")
    [missing] = found.unmet_parts
    assert missing.part.kind == "rooms"
    assert missing.details("en", names=True) == ["The facility profile has 0, 1 needed."]


def test_reading_the_services_with_names_is_audited_as_a_search_of_people(
    admin_scope: Scope, facility: Facility, fluoroscopy_ready: dict[str, object]
) -> None:
    services_offered(admin_scope, facility)
    event = AuditEvent.objects.filter(action=AuditAction.SEARCH).latest("pk")
    assert (event.object_type, event.facility_id) == ("person", facility.pk)
    assert "services offered: 2 people" in event.reason


def test_the_services_take_the_same_number_of_queries_for_3_or_30_people(
    admin_scope: Scope, admin: User, facility: Facility, make_staff: MakeStaff
) -> None:
    describe(admin_scope, admin, facility)
    unit(admin_scope, admin, facility, "ultrasound")
    for n in range(3):
        make_staff(Role.NURSE, f"Nurse {n}")
    with CaptureQueriesContext(connection) as few:
        services_offered(admin_scope, facility)
    for n in range(27):
        make_staff([Role.NURSE, Role.RADIOGRAPHER, Role.PAIN_PHYSICIAN][n % 3], f"Person {n}")
    with CaptureQueriesContext(connection) as many:
        services_offered(admin_scope, facility)
    assert len(many) == len(few)
    assert len(many) <= 15


# --- For other apps: equipment questions --------------------------------------------------------


def test_equipment_in_service_counts_only_units_in_service(admin_scope: Scope, admin: User, facility: Facility) -> None:
    assert not equipment_in_service(facility, "c_arm")
    c_arm = unit(admin_scope, admin, facility, "c_arm")
    assert equipment_in_service(facility, EquipmentKind.C_ARM)
    assert equipment_in_service(facility.pk, "c_arm")
    services.change_equipment_status(
        scope=admin_scope, acting_user=admin, equipment=c_arm, status="under_maintenance", reason="x"
    )
    assert not equipment_in_service(facility, "c_arm")
    with pytest.raises(ValueError, match="unknown equipment kind 'fluoroscope'"):
        equipment_in_service(facility, "fluoroscope")


def test_facilities_with_equipment_lists_the_networks_facilities_that_have_it_in_service(
    admin_scope: Scope, admin: User, org: Organization, facility: Facility, other_facility: Facility, other_admin: User
) -> None:
    second = Facility.objects.create(
        organization=org,
        name="A Klinik",
        code="a",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Cimahi",
        regency_code="32.77",
    )
    third = Facility.objects.create(
        organization=org,
        name="B Klinik",
        code="b",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Sumedang",
        regency_code="32.11",
    )
    unit(admin_scope, admin, facility, "c_arm")
    unit(admin_scope, admin, second, "c_arm")
    broken = unit(admin_scope, admin, third, "c_arm")
    services.change_equipment_status(
        scope=admin_scope, acting_user=admin, equipment=broken, status="retired", reason="x"
    )
    unit(scope_of(other_admin), other_admin, other_facility, "c_arm")
    assert facilities_with_equipment(org, "c_arm") == [second, facility]
    assert facilities_with_equipment(org.pk, "c_arm", exclude=facility) == [second]
    assert facilities_with_equipment(org, "ct") == []
    second.is_active = False
    second.save()
    assert facilities_with_equipment(org, "c_arm") == [facility]


def test_in_house_imaging_needs_the_unit_and_a_privileged_operator(
    admin_scope: Scope, admin: User, facility: Facility, make_staff: MakeStaff
) -> None:
    unit(admin_scope, admin, facility, "ct")
    lapsed = make_staff(Role.RADIOGRAPHER, "Irfan", permit="expired")
    first = in_house_imaging(facility, "ct")
    assert first.equipment_in_service
    assert not first.possible
    [decision] = first.decisions
    assert (decision.person_id, [u.code for u in decision.unmet]) == (lapsed.pk, ["credential_expired"])
    ready = make_staff(Role.RADIOGRAPHER, "Dedi")
    second = in_house_imaging(facility, "ct")
    assert second.possible
    assert second.operator_ids == (ready.pk,)
    assert not in_house_imaging(facility, "mri").possible


# --- The catalogue as data ---------------------------------------------------------------------


def test_the_catalogue_loads_and_every_equipment_kind_has_its_operating_action() -> None:
    catalogue = service_catalogue()
    assert {"fluoroscopy_guided_spine", "procedural_sedation", "ultrasound_guided_nerve_block"} <= {
        s.code for s in catalogue.services
    }
    assert all(s.label_id and s.label_en for s in catalogue.services)
    assert equipment_actions_problems() == []


def test_a_catalogue_with_an_unknown_equipment_kind_is_refused_naming_the_entry_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "services.toml"
    bad.write_text(
        CATALOGUE_FILE.read_text(encoding="utf-8").replace('equipment = "c_arm"', 'equipment = "c_arm_x"', 1)
    )
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(bad)
    assert "services.toml: services[3] (fluoroscopy_guided_spine) requires.0.equipment.equipment" in str(refused.value)


def test_a_catalogue_naming_an_action_no_policy_pack_has_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "services.toml"
    bad.write_text(
        CATALOGUE_FILE.read_text(encoding="utf-8").replace('"give_sedation"', '"give_hypnosis"', 1), encoding="utf-8"
    )
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(bad)
    assert "services[7] (procedural_sedation) requires.0.action: unknown action 'give_hypnosis'" in str(refused.value)
