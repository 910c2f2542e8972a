"""Staffing-rule writes: an organization's own rules (administrators), each audited.

``save_staffing_rule`` replaces a rule of the jurisdiction's file for the organization (same
code), adds one (new code) or switches one off (``is_active=False``);
``reset_staffing_rule`` removes the organization's row, so the file's rule applies again.
Both record the rule before and after, and the reason, in the audit trail.

Every field is validated with a translated message keyed by the field: an unknown role,
kind, measure or equipment kind, a role that the jurisdiction's rules give no
qualification for (nobody could count as its current staff), numbers that are not
positive, fields that do not fit the kind of rule. Nothing is saved on bad input.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.facilities.access import deny
from nyeri.facilities.models import EquipmentKind
from nyeri.lib.services import Errors
from nyeri.staffing.kinds import Measure, RuleKind
from nyeri.staffing.loader import rule_of_row, rules_for
from nyeri.staffing.models import StaffingRule
from nyeri.staffing.schema import AMOUNT_MAX, CODE_MAX_LENGTH, CODE_PATTERN, Rule, rule_problems
from nyeri.staffing.selectors import may_edit_rules
from nyeri.tenancy.models import FacilityKind
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

REASON_MAX_LENGTH: Final = 1000
LABEL_MAX_LENGTH: Final = 300
CHOICES: Final[dict[str, tuple[type[Any], bool]]] = {
    # field: (choices, may be empty)
    "role": (Role, False),
    "kind": (RuleKind, False),
    "measure": (Measure, True),
    "equipment": (EquipmentKind, True),
    "when_facility_kind": (FacilityKind, True),
    "when_equipment": (EquipmentKind, True),
    "when_measure": (Measure, True),
}


def _describe(rule: Rule | None) -> str:
    if rule is None:
        return "none"
    return ", ".join(f"{k}={v}" for k, v in rule.model_dump(mode="json").items() if v not in (None, "", False))


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def _clean(scope: Scope, code: str, values: dict[str, Any]) -> tuple[dict[str, Any], Errors]:
    errors: Errors = {}
    clean: dict[str, Any] = {"code": code}
    if not re.fullmatch(CODE_PATTERN, code) or len(code) > CODE_MAX_LENGTH:
        errors["code"] = [
            _("Use lower-case letters, digits and underscores, starting with a letter (at most %(limit)s).")
            % {"limit": CODE_MAX_LENGTH}
        ]
    for name, (choices, optional) in CHOICES.items():
        value = values.get(name) or ""
        if value == "" and optional:
            clean[name] = ""
        elif value not in choices.values:
            what = {
                "role": _("Unknown role %(value)s."),
                "kind": _("Unknown kind of rule %(value)s: use per_unit, per_volume or minimum."),
                "equipment": _("Unknown equipment kind %(value)s. Known kinds: %(known)s."),
                "when_equipment": _("Unknown equipment kind %(value)s. Known kinds: %(known)s."),
            }.get(name, _("Unknown value %(value)s."))
            errors[name] = [what % {"value": value or "—", "known": ", ".join(choices.values)}]
        else:
            clean[name] = value
    base = rules_for(scope.organization.jurisdiction)
    if "role" not in errors and clean["role"] not in base.qualifications:
        errors["role"] = [
            _(
                "The %(jurisdiction)s staffing rules do not say who counts as current staff in the role "
                "%(role)s, so no rule can be about it."
            )
            % {"jurisdiction": base.jurisdiction, "role": Role(clean["role"]).label}
        ]
    for name, positive, limit in (("amount", True, AMOUNT_MAX), ("per", True, None), ("when_at_least", False, None)):
        try:
            number = _decimal(values.get(name))
        except ValueError:
            errors[name] = [_("Enter a number.")]
            continue
        if number is None:
            if name == "amount":
                errors[name] = [_("Enter the number of FTE.")]
            clean[name] = None
        elif positive and number <= 0:
            errors[name] = [_("Enter a number greater than zero.")]
        elif number < 0:
            errors[name] = [_("Enter a number of zero or more: it cannot be negative.")]
        elif limit is not None and number > limit:
            errors[name] = [_("Enter at most %(limit)s.") % {"limit": limit}]
        elif number != number.quantize(Decimal("0.01")):
            errors[name] = [_("Use at most 2 decimals.")]
        else:
            clean[name] = number
    clean["per_shift"] = bool(values.get("per_shift"))
    clean["is_active"] = bool(values.get("is_active", True))
    for name, message in (
        ("label_en", _("Describe the rule in English.")),
        ("label_id", _("Describe the rule in Bahasa Indonesia.")),
    ):
        text = str(values.get(name) or "").strip()
        if not text:
            errors[name] = [str(message)]
        elif len(text) > LABEL_MAX_LENGTH:
            errors[name] = [_("At most %(limit)s characters.") % {"limit": LABEL_MAX_LENGTH}]
        clean[name] = text
    clean["source"] = str(values.get("source") or "").strip()[:LABEL_MAX_LENGTH]
    if not errors:
        for name, problems in rule_problems(clean).items():
            errors.setdefault(name, []).extend(problems)
    return clean, errors


def save_staffing_rule(*, scope: Scope, acting_user: User, code: str, reason: str, **values: Any) -> StaffingRule:
    """Replace, add or switch off the organization's rule ``code`` (administrators; audited).

    ``values``: role, kind, measure, equipment, amount, per, per_shift, when_facility_kind,
    when_equipment, when_measure, when_at_least, label_en, label_id, source, is_active.
    """
    if not may_edit_rules(scope):
        deny(scope, facility=None, object_type="staffing_rule", object_id=code, reason="edit staffing rule")
    code = (code or "").strip()
    clean, errors = _clean(scope, code, values)
    if not reason.strip():
        errors["reason"] = [_("Give a reason for the change.")]
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = [_("At most %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    base = rules_for(scope.organization.jurisdiction)
    with transaction.atomic():
        row = StaffingRule.objects.select_for_update().filter(organization=scope.organization, code=code).first()
        before = rule_of_row(row) if row is not None else base.rules.get(code)
        was_active = row.is_active if row is not None else code in base.rules
        created = row is None
        if row is None:
            row = StaffingRule(organization=scope.organization, code=code)
        for name, value in clean.items():
            setattr(row, name, value)
        row.updated_by = acting_user
        row.full_clean(exclude=["organization", "updated_by"], validate_unique=False)
        row.save()
        after = rule_of_row(row)
        state = "in use" if row.is_active else "switched off"
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            organization=scope.organization,
            object_type="staffing_rule",
            object_id=code,
            reason=(
                f"{reason.strip()} | before ({'in use' if was_active else 'switched off'}): {_describe(before)}"
                f" | after ({state}): {_describe(after)}"
            ),
        )
    return row


def reset_staffing_rule(*, scope: Scope, acting_user: User, code: str, reason: str) -> None:
    """Remove the organization's rule ``code``: the jurisdiction's rule of that code (if any) applies again."""
    if not may_edit_rules(scope):
        deny(scope, facility=None, object_type="staffing_rule", object_id=code, reason="reset staffing rule")
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason for the change.")]})
    base = rules_for(scope.organization.jurisdiction)
    with transaction.atomic():
        row = StaffingRule.objects.select_for_update().filter(organization=scope.organization, code=code).first()
        if row is None:
            raise ValidationError(
                {"code": [_("The organization has no rule of its own with the code %(code)s.") % {"code": code}]}
            )
        before = rule_of_row(row)
        row.delete()
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            object_type="staffing_rule",
            object_id=code,
            reason=(
                f"{reason.strip()} | reset; before ({'in use' if row.is_active else 'switched off'}): "
                f"{_describe(before)} | after: {_describe(base.rules.get(code))}"
            ),
        )
