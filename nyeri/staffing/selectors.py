"""Reads about staffing: a facility's plan, a preview of a change, the rules in force.

Who reads what:

- the staffing plan and its preview: administrators and credentialing officers (the plan
  names people and why they do not count: workforce data); others are refused (403,
  audited); another organization's facility is 404;
- the rules page: administrators.

A plan takes a fixed number of queries whatever the number of people (the engine decides
everyone at the facility in one batch); reading it is audited like a staff list (a SEARCH
of people). A preview writes nothing at all: not the change, not an audit row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.facilities.access import deny
from nyeri.facilities.catalogue import service_catalogue
from nyeri.facilities.inputs import FacilityInputs, load_inputs
from nyeri.facilities.models import SIZE_FIELDS, EquipmentKind, FacilityProfile
from nyeri.facilities.offered import StaffFacts, evaluate_services, load_staff_facts, people_at
from nyeri.facilities.services import SIZE_LIMITS
from nyeri.lib.panels import Panel, Tally
from nyeri.staffing.evaluate import Plan, RoleChange, Staff, StaffMember, compare, evaluate_plan, rounded
from nyeri.staffing.loader import CompiledRules, EffectiveRules, Origin, effective_rules
from nyeri.staffing.models import StaffingRule
from nyeri.staffing.schema import Rule
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.engine import Unmet
from nyeri.workforce.engine.evaluate import Place, compile_requirement
from nyeri.workforce.engine.facts import load_facts
from nyeri.workforce.policy.loader import CompiledPack, pack_for
from nyeri.workforce.policy.schema import HoursRequirement

PLAN_READERS = (Role.ADMINISTRATOR, Role.CREDENTIALING_OFFICER, Role.FACILITY_MANAGER)
RULE_EDITORS = (Role.ADMINISTRATOR,)
# The largest number of units a preview may add of one kind.
MAX_UNITS_ADDED = 20


def language() -> str:
    return (translation.get_language() or "id").split("-")[0]


def may_read_plan(scope: Scope) -> bool:
    return scope.has_role(*PLAN_READERS)


def may_edit_rules(scope: Scope) -> bool:
    return scope.has_role(*RULE_EDITORS)


def access_plan_facility(scope: Scope, facility_id: int) -> Facility:
    """A facility of the scope whose plan the user may read (404 elsewhere, 403 audited if not a reader)."""
    facility = access_facility(scope, facility_id)
    if not may_read_plan(scope):
        deny(scope, facility=facility, object_type="staffing_plan", object_id=facility.pk, reason="staffing plan")
    return facility


# --- Who counts as current staff --------------------------------------------------------------


def qualification_actions(rules: CompiledRules) -> list[str]:
    return list(dict.fromkeys(a for q in rules.qualifications.values() for a in q.actions))


def _certification_outcomes(
    facility: Facility, rules: CompiledRules, pack: CompiledPack, moment: datetime, roles: Mapping[int, frozenset[str]]
) -> dict[tuple[int, str], tuple[Unmet, ...]]:
    """(person, certification) -> unmet, for the certifications a qualification of a role present asks for.

    The engine's facts and compiled requirements, in bulk (4 or 5 queries), or none at all
    when nobody here holds such a role.
    """
    present = {r for held in roles.values() for r in held}
    codes = list(
        dict.fromkeys(c for role, q in rules.qualifications.items() if role in present for c in q.certifications)
    )
    if not codes:
        return {}
    today = local_date(facility, moment)
    entries = [pack.certifications[c] for c in codes]
    windows = {r.window_months for e in entries for r in e.requirements if isinstance(r, HoursRequirement)}
    facts = load_facts(people_at(facility), today=today, hour_windows=windows)
    place = Place(facility.pk, facility.regency_code, facility.regency)
    checks = {c: [compile_requirement(r, today, place) for r in pack.certifications[c].requirements] for c in codes}
    outcomes: dict[tuple[int, str], tuple[Unmet, ...]] = {}
    for pid, f in facts.items():
        for code, compiled in checks.items():
            outcomes[(pid, code)] = tuple(u for u, _relied in (check(f) for check in compiled) if u is not None)
    return outcomes


def _unique(unmet: list[Unmet]) -> tuple[Unmet, ...]:
    seen: set[tuple[str, str]] = set()
    out = []
    for u in unmet:
        key = (u.code, repr(sorted(u.params.items())))
        if key not in seen:
            seen.add(key)
            out.append(u)
    return tuple(out)


def build_staff(
    facts: StaffFacts, rules: CompiledRules, certifications: Mapping[tuple[int, str], tuple[Unmet, ...]]
) -> Staff:
    """Each person at the facility in each of their clinical (or planned) roles, counted or not, and why."""
    members = []
    for pid, full_name in facts.names.items():
        n = max(facts.facility_counts.get(pid, 1), 1)
        share = rounded(1 / Decimal(n))
        for role in sorted(facts.roles.get(pid, frozenset()), key=_role_order):
            qualification = rules.qualifications.get(role)
            if qualification is None and role not in CLINICAL_ROLES:
                continue
            unmet: list[Unmet] = []
            if qualification is not None:
                for action in qualification.actions:
                    unmet.extend(facts.decisions[(pid, action)].unmet)
                for code in qualification.certifications:
                    unmet.extend(certifications.get((pid, code), ()))
            members.append(StaffMember(pid, full_name, role, share, n, not unmet, _unique(unmet)))
    return Staff(tuple(members))


def _role_order(role: str) -> int:
    return Role.values.index(role) if role in Role.values else len(Role.values)


def _load(
    facility: Facility, rules: EffectiveRules, *, at: datetime, extra_actions: tuple[str, ...] = ()
) -> tuple[Staff, StaffFacts, FacilityInputs]:
    base = rules.base
    pack = pack_for(base.jurisdiction)
    facts = load_staff_facts(
        facility, [*qualification_actions(base), *extra_actions], jurisdiction=base.jurisdiction, at=at
    )
    certifications = _certification_outcomes(facility, base, pack, at, facts.roles)
    return build_staff(facts, base, certifications), facts, load_inputs(facility)


# --- The plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualificationNote:
    role: str
    text: str

    @property
    def label(self) -> str:
        return str(Role(self.role).label)


def qualification_notes(rules: CompiledRules, roles: list[str], lang: str) -> list[QualificationNote]:
    """For each role: who counts as current staff, in words (the pack's labels of the actions)."""
    pack = pack_for(rules.jurisdiction)
    notes = []
    for role in roles:
        q = rules.qualifications.get(role)
        labels = (
            []
            if q is None
            else [
                *(pack.actions[a].label(lang) for a in q.actions),
                *(pack.certifications[c].label(lang) for c in q.certifications),
            ]
        )
        if labels:
            text = _("Counted when verified and allowed now: %(what)s.") % {"what": "; ".join(labels)}
        else:
            text = _("The policy pack sets no privilege for this role: everyone holding it here counts.")
        notes.append(QualificationNote(role, text))
    return notes


@dataclass(frozen=True)
class FacilityPlan:
    facility: Facility
    plan: Plan
    at: datetime
    qualifications: tuple[QualificationNote, ...]


def staffing_plan(scope: Scope, facility: Facility, *, at: datetime | None = None) -> FacilityPlan:
    """Required against current FTE per role at ``facility``, with the rules and people behind it.

    Audited as a SEARCH of people (it names who does not count and why). About 15
    queries whatever the number of people.
    """
    moment = at or timezone.now()
    rules = effective_rules(scope.organization)
    staff, facts, inputs = _load(facility, rules, at=moment)
    plan = evaluate_plan(rules, inputs, staff)
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.SEARCH,
            organization=scope.organization,
            facility=facility,
            object_type="person",
            reason=f"staffing plan: {len(facts.names)} people, rules {rules.label}",
        )
    notes = qualification_notes(rules.base, [r.role for r in plan.roles], language())
    return FacilityPlan(facility, plan, moment, tuple(notes))


