"""Evaluating staffing rules on a facility's facts: required FTE, current FTE, gaps, and why.

Pure functions of a ``FacilityInputs`` (size, opening hours, equipment in service), the
effective rules, and who counts as current staff (decided by the requirements engine
beforehand): no queries, so that a proposed change is evaluated by the same code on a
modified copy of the inputs.

Arithmetic (Decimal, each contribution rounded to 0.01 FTE, half up):

- ``per_unit``: measure x amount; with ``per_shift`` also x coverage, where coverage =
  opening hours a week / ``fte_hours_per_week`` (one person on duty for every opening hour);
- ``per_volume``: measure / per x amount;
- required FTE of a role = the larger of the sum of its per-unit and per-volume rules and
  its largest applicable minimum;
- current FTE of a role = the sum of the shares of the people who count: a person working at
  N facilities of the organization counts 1/N at each (rounded to 0.01);
- gap = required - current (a negative gap is a surplus).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats, translation
from django.utils.translation import gettext as _

from nyeri.facilities.inputs import FacilityInputs
from nyeri.facilities.models import EquipmentKind, EquipmentStatus
from nyeri.staffing.kinds import Measure, RuleKind, measure_value
from nyeri.staffing.loader import EffectiveRule, EffectiveRules
from nyeri.staffing.schema import Rule
from nyeri.tenancy.models import FacilityKind
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.workforce.engine import Unmet

CENT = Decimal("0.01")
ZERO = Decimal(0)


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    """A number as people read it: '2.4' / '2,4', '1', '0.33' (at most 2 decimals, localised)."""
    value = rounded(value)
    if value == value.to_integral_value():
        places = 0
    elif value * 10 == (value * 10).to_integral_value():
        places = 1
    else:
        places = 2
    return formats.number_format(value, decimal_pos=places, use_l10n=True)


def _lang(language: str | None) -> str:
    return language or translation.get_language() or "id"


# --- One rule ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """What one rule adds to a role's requirement at a facility, and how it was computed."""

    effective: EffectiveRule
    applies: bool
    units: Decimal
    fte: Decimal
    # Per shift: opening hours a week and the hours of one FTE.
    opening_hours: Decimal
    fte_hours: Decimal
    # Units of the rule's equipment kind that are not in service: ((status, count), ...).
    not_in_service: tuple[tuple[str, int], ...] = ()
    # Why the rule does not apply: ("facility_kind" | "equipment" | "measure", value).
    not_applied: tuple[str, str] | None = None
    # For a minimum: whether it set the requirement, and what the other rules gave.
    binding: bool = False
    others: Decimal = ZERO

    @property
    def rule(self) -> Rule:
        return self.effective.rule

    @property
    def code(self) -> str:
        return self.effective.rule.code

    def label(self, language: str | None = None) -> str:
        return self.effective.rule.label(_lang(language).split("-")[0])

    def explanation(self, language: str | None = None) -> str:
        """The arithmetic (or why the rule does not apply), in ``language``."""
        with translation.override(_lang(language)):
            return self._explanation()

    def text(self, language: str | None = None) -> str:
        return f"{self.label(language)}: {self.explanation(language)}"

    def _measure_label(self) -> str:
        rule = self.effective.rule
        if rule.measure == Measure.EQUIPMENT_IN_SERVICE and rule.equipment is not None:
            label = _("%(equipment)s in service") % {"equipment": EquipmentKind(rule.equipment).label}
        else:
            label = str(Measure(rule.measure).label) if rule.measure else ""
        return label

    def _units(self) -> str:
        units = fmt(self.units)
        if self.not_in_service:
            states = ", ".join(f"{n} {str(EquipmentStatus(s).label).lower()}" for s, n in self.not_in_service)
            return f"{units} ({states})"
        return units

    def _explanation(self) -> str:
        rule = self.effective.rule
        if not self.applies:
            return _("Does not apply here: %(why)s.") % {"why": self._why_not()}
        if rule.kind == RuleKind.MINIMUM:
            values = {"amount": fmt(rule.amount), "others": fmt(self.others)}
            if self.binding:
                text = _("At least %(amount)s FTE: this minimum sets the requirement (others give %(others)s FTE).")
                return text % values
            return _("At least %(amount)s FTE (the other rules already give %(others)s FTE).") % values
        values = {
            "measure": self._measure_label(),
            "units": self._units(),
            "amount": fmt(rule.amount),
            "fte": fmt(self.fte),
        }
        if rule.kind == RuleKind.PER_VOLUME:
            assert rule.per is not None
            return _("%(measure)s: %(units)s ÷ %(per)s × %(amount)s FTE = %(fte)s FTE.") % {  # noqa: RUF001
                **values,
                "per": fmt(rule.per),
            }
        if rule.per_shift:
            return _(
                "%(measure)s: %(units)s × %(amount)s FTE on duty for %(hours)s opening hours a week "  # noqa: RUF001
                "(%(fte_hours)s hours = 1 FTE) = %(fte)s FTE."
            ) % {**values, "hours": fmt(self.opening_hours), "fte_hours": fmt(self.fte_hours)}
        return _("%(measure)s: %(units)s × %(amount)s FTE = %(fte)s FTE.") % values  # noqa: RUF001

    def _why_not(self) -> str:
        assert self.not_applied is not None
        what, value = self.not_applied
        rule = self.effective.rule
        if what == "facility_kind":
            return _("only for a facility of kind “%(kind)s”") % {"kind": FacilityKind(value).label}
        if what == "equipment":
            return _("no %(equipment)s in service") % {"equipment": EquipmentKind(value).label}
        assert rule.when_measure is not None
        assert rule.when_at_least is not None
        return _("%(measure)s is %(value)s, less than %(least)s") % {
            "measure": Measure(rule.when_measure).label,
            "value": value,
            "least": fmt(rule.when_at_least),
        }


