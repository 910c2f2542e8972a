"""The staffing-rule language: a rule file per jurisdiction, validated when loaded.

A file (``files/<JURISDICTION>.toml``) has a header (``jurisdiction``, ``version``,
``name_en``, ``name_id``, ``sources``), ``fte_hours_per_week`` (the hours of one full-time
equivalent), ``[[qualifications]]`` (who counts as current staff of a role: the policy
pack's actions and certifications the engine must allow) and ``[[rules]]``.

An organization's own rules (``models.StaffingRule`` rows) have exactly the fields of a
``Rule`` and are checked by the same ``rule_problems`` (with messages in the user's
language, keyed by field).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nyeri.facilities.models import EquipmentKind
from nyeri.staffing.kinds import Measure, RuleKind
from nyeri.tenancy.models import FacilityKind
from nyeri.tenancy.roles import Role

CODE_PATTERN = r"^[a-z][a-z0-9_]*$"
CODE_MAX_LENGTH = 60
AMOUNT_MAX = Decimal(100)

# Problems of a rule's combination of fields, keyed by the field to blame.
PROBLEMS: dict[str, tuple[str, Promise]] = {
    "measure_required": ("measure", _("A per-unit or per-volume rule needs a measure.")),
    "measure_forbidden": ("measure", _("A minimum rule has no measure.")),
    "equipment_required": ("equipment", _("Choose the equipment kind whose units in service are counted.")),
    "equipment_forbidden": ("equipment", _("An equipment kind goes only with the measure “units in service”.")),
    "per_required": ("per", _("A per-volume rule needs the volume that the amount of FTE covers.")),
    "per_forbidden": ("per", _("Only a per-volume rule has a volume.")),
    "per_shift_forbidden": ("per_shift", _("Only a per-unit rule can be per shift.")),
    "when_pair": ("when_at_least", _("Give both the measure of the condition and its least value, or neither.")),
    "when_measure_equipment": (
        "when_measure",
        _("For equipment, use the condition “equipment in service” instead."),
    ),
}


def rule_problems(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """The problems of a rule's combination of fields, in the active language, keyed by field."""
    kind = values.get("kind")
    measure = values.get("measure") or None
    equipment = values.get("equipment") or None
    codes = []
    if kind in (RuleKind.PER_UNIT, RuleKind.PER_VOLUME) and measure is None:
        codes.append("measure_required")
    if kind == RuleKind.MINIMUM and measure is not None:
        codes.append("measure_forbidden")
    if measure == Measure.EQUIPMENT_IN_SERVICE and equipment is None:
        codes.append("equipment_required")
    if measure != Measure.EQUIPMENT_IN_SERVICE and equipment is not None:
        codes.append("equipment_forbidden")
    if kind == RuleKind.PER_VOLUME and values.get("per") is None:
        codes.append("per_required")
    if kind != RuleKind.PER_VOLUME and values.get("per") is not None:
        codes.append("per_forbidden")
    if kind != RuleKind.PER_UNIT and values.get("per_shift"):
        codes.append("per_shift_forbidden")
    when_measure = values.get("when_measure") or None
    if (when_measure is None) != (values.get("when_at_least") is None):
        codes.append("when_pair")
    if when_measure == Measure.EQUIPMENT_IN_SERVICE:
        codes.append("when_measure_equipment")
    problems: dict[str, list[str]] = {}
    for code in codes:
        field, message = PROBLEMS[code]
        problems.setdefault(field, []).append(str(message))
    return problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """One staffing rule: FTE of ``role`` from a measure of the facility.

    - ``per_unit``: measure x ``amount`` FTE; with ``per_shift``, one ``amount`` on duty per
      unit for all opening hours (x opening hours a week / ``fte_hours_per_week``);
    - ``per_volume``: measure / ``per`` x ``amount`` FTE;
    - ``minimum``: at least ``amount`` FTE, whatever the role's other rules give.

    The rule applies only where its conditions hold (``when_facility_kind``: the facility is
    of that kind; ``when_equipment``: a unit of that kind is in service; ``when_measure``:
    that measure is at least ``when_at_least``).
    """

    code: str = Field(pattern=CODE_PATTERN, max_length=CODE_MAX_LENGTH)
    role: Role
    kind: RuleKind
    label_en: str = Field(min_length=1, max_length=300)
    label_id: str = Field(min_length=1, max_length=300)
    source: str = Field(default="", max_length=300)
    measure: Measure | None = None
    equipment: EquipmentKind | None = None
    amount: Decimal = Field(gt=0, le=AMOUNT_MAX, decimal_places=2)
    per: Decimal | None = Field(default=None, gt=0, decimal_places=2)
    per_shift: bool = False
    when_facility_kind: FacilityKind | None = None
    when_equipment: EquipmentKind | None = None
    when_measure: Measure | None = None
    when_at_least: Decimal | None = Field(default=None, ge=0, decimal_places=2)

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> Rule:
        with translation.override("en"):
            problems = rule_problems(self.model_dump())
        if problems:
            raise ValueError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in problems.items()))
        return self

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en


RULE_FIELDS = tuple(name for name in Rule.model_fields)


class Qualification(_Strict):
    """Who counts as current staff of ``role``: everyone with the role working at the facility
    whom the engine allows every one of ``actions`` and who meets every one of
    ``certifications`` (policy-pack codes). With neither, holding the role is enough."""

    role: Role
    actions: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()


class RuleFile(_Strict):
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    version: str = Field(min_length=1)
    name_en: str
    name_id: str
    sources: tuple[str, ...] = ()
    # Hours a week of one full-time equivalent.
    fte_hours_per_week: Decimal = Field(gt=0, le=80)
    qualifications: tuple[Qualification, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _codes_unique(cls, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        seen: set[str] = set()
        for rule in rules:
            if rule.code in seen:
                raise ValueError(f"duplicate code {rule.code!r}")
            seen.add(rule.code)
        return rules

    @field_validator("qualifications")
    @classmethod
    def _roles_unique(cls, qualifications: tuple[Qualification, ...]) -> tuple[Qualification, ...]:
        seen: set[str] = set()
        for q in qualifications:
            if q.role in seen:
                raise ValueError(f"role {q.role.value!r} qualified twice")
            seen.add(q.role)
        return qualifications

    @model_validator(mode="after")
    def _every_rule_role_is_qualified(self) -> RuleFile:
        qualified = {q.role for q in self.qualifications}
        for rule in self.rules:
            if rule.role not in qualified:
                raise ValueError(f"rule {rule.code!r}: no qualification says who counts as {rule.role.value!r}")
        return self
