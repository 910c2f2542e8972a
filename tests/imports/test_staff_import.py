"""The staff import: dry run, all-or-nothing, re-import, credentials unverified, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.audit.verify import verify_chain
from nyeri.imports.services import Problem, import_staff
from nyeri.tenancy.models import Facility, Membership, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.credentials.services import verify_credential
from nyeri.workforce.engine import decide
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person
from tests.conftest import MakeMember
from tests.imports.conftest import NIK_MAN, NIK_WOMAN, STAFF_HEADERS, csv_bytes, nik, scope_of, staff_row, xlsx
from tests.workforce.credentials_support import at_source


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def str_row(name: str = "Ns. Siti Aminah", nik_: str = NIK_WOMAN, number: str = "STR-1", **kw: object) -> list[object]:
    values: dict[str, object] = {
        "kind": "registration",
        "number": number,
        "issuer": "Konsil Kesehatan Indonesia",
        "issued_on": "2020-01-15",
    }
    values.update(kw)
    return staff_row(name, nik_, **values)  # type: ignore[arg-type]


def sip_row(name: str = "Ns. Siti Aminah", nik_: str = NIK_WOMAN, number: str = "SIP-1", **kw: object) -> list[object]:
    values: dict[str, object] = {
        "kind": "practice_permit",
        "number": number,
        "issuer": "DPMPTSP Kota Bandung",
        "issued_on": "2024-02-01",
        "expires_on": "2029-01-31",
        "credential_facility": "rs-sehat",
        "regency_code": "32.73",
    }
    values.update(kw)
    return staff_row(name, nik_, **values)  # type: ignore[arg-type]


def run(scope: Scope, content: bytes, *, dry_run: bool = False) -> tuple[list[Problem], dict[str, int], bool]:
    report = import_staff(scope=scope, acting_user=scope.user, content=content, dry_run=dry_run)
    return report.problems, report.created, report.written


def test_a_valid_file_creates_people_and_credentials_that_wait_for_verification(
    admin_scope: Scope, facility: Facility
) -> None:
    content = xlsx(
        STAFF_HEADERS,
        [str_row(), sip_row(), staff_row("dr. Budi, Sp.An", NIK_MAN, roles="anesthesiologist, pain physician")],
    )
    problems, created, written = run(admin_scope, content)
    assert problems == []
    assert written
    assert created == {"people": 2, "credentials": 2}
    siti = Person.objects.get(nik=NIK_WOMAN)
    assert siti.full_name == "Ns. Siti Aminah"
    assert list(siti.roles.values_list("role", flat=True)) == ["nurse"]
    assert [link.facility for link in siti.facility_links.all()] == [facility]
    budi = Person.objects.get(nik=NIK_MAN)
    assert sorted(budi.roles.values_list("role", flat=True)) == ["anesthesiologist", "pain_physician"]
    credentials = Credential.objects.filter(person=siti).order_by("kind")
    assert [(c.kind, c.number, c.status, c.submitted_by) for c in credentials] == [
        ("practice_permit", "SIP-1", CredentialStatus.SUBMITTED, admin_scope.user),
        ("registration", "STR-1", CredentialStatus.SUBMITTED, admin_scope.user),
    ]
    assert credentials[0].facility == facility
    assert credentials[0].expires_on == date(2029, 1, 31)
    # One audit row per person and per credential, and the import's own row.
    created_rows = AuditEvent.objects.filter(action=AuditAction.CREATE, outcome=AuditOutcome.SUCCESS)
    assert sorted(created_rows.values_list("object_type", flat=True)) == [
        "credential",
        "credential",
        "person",
        "person",
        "staff_import",
    ]
    assert verify_chain().ok


def test_a_dry_run_writes_nothing_and_says_what_would_be_created(admin_scope: Scope) -> None:
    problems, created, written = run(admin_scope, xlsx(STAFF_HEADERS, [str_row(), sip_row()]), dry_run=True)
    assert (problems, created, written) == ([], {"people": 1, "credentials": 2}, False)
    assert not Person.objects.exists()
    assert not Credential.objects.exists()
    dry = AuditEvent.objects.get(object_type="staff_import")
    assert dry.action == AuditAction.READ
    assert dry.reason.startswith("dry run")


def test_a_dry_run_lists_every_problem_as_row_column_and_reason(admin_scope: Scope) -> None:
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    content = xlsx(
        STAFF_HEADERS,
        [
            str_row(),
            str_row(number="STR-2", roles="nurse, juggler"),
            str_row("Ns. Rina", nik(7, female=True), number="STR-3", facilities="nowhere"),
            str_row("Ns. Dewi", nik(8, female=True), number="STR-4", issued_on=future),
            sip_row("Ns. Ani", nik(9, female=True), expires_on="2023-12-31"),
        ],
    )
    problems, _created, written = run(admin_scope, content, dry_run=True)
    assert not written
    assert problems == [
        Problem(
            3,
            "Roles",
            "Unknown value “juggler”: use one of Administrator, Compliance officer, Credentialing officer, "
            "Facility manager, Pain physician, Anesthesiologist, Neurologist, Psychiatrist, Physical medicine "
            "physician, General practitioner, Nurse, Nurse assistant, Medical assistant, Radiographer, "
            "X-ray assistant, Medical technician, Pharmacist, Medical committee member, Director, Nursing committee "
            "member.",
        ),
        Problem(4, "Facilities", "Unknown facility code: nowhere."),
        Problem(5, "Issued on", "This date is in the future."),
        Problem(6, "Expires on", "The expiry date cannot be before the issue date."),
    ]


def test_one_bad_row_among_a_thousand_writes_nothing_and_names_its_row_and_column(admin_scope: Scope) -> None:
    rows = [str_row(f"Perawat {n}", nik(n, female=True), number=f"STR-{n}") for n in range(1, 1001)]
    rows[736] = str_row("Perawat 737", nik(737, female=True), number="STR-737", issued_on="31/02/2020")
    problems, _created, written = run(admin_scope, xlsx(STAFF_HEADERS, rows))
    assert not written
    assert problems == [Problem(738, "Issued on", "“31/02/2020” is not a date: write it as YYYY-MM-DD or DD/MM/YYYY.")]
    assert not Person.objects.exists()
    assert not Credential.objects.exists()
    refused = AuditEvent.objects.get(object_type="staff_import")
    assert refused.outcome == AuditOutcome.FAILURE


def test_importing_the_same_file_again_changes_nothing(admin_scope: Scope) -> None:
    content = csv_bytes(STAFF_HEADERS, [str_row(), sip_row(), staff_row("dr. Budi", NIK_MAN, roles="neurologist")])
    assert run(admin_scope, content)[1] == {"people": 2, "credentials": 2}
    people = list(Person.objects.order_by("pk").values())
    credentials = list(Credential.objects.order_by("pk").values())
    report = import_staff(scope=admin_scope, acting_user=admin_scope.user, content=content, dry_run=False)
    assert report.problems == []
    assert report.created == {"people": 0, "credentials": 0}
    assert report.unchanged == {"people": 2, "credentials": 2}
    assert list(Person.objects.order_by("pk").values()) == people
    assert list(Credential.objects.order_by("pk").values()) == credentials


def test_a_new_credential_of_a_recorded_person_is_added_to_them(admin_scope: Scope) -> None:
    run(admin_scope, xlsx(STAFF_HEADERS, [str_row()]))
    problems, created, _written = run(admin_scope, xlsx(STAFF_HEADERS, [str_row(), sip_row()]))
    assert problems == []
    assert created == {"people": 0, "credentials": 1}
    assert Person.objects.get().credentials.count() == 2


def test_an_imported_person_gains_no_privilege_until_an_officer_verifies(
    admin_scope: Scope, facility: Facility, org: Organization, make_member: MakeMember
) -> None:
    memberships = Membership.objects.count()
    run(admin_scope, xlsx(STAFF_HEADERS, [str_row(), sip_row()]))
    siti = Person.objects.get(nik=NIK_WOMAN)
    # A professional record only: no account, no membership, no role in the organization.
    assert siti.user is None
    assert Membership.objects.count() == memberships
    refused = decide(siti.pk, "record_assessment", facility)
    assert not refused.allowed
    # Both credentials are there, neither is verified: the engine says so, not "missing".
    assert {u.code for u in refused.unmet} == {"credential_unverified"}, refused.unmet
    officer = scope_of(make_member(org, Role.CREDENTIALING_OFFICER, username="officer"))
    for credential in Credential.objects.filter(person=siti):
        verify_credential(scope=officer, acting_user=officer.user, credential=credential, check=at_source(credential))
    assert decide(siti.pk, "record_assessment", facility).allowed


def test_a_pdf_renamed_xlsx_is_refused(admin_scope: Scope) -> None:
    with pytest.raises(ValidationError) as caught:
        run(admin_scope, b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n")
    assert caught.value.message_dict == {
        "file": ["This file is a PDF, not a spreadsheet: upload an .xlsx or .csv file."]
    }


def test_a_missing_required_column_is_named(admin_scope: Scope) -> None:
    headers = [h for h in STAFF_HEADERS if h != "Roles"]
    rows = [[v for h, v in zip(STAFF_HEADERS, str_row(), strict=True) if h != "Roles"]]
    problems, _created, written = run(admin_scope, xlsx(headers, rows))
    assert not written
    assert problems == [Problem(1, "Roles", "This required column is missing.")]


def test_one_nik_with_other_details_in_two_rows_is_refused(admin_scope: Scope) -> None:
    content = xlsx(STAFF_HEADERS, [str_row(), sip_row("Ns. Siti A.")])
    problems, _created, _written = run(admin_scope, content, dry_run=True)
    assert problems == [
        Problem(3, "NIK", "This NIK is already in row 2 with other details (Full name): one NIK, one person.")
    ]


def test_the_same_credential_twice_in_a_file_is_refused(admin_scope: Scope) -> None:
    problems, _created, _written = run(admin_scope, xlsx(STAFF_HEADERS, [str_row(), str_row()]), dry_run=True)
    assert problems == [
        Problem(3, "Credential number", "The same credential (kind and number) is already in row 2 of this file.")
    ]


def test_a_credential_number_recorded_for_another_person_is_refused(admin_scope: Scope) -> None:
    run(admin_scope, xlsx(STAFF_HEADERS, [str_row()]))
    problems, _created, _written = run(admin_scope, xlsx(STAFF_HEADERS, [str_row("dr. Budi", NIK_MAN)]))
    assert problems == [
        Problem(2, "Credential number", "This credential number is already recorded for another person.")
    ]


def test_a_practice_permit_needs_its_facility_and_the_issuing_regency(admin_scope: Scope) -> None:
    content = xlsx(
        STAFF_HEADERS,
        [sip_row(credential_facility="", regency_code=""), sip_row(number="SIP-2", regency_code="32.04")],
    )
    problems, _created, _written = run(admin_scope, content, dry_run=True)
    assert [(p.row, p.column) for p in problems] == [
        (2, "Credential facility"),
        (2, "Issuer regency code"),
        (3, "Issuer regency code"),
    ]
    assert problems[0].reason == "Required for this kind of credential (Practice permit (SIP))."
    assert "issued by the regency or city of its practice place" in problems[2].reason


def test_a_second_permit_for_the_same_place_is_refused_within_the_file(admin_scope: Scope) -> None:
    problems, _created, _written = run(
        admin_scope, xlsx(STAFF_HEADERS, [sip_row(), sip_row(number="SIP-2")]), dry_run=True
    )
    assert [(p.row, p.column) for p in problems] == [(3, "Credential facility")]
    assert "one SIP per practice place" in problems[0].reason


def test_a_nik_that_is_not_16_digits_or_a_number_cell_is_refused(admin_scope: Scope) -> None:
    content = xlsx(STAFF_HEADERS, [str_row(nik_="32730145079"), str_row(nik_=3273014507900001, number="STR-2")])  # type: ignore[arg-type]
    problems, _created, _written = run(admin_scope, content, dry_run=True)
    assert [(p.row, p.column) for p in problems] == [(2, "NIK"), (3, "NIK")]
    assert problems[1].reason == "Enter the NIK as text: a number cell of a spreadsheet loses its last digits."


def test_headers_and_choices_are_read_in_indonesian_too(admin_scope: Scope) -> None:
    with translation.override("id"):
        from nyeri.imports.columns import STAFF_COLUMNS

        headers = [c.header for c in STAFF_COLUMNS[:14]]
        roles = str(Role.NURSE.label)
        kind = str(CredentialKind.REGISTRATION.label)
    assert headers[0] != "Full name"
    row = staff_row(roles=roles, kind=kind, number="STR-9", issuer="KKI", issued_on="15/01/2020", citizenship="WNI")
    row[4] = "citizen"
    problems, created, _written = run(admin_scope, csv_bytes(headers, [row], delimiter=";"))
    assert problems == []
    assert created == {"people": 1, "credentials": 1}


def test_a_nurse_may_not_import_staff_and_the_refusal_is_audited(nurse: User) -> None:
    with pytest.raises(PermissionDenied):
        run(scope_of(nurse), xlsx(STAFF_HEADERS, [str_row()]))
    denied = AuditEvent.objects.get(action=AuditAction.PERMISSION_DENIED)
    assert denied.object_type == "staff_import"
    assert not Person.objects.exists()


def test_facility_codes_of_another_organization_are_unknown(admin_scope: Scope, other_facility: Facility) -> None:
    problems, _created, _written = run(admin_scope, xlsx(STAFF_HEADERS, [str_row(facilities="lain")]), dry_run=True)
    assert problems == [Problem(2, "Facilities", "Unknown facility code: lain.")]


def test_the_import_reads_a_fixed_number_of_queries_whatever_the_rows(
    admin_scope: Scope, django_assert_max_num_queries: object
) -> None:
    rows = [str_row(f"Perawat {n}", nik(n, female=True), number=f"STR-{n}") for n in range(1, 201)]
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        problems, created, _written = run(admin_scope, xlsx(STAFF_HEADERS, rows))
    assert problems == []
    assert created == {"people": 200, "credentials": 200}


def test_an_old_excel_file_and_a_csv_that_is_not_utf8_are_refused(admin_scope: Scope) -> None:
    with pytest.raises(ValidationError) as old_excel:
        run(admin_scope, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert old_excel.value.message_dict["file"] == [
        "This is an old Excel file (.xls): save it as .xlsx or .csv and upload it again."
    ]
    latin1 = ",".join(STAFF_HEADERS).encode() + b"\nJos\xe9,3273014507900001\n"
    with pytest.raises(ValidationError) as not_utf8:
        run(admin_scope, latin1)
    assert "not UTF-8" in not_utf8.value.message_dict["file"][0]
    assert not AuditEvent.objects.filter(object_type="staff_import").exists()


def test_an_unknown_column_is_named_before_any_row_is_read(admin_scope: Scope) -> None:
    problems, _created, written = run(admin_scope, csv_bytes([*STAFF_HEADERS, "Golongan darah"], [[*str_row(), "O"]]))
    assert not written
    assert problems == [Problem(1, "", "Unknown column “Golongan darah”: use the template's headers.")]


def test_a_person_recorded_by_someone_else_meanwhile_refuses_the_import_without_a_500(
    admin_scope: Scope, org: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nyeri.workforce import bulk

    original = bulk.plan_staff

    def plan_then_race(*args: object, **kwargs: object) -> bulk.StaffPlan:
        plan = original(*args, **kwargs)  # type: ignore[arg-type]
        Person.objects.create(organization=org, full_name="Siti (elsewhere)", nik=NIK_WOMAN, citizenship="citizen")
        return plan

    monkeypatch.setattr(bulk, "plan_staff", plan_then_race)
    with pytest.raises(ValidationError) as caught:
        run(admin_scope, xlsx(STAFF_HEADERS, [str_row()]))
    assert "recorded by someone else meanwhile" in caught.value.message_dict["file"][0]
    assert not Person.objects.exists()
    assert not Credential.objects.exists()
    refused = AuditEvent.objects.get(object_type="staff_import")
    assert refused.outcome == AuditOutcome.FAILURE