def _not_applied(effective: EffectiveRule, inputs: FacilityInputs) -> tuple[str, str] | None:
    rule = effective.rule
    if rule.when_facility_kind is not None and inputs.facility_kind != rule.when_facility_kind:
        return ("facility_kind", rule.when_facility_kind.value)
    if rule.when_equipment is not None and inputs.units_in_service(rule.when_equipment.value) == 0:
        return ("equipment", rule.when_equipment.value)
    if rule.when_measure is not None and rule.when_at_least is not None:
        value = measure_value(inputs, rule.when_measure.value)
        if value < rule.when_at_least:
            return ("measure", fmt(value))
    return None


def contribution(effective: EffectiveRule, inputs: FacilityInputs, fte_hours: Decimal) -> Contribution:
    """One rule's FTE at a facility (a minimum's binding is settled per role, in ``role_line``)."""
    rule = effective.rule
    hours = inputs.opening_hours_per_week
    why_not = _not_applied(effective, inputs)
    equipment = rule.equipment.value if rule.equipment is not None else None
    others = tuple(sorted(inputs.not_in_service.get(equipment, {}).items())) if equipment else ()
    if rule.kind == RuleKind.MINIMUM:
        return Contribution(
            effective, why_not is None, ZERO, rule.amount if why_not is None else ZERO, hours, fte_hours, (), why_not
        )
    assert rule.measure is not None
    units = measure_value(inputs, rule.measure.value, equipment)
    if why_not is not None:
        return Contribution(effective, False, units, ZERO, hours, fte_hours, others, why_not)
    if rule.kind == RuleKind.PER_VOLUME:
        assert rule.per is not None
        fte = units / rule.per * rule.amount
    else:
        fte = units * rule.amount
        if rule.per_shift:
            fte = fte * hours / fte_hours
    return Contribution(effective, True, units, rounded(fte), hours, fte_hours, others)


