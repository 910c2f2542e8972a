"""Is a candidate eligible for a role here, on what they declare, and if not, what is missing?

The rules are the requirements engine's (``nyeri/workforce/engine``): a requirement set is a
list of the policy pack's requirements (the actions and certifications of a role's staffing
qualification, or of a posting), evaluated by the engine's own compiled checks against facts
built from the candidate's *declared* roles (the roles they look for and say they can hold),
credentials, experience and hours, taken as if true (verification comes at hiring). Two
things differ from a staff member's decision:

- a set is for one role: its first requirement is that role (the pack's wider role
  requirements that include it, "a physician or a nurse", are replaced by it), so that a
  nurse's STR does not make them eligible as a pain physician;
- a practice permit (SIP) "for this facility" cannot exist before hiring: it is reported as
  ``permit_after_hiring`` in ``after_hiring``, never blocking.

``evaluate_many`` evaluates thousands of candidates against hundreds of sets in one batch: 3
queries per 5,000 candidate ids (a queryset: 4 whatever its size), each distinct requirement
evaluated once per candidate, sets with the same requirements sharing one outcome.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Case, DecimalField, QuerySet, Sum, When
from django.utils import timezone, translation

from nyeri.candidates.models import CandidateCredential, CandidateHours, CandidateProfile, CandidateTargetRole
from nyeri.staffing.loader import rules_for
from nyeri.tenancy.roles import Role
from nyeri.workforce.engine.decisions import Unmet
from nyeri.workforce.engine.evaluate import Check, _gc_paused, compile_requirement
from nyeri.workforce.engine.facts import CHUNK, CredentialFact, PersonFacts
from nyeri.workforce.engine.periods import months_before
from nyeri.workforce.kinds import CheckResult, CredentialStatus
from nyeri.workforce.policy.loader import CompiledEntry, pack_for
from nyeri.workforce.policy.schema import (
    CredentialRequirement,
    HoursRequirement,
    OneOfRequirement,
    Requirement,
    RoleRequirement,
)

# A declaration is evaluated as if it were true: the engine's "verified", a "passed" check.
DECLARED = CredentialStatus.VERIFIED.value
DECLARED_CHECK = CheckResult.PASSED.value

Candidates = QuerySet[CandidateProfile] | Iterable[int]


@dataclass(frozen=True)
class RequirementSet:
    """What a role (or a posting) needs, in the engine's language, in one region."""

    code: str
    role: str
    label_en: str
    label_id: str
    requirements: tuple[Requirement, ...]
    regency_code: str = ""
    regency: str = ""

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en


class Eligibility(NamedTuple):
    candidate_id: int
    set_code: str
    eligible: bool
    # Every requirement not met (blocking), in the order of the set's requirements.
    unmet: tuple[Unmet, ...]
    # What is needed once hired (a SIP for the place): shown, never blocking.
    after_hiring: tuple[Unmet, ...]

    def reasons(self, language: str | None = None) -> list[str]:
        return [u.message(language) for u in self.unmet]


def dedupe(requirements: Iterable[Requirement]) -> tuple[Requirement, ...]:
    seen: dict[Requirement, None] = {}
    for req in requirements:
        seen.setdefault(req, None)
    return tuple(seen)


def requirement_set(
    code: str,
    role: str,
    entries: Sequence[CompiledEntry],
    *,
    regency_code: str = "",
    regency: str = "",
    label_en: str = "",
    label_id: str = "",
) -> RequirementSet:
    """A set from pack entries (actions and certifications); equal requirements count once."""
    return role_set(
        code,
        role,
        [req for entry in entries for req in entry.requirements],
        regency_code=regency_code,
        regency=regency,
        label_en=label_en,
        label_id=label_id,
    )


def role_set(
    code: str,
    role: str,
    requirements: Iterable[Requirement],
    *,
    regency_code: str = "",
    regency: str = "",
    label_en: str = "",
    label_id: str = "",
) -> RequirementSet:
    """A set for ``role``: the role first, then ``requirements`` without the wider role
    requirements that include it; equal requirements count once. Labels default to the role's."""
    role_label = Role(role).label if role in Role.values else role
    with_language = {"en": label_en, "id": label_id}
    for language in ("en", "id"):
        if not with_language[language]:
            with translation.override(language):
                with_language[language] = str(role_label)
    own_role = RoleRequirement(kind="role", any_of=(Role(role),))
    return RequirementSet(
        code,
        role,
        with_language["en"],
        with_language["id"],
        dedupe([own_role, *without_role(requirements, role)]),
        regency_code,
        regency,
    )