# --- A preview of a change ------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A change to evaluate before it is made: units added (negative: taken out of service) and new sizes."""

    equipment_added: Mapping[str, int]
    sizes: Mapping[str, int]

    @property
    def is_empty(self) -> bool:
        return not any(self.equipment_added.values()) and not self.sizes

    def describe(self, inputs: FacilityInputs, language: str | None = None) -> list[str]:
        with translation.override(language or translation.get_language() or "id"):
            lines = []
            for kind, n in self.equipment_added.items():
                if n > 0:
                    lines.append(
                        ngettext("Add %(count)s unit: %(kind)s", "Add %(count)s units: %(kind)s", n)
                        % {"count": n, "kind": EquipmentKind(kind).label}
                    )
                elif n < 0:
                    lines.append(
                        ngettext(
                            "Take %(count)s unit out of service: %(kind)s",
                            "Take %(count)s units out of service: %(kind)s",
                            -n,
                        )
                        % {"count": -n, "kind": EquipmentKind(kind).label}
                    )
            for name, value in self.sizes.items():
                if getattr(inputs, name) != value:
                    lines.append(
                        _("%(what)s: %(before)s → %(after)s")
                        % {"what": size_label(name), "before": getattr(inputs, name), "after": value}
                    )
            return lines


def size_label(name: str) -> str:
    """'Procedure rooms': the profile field's name, in the active language."""
    field = FacilityProfile._meta.get_field(name)
    assert isinstance(field, Field)
    return capfirst(str(field.verbose_name))