# --- Who counts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffMember:
    """Someone working at the facility, in one role: counted as current staff, or why not."""

    person_id: int
    full_name: str
    role: str
    # 1 / the number of facilities of the organization they work at.
    share: Decimal
    facilities: int
    counted: bool
    unmet: tuple[Unmet, ...] = ()

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role

    def reasons(self, language: str | None = None) -> list[str]:
        return [u.message(language) for u in self.unmet]

    def note(self, language: str | None = None) -> str:
        with translation.override(_lang(language)):
            if not self.counted:
                return _("Not counted: %(reasons)s") % {"reasons": " ".join(self.reasons(language))}
            if self.facilities > 1:
                return _("Counts %(share)s FTE here: works at %(count)s facilities.") % {
                    "share": fmt(self.share),
                    "count": self.facilities,
                }
            return _("Counts 1 FTE here.")


@dataclass(frozen=True)
class Staff:
    """Everyone at the facility by role, with whether they count (decided beforehand)."""

    members: tuple[StaffMember, ...]

    def of(self, role: str) -> list[StaffMember]:
        return [m for m in self.members if m.role == role]


# --- A role, a plan -------------------------------------------------------------------------------


class Balance:
    GAP = "gap"
    SURPLUS = "surplus"
    BALANCED = "balanced"


@dataclass(frozen=True)
class RoleLine:
    role: str
    required: Decimal
    current: Decimal
    contributions: tuple[Contribution, ...]
    staff: tuple[StaffMember, ...]

    @property
    def label(self) -> str:
        return str(Role(self.role).label)

    @property
    def gap(self) -> Decimal:
        """Required - current: positive is a gap, negative a surplus."""
        return rounded(self.required - self.current)

    @property
    def balance(self) -> str:
        return Balance.GAP if self.gap > 0 else Balance.SURPLUS if self.gap < 0 else Balance.BALANCED

    @property
    def applied(self) -> list[Contribution]:
        return [c for c in self.contributions if c.applies]

    @property
    def producing(self) -> list[Contribution]:
        """The rules that produced the requirement: the binding minimum, or the additive rules that add FTE."""
        binding = [c for c in self.contributions if c.binding]
        if binding:
            return binding
        return [c for c in self.contributions if c.applies and c.fte > 0 and c.effective.rule.kind != RuleKind.MINIMUM]

    @property
    def not_counted(self) -> list[StaffMember]:
        return [m for m in self.staff if not m.counted]

    def summary(self, language: str | None = None) -> str:
        with translation.override(_lang(language)):
            values = {"required": fmt(self.required), "current": fmt(self.current), "gap": fmt(abs(self.gap))}
            if self.balance == Balance.GAP:
                return _("Required %(required)s FTE, current %(current)s FTE: a gap of %(gap)s FTE.") % values
            if self.balance == Balance.SURPLUS:
                return _("Required %(required)s FTE, current %(current)s FTE: a surplus of %(gap)s FTE.") % values
            return _("Required %(required)s FTE, current %(current)s FTE: balanced.") % values

    def explanation(self, language: str | None = None) -> list[str]:
        """The summary, then each rule with its arithmetic (or why it does not apply)."""
        return [self.summary(language), *(c.text(language) for c in self.contributions)]


def role_line(
    role: str, rules: list[EffectiveRule], inputs: FacilityInputs, fte_hours: Decimal, staff: Staff
) -> RoleLine:
    computed = [contribution(r, inputs, fte_hours) for r in rules]
    additive = sum((c.fte for c in computed if c.effective.rule.kind != RuleKind.MINIMUM), ZERO)
    floors = [c for c in computed if c.effective.rule.kind == RuleKind.MINIMUM and c.applies]
    floor = max((c.fte for c in floors), default=ZERO)
    required = max(additive, floor)
    binding_code = max(floors, key=lambda c: c.fte).code if floors and floor > additive else None
    contributions = tuple(
        Contribution(
            c.effective,
            c.applies,
            c.units,
            c.fte,
            c.opening_hours,
            c.fte_hours,
            c.not_in_service,
            c.not_applied,
            binding=c.code == binding_code,
            others=additive,
        )
        if c.effective.rule.kind == RuleKind.MINIMUM
        else c
        for c in computed
    )
    members = tuple(staff.of(role))
    current = sum((m.share for m in members if m.counted), ZERO)
    return RoleLine(role, rounded(required), rounded(current), contributions, members)


