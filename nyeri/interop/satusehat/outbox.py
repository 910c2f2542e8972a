"""The SATUSEHAT flow: finished visits collected into the outbox, and the outbox drained.

Why a collector job rather than a hook in the clinical app: the clinical app must not know
SATUSEHAT (interop depends on clinical, never the reverse), and a send started from the
web request that finishes a visit dies with that request. The collector looks at the
database itself (every finished visit of a connected organization without an outbox entry
yet), so a visit finished by any path - page, API, import - is queued, and nothing is lost
when a process dies: the next run (every minute, ``nyeri/background/schedule.py``) finds it.

Each record of a visit is one outbox entry (``encounter:12``, ``condition:40``, ...), its
payload the FHIR builders' resource with Nyeri's own references. The references are
rewritten to SATUSEHAT ids only when the entry is sent (``_for_satusehat``): the patient's
and practitioners' IHS numbers (looked up by NIK once, kept in ``SatusehatIdentity``), the
facility's Location (registered once), the organization's SATUSEHAT id, and the SATUSEHAT id
of the visit's Encounter entry - which therefore goes first: an entry is taken only once the
entry it depends on is sent.

``drain`` sends what is due. Several workers may drain at once: each claims a few entries
(``select_for_update(skip_locked=True)`` on PostgreSQL; on SQLite the IMMEDIATE transaction
serializes the claim) with a lease, so a record is sent by one worker at a time - never
twice - and a record whose worker died is taken again when its lease lapses.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.background.registry import RetryPolicy
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import AssessmentScore, AssessmentStatus, Encounter, EncounterStatus, Patient
from nyeri.interop.fhir import condition, location, medication_dispense, medication_request, observation, procedure
from nyeri.interop.fhir import encounter as encounter_fhir
from nyeri.interop.models import OutboxStatus, SatusehatIdentity, SatusehatOutboxEntry, SatusehatSettings
from nyeri.interop.satusehat.client import CredentialsRefused, Refused, Retryable, SatusehatClient
from nyeri.interop.satusehat.selectors import connection_for
from nyeri.notifications.models import NotificationKind
from nyeri.notifications.services import create_notification
from nyeri.prescriptions.models import PrescriptionItem, PrescriptionStatus
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord, ProcedureStatus
from nyeri.register.models import Movement, MovementKind
from nyeri.tenancy.clock import local_date, period_bounds
from nyeri.tenancy.models import Facility, Membership
from nyeri.tenancy.roles import Role
from nyeri.workforce.engine.evaluate import decide
from nyeri.workforce.models import Person

if TYPE_CHECKING:
    from nyeri.tenancy.models import Organization

logger = logging.getLogger(__name__)

OBJECT_TYPE = "satusehat_outbox"
ACTOR = "satusehat"
# Network errors, timeouts, 5xx, 429: the entry is tried again after a growing wait, never
# given up (SATUSEHAT down for a day still gets everything once it returns).
RETRY = RetryPolicy(max_attempts=1, base_delay=timedelta(seconds=30), max_delay=timedelta(minutes=30))
# A practitioner's licence is looked at again this often while an entry waits for it.
LICENCE_RECHECK = timedelta(minutes=10)
# An entry whose Encounter (or prescription) is being sent by another worker right now.
NOT_READY_WAIT = timedelta(seconds=2)
# How long a worker's claim holds: longer than two requests with their timeouts.
CLAIM_LEASE = timedelta(minutes=5)
# A round stops after this many failures in a row: SATUSEHAT down costs a few requests a
# round, not one per waiting record.
FAILURES_PER_ROUND = 3
# The licence that makes a practitioner a performer SATUSEHAT may be told about (STR, SIP).
LICENCE_ACTION = "record_assessment"
LICENCE_CODES = ("credential_", "permit_")
# The order of a visit's records (the Encounter first: the others name it).
VISIT_ORDER = ("Encounter", "Condition", "Observation", "Procedure", "MedicationRequest", "MedicationDispense")


def local_key(resource_type: str, pk: int | str) -> str:
    return f"{resource_type.lower()}:{pk}"


# --- building a visit's records ------------------------------------------------------------
def _procedures(organization: Organization) -> QuerySet[ProcedureRecord]:
    return (
        ProcedureRecord.objects.filter(
            organization=organization, status__in=[ProcedureStatus.PERFORMED, ProcedureStatus.ENTERED_IN_ERROR]
        )
        .select_related("patient")
        .prefetch_related(
            Prefetch("performances", queryset=ProcedurePerformance.objects.order_by("version"), to_attr="versions")
        )
    )


def _scores(organization: Organization) -> QuerySet[AssessmentScore]:
    return (
        AssessmentScore.objects.filter(organization=organization)
        .exclude(assessment__status=AssessmentStatus.AMENDED)
        .select_related("assessment", "assessment__patient", "assessment__facility")
        .prefetch_related("assessment__body_sites")
    )


def _encounters(organization: Organization) -> QuerySet[Encounter]:
    return (
        Encounter.objects.filter(organization=organization)
        .select_related("patient", "facility")
        .prefetch_related("participants")
    )


def _prescription_items(organization: Organization) -> QuerySet[PrescriptionItem]:
    return PrescriptionItem.objects.filter(organization=organization).select_related(
        "prescription", "prescription__patient"
    )


def _dispensings(organization: Organization) -> QuerySet[Movement]:
    return Movement.objects.filter(organization=organization, kind=MovementKind.DISPENSING).select_related(
        "balance", "prescription_item", "patient", "reversed_by"
    )


def _visit_resources(visit: Encounter) -> list[dict[str, Any]]:
    """The visit's records as FHIR (Nyeri's references), the Encounter first."""
    return _visits_resources(visit.organization, [visit])[visit.pk]


def _visits_resources(organization: Organization, visits: Sequence[Encounter]) -> dict[int, list[dict[str, Any]]]:
    """The records of each of ``visits`` as FHIR (Nyeri's references), the Encounter first, by
    visit: one query per kind of record, whatever the number of visits."""
    if not visits:
        return {}
    ids = [v.pk for v in visits]
    # Keyed by the records' encounter_id, never None here (filtered by it).
    built: dict[int | None, list[Any]] = {v.pk: [encounter_fhir.build(v)] for v in visits}
    diagnoses = Diagnosis.objects.filter(organization=organization, encounter_id__in=ids, superseded_by__isnull=True)
    for d in diagnoses.select_related("patient").order_by("pk"):
        built[d.encounter_id].append(condition.build(d))
    for s in _scores(organization).filter(assessment__encounter_id__in=ids).order_by("pk"):
        built[s.assessment.encounter_id].append(observation.build(s))
    for p in _procedures(organization).filter(encounter_id__in=ids).order_by("pk"):
        built[p.encounter_id].append(procedure.build(p))
    # Prescriptions name no visit: those of the patient signed during it (or on its day,
    # when signed just after) belong to it. "Its day" is the facility's local day: a
    # Jayapura visit at 08:00 WIT is 06:00 WIB, and a prescription signed at 23:30 WIT
    # the same evening is already the next day in the installation's zone.
    periods: dict[int, tuple[datetime, datetime]] = {}
    for v in visits:
        first_day = local_date(v.facility, v.starts_at)
        last_day = local_date(v.facility, v.ends_at or v.starts_at)
        periods[v.pk] = period_bounds(v.facility, first_day, last_day)
    items = list(
        _prescription_items(organization)
        .filter(prescription__patient_id__in={v.patient_id for v in visits})
        .filter(prescription__status=PrescriptionStatus.SIGNED)
        .filter(
            prescription__signed_at__gte=min(opens for opens, _ in periods.values()),
            prescription__signed_at__lt=max(closes for _, closes in periods.values()),
        )
        .order_by("pk")
    )
    dispensings = list(_dispensings(organization).filter(prescription_item__in=[i.pk for i in items]).order_by("pk"))
    for v in visits:
        opens, closes = periods[v.pk]
        mine = [i for i in items if i.prescription.patient_id == v.patient_id and _within(i, opens, closes)]
        built[v.pk] += [medication_request.build(i) for i in mine]
        mine_ids = {i.pk for i in mine}
        built[v.pk] += [medication_dispense.build(m) for m in dispensings if m.prescription_item_id in mine_ids]
    return {
        pk: [r.model_dump(mode="json", exclude_none=True) for r in records]
        for pk, records in built.items()
        if pk is not None
    }


def _within(item: PrescriptionItem, opens: datetime, closes: datetime) -> bool:
    signed_at = item.prescription.signed_at
    return signed_at is not None and opens <= signed_at < closes


def rebuild(entry: SatusehatOutboxEntry) -> dict[str, Any] | None:
    """The entry's record built again from the database (after a fix), or None if gone."""
    kind, _sep, pk = entry.local_key.partition(":")
    if not pk.isdigit():
        return None
    organization = entry.organization
    rows: dict[str, tuple[QuerySet[Any], Callable[[Any], Any]]] = {
        "encounter": (_encounters(organization), encounter_fhir.build),
        "condition": (Diagnosis.objects.filter(organization=organization, superseded_by__isnull=True), condition.build),
        "observation": (_scores(organization), observation.build),
        "procedure": (_procedures(organization), procedure.build),
        "medicationrequest": (_prescription_items(organization), medication_request.build),
        "medicationdispense": (_dispensings(organization), medication_dispense.build),
    }
    if kind not in rows:
        return None
    queryset, build = rows[kind]
    row = queryset.filter(pk=int(pk)).first()
    return None if row is None else build(row).model_dump(mode="json", exclude_none=True)


def _patient_of(resource: dict[str, Any]) -> int | None:
    reference = str((resource.get("subject") or {}).get("reference") or "")
    kind, _sep, pk = reference.partition("/")
    return int(pk) if kind == "Patient" and pk.isdigit() else None


def queue_visit(visit: Encounter, *, now: datetime) -> int:
    """Put a finished visit's records in the outbox (one transaction, audited); the count."""
    resources = _visit_resources(visit)
    with transaction.atomic():
        parent: SatusehatOutboxEntry | None = None
        made = 0
        for resource in resources:
            entry, created = SatusehatOutboxEntry.objects.get_or_create(
                organization=visit.organization,
                local_key=local_key(resource["resourceType"], resource["id"]),
                defaults={
                    "resource_type": resource["resourceType"],
                    "payload": resource,
                    "patient_id": visit.patient_id,
                    "queued_at": now,
                    "encounter_id": visit.pk,
                    "depends_on": parent,
                },
            )
            made += created
            if parent is None:
                parent = entry
        record_event(
            actor=None,
            actor_label=ACTOR,
            action=AuditAction.CREATE,
            organization=visit.organization,
            patient_id=visit.patient_id,
            object_type=OBJECT_TYPE,
            object_id=parent.pk if parent is not None else visit.pk,
            reason=f"queued finished encounter {visit.pk}: {made} record(s)",
        )
    return made


def collect_finished_encounters(organization: Organization, *, now: datetime | None = None, limit: int = 500) -> int:
    """Queue the organization's finished visits not queued yet (oldest first); records queued."""
    moment = now or timezone.now()
    row = SatusehatSettings.objects.filter(organization=organization).first()
    if row is None:
        return 0
    queued = SatusehatOutboxEntry.objects.filter(
        organization=organization, resource_type="Encounter", encounter_id=OuterRef("pk")
    )
    visits = _encounters(organization).filter(status=EncounterStatus.FINISHED).exclude(Exists(queued))
    if row.send_visits_from is not None:
        # An organization's cut-over day (one setting for all its facilities): the
        # installation's day.
        visits = visits.filter(ends_at__date__gte=row.send_visits_from)
    count = 0
    for visit in visits.select_related("organization").order_by("ends_at", "pk")[:limit]:
        try:
            count += queue_visit(visit, now=moment)
        except IntegrityError:  # another collector queued it at the same moment
            logger.info("encounter %s was queued by another collector", visit.pk)
    return count


# --- visits collected already: records added or changed since ------------------------------
# A visit is collected once, a minute after it ends; its records do not all exist then, nor
# stay as they were: the pharmacy dispenses later that day, a diagnosis is written up in the
# evening, a pain score is amended. This sweep builds the recently collected visits again:
# a record without an entry is queued (after the visit's Encounter), an entry whose record
# now builds differently is sent again (an update, PUT to its SATUSEHAT id, once it has one).
RESYNC_WINDOW = timedelta(days=7)


def resync_visit(visit: Encounter, *, now: datetime, resources: list[dict[str, Any]] | None = None) -> tuple[int, int]:
    """Queue ``visit``'s records added since it was collected and re-send those changed:
    (added, changed). Entries a worker holds right now are left to the next sweep.
    ``resources``: the visit's records as FHIR, when the caller built them already."""
    resources = _visit_resources(visit) if resources is None else resources
    added = changed = 0
    with transaction.atomic():
        entries = {
            e.local_key: e
            for e in SatusehatOutboxEntry.objects.select_for_update().filter(
                organization=visit.organization, encounter_id=visit.pk
            )
        }
        parent = entries.get(local_key("Encounter", visit.pk))
        if parent is None:
            return 0, 0  # not collected yet: the collector queues it whole
        free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        for resource in resources:
            key = local_key(resource["resourceType"], resource["id"])
            entry = entries.get(key)
            if entry is None:
                SatusehatOutboxEntry.objects.create(
                    organization=visit.organization,
                    local_key=key,
                    resource_type=resource["resourceType"],
                    payload=resource,
                    patient_id=visit.patient_id,
                    queued_at=now,
                    encounter_id=visit.pk,
                    depends_on=parent,
                )
                added += 1
            elif entry.payload != resource:
                # A refused record that changed is a record someone fixed: it goes again too.
                changed += (
                    SatusehatOutboxEntry.objects.filter(pk=entry.pk)
                    .filter(free)
                    .update(
                        payload=resource,
                        status=OutboxStatus.PENDING,
                        attempts=0,
                        last_error="",
                        waiting_reason="",
                        next_attempt_at=None,
                    )
                )
        if added or changed:
            record_event(
                actor=None,
                actor_label=ACTOR,
                action=AuditAction.UPDATE,
                organization=visit.organization,
                patient_id=visit.patient_id,
                object_type=OBJECT_TYPE,
                object_id=parent.pk,
                reason=f"encounter {visit.pk} again: {added} record(s) added, {changed} changed",
            )
    return added, changed


def resync_recent_visits(organization: Organization, *, now: datetime | None = None) -> tuple[int, int]:
    """``resync_visit`` for the organization's visits collected within ``RESYNC_WINDOW``."""
    moment = now or timezone.now()
    collected = SatusehatOutboxEntry.objects.filter(
        organization=organization, resource_type="Encounter", encounter_id=OuterRef("pk")
    )
    visits = list(
        _encounters(organization)
        .filter(status=EncounterStatus.FINISHED, ends_at__gte=moment - RESYNC_WINDOW)
        .filter(Exists(collected))
        .select_related("organization")
        .order_by("ends_at", "pk")
    )
    # Every visit's records and entries read at once: a sweep that finds nothing new costs
    # the same few queries however many visits the window holds.
    built = _visits_resources(organization, visits)
    queued: dict[int | None, dict[str, Any]] = {}
    rows = SatusehatOutboxEntry.objects.filter(organization=organization, encounter_id__in=[v.pk for v in visits])
    for encounter_id, key, payload in rows.values_list("encounter_id", "local_key", "payload"):
        queued.setdefault(encounter_id, {})[key] = payload
    added = changed = 0
    for visit in visits:
        resources, entries = built[visit.pk], queued.get(visit.pk, {})
        if all(entries.get(local_key(r["resourceType"], r["id"])) == r for r in resources):
            continue  # nothing added or changed since it was queued
        a, c = resync_visit(visit, now=moment, resources=resources)
        added, changed = added + a, changed + c
    return added, changed


def resync(*, now: Callable[[], datetime] = timezone.now) -> dict[str, int]:
    """The periodic job's body: every connected organization's recent visits built again."""
    added = changed = 0
    for row in SatusehatSettings.objects.filter(paused_reason="").select_related("organization").order_by("pk"):
        a, c = resync_recent_visits(row.organization, now=now())
        added, changed = added + a, changed + c
    return {"added": added, "changed": changed}


# --- rewriting references to SATUSEHAT ids -------------------------------------------------
class NotReady(Exception):
    """A record this one names is being sent right now: try again in a moment (no attempt counted)."""


class Waiting(Exception):
    """Something on our side must change first (a practitioner's licence): the entry waits, with the reason."""


class LocalRefusal(Exception):
    """The record cannot be sent as it is (no NIK, unknown to SATUSEHAT): kept refused until fixed."""


@dataclass
class Resolver:
    """Turns Nyeri references into SATUSEHAT ones for one organization (learning ids as it goes)."""

    organization: Organization
    settings: SatusehatSettings
    client: SatusehatClient
    known: dict[tuple[str, int], str] = field(default_factory=dict)

    def _kept(self, resource_type: str, pk: int) -> str | None:
        if (resource_type, pk) not in self.known:
            found = (
                SatusehatIdentity.objects.filter(
                    organization=self.organization,
                    environment=self.settings.environment,
                    resource_type=resource_type,
                    local_id=pk,
                )
                .values_list("remote_id", flat=True)
                .first()
            )
            if found is None:
                return None
            self.known[(resource_type, pk)] = found
        return self.known[(resource_type, pk)]

    def _keep(self, resource_type: str, pk: int, remote_id: str) -> str:
        SatusehatIdentity.objects.get_or_create(
            organization=self.organization,
            environment=self.settings.environment,
            resource_type=resource_type,
            local_id=pk,
            defaults={"remote_id": remote_id},
        )
        self.known[(resource_type, pk)] = remote_id
        return remote_id

    def patient(self, pk: int) -> str:
        patient = Patient.objects.filter(organization=self.organization, pk=pk).first()
        if patient is None:
            raise LocalRefusal(_("The patient's record no longer exists."))
        # The record's own IHS number first (corrected there, it is used at the next send).
        if patient.ihs_number:
            return patient.ihs_number
        kept = self._kept("Patient", pk)
        if kept:
            return kept
        if not patient.nik:
            raise LocalRefusal(
                _("The patient %(record)s has no NIK: SATUSEHAT cannot identify them.") % {"record": patient.mrn}
            )
        ihs = self.client.patient_ihs_by_nik(patient.nik)
        if ihs is None:
            raise LocalRefusal(
                _("SATUSEHAT knows no patient with the NIK of patient %(record)s.") % {"record": patient.mrn}
            )
        return self._keep("Patient", pk, ihs)

    def practitioner(self, pk: int) -> str:
        kept = self._kept("Practitioner", pk)
        if kept:
            return kept
        person = Person.objects.filter(organization=self.organization, pk=pk).first()
        if person is None:
            raise LocalRefusal(_("The practitioner's record no longer exists."))
        if not person.nik:
            raise LocalRefusal(
                _("%(person)s has no NIK: SATUSEHAT cannot identify them.") % {"person": person.full_name}
            )
        ihs = self.client.practitioner_ihs_by_nik(person.nik)
        if ihs is None:
            raise LocalRefusal(
                _("SATUSEHAT knows no practitioner with the NIK of %(person)s.") % {"person": person.full_name}
            )
        return self._keep("Practitioner", pk, ihs)

    def location(self, pk: int) -> str:
        kept = self._kept("Location", pk)
        if kept:
            return kept
        facility = Facility.objects.filter(organization=self.organization, pk=pk).first()
        if facility is None:
            raise LocalRefusal(_("The facility no longer exists."))
        resource = location.build(facility).model_dump(mode="json", exclude_none=True)
        resource["managingOrganization"] = {"reference": f"Organization/{self.settings.satusehat_organization_id}"}
        sent = self.client.send(resource)
        with transaction.atomic():
            self._keep("Location", pk, sent.remote_id)
            record_event(
                actor=None,
                actor_label=ACTOR,
                action=AuditAction.EXPORT,
                organization=self.organization,
                facility=facility,
                object_type="facility",
                object_id=facility.pk,
                reason=f"SATUSEHAT Location/{sent.remote_id} registered",
            )
        return sent.remote_id

    def sent_entry(self, resource_type: str, pk: int) -> str | None:
        """The SATUSEHAT id of another outbox record; None when it is not in the outbox."""
        row = (
            SatusehatOutboxEntry.objects.filter(organization=self.organization, local_key=local_key(resource_type, pk))
            .values("status", "remote_id")
            .first()
        )
        if row is None:
            return None
        if row["remote_id"]:
            return str(row["remote_id"])
        if row["status"] == OutboxStatus.REFUSED:
            raise LocalRefusal(
                _("The record it names (%(record)s) was refused by SATUSEHAT.")
                % {"record": local_key(resource_type, pk)}
            )
        raise NotReady(local_key(resource_type, pk))

    def reference(self, value: str) -> str | None:
        """The SATUSEHAT reference for a Nyeri one; None: leave it out (SATUSEHAT has no such record)."""
        kind, _sep, pk = value.partition("/")
        if not pk.isdigit():
            return value  # already a SATUSEHAT id (a resource queued by hand)
        number = int(pk)
        if kind == "Patient":
            return f"Patient/{self.patient(number)}"
        if kind == "Practitioner":
            return f"Practitioner/{self.practitioner(number)}"
        if kind == "Location":
            return f"Location/{self.location(number)}"
        if kind == "Organization":
            return f"Organization/{self.settings.satusehat_organization_id}"
        if kind in VISIT_ORDER:
            remote = self.sent_entry(kind, number)
            return None if remote is None else f"{kind}/{remote}"
        return None

    def rewrite(self, value: Any) -> Any:
        """``value`` with every reference rewritten (an element whose reference is unknown is left out)."""
        if isinstance(value, dict):
            if isinstance(value.get("reference"), str):
                rewritten = self.reference(value["reference"])
                return None if rewritten is None else {**value, "reference": rewritten}
            out: dict[str, Any] = {}
            for key, item in value.items():
                new = self.rewrite(item)
                if new is not None and new != []:
                    out[key] = new
            return out
        if isinstance(value, list):
            return [new for new in (self.rewrite(item) for item in value) if new is not None]
        return value


def _practitioners(resource: dict[str, Any]) -> list[int]:
    """The practitioners a resource names as its performers (participants, performers, requester)."""
    found: list[dict[str, Any]] = []
    if resource.get("resourceType") == "Encounter":
        found = [p.get("individual") or {} for p in resource.get("participant") or []]
    elif resource.get("resourceType") == "Procedure":
        found = [p.get("actor") or {} for p in resource.get("performer") or []]
    elif resource.get("resourceType") == "MedicationRequest":
        found = [resource.get("requester") or {}]
    ids = []
    for ref in found:
        kind, _sep, pk = str(ref.get("reference") or "").partition("/")
        if kind == "Practitioner" and pk.isdigit():
            ids.append(int(pk))
    return ids


def _licence_problems(entry: SatusehatOutboxEntry, resource: dict[str, Any]) -> str:
    """Why a performer of the record may not be named on the visit's date ("" when all may)."""
    people = _practitioners(resource)
    if not people or entry.encounter_id is None:
        return ""
    visit = (
        Encounter.objects.filter(organization=entry.organization, pk=entry.encounter_id)
        .select_related("facility", "facility__organization")
        .first()
    )
    if visit is None:
        return ""
    problems = []
    for person in Person.objects.filter(organization=entry.organization, pk__in=people).order_by("pk"):
        decision = decide(person.pk, LICENCE_ACTION, visit.facility, at=visit.starts_at)
        # Only the licence (STR, SIP) matters here, not which roles the action asks.
        unmet = [u for u in decision.unmet if u.code.startswith(LICENCE_CODES) or u.code == "one_of"]
        if unmet:
            problems.append(
                _("%(person)s is not licensed on the visit's date: %(reasons)s")
                % {"person": person.full_name, "reasons": " ".join(u.message() for u in unmet)}
            )
    return " ".join(problems)


def _for_satusehat(entry: SatusehatOutboxEntry, resolver: Resolver) -> dict[str, Any]:
    """The entry's payload as SATUSEHAT takes it, or Waiting / NotReady / LocalRefusal."""
    payload: dict[str, Any] = dict(entry.payload)
    problems = _licence_problems(entry, payload)
    if problems:
        raise Waiting(problems)
    rewritten: dict[str, Any] = resolver.rewrite(payload)
    return rewritten


# --- draining ------------------------------------------------------------------------------
@dataclass
class DrainReport:
    sent: int = 0
    refused: int = 0
    retried: int = 0
    waiting: int = 0
    paused: bool = False

    @property
    def handled(self) -> int:
        return self.sent + self.refused + self.retried + self.waiting


def _claim(
    organization_id: int | None, *, now: datetime, token: str, batch: int, exclude: set[int]
) -> list[SatusehatOutboxEntry]:
    paused = SatusehatSettings.objects.exclude(paused_reason="").values("organization_id")
    rows = (
        SatusehatOutboxEntry.objects.filter(status=OutboxStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(depends_on__isnull=True) | Q(depends_on__status=OutboxStatus.SENT))
        .exclude(organization_id__in=paused)
        .exclude(organization_id__in=exclude)
    )
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    with transaction.atomic():
        # Rows another worker holds are skipped, not waited for (PostgreSQL); SQLite's
        # IMMEDIATE transaction lets one claimer in at a time.
        pks = list(
            rows.order_by("pk").select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:batch]
        )
        if not pks:
            return []
        SatusehatOutboxEntry.objects.filter(pk__in=pks).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        ).update(claim_token=token, claimed_until=now + CLAIM_LEASE)
    return list(
        SatusehatOutboxEntry.objects.filter(pk__in=pks, claim_token=token).select_related("organization").order_by("pk")
    )


