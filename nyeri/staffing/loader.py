"""Loading the staffing-rule files, and an organization's effective rules.

The file of the organization's jurisdiction (``files/<JURISDICTION>.toml``) gives the
rules; the organization's own rows (``StaffingRule``) replace a rule of the same code, add
a rule with a new code, or switch a rule off (``is_active`` false). A file that does not
validate is refused naming the file, the entry and the field (and stops a deploy: a system
check), so is a qualification naming an action or certification its policy pack lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nyeri.lib.toml import read_toml
from nyeri.staffing.models import StaffingRule
from nyeri.staffing.schema import RULE_FIELDS, Qualification, Rule, RuleFile
from nyeri.tenancy.models import Organization
from nyeri.workforce.policy.loader import PolicyPackError, pack_for

FILES_DIR = Path(__file__).resolve().parent / "files"


class RuleFileError(ValueError):
    """A staffing-rule file that cannot be used; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class CompiledRules:
    file: RuleFile
    path: Path
    rules: dict[str, Rule]
    qualifications: dict[str, Qualification]

    @property
    def jurisdiction(self) -> str:
        return self.file.jurisdiction

    @property
    def version(self) -> str:
        return self.file.version

    @property
    def label(self) -> str:
        return f"{self.file.jurisdiction}@{self.file.version}"

    @property
    def fte_hours_per_week(self) -> Decimal:
        return self.file.fte_hours_per_week


def _where(raw: dict[str, Any], loc: tuple[int | str, ...]) -> tuple[str, str]:
    """('rules[3] (nurse_per_visits)', 'role') for an error inside that entry."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(raw.get(str(loc[0])), list):
        items = raw[str(loc[0])]
        entry = items[loc[1]] if loc[1] < len(items) else {}
        name = (entry.get("code") or entry.get("role") or "?") if isinstance(entry, dict) else "?"
        return f"{loc[0]}[{loc[1]}] ({name})", ".".join(str(p) for p in loc[2:])
    return (str(loc[0]) if loc else "(file)"), ".".join(str(p) for p in loc[1:])


def load_rule_file(path: Path) -> CompiledRules:
    raw = read_toml(path, RuleFileError)
    try:
        data = RuleFile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            entry, field = _where(raw, tuple(err["loc"]))
            problems.append(f"{path.name}: {entry}{(' ' + field) if field else ''}: {err['msg']}")
        raise RuleFileError("\n".join(problems)) from exc
    if path.stem.upper() != data.jurisdiction:
        raise RuleFileError(f"{path.name}: jurisdiction {data.jurisdiction!r} does not match the file name")
    try:
        pack = pack_for(data.jurisdiction)
    except PolicyPackError as exc:
        raise RuleFileError(f"{path.name}: {exc}") from exc
    problems = []
    for n, q in enumerate(data.qualifications):
        where = f"{path.name}: qualifications[{n}] ({q.role.value})"
        problems += [
            f"{where} actions: unknown action {a!r} in the {pack.jurisdiction} policy pack"
            for a in q.actions
            if a not in pack.actions
        ]
        problems += [
            f"{where} certifications: unknown certification {c!r} in the {pack.jurisdiction} policy pack"
            for c in q.certifications
            if c not in pack.certifications
        ]
    if problems:
        raise RuleFileError("\n".join(problems))
    return CompiledRules(data, path, {r.code: r for r in data.rules}, {q.role.value: q for q in data.qualifications})


@cache
def all_rule_files() -> dict[str, CompiledRules]:
    files = [load_rule_file(p) for p in sorted(FILES_DIR.glob("*.toml"))]
    return {f.jurisdiction: f for f in files}


def rules_for(jurisdiction: str) -> CompiledRules:
    try:
        return all_rule_files()[jurisdiction]
    except KeyError:
        raise RuleFileError(f"no staffing rules for jurisdiction {jurisdiction!r}") from None


# --- An organization's effective rules -----------------------------------------------------


class Origin:
    FILE = "file"
    ORGANIZATION = "organization"


@dataclass(frozen=True)
class EffectiveRule:
    rule: Rule
    # "file": the jurisdiction's rule as shipped; "organization": the organization's own
    # (replacing the file's rule of the same code, or a new one).
    origin: str
    replaces_file_rule: bool = False

    @property
    def code(self) -> str:
        return self.rule.code


@dataclass(frozen=True)
class EffectiveRules:
    base: CompiledRules
    rules: tuple[EffectiveRule, ...]
    # The file's rules the organization switched off, and its rows (active or not) by code.
    switched_off: tuple[Rule, ...]
    rows: dict[str, StaffingRule]

    @property
    def label(self) -> str:
        own = f" + {len(self.rows)} of the organization" if self.rows else ""
        return f"{self.base.label}{own}"

    def for_role(self, role: str) -> list[EffectiveRule]:
        return [r for r in self.rules if r.rule.role == role]

    @property
    def roles(self) -> list[str]:
        return list(dict.fromkeys(r.rule.role.value for r in self.rules))


def rule_of_row(row: StaffingRule) -> Rule:
    """The ``Rule`` an organization's row stands for (validated like a file's rule)."""
    values: dict[str, Any] = {}
    for name in RULE_FIELDS:
        value = getattr(row, name)
        values[name] = None if value == "" and name not in ("source",) else value
    return Rule.model_validate(values)


def effective_rules(organization: Organization) -> EffectiveRules:
    """The jurisdiction's rules with the organization's own applied (1 query)."""
    base = rules_for(organization.jurisdiction)
    rows = {r.code: r for r in StaffingRule.objects.filter(organization=organization).order_by("code")}
    rules: list[EffectiveRule] = []
    switched_off: list[Rule] = []
    for code, rule in base.rules.items():
        row = rows.get(code)
        if row is None:
            rules.append(EffectiveRule(rule, Origin.FILE))
        elif row.is_active:
            rules.append(EffectiveRule(rule_of_row(row), Origin.ORGANIZATION, replaces_file_rule=True))
        else:
            switched_off.append(rule)
    for code, row in rows.items():
        if code not in base.rules and row.is_active:
            rules.append(EffectiveRule(rule_of_row(row), Origin.ORGANIZATION))
    return EffectiveRules(base, tuple(rules), tuple(switched_off), rows)
