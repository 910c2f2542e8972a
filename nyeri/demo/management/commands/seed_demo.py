"""Build the deterministic demo network (safe to run again: existing data is kept)."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import AdministrativeSex, Patient
from nyeri.clinical.services import register_patient
from nyeri.demo import data
from nyeri.demo.appointments import seed_appointments
from nyeri.demo.candidates import DEMO_CANDIDATE, seed_candidates
from nyeri.demo.clinical import ClinicalSeeder
from nyeri.demo.facilities import seed_facilities
from nyeri.demo.hiring import seed_applications
from nyeri.demo.imaging import seed_imaging
from nyeri.demo.jobs import seed_jobs
from nyeri.demo.prescriptions import seed_prescriptions
from nyeri.demo.privileges import seed_privileges
from nyeri.demo.procedures import seed_procedures
from nyeri.demo.register import seed_register
from nyeri.demo.satusehat import ensure_satusehat, seed_satusehat
from nyeri.demo.workforce import WorkforceSeeder
from nyeri.tenancy.models import Facility, Membership, Organization
from nyeri.tenancy.scope import resolve_scope
from nyeri.tenancy.services import add_member, create_facility, create_organization
from nyeri.workforce.models import Person

PATIENT_COUNT = 36


class Command(BaseCommand):
    help = "Load the demo organization, facilities, staff (one login per role) and patients."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-accounts", action="store_true", help="Do not print the demo accounts.")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=data.ORGANIZATION["slug"]).first()
        if org is None:
            with transaction.atomic():
                org = self._build()
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {org.name}"))
        elif ensure_satusehat(organization=org, admin=User.objects.get(username=data.DEMO_ACCOUNTS[0][0])):
            # A demo loaded before the SATUSEHAT flow existed gets its connection.
            self.stdout.write("Demo data already present; SATUSEHAT staging settings added.")
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        if not options["quiet_accounts"]:
            self._print_accounts()

    def _build(self) -> Organization:
        rng = random.Random(2026)
        org = create_organization(acting_user=None, **data.ORGANIZATION)
        facilities = {f["code"]: create_facility(acting_user=None, organization=org, **f) for f in data.FACILITIES}

        admin: User | None = None
        for username, full_name, role, codes in data.DEMO_ACCOUNTS:
            user = User.objects.create_user(username=username, password=data.DEMO_PASSWORD, full_name=full_name)
            add_member(
                acting_user=admin, organization=org, user=user, roles=[role], facilities=[facilities[c] for c in codes]
            )
            admin = admin or user
        for n, (full_name, role, code) in enumerate(data.MORE_STAFF, start=1):
            user = User(username=f"staf{n:02d}", full_name=full_name)
            user.set_unusable_password()
            user.save()
            add_member(acting_user=admin, organization=org, user=user, roles=[role], facilities=[facilities[code]])

        assert admin is not None
        scope = resolve_scope(admin, org.pk)
        assert scope is not None
        self._patients(rng, scope, admin, list(facilities.values()))
        self._workforce(org, facilities)
        seed_facilities(org, facilities, today=timezone.localdate())
        # Care needs the staff's credentials: the engine decides who may record it.
        patients = list(Patient.objects.filter(organization=org).select_related("registered_at").order_by("pk"))
        now = timezone.now()
        ClinicalSeeder(org_id=org.pk, facilities=facilities, now=now).seed(patients)
        # Procedures need the facilities' equipment and the care's diagnoses.
        seed_procedures(org_id=org.pk, facilities=facilities, patients=patients, now=now)
        # A day of appointments at each facility (today on its clock), the first ones checked in.
        seed_appointments(org_id=org.pk, facilities=facilities, patients=patients)
        # The clinics without a C-arm refer their fluoroscopy-guided blocks to the hospital.
        seed_imaging(org_id=org.pk, facilities=facilities, patients=patients, now=now)
        seed_prescriptions(org_id=org.pk, facilities=facilities, patients=patients)
        # After the prescriptions were signed (just now): the register dispenses them.
        seed_register(org.pk, facilities, timezone.now())
        # Job postings come from the staffing plan's real gaps; candidates apply from outside.
        seed_jobs(org_id=org.pk, facilities=facilities, now=now)
        seed_candidates(now)
        # The candidates apply; the credentialing officer takes some through to hiring.
        seed_applications(org_id=org.pk, now=now)
        # Clinical privileges at the hospital: after the care recorded before they were required.
        seed_privileges(org_id=org.pk, facilities=facilities)
        # Staging settings pointing at the demo's local SATUSEHAT server (scripts/demo.py).
        seed_satusehat(organization=org, admin=admin)
        return org

    def _workforce(self, org: Organization, facilities: dict[str, Facility]) -> None:
        officer = User.objects.get(username="kredensial")
        admin = User.objects.get(username="admin")
        officer_scope = resolve_scope(officer, org.pk)
        supervisor_scope = resolve_scope(User.objects.get(username="dokter.nyeri"), org.pk)
        assert officer_scope is not None
        assert supervisor_scope is not None
        seeder = WorkforceSeeder(
            scope=officer_scope, officer=officer, admin=admin, facilities=facilities, today=timezone.localdate()
        )
        people: dict[str, Person] = {}
        memberships = Membership.objects.filter(organization=org).select_related("user").order_by("pk")
        for membership in memberships:
            people[membership.user.username] = seeder.person_for(membership.user, membership)
        for username, person in people.items():
            seeder.credentials_for(person, username)
        # Demo case: a nurse half-way to the pain nursing certification (about 1,000 of 2,000 hours).
        seeder.hours_for(people["perawat"], verified_days=130, pending_days=4, supervisor_scope=supervisor_scope)
        seeder.hours_for(people["staf04"], verified_days=20, pending_days=2, supervisor_scope=supervisor_scope)
        # Demo case: continuing-education credits part of the way to the SIP renewal.
        seeder.skp_for(people["dokter.nyeri"])

    def _patients(self, rng: random.Random, scope: Any, admin: User, facilities: list[Facility]) -> None:
        for n in range(1, PATIENT_COUNT + 1):
            female = rng.random() < 0.55
            given = rng.choice(data.GIVEN_FEMALE if female else data.GIVEN_MALE)
            name = f"{given} {rng.choice(data.FAMILY)}"
            born = date(rng.randint(1945, 2002), rng.randint(1, 12), rng.randint(1, 28))
            regency, region = rng.choice(data.PATIENT_REGIONS)
            facility = facilities[n % len(facilities)]
            # NIK: 6-digit region, birth date as DDMMYY (day + 40 for women), 4-digit serial.
            day = born.day + (40 if female else 0)
            nik = f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 9999):04d}"
            has_nik = rng.random() < 0.9
            # Without a NIK (documents not brought): the family card number stands in.
            no_nik = {} if has_nik else {"no_nik_reason": "unknown", "other_identifier_kind": "other"}
            register_patient(
                scope=scope,
                acting_user=admin,
                facility=facility,
                mrn=f"RM-{facility.code[:3].upper()}-{n:05d}",
                full_name=name,
                birth_date=born,
                sex=AdministrativeSex.FEMALE if female else AdministrativeSex.MALE,
                nik=nik if has_nik else "",
                other_identifier="" if has_nik else f"KK-{region}-{n:06d}",
                **no_nik,
                phone=f"08{rng.randint(11, 59)}{rng.randint(10000000, 99999999)}",
                address=f"{rng.choice(data.STREETS)} No. {rng.randint(1, 250)}",
                regency=regency,
                regency_code=f"{region[:2]}.{region[2:4]}",
                confirm_possible_duplicate=True,
            )

    def _print_accounts(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password for all: {data.DEMO_PASSWORD}):")
        width = max(len(str(role.label)) for _, _, role, _ in data.DEMO_ACCOUNTS)
        for username, full_name, role, _codes in data.DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<18} {role.label!s:<{width}}  {full_name}")
        self.stdout.write("The administrator must enrol a second factor (any TOTP app) at first login.")
        self.stdout.write(f"A job candidate (public board at /jobs/, career pathway): {DEMO_CANDIDATE}")
