"""Hiring times in the zone of the posting's facility, with its label (issue 18).

16:30 UTC on 1 February 2026 is 23:30 WIB on the 1st in Jakarta but 01:30 WIT on the 2nd in
Jayapura: an application to a Jayapura posting was made on 2 February.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import Client

from nyeri.candidates.models import CandidateProfile
from nyeri.hiring.models import Application, ApplicationEvent
from nyeri.jobs.models import JobPosting
from nyeri.tenancy.models import Facility
from tests.hiring.test_pages import candidate_client, officer_client  # noqa: F401 - a fixture

LATE = datetime(2026, 2, 1, 16, 30, tzinfo=UTC)


def test_an_application_to_a_jayapura_posting_reads_in_wit_for_the_candidate_and_the_facility(
    posting: JobPosting,
    ayu: CandidateProfile,
    officer_client: Client,  # noqa: F811
) -> None:
    Facility.objects.filter(pk=posting.facility_id).update(time_zone="Asia/Jayapura")
    candidate = candidate_client(ayu)
    assert candidate.post(f"/hiring/apply/{posting.pk}/", {"note": "Siap"}).status_code == 302
    application = Application.objects.get(candidate=ayu)
    Application.objects.filter(pk=application.pk).update(submitted_at=LATE)
    ApplicationEvent.objects.filter(application=application).update(at=LATE)

    detail = officer_client.get(f"/hiring/applications/{application.pk}/").content.decode()
    assert detail.count("2 Feb 2026 01:30 WIT") >= 2  # applied, and the history
    assert "23:30" not in detail
    for page in (
        officer_client.get(f"/hiring/postings/{posting.pk}/"),
        candidate.get("/hiring/mine/"),
        candidate.get(f"/hiring/apply/{posting.pk}/"),
    ):
        html = page.content.decode()
        assert "2 Feb 2026" in html
        assert "1 Feb 2026" not in html
