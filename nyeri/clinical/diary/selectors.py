"""Diary reads: a patient's links for the staff, today's page and an entry for the patient.

Staff reads are scoped to the organization (and a facility-limited membership's
facilities): another organization's link is *not found*. The patient's reads go through
the link (``links.resolve_link``) and are audited with no actor, the label naming the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.utils import timezone

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.diary.links import ACTOR_LABEL
from nyeri.clinical.diary.services import DAILY_LIMIT, DIARY_INSTRUMENTS, entries_on_day
from nyeri.clinical.instruments import instrument as find_instrument
from nyeri.clinical.instruments.schema import Instrument
from nyeri.clinical.models import DiaryLink, DiaryLinkState, PainAssessment, Patient
from nyeri.tenancy.scope import Scope


def _visible(scope: Scope) -> QuerySet[DiaryLink]:
    qs = DiaryLink.objects.filter(organization=scope.organization)
    if scope.facility_ids is not None:
        qs = qs.filter(facility_id__in=scope.facility_ids)
    return qs


@dataclass(frozen=True)
class LinkRow:
    link: DiaryLink
    state: DiaryLinkState
    entries: int
    last_entry_at: datetime | None


def patient_diary_links(scope: Scope, patient: Patient, *, now: datetime | None = None) -> list[LinkRow]:
    """The patient's links, newest first, with their state and entry counts: one query.

    ``patient`` comes from ``access_patient`` (which audited the read).
    """
    ensure_clinical_role(scope, object_type="diary_link")
    moment = now or timezone.now()
    links = (
        _visible(scope)
        .filter(patient=patient)
        .select_related("facility", "issued_by", "revoked_by")
        .annotate(entry_count=Count("entries"), last_entry_at=Max("entries__recorded_at"))
        .order_by("-issued_at", "-pk")
    )
    return [LinkRow(link, link.state(moment), link.entry_count, link.last_entry_at) for link in links]


def access_link(scope: Scope, link_id: int) -> DiaryLink:
    """The link ``link_id`` of the scope, for a write (not audited: the write is)."""
    ensure_clinical_role(scope, object_type="diary_link")
    link = _visible(scope).select_related("patient", "facility").filter(pk=link_id).first()
    if link is None:
        raise Http404("No such diary link")
    return link


def _audit_patient_read(link: DiaryLink, object_type: str, object_id: int, purpose: str) -> None:
    with transaction.atomic():
        record_event(
            actor=None,
            actor_label=ACTOR_LABEL,
            action=AuditAction.READ,
            organization=link.organization,
            facility=link.facility,
            patient_id=link.patient_id,
            object_type=object_type,
            object_id=object_id,
            reason=f"diary link {link.pk}: {purpose}",
        )


@dataclass(frozen=True)
class DiaryInstrument:
    instrument: Instrument
    today: int

    @property
    def left_today(self) -> int:
        return max(DAILY_LIMIT - self.today, 0)


def diary_instruments() -> list[Instrument]:
    """The instruments of the diary, in the page's order (an instrument whose file is gone is left out)."""
    return [i for i in (find_instrument(code) for code in DIARY_INSTRUMENTS) if i is not None]


def diary_today(link: DiaryLink, *, now: datetime | None = None) -> list[DiaryInstrument]:
    """The diary's instruments with the link's entries today (one query and the audit row)."""
    counts = entries_on_day(link, now or timezone.now())
    _audit_patient_read(link, "diary_link", link.pk, "diary page opened")
    return [DiaryInstrument(i, counts.get(i.code, 0)) for i in diary_instruments()]


def diary_entry(link: DiaryLink, entry_id: int) -> PainAssessment:
    """An entry made through ``link`` (another link's entry is not found), with its scores."""
    entry = (
        PainAssessment.objects.filter(diary_link=link, pk=entry_id)
        .prefetch_related("answers", "scores", "body_sites")
        .first()
    )
    if entry is None:
        raise Http404("No such diary entry")
    _audit_patient_read(link, "pain_assessment", entry.pk, "entry confirmation shown")
    return entry