def proposal_problems(proposal: Proposal, inputs: FacilityInputs) -> dict[str, list[str]]:
    """What is wrong with a proposal, keyed by field (``add_<kind>`` or a size), translated."""
    errors: dict[str, list[str]] = {}
    for kind, n in proposal.equipment_added.items():
        field = f"add_{kind}"
        if kind not in EquipmentKind.values:
            errors[field] = [_("Unknown equipment kind %(kind)s.") % {"kind": kind}]
        elif n > MAX_UNITS_ADDED:
            errors[field] = [_("Enter at most %(limit)s.") % {"limit": MAX_UNITS_ADDED}]
        elif n < -inputs.units_in_service(kind):
            errors[field] = [
                _("Only %(count)s in service: at most %(count)s can be taken out of service.")
                % {"count": inputs.units_in_service(kind)}
            ]
    for name, value in proposal.sizes.items():
        if name not in SIZE_FIELDS:
            errors[name] = [_("Unknown field.")]
        elif value < 0:
            errors[name] = [_("Enter a number of zero or more: it cannot be negative.")]
        elif value > SIZE_LIMITS[name]:
            errors[name] = [_("Enter at most %(limit)s.") % {"limit": SIZE_LIMITS[name]}]
    rooms = proposal.sizes.get("procedure_rooms", inputs.procedure_rooms)
    sedation = proposal.sizes.get("sedation_room_days_per_week", inputs.sedation_room_days_per_week)
    if not errors and sedation > rooms * 7:
        errors["sedation_room_days_per_week"] = [
            _("At most %(limit)s: each procedure room can be used for sedation at most 7 days a week.")
            % {"limit": rooms * 7}
        ]
    return errors


@dataclass(frozen=True)
class ServiceChange:
    code: str
    label: str
    before: bool
    after: bool

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class PlanPreview:
    facility: Facility
    proposal: Proposal
    changes: tuple[str, ...]
    before: Plan
    after: Plan
    roles: tuple[RoleChange, ...]
    services: tuple[ServiceChange, ...]
    at: datetime

    @property
    def changed_roles(self) -> list[RoleChange]:
        return [r for r in self.roles if r.changed]

    @property
    def changed_services(self) -> list[ServiceChange]:
        return [s for s in self.services if s.changed]


