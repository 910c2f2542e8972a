"""Verification at the source, by a second person: where, how, when and on what evidence a
credential was checked; who may not verify; re-verification dates; earlier verifications."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.workforce.credentials.imports import import_verified_credential
from nyeri.workforce.credentials.services import attach_evidence, submit_credential, verify_credential
from nyeri.workforce.expiry.selectors import reverification_due
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, CredentialEvidence, Person, SourceVerification
from tests.conftest import log_in
from tests.workforce.credentials_support import *  # noqa: F403 - fixtures
from tests.workforce.credentials_support import (
    PDF_BYTES,
    add_person,
    at_source,
    real_upload,
    scope_of,
    sip_fields,
    stored_files,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]

K = CredentialKind


def str_of(person: Person, by: User, **more: Any) -> Credential:
    """An STR of ``person`` entered by ``by``."""
    fields: dict[str, Any] = {"number": "STR-1", "issuer": "Konsil Kedokteran Indonesia", "issued_on": date(2015, 5, 4)}
    fields.update(more)
    return submit_credential(scope=scope_of(by), acting_user=by, person=person, kind=K.REGISTRATION, **fields)


def verify(user: User, credential: Credential, **check: Any) -> Credential:
    return verify_credential(
        scope=scope_of(user), acting_user=user, credential=credential, check=at_source(credential, **check)
    )


def bad_fields(user: User, credential: Credential, **check: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        verify(user, credential, **check)
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED
    assert not SourceVerification.objects.exists()
    return exc.value.message_dict


def events(object_type: str, action: AuditAction | None = None) -> list[AuditEvent]:
    qs = AuditEvent.objects.filter(object_type=object_type)
    if action is not None:
        qs = qs.filter(action=action)
    return list(qs.order_by("seq"))


# --- What a verification records --------------------------------------------------------


def test_verifying_records_the_source_method_reference_date_and_attestation(officer: User, doctor: Person) -> None:
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    checked_on = timezone.localdate() - timedelta(days=2)
    verify(officer, credential, source="kki_str_register", method="online_register", checked_on=checked_on)
    row = SourceVerification.objects.get(credential=credential)
    assert (row.source, row.method, row.reference, row.checked_on) == (
        "kki_str_register",
        "online_register",
        "REF-1",
        checked_on,
    )
    assert row.attestation.startswith("Seen in the register")
    assert (row.verified_by, row.evidence, row.before_source_recording) == (officer, None, False)
    credential.refresh_from_db()
    assert (credential.status, credential.decided_by) == (CredentialStatus.VERIFIED, officer)
    (event,) = events("credential_verification", AuditAction.CREATE)
    assert event.reason.startswith(f"credential {credential.pk} checked at kki_str_register by online_register on ")
    assert "on written attestation" in event.reason


def test_an_str_is_checked_again_at_the_next_re_credentialing_three_years_on(officer: User, doctor: Person) -> None:
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    verify(officer, credential, checked_on=date(2026, 2, 28))
    # 36 months of validity from 28 February 2026: through 27 February 2029.
    assert SourceVerification.objects.get().reverify_by == date(2029, 2, 27)


def test_a_sip_is_checked_again_no_later_than_its_own_expiry(officer: User, doctor: Person, facility: Facility) -> None:
    assert doctor.user is not None
    sip = submit_credential(
        scope=scope_of(doctor.user),
        acting_user=doctor.user,
        person=doctor,
        kind=K.PRACTICE_PERMIT,
        **sip_fields(facility),
    )
    verify(officer, sip, source="dinkes_sip", method="letter")
    assert SourceVerification.objects.get().reverify_by == sip.expires_on


def test_the_file_of_the_check_is_stored_privately_and_linked(
    officer: User, doctor: Person, tmp_path: Path, private_root: Path
) -> None:
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    upload = real_upload(tmp_path, "register-screenshot.pdf", PDF_BYTES)
    verify(officer, credential, evidence=upload, attestation="")
    row = SourceVerification.objects.select_related("evidence").get()
    assert row.evidence is not None
    assert (row.evidence.uploaded_by, row.evidence.content_type, row.evidence.credential_id) == (
        officer,
        "application/pdf",
        credential.pk,
    )
    (path,) = stored_files(private_root)
    assert path.read_bytes() == PDF_BYTES
    assert (path.stat().st_mode & 0o777) == 0o600
    assert f"on evidence file {row.evidence.pk}" in events("credential_verification")[-1].reason


# --- Who may not verify -----------------------------------------------------------------


def test_the_person_who_entered_a_credential_cannot_verify_it(officer: User, doctor: Person) -> None:
    translation.activate("id")  # the refusal as a person reads it, in the default language
    credential = str_of(doctor, officer)
    with pytest.raises(ActionRefused) as exc:
        verify(officer, credential)
    assert "orang lain" in exc.value.message
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED
    assert not SourceVerification.objects.exists()
    denial = events("credential", AuditAction.PERMISSION_DENIED)[-1]
    assert denial.reason == "verify_credentials: entered it (second-person rule)"
    assert denial.object_id == str(credential.pk)


def test_the_person_who_uploaded_its_evidence_cannot_verify_it(
    officer: User, approver: User, doctor: Person, tmp_path: Path
) -> None:
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    attach_evidence(
        scope=scope_of(officer),
        acting_user=officer,
        credential=credential,
        uploads=[real_upload(tmp_path, "str.pdf", PDF_BYTES)],
    )
    with pytest.raises(ActionRefused):
        verify(officer, credential)
    assert events("credential", AuditAction.PERMISSION_DENIED)[-1].reason == (
        "verify_credentials: uploaded its evidence (second-person rule)"
    )
    verify(approver, credential)
    assert SourceVerification.objects.get().verified_by == approver


def test_the_holder_still_cannot_verify_their_own_credential(officer: User) -> None:
    translation.activate("id")  # the refusal as a person reads it, in the default language
    own = Person.objects.get(user=officer)
    credential = str_of(own, officer)
    with pytest.raises(ActionRefused) as exc:
        verify(officer, credential)
    assert "kredensial Anda sendiri" in exc.value.message


# --- Bad input ----------------------------------------------------------------------------


def test_a_verification_without_evidence_or_attestation_is_refused(officer: User, doctor: Person) -> None:
    translation.activate("id")  # the refusal as a person reads it, in the default language
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    errors = bad_fields(officer, credential, attestation="", evidence=None)
    assert set(errors) == {"evidence", "attestation"}
    assert "pernyataan" in errors["attestation"][0]


def test_a_source_that_does_not_issue_this_kind_is_refused(officer: User, doctor: Person) -> None:
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    assert set(bad_fields(officer, credential, source="polri_skck")) == {"source"}
    assert set(bad_fields(officer, credential, source="")) == {"source"}


def test_a_method_the_source_does_not_use_is_refused(officer: User, doctor: Person) -> None:
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    # The medical council's register is not a paper original one could see.
    assert set(bad_fields(officer, credential, method="original_seen")) == {"method"}
    assert set(bad_fields(officer, credential, method="telepathy")) == {"method"}


def test_a_check_dated_in_the_future_or_before_the_issue_is_refused(officer: User, doctor: Person) -> None:
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    tomorrow = timezone.localdate() + timedelta(days=2)
    assert set(bad_fields(officer, credential, checked_on=tomorrow)) == {"checked_on"}
    assert set(bad_fields(officer, credential, checked_on=date(2015, 5, 3))) == {"checked_on"}
    assert set(bad_fields(officer, credential, checked_on=None)) == {"checked_on"}


def test_a_text_file_as_the_file_of_the_check_is_refused_and_nothing_is_written(
    officer: User, doctor: Person, tmp_path: Path, private_root: Path
) -> None:
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    fake = real_upload(tmp_path, "check.pdf", b"<html>not a pdf</html>")
    assert set(bad_fields(officer, credential, evidence=fake, attestation="")) == {"evidence"}
    assert stored_files(private_root) == []
    assert not CredentialEvidence.objects.exists()


# --- Earlier verifications ------------------------------------------------------------------


def test_the_migration_marks_earlier_verifications_honestly(
    org: Organization, officer: User, approver: User, doctor: Person, facility: Facility
) -> None:
    assert doctor.user is not None
    verified = str_of(doctor, doctor.user)
    Credential.objects.filter(pk=verified.pk).update(
        status=CredentialStatus.VERIFIED, decided_by=officer, decided_at=timezone.now()
    )
    waiting = str_of(doctor, doctor.user, number="STR-2")
    controlled = submit_credential(
        scope=scope_of(officer),
        acting_user=officer,
        person=doctor,
        kind=K.CONTROLLED_AUTHORISATION,
        issuer="Komite Medik",
        issued_on=date(2025, 1, 1),
    )
    Credential.objects.filter(pk=controlled.pk).update(
        status=CredentialStatus.VERIFIED, decided_by=approver, decided_at=timezone.now()
    )
    migration = importlib.import_module("nyeri.workforce.migrations.0005_source_verification_skp")
    migration.mark_earlier_verifications(apps, None)
    (row,) = SourceVerification.objects.all()
    assert (row.credential_id, row.before_source_recording, row.verified_by) == (verified.pk, True, officer)
    assert (row.source, row.method, row.checked_on, row.evidence) == ("", "", None, None)
    assert waiting.pk != row.credential_id


def test_an_incomplete_verification_row_is_refused_by_the_database(org: Organization, doctor: Person) -> None:
    from django.db import IntegrityError, transaction

    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceVerification.objects.create(
            organization=org, credential=credential, source="kki_str_register", method="online_register"
        )


# --- The watch ------------------------------------------------------------------------------


def test_the_expiry_watch_lists_checks_at_the_source_due_and_earlier_verifications(
    org: Organization, officer: User, approver: User, doctor: Person, make_member: Any
) -> None:
    assert doctor.user is not None
    due = str_of(doctor, doctor.user)
    verify(officer, due, checked_on=date(2023, 12, 20))  # re-verify by 19 December 2026
    later = str_of(doctor, doctor.user, number="STR-2")
    verify(officer, later)  # three years from now
    imported = import_verified_credential(
        scope=scope_of(officer),
        acting_user=officer,
        person=add_person(org, Role.NURSE, name="Eka"),
        kind=K.REGISTRATION,
        source="test",
        approver=None,
        number="STR-3",
        issuer="KTKI",
        issued_on=date(2020, 1, 1),
    )
    SourceVerification.objects.create(
        organization=org, credential=imported, before_source_recording=True, verified_by=officer
    )
    rows = reverification_due(scope_of(officer), today=date(2026, 12, 1))
    assert [(r.verification.credential_id, r.days_left) for r in rows] == [(due.pk, 18), (imported.pk, None)]
    client = log_in(Client(), officer)
    page = client.get("/workforce/hours/expiring/")
    assert page.status_code == 200
    assert f'id="reverify-{due.pk}"' in page.content.decode()
    assert f'id="reverify-{later.pk}"' not in page.content.decode()


# --- The page and the API ---------------------------------------------------------------------


def test_the_verify_page_asks_for_the_check_and_a_confirmation(officer: User, doctor: Person) -> None:
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    client = log_in(Client(), officer)
    url = f"/workforce/credentials/{credential.pk}/verify/"
    page = client.get(url)
    assert page.status_code == 200
    assert [c[0] for c in page.context["form"].fields["source"].choices] == ["", "kki_str_register", "satusehat_sdmk"]
    data = {
        "source": "kki_str_register",
        "method": "online_register",
        "checked_on": timezone.localdate().isoformat(),
        "attestation": "Aktif di register KKI.",
    }
    unconfirmed = client.post(url, data)
    assert unconfirmed.status_code == 200
    assert unconfirmed.context["form"].errors["confirm"]
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED
    no_evidence = client.post(url, {**data, "attestation": "", "confirm": "on"})
    assert no_evidence.context["form"].errors["evidence"]
    done = client.post(url, {**data, "confirm": "on"})
    assert done.status_code == 302
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.VERIFIED
    detail = client.get(f"/workforce/credentials/{credential.pk}/").content.decode()
    assert "Aktif di register KKI." in detail
    assert "Konsil Kedokteran Indonesia (KKI): register STR" in detail


def test_the_verify_page_refuses_the_one_who_entered_it_with_the_reason(officer: User, doctor: Person) -> None:
    credential = str_of(doctor, officer)
    client = log_in(Client(), officer)
    data = {
        "source": "kki_str_register",
        "method": "online_register",
        "checked_on": timezone.localdate().isoformat(),
        "attestation": "x",
        "confirm": "on",
    }
    response = client.post(f"/workforce/credentials/{credential.pk}/verify/", data)
    assert response.status_code == 403
    assert "orang lain" in response.content.decode()


def test_verifying_through_the_api_with_a_file_and_the_errors_it_names(
    officer: User, doctor: Person, tmp_path: Path
) -> None:
    assert doctor.user is not None
    credential = str_of(doctor, doctor.user)
    client = log_in(Client(), officer)
    url = f"/api/workforce/credentials/{credential.pk}/verify"
    form = {"source": "kki_str_register", "method": "online_register", "checked_on": timezone.localdate().isoformat()}
    missing = client.post(url, form)
    assert missing.status_code == 422
    assert {f["field"] for f in missing.json()["error"]["fields"]} == {"file", "attestation"}
    with (tmp_path / "kki.pdf").open("wb") as out:
        out.write(PDF_BYTES)
    with (tmp_path / "kki.pdf").open("rb") as handle:
        done = client.post(url, {**form, "reference": "KKI 3171", "file": handle})
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "verified"
    assert body["at_source"]["source"] == "kki_str_register"
    assert body["at_source"]["reference"] == "KKI 3171"
    assert body["at_source"]["evidence_id"] == body["evidence"][0]["id"]
    assert body["at_source"]["before_source_recording"] is False


# --- The data ---------------------------------------------------------------------------------


@pytest.mark.parametrize("jurisdiction", ["ID", "US"])
def test_every_verification_data_file_loads_and_cites_its_sources(jurisdiction: str) -> None:
    from nyeri.workforce.credentials.verification import verification_data

    data = verification_data(jurisdiction)
    assert data.cited
    assert all(place.source for place in data.sources)
    assert all(rule.source for rule in data.reverify)


def test_in_indonesia_every_kind_but_the_controlled_authorisation_has_a_source() -> None:
    from nyeri.workforce.credentials.verification import sources_for

    without = {kind for kind in K.values if not sources_for("ID", kind)}
    assert without == {K.CONTROLLED_AUTHORISATION}


def test_a_source_naming_an_unknown_method_is_refused_when_loaded(tmp_path: Path) -> None:
    from nyeri.lib.toml import load_jurisdiction_file
    from nyeri.workforce.credentials.verification import VerificationData, VerificationDataError

    path = tmp_path / "XX.toml"
    path.write_text(
        'jurisdiction = "XX"\nversion = "1"\ncited = ["x"]\n'
        '[[methods]]\ncode = "letter"\nlabel_en = "Letter"\nlabel_id = "Surat"\n'
        '[[sources]]\ncode = "board"\nlabel_en = "Board"\nlabel_id = "Dewan"\nkinds = ["registration"]\n'
        'methods = ["fax"]\nsource = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(VerificationDataError, match="unknown methods fax"):
        load_jurisdiction_file(path, VerificationData, VerificationDataError, "XX")
