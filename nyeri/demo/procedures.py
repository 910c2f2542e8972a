"""Demo procedures: a realistic mix of performed, scheduled, waiting and cancelled procedures.

Each patient gets the procedures their demo diagnosis calls for (``clinical.DIAGNOSES``):
medial branch blocks then radiofrequency ablation for facet pain, transforaminal epidurals for
a radiculopathy, genicular blocks for knee osteoarthritis, intercostal blocks for
post-herpetic neuralgia, occipital blocks for migraine, a spinal cord stimulator trial after
a laminectomy, ...

- At rsud-bandung (C-arm in service) the fluoroscopy-guided procedures are performed, some
  under sedation given by the unit's anesthesiologist.
- At the clinics (ultrasound, no C-arm) the blocks are done under ultrasound; a procedure
  that needs fluoroscopy or CT is ordered and stays waiting: the clinic refers it (the
  referral itself belongs to the imaging and referral work).
- Past procedures carry pain before and after (the immediate relief) and an occasional
  complication; one record is amended (a corrected rating) to show the history; future ones
  are scheduled; a few are cancelled with their reason.

Everything goes through the services the pages use: the requirements engine decides who may
perform (and sedate), the facilities app says which equipment is in service, and the audit
trail records each write. Values come from a seeded generator: the same demo every time.

Called by ``seed_demo`` after the care seeding (``ClinicalSeeder``), and after the
facilities' equipment is seeded (``nyeri.demo.facilities.seed_facilities``)::

    from nyeri.demo.procedures import seed_procedures
    seed_procedures(org_id=org.pk, facilities=facilities, patients=patients, now=timezone.now())
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.procedures import services
from nyeri.procedures.catalogue import procedure
from nyeri.procedures.catalogue.schema import Procedure
from nyeri.procedures.equipment import guidance_available
from nyeri.procedures.kinds import GUIDANCE_EQUIPMENT
from nyeri.procedures.models import ProcedureRecord
from nyeri.procedures.selectors import c_arm_operators, candidates, monitoring_nurses
from nyeri.procedures.services import OPERATED_GUIDANCE
from nyeri.tenancy.models import Facility, Membership
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.models import Person


@dataclass(frozen=True)
class Step:
    """One procedure of a patient's plan: ``days`` before today (performed) or after (negative: scheduled)."""

    code: str
    body_site: str
    laterality: str
    days_ago: int
    before: int = 0
    after: int = 0
    sedation: bool = False
    indication: str = ""


# One plan per demo diagnosis, in the order of nyeri.demo.clinical.DIAGNOSES.
PLANS: list[list[Step]] = [
    # M54.5 lumbar facet pain: diagnostic medial branch blocks, then radiofrequency ablation.
    [
        Step("medial_branch_block", "lower_back", "bilateral", 120, 7, 1, indication="Nyeri faset lumbal L4-L5"),
        Step(
            "rfa_medial_branch",
            "lower_back",
            "bilateral",
            90,
            7,
            3,
            sedation=True,
            indication="Blok cabang medial positif (>80 %)",
        ),
    ],
    # M54.1 left L5 radiculopathy: transforaminal epidural, repeated.
    [
        Step("esi_transforaminal", "lower_back", "left", 200, 8, 3, indication="Radikulopati L5 kiri, HNP L4-L5"),
        Step("esi_transforaminal", "lower_back", "left", -7, indication="Ulangan: nyeri kembali setelah 6 bulan"),
    ],
    # M54.2 cervical spondylosis.
    [Step("esi_interlaminar", "neck", "midline", 60, 6, 3, indication="Spondilosis servikal dengan nyeri menjalar")],
    # G50.0 trigeminal neuralgia V2: a peripheral (maxillary) nerve block.
    [Step("peripheral_nerve_block", "face", "right", 30, 8, 2, indication="Blok saraf maksilaris kanan")],
    # G43.9 chronic migraine.
    [Step("greater_occipital_nerve_block", "head", "bilateral", 45, 7, 4, indication="Migren kronik")],
    # M79.7 fibromyalgia: myofascial trigger points.
    [Step("trigger_point_injection", "upper_back", "", 20, 6, 4, indication="Titik picu m. trapezius")],
    # M17.9 knee osteoarthritis: genicular block, then radiofrequency ablation.
    [
        Step("genicular_nerve_block", "knee", "right", 150, 7, 2, indication="Osteoartritis lutut kanan"),
        Step("rfa_genicular", "knee", "right", -10, sedation=True, indication="Blok genikular positif"),
    ],
    # B02.2 post-herpetic neuralgia T5: an intercostal (peripheral) nerve block.
    [Step("peripheral_nerve_block", "chest", "left", 75, 8, 4, indication="Blok saraf interkostal T4-T6 kiri")],
    # R52.2 pain after laminectomy: a caudal epidural, then a spinal cord stimulator trial.
    [
        Step("esi_caudal", "sacrum_buttock", "", 100, 7, 4, indication="Nyeri pascalaminektomi"),
        Step("scs_trial", "upper_back", "", -14, indication="Sindrom nyeri pascaoperasi tulang belakang"),
    ],
    # C50.9 cancer pain of the chest wall.
    [Step("peripheral_nerve_block", "chest", "right", 15, 7, 3, indication="Nyeri dinding dada metastasis")],
]

