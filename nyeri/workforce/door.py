"""The one door: may the acting user take this action here, now? One call, for every app.

``authorize(scope, action, facility, ...)`` asks the requirements engine about the
acting user's professional record (Person) and either returns what the decision relied on
(for the write's audit row) or refuses: the refusal's audit row, and ``ActionRefused``
with the engine's reasons in the user's language (``nyeri.tenancy.refusals``), which the
API and the pages render alike. Call it inside the write's ``write_transaction()``.

The acting user's professional facts (their Person, roles, facilities and credentials) are
read with the request's scope, in its one query (``register_actor_facts``): a request
decides without another query (one more only for an action that counts hours). A scope
resolved outside a request (a command, a test) reads them afresh at each decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from nyeri.lib.sql import JsonRows, rows
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import refuse
from nyeri.tenancy.scope import Scope, register_actor_facts
from nyeri.workforce.engine.decisions import Decision
from nyeri.workforce.engine.evaluate import decide_facts, decide_many
from nyeri.workforce.engine.facts import CredentialFact, PersonFacts
from nyeri.workforce.kinds import CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole

KEY = "professional"


@dataclass
class Professional:
    """The acting user's professional record as the engine sees it, and the hour windows read."""

    facts: PersonFacts
    hours_loaded: set[int] = field(default_factory=set)
    # The facilities whose clinical privilege grants are in ``facts``.
    grants_loaded: set[int] = field(default_factory=set)

    @property
    def person_id(self) -> int:
        return self.facts.person_id


@dataclass(frozen=True)
class Verdict:
    """The door's answer: allowed or not, why not (for the user), and the basis for the audit row."""

    allowed: bool
    facility: Facility
    # For the audit trail: what the decision relied on (pack, person, facility, credentials), or why not.
    basis: str
    # For the user, in the active language: why not.
    reasons: tuple[str, ...] = ()
    person_id: int | None = None
    decisions: tuple[Decision, ...] = ()

    @property
    def relied_on(self) -> tuple[int, ...]:
        return _relied_on(self.decisions)


def _relied_on(decisions: Sequence[Decision]) -> tuple[int, ...]:
    """The credentials the decisions relied on, once each."""
    return tuple(sorted(set(chain.from_iterable(d.relied_on for d in decisions))))


# --- The facts, read with the scope -------------------------------------------------------

_DATES = frozenset(("issued_on", "expires_on", "exam_passed_on"))


def _rows_of(selected: QuerySet[Any], columns: Sequence[str]) -> Subquery:
    """A person's rows as one JSON value, a subquery."""
    return Subquery(selected.order_by().values("person").annotate(rows=JsonRows(*columns)).values("rows"))


def _annotations(**person: Any) -> dict[str, Subquery]:
    return {
        "wf_roles": _rows_of(PersonRole.objects.filter(**person), ["role"]),
        "wf_facilities": _rows_of(PersonFacility.objects.filter(**person), ["facility_id"]),
        # A rejected credential is no fact.
        "wf_credentials": _rows_of(
            Credential.objects.filter(**person).exclude(status=CredentialStatus.REJECTED), CredentialFact._fields
        ),
    }


def _credential(row: list[Any]) -> CredentialFact:
    values = dict(zip(CredentialFact._fields, row, strict=True))
    for name in _DATES:
        if values[name] is not None:
            values[name] = date.fromisoformat(values[name])
    if values["hours"] is not None:
        values["hours"] = Decimal(str(values["hours"]))
    return CredentialFact(**values)


def _facts(person_id: int, roles: str | None, facilities: str | None, credentials: str | None) -> PersonFacts:
    by_kind: dict[str, list[CredentialFact]] = defaultdict(list)
    for row in rows(credentials):
        fact = _credential(row)
        by_kind[fact.kind].append(fact)
    return PersonFacts(
        person_id,
        roles={r[0] for r in rows(roles)},
        facility_ids={f[0] for f in rows(facilities)},
        credentials=by_kind,
    )


class _ProfessionalFacts:
    """Registered with the scope: the member's Person, roles, facilities and credentials."""

    key = KEY

    def annotations(self) -> dict[str, Any]:
        # The member's own Person: one per organization and user (a constraint).
        member = {"organization": OuterRef("organization_id"), "person__user": OuterRef("user_id")}
        person = Person.objects.filter(organization=OuterRef("organization_id"), user=OuterRef("user_id"))
        return {"wf_person": Subquery(person.values("pk")[:1]), **_annotations(**member)}

    def read(self, row: Mapping[str, Any]) -> Professional | None:
        return _professional(row["wf_person"], row)


register_actor_facts(_ProfessionalFacts())


