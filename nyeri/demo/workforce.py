"""The demo network's workforce: a professional record for every staff member, credentials
that cover every case the requirements engine explains, and hours with pain-clinic patients.

Dates are relative to the day the demo is loaded, so "expired", "expiring in 3 weeks" and
"half-way to certification" stay true whenever it runs.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from nyeri.accounts.models import User
from nyeri.tenancy.models import Facility, Membership
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.credentials.imports import import_verified_credential
from nyeri.workforce.credentials.services import SourceCheck, submit_credential, verify_credential
from nyeri.workforce.hours.services import record_manual_hours, verify_hours
from nyeri.workforce.kinds import CheckKind, CheckResult, Citizenship, CredentialKind, EmployerKind, Specialty
from nyeri.workforce.models import Credential, Person
from nyeri.workforce.services import create_person
from nyeri.workforce.skp.services import record_activity

K = CredentialKind
PHYSICIANS = {
    Role.PAIN_PHYSICIAN,
    Role.ANESTHESIOLOGIST,
    Role.NEUROLOGIST,
    Role.PSYCHIATRIST,
    Role.PHYSIATRIST,
    Role.GENERAL_PRACTITIONER,
}
RESIDENCY = {
    Role.PAIN_PHYSICIAN: Specialty.ANESTHESIOLOGY,
    Role.ANESTHESIOLOGIST: Specialty.ANESTHESIOLOGY,
    Role.NEUROLOGIST: Specialty.NEUROLOGY,
    Role.PSYCHIATRIST: Specialty.PSYCHIATRY,
    Role.PHYSIATRIST: Specialty.PHYSICAL_MEDICINE,
}
REGISTRARS = {
    "physician": "Konsil Kedokteran Indonesia",
    "other": "Konsil Tenaga Kesehatan Indonesia",
}
PERMIT_ISSUERS = {
    "32.73": "DPMPTSP Kota Bandung",
    "32.77": "DPMPTSP Kota Cimahi",
    "32.11": "DPMPTSP Kabupaten Sumedang",
}
SOURCE = "Berkas kredensial Komite Medik / Komite Keperawatan (data demo)"


class WorkforceSeeder:
    def __init__(self, *, scope: Scope, officer: User, admin: User, facilities: dict[str, Facility], today: date):
        self.scope = scope
        self.officer = officer
        self.admin = admin
        self.facilities = facilities
        self.today = today
        self.rng = random.Random(7)  # deterministic demo data, not security
        self.serial = 0

    # -- helpers ------------------------------------------------------------------------
    def _number(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.today.year % 100:02d}{self.serial:05d}"

    def _import(self, person: Person, kind: str, **fields: Any) -> None:
        import_verified_credential(
            scope=self.scope, acting_user=self.officer, person=person, kind=kind, source=SOURCE, **fields
        )

    def _submit_as_holder(self, person: Person, kind: str, **fields: Any) -> Credential:
        """Entered by the holder themselves (when they have an account): the officer, who did
        not enter it, may then check it at its source."""
        scope = resolve_scope(person.user, self.scope.organization.pk) if person.user is not None else None
        by = scope or self.scope
        return submit_credential(scope=by, acting_user=by.user, person=person, kind=kind, **fields)

    def _str_checked_at_source(self, person: Person) -> None:
        """Demo case: an STR entered by the physician and checked by the officer in the
        medical council's online register, on a written attestation."""
        credential = self._submit_as_holder(
            person,
            K.REGISTRATION,
            number=self._number("STR"),
            issuer=REGISTRARS["physician"],
            issued_on=self.today - timedelta(days=365 * 6),
        )
        verify_credential(
            scope=self.scope,
            acting_user=self.officer,
            credential=credential,
            check=SourceCheck(
                source="kki_str_register",
                method="online_register",
                checked_on=self.today - timedelta(days=3),
                reference=f"KKI cek dokter: {credential.number}",
                attestation=(
                    "Dicari di register daring KKI dengan nama lengkap: STR aktif, nomor dan nama sesuai "
                    "dengan salinan yang diunggah (data demo)."
                ),
            ),
        )

    def _str(self, person: Person, physician: bool) -> None:
        self._import(
            person,
            K.REGISTRATION,
            number=self._number("STR"),
            issuer=REGISTRARS["physician" if physician else "other"],
            issued_on=self.today - timedelta(days=365 * 6),
        )

    def _sip(self, person: Person, facility: Facility, *, issued: date, expires: date, pending: bool = False) -> None:
        fields: dict[str, Any] = {
            "number": self._number("SIP"),
            "issuer": PERMIT_ISSUERS[facility.regency_code],
            "issued_on": issued,
            "expires_on": expires,
            "facility": facility,
            "issuer_regency_code": facility.regency_code,
        }
        if pending:
            self._submit_as_holder(person, K.PRACTICE_PERMIT, **fields)
        else:
            self._import(person, K.PRACTICE_PERMIT, **fields)

    # -- the network ----------------------------------------------------------------------
    def person_for(self, user: User, membership: Membership) -> Person:
        roles = [r.role for r in membership.roles.all()]
        linked = [link.facility for link in membership.facility_links.select_related("facility")]
        facilities = linked or list(self.facilities.values())
        return create_person(
            scope=self.scope,
            acting_user=self.officer,
            full_name=user.full_name or user.username,
            citizenship=Citizenship.CITIZEN,
            roles=roles,
            facilities=facilities,
            user=user if user.has_usable_password() else None,
            email=f"{user.username}@parahyangan.example" if user.has_usable_password() else "",
        )

    def credentials_for(self, person: Person, username: str) -> None:
        roles = {r.role for r in person.roles.all()}
        facilities = [link.facility for link in person.facility_links.select_related("facility")]
        if not roles & CLINICAL_ROLES:
            return
        physician = bool(roles & PHYSICIANS)
        if username == "dokter.nyeri":
            self._str_checked_at_source(person)
        else:
            self._str(person, physician)
        sip_until = self.today + timedelta(days=365 * 3 + self.rng.randint(0, 300))
        for facility in facilities[:3]:
            if username == "dokter.umum":
                # Demo case: an expired SIP (the GP may no longer prescribe at Sumedang).
                self._sip(
                    person,
                    facility,
                    issued=self.today - timedelta(days=5 * 365),
                    expires=self.today - timedelta(days=24),
                )
            elif username == "rehabmedik":
                continue  # handled below: a SIP for another regency only
            elif username == "asisten.perawat":
                # Demo case: a SIP expiring in three weeks (the expiry watch warns about it).
                self._sip(
                    person,
                    facility,
                    issued=self.today - timedelta(days=5 * 365 - 21),
                    expires=self.today + timedelta(days=21),
                )
            else:
                self._sip(person, facility, issued=self.today - timedelta(days=400), expires=sip_until)
        if username == "rehabmedik":
            # Demo case: works in Cimahi but holds a SIP only for the Bandung hospital (another regency).
            bandung = self.facilities["rsud-bandung"]
            self._sip(person, bandung, issued=self.today - timedelta(days=200), expires=sip_until)
        for role, specialty in RESIDENCY.items():
            if role in roles:
                self._import(
                    person,
                    K.RESIDENCY,
                    number=self._number("PPDS"),
                    issuer="Kolegium " + specialty.label,
                    issued_on=self.today - timedelta(days=365 * 9),
                    specialty=specialty,
                )
                break
        if Role.PAIN_PHYSICIAN in roles or username in {"staf01"}:
            self._import(
                person,
                K.FELLOWSHIP,
                number=self._number("KMN"),
                issuer="Kolegium Anestesiologi dan Terapi Intensif Indonesia",
                issued_on=self.today - timedelta(days=365 * 4),
                specialty=Specialty.PAIN_MANAGEMENT,
                title="Konsultan Manajemen Nyeri (KMN)",
            )
        if Role.ANESTHESIOLOGIST in roles:
            self._import(
                person,
                K.BOARD_CERTIFICATION,
                number=self._number("SERKOM"),
                issuer="Kolegium Anestesiologi dan Terapi Intensif Indonesia",
                issued_on=self.today - timedelta(days=365 * 2),
                expires_on=self.today + timedelta(days=365 * 3),
                specialty=Specialty.ANESTHESIOLOGY,
            )
        if roles & {Role.PAIN_PHYSICIAN, Role.ANESTHESIOLOGIST}:
            self._import(
                person,
                K.CONTROLLED_AUTHORISATION,
                approver=self.admin,
                number=self._number("KEW-NAR"),
                issuer="Komite Medik",
                issued_on=self.today - timedelta(days=300),
                expires_on=self.today + timedelta(days=365 * 2),
            )
        if physician:
            check: dict[str, Any] = {
                "number": self._number("SKCK"),
                "issuer": "Polrestabes Bandung",
                "check_kind": CheckKind.CRIMINAL_RECORD,
                "valid_months": 12,
            }
            if username == "neurolog":
                # Demo case: a background check still pending (entered by the physician, so
                # the credentialing officer may check it at the police).
                self._submit_as_holder(
                    person,
                    K.BACKGROUND_CHECK,
                    issued_on=self.today - timedelta(days=5),
                    check_result=CheckResult.PENDING,
                    **check,
                )
            else:
                self._import(
                    person,
                    K.BACKGROUND_CHECK,
                    issued_on=self.today - timedelta(days=90),
                    check_result=CheckResult.PASSED,
                    **check,
                )
        if Role.MEDICAL_ASSISTANT in roles:
            self._import(
                person,
                K.WORK_EXPERIENCE,
                issuer="Klinik Pratama Sehat Bersama, Bandung",
                issued_on=self.today - timedelta(days=400),
                employer_kind=EmployerKind.GENERAL_CLINIC,
                months=18,
            )
        if Role.NURSE in roles:
            self._import(
                person,
                K.PAIN_TRAINING,
                number=self._number("PLT"),
                issuer="Himpunan Perawat Manajemen Nyeri (demo)",
                issued_on=self.today - timedelta(days=250),
                hours="16",
                title="Pelatihan asesmen dan manajemen nyeri kronis",
            )

    def skp_for(self, person: Person) -> None:
        """Demo case: an SKP ledger part of the way to the SIP renewal (recorded by the officer)."""
        activities = [
            ("learning", "Simposium Nasional Manajemen Nyeri", "PERDATIN", "40", 300, "SKP-PN-0412"),
            ("learning", "Workshop blok saraf dengan panduan USG", "Kolegium Anestesiologi", "24", 180, "SKP-WS-0917"),
            ("learning", "Kursus daring farmakologi opioid", "Plataran Sehat Kemenkes", "8", 60, "SKP-PS-2231"),
            (
                "community",
                "Penyuluhan nyeri punggung bawah di Posbindu",
                "Puskesmas Cibeunying",
                "6",
                90,
                "SKP-PM-0051",
            ),
        ]
        for category, title, provider, credits, days_ago, number in activities:
            record_activity(
                scope=self.scope,
                acting_user=self.officer,
                person=person,
                category=category,
                title=title,
                provider=provider,
                credits=credits,
                done_on=self.today - timedelta(days=days_ago),
                certificate_number=number,
            )

    def hours_for(self, person: Person, *, verified_days: int, pending_days: int, supervisor_scope: Scope) -> None:
        """About eight hours a working day with pain-clinic patients, most of them verified."""
        facility = person.facility_links.select_related("facility").first()
        assert facility is not None
        day = self.today - timedelta(days=1)
        done = 0
        while done < verified_days + pending_days:
            if day.weekday() < 5:
                entry = record_manual_hours(
                    scope=self.scope,
                    acting_user=self.officer,
                    person=person,
                    facility=facility.facility,
                    worked_on=day,
                    hours=self.rng.choice(["7", "7.5", "8", "8"]),
                    note="Poli nyeri dan tindakan",
                )
                if done >= pending_days:
                    verify_hours(scope=supervisor_scope, acting_user=supervisor_scope.user, entry=entry)
                done += 1
            day -= timedelta(days=1)
