"""SATUSEHAT in the browser: an administrator connects the demo organization, a visit is finished,
and the outbox shows it sent with its SATUSEHAT id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.accounts.models import User
from nyeri.clinical.encounters.services import add_participant, create_encounter, finish_encounter
from nyeri.clinical.models import Patient
from nyeri.interop.models import OutboxStatus, SatusehatOutboxEntry
from nyeri.interop.satusehat.fake_server import FakeSatusehat, made_up_ihs_number
from nyeri.interop.satusehat.outbox import collect_and_drain
from nyeri.tenancy.scope import resolve_scope
from nyeri.workforce.models import Person
from tests.browser.conftest import screenshot, via_menu
from tests.browser.people import log_in_as_administrator

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo")]


@pytest.fixture
def satusehat(settings: Any) -> Iterator[FakeSatusehat]:
    """The local server, knowing the demo's people by their NIKs (as `make demo` starts it)."""
    server = FakeSatusehat(
        patients={
            nik: made_up_ihs_number(nik) for nik in Patient.objects.exclude(nik="").values_list("nik", flat=True)
        },
        practitioners={
            nik: made_up_ihs_number(nik, practitioner=True)
            for nik in Person.objects.exclude(nik="").values_list("nik", flat=True)
        },
    ).start()
    settings.SATUSEHAT_BASE_URLS = {"staging": server.base_url, "production": "https://invalid.example"}
    yield server
    server.stop()
    cache.clear()


def finish_a_visit() -> int:
    """dr. Andi Wijaya sees a demo patient with a NIK and finishes the visit (the clinic's own pages do this)."""
    doctor = User.objects.get(username="dokter.nyeri")
    scope = resolve_scope(doctor)
    assert scope is not None
    person = Person.objects.get(user=doctor)
    patient = Patient.objects.filter(organization=scope.organization).exclude(nik="").order_by("pk").first()
    assert patient is not None
    facility = person.facility_links.select_related("facility").order_by("pk").first().facility  # type: ignore[union-attr]
    started = timezone.now() - timedelta(minutes=30)
    visit = create_encounter(
        scope=scope, acting_user=doctor, patient=patient, facility=facility, kind="follow_up", starts_at=started
    )
    add_participant(
        scope=scope, acting_user=doctor, encounter=visit, person=person, role="primary_performer", minutes=20
    )
    finish_encounter(scope=scope, acting_user=doctor, encounter=visit)
    return visit.pk


def test_an_administrator_connects_satusehat_and_sees_a_finished_visit_sent_with_its_id(
    page: Page, live_server: LiveServer, satusehat: FakeSatusehat
) -> None:
    log_in_as_administrator(page, live_server, "admin")
    via_menu(page.get_by_test_id("satusehat-link"))
    expect(page.locator("h1")).to_have_text("Kotak keluar SATUSEHAT")
    page.get_by_role("link", name="Pengaturan SATUSEHAT").first.click()
    page.get_by_label("Lingkungan").select_option("staging")
    page.get_by_label("ID organisasi SATUSEHAT").fill("100026342")
    page.get_by_label("Client ID").fill(satusehat.client_id)
    page.get_by_label("Client secret").fill(satusehat.client_secret)
    page.get_by_label("Kirim kunjungan sejak").fill(timezone.localdate().isoformat())
    page.get_by_test_id("save-settings").click()
    expect(page.locator(".messages")).to_contain_text("Pengaturan SATUSEHAT tersimpan.")
    expect(page.get_by_test_id("masked-secret")).not_to_contain_text(satusehat.client_secret)
    page.get_by_test_id("test-connection").click()
    expect(page.locator(".messages")).to_contain_text("SATUSEHAT menerima client ID dan secret.")
    screenshot(page, "satusehat-settings")

    visit_id = finish_a_visit()
    collect_and_drain()  # the worker's periodic job, every minute

    page.goto(f"{live_server.url}/satusehat/outbox/?status=sent")
    row = page.locator("[data-testid=outbox-entry][data-status=sent]", has_text=f"encounter:{visit_id}")
    expect(row).to_have_count(1)
    entry = SatusehatOutboxEntry.objects.get(local_key=f"encounter:{visit_id}")
    assert entry.status == OutboxStatus.SENT
    expect(row.get_by_test_id("remote-id")).to_have_text(entry.remote_id)
    assert ("Encounter", entry.remote_id) in satusehat.resources
    screenshot(page, "satusehat-outbox-sent")
