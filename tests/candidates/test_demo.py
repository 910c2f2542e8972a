from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.candidates.eligibility import evaluate_many, role_requirement_set
from nyeri.candidates.models import CandidateProfile
from nyeri.demo.candidates import DEMO_CANDIDATE, seed_candidates
from nyeri.demo.data import DEMO_PASSWORD
from nyeri.tenancy.models import Membership

pytestmark = pytest.mark.django_db


def test_the_demo_candidates_are_at_different_distances_from_eligibility() -> None:
    created = seed_candidates(timezone.now())
    assert len(created) == 12
    assert DEMO_CANDIDATE in created
    assert seed_candidates(timezone.now()) == []  # a second run adds nothing
    assert not Membership.objects.exists()
    profiles = {p.user.username: p for p in CandidateProfile.objects.select_related("user")}
    sets = [role_requirement_set("ID", r) for r in ("nurse", "medical_assistant", "radiographer", "pain_physician")]
    batch = evaluate_many(CandidateProfile.objects.all(), sets)
    assert batch.get(profiles["siti.rahma@kandidat.example"].pk, "nurse").eligible
    assert batch.get(profiles["rina.marlina@kandidat.example"].pk, "medical_assistant").eligible
    eko = batch.get(profiles["eko.prasetyo@kandidat.example"].pk, "medical_assistant")
    assert [u.code for u in eko.unmet] == ["experience_short"]
    budi = batch.get(profiles["budi.santoso@kandidat.example"].pk, "nurse")
    assert [u.code for u in budi.unmet] == ["credential_expired"]
    agus = batch.get(profiles["agus.setiawan@kandidat.example"].pk, "radiographer")
    assert [u.code for u in agus.unmet] == ["credential_missing"]


def test_the_documented_demo_login_shows_the_hours_still_needed() -> None:
    seed_candidates(timezone.now())
    client = Client()
    response = client.post("/accounts/login/", {"username": DEMO_CANDIDATE, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    client.cookies["django_language"] = "en"
    page = client.get("/candidates/pathway/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1,240 of 2,000 hours" in page