def without_role(requirements: Iterable[Requirement], role: str) -> list[Requirement]:
    """``requirements`` less the role requirements that ``role`` meets (the set names its role itself)."""
    return [req for req in requirements if not (isinstance(req, RoleRequirement) and role in req.any_of)]


def role_catalogue(jurisdiction: str) -> list[str]:
    """The roles that can be hired in ``jurisdiction``: its staffing qualifications, in role order."""
    qualified = rules_for(jurisdiction).qualifications
    return [r for r in Role.values if r in qualified]


def role_requirement_set(jurisdiction: str, role: str, *, regency_code: str = "", regency: str = "") -> RequirementSet:
    """What being counted as staff of ``role`` needs (the staffing qualification's entries)."""
    pack = pack_for(jurisdiction)
    q = rules_for(jurisdiction).qualifications[role]
    entries = [pack.actions[a] for a in q.actions] + [pack.certifications[c] for c in q.certifications]
    code = f"{role}@{regency_code}" if regency_code else role
    return requirement_set(code, role, entries, regency_code=regency_code, regency=regency)


# --- Facts from declarations ------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


_COLUMNS = (
    "id",
    "kind",
    "issued_on",
    "expires_on",
    "specialty",
    "issuer_regency_code",
    "exam_passed_on",
    "hours",
    "check_kind",
    "employer_kind",
    "months",
    "candidate_id",
)


def load_candidate_facts(candidates: Candidates, *, today: date, hour_windows: Iterable[int]) -> dict[int, PersonFacts]:
    """The engine's facts for each candidate, from what they declare (no facilities).

    Given a queryset, 3 queries whatever its size (4 with hour windows; the ids are one);
    given ids, 2 queries per 5,000 (3 with hour windows).
    """
    windows = sorted(set(hour_windows))
    if isinstance(candidates, QuerySet):
        ids = list(candidates.values_list("pk", flat=True))
        selections: Iterable[Any] = [candidates.values("pk")]
    else:
        ids = sorted(set(candidates))
        selections = _chunks(ids)
    facts = {cid: PersonFacts(cid) for cid in ids}
    new_fact = tuple.__new__
    for chunk in selections:
        for cid, role in CandidateTargetRole.objects.filter(candidate_id__in=chunk).values_list("candidate_id", "role"):
            facts[cid].roles.add(role)
        for r in CandidateCredential.objects.filter(candidate_id__in=chunk).values_list(*_COLUMNS):
            fact = (
                r[0],
                r[1],
                DECLARED,
                r[2],
                r[3],
                r[4],
                None,
                r[5],
                r[6],
                r[7],
                r[8],
                DECLARED_CHECK,
                None,
                r[9],
                r[10],
            )
            facts[r[11]].credentials[r[1]].append(new_fact(CredentialFact, fact))
        if windows:
            sums = {
                f"w{w}": Sum(
                    Case(
                        When(month__gt=months_before(today, w), then="hours"),
                        default=Decimal(0),
                        output_field=DecimalField(max_digits=12, decimal_places=1),
                    )
                )
                for w in windows
            }
            rows = (
                CandidateHours.objects.filter(
                    candidate_id__in=chunk, month__gt=months_before(today, max(windows)), month__lte=today
                )
                .values("candidate_id")
                .annotate(**sums)
            )
            for sums_row in rows:
                facts[sums_row["candidate_id"]].hours_in_window = {w: float(sums_row[f"w{w}"] or 0) for w in windows}
    return facts


# --- The batch --------------------------------------------------------------------------


def _after_hiring(req: Requirement) -> bool:
    return isinstance(req, CredentialRequirement) and req.at_facility


def _hour_windows(reqs: Iterable[Requirement]) -> set[int]:
    windows: set[int] = set()
    for req in reqs:
        if isinstance(req, HoursRequirement):
            windows.add(req.window_months)
        elif isinstance(req, OneOfRequirement):
            windows |= _hour_windows(req.options)
    return windows


