"""Break-glass times in the zone of the patient's facility, with its label (issue 18).

The grant opens a record of a Jayapura clinic (WIT, UTC+9): 02:00 UTC reads "11:00 WIT" on
the review queue and the grant's page, and the grant's end on the break-glass page does too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.test import Client
from django.utils import formats, timezone

from nyeri.accounts.models import User
from nyeri.clinical.breakglass import services
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility
from tests.breakglass.conftest import REASON, scope_of
from tests.conftest import log_in

# 2 February 2026, 02:00 UTC: 09:00 WIB in Jakarta, 11:00 WIT in Jayapura.
MOMENT = datetime(2026, 2, 2, 2, 0, tzinfo=UTC)
JAYAPURA = ZoneInfo("Asia/Jayapura")


def test_grant_times_are_shown_in_the_zone_of_the_patients_facility_with_its_label(
    officer_client: Client, branch_nurse: User, patient: Patient, facility: Facility
) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Jayapura")
    patient.refresh_from_db()
    grant = services.break_glass(
        scope=scope_of(branch_nurse), acting_user=branch_nurse, patient=patient, reason=REASON, now=MOMENT
    )
    ends = formats.date_format(grant.ends_at.astimezone(JAYAPURA), "DATETIME_FORMAT") + " WIT"
    queue = officer_client.get("/break-glass/reviews/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 Feb 2026 11:00 WIT" in queue
    assert ends in queue
    assert "2 Feb 2026 09:00" not in queue
    page = officer_client.get(f"/break-glass/reviews/{grant.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 Feb 2026 11:00 WIT" in page
    assert "11:00 WIT" in page  # the events' times too


def test_the_break_glass_page_gives_the_grants_end_in_the_patients_zone(
    branch_nurse: User, patient: Patient, facility: Facility
) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Jayapura")
    patient.refresh_from_db()
    now = timezone.now() - timedelta(minutes=1)
    grant = services.break_glass(
        scope=scope_of(branch_nurse), acting_user=branch_nurse, patient=patient, reason=REASON, now=now
    )
    html = log_in(Client(), branch_nurse).get(f"/break-glass/patients/{patient.pk}/").content.decode()
    ends = formats.date_format(grant.ends_at.astimezone(JAYAPURA), "DATETIME_FORMAT")
    assert f"{ends} WIT" in html
