from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.test import Client

from nyeri.candidates.models import CandidateCredential, CandidateHours, CandidateProfile
from nyeri.candidates.services import declare_hours
from tests.candidates.conftest import make_candidate
from tests.conftest import log_in

pytestmark = pytest.mark.django_db


def test_the_candidate_edits_their_details_and_target_roles(
    candidate_client: Client, candidate: CandidateProfile
) -> None:
    response = candidate_client.post(
        "/candidates/profile/",
        {
            "full_name": "Ayu Lestari",
            "phone": "+62 812 0000",
            "city": "Bandung",
            "preferred_regency": "Kota Bandung",
            "preferred_regency_code": "32.73",
            "target_roles": ["nurse", "medical_assistant"],
        },
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.user.full_name == "Ayu Lestari"
    assert set(candidate.target_roles.values_list("role", flat=True)) == {"nurse", "medical_assistant"}


def test_a_non_clinical_target_role_is_refused(candidate_client: Client, candidate: CandidateProfile) -> None:
    response = candidate_client.post("/candidates/profile/", {"full_name": "Ayu", "target_roles": ["administrator"]})
    assert response.status_code == 200
    assert not candidate.target_roles.exists()


def test_declared_credentials_are_shown_as_unverified(candidate_client: Client, candidate: CandidateProfile) -> None:
    response = candidate_client.post(
        "/candidates/profile/credentials/",
        {"kind": "work_experience", "issued_on": "2022-01-01", "employer_kind": "hospital", "months": "14"},
    )
    assert response.status_code == 302
    row = CandidateCredential.objects.get(candidate=candidate)
    assert row.verified is False
    page = candidate_client.get("/candidates/profile/").content.decode()
    assert 'data-testid="declared-credential"' in page


def test_experience_without_months_is_refused_by_field_and_nothing_saved(
    candidate_client: Client, candidate: CandidateProfile
) -> None:
    response = candidate_client.post(
        "/candidates/profile/credentials/", {"kind": "work_experience", "issued_on": "2022-01-01"}
    )
    assert response.status_code == 400
    assert not CandidateCredential.objects.exists()
    assert "field-error" in response.content.decode()


def test_a_declared_credential_can_never_be_stored_as_verified(candidate: CandidateProfile) -> None:
    with pytest.raises(IntegrityError):
        CandidateCredential.objects.create(
            candidate=candidate, kind="registration", issued_on=date(2020, 1, 1), verified=True
        )


def test_hours_for_a_month_are_declared_once(candidate: CandidateProfile) -> None:
    declare_hours(acting_user=candidate.user, profile=candidate, month=date(2026, 5, 17), hours=Decimal(40))
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        declare_hours(acting_user=candidate.user, profile=candidate, month=date(2026, 5, 2), hours=Decimal(10))
    assert "month" in error.value.message_dict
    assert CandidateHours.objects.get().month == date(2026, 5, 1)


def _nurse_with_hours(profile: CandidateProfile) -> None:
    CandidateCredential.objects.create(candidate=profile, kind="registration", issued_on=date(2020, 1, 1))
    for m in range(1, 11):
        CandidateHours.objects.create(candidate=profile, month=date(2026, m, 1), hours=Decimal("124"))
    profile.target_roles.create(role="nurse")


def test_the_pathway_shows_progress_missing_items_and_after_hiring_in_english(db: None) -> None:
    profile = make_candidate("ayu@example.id", language="en")
    _nurse_with_hours(profile)
    client = log_in(Client(), profile.user)
    page = client.get("/candidates/pathway/").content.decode()
    assert "My career pathway" in page
    assert '<h2 data-testid="role-name">Nurse <span class="badge">' in page
    assert "1,240 of 2,000 hours" in page
    assert '<progress value="1240' in page
    assert "No pain nursing certification on record." in page
    assert "A practice permit (SIP) for Kota Bandung is needed after hiring." in page
    # A physician role shows the interventional training still missing.
    assert 'data-step="pain_physician:perform_procedure:nerve_block"' in page
    assert "fellowship" in page.lower()
    # The target role comes first.
    assert page.index('data-role="nurse"') < page.index('data-role="pain_physician"')


def test_the_pathway_is_in_indonesian_for_an_indonesian_candidate(db: None) -> None:
    profile = make_candidate("ayu@example.id", language="id")
    _nurse_with_hours(profile)
    client = log_in(Client(), profile.user)
    page = client.get("/candidates/pathway/").content.decode()
    assert "1.240" in page
    assert "2.000" in page
    assert "1,240 of 2,000 hours" not in page
    assert '<h2 data-testid="role-name">Perawat <span class="badge">' in page


def test_the_pathway_page_has_no_inline_styles_or_scripts(candidate_client: Client) -> None:
    page = candidate_client.get("/candidates/pathway/").content.decode()
    assert "style=" not in page
    assert "<script>" not in page
