"""The career pathway: for each role of the catalogue, what a candidate has and still needs.

One batch for everything on the page: each role's hiring requirements (its staffing
qualification) and the further steps of that role (the pack's certifications and actions for
the role, with only what they add to hiring), all evaluated by ``evaluate_many``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nyeri.candidates.eligibility import (
    Eligibility,
    RequirementSet,
    evaluate_many,
    requirement_set,
    role_catalogue,
    role_requirement_set,
)
from nyeri.candidates.models import CandidateProfile
from nyeri.workforce.engine.decisions import Unmet
from nyeri.workforce.policy.loader import CompiledEntry, pack_for
from nyeri.workforce.policy.schema import RoleRequirement

# Reasons that have an amount to show as a progress bar.
PROGRESS_CODES = frozenset({"hours_short", "training_hours_short", "experience_short"})


@dataclass(frozen=True)
class Step:
    requirements: RequirementSet
    eligibility: Eligibility
    label_en: str
    label_id: str

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en

    @property
    def progress(self) -> list[Unmet]:
        return [u for u in self.eligibility.unmet if u.code in PROGRESS_CODES]

    @property
    def missing(self) -> list[Unmet]:
        return [u for u in self.eligibility.unmet if u.code not in PROGRESS_CODES]


@dataclass(frozen=True)
class RolePathway:
    role: str
    hire: Step
    further: tuple[Step, ...]
    targeted: bool


def _for_role(entry: CompiledEntry, role: str) -> bool:
    roles = [r for r in entry.requirements if isinstance(r, RoleRequirement)]
    return bool(roles) and all(role in r.any_of for r in roles)


def pathway(profile: CandidateProfile, *, at: datetime | None = None) -> list[RolePathway]:
    jurisdiction = profile.jurisdiction
    pack = pack_for(jurisdiction)
    regency_code, regency = profile.preferred_regency_code, profile.preferred_regency
    targets = set(profile.target_roles.values_list("role", flat=True))
    plans: list[tuple[str, RequirementSet, list[tuple[CompiledEntry, RequirementSet]]]] = []
    for role in role_catalogue(jurisdiction):
        hire = role_requirement_set(jurisdiction, role, regency_code=regency_code, regency=regency)
        hire = RequirementSet(
            f"hire:{role}", role, hire.label_en, hire.label_id, hire.requirements, regency_code, regency
        )
        further = []
        for entry in [*pack.certifications.values(), *pack.actions.values()]:
            if not _for_role(entry, role):
                continue
            extra = tuple(
                r for r in entry.requirements if r not in hire.requirements and not isinstance(r, RoleRequirement)
            )
            if not extra:
                continue
            s = requirement_set(f"{role}:{entry.code}", role, [entry], regency_code=regency_code, regency=regency)
            further.append(
                (entry, RequirementSet(s.code, role, entry.label_en, entry.label_id, extra, regency_code, regency))
            )
        plans.append((role, hire, further))
    sets = [s for _role, hire, further in plans for s in (hire, *(f for _e, f in further))]
    batch = evaluate_many([profile.pk], sets, at=at)
    out = []
    for role, hire, further in plans:
        out.append(
            RolePathway(
                role,
                Step(hire, batch.get(profile.pk, hire.code), hire.label_en, hire.label_id),
                tuple(Step(s, batch.get(profile.pk, s.code), e.label_en, e.label_id) for e, s in further),
                role in targets,
            )
        )
    out.sort(key=lambda p: not p.targeted)
    return out