@dataclass(frozen=True)
class EligibilityBatch:
    """Every candidate against every set, kept compact: a candidate's outcome per distinct
    group of requirements, shared by the sets that have that group (roles in many regions)."""

    sets: tuple[RequirementSet, ...]
    candidate_ids: tuple[int, ...]
    at: datetime
    _group_of: dict[str, int]
    _after: dict[str, tuple[Unmet, ...]]
    # candidate id -> per group: (eligible, unmet)
    _outcomes: dict[int, list[tuple[bool, tuple[Unmet, ...]]]]

    def get(self, candidate_id: int, set_code: str) -> Eligibility:
        eligible, unmet = self._outcomes[candidate_id][self._group_of[set_code]]
        return Eligibility(candidate_id, set_code, eligible, unmet, self._after[set_code])

    def for_candidate(self, candidate_id: int) -> list[Eligibility]:
        return [self.get(candidate_id, s.code) for s in self.sets]

    def __iter__(self) -> Iterator[Eligibility]:
        for cid in self.candidate_ids:
            yield from self.for_candidate(cid)

    def __len__(self) -> int:
        return len(self.candidate_ids) * len(self.sets)

    def eligible_counts(self) -> dict[str, int]:
        """How many candidates each set finds eligible."""
        per_group = [0] * (max(self._group_of.values(), default=-1) + 1)
        for outcomes in self._outcomes.values():
            for g, (eligible, _unmet) in enumerate(outcomes):
                if eligible:
                    per_group[g] += 1
        return {s.code: per_group[self._group_of[s.code]] for s in self.sets}

    def eligible_for(self, set_code: str) -> list[int]:
        g = self._group_of[set_code]
        return [cid for cid in self.candidate_ids if self._outcomes[cid][g][0]]


def evaluate_many(
    candidates: Candidates, sets: Sequence[RequirementSet], *, at: datetime | None = None
) -> EligibilityBatch:
    """Every candidate's eligibility for every set, in one batch (see the module docstring)."""
    moment = at or timezone.now()
    # A candidate's eligibility belongs to no facility yet: the installation's day.
    today = timezone.localtime(moment).date()
    codes = [s.code for s in sets]
    if len(set(codes)) != len(codes):
        raise ValueError("requirement set codes must be unique")
    index: dict[Requirement, int] = {}
    checks: list[Check] = []
    groups: dict[tuple[int, ...], int] = {}
    group_of: dict[str, int] = {}
    after: dict[str, tuple[Unmet, ...]] = {}
    permit_reasons: dict[str, Unmet] = {}
    for s in sets:
        idxs: list[int] = []
        later: list[Unmet] = []
        for req in s.requirements:
            if _after_hiring(req):
                where = s.regency or s.regency_code
                reason = permit_reasons.get(where)
                if reason is None:
                    reason = permit_reasons[where] = Unmet("permit_after_hiring", {"regency": where})
                later.append(reason)
                continue
            if req not in index:
                index[req] = len(checks)
                checks.append(compile_requirement(req, today, None))
            if index[req] not in idxs:
                idxs.append(index[req])
        group_of[s.code] = groups.setdefault(tuple(idxs), len(groups))
        after[s.code] = tuple(later)
    group_list = tuple(groups)
    windows = _hour_windows(index)
    outcomes: dict[int, list[tuple[bool, tuple[Unmet, ...]]]] = {}
    with _gc_paused():
        facts_by_candidate = load_candidate_facts(candidates, today=today, hour_windows=windows)
        eligible: tuple[bool, tuple[Unmet, ...]] = (True, ())
        for cid, facts in facts_by_candidate.items():
            results = [check(facts)[0] for check in checks]
            if not any(results):
                # Nothing unmet anywhere: every group shares one outcome.
                outcomes[cid] = [eligible] * len(group_list)
                continue
            per_group = []
            for group_idxs in group_list:
                unmet = [u for i in group_idxs if (u := results[i]) is not None]
                per_group.append((False, tuple(unmet)) if unmet else eligible)
            outcomes[cid] = per_group
    return EligibilityBatch(tuple(sets), tuple(facts_by_candidate), moment, group_of, after, outcomes)


def evaluate(candidate_id: int, s: RequirementSet, *, at: datetime | None = None) -> Eligibility:
    """One candidate, one set (a batch of one)."""
    return evaluate_many([candidate_id], [s], at=at).get(candidate_id, s.code)


def declared_facts(candidate_id: int, *, at: datetime | None = None, windows: Iterable[int] = ()) -> PersonFacts:
    # A candidate's declared facts belong to no facility: the installation's day.
    today = timezone.localtime(at or timezone.now()).date()
    return load_candidate_facts([candidate_id], today=today, hour_windows=windows)[candidate_id]


def by_role(sets: Iterable[RequirementSet]) -> dict[str, list[RequirementSet]]:
    out: dict[str, list[RequirementSet]] = defaultdict(list)
    for s in sets:
        out[s.role].append(s)
    return out
