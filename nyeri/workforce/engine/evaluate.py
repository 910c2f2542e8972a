"""Evaluating requirements against people's facts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from nyeri.tenancy.models import Facility
from nyeri.workforce.engine.decisions import Decision, Unmet
from nyeri.workforce.engine.facts import CredentialFact, People, PersonFacts, load_facts, months_before
from nyeri.workforce.kinds import CheckResult, CredentialKind, CredentialStatus
from nyeri.workforce.policy.loader import CompiledEntry, CompiledPack, pack_for
from nyeri.workforce.policy.schema import (
    BackgroundCheckRequirement,
    CredentialRequirement,
    ExperienceRequirement,
    HoursRequirement,
    OneOfRequirement,
    Requirement,
    RoleRequirement,
    TrainingHoursRequirement,
)

Outcome = tuple[Unmet | None, tuple[int, ...]]
MET: Outcome = (None, ())


@dataclass(frozen=True, slots=True)
class Place:
    facility_id: int
    regency_code: str
    regency: str


def _valid_on(c: CredentialFact, today: date) -> bool:
    return (
        c.status == CredentialStatus.VERIFIED
        and c.issued_on <= today
        and (c.expires_on is None or c.expires_on >= today)
    )


def _why_not_valid(kind: str, candidates: list[CredentialFact], today: date) -> Unmet:
    """The most useful reason none of ``candidates`` (same kind) is valid today."""
    verified = [c for c in candidates if c.status in (CredentialStatus.VERIFIED, CredentialStatus.EXPIRED)]
    expired = [c for c in verified if c.expires_on is not None and c.expires_on < today]
    if any(c.status == CredentialStatus.VERIFIED and c.issued_on > today for c in candidates):
        first = min(c.issued_on for c in candidates if c.issued_on > today)
        return Unmet("credential_not_yet_valid", {"credential": kind, "date": first})
    if expired:
        return Unmet("credential_expired", {"credential": kind, "date": max(c.expires_on for c in expired)})  # type: ignore[type-var]
    if any(c.status == CredentialStatus.SUBMITTED for c in candidates):
        return Unmet("credential_unverified", {"credential": kind})
    if any(c.status == CredentialStatus.REVOKED for c in candidates):
        return Unmet("credential_revoked", {"credential": kind})
    return Unmet("credential_missing", {"credential": kind})


def _credential(req: CredentialRequirement, facts: PersonFacts, today: date, place: Place | None) -> Outcome:
    candidates = facts.credentials.get(req.credential, [])
    if req.specialty:
        matching = [c for c in candidates if c.specialty in req.specialty]
        if not matching:
            return Unmet("specialty_missing", {"credential": req.credential, "specialties": list(req.specialty)}), ()
        candidates = matching
    valid = [c for c in candidates if _valid_on(c, today)]
    if req.at_facility and place is not None:
        here = [c for c in valid if c.facility_id == place.facility_id]
        right_region = [c for c in here if c.issuer_regency_code == place.regency_code]
        if right_region:
            return None, (right_region[0].id,)
        if here:
            return Unmet("permit_wrong_region", {"issuer": here[0].issuer_regency_code, "regency": place.regency}), ()
        for_here = [c for c in candidates if c.facility_id == place.facility_id]
        if for_here:
            return _why_not_valid(req.credential, for_here, today), ()
        if valid:
            return Unmet("permit_other_place", {"places": sorted({c.issuer_regency_code for c in valid})}), ()
        return Unmet("permit_missing"), ()
    if valid:
        return None, (valid[0].id,)
    return _why_not_valid(req.credential, candidates, today), ()


def _background_check(req: BackgroundCheckRequirement, facts: PersonFacts, today: date) -> Outcome:
    checks = [
        c
        for c in facts.credentials.get(CredentialKind.BACKGROUND_CHECK, [])
        if req.check is None or c.check_kind == req.check
    ]
    label = req.check or CredentialKind.BACKGROUND_CHECK
    if not checks:
        return Unmet("check_missing", {"check": label}), ()
    oldest_allowed = months_before(today, req.within_months)
    passed = [c for c in checks if c.check_result == CheckResult.PASSED and c.status == CredentialStatus.VERIFIED]
    current = [
        c
        for c in passed
        if c.issued_on > oldest_allowed
        and c.issued_on <= today
        and months_before(today, c.valid_months or req.within_months) < c.issued_on
    ]
    if current:
        return None, (max(current, key=lambda c: c.issued_on).id,)
    if passed:
        latest = max(passed, key=lambda c: c.issued_on)
        return Unmet("check_outdated", {"check": label, "date": latest.issued_on, "months": req.within_months}), ()
    if any(c.check_result == CheckResult.PENDING or c.status == CredentialStatus.SUBMITTED for c in checks):
        return Unmet("check_pending", {"check": label}), ()
    return Unmet("check_failed", {"check": label}), ()


def _training(req: TrainingHoursRequirement, facts: PersonFacts, today: date) -> tuple[float, list[CredentialFact]]:
    start = months_before(today, req.window_months)
    used = [
        c
        for c in facts.credentials.get(CredentialKind.PAIN_TRAINING, [])
        if c.status == CredentialStatus.VERIFIED and start < c.issued_on <= today
    ]
    return float(sum(c.hours or 0 for c in used)), used


def _training_hours(req: TrainingHoursRequirement, facts: PersonFacts, today: date) -> Outcome:
    have, used = _training(req, facts, today)
    if have >= req.at_least:
        return None, tuple(c.id for c in used)
    return Unmet("training_hours_short", {"have": have, "need": req.at_least, "months": req.window_months}), ()


def _experience(req: ExperienceRequirement, facts: PersonFacts) -> Outcome:
    used = [
        c
        for c in facts.credentials.get(CredentialKind.WORK_EXPERIENCE, [])
        if c.status == CredentialStatus.VERIFIED and c.employer_kind in req.employer_kinds
    ]
    have = sum(c.months or 0 for c in used)
    if have >= req.at_least_months:
        return None, tuple(c.id for c in used)
    return Unmet(
        "experience_short", {"have": have, "need": req.at_least_months, "employers": list(req.employer_kinds)}
    ), ()


Check = Callable[[PersonFacts], Outcome]


def _check(req: Requirement, facts: PersonFacts, today: date, place: Place | None) -> Outcome:
    return _compile(req, today, place)(facts)


def _compile(req: Requirement, today: date, place: Place | None) -> Check:
    """A function that evaluates ``req`` for one person on ``today`` at ``place``.

    Compiled once per batch: the constant parts (role sets, reasons that do not depend on
    the person) are built here, not for each of thousands of people.
    """
    if isinstance(req, RoleRequirement):
        roles = frozenset(str(r) for r in req.any_of)
        missing: Outcome = (Unmet("role_missing", {"roles": list(req.any_of)}), ())
        return lambda facts: MET if not roles.isdisjoint(facts.roles) else missing
    if isinstance(req, CredentialRequirement):
        return lambda facts: _credential(req, facts, today, place)
    if isinstance(req, BackgroundCheckRequirement):
        return lambda facts: _background_check(req, facts, today)
    if isinstance(req, HoursRequirement):
        window, need = req.window_months, req.at_least

        def hours(facts: PersonFacts) -> Outcome:
            have = facts.hours_in_window.get(window, 0.0)
            if have >= need:
                return MET
            return Unmet("hours_short", {"have": have, "need": need, "months": window}), ()

        return hours
    if isinstance(req, TrainingHoursRequirement):
        return lambda facts: _training_hours(req, facts, today)
    if isinstance(req, ExperienceRequirement):
        return lambda facts: _experience(req, facts)
    if isinstance(req, OneOfRequirement):
        options = [_compile(option, today, place) for option in req.options]

        def one_of(facts: PersonFacts) -> Outcome:
            misses = []
            for option in options:
                unmet, relied = option(facts)
                if unmet is None:
                    return None, relied
                misses.append(unmet)
            return Unmet("one_of", options=tuple(misses)), ()

        return one_of
    raise TypeError(f"unknown requirement {req!r}")


NOT_AT_FACILITY = Unmet("not_at_facility")


@dataclass(frozen=True)
class _Plan:
    """The distinct requirements of a set of entries, and which of them each entry needs."""

    checks: tuple[Check, ...]
    entries: tuple[tuple[str, tuple[int, ...]], ...]


def _plan(entries: Sequence[CompiledEntry], today: date, place: Place | None) -> _Plan:
    # Actions share requirements (a valid STR, a SIP here): each is evaluated once per person.
    index: dict[int, int] = {}
    checks: list[Check] = []
    plan_entries = []
    for entry in entries:
        idxs = []
        for req in entry.requirements:
            if id(req) not in index:
                index[id(req)] = len(checks)
                checks.append(_compile(req, today, place))
            idxs.append(index[id(req)])
        plan_entries.append((entry.code, tuple(idxs)))
    return _Plan(tuple(checks), tuple(plan_entries))


def _run_plan(
    plan: _Plan, facts: PersonFacts, place: Place | None
) -> Iterable[tuple[str, tuple[Unmet, ...], tuple[int, ...]]]:
    outcomes = [check(facts) for check in plan.checks]
    elsewhere = place is not None and place.facility_id not in facts.facility_ids
    for code, idxs in plan.entries:
        unmet = [u for i in idxs if (u := outcomes[i][0]) is not None]
        if elsewhere:
            unmet.insert(0, NOT_AT_FACILITY)
        relied: tuple[int, ...] = ()
        for i in idxs:
            if outcomes[i][1]:
                relied += outcomes[i][1]
        yield code, tuple(unmet), relied


def _hour_windows(entries: Iterable[CompiledEntry]) -> set[int]:
    windows: set[int] = set()
    for entry in entries:
        for req in entry.requirements:
            if isinstance(req, HoursRequirement):
                windows.add(req.window_months)
    return windows


def _local_day(at: datetime) -> date:
    return timezone.localtime(at).date()


def _entries(pack: CompiledPack, codes: Sequence[str], *, certifications: bool = False) -> list[CompiledEntry]:
    table = pack.certifications if certifications else pack.actions
    missing = [c for c in codes if c not in table]
    if missing:
        raise KeyError(
            f"unknown {'certification' if certifications else 'action'}(s) in pack {pack.jurisdiction}: {missing}"
        )
    return [table[c] for c in codes]


def decide_many(
    people: People,
    actions: Sequence[str],
    facility: Facility,
    *,
    at: datetime | None = None,
    jurisdiction: str | None = None,
) -> dict[tuple[int, str], Decision]:
    """Decisions for every person and action at ``facility`` at the moment ``at`` (default: now)."""
    moment = at or timezone.now()
    today = _local_day(moment)
    pack = pack_for(jurisdiction or facility.organization.jurisdiction)
    entries = _entries(pack, actions)
    place = Place(facility.pk, facility.regency_code, facility.regency)
    facts_by_person = load_facts(people, today=today, hour_windows=_hour_windows(entries))
    label = f"{pack.jurisdiction}@{pack.version}"
    plan = _plan(entries, today, place)
    decisions: dict[tuple[int, str], Decision] = {}
    for pid, facts in facts_by_person.items():
        for code, unmet, relied in _run_plan(plan, facts, place):
            decisions[(pid, code)] = Decision(pid, code, facility.pk, moment, not unmet, unmet, relied, label)
    return decisions


def decide(person_id: int, action: str, facility: Facility, *, at: datetime | None = None) -> Decision:
    """May ``person_id`` do ``action`` at ``facility`` at ``at``? (4 queries.)"""
    return decide_many([person_id], [action], facility, at=at)[(person_id, action)]


@dataclass(frozen=True)
class ProgressItem:
    requirement: Requirement
    met: bool
    unmet: Unmet | None
    have: float | None = None
    need: float | None = None


@dataclass(frozen=True)
class CertificationProgress:
    code: str
    label_en: str
    label_id: str
    complete: bool
    items: tuple[ProgressItem, ...]


def certification_progress(
    person_id: int, code: str, *, jurisdiction: str, at: datetime | None = None
) -> CertificationProgress:
    """How far ``person_id`` is towards certification ``code``: each requirement, hours accrued."""
    moment = at or timezone.now()
    today = _local_day(moment)
    pack = pack_for(jurisdiction)
    (entry,) = _entries(pack, [code], certifications=True)
    facts = load_facts([person_id], today=today, hour_windows=_hour_windows([entry]))[person_id]
    items = []
    for req in entry.requirements:
        unmet, _relied = _check(req, facts, today, None)
        have = need = None
        if isinstance(req, HoursRequirement):
            have, need = facts.hours_in_window.get(req.window_months, 0.0), req.at_least
        elif isinstance(req, TrainingHoursRequirement):
            have, need = _training(req, facts, today)[0], req.at_least
        items.append(ProgressItem(req, unmet is None, unmet, have, need))
    return CertificationProgress(entry.code, entry.label_en, entry.label_id, all(i.met for i in items), tuple(items))
