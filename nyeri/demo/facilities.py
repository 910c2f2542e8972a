"""The demo network's facility profiles: size, opening hours and diagnostic equipment.

- rsud-bandung (hospital pain unit): X-ray, C-arm, two ultrasound units and a CT scanner
  that is under maintenance; 2 procedure rooms with sedation four days a week.
- klinik-cimahi (stand-alone clinic, open late): an ultrasound unit and a mobile X-ray.
- klinik-sumedang (stand-alone clinic): ultrasound only, no C-arm: it refers its
  fluoroscopy-guided blocks (see the services page).

Sizes and volumes are realistic for West Java pain services, so that the staffing plan
shows real gaps (a busy hospital unit short of nurses and pain physicians, a clinic with an
X-ray unit and nobody to run it, a clinic without a pharmacist). One more nurse at Cimahi
has a practice permit (SIP) still waiting for verification: the plan lists her as not
counted, with the engine's reason.

Everything is written through the services (audited), as an administrator would.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from nyeri.accounts.models import User
from nyeri.facilities.models import EquipmentStatus
from nyeri.facilities.services import add_equipment, change_equipment_status, save_facility_profile
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import resolve_scope
from nyeri.workforce.credentials.imports import import_verified_credential
from nyeri.workforce.credentials.services import submit_credential
from nyeri.workforce.kinds import Citizenship, CredentialKind
from nyeri.workforce.services import create_person

WEEKDAYS = (1, 2, 3, 4, 5)


def _hours(days: tuple[int, ...], opens: str, closes: str) -> list[tuple[int, time, time]]:
    return [(d, time.fromisoformat(opens), time.fromisoformat(closes)) for d in days]


PROFILES: dict[str, dict[str, Any]] = {
    "rsud-bandung": {
        "sizes": {
            "consultation_rooms": 4,
            "procedure_rooms": 2,
            "recovery_beds": 4,
            "planned_visits_per_week": 300,
            "sedation_room_days_per_week": 4,
        },
        # Poliklinik hours of a regional hospital: 07:30-16:00 on weekdays, Saturday morning.
        "hours": [*_hours(WEEKDAYS, "07:30", "16:00"), *_hours((6,), "08:00", "12:00")],
        "equipment": [
            ("xray", "Siemens Healthineers Multix Impact", "MXI-20831"),
            ("c_arm", "Philips Zenition 50", "ZEN50-11427"),
            ("ultrasound", "Mindray TE7", "TE7-55102"),
            ("ultrasound", "GE Venue Go", "VGO-30911"),
            ("ct", "Siemens Healthineers Somatom go.Up", "SGU-70215"),
        ],
        "maintenance": {
            "ct": "Tabung sinar-X gagal pada uji harian; tabung pengganti sudah dipesan ke vendor",
        },
    },
    "klinik-cimahi": {
        "sizes": {
            "consultation_rooms": 3,
            "procedure_rooms": 1,
            "recovery_beds": 2,
            "planned_visits_per_week": 180,
            "sedation_room_days_per_week": 1,
        },
        # A private clinic open into the evening on weekdays and on Saturday until 14:00.
        "hours": [*_hours(WEEKDAYS, "08:00", "21:00"), *_hours((6,), "08:00", "14:00")],
        "equipment": [
            ("ultrasound", "Fujifilm Sonosite PX", "SPX-88410"),
            ("xray", "Fujifilm FDR Go PLUS (mobile)", "FGP-21907"),
        ],
        "maintenance": {},
    },
    "klinik-sumedang": {
        "sizes": {
            "consultation_rooms": 2,
            "procedure_rooms": 1,
            "recovery_beds": 1,
            "planned_visits_per_week": 90,
            "sedation_room_days_per_week": 0,
        },
        "hours": _hours(WEEKDAYS, "08:00", "16:00"),
        "equipment": [("ultrasound", "Mindray TE7", "TE7-61588")],
        "maintenance": {},
    },
}

PERMIT_ISSUER = "DPMPTSP Kota Cimahi"


def seed_facilities(organization: Organization, facilities: dict[str, Facility], *, today: date) -> None:
    """Profiles and equipment for the demo facilities, and a nurse waiting for her SIP (call after the workforce)."""
    admin = User.objects.get(username="admin")
    officer = User.objects.get(username="kredensial")
    scope = resolve_scope(admin, organization.pk)
    officer_scope = resolve_scope(officer, organization.pk)
    assert scope is not None
    assert officer_scope is not None
    for code, profile in PROFILES.items():
        facility = facilities[code]
        save_facility_profile(
            scope=scope, acting_user=admin, facility=facility, opening_hours=profile["hours"], **profile["sizes"]
        )
        for kind, model_name, serial in profile["equipment"]:
            unit = add_equipment(
                scope=scope,
                acting_user=admin,
                facility=facility,
                kind=kind,
                model_name=model_name,
                serial_number=serial,
                reason="Terpasang dan lulus uji fungsi (data demo)",
            )
            if kind in profile["maintenance"]:
                change_equipment_status(
                    scope=scope,
                    acting_user=admin,
                    equipment=unit,
                    status=EquipmentStatus.UNDER_MAINTENANCE,
                    reason=profile["maintenance"][kind],
                )
    # A nurse who joined Cimahi last month: STR verified, SIP submitted and not yet verified.
    cimahi = facilities["klinik-cimahi"]
    nurse = create_person(
        scope=officer_scope,
        acting_user=officer,
        full_name="Rina Marlina, A.Md.Kep.",
        citizenship=Citizenship.CITIZEN,
        roles=[Role.NURSE],
        facilities=[cimahi],
    )
    import_verified_credential(
        scope=officer_scope,
        acting_user=officer,
        person=nurse,
        kind=CredentialKind.REGISTRATION,
        source="Berkas kredensial Komite Keperawatan (data demo)",
        number="STR-NS-2026-0418",
        issuer="Konsil Tenaga Kesehatan Indonesia",
        issued_on=today - timedelta(days=3 * 365),
    )
    submit_credential(
        scope=officer_scope,
        acting_user=officer,
        person=nurse,
        kind=CredentialKind.PRACTICE_PERMIT,
        number="SIP-CMH-2026-0733",
        issuer=PERMIT_ISSUER,
        issued_on=today - timedelta(days=10),
        expires_on=today + timedelta(days=5 * 365),
        facility=cimahi,
        issuer_regency_code=cimahi.regency_code,
    )