@dataclass(frozen=True)
class Plan:
    inputs: FacilityInputs
    roles: tuple[RoleLine, ...]
    # People in clinical roles that no rule plans for (not a surplus: nothing is required).
    unplanned: tuple[StaffMember, ...]
    fte_hours: Decimal
    rules_label: str

    def role(self, role: str) -> RoleLine | None:
        return next((r for r in self.roles if r.role == role), None)

    @property
    def gaps(self) -> list[RoleLine]:
        return [r for r in self.roles if r.balance == Balance.GAP]

    @property
    def surpluses(self) -> list[RoleLine]:
        return [r for r in self.roles if r.balance == Balance.SURPLUS]

    @property
    def total_gap(self) -> Decimal:
        return sum((r.gap for r in self.gaps), ZERO)


def evaluate_plan(rules: EffectiveRules, inputs: FacilityInputs, staff: Staff) -> Plan:
    """The plan of a facility: each role with a rule, in the order of the role catalogue (no queries)."""
    fte_hours = rules.base.fte_hours_per_week
    planned = set(rules.roles)
    lines = tuple(role_line(r.value, rules.for_role(r.value), inputs, fte_hours, staff) for r in Role if r in planned)
    unplanned = tuple(m for m in staff.members if m.role not in planned and m.role in CLINICAL_ROLES)
    return Plan(inputs, lines, unplanned, fte_hours, rules.label)


@dataclass(frozen=True)
class RoleChange:
    before: RoleLine
    after: RoleLine
    changed_rules: tuple[tuple[Contribution, Contribution], ...] = field(default=())

    @property
    def role(self) -> str:
        return self.before.role

    @property
    def label(self) -> str:
        return self.before.label

    @property
    def changed(self) -> bool:
        return self.before.required != self.after.required

    @property
    def delta(self) -> Decimal:
        return rounded(self.after.required - self.before.required)


def compare(before: Plan, after: Plan) -> tuple[RoleChange, ...]:
    """Role by role, the plan before and after a change, with the rules whose FTE changed."""
    changes = []
    for line in before.roles:
        other = after.role(line.role)
        assert other is not None
        changed = tuple(
            (a, b)
            for a, b in zip(line.contributions, other.contributions, strict=True)
            if (a.fte, a.applies, a.binding, a.units) != (b.fte, b.applies, b.binding, b.units)
        )
        changes.append(RoleChange(line, other, changed))
    return tuple(changes)


def describe_rule(rule: Rule, language: str | None = None) -> str:
    """The rule's terms in words (kind, measure, numbers, conditions), for the rules page and the audit."""
    with translation.override(_lang(language)):
        if rule.measure == Measure.EQUIPMENT_IN_SERVICE and rule.equipment is not None:
            measure = _("%(equipment)s in service") % {"equipment": EquipmentKind(rule.equipment).label}
        else:
            measure = str(Measure(rule.measure).label) if rule.measure else ""
        values = {"measure": measure, "amount": fmt(rule.amount), "per": fmt(rule.per) if rule.per else ""}
        if rule.kind == RuleKind.MINIMUM:
            text = _("At least %(amount)s FTE") % values
        elif rule.kind == RuleKind.PER_VOLUME:
            text = _("%(amount)s FTE per %(per)s of %(measure)s") % values
        elif rule.per_shift:
            text = _("%(amount)s FTE on duty per unit of %(measure)s, every opening hour") % values
        else:
            text = _("%(amount)s FTE per unit of %(measure)s") % values
        conditions = []
        if rule.when_facility_kind is not None:
            conditions.append(
                _("only for a facility of kind “%(kind)s”") % {"kind": FacilityKind(rule.when_facility_kind).label}
            )
        if rule.when_equipment is not None:
            conditions.append(
                _("only with %(equipment)s in service") % {"equipment": EquipmentKind(rule.when_equipment).label}
            )
        if rule.when_measure is not None and rule.when_at_least is not None:
            conditions.append(
                _("only when %(measure)s is at least %(least)s")
                % {"measure": str(Measure(rule.when_measure).label).lower(), "least": fmt(rule.when_at_least)}
            )
        return "; ".join([text, *conditions])
