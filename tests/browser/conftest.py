"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import Browser, Locator, Page, sync_playwright

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/ensure-system-deps.sh")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# The seeded demo database, copied once (seeding takes seconds; restoring it, milliseconds).
_demo_snapshot: sqlite3.Connection | None = None


@pytest.fixture
def demo(transactional_db: None) -> None:
    """The demo network in the test database, as `make demo` builds it.

    On SQLite (where the browser tests run) it is seeded once per session and restored
    before each test with SQLite's online backup; the live server shares the in-memory
    database, so it sees the restored copy. Elsewhere it is seeded for each test.
    """
    global _demo_snapshot
    if connection.vendor != "sqlite":
        call_command("seed_demo", quiet_accounts=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
        return
    connection.ensure_connection()
    raw = connection.connection
    if _demo_snapshot is None:
        call_command("seed_demo", quiet_accounts=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
        snapshot = sqlite3.connect(":memory:", check_same_thread=False)
        raw.backup(snapshot)
        _demo_snapshot = snapshot
    else:
        _demo_snapshot.backup(raw)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def via_menu(link: Locator) -> None:
    """Click a link of the header, opening its menu first (the menus are <details>, closed)."""
    target = link.first
    menu = target.locator("xpath=ancestor::details[1]")
    if menu.count() and menu.get_attribute("open") is None:
        menu.locator("xpath=./summary").click()
    # On a phone the menus sit behind the one "Menu" button.
    toggle = target.page.locator(".navtoggle")
    if not target.is_visible() and toggle.count() and toggle.is_visible():
        toggle.click()
        if menu.count() and menu.get_attribute("open") is None:
            menu.locator("xpath=./summary").click()
    target.click()
