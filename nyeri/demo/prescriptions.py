"""Demo prescriptions: a realistic mix for the demo network, written through the services.

Call after the clinical seeder (the prescribers' credentials must exist)::

    from nyeri.demo.prescriptions import seed_prescriptions
    seed_prescriptions(org_id=org.pk, facilities=facilities, patients=patients)

Every prescription is written and signed by the services the pages use (the engine decides,
the MME is computed, the audit trail records). The demo has no person at a phone, so the
fresh second factor of a controlled prescription is *attested* by the seed
(``second_factor = "attested: demo seed"``), which the prescription and its audit row say.

What the demo shows:

- non-opioid regimens by diagnosis (paracetamol, NSAIDs, gabapentinoids, amitriptyline,
  duloxetine, a lidocaine plaster), tramadol as needed;
- controlled prescriptions by the pain physician and the anesthesiologist (oxycodone,
  morphine, a fentanyl patch), one at or above 90 MME/day with its justification, one with
  an opioid and a benzodiazepine together (the warning is kept);
- a prescription cancelled for a wrong dose and reissued;
- refusals, audited: the general practitioner (``dokter.umum``), whose SIP at Klinik Nyeri
  Sumedang Larang has expired, and the neurologist asking for codeine without a
  controlled-drug authorisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.prescriptions import services
from nyeri.prescriptions.items import ItemIn
from nyeri.prescriptions.models import Prescription
from nyeri.prescriptions.signing import AttestedSecondFactor
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.scope import Scope, resolve_scope

SEED_FACTOR = AttestedSecondFactor("demo seed")


def rx(medication: str, dose: str, per_day: str, days: int, *, as_needed: bool = False, note: str = "") -> ItemIn:
    return ItemIn(
        medication=medication,
        dose=Decimal(dose),
        doses_per_day=Decimal(per_day),
        days=days,
        as_needed=as_needed,
        instructions=note,
    )


# Regimens by the kind of pain the clinical seeder gave the patient (its DIAGNOSES, in order).
REGIMENS: list[list[ItemIn]] = [
    # Lower back pain, disc degeneration
    [rx("paracetamol-500mg-tab", "2", "3", 14, note="sesudah makan"), rx("meloxicam-15mg-tab", "1", "1", 14)],
    # L5 radiculopathy
    [rx("pregabalin-75mg-cap", "1", "2", 30), rx("paracetamol-500mg-tab", "2", "3", 14)],
    # Cervical spondylosis
    [rx("diclofenac-50mg-tab", "1", "2", 10, note="sesudah makan"), rx("amitriptyline-25mg-tab", "1", "1", 30)],
    # Trigeminal neuralgia
    [rx("pregabalin-150mg-cap", "1", "2", 30)],
    # Chronic migraine
    [
        rx("amitriptyline-25mg-tab", "1", "1", 30, note="malam hari"),
        rx("ibuprofen-400mg-tab", "1", "3", 10, as_needed=True),
    ],
    # Fibromyalgia
    [rx("duloxetine-60mg-cap", "1", "1", 30), rx("pregabalin-75mg-cap", "1", "2", 30)],
    # Knee osteoarthritis
    [rx("celecoxib-200mg-cap", "1", "1", 14), rx("tramadol-50mg-cap", "1", "2", 10, as_needed=True)],
    # Post-herpetic neuralgia
    [
        rx("lidocaine-5pct-plaster", "1", "1", 30, note="12 jam pakai, 12 jam lepas"),
        rx("gabapentin-300mg-cap", "1", "3", 30),
    ],
    # Post-laminectomy pain: an opioid (controlled)
    [rx("oxycodone-10mg-tab-er", "1", "2", 14), rx("paracetamol-500mg-tab", "2", "3", 14)],
    # Cancer pain: strong opioids at or above 90 MME/day (controlled, justified)
    [
        rx("morphine-30mg-tab-mr", "1", "2", 14),
        rx("morphine-10mg-tab", "1", "4", 14, as_needed=True, note="untuk nyeri terobosan"),
    ],
]
CONTROLLED_REGIMENS = {8, 9}
JUSTIFICATION = (
    "Nyeri kanker dengan metastasis tulang, NRS 8 dengan dosis sebelumnya; terapi paliatif, "
    "dipantau mingguan (efek samping, sedasi, konstipasi)."
)


@dataclass
class PrescriptionSummary:
    signed: int = 0
    cancelled: int = 0
    reissued: int = 0
    refused: list[str] = field(default_factory=list)


class _Seeder:
    def __init__(self, org_id: int, facilities: dict[str, Facility]) -> None:
        self.org_id = org_id
        self.facilities = facilities
        self.summary = PrescriptionSummary()
        self.serial = 0

    def scope(self, username: str) -> tuple[User, Scope]:
        user = User.objects.get(username=username)
        scope = resolve_scope(user, self.org_id)
        assert scope is not None
        return user, scope

    def key(self) -> str:
        self.serial += 1
        return f"demo-rx-{self.serial:04d}"

    def write(
        self,
        username: str,
        facility_code: str,
        patient: Patient,
        items: Sequence[ItemIn],
        *,
        justification: str = "",
    ) -> Prescription:
        user, scope = self.scope(username)
        draft = services.create_prescription(
            scope=scope,
            acting_user=user,
            patient=patient,
            items=items,
            idempotency_key=self.key(),
            facility=self.facilities[facility_code],
        ).prescription
        signed = services.sign_prescription(
            scope=scope, acting_user=user, prescription=draft, justification=justification, second_factor=SEED_FACTOR
        )
        self.summary.signed += 1
        return signed

    def attempt(self, username: str, facility_code: str, patient: Patient, items: Sequence[ItemIn]) -> None:
        """A prescription the engine refuses: the refusal is audited, nothing is written."""
        user, scope = self.scope(username)
        try:
            # A savepoint: the refused write is rolled back, the seed's one transaction goes on.
            with transaction.atomic():
                services.create_prescription(
                    scope=scope,
                    acting_user=user,
                    patient=patient,
                    items=items,
                    idempotency_key=self.key(),
                    facility=self.facilities[facility_code],
                )
        except ActionRefused as refused:
            refused.record(in_open_transaction=True)
            self.summary.refused.append(f"{username}: {' '.join(refused.reasons)}")
        else:  # pragma: no cover - the demo's credentials make these refusals
            raise AssertionError(f"the demo expected {username} to be refused at {facility_code}")


def _prescriber(patient: Patient, controlled: bool) -> tuple[str, str]:
    """Who writes the patient's prescription, and where: a prescriber who may, at a facility where they work."""
    code = patient.registered_at.code
    if code == "rsud-bandung":
        return ("anestesi" if patient.pk % 2 else "dokter.nyeri"), "rsud-bandung"
    if code == "klinik-cimahi" or controlled:
        # Controlled drugs for Sumedang's patients are written by the pain physician in Cimahi.
        return "dokter.nyeri", "klinik-cimahi"
    return "neurolog", "klinik-sumedang"


