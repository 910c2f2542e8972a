"""Demo imaging and referrals: in-house results, an MRI referred outside, and the fluoroscopy-guided
blocks of klinik-sumedang (no C-arm) referred to rsud-bandung, accepted and done.

- At rsud-bandung (X-ray in service, radiographer and x-ray assistant licensed there) a lumbar
  X-ray is done in-house and its result recorded by the operator the engine allows.
- At klinik-cimahi an ultrasound of the knee is done in-house (the pain physician may operate
  ultrasound per the policy pack).
- No facility of the network has an MRI: a lumbar MRI is referred to an outside provider,
  which accepts it and returns its report.
- Every procedure waiting for fluoroscopy at a facility without a C-arm in service (the demo
  procedures leave klinik-sumedang's so) is referred to a facility of the network with one
  (rsud-bandung), which accepts it and returns its report.

Everything goes through the services the pages use (the engine decides who may operate the
equipment; the audit trail records each write). Called by ``seed_demo`` after the procedures::

    from nyeri.demo.imaging import seed_imaging
    seed_imaging(org_id=org.pk, facilities=facilities, patients=patients, now=now)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.imaging import services
from nyeri.imaging.models import ImagingOrder, Referral
from nyeri.procedures.kinds import Guidance, ProcedureStatus
from nyeri.procedures.models import ProcedureRecord
from nyeri.tenancy.models import Facility, Membership
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import Scope, resolve_scope

PHYSICIANS = (
    Role.PAIN_PHYSICIAN,
    Role.ANESTHESIOLOGIST,
    Role.NEUROLOGIST,
    Role.PHYSIATRIST,
    Role.GENERAL_PRACTITIONER,
)

OUTSIDE_MRI = ("RS Santo Borromeus, Instalasi Radiologi (MRI 1,5 T)", "Jl. Ir. H. Juanda No. 100, Kota Bandung")


@dataclass
class ImagingSummary:
    in_house: list[str] = field(default_factory=list)
    referred: list[str] = field(default_factory=list)


def _members(org_id: int, facility: Facility) -> list[tuple[User, Scope]]:
    """Every clinical member whose membership reaches ``facility``, by username."""
    found = []
    memberships = (
        Membership.objects.filter(organization_id=org_id, is_active=True, roles__role__in=list(CLINICAL_ROLES))
        .select_related("user")
        .distinct()
        .order_by("user__username")
    )
    for membership in memberships:
        scope = resolve_scope(membership.user, org_id)
        if scope is not None and scope.covers_facility(facility.pk):
            found.append((membership.user, scope))
    return found


def _physician(org_id: int, facility: Facility) -> tuple[User, Scope]:
    for user, scope in _members(org_id, facility):
        if scope.has_role(*PHYSICIANS):
            return user, scope
    raise RuntimeError(f"no demo physician covers {facility.code}")


def _patient_at(patients: list[Patient], facility: Facility, skip: int = 0) -> Patient | None:
    here = [p for p in patients if p.registered_at_id == facility.pk]
    return here[skip % len(here)] if here else None


class _Seeder:
    def __init__(self, org_id: int, facilities: dict[str, Facility], patients: list[Patient], now: datetime) -> None:
        self.org_id = org_id
        self.facilities = facilities
        self.patients = patients
        self.now = now
        self.summary = ImagingSummary()

    def in_house(
        self, code: str, modality: str, region: str, question: str, findings: str, impression: str, days_ago: int
    ) -> ImagingOrder | None:
        facility = self.facilities.get(code)
        patient = _patient_at(self.patients, facility) if facility is not None else None
        if facility is None or patient is None:
            return None
        user, scope = _physician(self.org_id, facility)
        order = services.order_imaging(
            scope=scope,
            acting_user=user,
            patient=patient,
            modality=modality,
            body_region=region,
            clinical_question=question,
            facility=facility,
            ordered_at=self.now - timedelta(days=days_ago, hours=3),
        )
        performed_at = self.now - timedelta(days=days_ago)
        for operator, operator_scope in _members(self.org_id, facility):
            if services.operator_check(operator_scope, order, operator, at=performed_at).allowed:
                services.record_imaging_result(
                    scope=operator_scope,
                    acting_user=operator,
                    order=order,
                    findings=findings,
                    impression=impression,
                    performed_at=performed_at,
                )
                self.summary.in_house.append(f"{code}: {modality} {region} ({patient.mrn})")
                break
        return order

    def outside_mri(self) -> Referral | None:
        facility = self.facilities.get("rsud-bandung")
        patient = _patient_at(self.patients, facility, skip=1) if facility is not None else None
        if facility is None or patient is None:
            return None
        user, scope = _physician(self.org_id, facility)
        order = services.order_imaging(
            scope=scope,
            acting_user=user,
            patient=patient,
            modality="mri",
            body_region="lower_back",
            clinical_question="Radikulopati L5 kiri menetap; evaluasi HNP dan stenosis foraminal sebelum tindakan",
            facility=facility,
            ordered_at=self.now - timedelta(days=12),
        )
        referral = services.refer(
            scope=scope,
            acting_user=user,
            order=order,
            outside_name=OUTSIDE_MRI[0],
            outside_address=OUTSIDE_MRI[1],
            note="Mohon MRI lumbosakral tanpa kontras; hasil dikirim kembali ke Layanan Nyeri",
        )
        services.accept_referral(scope=scope, acting_user=user, referral=referral)
        services.complete_referral(
            scope=scope,
            acting_user=user,
            referral=referral,
            report=(
                "MRI lumbosakral: protrusi diskus L4-L5 paramedian kiri menekan radiks L5 kiri; "
                "stenosis foraminal L4-L5 kiri derajat sedang. Kesan: HNP L4-L5 kiri."
            ),
        )
        self.summary.referred.append(f"{facility.code} -> {OUTSIDE_MRI[0]}: mri ({patient.mrn})")
        return referral

    def waiting_fluoroscopy(self) -> list[Referral]:
        """Refer every procedure waiting for fluoroscopy at a facility without a C-arm; accepted and done."""
        referrals = []
        waiting = (
            ProcedureRecord.objects.filter(
                organization_id=self.org_id,
                guidance=Guidance.FLUOROSCOPY,
                status__in=[ProcedureStatus.ORDERED, ProcedureStatus.SCHEDULED],
            )
            .exclude(referrals__status__in=["sent", "accepted", "done"])
            .select_related("facility", "patient")
            .order_by("pk")
        )
        for record in waiting:
            if services.equipment_in_service(record.facility, "c_arm"):
                continue
            destinations = services.referral_destinations(record.facility, "c_arm")
            if not destinations:
                continue
            target = destinations[0]
            user, scope = _physician(self.org_id, record.facility)
            referral = services.refer(
                scope=scope,
                acting_user=user,
                procedure=record,
                to_facility=target,
                note="Klinik kami belum memiliki C-arm; mohon tindakan dengan panduan fluoroskopi",
            )
            receiver, receiver_scope = _physician(self.org_id, target)
            services.accept_referral(scope=receiver_scope, acting_user=receiver, referral=referral)
            services.complete_referral(
                scope=receiver_scope,
                acting_user=receiver,
                referral=referral,
                report=(
                    f"Tindakan {record.procedure_code} dilakukan di {target.name} dengan panduan fluoroskopi C-arm; "
                    "posisi jarum dikonfirmasi dengan kontras, tanpa komplikasi. Kontrol ke klinik pengirim 2 minggu."
                ),
            )
            referrals.append(referral)
            self.summary.referred.append(
                f"{record.facility.code} -> {target.code}: {record.procedure_code} ({record.patient.mrn})"
            )
        return referrals


def seed_imaging(
    *, org_id: int, facilities: dict[str, Facility], patients: list[Patient], now: datetime | None = None
) -> ImagingSummary:
    """In-house X-ray and ultrasound results, an MRI referred outside, and the waiting
    fluoroscopy-guided procedures referred (see the module docstring)."""
    seeder = _Seeder(org_id, facilities, patients, now or timezone.now())
    seeder.in_house(
        "rsud-bandung",
        "xray",
        "lower_back",
        "Nyeri punggung bawah kronik; evaluasi spondilosis dan listesis sebelum blok cabang medial",
        "Lordosis lumbal berkurang. Osteofit anterior L3-L5. Celah sendi faset L4-L5 dan L5-S1 menyempit dengan "
        "sklerosis. Tidak tampak listesis pada posisi netral.",
        "Spondilosis lumbal dengan artrosis faset L4-S1.",
        30,
    )
    seeder.in_house(
        "klinik-cimahi",
        "ultrasound",
        "knee",
        "Nyeri lutut kanan; efusi? sebelum blok saraf genikular",
        "Efusi suprapatelar minimal. Penipisan kartilago troklear. Osteofit marginal medial. Tendon kuadriseps dan "
        "patela intak.",
        "Osteoartritis lutut kanan dengan efusi minimal.",
        20,
    )
    seeder.outside_mri()
    seeder.waiting_fluoroscopy()
    return seeder.summary