def professional(scope: Scope) -> Professional | None:
    """The acting user's professional facts: the request's, or read now (one query)."""
    if KEY in scope.facts:
        loaded: Professional | None = scope.facts[KEY]
        return loaded
    person = Person.objects.filter(organization=scope.organization, user=scope.user).annotate(
        **_annotations(person=OuterRef("pk"))
    )
    row = person.first()
    return _professional(row.pk, row.__dict__) if row is not None else None


def _professional(person_id: int | None, annotated: Mapping[str, Any]) -> Professional | None:
    if person_id is None:
        return None
    return Professional(
        _facts(person_id, annotated["wf_roles"], annotated["wf_facilities"], annotated["wf_credentials"])
    )


# --- Deciding -----------------------------------------------------------------------------


def check(
    scope: Scope, action: str | Sequence[str], facility: Facility, *, no_record: str, at: datetime | None = None
) -> Verdict:
    """May the scope's user take ``action`` (every one of several) at ``facility``? Nothing is
    audited: for a page that shows or hides what the user may do. A write calls ``authorize``."""
    actions = [action] if isinstance(action, str) else list(action)
    label = ", ".join(actions)
    found = professional(scope)
    if found is None:
        return Verdict(False, facility, f"{label}: user {scope.user.pk} has no professional record", (no_record,))
    jurisdiction = scope.organization.jurisdiction
    decisions = tuple(
        decide_facts(
            found.facts,
            actions,
            facility,
            jurisdiction=jurisdiction,
            at=at,
            hours_loaded=found.hours_loaded,
            grants_loaded=found.grants_loaded,
        )
    )
    who = f"for person {found.person_id} at facility {facility.pk} by {decisions[0].pack}"
    refused = [d for d in decisions if not d.allowed]
    if refused:
        reasons = tuple(dict.fromkeys(chain.from_iterable(d.reasons() for d in refused)))
        # One action names its unmet codes; a list (even of one) names them per action, as
        # prescribing does ("prescribe: credential_expired; prescribe_controlled: ...").
        if isinstance(action, str):
            unmet = ", ".join(u.code for u in refused[0].unmet)
        else:
            unmet = "; ".join(f"{d.action}: {', '.join(u.code for u in d.unmet)}" for d in refused)
        return Verdict(False, facility, f"{label} refused {who}: {unmet}", reasons, found.person_id, decisions)
    relied_on = _relied_on(decisions)
    relied = f" relying on credentials {', '.join(map(str, relied_on))}" if relied_on else ""
    return Verdict(True, facility, f"{label} allowed {who}{relied}", (), found.person_id, decisions)


def authorize(
    scope: Scope,
    action: str | Sequence[str],
    facility: Facility,
    *,
    object_type: str,
    no_record: str,
    patient_id: int | None = None,
    object_id: int | str = "",
    wording: str = "",
    field: str = "",
    itemize: bool = True,
    at: datetime | None = None,
) -> Verdict:
    """``check``, for a write: a yes is returned (its ``basis`` goes into the write's audit
    row); a no is audited (``object_type``, ``patient_id``, ``object_id``) and raised as
    ``ActionRefused`` with the engine's reasons, or ``no_record`` when the user has no
    professional record to decide about. Call it inside the write's ``write_transaction``.
    """
    verdict = check(scope, action, facility, no_record=no_record, at=at)
    if not verdict.allowed:
        refuse(
            scope,
            audit_reason=verdict.basis,
            reasons=verdict.reasons,
            object_type=object_type,
            facility=facility,
            patient_id=patient_id,
            object_id=object_id,
            wording=wording,
            field=field,
            itemize=itemize,
        )
    return verdict


def check_person(
    scope: Scope, person_id: int, action: str, facility: Facility, *, at: datetime | None = None
) -> Verdict:
    """May another professional of the scope's organization (the clinician a patient is booked
    with, not the acting user) take ``action`` at ``facility`` at ``at``? Nothing is audited:
    the caller's write names the ``basis`` in its audit row, or refuses with the ``reasons``
    (the engine's, in the user's language) on the field that named the person."""
    decision = decide_many([person_id], [action], facility, at=at, jurisdiction=scope.organization.jurisdiction)[
        (person_id, action)
    ]
    who = f"for person {person_id} at facility {facility.pk} by {decision.pack}"
    if not decision.allowed:
        unmet = ", ".join(u.code for u in decision.unmet)
        return Verdict(
            False, facility, f"{action} refused {who}: {unmet}", tuple(decision.reasons()), person_id, (decision,)
        )
    relied_on = _relied_on((decision,))
    relied = f" relying on credentials {', '.join(map(str, relied_on))}" if relied_on else ""
    return Verdict(True, facility, f"{action} allowed {who}{relied}", (), person_id, (decision,))


__all__ = ["Professional", "Verdict", "authorize", "check", "check_person", "professional"]
