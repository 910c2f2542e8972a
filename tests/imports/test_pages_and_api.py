"""Import pages (upload, dry-run report, confirm, result), templates and the API."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CredentialStatus
from nyeri.workforce.models import Credential, Person
from tests.conftest import MakeMember
from tests.imports.conftest import NIK_MAN, NIK_WOMAN, STAFF_HEADERS, bearer, client_of, staff_row, xlsx

EXPECTED_FIRST_HEADERS = {
    ("staff", "en"): "Full name",
    ("staff", "id"): "Nama lengkap",
    ("patients", "en"): "Record number",
    ("patients", "id"): "Nomor rekam medis",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def staff_file(*rows: list[object], name: str = "staf.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx(STAFF_HEADERS, list(rows)), content_type=XLSX)


def registration(nik: str = NIK_WOMAN, number: str = "STR-1", name: str = "Ns. Siti") -> list[object]:
    return staff_row(name, nik, kind="registration", number=number, issuer="KKI", issued_on="2020-01-15")


def test_the_navigation_leads_an_administrator_to_the_imports(admin: User) -> None:
    client = client_of(admin)
    home = client.get("/", follow=True).content.decode()
    assert 'href="/imports/"' in home
    people = client.get("/people/").content.decode()
    assert 'href="/imports/staff/"' in people
    page = client.get("/imports/").content.decode()
    assert "/imports/staff/" in page
    assert "/imports/patients/" in page


def test_upload_dry_run_confirm_and_result(
    admin: User, facility: Facility, private_storage: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_of(admin)
    response = client.post("/imports/staff/", {"file": staff_file(registration())})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Every row is valid" in page
    assert not Person.objects.exists()
    sha256 = response.context["report"].sha256
    assert f'value="{sha256}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        result = client.post("/imports/staff/confirm/", {"sha256": sha256, "source": "staf.xlsx"})
    assert result.status_code == 200
    assert result.context["report"].written
    assert "Imported" in result.content.decode()
    assert Credential.objects.get().status == CredentialStatus.SUBMITTED
    assert Person.objects.get().nik == NIK_WOMAN
    # The imported file is not kept; uploading it again changes nothing.
    assert not list(private_storage.rglob("*.upload"))
    assert client.post("/imports/staff/confirm/", {"sha256": sha256}).status_code == 404
    again = client.post("/imports/staff/", {"file": staff_file(registration())})
    assert again.context["report"].unchanged == {"people": 1, "credentials": 1}
    assert again.context["report"].created == {"people": 0, "credentials": 0}
    assert Person.objects.count() == 1


def test_the_dry_run_report_is_a_table_of_row_column_and_reason(admin: User) -> None:
    client = client_of(admin)
    bad = staff_row("Ns. Siti", NIK_WOMAN, roles="juru masak")
    response = client.post("/imports/staff/", {"file": staff_file(bad)})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-testid="problems"' in page
    assert "<td>2</td><td>Roles</td>" in page
    assert 'data-testid="confirm"' not in page


def test_a_pdf_renamed_xlsx_is_refused_on_the_page(admin: User) -> None:
    client = client_of(admin)
    fake = SimpleUploadedFile("staf.xlsx", b"%PDF-1.7 fake", content_type=XLSX)
    response = client.post("/imports/staff/", {"file": fake})
    assert response.status_code == 200
    assert "This file is a PDF, not a spreadsheet" in response.content.decode()


def test_an_upload_of_another_organization_is_not_found(
    admin: User, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    response = client_of(admin).post("/imports/staff/", {"file": staff_file(registration())})
    sha256 = response.context["report"].sha256
    other_admin = make_member(other_org, Role.ADMINISTRATOR, username="lain", language="en")
    stranger = client_of(other_admin).post("/imports/staff/confirm/", {"sha256": sha256})
    assert stranger.status_code == 404
    assert not Person.objects.exists()


def test_a_nurse_is_refused_the_staff_import_but_may_import_patients(nurse: User) -> None:
    client = client_of(nurse)
    assert client.get("/imports/staff/").status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="staff_import").exists()
    assert client.get("/imports/patients/").status_code == 200


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_templates_download_in_the_active_language(admin: User, language: str) -> None:
    User.objects.filter(pk=admin.pk).update(language=language)
    client = client_of(admin, language)
    for what in ("staff", "patients"):
        response = client.get(f"/imports/{what}/template.xlsx")
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        first, notes = book.worksheets
        headers = next(first.iter_rows(values_only=True))
        assert headers[0] == EXPECTED_FIRST_HEADERS[(what, language)]
        assert len(list(notes.iter_rows(values_only=True))) > len(headers)
        csv_text = client.get(f"/imports/{what}/template.csv").content.decode("utf-8-sig")
        assert csv_text.startswith(EXPECTED_FIRST_HEADERS[(what, language)] + ",")


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_template_imports_cleanly_as_downloaded(admin: User, facility: Facility, language: str, fmt: str) -> None:
    User.objects.filter(pk=admin.pk).update(language=language)
    client = client_of(admin, language)
    for what in ("staff", "patients"):
        template = client.get(f"/imports/{what}/template.{fmt}").content
        upload = SimpleUploadedFile(f"template.{fmt}", template)
        response = client.post(f"/imports/{what}/", {"file": upload})
        report = response.context["report"]
        assert report.problems == [], report.problems
        done = client.post(f"/imports/{what}/confirm/", {"sha256": report.sha256})
        assert done.context["report"].written
    assert Person.objects.count() == 1
    assert Credential.objects.count() == 1
    assert Patient.objects.count() == 1


def test_the_api_dry_runs_then_imports(admin: User, facility: Facility) -> None:
    headers = bearer(admin)
    content = xlsx(STAFF_HEADERS, [registration(), registration(NIK_MAN, "STR-2", "dr. Budi")])
    dry = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/imports/staff?dry_run=true", {"file": SimpleUploadedFile("s.xlsx", content)}, **headers
    )
    assert dry.status_code == 200, dry.content
    body = dry.json()
    assert (body["dry_run"], body["written"], body["created"]) == (True, False, {"people": 2, "credentials": 2})
    assert not Person.objects.exists()
    done = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/imports/staff?dry_run=false", {"file": SimpleUploadedFile("s.xlsx", content)}, **headers
    )
    assert done.status_code == 200
    assert done.json()["written"] is True
    assert Person.objects.count() == 2


def test_the_api_answers_422_with_the_problems(admin: User, facility: Facility) -> None:
    content = xlsx(STAFF_HEADERS, [staff_row("Ns. Siti", NIK_WOMAN, facilities="nowhere")])
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/imports/staff?dry_run=false", {"file": SimpleUploadedFile("s.xlsx", content)}, **bearer(admin)
    )
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"row": 2, "column": "Facilities", "reason": "Unknown facility code: nowhere."}
    ]
    assert not Person.objects.exists()


def test_the_api_refuses_a_file_that_is_not_a_spreadsheet(admin: User) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/imports/patients", {"file": SimpleUploadedFile("p.xlsx", b"%PDF-1.4")}, **bearer(admin)
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "file"


def test_the_api_imports_patients(nurse: User, facility: Facility) -> None:
    from tests.imports.test_patient_import import HEADERS, row

    content = xlsx(HEADERS, [row()])
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/imports/patients?dry_run=false", {"file": SimpleUploadedFile("p.xlsx", content)}, **bearer(nurse)
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == {"patients": 1}
    assert Patient.objects.get().nik == NIK_WOMAN


def test_uploads_never_confirmed_are_removed_after_a_day(org: Organization, private_storage: Path) -> None:
    import os
    import time

    from nyeri.imports import storage

    old = storage.keep(org.pk, b"Nama lengkap\nSiti\n")
    [path] = private_storage.rglob(f"{old}.upload")
    day_ago = time.time() - storage.KEEP_SECONDS - 60
    os.utime(path, (day_ago, day_ago))
    fresh = storage.keep(org.pk, b"Nama lengkap\nBudi\n")
    assert storage.load(org.pk, old) is None
    assert storage.load(org.pk, fresh) == b"Nama lengkap\nBudi\n"
    assert storage.load(org.pk + 1, fresh) is None
    assert storage.load(org.pk, "../../etc/passwd") is None


def test_the_openapi_document_describes_both_imports(admin: User) -> None:
    paths = Client().get("/api/openapi.json", **bearer(admin)).json()["paths"]
    assert "/api/imports/staff" in paths
    assert "/api/imports/patients" in paths
    assert "dry_run" in str(paths["/api/imports/staff"]["post"]["parameters"])


def test_the_api_refuses_a_nurse_the_staff_import(nurse: User) -> None:
    content = xlsx(STAFF_HEADERS, [registration()])
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/imports/staff?dry_run=true", {"file": SimpleUploadedFile("s.xlsx", content)}, **bearer(nurse)
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="staff_import").exists()
