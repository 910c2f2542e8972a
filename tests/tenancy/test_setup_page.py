"""/setup/: the first organization in the browser, guarded by a one-time code from the log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import PLATFORM_CHAIN, AuditAction, AuditEvent, AuditOutcome
from nyeri.tenancy.models import Facility, Organization, SetupCode
from nyeri.tenancy.setup import issue_setup_code
from tests.accounts_fixtures import SETUP_URL, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "tulang-belakang-2026"
CODE_IN_LOG = re.compile(r"set-up code: ([A-Z0-9-]+)")


def logged_code(caplog: pytest.LogCaptureFixture) -> str:
    found = [CODE_IN_LOG.search(r.getMessage()) for r in caplog.records if r.name == "nyeri.setup"]
    codes = [m.group(1) for m in found if m]
    assert codes, "no set-up code in the log"
    return codes[-1]


def form(code: str, **changes: str) -> dict[str, str]:
    data = {
        "setup_code": code,
        "name": "RS Sentosa Makassar",
        "kind": "hospital",
        "facility_name": "Layanan Nyeri RS Sentosa",
        "facility_kind": "hospital_pain_unit",
        "province": "73",
        "regency": "73.71",
        "admin_full_name": "dr. Rina Sari",
        "admin_username": "rina",
        "admin_email": "rina@sentosa.example",
        "admin_password": PASSWORD,
        "admin_password_again": PASSWORD,
        "language": "id",
    }
    data.update(changes)
    return data


def test_home_and_login_point_to_setup_on_an_empty_installation(client: Client) -> None:
    assert client.get("/").headers["Location"] == "/setup/"
    assert client.get("/accounts/login/").headers["Location"] == "/setup/"


def test_the_first_visit_to_setup_logs_a_one_time_code_at_warning_and_stores_only_its_hash(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="nyeri.setup")
    response = client.get("/setup/")
    assert response.status_code == 200
    code = logged_code(caplog)
    assert [r.levelname for r in caplog.records if r.name == "nyeri.setup"] == ["WARNING"]
    stored = SetupCode.objects.get()
    assert code not in stored.digest
    assert len(stored.digest) == 64
    # A second visit does not issue another code while this one is waiting.
    caplog.clear()
    client.get("/setup/")
    assert not [r for r in caplog.records if r.name == "nyeri.setup"]


def test_a_wrong_code_is_refused_audited_and_creates_nothing(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    client.get("/setup/")
    response = client.post("/setup/", form("AAAAA-BBBBB-CCCCC-DDDDD"))
    assert response.status_code == 400
    assert "setup_code" in response.context["form"].errors
    assert "Kode penyiapan itu tidak berlaku" in response.content.decode()
    assert Organization.objects.count() == 0
    assert User.objects.count() == 0
    refusal = AuditEvent.objects.get(action=AuditAction.PERMISSION_DENIED)
    assert (refusal.chain, refusal.outcome, refusal.object_type) == (PLATFORM_CHAIN, AuditOutcome.DENIED, "setup")


def test_the_right_code_works_once_then_setup_answers_404(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING", logger="nyeri.setup")
    client.get("/setup/")
    code = logged_code(caplog)
    response = client.post("/setup/", form(code.lower().replace("-", " ")))
    assert response.status_code == 302, response.content
    org = Organization.objects.get()
    facility = Facility.objects.get(organization=org)
    assert facility.time_zone == "Asia/Makassar"
    assert SetupCode.objects.get().used_at is not None
    assert AuditEvent.objects.filter(chain=PLATFORM_CHAIN, object_type="organization", object_id=str(org.pk)).exists()

    other = Client()
    assert other.get("/setup/").status_code == 404
    again = other.post("/setup/", form(code, name="RS Kedua", admin_username="kedua"))
    assert again.status_code == 404
    assert Organization.objects.count() == 1
    # With an organization, home and login answer as usual.
    assert other.get("/accounts/login/").status_code == 200


def test_a_used_code_does_not_work_even_on_an_empty_installation(client: Client) -> None:
    code = issue_setup_code()
    SetupCode.objects.update(used_at=SetupCode.objects.get().created_at)
    response = client.post("/setup/", form(code))
    assert response.status_code == 400
    assert Organization.objects.count() == 0


def test_after_setup_the_administrator_is_logged_in_and_must_enrol_a_second_factor(client: Client) -> None:
    code = issue_setup_code()
    response = client.post("/setup/", form(code))
    assert response.headers["Location"].startswith(SETUP_URL)
    # Nothing else before the second factor.
    assert client.get("/").headers["Location"].startswith(SETUP_URL)
    assert client.get("/organization/").headers["Location"].startswith(SETUP_URL)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert b'data-testid="mfa-required"' in page.content

    client.post(SETUP_URL, {"action": "start"})
    admin = User.objects.get(username="rina")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    confirmed = client.post(SETUP_URL, {"action": "confirm", "token": totp_code(device), "next": "/"})
    assert confirmed.status_code == 200
    home = client.get("/", follow=True)
    assert home.redirect_chain[-1][0].startswith(f"/facilities/{Facility.objects.get().pk}/")


def test_missing_fields_are_named_in_indonesian(client: Client) -> None:
    code = issue_setup_code()
    response = client.post("/setup/", {"setup_code": code})
    assert response.status_code == 400
    errors = response.context["form"].errors
    for name in ("name", "facility_name", "province", "regency", "admin_username", "admin_email", "admin_password"):
        assert name in errors, name
    assert "Kolom ini wajib diisi" in response.content.decode()
    assert Organization.objects.count() == 0
    # The code was not spent by a form with errors.
    assert SetupCode.objects.get().used_at is None


def test_a_regency_of_another_province_and_a_weak_password_are_refused(client: Client) -> None:
    code = issue_setup_code()
    response = client.post(
        "/setup/", form(code, province="73", regency="32.73", admin_password="12345", admin_password_again="12345")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "bukan kabupaten/kota di provinsi Sulawesi Selatan" in " ".join(errors["regency"])
    assert "Kata sandi terlalu pendek" in " ".join(errors["admin_password"])
    assert Organization.objects.count() == 0
    assert SetupCode.objects.get().used_at is None


def test_two_different_passwords_are_refused(client: Client) -> None:
    code = issue_setup_code()
    response = client.post("/setup/", form(code, admin_password_again="another-password-2026"))
    assert response.status_code == 400
    assert "admin_password_again" in response.context["form"].errors


def test_the_regency_select_offers_only_the_chosen_provinces_regencies(client: Client) -> None:
    response = client.get("/regions/regencies/", {"province": "73"})
    html = response.content.decode()
    assert 'value="73.71"' in html
    assert "Kota Makassar" in html
    assert 'value="32.73"' not in html
    # Sent without JavaScript: the page offers the province's regencies after the first send.
    code = issue_setup_code()
    page = client.post("/setup/", form(code, regency="")).content.decode()
    assert 'value="73.71"' in page
    assert 'value="32.73"' not in page


def test_a_wrong_code_is_named_together_with_the_other_problems(client: Client) -> None:
    issue_setup_code()
    response = client.post("/setup/", form("AAAAA-BBBBB-CCCCC-DDDDD", regency="32.73"))
    assert response.status_code == 400
    assert {"setup_code", "regency"} <= set(response.context["form"].errors)
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="setup").count() == 1


def test_an_expired_code_no_longer_works_and_a_new_one_is_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    import time_machine
    from django.utils import timezone

    caplog.set_level("WARNING", logger="nyeri.setup")
    old = issue_setup_code()
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        caplog.clear()
        client.get("/setup/")
        new = logged_code(caplog)
        assert new != old
        refused = client.post("/setup/", form(old))
        assert refused.status_code == 400
        assert "setup_code" in refused.context["form"].errors
        assert client.post("/setup/", form(new)).status_code == 302
