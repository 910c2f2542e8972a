"""Care access: may this member open this patient's record? The one rule every path asks.

The rule (docs/break-glass.md):

- A member whose membership is **not limited to facilities** has care access to every
  patient of the organization.
- A member **limited to facilities** has care access to a patient who is *registered* at one
  of their facilities, or who has an *encounter* (in progress or finished; a cancelled visit
  did not take place) at one of them.
- Otherwise an **active break-glass grant** of this user for this patient gives access
  until the grant ends; every read during it is marked with the grant.
- Anything else is refused (HTTP 403, with the offer to break the glass). A patient of
  another organization never reaches this rule: the callers report it *not found* (404).

``care_access`` decides; ``require_care_access`` refuses (and audits the refusal);
``annotate_care_access`` lets a patient query carry the facts, so that opening a patient
costs no query more than before. A patient object remembers its answer for the scope, so
the selectors that check again after ``access_patient`` cost nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import CharField, Exists, OuterRef, Q, Subquery, Value
from django.utils import timezone

from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_access_denied, record_event
from nyeri.clinical.breakglass.models import BreakGlassGrant
from nyeri.clinical.models import Encounter, EncounterStatus, Patient
from nyeri.tenancy.roles import Role

if TYPE_CHECKING:
    from nyeri.tenancy.scope import Scope

M = TypeVar("M", bound=models.Model)

OBJECT_TYPE = "break_glass_grant"

# The names of the annotations ``annotate_care_access`` puts on each row.
_ENCOUNTER = "care_via_encounter"
_GRANT_ID = "care_grant_id"
_GRANT_ENDS = "care_grant_ends_at"
# Whose facts, as of when: "<membership id>@<now, or empty for the time of the query>".
_ASKED = "care_asked"
# Where a patient object keeps its answer: {(membership id, now): CareAccess}.
_MEMO = "_nyeri_care_access"


class CareBasis(enum.StrEnum):
    ORGANIZATION = "organization"  # membership not limited to facilities
    REGISTERED = "registered"  # registered at one of the member's facilities
    ENCOUNTER = "encounter"  # a visit at one of the member's facilities
    BREAK_GLASS = "break_glass"  # an active break-glass grant
    NONE = "none"  # no care access


@dataclass(frozen=True)
class CareAccess:
    basis: CareBasis
    grant_id: int | None = None
    grant_ends_at: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.basis is not CareBasis.NONE

    @property
    def via_break_glass(self) -> bool:
        return self.basis is CareBasis.BREAK_GLASS

    def audit_reason(self, purpose: str) -> str:
        """``purpose``, marked with the grant when the access is break-glass (for the audit row)."""
        if not self.via_break_glass:
            return purpose
        mark = f"break-glass grant {self.grant_id}"
        return f"{purpose}; {mark}" if purpose else mark


class CareAccessRefused(PermissionDenied):
    """The member has no care access to ``patient``: a 403 page or envelope offering break-glass."""

    def __init__(self, patient: Patient) -> None:
        super().__init__("no care access to this patient")
        self.patient = patient


def _active_grants(scope: Scope, patient: Any, now: datetime) -> models.QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.filter(
        organization=scope.organization, user=scope.user, patient=patient, starts_at__lte=now, ends_at__gt=now
    ).order_by("-ends_at", "-pk")


def _visits_here(scope: Scope, patient: Any) -> models.QuerySet[Encounter]:
    assert scope.facility_ids is not None
    return Encounter.objects.filter(
        organization=scope.organization, patient=patient, facility_id__in=scope.facility_ids
    ).exclude(status=EncounterStatus.CANCELLED)


def care_annotations(scope: Scope, *, patient_ref: Any, now: datetime | None = None) -> dict[str, Any]:
    """The facts the rule needs beyond the patient row, as annotations of a query.

    ``patient_ref`` names the patient of each row (``OuterRef("pk")`` on a patient query).
    Empty for a membership not limited to facilities: it needs no facts.
    """
    if scope.facility_ids is None:
        return {}
    grants = _active_grants(scope, patient_ref, now or timezone.now())
    return {
        _ASKED: Value(_asked(scope, now), output_field=CharField()),
        _ENCOUNTER: Exists(_visits_here(scope, patient_ref)),
        _GRANT_ID: Subquery(grants.values("pk")[:1]),
        _GRANT_ENDS: Subquery(grants.values("ends_at")[:1]),
    }


def _asked(scope: Scope, now: datetime | None) -> str:
    return f"{scope.membership_id}@{now.isoformat() if now else ''}"


def annotate_care_access(qs: models.QuerySet[M], scope: Scope, *, now: datetime | None = None) -> models.QuerySet[M]:
    """A patient query whose rows carry what ``care_access`` needs (no query of its own)."""
    annotations = care_annotations(scope, patient_ref=OuterRef("pk"), now=now)
    return qs.annotate(**annotations) if annotations else qs


def care_columns(scope: Scope) -> tuple[str, ...]:
    """The columns ``annotate_care_access`` adds that ``row_in_care`` reads (none when not limited)."""
    return () if scope.facility_ids is None else (_ENCOUNTER, _GRANT_ID, _GRANT_ENDS)


def row_in_care(scope: Scope, row: dict[str, Any]) -> bool:
    """``care_access(...).allowed`` for a plain row of a query made by ``annotate_care_access``
    (``registered_at_id`` and the ``care_columns``): no query."""
    return _decide(
        scope, row["registered_at_id"], bool(row.get(_ENCOUNTER)), row.get(_GRANT_ID), row.get(_GRANT_ENDS)
    ).allowed


def in_care_q(scope: Scope) -> Q:
    """A filter of a query made by ``annotate_care_access``: the patients the member has care access to."""
    if scope.facility_ids is None:
        return Q()
    return Q(registered_at_id__in=scope.facility_ids) | Q(**{_ENCOUNTER: True}) | Q(**{f"{_GRANT_ID}__isnull": False})


def _decide(
    scope: Scope, registered_at_id: int, via_encounter: bool, grant_id: int | None, grant_ends_at: datetime | None
) -> CareAccess:
    if scope.facility_ids is None:
        return CareAccess(CareBasis.ORGANIZATION)
    if registered_at_id in scope.facility_ids:
        return CareAccess(CareBasis.REGISTERED)
    if via_encounter:
        return CareAccess(CareBasis.ENCOUNTER)
    if grant_id is not None:
        return CareAccess(CareBasis.BREAK_GLASS, grant_id, grant_ends_at)
    return CareAccess(CareBasis.NONE)


def care_access(scope: Scope, patient: Patient, *, now: datetime | None = None) -> CareAccess:
    """Whether ``scope``'s member has care access to ``patient`` (of the scope's organization), and why.

    No query for a member not limited to facilities, for a patient registered at one of
    their facilities, for a patient fetched through ``annotate_care_access``, or for one
    already asked about; one query otherwise.
    """
    memo: dict[tuple[int, datetime | None], CareAccess] = patient.__dict__.setdefault(_MEMO, {})
    key = (scope.membership_id, now)
    if key in memo:
        return memo[key]
    facts = patient.__dict__
    if scope.facility_ids is None or patient.registered_at_id in scope.facility_ids:
        access = _decide(scope, patient.registered_at_id, False, None, None)
    elif facts.get(_ASKED) == _asked(scope, now):
        access = _decide(scope, patient.registered_at_id, facts[_ENCOUNTER], facts[_GRANT_ID], facts[_GRANT_ENDS])
    else:
        row = (
            Patient.objects.filter(pk=patient.pk)
            .annotate(**care_annotations(scope, patient_ref=OuterRef("pk"), now=now))
            .values(_ENCOUNTER, _GRANT_ID, _GRANT_ENDS)
            .first()
        )
        access = (
            _decide(scope, patient.registered_at_id, row[_ENCOUNTER], row[_GRANT_ID], row[_GRANT_ENDS])
            if row is not None
            else CareAccess(CareBasis.NONE)
        )
    memo[key] = access
    return access


def require_care_access(
    scope: Scope,
    patient: Patient,
    *,
    purpose: str = "",
    object_type: str = "patient",
    object_id: int | str | None = None,
    now: datetime | None = None,
) -> CareAccess:
    """``care_access``, or an audited refusal (``CareAccessRefused``, which offers break-glass)."""
    access = care_access(scope, patient, now=now)
    if access.allowed:
        return access
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=scope.organization,
            patient_id=patient.pk,
            object_type=object_type,
            object_id=(patient.pk if object_type == "patient" else "") if object_id is None else object_id,
            reason=f"no care access: {purpose}" if purpose else "no care access",
        )
    raise CareAccessRefused(patient)


def forget_care_access(patient: Patient) -> None:
    """Drop the remembered answer and facts (after a grant was written for this patient object)."""
    for name in (_MEMO, _ASKED, _ENCOUNTER, _GRANT_ID, _GRANT_ENDS):
        patient.__dict__.pop(name, None)


def ensure_compliance_officer(scope: Scope, *, object_type: str = OBJECT_TYPE) -> None:
    """Reviewing break-glass is the compliance officer's: anyone else is refused, and that is audited."""
    if scope.has_role(Role.COMPLIANCE_OFFICER):
        return
    record_access_denied(
        actor=scope.user, organization=scope.organization, object_type=object_type, reason="not a compliance officer"
    )
    raise PermissionDenied
