"""A new installation, before it holds any data: every page that a role's home and menus link
to answers, in both languages, for every role.

The demo fills every list, so a page that breaks on an empty table, a facility without its
profile or an organization without policy overrides would pass every demo test and fail a real
clinic on its first morning. This walk starts where a clinic starts: ``start_organization``
(the set-up's one service), one member per role at the first facility, nothing else.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.onboarding.services import create_member
from nyeri.tenancy.roles import Role
from nyeri.tenancy.setup import Installation, start_organization
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="(/[^"#?]*)')
# Not pages: leaving, switching language, files, and the API's own documentation (tested apart).
NOT_PAGES = re.compile(r"^/(static/|i18n/|accounts/logout/|api/)|\.(csv|pdf|xlsx|json)$|/(export|file|download)/")


@pytest.fixture
def installation() -> Installation:
    return start_organization(
        acting_user=None,
        name="RS Sentosa Makassar",
        kind="hospital",
        facility_name="Layanan Nyeri RS Sentosa",
        facility_kind="hospital_pain_unit",
        province_code="73",
        regency_code="73.71",
        admin_username="rina",
        admin_email="rina@sentosa.example",
        admin_password=PASSWORD,
        admin_full_name="dr. Rina Sari, Sp.An",
    )


def signed_in(user: User) -> Client:
    """Logged in with a second factor verified (some roles must have one)."""
    client = log_in(Client(), user)
    device, _codes = give_second_factor(user)
    verify(client, device)
    return client


def walk(client: Client, *, levels: int) -> dict[str, int]:
    """The home page and the pages it and its menus link to (``levels=1``), and the pages those
    link to in turn (``levels=2``), once per address shape: the status of each."""
    home = client.get("/", follow=True)
    statuses = {"/": home.status_code}
    queue = LINK.findall(home.content.decode())
    depth = dict.fromkeys(queue, 0)
    seen = set()
    while queue:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "N", path)
        if shape in seen or NOT_PAGES.search(path):
            continue
        seen.add(shape)
        response = client.get(path, follow=True)
        statuses[path] = response.status_code
        # A level further: the pages those pages offer (an empty list's "Add" and "New" forms).
        if depth.get(path, 0) < levels - 1 and response.status_code == 200:
            for found in LINK.findall(response.content.decode()):
                depth.setdefault(found, depth.get(path, 0) + 1)
                queue.append(found)
    return statuses


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_every_page_a_role_is_offered_answers_in_a_new_installation(
    installation: Installation, role: Role, language: str
) -> None:
    if role == Role.ADMINISTRATOR:
        user = installation.administrator
        user.language = language
        user.save(update_fields=["language"])
    else:
        # As an accepted invitation makes them: an account, a membership and a professional record.
        user = User.objects.create_user(username=role.value, password=PASSWORD, language=language)
        create_member(
            acting_user=installation.administrator,
            organization=installation.organization,
            user=user,
            full_name=f"{role.label} Sentosa",
            roles=[role],
            facilities=[installation.facility],
        )
    client = signed_in(user)
    with translation.override(language):
        # Two levels in Indonesian, the language whose translations can break a page (a
        # placeholder renamed in a translation raises); the menus' pages in English.
        statuses = walk(client, levels=2 if language == "id" else 1)
    # A page it is offered and may not open, or that fails on no data, is a broken first morning.
    assert len(statuses) > 3, statuses
    broken = {path: status for path, status in statuses.items() if status != 200}
    assert not broken, broken