def preview_plan(scope: Scope, facility: Facility, proposal: Proposal, *, at: datetime | None = None) -> PlanPreview:
    """The plan (and the services offered) now and after ``proposal``, side by side. Writes nothing.

    A bad proposal (a negative size, more units taken out than are in service) raises a
    ValidationError keyed by field.
    """
    moment = at or timezone.now()
    rules = effective_rules(scope.organization)
    catalogue = service_catalogue()
    staff, facts, inputs = _load(facility, rules, at=moment, extra_actions=catalogue.actions)
    errors = proposal_problems(proposal, inputs)
    if errors:
        raise ValidationError(errors)
    changed = inputs.with_changes(equipment_added=dict(proposal.equipment_added), **dict(proposal.sizes))
    before, after = evaluate_plan(rules, inputs, staff), evaluate_plan(rules, changed, staff)
    pack = pack_for(rules.base.jurisdiction)
    lang = language()
    services = tuple(
        ServiceChange(a.code, a.label(lang), a.offered, b.offered)
        for a, b in zip(
            evaluate_services(catalogue, inputs, facts, pack),
            evaluate_services(catalogue, changed, facts, pack),
            strict=True,
        )
    )
    return PlanPreview(
        facility,
        proposal,
        tuple(proposal.describe(inputs)),
        before,
        after,
        compare(before, after),
        services,
        moment,
    )


# --- The rules in force ------------------------------------------------------------------------------


class RuleState:
    FILE = "file"
    REPLACED = "replaced"
    ADDED = "added"
    SWITCHED_OFF = "switched_off"


@dataclass(frozen=True)
class RuleRow:
    rule: Rule
    state: str
    # The jurisdiction's rule of the same code, if any.
    file_rule: Rule | None
    row: StaffingRule | None

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def role_label(self) -> str:
        return str(Role(self.rule.role).label)

    def label(self, language: str) -> str:
        return self.rule.label(language)


@dataclass(frozen=True)
class RulesOverview:
    rules: EffectiveRules
    rows: tuple[RuleRow, ...]
    qualifications: tuple[QualificationNote, ...]

    @property
    def base(self) -> CompiledRules:
        return self.rules.base


def rules_overview(scope: Scope) -> RulesOverview:
    """Every rule of the organization: the jurisdiction's, replaced, added or switched off (administrators)."""
    if not may_edit_rules(scope):
        deny(scope, facility=None, object_type="staffing_rule", object_id="", reason="staffing rules")
    rules = effective_rules(scope.organization)
    base = rules.base
    rows = []
    for effective in rules.rules:
        code = effective.code
        if effective.origin == Origin.FILE:
            rows.append(RuleRow(effective.rule, RuleState.FILE, effective.rule, None))
        else:
            state = RuleState.REPLACED if effective.replaces_file_rule else RuleState.ADDED
            rows.append(RuleRow(effective.rule, state, base.rules.get(code), rules.rows[code]))
    rows += [RuleRow(r, RuleState.SWITCHED_OFF, r, rules.rows[r.code]) for r in rules.switched_off]
    rows.sort(key=lambda r: (_role_order(r.rule.role.value), r.code))
    roles = list(dict.fromkeys(r.rule.role.value for r in rows))
    roles += [r for r in base.qualifications if r not in roles]
    return RulesOverview(rules, tuple(rows), tuple(qualification_notes(base, roles, language())))


# --- The facility manager's home ------------------------------------------------------------


@dataclass(frozen=True)
class GapRow:
    label: str
    # Whole people: a posting hires people, not fractions of a full-time equivalent.
    people: int
    hours_per_week: int


def whole_people(fte: Decimal) -> int:
    """The people a gap of ``fte`` full-time equivalents needs (0.2 FTE still needs one)."""
    return max(int(fte.to_integral_value(rounding=ROUND_CEILING)), 0)


def gap_hours(fte: Decimal, fte_hours: Decimal) -> int:
    """The gap in working hours per week, rounded up to a whole hour."""
    return max(int((fte * fte_hours).to_integral_value(rounding=ROUND_CEILING)), 0)


def home_panel(scope: Scope, facility: Facility) -> Panel | None:
    """The facility manager's staffing gaps at ``facility``, from its staffing plan (the
    plan's fixed number of queries and its audit row)."""
    if not scope.has_role(Role.FACILITY_MANAGER):
        return None
    plan = staffing_plan(scope, facility).plan
    rows = tuple(GapRow(line.label, whole_people(line.gap), gap_hours(line.gap, plan.fte_hours)) for line in plan.gaps)
    url = reverse("staffing:plan", args=[facility.pk])
    return Panel(
        title=_("Staffing"),
        counts=(Tally(_("Roles short of staff"), len(rows), url, urgent=True),),
        rows=rows,
        url=url,
    )
