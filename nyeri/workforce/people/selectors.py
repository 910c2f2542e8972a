"""Reads about people: the staff directory, a person's profile, what a person may do where.

Who reads what (the rule of ``nyeri/workforce/credentials/selectors.py``: credentials are
read by their holder, credentialing officers and administrators):

- a person's profile and privilege matrix: the person themself (their own user), and
  credentialing officers and administrators;
- a facility's staff directory and privilege matrix: credentialing officers and
  administrators.

Anyone else is refused (403, audited). Another organization's person or facility, a
facility outside a facility-limited membership, or a person who works only at such
facilities, is *not found* (404). Reading workforce data is audited like reading patient
data: a READ of the person for a profile or matrix, a SEARCH for a list of people.

Every selector takes a fixed number of queries whatever the number of people and
credentials (the engine loads facts in bulk; see ``tests/workforce/test_people_*``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import models, transaction
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.access import access_person
from nyeri.workforce.engine import Decision, Unmet, decide_many
from nyeri.workforce.engine.evaluate import (
    CertificationProgress,
    Place,
    ProgressItem,
    certification_progress_many,
    compile_requirement,
    valid_on,
)
from nyeri.workforce.engine.facts import PersonFacts, load_facts
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole
from nyeri.workforce.people.describe import describe
from nyeri.workforce.policy.loader import CompiledEntry, CompiledPack, pack_for
from nyeri.workforce.policy.schema import CredentialRequirement, RoleRequirement

# Who reads every person's workforce record (others read only their own).
READER_ROLES = (Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR)
# A licence that ends within this many days is shown as expiring (time to renew a SIP).
EXPIRY_WARNING_DAYS = 90
PAGE_SIZE = 50
# Credential kinds that record a passed exam (their ``exam_passed_on``).
EXAM_KINDS = frozenset({CredentialKind.PAIN_NURSING_CERTIFICATION.value})

REGISTRATION = CredentialKind.REGISTRATION.value
PRACTICE_PERMIT = CredentialKind.PRACTICE_PERMIT.value
_REGISTRATION_REQ = CredentialRequirement(kind="credential", credential=CredentialKind.REGISTRATION)
_PERMIT_REQ = CredentialRequirement(kind="credential", credential=CredentialKind.PRACTICE_PERMIT, at_facility=True)


# --- Access -------------------------------------------------------------------------------


def reads_all_people(scope: Scope) -> bool:
    return scope.has_role(*READER_ROLES)


def _deny(scope: Scope, *, object_id: int | str, reason: str, facility: Facility | None = None) -> NoReturn:
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=scope.organization,
            facility=facility,
            object_type="person",
            object_id=object_id,
            reason=reason,
        )
    raise PermissionDenied


def _audit(
    scope: Scope,
    *,
    action: AuditAction,
    reason: str,
    person_id: int | None = None,
    facility: Facility | None = None,
) -> None:
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=action,
            organization=scope.organization,
            facility=facility,
            object_type="person",
            object_id=person_id if person_id is not None else "",
            reason=reason,
        )


def is_own(scope: Scope, person: Person) -> bool:
    return person.user_id is not None and person.user_id == scope.user.pk


def access_person_record(scope: Scope, person_id: int) -> Person:
    """The person ``person_id`` if the scope may read their workforce record.

    Not found (404) for another organization's person and, for a facility-limited
    membership, for a person who works at none of its facilities; refused (403, audited)
    for a user who is neither the person nor a reader of everyone.
    """
    person = access_person(scope, person_id)
    if is_own(scope, person):
        return person
    if scope.facility_ids is not None and not (
        PersonFacility.objects.filter(person=person, facility_id__in=scope.facility_ids).exists()
    ):
        raise Http404("No such person")
    if not reads_all_people(scope):
        _deny(scope, object_id=person.pk, reason="workforce record of another person")
    return person


def access_facility_staff(scope: Scope, facility_id: int) -> Facility:
    """A facility of the scope whose staff the user may read (404 elsewhere, 403 if not a reader)."""
    facility = access_facility(scope, facility_id)
    if not reads_all_people(scope):
        _deny(scope, object_id="", facility=facility, reason="staff of a facility")
    return facility


# --- Licences (STR, SIP here) ------------------------------------------------------------


class LicenceState(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRING = "expiring", _("Expires soon")
    EXPIRED = "expired", _("Expired")
    MISSING = "missing", _("Missing")


_BADGE = {
    LicenceState.VALID: "ok",
    LicenceState.EXPIRING: "warn",
    LicenceState.EXPIRED: "bad",
    LicenceState.MISSING: "bad",
}


@dataclass(frozen=True, slots=True)
class LicenceStatus:
    """The state of one licence (STR, or the SIP for a facility) on a day.

    ``expires_on``: the last valid day of the longest-lasting valid licence (None: for
    life), or the day an expired one ended. ``unmet``: the engine's reason when it is not
    valid (so that "missing" can say "waiting for verification" or "for another place").
    """

    kind: str
    state: LicenceState
    expires_on: date | None = None
    credential_id: int | None = None
    unmet: Unmet | None = None

    @property
    def badge(self) -> str:
        return _BADGE[self.state]

    @property
    def label(self) -> str:
        return str(self.state.label)

    @property
    def reason(self) -> str:
        return self.unmet.message() if self.unmet is not None else ""


def _licence_status(
    kind: str, outcome: tuple[Unmet | None, tuple[int, ...]], facts: PersonFacts, today: date, place: Place | None
) -> LicenceStatus:
    unmet, _relied = outcome
    if unmet is None:
        # Any valid licence will do for the engine; the screen shows the one that lasts longest.
        valid = [
            c
            for c in facts.credentials.get(kind, ())
            if valid_on(c, today)
            and (place is None or (c.facility_id == place.facility_id and c.issuer_regency_code == place.regency_code))
        ]
        best = max(valid, key=lambda c: c.expires_on or date.max) if valid else None
        expires_on = best.expires_on if best is not None else None
        soon = expires_on is not None and expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS)
        state = LicenceState.EXPIRING if soon else LicenceState.VALID
        return LicenceStatus(kind, state, expires_on, best.id if best is not None else None)
    if unmet.code == "credential_expired":
        return LicenceStatus(kind, LicenceState.EXPIRED, unmet.params.get("date"), None, unmet)
    return LicenceStatus(kind, LicenceState.MISSING, None, None, unmet)


@dataclass(frozen=True, slots=True)
class StaffMember:
    person_id: int
    full_name: str
    roles: tuple[str, ...]
    facility_ids: tuple[int, ...]
    registration: LicenceStatus
    # The SIP for the directory's facility (None in a list not about one facility).
    permit: LicenceStatus | None

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.roles if r in Role.values]

    @property
    def licences(self) -> tuple[LicenceStatus, ...]:
        return (self.registration,) if self.permit is None else (self.registration, self.permit)

    def has_state(self, state: str) -> bool:
        return any(lic.state == state for lic in self.licences)

    @property
    def needs_attention(self) -> bool:
        return any(lic.state != LicenceState.VALID for lic in self.licences)


LICENCE_FILTERS = ("attention", *LicenceState.values)


@dataclass(frozen=True)
class StaffDirectory:
    facility: Facility | None
    page: Page[StaffMember]
    # People matching the search (before the licence filter), and how many of them have
    # each licence state: {"registration": {"valid": 12, ...}, "practice_permit": {...}}.
    total: int
    summary: dict[str, dict[str, int]]
    as_of: date

    @property
    def summary_rows(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """(kind, [(state, count) in the order of LicenceState]) for a table."""
        return [
            (kind, [(state, counts[state]) for state in LicenceState.values]) for kind, counts in self.summary.items()
        ]


def _people_of(scope: Scope, facility: Facility | None, *, q: str, role: str) -> QuerySet[Person]:
    people = Person.objects.filter(organization=scope.organization)
    if facility is not None:
        people = people.filter(facility_links__facility=facility)
    elif scope.facility_ids is not None:
        people = people.filter(facility_links__facility_id__in=scope.facility_ids).distinct()
    if q:
        people = people.filter(full_name__icontains=q)
    if role:
        people = people.filter(roles__role=role)
    return people


def staff_directory(
    scope: Scope,
    facility: Facility | None,
    *,
    q: str = "",
    role: str = "",
    licence: str = "",
    page: int | str = 1,
    per_page: int = PAGE_SIZE,
    at: datetime | None = None,
) -> StaffDirectory:
    """People working at ``facility`` (or anywhere in the scope), their roles and licences.

    The licence states are computed for everyone matching ``q`` and ``role`` from facts
    loaded in bulk (6 queries whatever the number of people), so that the summary counts
    the whole staff and ``licence`` ("attention" or a state) can filter before paging.
    """
    if not reads_all_people(scope):
        _deny(scope, object_id="", facility=facility, reason="staff directory")
    # The directory's facility's day (all facilities: the installation's).
    today = local_date(facility, at)
    people = _people_of(scope, facility, q=q.strip(), role=role)
    names = list(people.order_by("full_name", "pk").values_list("pk", "full_name"))
    facts = load_facts(people, today=today, hour_windows=())
    place = Place(facility.pk, facility.regency_code, facility.regency) if facility is not None else None
    registration = compile_requirement(_REGISTRATION_REQ, today, place)
    permit = compile_requirement(_PERMIT_REQ, today, place) if place is not None else None
    members = []
    for pid, full_name in names:
        f = facts.get(pid)
        if f is None:  # joined the facility between the two reads
            continue
        members.append(
            StaffMember(
                pid,
                full_name,
                tuple(sorted(f.roles)),
                tuple(sorted(f.facility_ids)),
                _licence_status(REGISTRATION, registration(f), f, today, None),
                _licence_status(PRACTICE_PERMIT, permit(f), f, today, place) if permit is not None else None,
            )
        )
    summary: dict[str, dict[str, int]] = {}
    for member in members:
        for lic in member.licences:
            counts = summary.setdefault(lic.kind, dict.fromkeys(LicenceState.values, 0))
            counts[lic.state] += 1
    shown = members
    if licence == "attention":
        shown = [m for m in members if m.needs_attention]
    elif licence in LicenceState.values:
        shown = [m for m in members if m.has_state(licence)]
    result = StaffDirectory(facility, Paginator(shown, per_page).get_page(page), len(members), summary, today)
    _audit(
        scope,
        action=AuditAction.SEARCH,
        facility=facility,
        reason=f"staff directory: {len(members)} people, {len(result.page.object_list)} shown",
    )
    return result


# --- A person's profile --------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialLine:
    # Annotated with ``evidence_count``.
    credential: Credential
    # "", "not_yet_valid", "expiring" or "expired": the validity on the day, beside the status.
    validity: str

    @property
    def status_badge(self) -> str:
        status = self.credential.status
        if status == CredentialStatus.VERIFIED:
            return "warn" if self.validity in ("not_yet_valid", "expiring") else "bad" if self.validity else "ok"
        return "warn" if status == CredentialStatus.SUBMITTED else "bad"

    @property
    def validity_label(self) -> str:
        labels = {
            "not_yet_valid": _("Not valid yet"),
            "expiring": _("Expires soon"),
            "expired": _("Expired"),
        }
        return str(labels[self.validity]) if self.validity else ""


def _validity(credential: Credential, today: date) -> str:
    if credential.issued_on > today:
        return "not_yet_valid"
    if credential.expires_on is None:
        return ""
    if credential.expires_on < today:
        return "expired"
    if credential.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return "expiring"
    return ""


@dataclass(frozen=True)
class ProgressLine:
    description: str
    item: ProgressItem
    # The credentials a met requirement relied on (the exam certificate, the licence).
    relied: tuple[Credential, ...]

    @property
    def reason(self) -> str:
        return self.item.unmet.message() if self.item.unmet is not None else ""

    @property
    def exam_passed_on(self) -> date | None:
        return next((c.exam_passed_on for c in self.relied if c.exam_passed_on), None)


@dataclass(frozen=True)
class CertificationView:
    progress: CertificationProgress
    label: str
    lines: tuple[ProgressLine, ...]

    @property
    def hours(self) -> list[ProgressLine]:
        return [line for line in self.lines if line.item.need is not None]

    @property
    def exam(self) -> ProgressLine | None:
        """The requirement of a passed exam (e.g. the pain nursing certificate), if any."""
        for line in self.lines:
            req = line.item.requirement
            if isinstance(req, CredentialRequirement) and req.credential in EXAM_KINDS:
                return line
        return None


@dataclass(frozen=True)
class PersonProfile:
    person: Person
    is_own: bool
    roles: tuple[str, ...]
    facilities: tuple[Facility, ...]
    credentials: tuple[CredentialLine, ...]
    certifications: tuple[CertificationView, ...]
    as_of: date

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.roles if r in Role.values]


def _concerns(entry: CompiledEntry, roles: Iterable[str]) -> bool:
    """Whether a certification is for someone with ``roles`` (by its role requirements)."""
    held = set(roles)
    role_reqs = [r for r in entry.requirements if isinstance(r, RoleRequirement)]
    return not role_reqs or any(held.intersection(str(x) for x in r.any_of) for r in role_reqs)


def language() -> str:
    """The current language as the packs name it ("id" or "en")."""
    return (translation.get_language() or "id").split("-")[0]


def person_profile(
    scope: Scope, person_id: int, *, at: datetime | None = None, purpose: str = "profile"
) -> PersonProfile:
    """Roles, facilities, credentials and certification progress of a person (audited READ).

    At most 9 queries (and 3 more for a facility-limited membership and the audit row),
    whatever the number of credentials and hours.
    """
    person = access_person_record(scope, person_id)
    moment = at or timezone.now()
    # A person may work at facilities in several zones: their profile (like certification
    # progress) is on the installation's day; each facility's decisions on its own.
    today = local_date(None, moment)
    roles = tuple(sorted(PersonRole.objects.filter(person=person).values_list("role", flat=True)))
    facilities = tuple(
        link.facility
        for link in PersonFacility.objects.filter(person=person).select_related("facility").order_by("facility__name")
    )
    credentials = list(
        Credential.objects.filter(organization=scope.organization, person=person)
        .select_related("facility")
        .annotate(evidence_count=Count("evidence"))
        .order_by("kind", "-issued_on", "-pk")
    )
    by_id = {c.pk: c for c in credentials}
    pack = pack_for(scope.organization.jurisdiction)
    codes = [code for code, entry in pack.certifications.items() if _concerns(entry, roles)]
    progress = certification_progress_many(person.pk, codes, jurisdiction=pack.jurisdiction, at=moment) if codes else []
    lang = language()
    certifications = tuple(
        CertificationView(
            p,
            p.label(lang),
            tuple(
                ProgressLine(describe(item.requirement), item, tuple(by_id[i] for i in item.relied_on if i in by_id))
                for item in p.items
            ),
        )
        for p in progress
    )
    _audit(scope, action=AuditAction.READ, person_id=person.pk, reason=purpose)
    return PersonProfile(
        person=person,
        is_own=is_own(scope, person),
        roles=roles,
        facilities=facilities,
        credentials=tuple(CredentialLine(c, _validity(c, today)) for c in credentials),
        certifications=certifications,
        as_of=today,
    )


# --- What a person may do at a facility ------------------------------------------------------


class MessageCache:
    """Reason texts per ``Unmet`` object, rendered once per request.

    The engine shares one ``Unmet`` among everyone refused for the same constant reason
    (a role, a missing licence): a facility's matrix renders each of them once, not once
    per cell. Keyed by identity, which is stable while the decisions are alive.
    """

    def __init__(self) -> None:
        self._texts: dict[tuple[int, str | None], tuple[Unmet, str]] = {}

    def message(self, unmet: Unmet, language: str | None = None) -> str:
        key = (id(unmet), language)
        found = self._texts.get(key)
        if found is None:
            # The Unmet is kept with its text so that its id cannot be reused meanwhile.
            found = self._texts[key] = (unmet, unmet.message(language))
        return found[1]

    def messages(self, unmet: Iterable[Unmet], language: str | None = None) -> tuple[str, ...]:
        return tuple(self.message(u, language) for u in unmet)


def _actions(pack: CompiledPack, action: str | None) -> list[CompiledEntry]:
    if action is None or action == "":
        return list(pack.actions.values())
    entry = pack.actions.get(action)
    if entry is None:
        raise UnknownAction(action)
    return [entry]


class UnknownAction(ValueError):
    """An action code that the organization's policy pack does not have."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ActionLine:
    code: str
    label: str
    decision: Decision
    reasons: tuple[str, ...]
    relied: tuple[Credential, ...]


