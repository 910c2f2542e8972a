"""A posting's requirement rows: checking them, describing them in words, mapping them to the engine.

A row (``RequirementInput`` before it is saved, ``JobRequirement`` after) names one thing
the requirements engine evaluates; see ``models.JobRequirement``. ``requirement_problems``
checks a row against the organization's policy pack (unknown action or certification
code, a credential kind or specialty outside the catalogue, experience without months or
employer kinds) and returns translated messages keyed by field. ``describe`` says the row in
words in the given language; ``engine_requirements`` gives the engine's requirement objects
(to be evaluated with the posting's facility as the place).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Protocol

from django.utils import translation
from django.utils.translation import gettext as _

from nyeri.jobs.models import Importance, RequirementKind
from nyeri.lib.services import Errors, add_error
from nyeri.workforce.kinds import CredentialKind, EmployerKind, Specialty
from nyeri.workforce.policy.loader import CompiledPack
from nyeri.workforce.policy.schema import CredentialRequirement, ExperienceRequirement, Requirement


class RequirementLike(Protocol):
    """A saved ``JobRequirement`` or an unsaved ``RequirementInput``."""

    @property
    def kind(self) -> str: ...
    @property
    def importance(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def credential_kind(self) -> str: ...
    @property
    def specialty(self) -> str: ...
    @property
    def months(self) -> int | None: ...

    @property
    def employer_kinds(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class RequirementInput:
    """A requirement row before it is saved (from a form, the API or a defaults file)."""

    kind: str
    importance: str = Importance.REQUIRED
    code: str = ""
    credential_kind: str = ""
    specialty: str = ""
    months: int | None = None
    employer_kinds: tuple[str, ...] = ()

    def model_fields(self) -> dict[str, object]:
        kinds = set(self.employer_kinds)
        return {
            "kind": self.kind,
            "importance": self.importance,
            "code": self.code,
            "credential_kind": self.credential_kind,
            "specialty": self.specialty,
            "months": self.months,
            "at_hospital": EmployerKind.HOSPITAL in kinds,
            "at_general_clinic": EmployerKind.GENERAL_CLINIC in kinds,
            "at_pain_clinic": EmployerKind.PAIN_CLINIC in kinds,
        }


def requirement_problems(row: RequirementLike, pack: CompiledPack) -> dict[str, list[str]]:
    """The row's problems in the active language, keyed by the field to blame ({} when fine)."""
    errors: Errors = {}
    add = partial(add_error, errors)

    if row.kind not in RequirementKind.values:
        add("kind", _("Unknown requirement kind “%(kind)s”.") % {"kind": row.kind})
        return errors
    if row.importance not in Importance.values:
        add("importance", _("Choose required or preferred."))
    if row.kind == RequirementKind.ACTION:
        if row.code not in pack.actions:
            add("code", _("Unknown action “%(code)s” in the policy pack %(pack)s.") % _pack(row.code, pack))
    elif row.kind == RequirementKind.CERTIFICATION:
        if row.code not in pack.certifications:
            add("code", _("Unknown certification “%(code)s” in the policy pack %(pack)s.") % _pack(row.code, pack))
    elif row.kind == RequirementKind.CREDENTIAL:
        if row.credential_kind not in CredentialKind.values:
            add("credential_kind", _("Choose a credential kind."))
        if row.specialty and row.specialty not in Specialty.values:
            add("specialty", _("Unknown specialty “%(specialty)s”.") % {"specialty": row.specialty})
    else:
        if row.months is None or row.months <= 0 or row.months > 600:
            add("months", _("Give the months of experience, from 1 to 600."))
        kinds = row.employer_kinds
        if not kinds or any(k not in EmployerKind.values for k in kinds):
            add("employer_kinds", _("Choose at least one kind of employer."))
    return errors


def _pack(code: str, pack: CompiledPack) -> dict[str, str]:
    return {"code": code, "pack": f"{pack.jurisdiction}@{pack.version}"}


def describe(row: RequirementLike, pack: CompiledPack, language: str | None = None) -> str:
    """The row in words, e.g. 'At least 12 months of work experience at a hospital or a general clinic'."""
    lang = (language or translation.get_language() or "id").split("-")[0]
    with translation.override(lang):
        text = _describe(row, pack, lang)
        if row.importance == Importance.PREFERRED:
            return _("%(requirement)s (preferred)") % {"requirement": text}
        return text


def _describe(row: RequirementLike, pack: CompiledPack, lang: str) -> str:
    if row.kind == RequirementKind.ACTION:
        entry = pack.actions.get(row.code)
        label = entry.label(lang) if entry else row.code
        return _("Allowed at this facility to: %(action)s (licence valid in the facility's region)") % {"action": label}
    if row.kind == RequirementKind.CERTIFICATION:
        entry = pack.certifications.get(row.code)
        return _("Certification: %(certification)s") % {"certification": entry.label(lang) if entry else row.code}
    if row.kind == RequirementKind.CREDENTIAL:
        kind = str(CredentialKind(row.credential_kind).label) if row.credential_kind in CredentialKind.values else ""
        if row.specialty in Specialty.values:
            return _("%(credential)s in %(specialty)s") % {
                "credential": kind,
                "specialty": str(Specialty(row.specialty).label),
            }
        return kind
    kinds = [str(EmployerKind(k).label).lower() for k in row.employer_kinds if k in EmployerKind.values]
    where = kinds[0] if len(kinds) == 1 else ""
    if len(kinds) > 1:
        where = _("%(some)s or %(last)s") % {"some": ", ".join(kinds[:-1]), "last": kinds[-1]}
    return _("At least %(months)s months of work experience at: %(where)s") % {"months": row.months, "where": where}


def engine_requirements(row: RequirementLike, pack: CompiledPack) -> tuple[Requirement, ...]:
    """What the engine evaluates for the row (evaluate with the posting's facility as the place)."""
    if row.kind == RequirementKind.ACTION:
        return pack.actions[row.code].requirements
    if row.kind == RequirementKind.CERTIFICATION:
        return pack.certifications[row.code].requirements
    if row.kind == RequirementKind.CREDENTIAL:
        specialty = (Specialty(row.specialty),) if row.specialty else ()
        return (
            CredentialRequirement(
                kind="credential", credential=CredentialKind(row.credential_kind), specialty=specialty
            ),
        )
    return (
        ExperienceRequirement(
            kind="experience",
            at_least_months=row.months or 0,
            employer_kinds=tuple(EmployerKind(k) for k in row.employer_kinds),
        ),
    )
