"""The patient import: the registration's checks, dry run, all-or-nothing, re-import."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.audit.verify import verify_chain
from nyeri.clinical.models import Patient
from nyeri.imports.services import Problem, import_patients
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.conftest import MakeMember
from tests.imports.conftest import NIK_MAN, NIK_WOMAN, csv_bytes, scope_of, xlsx

HEADERS = [
    "Record number",
    "NIK",
    "Reason for no NIK",
    "Other identifier kind",
    "Other identifier",
    "Full name",
    "Birth date",
    "Sex",
    "Facility",
    "Phone",
]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def row(
    name: str = "Sri Wahyuni",
    nik: Any = NIK_WOMAN,
    birth: Any = date(1990, 7, 5),
    sex: str = "female",
    *,
    mrn: str = "",
    facility: str = "rs-sehat",
    reason: str = "",
    other_kind: str = "",
    other: str = "",
    phone: str = "",
) -> list[Any]:
    return [mrn, nik, reason, other_kind, other, name, birth, sex, facility, phone]


def man() -> list[Any]:
    return row("Budi Santoso", NIK_MAN, date(1985, 3, 20), "male")


def foreigner(name: str = "John Smith", passport: str = "X1234567") -> list[Any]:
    return row(name, "", date(1970, 1, 2), "male", reason="foreigner", other_kind="passport", other=passport)


def patient_nik(n: int) -> str:
    """A valid NIK of a woman of Kota Bandung born 1 January 1980."""
    return f"3273014101800{n:03d}"


def run(scope: Scope, content: bytes, *, dry_run: bool = False) -> Any:
    return import_patients(scope=scope, acting_user=scope.user, content=content, dry_run=dry_run)


def test_a_valid_file_registers_every_patient_with_a_record_number(admin_scope: Scope, facility: Facility) -> None:
    report = run(admin_scope, xlsx(HEADERS, [row(mrn="RM-OLD-1"), man(), foreigner()]))
    assert report.problems == []
    assert report.written
    assert report.created == {"patients": 3}
    sri = Patient.objects.get(nik=NIK_WOMAN)
    assert (sri.mrn, sri.full_name, sri.birth_date, sri.sex, sri.registered_at) == (
        "RM-OLD-1",
        "Sri Wahyuni",
        date(1990, 7, 5),
        "female",
        facility,
    )
    assert Patient.objects.get(nik=NIK_MAN).mrn  # generated
    john = Patient.objects.get(other_identifier="X1234567")
    assert (john.nik, john.no_nik_reason, john.other_identifier_kind) == ("", "foreigner", "passport")
    created = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="patient")
    assert sorted(created.values_list("patient_id", flat=True)) == sorted(Patient.objects.values_list("pk", flat=True))
    assert verify_chain().ok


def test_importing_the_same_file_again_changes_nothing(admin_scope: Scope) -> None:
    content = csv_bytes(HEADERS, [row(), man(), foreigner()])
    assert run(admin_scope, content).created == {"patients": 3}
    before = list(Patient.objects.order_by("pk").values())
    again = run(admin_scope, content)
    assert again.problems == []
    assert (again.created, again.unchanged) == ({"patients": 0}, {"patients": 3})
    assert list(Patient.objects.order_by("pk").values()) == before


def test_a_dry_run_lists_every_problem_as_row_column_and_reason_and_writes_nothing(admin_scope: Scope) -> None:
    content = xlsx(
        HEADERS,
        [
            row(),
            row("Ani", patient_nik(2), date(1980, 1, 2)),
            row("Dewi", patient_nik(3), date(1980, 1, 1), "male"),
            row("Rina", "", date(1980, 1, 1)),
            row("Tuti", patient_nik(5), date(1980, 1, 1), facility="nowhere"),
            row("Wati", NIK_WOMAN, date(1990, 7, 5)),
            row("Yuli", patient_nik(7), "kemarin"),
        ],
    )
    report = run(admin_scope, content, dry_run=True)
    assert not report.written
    assert report.problems == [
        Problem(3, "Birth date", "The birth date does not match the NIK, which encodes 01-01-80 (day-month-year)."),
        Problem(4, "Sex", "The NIK is that of a woman (birth day plus 40), but the sex given is male."),
        Problem(5, "Reason for no NIK", "Without a NIK, give the reason (foreign national, newborn or unknown)."),
        Problem(5, "Other identifier", "Without a NIK, give another identifier (e.g. a passport number)."),
        Problem(6, "Facility", "Unknown facility code: nowhere."),
        Problem(7, "NIK", "This NIK is already in row 2 of this file."),
        Problem(8, "Birth date", "“kemarin” is not a date: write it as YYYY-MM-DD or DD/MM/YYYY."),
    ]
    assert not Patient.objects.exists()


def test_one_bad_row_among_a_thousand_writes_nothing_and_names_its_row_and_column(admin_scope: Scope) -> None:
    rows = [
        row(f"Pasien {n}", "", date(1980, 1, 1), reason="unknown", other_kind="other", other=f"ID-{n}")
        for n in range(1000)
    ]
    rows[499][7] = "perempuan?"
    report = run(admin_scope, xlsx(HEADERS, rows))
    assert not report.written
    assert [(p.row, p.column) for p in report.problems] == [(501, "Sex")]
    assert report.problems[0].reason.startswith("Unknown value “perempuan?”: use one of Female, Male")
    assert not Patient.objects.exists()


def test_a_nik_registered_in_another_organization_is_a_new_patient_here(
    admin_scope: Scope, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    other_admin = scope_of(make_member(other_org, Role.ADMINISTRATOR, username="lain"))
    assert run(other_admin, xlsx(HEADERS, [row(facility="lain")])).created == {"patients": 1}
    report = run(admin_scope, xlsx(HEADERS, [row()]))
    assert (report.created, report.unchanged) == ({"patients": 1}, {"patients": 0})
    assert Patient.objects.filter(nik=NIK_WOMAN).count() == 2


def test_a_record_number_in_use_is_refused(admin_scope: Scope) -> None:
    run(admin_scope, xlsx(HEADERS, [row(mrn="RM-1")]))
    report = run(admin_scope, xlsx(HEADERS, [["RM-1", *man()[1:]]]), dry_run=True)
    assert report.problems == [Problem(2, "Record number", "The record number RM-1 is already in use.")]


def test_a_pdf_renamed_xlsx_is_refused_and_a_missing_column_is_named(admin_scope: Scope) -> None:
    with pytest.raises(ValidationError):
        run(admin_scope, b"%PDF-1.4 not a spreadsheet")
    report = run(admin_scope, xlsx([h for h in HEADERS if h != "Birth date"], [row()[:6] + row()[7:]]))
    assert report.problems == [Problem(1, "Birth date", "This required column is missing.")]


def test_a_compliance_officer_may_not_import_patients(org: Organization, make_member: MakeMember) -> None:
    officer = scope_of(make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan"))
    with pytest.raises(PermissionDenied):
        run(officer, xlsx(HEADERS, [row()]))
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="patients_import").exists()


def test_a_nurse_may_import_patients(nurse: User) -> None:
    assert run(scope_of(nurse), xlsx(HEADERS, [row()])).created == {"patients": 1}


def test_the_queries_do_not_grow_with_the_rows(admin_scope: Scope, django_assert_max_num_queries: Any) -> None:
    rows = [row(f"Pasien {n}", patient_nik(n), date(1980, 1, 1)) for n in range(1, 301)]
    with django_assert_max_num_queries(30):
        report = run(admin_scope, xlsx(HEADERS, rows), dry_run=True)
    assert report.problems == []
    assert report.created == {"patients": 300}
