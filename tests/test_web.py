from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client

from nyeri.accounts.models import User
from nyeri.tenancy.models import Facility
from tests.conftest import log_in

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_unreachable(client: Client) -> None:
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=DatabaseError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.django_db
def test_pages_show_the_friendly_500_page_without_a_stack_trace_when_the_database_fails(nurse: User) -> None:
    client = log_in(Client(raise_request_exception=False), nurse)
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=DatabaseError("db down")):
        response = client.get("/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Terjadi gangguan" in body
    assert "Something went wrong" in body
    assert "Traceback" not in body
    assert "db down" not in body


@pytest.mark.django_db
def test_an_unknown_page_shows_the_translated_404_page(nurse_client: Client) -> None:
    response = nurse_client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode() or "Halaman tidak ditemukan" in response.content.decode()


@pytest.mark.django_db
def test_a_post_without_a_csrf_token_is_refused_with_403(nurse: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": nurse.username, "password": "x"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, facility: Facility) -> None:
    response = client.get(f"/facilities/{facility.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_every_page_carries_a_strict_content_security_policy(client: Client) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


@pytest.mark.django_db
def test_responses_carry_a_request_id(client: Client) -> None:
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"


def test_the_deploy_check_is_clean_with_production_variables() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "k" * 60 + "-production-like-secret-key-for-the-check",
        "ALLOWED_HOSTS": "nyeri.example.org",
        "DATABASE_URL": f"sqlite:///{ROOT / 'var' / 'deploy-check.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "nyeri.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "nyeri.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_a_command_without_a_secret_key_says_so_instead_of_models_not_loaded() -> None:
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
    assert "AppRegistryNotReady" not in result.stderr
