"""The SKP ledger: activities by category with evidence, the period of the current SIP,
verified care hours counted in, progress toward the renewal total, pages and API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.workforce.expiry.selectors import expiring_credentials, skp_for_expiring_permits
from nyeri.workforce.kinds import CredentialStatus, HoursSource, HoursStatus
from nyeri.workforce.models import Credential, HoursEntry, Person, SkpActivity
from nyeri.workforce.skp.selectors import person_progress
from nyeri.workforce.skp.services import record_activity
from tests.conftest import log_in
from tests.workforce.conftest import AddCredential
from tests.workforce.credentials_support import *  # noqa: F403 - fixtures
from tests.workforce.credentials_support import PDF_BYTES, current_sip, real_upload, scope_of, stored_files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def sip(doctor: Person, facility: Facility, add_credential: AddCredential) -> Credential:
    """The doctor's current SIP: issued a year ago, valid four more years."""
    return current_sip(add_credential, doctor, facility)


def record(user: User, person: Person, **fields: Any) -> SkpActivity:
    values: dict[str, Any] = {
        "category": "learning",
        "title": "Simposium Nyeri Nasional",
        "credits": Decimal("12"),
        "done_on": today() - timedelta(days=30),
        "provider": "PERDATIN",
        "certificate_number": "SKP-2026-001",
    }
    values.update(fields)
    return record_activity(scope=scope_of(user), acting_user=user, person=person, **values)


def refused(user: User, person: Person, **fields: Any) -> dict[str, list[str]]:
    before = SkpActivity.objects.count()
    with pytest.raises(ValidationError) as exc:
        record(user, person, **fields)
    assert SkpActivity.objects.count() == before
    return exc.value.message_dict


def hours(person: Person, facility: Facility, day: date, amount: str, status: str = HoursStatus.VERIFIED) -> None:
    HoursEntry.objects.create(
        organization=person.organization,
        person=person,
        facility=facility,
        worked_on=day,
        hours=Decimal(amount),
        source=HoursSource.MANUAL,
        status=status,
    )


# --- Recording ------------------------------------------------------------------------------


def test_a_professional_records_their_own_activity_with_its_certificate_number(doctor: Person, sip: Credential) -> None:
    assert doctor.user is not None
    activity = record(doctor.user, doctor)
    assert (activity.category, activity.credits, activity.certificate_number) == (
        "learning",
        Decimal("12.00"),
        "SKP-2026-001",
    )
    event = AuditEvent.objects.get(object_type="skp_activity", action=AuditAction.CREATE)
    assert event.reason.startswith(f"person {doctor.pk}; learning; 12 SKP on ")


