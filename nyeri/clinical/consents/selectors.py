"""Consent reads: a patient's consents (state per kind and the history), the chart's summary, one consent.

Each takes a patient already fetched through ``access_patient`` (organization wall, clinical
role, care access, and the READ audit row of the page or endpoint) and reads in one query,
without an audit row of its own, like the chart's sections. ``access_consent`` fetches one
consent for a write (not audited: the write is).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import require_care_access
from nyeri.clinical.consents.services import OBJECT_TYPE
from nyeri.clinical.models import ConsentKind, ConsentStatus, Patient, PatientConsent
from nyeri.tenancy.scope import Scope


def _of(scope: Scope, patient: Patient) -> QuerySet[PatientConsent]:
    return PatientConsent.objects.filter(organization=scope.organization, patient=patient)


@dataclass
class KindState:
    """Where a patient stands on one kind of consent."""

    kind: ConsentKind
    given: list[PatientConsent] = field(default_factory=list)  # in force, newest first
    latest: PatientConsent | None = None  # the most recent of the kind, whatever its status

    @property
    def status(self) -> str:
        """``given`` (at least one in force), ``withdrawn`` (the last one was withdrawn) or ``none``."""
        if self.given:
            return ConsentStatus.GIVEN.value
        return ConsentStatus.WITHDRAWN.value if self.latest is not None else "none"

    @property
    def status_label(self) -> str:
        if self.status == "none":
            return _("Not recorded")
        return str(ConsentStatus(self.status).label)


@dataclass
class PatientConsents:
    states: list[KindState]  # one per kind, in ConsentKind's order
    history: list[PatientConsent]  # every consent, newest first

    @property
    def active_kinds(self) -> list[ConsentKind]:
        return [state.kind for state in self.states if state.given]


def patient_consents(scope: Scope, patient: Patient) -> PatientConsents:
    """Every consent of ``patient``, newest first, and the state of each kind: one query."""
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    require_care_access(scope, patient, purpose="consents", object_type=OBJECT_TYPE)
    history = list(
        _of(scope, patient).select_related("facility", "recorded_by", "withdrawn_by").order_by("-given_at", "-pk")
    )
    states = {kind: KindState(kind) for kind in ConsentKind}
    for consent in history:
        state = states[ConsentKind(consent.kind)]
        if state.latest is None:
            state.latest = consent
        if consent.status == ConsentStatus.GIVEN:
            state.given.append(consent)
    return PatientConsents(list(states.values()), history)


@dataclass(frozen=True)
class ConsentSummary:
    """The chart's summary: the kinds in force, with the procedures consented to."""

    kinds: list[ConsentKind]
    procedures: list[str]
    recorded: bool  # whether any consent (in force or withdrawn) was ever recorded


def consent_summary(scope: Scope, patient: Patient) -> ConsentSummary:
    """The kinds of consent in force for ``patient``: one query, no audit row (the chart's READ covers it)."""
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    require_care_access(scope, patient, purpose="chart", object_type=OBJECT_TYPE)
    rows = list(_of(scope, patient).order_by("given_at", "pk").values_list("kind", "status", "scope_note"))
    given = {kind for kind, status, _note in rows if status == ConsentStatus.GIVEN}
    return ConsentSummary(
        kinds=[kind for kind in ConsentKind if kind.value in given],
        procedures=[
            note for kind, status, note in rows if kind == ConsentKind.PROCEDURE and status == ConsentStatus.GIVEN
        ],
        recorded=bool(rows),
    )


def access_consent(scope: Scope, consent_id: int) -> PatientConsent:
    """The consent ``consent_id`` of the scope's organization, for a write (404 for another's, like a missing one).

    A member without care access to its patient is refused (audited) with the offer to break the glass.
    """
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    consent = (
        PatientConsent.objects.filter(organization=scope.organization, pk=consent_id)
        .select_related("patient", "patient__registered_at", "facility")
        .first()
    )
    if consent is None:
        raise Http404("No such consent")
    require_care_access(scope, consent.patient, purpose="consent", object_type=OBJECT_TYPE, object_id=consent.pk)
    return consent


def organization_consents(scope: Scope) -> QuerySet[PatientConsent]:
    """The organization's consent records with their patient (for FHIR Consent; not audited here)."""
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    return PatientConsent.objects.filter(organization=scope.organization).select_related("patient")
