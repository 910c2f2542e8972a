"""Diary reads: a patient's links for the staff, today's page and an entry for the patient.

Staff reads are scoped to the organization (and a facility-limited membership's
facilities): another organization's link is *not found*. The patient's reads go through
the link (``links.resolve_link``) and are audited with no actor, the label naming the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, CharField, Count, F, Max, QuerySet, Value, When, Window
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.diary.links import ACTOR_LABEL
from nyeri.clinical.diary.services import DAILY_LIMIT, DIARY_INSTRUMENTS, entries_on_day
from nyeri.clinical.instruments import instrument as find_instrument
from nyeri.clinical.instruments.schema import Instrument
from nyeri.clinical.models import AssessmentStatus, DiaryLink, DiaryLinkState, PainAssessment, Patient
from nyeri.lib.panels import Panel, Tally
from nyeri.lib.rows import PageRows, page_of
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import CARE_ROLES
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


# The columns of a link in the staff's list (the API's LinkOut).
LINK_COLUMNS = (
    "id",
    "patient_id",
    "facility_id",
    "issued_by_id",
    "issued_at",
    "expires_at",
    "revoked_at",
    "revoked_by_id",
    "revoke_reason",
    "link_state",
    "entry_count",
    "last_entry_at",
)


def patient_diary_link_rows(
    scope: Scope, patient: Patient, *, offset: int = 0, limit: int = 50, now: datetime | None = None
) -> PageRows:
    """``patient_diary_links`` for a list: one page of the ``LINK_COLUMNS`` (``link_state`` as ``state``,
    ``entry_count`` as ``entries``), the state worked out by the database as ``DiaryLink.state`` does (1 query)."""
    ensure_clinical_role(scope, object_type="diary_link")
    moment = now or timezone.now()
    ordered = (
        _visible(scope)
        .filter(patient=patient)
        .annotate(
            link_state=Case(
                When(revoked_at__isnull=False, then=Value(DiaryLinkState.REVOKED.value)),
                When(expires_at__lte=moment, then=Value(DiaryLinkState.EXPIRED.value)),
                default=Value(DiaryLinkState.ACTIVE.value),
                output_field=CharField(),
            ),
            entry_count=Count("entries"),
            last_entry_at=Max("entries__recorded_at"),
        )
        .order_by("-issued_at", "-pk")
    )
    found = page_of(ordered, LINK_COLUMNS, offset=offset, limit=limit)
    for row in found.rows:
        # "entries" and "state" are names on the model (a relation, a method), so the
        # annotations cannot take them.
        row["state"] = row.pop("link_state")
        row["entries"] = row.pop("entry_count")
    return found


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


# --- The clinician's home -------------------------------------------------------------------

# A diary entry needs a look when its pain score reaches this on the 0-10 scale of the
# diary's instruments (NRS, PEG): "severe" pain on the NRS bands (7-10).
ALERT_AT = Decimal(7)
ALERT_DAYS = 7
ALERT_ROWS = 10


@dataclass(frozen=True)
class AlertRow:
    assessment_id: int
    patient_id: int
    patient_name: str
    instrument: str
    value: Decimal
    recorded_at: datetime


def home_panel(scope: Scope, facility: Facility) -> Panel | None:
    """Diary entries at ``facility`` in the last 7 days whose pain score reached 7 of 10,
    the newest first (one query, and the audit row of the patients named)."""
    if not scope.roles & CARE_ROLES:
        return None
    since = timezone.now() - timedelta(days=ALERT_DAYS)
    crossed = PainAssessment.objects.filter(
        organization=scope.organization,
        facility=facility,
        diary_link__isnull=False,
        status=AssessmentStatus.CURRENT,
        recorded_at__gte=since,
        scores__score_code="total",
        scores__value__gte=ALERT_AT,
    )
    # One query: the newest rows, each carrying the count of all (a window over the whole set).
    found = list(
        crossed.select_related("patient")
        .annotate(value=F("scores__value"), total=Window(Count("pk")))
        .order_by("-recorded_at", "-pk")[:ALERT_ROWS]
    )
    total = found[0].total if found else 0
    rows = tuple(
        AlertRow(
            a.pk,
            a.patient_id,
            a.patient.full_name,
            _instrument_name(a.instrument_code),
            a.value,
            a.recorded_at,
        )
        for a in found
    )
    if rows:
        with transaction.atomic():
            record_event(
                actor=scope.user,
                action=AuditAction.SEARCH,
                organization=scope.organization,
                facility=facility,
                object_type="pain_assessment",
                reason=f"home: diary entries at or above {ALERT_AT}: patients "
                + ", ".join(sorted({str(r.patient_id) for r in rows})),
            )
    return Panel(
        title=_("Patient diaries"),
        counts=(
            Tally(
                _("Entries of severe pain (7 or more of 10) in the last %(days)s days") % {"days": ALERT_DAYS},
                total,
                "",
                urgent=True,
            ),
        ),
        rows=rows,
    )


def _instrument_name(code: str) -> str:
    found = find_instrument(code)
    return found.name(get_language()) if found is not None else code
