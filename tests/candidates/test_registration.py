from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail, signing
from django.http import HttpResponse
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.candidates.models import CandidateProfile
from nyeri.tenancy.models import Membership

pytestmark = pytest.mark.django_db

GOOD = {"full_name": "Ayu Lestari", "email": "Ayu@Example.id", "password": "kopi-tubruk-2026!", "language": "id"}


Post = Callable[..., HttpResponse]


@pytest.fixture
def sign_up(django_capture_on_commit_callbacks: Any) -> Post:
    """Post the sign-up form; the confirmation e-mail goes once the registration is committed."""

    def post(data: dict[str, str], client: Client | None = None) -> HttpResponse:
        with django_capture_on_commit_callbacks(execute=True):
            return (client or Client()).post("/candidates/sign-up/", data)

    return post


def _link(message: mail.EmailMessage) -> str:
    found = re.search(r"/candidates/confirm/[^/\s]+/", message.body)
    assert found, message.body
    return found.group(0)


def test_the_sign_up_page_is_public_in_both_languages() -> None:
    client = Client()
    page = client.get("/candidates/sign-up/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Create a candidate account" in page.content.decode()
    client.cookies["django_language"] = "id"
    page_id = client.get("/candidates/sign-up/", HTTP_ACCEPT_LANGUAGE="id")
    assert page_id.status_code == 200
    assert "Content-Security-Policy" in page_id.headers


def test_it_registers_an_inactive_candidate_without_membership_and_sends_a_link(sign_up: Post) -> None:
    response = sign_up(GOOD)
    assert response.status_code == 302
    user = User.objects.get(username="ayu@example.id")
    assert not user.is_active
    assert not Membership.objects.filter(user=user).exists()
    assert CandidateProfile.objects.get(user=user).email_confirmed_at is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ayu@example.id"]
    assert AuditEvent.objects.filter(object_type="candidate", action="create").exists()
    # Cannot log in before confirming.
    login = Client().post("/accounts/login/", {"username": "ayu@example.id", "password": GOOD["password"]})
    assert login.status_code == 200


def test_the_link_confirms_the_address_and_the_candidate_can_log_in(sign_up: Post) -> None:
    sign_up(GOOD)
    client = Client()
    page = client.get(_link(mail.outbox[0]))
    assert page.status_code == 200
    user = User.objects.get(username="ayu@example.id")
    assert user.is_active
    assert CandidateProfile.objects.get(user=user).email_confirmed_at is not None
    login = client.post("/accounts/login/", {"username": "ayu@example.id", "password": GOOD["password"]})
    assert login.status_code == 302
    assert client.get("/candidates/profile/").status_code == 200


def test_it_rejects_an_expired_link(sign_up: Post) -> None:
    sign_up(GOOD)
    link = _link(mail.outbox[0])
    with mock.patch("nyeri.candidates.tokens.max_age_seconds", return_value=-1):
        page = Client().get(link)
    assert page.status_code == 400
    assert b'data-testid="link-expired"' in page.content
    assert not User.objects.get(username="ayu@example.id").is_active


def test_it_rejects_a_tampered_link(sign_up: Post) -> None:
    sign_up(GOOD)
    user = User.objects.get(username="ayu@example.id")
    forged = signing.dumps({"u": user.pk, "e": user.email}, salt="something-else", compress=True)
    page = Client().get(f"/candidates/confirm/{forged}/")
    assert page.status_code == 400
    assert b'data-testid="link-invalid"' in page.content
    link = _link(mail.outbox[0])
    broken = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    assert Client().get(broken).status_code == 400
    assert not User.objects.get(pk=user.pk).is_active


def test_a_link_for_an_address_changed_since_is_refused(sign_up: Post) -> None:
    sign_up(GOOD)
    link = _link(mail.outbox[0])
    User.objects.filter(username="ayu@example.id").update(email="other@example.id")
    assert Client().get(link).status_code == 400


def test_bad_input_is_refused_with_field_errors_and_nothing_saved(sign_up: Post) -> None:
    response = sign_up({**GOOD, "password": "123", "email": "not-an-address"})
    assert response.status_code == 200
    assert not User.objects.exists()
    assert mail.outbox == []


def test_signing_up_again_with_a_known_address_creates_nothing_and_says_the_same(sign_up: Post) -> None:
    sign_up(GOOD)
    again = sign_up(GOOD)
    assert again.status_code == 302
    assert User.objects.count() == 1
    # Not confirmed yet: a fresh link.
    assert len(mail.outbox) == 2
    assert "/candidates/confirm/" in mail.outbox[1].body


def test_sign_up_is_rate_limited_per_address(sign_up: Post) -> None:
    client = Client()
    for n in range(5):
        sign_up({**GOOD, "email": f"c{n}@example.id"}, client)
    blocked = sign_up({**GOOD, "email": "c9@example.id"}, client)
    assert blocked.status_code == 429
    assert not User.objects.filter(username="c9@example.id").exists()


def test_the_e_mail_is_in_the_candidate_language(sign_up: Post) -> None:
    sign_up({**GOOD, "language": "en"})
    assert "Confirm your e-mail address" in mail.outbox[0].subject
    assert timedelta(hours=72)  # documented validity
