"""Staffing rules as data: the shipped files, their validation, and an organization's own rules (service, audit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.facilities.models import EquipmentKind
from nyeri.staffing.loader import FILES_DIR, RuleFileError, all_rule_files, effective_rules, load_rule_file
from nyeri.staffing.models import StaffingRule
from nyeri.staffing.services import reset_staffing_rule, save_staffing_rule
from nyeri.tenancy.models import Organization
from nyeri.tenancy.scope import Scope
from nyeri.workforce.policy.loader import pack_for
from tests.facilities.conftest import scope_of

ID_FILE = FILES_DIR / "ID.toml"


def bad_file(tmp_path: Path, old: str, new: str) -> Path:
    text = ID_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "ID.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def rule_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "role": "nurse",
        "kind": "per_unit",
        "measure": "recovery_beds",
        "amount": "0.5",
        "per_shift": True,
        "label_en": "1 nurse on duty per 2 recovery beds",
        "label_id": "1 perawat bertugas per 2 tempat tidur pemulihan",
    }
    values.update(overrides)
    return values


# --- The shipped files -------------------------------------------------------------------------


def test_every_jurisdiction_has_rules_whose_qualifications_its_policy_pack_knows() -> None:
    files = all_rule_files()
    assert set(files) == {"ID", "US"}
    for jurisdiction, rules in files.items():
        pack = pack_for(jurisdiction)
        for role, qualification in rules.qualifications.items():
            assert all(a in pack.actions for a in qualification.actions), role
            assert all(c in pack.certifications for c in qualification.certifications), role
        assert {r.role.value for r in rules.rules.values()} <= set(rules.qualifications)


def test_the_indonesian_rules_cover_every_imaging_unit_that_needs_an_operator() -> None:
    rules = all_rule_files()["ID"].rules.values()
    counted = {r.equipment.value for r in rules if r.equipment is not None}
    assert counted == {k.value for k in EquipmentKind}


def test_a_rule_with_an_unknown_role_is_refused_naming_the_file_the_entry_and_the_field(tmp_path: Path) -> None:
    path = bad_file(
        tmp_path, 'role = "medical_assistant"\nkind = "per_volume"', 'role = "receptionist"\nkind = "per_volume"'
    )
    with pytest.raises(RuleFileError) as refused:
        load_rule_file(path)
    assert "ID.toml: rules[9] (medical_assistant_per_visits) role: Input should be" in str(refused.value)


def test_a_rule_with_an_unknown_equipment_kind_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = bad_file(tmp_path, 'equipment = "c_arm"', 'equipment = "fluoroscope"')
    with pytest.raises(RuleFileError) as refused:
        load_rule_file(path)
    assert "ID.toml: rules[10] (radiographer_per_c_arm) equipment: Input should be" in str(refused.value)


def test_a_rule_whose_fields_do_not_fit_its_kind_is_refused(tmp_path: Path) -> None:
    path = bad_file(tmp_path, "per = 60\n", "")
    with pytest.raises(RuleFileError) as refused:
        load_rule_file(path)
    assert "rules[4] (nurse_per_visits): Value error, per: A per-volume rule needs the volume" in str(refused.value)


def test_a_qualification_naming_an_action_the_pack_lacks_is_refused(tmp_path: Path) -> None:
    path = bad_file(tmp_path, 'actions = ["give_sedation"]', 'actions = ["give_hypnosis"]')
    with pytest.raises(RuleFileError) as refused:
        load_rule_file(path)
    assert "qualifications[1] (anesthesiologist) actions: unknown action 'give_hypnosis' in the ID policy pack" in str(
        refused.value
    )


def test_a_rule_for_a_role_nobody_says_how_to_count_is_refused(tmp_path: Path) -> None:
    path = bad_file(tmp_path, '[[qualifications]]\nrole = "pharmacist"\nactions = ["dispense_controlled"]\n', "")
    with pytest.raises(RuleFileError, match="no qualification says who counts as 'pharmacist'"):
        load_rule_file(path)


# --- The database holds a row's own invariants ---------------------------------------------------


def test_the_database_refuses_a_rule_row_with_an_unknown_role_or_equipment(org: Organization, admin: User) -> None:
    common = {
        "organization": org,
        "kind": "per_unit",
        "amount": 1,
        "label_en": "x",
        "label_id": "x",
        "updated_by": admin,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffingRule.objects.create(code="a", role="receptionist", measure="procedure_rooms", **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffingRule.objects.create(
            code="b", role="radiographer", measure="equipment_in_service", equipment="pet", **common
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffingRule.objects.create(
            code="c", role="radiographer", measure="procedure_rooms", **{**common, "amount": -1}
        )


# --- An organization's own rules -----------------------------------------------------------------


def test_an_administrator_adds_a_rule_and_the_audit_keeps_the_definition(
    admin_scope: Scope, admin: User, org: Organization
) -> None:
    row = save_staffing_rule(
        scope=admin_scope,
        acting_user=admin,
        code="nurse_per_recovery_bed_pair",
        reason="Post-sedation care",
        **rule_values(),
    )
    assert (row.role, row.amount, row.per_shift, row.updated_by) == ("nurse", 0.5, True, admin)
    rules = effective_rules(org)
    added = next(r for r in rules.rules if r.code == "nurse_per_recovery_bed_pair")
    assert (added.origin, added.replaces_file_rule) == ("organization", False)
    [event] = AuditEvent.objects.filter(object_type="staffing_rule")
    assert event.action == AuditAction.CREATE
    assert event.reason.startswith("Post-sedation care | before (switched off): none | after (in use): ")
    assert "measure=recovery_beds" in event.reason


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"role": "receptionist"}, "role", "Unknown role receptionist."),
        ({"role": "psychiatrist"}, "role", "do not say who counts as current staff in the role"),
        ({"measure": "equipment_in_service", "equipment": "pet"}, "equipment", "Unknown equipment kind pet."),
        ({"measure": "equipment_in_service"}, "equipment", "Choose the equipment kind"),
        ({"amount": "-1"}, "amount", "greater than zero"),
        ({"amount": "abc"}, "amount", "Enter a number."),
        ({"kind": "per_volume"}, "per", "A per-volume rule needs the volume"),
        ({"kind": "minimum"}, "measure", "A minimum rule has no measure."),
        ({"when_measure": "planned_visits_per_week"}, "when_at_least", "Give both the measure of the condition"),
        ({"label_id": " "}, "label_id", "Describe the rule in Bahasa Indonesia."),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_saved(
    admin_scope: Scope, admin: User, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        save_staffing_rule(scope=admin_scope, acting_user=admin, code="x_rule", reason="r", **rule_values(**overrides))
    assert message in " ".join(refused.value.message_dict[field])
    assert not StaffingRule.objects.exists()
    assert not AuditEvent.objects.filter(object_type="staffing_rule").exists()


def test_a_rule_without_a_reason_or_with_a_bad_code_is_refused(admin_scope: Scope, admin: User) -> None:
    with pytest.raises(ValidationError) as refused:
        save_staffing_rule(scope=admin_scope, acting_user=admin, code="Bad Code", reason=" ", **rule_values())
    assert set(refused.value.message_dict) == {"code", "reason"}


def test_switching_off_and_resetting_a_jurisdictions_rule(admin_scope: Scope, admin: User, org: Organization) -> None:
    base = all_rule_files()["ID"].rules["nurse_minimum"]
    values = {**base.model_dump(mode="json"), "is_active": False}
    values.pop("code")
    save_staffing_rule(
        scope=admin_scope, acting_user=admin, code="nurse_minimum", reason="Covered by the hospital", **values
    )
    rules = effective_rules(org)
    assert "nurse_minimum" not in {r.code for r in rules.rules}
    assert [r.code for r in rules.switched_off] == ["nurse_minimum"]
    reset_staffing_rule(scope=admin_scope, acting_user=admin, code="nurse_minimum", reason="Back to the default")
    assert "nurse_minimum" in {r.code for r in effective_rules(org).rules}
    last = AuditEvent.objects.filter(object_type="staffing_rule").latest("pk")
    assert last.reason.startswith("Back to the default | reset; before (switched off): ")
    assert "after: code=nurse_minimum" in last.reason


def test_only_an_administrator_changes_rules_and_a_refusal_is_audited(officer: User) -> None:
    with pytest.raises(PermissionDenied):
        save_staffing_rule(scope=scope_of(officer), acting_user=officer, code="x", reason="r", **rule_values())
    event = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).latest("pk")
    assert (event.actor_id, event.object_type) == (officer.pk, "staffing_rule")
    assert not StaffingRule.objects.exists()


def test_one_organizations_rules_do_not_touch_anothers(
    admin_scope: Scope, admin: User, other_admin: User, org: Organization, other_org: Organization
) -> None:
    save_staffing_rule(scope=admin_scope, acting_user=admin, code="nurse_extra", reason="r", **rule_values())
    assert "nurse_extra" in {r.code for r in effective_rules(org).rules}
    assert "nurse_extra" not in {r.code for r in effective_rules(other_org).rules}
    with pytest.raises(ValidationError):
        reset_staffing_rule(scope=scope_of(other_admin), acting_user=other_admin, code="nurse_extra", reason="r")
    assert StaffingRule.objects.filter(organization=org, code="nurse_extra").exists()