CANCEL_REASONS = [
    "Pasien demam pada hari tindakan; dijadwalkan ulang setelah sembuh",
    "Pasien masih minum antikoagulan; tindakan ditunda",
    "Pasien memilih terapi konservatif dahulu",
]


@dataclass
class ProcedureSummary:
    performed: int = 0
    scheduled: int = 0
    waiting: int = 0
    cancelled: int = 0
    amended: int = 0
    # Procedures left waiting because the facility lacks the guidance equipment (referred).
    referred: list[str] = field(default_factory=list)


class _Seeder:
    def __init__(self, *, org_id: int, facilities: dict[str, Facility], now: datetime) -> None:
        self.org_id = org_id
        self.facilities = facilities
        self.now = now
        self.rng = random.Random(5150)
        self.summary = ProcedureSummary()
        self._recorders: dict[int, tuple[User, Scope]] = {}
        self._orderers: dict[int, tuple[User, Scope]] = {}
        self.reader = organization_scope(org_id)

    def recorder(self, facility: Facility, person: Person | None = None) -> tuple[User, Scope]:
        """Who writes: the performer when they have a login, else the first clinician covering ``facility``."""
        if person is not None and person.user is not None:
            scope = resolve_scope(person.user, self.org_id)
            if scope is not None and scope.covers_facility(facility.pk):
                return person.user, scope
        if facility.pk not in self._recorders:
            memberships = (
                Membership.objects.filter(
                    organization_id=self.org_id, is_active=True, roles__role__in=list(CLINICAL_ROLES)
                )
                .select_related("user")
                .distinct()
                .order_by("user__username")
            )
            for membership in memberships:
                scope = resolve_scope(membership.user, self.org_id)
                if scope is not None and scope.covers_facility(facility.pk) and scope.has_role(*PHYSICIANS):
                    self._recorders[facility.pk] = (membership.user, scope)
                    break
            else:
                raise RuntimeError(f"no demo clinician covers {facility.code}")
        return self._recorders[facility.pk]

    def orderer(self, facility: Facility, performer: Person | None, at: datetime) -> tuple[User, Scope]:
        """Who orders: the recorder when the engine lets them ``order_procedure`` here, else the first
        physician with a login who may (an expired SIP does not order)."""
        user, scope = self.recorder(facility, performer)
        if services.may_order(scope, facility, at=at).allowed:
            return user, scope
        if facility.pk not in self._orderers:
            memberships = (
                Membership.objects.filter(organization_id=self.org_id, is_active=True, roles__role__in=list(PHYSICIANS))
                .select_related("user")
                .distinct()
                .order_by("user__username")
            )
            for membership in memberships:
                found = resolve_scope(membership.user, self.org_id)
                if (
                    found is not None
                    and found.covers_facility(facility.pk)
                    and services.may_order(found, facility, at=at).allowed
                ):
                    self._orderers[facility.pk] = (membership.user, found)
                    break
            else:
                raise RuntimeError(f"no demo physician may order procedures at {facility.code}")
        return self._orderers[facility.pk]

    def guidance(self, proc: Procedure, facility: Facility) -> tuple[str, bool]:
        """The first guidance ``proc`` accepts whose equipment is in service here (and whether there is one)."""
        for option in proc.guidance:
            kind = GUIDANCE_EQUIPMENT[option]
            if kind is None or guidance_available(facility, kind):
                return option, True
        return proc.guidance[0], False

    def moment(self, days_ago: int) -> datetime:
        day = (self.now - timedelta(days=days_ago)).date()
        local = datetime.combine(day, time(9 + self.rng.randint(0, 5), self.rng.choice((0, 15, 30, 45))))
        return timezone.make_aware(local)

    def patient(self, n: int, patient: Patient, plan: list[Step]) -> None:
        facility = patient.registered_at
        for index, step in enumerate(plan):
            if not self.step(n, index, patient, facility, step):
                break  # referred elsewhere: the rest of the plan follows the referral

    def step(self, n: int, index: int, patient: Patient, facility: Facility, step: Step) -> bool:
        """Order the step and take it as far as it goes; False when it waits for equipment (referred)."""
        proc = procedure(step.code)
        assert proc is not None, step.code
        guidance, possible = self.guidance(proc, facility)
        staff = candidates(self.reader, facility, proc)
        performers = [o.person for o in staff.performers()]
        performer = performers[n % len(performers)] if performers else None
        anesthesia = proc.anesthesia
        anesthesiologist: Person | None = None
        nurse: Person | None = None
        when = self.moment(step.days_ago) if step.days_ago > 0 else None
        if step.sedation and "sedation" in proc.anesthesia_levels:
            helpers = [o.person for o in staff.anesthesiologists("sedation") if o.person != performer]
            # The nurse who watches the sedated patient: one the engine allows ``monitor_sedation`` here.
            nurses = [o.person for o in monitoring_nurses(self.reader, facility, at=when) if o.may_operate]
            if helpers and nurses:
                anesthesia, anesthesiologist, nurse = "sedation", helpers[0], nurses[n % len(nurses)]
        # Under fluoroscopy, the radiographer or x-ray assistant the engine lets operate the C-arm here.
        operators = (
            [o.person for o in c_arm_operators(self.reader, facility) if o.may_operate]
            if guidance in OPERATED_GUIDANCE
            else []
        )
        operator = operators[n % len(operators)] if operators else None
        if guidance in OPERATED_GUIDANCE and operator is None:
            performer = None  # nobody may operate the C-arm here: the procedure waits
        user, scope = self.recorder(facility, performer)
        ordered_at = (when or self.now) - timedelta(days=self.rng.randint(7, 21))
        ordering_user, ordering_scope = self.orderer(facility, performer, ordered_at)
        record = services.order_procedure(
            scope=ordering_scope,
            acting_user=ordering_user,
            patient=patient,
            procedure_code=proc.code,
            body_site=step.body_site,
            laterality=step.laterality,
            guidance=guidance,
            anesthesia=anesthesia,
            facility=facility,
            indication=step.indication,
            ordered_at=ordered_at,
        )
        if not possible or performer is None:
            self.summary.waiting += 1
            if not possible:
                self.summary.referred.append(f"{facility.code}: {proc.code} ({patient.mrn})")
            return possible
        if when is None:
            self.future(n, index, scope, user, record, step)
            return True
        complications = ["vasovagal"] if (n + index) % 9 == 4 else []
        performance = services.record_performance(
            scope=scope,
            acting_user=user,
            record=record,
            performer=performer,
            anesthesiologist=anesthesiologist,
            imaging_operator=operator,
            monitoring_nurse=nurse,
            performed_at=when,
            pain_before=step.before,
            pain_after=max(0, min(10, step.after + self.rng.randint(-1, 1))),
            complications=complications,
            complication_note="Pusing dan keringat dingin sesaat, pulih dengan posisi berbaring"
            if complications
            else "",
        )
        self.summary.performed += 1
        if n % 11 == 3 and performance.pain_after is not None:
            services.amend_performance(
                scope=scope,
                acting_user=user,
                performance=performance,
                reason="Skor nyeri pascatindakan diukur ulang 30 menit setelah tindakan",
                pain_after=min(10, performance.pain_after + 1),
            )
            self.summary.amended += 1
        return True

    def future(self, n: int, index: int, scope: Scope, user: User, record: ProcedureRecord, step: Step) -> None:
        day = (self.now + timedelta(days=-step.days_ago)).date()
        at = timezone.make_aware(datetime.combine(day, time(8 + (n % 4) * 2, 0)))
        services.schedule_procedure(scope=scope, acting_user=user, record=record, scheduled_for=at)
        if n % 7 == 2:
            services.cancel_procedure(
                scope=scope, acting_user=user, record=record, reason=CANCEL_REASONS[(n + index) % len(CANCEL_REASONS)]
            )
            self.summary.cancelled += 1
        else:
            self.summary.scheduled += 1


PHYSICIANS = (
    Role.PAIN_PHYSICIAN,
    Role.ANESTHESIOLOGIST,
    Role.NEUROLOGIST,
    Role.PSYCHIATRIST,
    Role.PHYSIATRIST,
    Role.GENERAL_PRACTITIONER,
)


def organization_scope(org_id: int) -> Scope:
    """An organization-wide scope (the administrator's) for reads that only need the organization."""
    admin = (
        Membership.objects.filter(organization_id=org_id, roles__role=Role.ADMINISTRATOR).select_related("user").first()
    )
    assert admin is not None
    scope = resolve_scope(admin.user, org_id)
    assert scope is not None
    return scope


def seed_procedures(
    *, org_id: int, facilities: dict[str, Facility], patients: list[Patient], now: datetime | None = None
) -> ProcedureSummary:
    """Order, schedule, perform and cancel the demo patients' procedures (see the module docstring)."""
    seeder = _Seeder(org_id=org_id, facilities=facilities, now=now or timezone.now())
    from nyeri.demo.clinical import DIAGNOSES

    assert len(PLANS) == len(DIAGNOSES)
    for n, patient in enumerate(patients):
        seeder.patient(n, patient, PLANS[n % len(PLANS)])
    return seeder.summary
