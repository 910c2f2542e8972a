"""The audit report: an event at a facility in that facility's zone, an event of no facility in
the installation's, each with its label (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import Client

from nyeri.tenancy.models import Facility, Organization
from tests.test_audit_report import REPORT, event, officer, officer_client  # noqa: F401 - fixtures

MOMENT = datetime(2026, 2, 2, 2, 0, tzinfo=UTC)


def test_an_event_at_a_jayapura_facility_reads_in_wit_and_one_of_no_facility_in_wib(
    officer_client: Client,  # noqa: F811
    org: Organization,
    facility: Facility,
) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Jayapura")
    facility.refresh_from_db()
    event(org, reason="at Jayapura", facility=facility, at=MOMENT)
    event(org, reason="organization settings", at=MOMENT)
    html = officer_client.get(REPORT).content.decode()
    assert "2 Feb 2026 11:00 WIT" in html
    assert "2 Feb 2026 09:00 WIB" in html
