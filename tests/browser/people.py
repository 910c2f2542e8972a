"""Browser helpers for people administration: an administrator logs in (second factor and
all), invites a staff member from the People page, and the invitee accepts by the link in
the e-mail. The go-live end-to-end test builds on ``invite_and_accept``."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.accounts.models import User
from nyeri.demo.data import DEMO_PASSWORD
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import give_second_factor, totp_code
from tests.browser.conftest import via_menu

INVITEE_PASSWORD = "Nyeri-staf-baru-2026!"
LINK = re.compile(r"/invitation/[A-Za-z0-9_-]+/")


def log_in_as_administrator(page: Page, live_server: LiveServer, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log an administrator in, with a second factor (given to them first if they have none)."""
    user = User.objects.get(username=username)
    device = user.totpdevice_set.filter(confirmed=True).first()
    if device is None:
        device, _codes = give_second_factor(user)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    page.fill("input[name=token]", totp_code(device))
    page.click("main button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/accounts/(verify|login)/"))


def log_out(page: Page) -> None:
    via_menu(page.locator("form[action='/accounts/logout/'] button[type=submit]"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def invite(
    page: Page,
    live_server: LiveServer,
    *,
    full_name: str,
    email: str,
    roles: Sequence[Role | str],
    facility_codes: Sequence[str] = (),
    nik: str = "",
    language: str = "id",
) -> str:
    """On the logged-in administrator's People page, invite someone; returns the link from the e-mail."""
    page.goto(f"{live_server.url}/")
    via_menu(page.locator("[data-testid=people-admin-link]"))
    expect(page).to_have_url(re.compile(r"/people/$"))
    form = page.locator("[data-testid=invite-form]")
    form.locator("input[name=full_name]").fill(full_name)
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=nik]").fill(nik)
    form.locator("select[name=language]").select_option(language)
    for role in roles:
        form.locator(f"input[name=roles][value={role}]").check()
    for code in facility_codes:
        facility = Facility.objects.get(code=code)
        form.locator(f"input[name=facilities][value='{facility.pk}']").check()
    sent_before = len(mail.outbox)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/people/$"))
    expect(page.locator(f"[data-testid=invitation-row][data-email='{email.lower()}']")).to_be_visible()
    assert len(mail.outbox) == sent_before + 1, "the invitation e-mail was not sent"
    message = mail.outbox[-1]
    assert message.to == [email.lower()]
    found = LINK.search(message.body)
    assert found is not None, message.body
    return live_server.url + found.group(0)


def accept(page: Page, link: str, *, username: str, password: str = INVITEE_PASSWORD) -> None:
    """The invitee opens the link, chooses a username and password and is logged in."""
    page.goto(link)
    form = page.locator("[data-testid=accept-form]")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("input[name=password_again]").fill(password)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/invitation/"))


def invite_and_accept(
    page: Page,
    live_server: LiveServer,
    *,
    admin: str = "admin",
    admin_password: str = DEMO_PASSWORD,
    full_name: str,
    email: str,
    role: Role | str,
    username: str,
    password: str = INVITEE_PASSWORD,
    facility_codes: Sequence[str] = (),
    nik: str = "",
    extra_roles: Sequence[Role | str] = (),
) -> User:
    """The whole way in: ``admin`` logs in and invites, logs out; the invitee accepts.

    Returns the new user; the page is left logged in as them (an invited administrator is
    on the second-factor enrolment page).
    """
    log_in_as_administrator(page, live_server, admin, admin_password)
    link = invite(
        page,
        live_server,
        full_name=full_name,
        email=email,
        roles=[role, *extra_roles],
        facility_codes=facility_codes,
        nik=nik,
    )
    log_out(page)
    accept(page, link, username=username, password=password)
    return User.objects.get(username=username)