def test_an_officer_records_an_activity_with_a_certificate_file_kept_privately(
    officer: User, doctor: Person, sip: Credential, tmp_path: Path, private_root: Path
) -> None:
    activity = record(officer, doctor, certificate_number="", evidence=real_upload(tmp_path, "cert.pdf", PDF_BYTES))
    (path,) = stored_files(private_root)
    assert path.read_bytes() == PDF_BYTES
    assert (activity.evidence_name, activity.evidence_content_type) == ("cert.pdf", "application/pdf")
    client = log_in(Client(), officer)
    download = client.get(f"/workforce/skp/evidence/{activity.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(object_type="skp_evidence", action=AuditAction.READ).count() == 1


def test_an_activity_dated_in_the_future_is_refused(doctor: Person, sip: Credential) -> None:
    translation.activate("id")  # the refusal as a person reads it, in the default language
    assert doctor.user is not None
    errors = refused(doctor.user, doctor, done_on=today() + timedelta(days=2))
    assert set(errors) == {"done_on"}
    assert "masa depan" in errors["done_on"][0]


def test_an_activity_before_the_period_of_the_sip_is_refused(doctor: Person, sip: Credential) -> None:
    assert doctor.user is not None
    errors = refused(doctor.user, doctor, done_on=sip.issued_on - timedelta(days=1))
    assert set(errors) == {"done_on"}
    assert sip.issued_on.isoformat() in errors["done_on"][0]


def test_without_a_current_sip_no_activity_can_be_recorded(doctor: Person) -> None:
    assert doctor.user is not None
    errors = refused(doctor.user, doctor)
    assert set(errors) == {"done_on"}
    assert "SIP" in errors["done_on"][0]


def test_an_unverified_sip_opens_no_period(doctor: Person, sip: Credential) -> None:
    assert doctor.user is not None
    Credential.objects.filter(pk=sip.pk).update(status=CredentialStatus.SUBMITTED)
    assert set(refused(doctor.user, doctor)) == {"done_on"}


def test_bad_fields_are_named_all_at_once(doctor: Person, sip: Credential) -> None:
    assert doctor.user is not None
    errors = refused(doctor.user, doctor, category="sports", title=" ", credits="0", certificate_number="")
    assert set(errors) == {"category", "title", "credits", "evidence"}
    assert set(refused(doctor.user, doctor, credits="abc")) == {"credits"}
    assert set(refused(doctor.user, doctor, credits="1.234")) == {"credits"}
    assert set(refused(doctor.user, doctor, credits="-3")) == {"credits"}


def test_a_text_file_as_certificate_is_refused(
    doctor: Person, sip: Credential, tmp_path: Path, private_root: Path
) -> None:
    assert doctor.user is not None
    fake = real_upload(tmp_path, "cert.pdf", b"hello")
    assert set(refused(doctor.user, doctor, certificate_number="", evidence=fake)) == {"evidence"}
    assert stored_files(private_root) == []


def test_a_colleague_cannot_record_for_someone_else(nurse: User, doctor: Person, sip: Credential) -> None:
    with pytest.raises(ActionRefused) as exc:
        record(nurse, doctor)
    assert exc.value.message
    assert not SkpActivity.objects.exists()
    denial = AuditEvent.objects.get(object_type="skp_activity", action=AuditAction.PERMISSION_DENIED)
    assert denial.reason.startswith(f"record SKP activity for person {doctor.pk}")


# --- Progress -------------------------------------------------------------------------------


def test_progress_counts_activities_by_category_and_verified_care_hours_as_service(
    officer: User, doctor: Person, sip: Credential, facility: Facility
) -> None:
    assert doctor.user is not None
    record(doctor.user, doctor, credits=Decimal("100"))
    record(doctor.user, doctor, category="community", credits=Decimal("15"), certificate_number="B-2")
    hours(doctor, facility, today() - timedelta(days=10), "8")
    hours(doctor, facility, today() - timedelta(days=11), "12")
    hours(doctor, facility, today() - timedelta(days=12), "8", HoursStatus.SUBMITTED)  # not yet verified
    hours(doctor, facility, sip.issued_on - timedelta(days=3), "8")  # before the period
    progress = person_progress(scope_of(officer), doctor)
    assert progress is not None
    assert progress.period is not None
    assert progress.period.permit == sip
    by_code = {c.category.code: c for c in progress.categories}
    # 20 verified hours in the period at 8 hours per credit: 2.5 SKP of service.
    assert (progress.hours, by_code["service"].from_hours, by_code["service"].credits) == (
        Decimal("20.00"),
        Decimal("2.50"),
        Decimal("2.50"),
    )
    assert (by_code["learning"].credits, by_code["community"].credits) == (Decimal("100.00"), Decimal("15.00"))
    # A physician needs 250 over the period: 45 % learning, 35 % service, 5 % community.
    assert progress.needed == Decimal("250")
    assert [c.needed for c in progress.categories] == [Decimal("112.50"), Decimal("87.50"), Decimal("12.50")]
    assert [c.met for c in progress.categories] == [False, False, True]
    assert progress.total == Decimal("117.50")
    assert progress.percent == 47
    assert not progress.complete


def test_progress_without_a_sip_has_no_period_and_counts_nothing(officer: User, doctor: Person) -> None:
    progress = person_progress(scope_of(officer), doctor)
    assert progress is not None
    assert (progress.period, progress.total, progress.needed) == (None, Decimal("0.00"), Decimal("250"))


def test_a_colleague_cannot_read_someone_elses_ledger(nurse: User, doctor: Person, sip: Credential) -> None:
    client = log_in(Client(), nurse)
    assert client.get(f"/workforce/skp/people/{doctor.pk}/").status_code == 403
    assert client.get(f"/api/workforce/skp/progress?person={doctor.pk}").status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).exists()


