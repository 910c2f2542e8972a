"""The audit trail's codes in words: every object type the code writes has a label, and the
report and its CSV show them in the reader's language (no snake_case code in a table cell)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from nyeri.audit.labels import OBJECT_TYPES, object_type_label, reason_label
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember, log_in

SOURCE = Path(__file__).resolve().parent.parent / "nyeri"
SNAKE_CASE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def written_object_types() -> set[str]:
    """The object types the code writes as literals (``object_type="..."``, ``OBJECT_TYPE = "..."``)."""
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r'object_type="([A-Za-z_.]+)"', text))
        found.update(re.findall(r'OBJECT_TYPE = "([A-Za-z_.]+)"', text))
    return found


def test_every_object_type_the_code_writes_has_a_label() -> None:
    written = written_object_types()
    assert len(written) > 50  # the scan finds them
    assert sorted(written - OBJECT_TYPES.keys()) == []


def test_the_labels_are_translated_and_an_unknown_code_is_shown_as_recorded() -> None:
    with translation.override("id"):
        assert object_type_label("pain_assessment_series") == "Skor nyeri dari waktu ke waktu"
        assert object_type_label("fhir.Patient") == "Sumber daya FHIR Patient"
        assert reason_label("no clinical role") == "Tidak memiliki peran klinis"
        assert reason_label("page; baseline 2025-01-01..2025-01-31") == ""
    with translation.override("en"):
        assert object_type_label("patient_consent") == "Patient's consent"
    assert object_type_label("something_new") == "something_new"


@pytest.fixture
def officer_client(org: Organization, make_member: MakeMember) -> Client:
    return log_in(Client(), make_member(org, Role.COMPLIANCE_OFFICER, username="ratna"))


@pytest.fixture
def trail(org: Organization, facility: Facility, make_member: MakeMember) -> None:
    nurse = make_member(org, Role.NURSE, username="wati")
    for object_type, reason, outcome in (
        ("pain_assessment_series", "chart", AuditOutcome.SUCCESS),
        ("patient_consent", "no clinical role", AuditOutcome.DENIED),
        ("break_glass_grant", "", AuditOutcome.SUCCESS),
        ("staffing_rule", "edit staffing rule", AuditOutcome.DENIED),
        ("otp_device", "recovery code", AuditOutcome.SUCCESS),
    ):
        record_event(
            actor=nurse,
            action=AuditAction.READ,
            organization=org,
            facility=facility,
            object_type=object_type,
            object_id="7",
            reason=reason,
            outcome=outcome,
        )


def cells(html: str) -> list[str]:
    """The text of each cell of the report's table, without the recorded detail.

    The recorded detail (``<code>`` in a folded ``<details>``) is the row's reason verbatim:
    evidence, shown as written, with its words above it when it has them.
    """
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body is not None
    found = []
    for cell in re.findall(r"<td[^>]*>(.*?)</td>", body.group(1), re.S):
        cell = re.sub(r"<code>.*?</code>", "", cell, flags=re.S)
        cell = re.sub(r"<[^>]+>", " ", cell)
        found.append(re.sub(r"\s+", " ", cell).strip())
    return found


def test_the_audit_report_in_indonesian_shows_no_raw_code_in_its_table_cells(
    officer_client: Client, trail: None
) -> None:
    html = officer_client.get("/audit/").content.decode()
    assert '<html lang="id">' in html
    shown = cells(html)
    assert shown
    raw = [cell for cell in shown if SNAKE_CASE.search(cell)]
    assert raw == []
    text = " ".join(shown)
    for words in (
        "Skor nyeri dari waktu ke waktu 7",
        "Persetujuan pasien 7",
        "Akses darurat 7",
        "Aturan ketenagaan 7",
        "Laporan audit",  # the report's own read
        "Membuka rekam medis pasien",
        "Tidak memiliki peran klinis",
        "Dengan kode pemulihan",
    ):
        assert words in text, words


def test_the_csv_export_adds_the_codes_in_words_in_the_readers_language(officer_client: Client, trail: None) -> None:
    response = officer_client.get("/audit/export.csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header[-4:] == ["Aksi (dalam kata)", "Hasil (dalam kata)", "Jenis objek (dalam kata)", "Alasan (dalam kata)"]
    by_type = {row[8]: row for row in rows}
    assert by_type["patient_consent"][-2:] == ["Persetujuan pasien", "Tidak memiliki peran klinis"]
    assert by_type["patient_consent"][6] == "read"  # the codes stay for machines
    with translation.override("id"):
        read = str(AuditAction.READ.label)
    assert by_type["pain_assessment_series"][-4:] == [
        read,
        "Berhasil",
        "Skor nyeri dari waktu ke waktu",
        "Membuka rekam medis pasien",
    ]
