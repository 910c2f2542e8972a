"""Demo care: a year of visits, assessments and diagnoses per patient, through the services.

Every patient follows one of three trajectories (improving, unchanged, worsening) so that the
chart, the responder status and the outcomes report have something true to show. Values are
drawn from a seeded generator: the same demo every time.

Everything is written by the same services the pages use (the engine decides, the audit
trail records), by a clinician who may record at the patient's facility.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.assessments.services import record_assessment
from nyeri.clinical.consents.services import record_consent, withdraw_consent
from nyeri.clinical.diagnoses.models import ClinicalStatus
from nyeri.clinical.diagnoses.services import record_diagnosis
from nyeri.clinical.diary.services import issue_link, record_entry
from nyeri.clinical.encounters.services import add_participant, create_encounter
from nyeri.clinical.instruments.loader import instrument
from nyeri.clinical.instruments.schema import Item
from nyeri.clinical.models import ConsentKind, ConsentMethod, Encounter, EncounterKind, ParticipantRole, Patient
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.engine import decide
from nyeri.workforce.models import Person

# Days after the first visit at which the patient came back.
VISIT_DAYS = (0, 28, 56, 91, 140, 182, 245, 300, 350)
# Days of the instruments taken less often than NRS and PEG.
BPI_DAYS = {0, 91, 182, 350}
INTAKE_ONLY = ("phq9", "gad7", "ort")
# Every DIARY_EVERY-th patient keeps a diary for the last DIARY_DAYS days: an NRS every
# other day and a PEG once a week, through links renewed every LINK_DAYS days.
DIARY_EVERY = 6
DIARY_DAYS = 180
LINK_DAYS = 60

# (ICD-10, ICD-11 MG30 category, body site, laterality, suspected cause)
DIAGNOSES: list[tuple[str, str, str, str, str]] = [
    ("M54.5", "MG30.3", "lower_back", "midline", "Degenerasi diskus lumbal L4-L5"),
    ("M54.1", "MG30.5", "leg", "left", "Radikulopati L5 kiri"),
    ("M54.2", "MG30.3", "neck", "midline", "Spondilosis servikal"),
    ("G50.0", "MG30.5", "face", "right", "Neuralgia trigeminal cabang V2"),
    ("G43.9", "MG30.6", "head", "bilateral", "Migren kronik"),
    ("M79.7", "MG30.0", "widespread", "bilateral", "Fibromialgia"),
    ("M17.9", "MG30.3", "knee", "bilateral", "Osteoartritis lutut"),
    ("B02.2", "MG30.5", "chest", "left", "Neuralgia pascaherpes T5"),
    ("R52.2", "MG30.2", "lower_back", "midline", "Nyeri pascaoperasi laminektomi"),
    ("C50.9", "MG30.1", "chest", "right", "Nyeri kanker payudara dengan metastasis tulang"),
]


class Trajectory(enum.Enum):
    IMPROVING = "improving"
    UNCHANGED = "unchanged"
    WORSENING = "worsening"


@dataclass(frozen=True)
class Course:
    trajectory: Trajectory
    start: float  # NRS at the first visit
    end: float  # NRS after a year

    def level(self, day: int) -> float:
        """The patient's underlying pain on ``day``: an eased curve from start to end."""
        progress = min(1.0, day / 300)
        eased = 1 - (1 - progress) ** 2
        return self.start + (self.end - self.start) * eased


def course_for(rng: random.Random, n: int) -> Course:
    # Half improve, three in ten stay where they were, one in five get worse.
    pick = n % 10
    if pick < 5:
        start = rng.uniform(6.5, 9)
        return Course(Trajectory.IMPROVING, start, start * rng.uniform(0.25, 0.6))
    if pick < 8:
        start = rng.uniform(5, 8)
        return Course(Trajectory.UNCHANGED, start, start * rng.uniform(0.85, 1.1))
    start = rng.uniform(4, 6.5)
    return Course(Trajectory.WORSENING, start, min(10.0, start * rng.uniform(1.3, 1.6)))