def seed_prescriptions(*, org_id: int, facilities: dict[str, Facility], patients: list[Patient]) -> PrescriptionSummary:
    seeder = _Seeder(org_id, facilities)
    ordered = sorted(patients, key=lambda p: p.pk)
    for n, patient in enumerate(ordered):
        if n % 4 == 3:
            continue  # not every patient takes medication from the clinic
        regimen = n % len(REGIMENS)
        controlled = regimen in CONTROLLED_REGIMENS
        username, place = _prescriber(patient, controlled)
        seeder.write(username, place, patient, REGIMENS[regimen], justification=JUSTIFICATION if regimen == 9 else "")

    # An opioid with a benzodiazepine (the warning is kept on the signed prescription).
    anxious = ordered[1]
    seeder.write(
        "dokter.nyeri",
        "rsud-bandung",
        anxious,
        [rx("codeine-10mg-tab", "1", "3", 7), rx("diazepam-5mg-tab", "1", "1", 7, note="malam hari")],
    )

    # A fentanyl patch for a cancer patient (CDC convention: 25 mcg/h = 60 MME/day).
    patch_patient = ordered[19]
    seeder.write("anestesi", "rsud-bandung", patch_patient, [rx("fentanyl-25mcgh-patch", "1", "0.333", 15)])

    # Cancelled for a wrong dose, then reissued with the right one and signed.
    corrected = ordered[7]
    user, scope = seeder.scope("dokter.nyeri")
    wrong = seeder.write("dokter.nyeri", "klinik-cimahi", corrected, [rx("oxycodone-5mg-tab", "2", "4", 7)])
    wrong = services.cancel_prescription(
        scope=scope, acting_user=user, prescription=wrong, reason="Dosis salah: seharusnya 1 tablet dua kali sehari."
    )
    seeder.summary.cancelled += 1
    reissue = services.reissue_prescription(
        scope=scope, acting_user=user, prescription=wrong, idempotency_key=seeder.key()
    ).prescription
    services.update_draft(
        scope=scope, acting_user=user, prescription=reissue, items=[rx("oxycodone-5mg-tab", "1", "2", 7)]
    )
    services.sign_prescription(scope=scope, acting_user=user, prescription=reissue, second_factor=SEED_FACTOR)
    seeder.summary.reissued += 1
    seeder.summary.signed += 1

    # Refused and audited: an expired SIP at Sumedang; codeine without a controlled-drug authorisation.
    sumedang = next(p for p in ordered if p.registered_at.code == "klinik-sumedang")
    seeder.attempt("dokter.umum", "klinik-sumedang", sumedang, [rx("paracetamol-500mg-tab", "1", "3", 5)])
    seeder.attempt("neurolog", "klinik-sumedang", sumedang, [rx("codeine-10mg-tab", "1", "3", 5)])
    return seeder.summary
