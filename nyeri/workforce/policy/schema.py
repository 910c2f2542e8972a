"""The policy-pack language: which requirements each action (and certification) has.

A pack is a TOML file per jurisdiction (``packs/<code>.toml``). It is validated with these
models when loaded; a bad file is rejected with the file, the entry and the problem.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CheckKind, CredentialKind, EmployerKind, Specialty


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleRequirement(_Strict):
    """The person holds one of these professional roles."""

    kind: Literal["role"]
    any_of: tuple[Role, ...] = Field(min_length=1)


class CredentialRequirement(_Strict):
    """A verified credential of this kind, valid on the day.

    ``specialty``: one of these specialties (residency, fellowship, board certification).
    ``at_facility``: a practice permit for this very facility, issued by its regency/city.
    """

    kind: Literal["credential"]
    credential: CredentialKind
    specialty: tuple[Specialty, ...] = ()
    at_facility: bool = False

    @model_validator(mode="after")
    def _at_facility_only_for_permits(self) -> CredentialRequirement:
        if self.at_facility and self.credential != CredentialKind.PRACTICE_PERMIT:
            raise ValueError("at_facility applies to practice_permit only")
        return self


class BackgroundCheckRequirement(_Strict):
    """A passed background check (of ``check`` kind, if given), done within ``within_months``."""

    kind: Literal["background_check"]
    check: CheckKind | None = None
    within_months: int = Field(gt=0, le=120)


class HoursRequirement(_Strict):
    """At least ``at_least`` verified hours with pain-clinic patients in the last ``window_months``."""

    kind: Literal["hours"]
    at_least: float = Field(gt=0)
    window_months: int = Field(gt=0, le=120)


class TrainingHoursRequirement(_Strict):
    """At least ``at_least`` hours of verified pain training issued in the last ``window_months``."""

    kind: Literal["training_hours"]
    at_least: float = Field(gt=0)
    window_months: int = Field(gt=0, le=120)


class ExperienceRequirement(_Strict):
    """At least ``at_least_months`` of verified prior work at one of ``employer_kinds``."""

    kind: Literal["experience"]
    at_least_months: int = Field(gt=0)
    employer_kinds: tuple[EmployerKind, ...] = Field(min_length=1)


class PrivilegeRequirement(_Strict):
    """A clinical privilege (``nyeri/workforce/privileges/catalogue``) granted to the person at
    the facility by its director and current on the day. Met without a grant at a facility
    that does not require that privilege (its committee has not adopted it)."""

    kind: Literal["privilege"]
    privilege: str = Field(pattern=r"^[a-z][a-z0-9_]*$")


SimpleRequirement = Annotated[
    RoleRequirement
    | CredentialRequirement
    | BackgroundCheckRequirement
    | HoursRequirement
    | TrainingHoursRequirement
    | ExperienceRequirement,
    Field(discriminator="kind"),
]


class OneOfRequirement(_Strict):
    """Met when any one of ``options`` is met (e.g. a pain fellowship or an anesthesiology residency)."""

    kind: Literal["one_of"]
    options: tuple[SimpleRequirement, ...] = Field(min_length=2)


Requirement = Annotated[
    RoleRequirement
    | CredentialRequirement
    | BackgroundCheckRequirement
    | HoursRequirement
    | TrainingHoursRequirement
    | ExperienceRequirement
    | PrivilegeRequirement
    | OneOfRequirement,
    Field(discriminator="kind"),
]


class UseSet(_Strict):
    """A reference to a named requirement set of the same pack."""

    use: str


class Entry(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*(:[a-z][a-z0-9_]*)?$")
    label_en: str = Field(min_length=1)
    label_id: str = Field(min_length=1)
    source: str = ""
    requires: tuple[Requirement | UseSet, ...] = Field(min_length=1)


class Action(Entry):
    pass


class Certification(Entry):
    pass


class RequirementSet(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    requires: tuple[Requirement, ...] = Field(min_length=1)


class Limits(_Strict):
    # At most this many practice permits (SIP) per person; by role where the law differs.
    max_practice_permits: int = Field(gt=0)
    max_practice_permits_by_role: dict[Role, int] = {}


class Opioids(_Strict):
    """The jurisdiction's opioid-prescribing rules (used by nyeri/prescriptions).

    ``mme_warn``: daily morphine milligram equivalents (the patient's total) at or above
    which the prescriber is warned; ``mme_justify``: at or above which a justification must
    be recorded to sign. ``mme_table``: the conversion-factor table (a table code of the
    medication catalogue) every calculation uses and records.
    """

    mme_warn: float = Field(gt=0)
    mme_justify: float = Field(gt=0)
    mme_table: str = Field(min_length=1)
    # Warn when an opioid and a benzodiazepine are prescribed together (CDC 2022 recommendation 11).
    warn_opioid_benzodiazepine: bool = True
    source: str = ""

    @model_validator(mode="after")
    def _justify_above_warn(self) -> Opioids:
        if self.mme_justify <= self.mme_warn:
            raise ValueError("mme_justify must be greater than mme_warn")
        return self


class PracticeEvaluation(_Strict):
    """When the ongoing professional practice evaluation (OPPE, nyeri/evaluation) flags a
    practitioner for the committee's review. Each threshold is a policy choice of the
    jurisdiction or the facility (``source`` says which); a rate is judged only on at least
    ``min_cases`` cases (procedures, or patients assessed), below which it says too little.
    """

    min_cases: int = Field(gt=0)
    # Flag when more than this percent of the procedures performed had a complication.
    complication_percent_above: float = Field(ge=0, le=100)
    # Flag when fewer than this percent of the patients assessed at 3 months had >= 30 % relief.
    moderate_relief_percent_below: float = Field(ge=0, le=100)
    # Flag when more than this many prescriptions at or above the justification threshold
    # (``[opioids] mme_justify``) were signed without a justification.
    unjustified_high_mme_above: int = Field(ge=0)
    # Flag when the engine refused the practitioner more than this many times in the period.
    engine_refusals_above: int = Field(ge=0)
    # Flag when more than this many emergency accesses were reviewed as not justified.
    break_glass_not_justified_above: int = Field(ge=0)
    # Flag when a rate (complications, high-MME share) is more than this multiple of the
    # median of the practitioner's peers of the same role (with ``min_cases`` each).
    peer_multiple_above: float = Field(gt=1)
    source: str = Field(min_length=1)


class PolicyPack(_Strict):
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    version: str = Field(min_length=1)
    name_en: str
    name_id: str
    sources: tuple[str, ...] = ()
    limits: Limits
    opioids: Opioids
    practice_evaluation: PracticeEvaluation
    requirement_sets: tuple[RequirementSet, ...] = ()
    actions: tuple[Action, ...] = Field(min_length=1)
    certifications: tuple[Certification, ...] = ()

    @field_validator("actions", "certifications")
    @classmethod
    def _codes_unique(cls, entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        seen: set[str] = set()
        for entry in entries:
            if entry.code in seen:
                raise ValueError(f"duplicate code {entry.code!r}")
            seen.add(entry.code)
        return entries

    @model_validator(mode="after")
    def _sets_exist(self) -> PolicyPack:
        names = {s.code for s in self.requirement_sets}
        for entry in (*self.actions, *self.certifications):
            for req in entry.requires:
                if isinstance(req, UseSet) and req.use not in names:
                    raise ValueError(f"{entry.code}: unknown requirement set {req.use!r}")
        return self