def test_another_organizations_ledger_is_not_found(officer: User, other_org: Organization) -> None:
    theirs = Person.objects.create(organization=other_org, full_name="Orang Lain", citizenship="citizen")
    client = log_in(Client(), officer)
    assert client.get(f"/workforce/skp/people/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/workforce/skp?person={theirs.pk}").status_code == 404


# --- Pages ----------------------------------------------------------------------------------


def test_the_ledger_page_shows_progress_and_records_an_activity(doctor: Person, sip: Credential) -> None:
    assert doctor.user is not None
    client = log_in(Client(), doctor.user)
    url = f"/workforce/skp/people/{doctor.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "0 dari 250 SKP" in page.content.decode()
    later = (today() + timedelta(days=3)).isoformat()
    future = client.post(
        url, {"category": "learning", "title": "Kursus", "credits": "5", "done_on": later, "certificate_number": "K-1"}
    )
    assert future.status_code == 200
    assert future.context["form"].errors["done_on"]
    done = client.post(
        url,
        {"category": "learning", "title": "Kursus USG", "credits": "5", "done_on": today().isoformat(),
         "certificate_number": "K-1"},
    )  # fmt: skip
    assert done.status_code == 302
    page = client.get(url).content.decode()
    assert "Kursus USG" in page
    assert "5 dari 250 SKP" in page


def test_the_profile_shows_skp_progress_to_the_person_and_officers(
    officer: User, doctor: Person, sip: Credential
) -> None:
    assert doctor.user is not None
    record(doctor.user, doctor, credits=Decimal("25"))
    for user in (doctor.user, officer):
        page = log_in(Client(), user).get(f"/workforce/people/{doctor.pk}/")
        assert page.status_code == 200
        assert 'data-testid="skp-progress"' in page.content.decode()
        assert "25 dari 250 SKP (10 %)" in page.content.decode()


def test_the_expiry_watch_shows_the_skp_progress_of_an_expiring_sip(
    officer: User, doctor: Person, sip: Credential
) -> None:
    assert doctor.user is not None
    Credential.objects.filter(pk=sip.pk).update(expires_on=today() + timedelta(days=40))
    record(doctor.user, doctor, credits=Decimal("30"))
    scope = scope_of(officer)
    progress = skp_for_expiring_permits(scope, expiring_credentials(scope))
    assert progress[sip.pk].total == Decimal("30.00")
    page = log_in(Client(), officer).get("/workforce/hours/expiring/").content.decode()
    assert "30 / 250" in page


# --- API ------------------------------------------------------------------------------------


def test_the_api_records_lists_in_pages_and_reports_progress(doctor: Person, sip: Credential) -> None:
    assert doctor.user is not None
    client = log_in(Client(), doctor.user)
    form = {"person_id": doctor.pk, "category": "service", "title": "Bakti", "credits": "3",
            "done_on": today().isoformat(), "certificate_number": "X-1"}  # fmt: skip
    created = client.post("/api/workforce/skp", form)
    assert created.status_code == 201, created.content
    assert created.json()["category"] == "service"
    client.post("/api/workforce/skp", {**form, "certificate_number": "X-2"})
    listed = client.get(f"/api/workforce/skp?person={doctor.pk}&page_size=1").json()
    assert (listed["count"], listed["pages"], len(listed["items"])) == (2, 2, 1)
    progress = client.get(f"/api/workforce/skp/progress?person={doctor.pk}").json()
    reads = AuditEvent.objects.filter(object_type="skp_ledger", action=AuditAction.READ, object_id=str(doctor.pk))
    assert sorted(reads.values_list("reason", flat=True)) == ["API list", "API progress"]
    assert (progress["total"], progress["needed"], progress["practice_permit_id"]) == ("6.00", "250", sip.pk)
    future = client.post("/api/workforce/skp", {**form, "done_on": (today() + timedelta(days=5)).isoformat()})
    assert future.status_code == 422
    assert {f["field"] for f in future.json()["error"]["fields"]} == {"done_on"}
    no_evidence = client.post("/api/workforce/skp", {**form, "certificate_number": ""})
    assert {f["field"] for f in no_evidence.json()["error"]["fields"]} == {"file"}