@dataclass(frozen=True)
class PersonMatrix:
    person: Person
    facility: Facility
    is_own: bool
    at: datetime
    pack: str
    lines: tuple[ActionLine, ...]

    @property
    def allowed_count(self) -> int:
        return sum(1 for line in self.lines if line.decision.allowed)


def person_matrix(
    scope: Scope, person_id: int, facility_id: int, *, action: str | None = None, at: datetime | None = None
) -> PersonMatrix:
    """Every action of the pack (or ``action``) for a person at a facility (audited READ).

    Yes with the credentials relied on, no with every reason. At most 7 queries (and 3
    more for a facility-limited membership and the audit row).
    """
    person = access_person_record(scope, person_id)
    facility = access_facility(scope, facility_id)
    moment = at or timezone.now()
    pack = pack_for(scope.organization.jurisdiction)
    entries = _actions(pack, action)
    decisions = decide_many([person.pk], [e.code for e in entries], facility, at=moment, jurisdiction=pack.jurisdiction)
    relied_ids = {i for d in decisions.values() for i in d.relied_on}
    relied = (
        Credential.objects.filter(organization=scope.organization, person=person, pk__in=relied_ids).in_bulk()
        if relied_ids
        else {}
    )
    lang = language()
    cache = MessageCache()
    lines = []
    for entry in entries:
        d = decisions[(person.pk, entry.code)]
        lines.append(
            ActionLine(
                entry.code,
                entry.label(lang),
                d,
                cache.messages(d.unmet),
                tuple(relied[i] for i in d.relied_on if i in relied),
            )
        )
    _audit(scope, action=AuditAction.READ, person_id=person.pk, facility=facility, reason="privilege matrix")
    return PersonMatrix(
        person, facility, is_own(scope, person), moment, f"{pack.jurisdiction}@{pack.version}", tuple(lines)
    )


