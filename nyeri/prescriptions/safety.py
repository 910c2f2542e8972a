"""What a prescriber must see before signing: MME per day, totals, and the warnings.

Pure: built from item lines and the patient's other active prescriptions, with the
jurisdiction's rules (policy pack ``[opioids]``). The thresholds are "at or above", as the
CDC guideline words them (>= 50, >= 90 MME/day).

Warning codes (stable, kept on the signed prescription):

- ``mme_warn``: the patient's total reaches the lower threshold;
- ``mme_justify``: it reaches the upper one: a justification is required to sign;
- ``opioid_benzodiazepine``: an opioid and a benzodiazepine on this prescription;
- ``opioid_benzodiazepine_active``: one here, the other on an active prescription;
- ``mme_not_counted``: an opioid without a factor in the table (buprenorphine) is left out.

MME warnings apply to a prescription with an opioid; the benzodiazepine warnings also to a
benzodiazepine prescribed while an opioid is active.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext as _

from nyeri.prescriptions import mme
from nyeri.workforce.policy.schema import Opioids


@dataclass(frozen=True)
class Line:
    """One item as the safety check sees it."""

    label_en: str
    label_id: str
    opioid: bool
    benzodiazepine: bool
    controlled_class: str
    mme_per_day: Decimal | None
    mme_factor: Decimal | None = None
    daily_amount: Decimal | None = None
    strength_unit: str = ""
    medication_code: str = ""

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en


@dataclass(frozen=True)
class ActiveLine(Line):
    """An item of another signed prescription of the patient, active on the day checked."""

    prescription_id: int = 0
    ends_on: date | None = None


def format_number(value: Decimal) -> str:
    """20.00 -> "20", 22.50 -> "22.5" (or "22,5" in Indonesian)."""
    plain = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return formats.number_format(plain, use_l10n=True)


def _language() -> str:
    return "id" if (translation.get_language() or "id").startswith("id") else "en"


@dataclass(frozen=True)
class Warning:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        """The warning in the active language."""
        language = _language()
        p = {
            k: format_number(v) if isinstance(v, Decimal) else (v[language] if isinstance(v, dict) else v)
            for k, v in self.params.items()
        }
        if self.code == "mme_justify":
            return (
                _(
                    "The patient's opioids add up to %(total)s MME/day (this prescription %(this)s, other active "
                    "prescriptions %(others)s): at or above %(threshold)s MME/day a justification must be recorded "
                    "to sign."
                )
                % p
            )
        if self.code == "mme_warn":
            return (
                _(
                    "The patient's opioids add up to %(total)s MME/day (this prescription %(this)s, other active "
                    "prescriptions %(others)s): at or above %(threshold)s MME/day, reassess the benefits and risks."
                )
                % p
            )
        if self.code == "opioid_benzodiazepine":
            return (
                _(
                    "An opioid and a benzodiazepine on one prescription (%(names)s): the combination raises the risk "
                    "of respiratory depression and overdose."
                )
                % p
            )
        if self.code == "opioid_benzodiazepine_active":
            return (
                _(
                    "The patient already has an active prescription of %(names)s: opioids with benzodiazepines raise "
                    "the risk of respiratory depression and overdose."
                )
                % p
            )
        if self.code == "mme_not_counted":
            return _("%(names)s has no factor in the %(table)s table and is not counted in the MME total.") % p
        return self.code


@dataclass(frozen=True)
class SafetyCheck:
    lines: tuple[Line, ...]
    others: tuple[ActiveLine, ...]
    table: str
    warn_at: Decimal
    justify_at: Decimal
    prescription_mme: Decimal
    other_mme: Decimal
    total_mme: Decimal
    has_opioid: bool
    has_benzodiazepine: bool
    controlled: bool
    warnings: tuple[Warning, ...]

    @property
    def justification_required(self) -> bool:
        return any(w.code == "mme_justify" for w in self.warnings)

    @property
    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]


def _names(lines: Sequence[Line]) -> dict[str, str]:
    """The products named in a warning, in both languages (the page picks its own)."""
    names: dict[str, str] = {}
    for language in ("en", "id"):
        seen: list[str] = []
        for line in lines:
            name = line.label(language)
            if name not in seen:
                seen.append(name)
        names[language] = ", ".join(seen)
    return names


def _threshold(value: float) -> Decimal:
    """A pack's threshold as a decimal: 50.0 -> 50, 62.5 -> 62.5."""
    number = Decimal(str(value))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


def assess(lines: Sequence[Line], others: Sequence[ActiveLine], rules: Opioids) -> SafetyCheck:
    """The MME totals and warnings of a prescription of ``lines`` for a patient with ``others`` active."""
    warn_at = _threshold(rules.mme_warn)
    justify_at = _threshold(rules.mme_justify)
    this = mme.total(line.mme_per_day for line in lines if line.opioid)
    other = mme.total(line.mme_per_day for line in others if line.opioid)
    total = mme.total([this, other])
    has_opioid = any(line.opioid for line in lines)
    has_benzo = any(line.benzodiazepine for line in lines)
    warnings: list[Warning] = []
    if has_opioid:
        params = {"total": total, "this": this, "others": other}
        if total >= justify_at:
            warnings.append(Warning("mme_justify", {**params, "threshold": justify_at}))
        elif total >= warn_at:
            warnings.append(Warning("mme_warn", {**params, "threshold": warn_at}))
    if rules.warn_opioid_benzodiazepine:
        if has_opioid and has_benzo:
            both = [line for line in lines if line.opioid or line.benzodiazepine]
            warnings.append(Warning("opioid_benzodiazepine", {"names": _names(both)}))
        else:
            active = [o for o in others if (has_opioid and o.benzodiazepine) or (has_benzo and o.opioid)]
            if active:
                warnings.append(Warning("opioid_benzodiazepine_active", {"names": _names(active)}))
    uncounted = [line for line in [*lines, *others] if line.opioid and line.mme_per_day is None]
    if uncounted and has_opioid:
        warnings.append(Warning("mme_not_counted", {"names": _names(uncounted), "table": rules.mme_table}))
    return SafetyCheck(
        lines=tuple(lines),
        others=tuple(others),
        table=rules.mme_table,
        warn_at=warn_at,
        justify_at=justify_at,
        prescription_mme=this,
        other_mme=other,
        total_mme=total,
        has_opioid=has_opioid,
        has_benzodiazepine=has_benzo,
        controlled=any(line.controlled_class for line in lines),
        warnings=tuple(warnings),
    )