def answer(rng: random.Random, item: Item, fraction: float) -> int:
    """An answer to ``item`` at ``fraction`` (0-1) of its range, with a little noise, on its step."""
    if item.answers:
        values = sorted(a.value for a in item.answers)
        index = round(fraction * (len(values) - 1) + rng.uniform(-0.6, 0.6))
        return values[max(0, min(len(values) - 1, index))]
    raw = item.min + fraction * (item.max - item.min) + rng.uniform(-0.8, 0.8) * item.step
    stepped = item.min + round((raw - item.min) / item.step) * item.step
    return int(max(item.min, min(item.max, stepped)))


def answers_for(rng: random.Random, code: str, level: float) -> dict[str, int | None]:
    found = instrument(code)
    assert found is not None, code
    fraction = max(0.0, min(1.0, level / 10))
    if code in ("phq9", "gad7"):
        fraction *= 0.6  # pain weighs on mood, but most patients are not severely depressed
    if code == "ort":
        return {item.code: int(rng.random() < 0.15) for item in found.items}
    return {item.code: answer(rng, item, fraction) for item in found.items}


class ClinicalSeeder:
    def __init__(self, *, org_id: int, facilities: dict[str, Facility], now: datetime) -> None:
        self.rng = random.Random(4242)
        self.now = now
        self.facilities = facilities
        self.clinicians = {code: self._clinician_at(org_id, f) for code, f in facilities.items()}
        self.nurses = {code: self._nurse_at(f) for code, f in facilities.items()}

    def _clinician_at(self, org_id: int, facility: Facility) -> tuple[User, Scope, Person]:
        """The first physician working at ``facility`` whom the engine lets record assessments there."""
        people = (
            Person.objects.filter(organization_id=org_id, facility_links__facility=facility, user__isnull=False)
            .select_related("user")
            .order_by("pk")
        )
        for person in people:
            if person.user is None or not decide(person.pk, "record_assessment", facility).allowed:
                continue
            if not decide(person.pk, "record_diagnosis", facility).allowed:
                continue
            scope = resolve_scope(person.user, org_id)
            if scope is not None and scope.covers_facility(facility.pk):
                return person.user, scope, person
        raise RuntimeError(f"no demo clinician may record at {facility.code}")

    def _nurse_at(self, facility: Facility) -> Person | None:
        # Not the demo nurse "perawat": her hours are a demo case of their own (half-way).
        return (
            Person.objects.filter(facility_links__facility=facility, roles__role="nurse")
            .exclude(user__username="perawat")
            .order_by("pk")
            .first()
        )

    def seed(self, patients: list[Patient]) -> None:
        for n, patient in enumerate(patients):
            self.patient(n, patient)

    def patient(self, n: int, patient: Patient) -> None:
        code = patient.registered_at.code
        user, scope, person = self.clinicians[code]
        facility = self.facilities[code]
        course = course_for(self.rng, n)
        first_day = (self.now - timedelta(days=self.rng.randint(300, 380))).date()
        diagnosis = DIAGNOSES[n % len(DIAGNOSES)]
        first: Encounter | None = None
        for day in VISIT_DAYS:
            visit_date = first_day + timedelta(days=day + self.rng.randint(-3, 3) if day else 0)
            starts = timezone.make_aware(datetime.combine(visit_date, time(8 + self.rng.randint(0, 6), 15)))
            if starts + timedelta(minutes=40) > self.now:
                break
            encounter = create_encounter(
                scope=scope,
                acting_user=user,
                patient=patient,
                facility=facility,
                kind=EncounterKind.FIRST_VISIT if day == 0 else EncounterKind.FOLLOW_UP,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=40 if day == 0 else 20),
            )
            if first is None:
                first = encounter
                self._consents(n, scope, user, patient, facility, starts)
            self._participants(scope, user, encounter, person, facility, minutes=40 if day == 0 else 20)
            level = course.level(day)
            codes = ["nrs", "peg"] + (["bpi_sf"] if day in BPI_DAYS else []) + (list(INTAKE_ONLY) if day == 0 else [])
            for offset, instrument_code in enumerate(codes):
                self._assess(scope, user, patient, encounter, instrument_code, level, starts, offset)
        if first is not None:
            icd10, mg30, site, side, cause = diagnosis
            record_diagnosis(
                scope=scope,
                acting_user=user,
                patient=patient,
                icd10_code=icd10,
                icd11_category=mg30,
                suspected_cause=cause,
                body_site=site,
                laterality=side,
                clinical_status=ClinicalStatus.ACTIVE,
                onset_date=first_day - timedelta(days=self.rng.randint(200, 1500)),
                encounter_id=first.pk,
                facility=facility,
            )
        if n % DIARY_EVERY == 0:
            self._diary(n, patient, course, first_day, user, scope, facility)

    def _consents(
        self, n: int, scope: Scope, user: User, patient: Patient, facility: Facility, given_at: datetime
    ) -> None:
        """At the first visit: treatment and data processing (signed forms) for everyone; the diary
        patients agree to be contacted for it (electronically, before their first link); one patient
        joined a study and later withdrew. No random draw: the rest of the demo stays the same."""
        kinds = [
            (ConsentKind.TREATMENT, ConsentMethod.SIGNED_FORM),
            (ConsentKind.DATA_PROCESSING, ConsentMethod.SIGNED_FORM),
        ]
        if n % DIARY_EVERY == 0:
            kinds.append((ConsentKind.DIARY_CONTACT, ConsentMethod.ELECTRONIC))
        if n == 1:
            kinds.append((ConsentKind.RESEARCH, ConsentMethod.SIGNED_FORM))
        for kind, how in kinds:
            consent = record_consent(
                scope=scope, acting_user=user, patient=patient, kind=kind, how=how, given_at=given_at, facility=facility
            )
            if kind == ConsentKind.RESEARCH:
                withdraw_consent(
                    scope=scope,
                    acting_user=user,
                    consent=consent,
                    reason="Pasien memilih tidak lagi ikut dalam studi registri nyeri kronis.",
                )

    def _diary(
        self,
        n: int,
        patient: Patient,
        course: Course,
        first_day: date,
        user: User,
        scope: Scope,
        facility: Facility,
    ) -> None:
        today = timezone.localdate(self.now)
        start = max(first_day + timedelta(days=1), today - timedelta(days=DIARY_DAYS))
        link = None
        for offset in range(0, (today - start).days, 2):
            day = start + timedelta(days=offset)
            moment = timezone.make_aware(datetime.combine(day, time(19, 30 + self.rng.randint(0, 25))))
            if offset % LINK_DAYS == 0:
                link = issue_link(
                    scope=scope,
                    acting_user=user,
                    patient=patient,
                    facility=facility,
                    valid_days=LINK_DAYS + 1,
                    now=moment - timedelta(hours=9),
                ).link
            assert link is not None
            # A diary is noisier than a clinic rating: the evening's pain varies.
            level = max(0.0, min(10.0, course.level((day - first_day).days) + self.rng.uniform(-1.3, 1.3)))
            codes = ["nrs", "peg"] if offset % 7 == 0 else ["nrs"]
            for code in codes:
                record_entry(
                    link=link,
                    instrument_code=code,
                    answers=answers_for(self.rng, code, level),
                    submission_key=f"demo-{n}-{offset}-{code}",
                    now=moment,
                )

    def _participants(
        self, scope: Scope, user: User, encounter: Encounter, physician: Person, facility: Facility, *, minutes: int
    ) -> None:
        add_participant(
            scope=scope,
            acting_user=user,
            encounter=encounter,
            person=physician,
            role=ParticipantRole.PRIMARY_PERFORMER,
            minutes=minutes,
        )
        nurse = self.nurses[facility.code]
        if nurse is not None:
            add_participant(
                scope=scope,
                acting_user=user,
                encounter=encounter,
                person=nurse,
                role=ParticipantRole.SECONDARY_PERFORMER,
                minutes=minutes,
            )

    def _assess(
        self,
        scope: Scope,
        user: User,
        patient: Patient,
        encounter: Encounter,
        code: str,
        level: float,
        starts: datetime,
        offset: int,
    ) -> None:
        noisy = max(0.0, min(10.0, level + self.rng.uniform(-0.7, 0.7)))
        record_assessment(
            scope=scope,
            acting_user=user,
            patient=patient,
            instrument_code=code,
            answers=answers_for(self.rng, code, noisy),
            encounter=encounter,
            recorded_at=starts + timedelta(minutes=2 + 3 * offset),
        )