@contextmanager
def _receipt() -> Iterator[None]:
    """The transaction that records a send's outcome (the entry and its audit row).

    On PostgreSQL it commits without waiting for the disk (``synchronous_commit = off``,
    for this transaction only): the commit's flush was most of a send's cost. The outcome
    is still atomic with its audit row and survives the worker stopping; only a crash of
    the database server's machine within a fraction of a second can lose it, and then the
    record is sent again (an update once its SATUSEHAT id is kept, else a second create).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield


def _release(entry: SatusehatOutboxEntry, token: str, **changes: Any) -> None:
    SatusehatOutboxEntry.objects.filter(pk=entry.pk, claim_token=token).update(
        claim_token="", claimed_until=None, **changes
    )


def _audit(entry: SatusehatOutboxEntry, *, outcome: AuditOutcome, reason: str) -> None:
    record_event(
        actor=None,
        actor_label=ACTOR,
        action=AuditAction.EXPORT,
        outcome=outcome,
        organization=entry.organization,
        patient_id=entry.patient_id,
        object_type=OBJECT_TYPE,
        object_id=entry.pk,
        reason=reason[:500],
    )


def pause_organization(row: SatusehatSettings, reason: str, *, now: datetime) -> bool:
    """Stop sending for the organization and tell its administrators (once); whether it was paused now."""
    with transaction.atomic():
        changed = SatusehatSettings.objects.filter(pk=row.pk, paused_reason="").update(
            paused_reason=reason[:1000] or "401", paused_at=now
        )
        if not changed:
            return False
        record_event(
            actor=None,
            actor_label=ACTOR,
            action=AuditAction.UPDATE,
            outcome=AuditOutcome.FAILURE,
            organization=row.organization,
            object_type="satusehat_settings",
            object_id=row.pk,
            reason=f"sending paused: SATUSEHAT refused the client ID or secret ({reason})"[:500],
        )
        administrators = (
            Membership.objects.filter(organization=row.organization, is_active=True, roles__role=Role.ADMINISTRATOR)
            .select_related("user")
            .distinct()
        )
        for membership in administrators:
            create_notification(
                organization=row.organization,
                recipient=membership.user,
                kind=NotificationKind.SATUSEHAT_CREDENTIALS,
                dedupe_key=f"satusehat-credentials:{row.organization_id}:{membership.user_id}:{now.isoformat()}",
                object_type="satusehat_settings",
                object_id=row.pk,
                reference=reason[:100],
                link="/satusehat/settings/",
                actor_label=ACTOR,
            )
    logger.warning("SATUSEHAT sending paused for organization %s: credentials refused", row.organization_id)
    return True


def _attempt(entry: SatusehatOutboxEntry, resolver: Resolver, *, token: str, now: datetime, retry: RetryPolicy) -> str:
    """Send one claimed entry: "sent", "refused", "retried", "waiting", "not_ready" or "paused"."""
    try:
        body = _for_satusehat(entry, resolver)
        sent = resolver.client.send(body, remote_id=entry.remote_id)
    except NotReady:
        _release(entry, token, next_attempt_at=now + NOT_READY_WAIT)
        return "not_ready"
    except Waiting as wait:
        reason = str(wait)
        with transaction.atomic():
            _release(entry, token, waiting_reason=reason, next_attempt_at=now + LICENCE_RECHECK)
            if reason != entry.waiting_reason:
                _audit(entry, outcome=AuditOutcome.FAILURE, reason=f"SATUSEHAT: waiting: {reason}")
        return "waiting"
    except CredentialsRefused as refusal:
        _release(entry, token)
        pause_organization(resolver.settings, refusal.diagnostics or str(refusal), now=now)
        return "paused"
    except (Retryable, Refused) as failure:
        # A 401 from the FHIR API after a fresh token is SATUSEHAT's side, not the record's.
        if isinstance(failure, Refused) and failure.status != 401:
            _finish(entry, token, status=OutboxStatus.REFUSED, error=failure.diagnostics or str(failure))
            return "refused"
        attempts = entry.attempts + 1
        error = failure.diagnostics or str(failure)
        with _receipt():
            _release(
                entry,
                token,
                attempts=attempts,
                last_error=error[:2000],
                next_attempt_at=now + retry.delay_after(attempts),
            )
            _audit(entry, outcome=AuditOutcome.FAILURE, reason=f"SATUSEHAT unavailable (attempt {attempts}): {error}")
        return "retried"
    except LocalRefusal as refusal:
        _finish(entry, token, status=OutboxStatus.REFUSED, error=str(refusal))
        return "refused"
    _finish(entry, token, status=OutboxStatus.SENT, remote_id=sent.remote_id, now=now)
    return "sent"


def _finish(
    entry: SatusehatOutboxEntry,
    token: str,
    *,
    status: str,
    error: str = "",
    remote_id: str = "",
    now: datetime | None = None,
) -> None:
    changes: dict[str, Any] = {"status": status, "last_error": error[:2000], "waiting_reason": ""}
    if remote_id:
        changes.update(remote_id=remote_id, sent_at=now or timezone.now())
    with _receipt():
        _release(entry, token, **changes)
        _audit(
            entry,
            outcome=AuditOutcome.SUCCESS if status == OutboxStatus.SENT else AuditOutcome.FAILURE,
            reason=f"SATUSEHAT {entry.resource_type}/{remote_id} sent" if remote_id else f"SATUSEHAT refused: {error}",
        )


def drain(
    *,
    organization_id: int | None = None,
    now: Callable[[], datetime] = timezone.now,
    limit: int | None = None,
    batch: int = 10,
    retry: RetryPolicy = RETRY,
    deadline: float | None = None,
    clients: dict[int, SatusehatClient] | None = None,
) -> DrainReport:
    """Send what is due (of one organization, or all), until nothing is due or ``limit``/``deadline``.

    Safe to run in several workers at once. ``now`` is the clock (tests advance it);
    ``deadline`` a ``time.monotonic()`` value after which the round stops.
    """
    report = DrainReport()
    token = uuid.uuid4().hex
    resolvers: dict[int, Resolver] = {}
    stopped: set[int] = set()  # organizations this round leaves alone (paused, failing)
    failures: dict[int, int] = {}
    while limit is None or report.handled < limit:
        if deadline is not None and time.monotonic() > deadline:
            break
        moment = now()
        claimed = _claim(organization_id, now=moment, token=token, batch=batch, exclude=stopped)
        if not claimed:
            break
        for entry in claimed:
            if entry.organization_id in stopped:
                _release(entry, token)
                continue
            resolver = resolvers.get(entry.organization_id)
            if resolver is None:
                resolver = _resolver(entry.organization, clients)
                if resolver is None:
                    unset = _("SATUSEHAT is not set up for this organization; an administrator can set it up.")
                    _finish(entry, token, status=OutboxStatus.REFUSED, error=unset)
                    report.refused += 1
                    continue
                resolvers[entry.organization_id] = resolver
            outcome = _attempt(entry, resolver, token=token, now=now(), retry=retry)
            if outcome == "paused":
                report.paused = True
                stopped.add(entry.organization_id)
                continue
            if outcome == "retried":
                report.retried += 1
                failures[entry.organization_id] = failures.get(entry.organization_id, 0) + 1
                if failures[entry.organization_id] >= FAILURES_PER_ROUND:
                    stopped.add(entry.organization_id)
                continue
            failures[entry.organization_id] = 0
            if outcome == "sent":
                report.sent += 1
            elif outcome == "refused":
                report.refused += 1
            elif outcome == "waiting":
                report.waiting += 1
    return report


def _resolver(organization: Organization, clients: dict[int, SatusehatClient] | None) -> Resolver | None:
    row = SatusehatSettings.objects.filter(organization=organization).first()
    if row is None:
        return None
    client = (clients or {}).get(organization.pk)
    if client is None:
        connection = connection_for(organization)
        if connection is None:
            return None
        client = SatusehatClient(connection)
    return Resolver(organization=organization, settings=row, client=client)


def collect_and_drain(*, now: Callable[[], datetime] = timezone.now, seconds: float = 50.0) -> dict[str, int]:
    """The periodic job's body: queue every connected organization's finished visits, then send."""
    queued = 0
    for row in SatusehatSettings.objects.filter(paused_reason="").select_related("organization").order_by("pk"):
        queued += collect_finished_encounters(row.organization, now=now())
    report = drain(now=now, deadline=time.monotonic() + seconds)
    return {"queued": queued, "sent": report.sent, "refused": report.refused, "retried": report.retried}