# --- Everyone at a facility ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatrixCell:
    code: str
    allowed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MatrixRow:
    person_id: int
    full_name: str
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True)
class FacilityMatrix:
    facility: Facility
    at: datetime
    pack: str
    # (code, label) of the columns, and how many of the facility's people may do each.
    actions: tuple[tuple[str, str], ...]
    allowed_counts: tuple[int, ...]
    people: int
    # The page of (person id, name) shown, for the pager; ``rows`` are its people.
    page: Page[tuple[int, str]]
    rows: tuple[MatrixRow, ...]

    @property
    def columns(self) -> list[tuple[str, str, int]]:
        return [(code, label, n) for (code, label), n in zip(self.actions, self.allowed_counts, strict=True)]


def facility_matrix(
    scope: Scope,
    facility_id: int,
    *,
    action: str | None = None,
    page: int | str = 1,
    per_page: int = PAGE_SIZE,
    at: datetime | None = None,
) -> FacilityMatrix:
    """People x actions at a facility: one batch of the engine over everyone working there.

    The counts per action cover the whole staff; the rows are one page of it, by name.
    8 queries (and the audit row) whatever the number of people.
    """
    facility = access_facility_staff(scope, facility_id)
    moment = at or timezone.now()
    pack = pack_for(scope.organization.jurisdiction)
    entries = _actions(pack, action)
    codes = [e.code for e in entries]
    people = Person.objects.filter(organization=scope.organization, facility_links__facility=facility)
    decisions = decide_many(people, codes, facility, at=moment, jurisdiction=pack.jurisdiction)
    # Everyone decided, by name (someone who joined between the two reads waits for a reload).
    names = [
        (pid, name)
        for pid, name in people.order_by("full_name", "pk").values_list("pk", "full_name")
        if (pid, codes[0]) in decisions
    ]
    counts = tuple(sum(1 for pid, _name in names if decisions[(pid, code)].allowed) for code in codes)
    paged = Paginator(names, per_page).get_page(page)
    cache = MessageCache()
    rows = tuple(
        MatrixRow(
            pid,
            name,
            tuple(MatrixCell(code, (d := decisions[(pid, code)]).allowed, cache.messages(d.unmet)) for code in codes),
        )
        for pid, name in paged.object_list
    )
    lang = language()
    _audit(
        scope,
        action=AuditAction.READ,
        facility=facility,
        reason=f"facility privilege matrix: {len(names)} people, {len(rows)} shown",
    )
    return FacilityMatrix(
        facility,
        moment,
        f"{pack.jurisdiction}@{pack.version}",
        tuple((e.code, e.label(lang)) for e in entries),
        counts,
        len(names),
        paged,
        rows,
    )


# --- For the API ----------------------------------------------------------------------------------


def unmet_dict(u: Unmet, cache: MessageCache) -> dict[str, Any]:
    """A reason as the API shows it: code, facts (dates as ISO text), both languages."""
    return {
        "code": u.code,
        "params": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in u.params.items()},
        "message_id": cache.message(u, "id"),
        "message_en": cache.message(u, "en"),
        "options": [unmet_dict(o, cache) for o in u.options],
    }


def decision_dict(decision: Decision, entry: CompiledEntry, cache: MessageCache) -> dict[str, Any]:
    """A decision as the API shows it: every reason in both languages, with its facts."""
    return {
        "person_id": decision.person_id,
        "action": decision.action,
        "label_en": entry.label_en,
        "label_id": entry.label_id,
        "facility_id": decision.facility_id,
        "allowed": decision.allowed,
        "unmet": [unmet_dict(u, cache) for u in decision.unmet],
        "relied_on": list(decision.relied_on),
        "pack": decision.pack,
        "at": decision.at,
    }


@dataclass(frozen=True)
class DecisionPage:
    facility: Facility
    # People at the facility, the page of them decided, and their decisions as dicts.
    count: int
    page: Page[int]
    decisions: list[dict[str, Any]]


def person_decisions(
    scope: Scope,
    person_id: int,
    facility_id: int,
    *,
    action: str | None = None,
    at: datetime | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """How many actions were decided, and the decisions ``offset`` to ``offset + limit`` (all
    when no ``limit``) as dicts: the messages of the page only, each worded once."""
    matrix = person_matrix(scope, person_id, facility_id, action=action, at=at)
    pack = pack_for(scope.organization.jurisdiction)
    cache = MessageCache()
    lines = matrix.lines[offset:] if limit is None else matrix.lines[offset : offset + limit]
    return len(matrix.lines), [decision_dict(line.decision, pack.actions[line.code], cache) for line in lines]


def facility_decisions(
    scope: Scope,
    facility_id: int,
    *,
    action: str | None = None,
    page: int | str = 1,
    per_page: int = PAGE_SIZE,
    at: datetime | None = None,
) -> DecisionPage:
    """One page of the facility's people (by name), each with every asked decision: one batch."""
    facility = access_facility_staff(scope, facility_id)
    pack = pack_for(scope.organization.jurisdiction)
    entries = _actions(pack, action)
    people = Person.objects.filter(organization=scope.organization, facility_links__facility=facility)
    paged: Page[int] = Paginator(people.order_by("full_name", "pk").values_list("pk", flat=True), per_page).get_page(
        page
    )
    ids: Sequence[int] = list(paged.object_list)
    decisions = (
        decide_many(ids, [e.code for e in entries], facility, at=at or timezone.now(), jurisdiction=pack.jurisdiction)
        if ids
        else {}
    )
    cache = MessageCache()
    out = [decision_dict(decisions[(pid, e.code)], e, cache) for pid in ids for e in entries]
    _audit(
        scope,
        action=AuditAction.READ,
        facility=facility,
        reason=f"facility decisions (API): {len(ids)} people",
    )
    return DecisionPage(facility, paged.paginator.count, paged, out)


# --- Interoperability (FHIR Practitioner) ----------------------------------------------------

# Credentials published as a practitioner's qualifications: the registration (STR) and the
# practice permits (SIP), once verified.
PUBLISHED_QUALIFICATIONS = (REGISTRATION, PRACTICE_PERMIT)


def practitioners(scope: Scope) -> QuerySet[Person]:
    """The organization's people, each with their verified STR and SIP (``published_credentials``)
    and whether the scope may see their NIK and contact details (``private_details_visible``).

    Limited, for a facility-limited membership, to the people working at its facilities.
    Two queries whatever the number of people; not audited here (the caller audits).
    """
    people = Person.objects.filter(organization=scope.organization)
    if scope.facility_ids is not None:
        people = people.filter(facility_links__facility_id__in=scope.facility_ids).distinct()
    published = Credential.objects.filter(kind__in=PUBLISHED_QUALIFICATIONS, status=CredentialStatus.VERIFIED).order_by(
        "kind", "issued_on", "pk"
    )
    # A person's NIK and contact details are part of their workforce record: shown to those
    # who read everyone's (administrators, credentialing officers), or to the person themself.
    private = models.Case(
        models.When(user_id=scope.user.pk, then=models.Value(True)),
        default=models.Value(reads_all_people(scope)),
        output_field=models.BooleanField(),
    )
    return people.annotate(private_details_visible=private).prefetch_related(
        models.Prefetch("credentials", queryset=published, to_attr="published_credentials")
    )


def practitioner_roles(scope: Scope) -> QuerySet[PersonFacility]:
    """Where each person of the organization works, with their roles (for FHIR PractitionerRole).

    Limited to a facility-limited membership's facilities. Two queries; not audited here.
    """
    links = PersonFacility.objects.filter(organization=scope.organization)
    if scope.facility_ids is not None:
        links = links.filter(facility_id__in=scope.facility_ids)
    return links.select_related("person", "facility").prefetch_related("person__roles")
