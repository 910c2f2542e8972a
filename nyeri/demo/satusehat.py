"""The demo organization's SATUSEHAT connection: staging, pointing at the local server of ``make demo``.

``scripts/demo.py`` starts ``manage.py satusehat_fake_server --from-database`` on the loopback
address and points the staging URL at it; the server knows the demo's patients and
practitioners by their NIKs. The demo's staff get made-up NIKs here (the workforce seeding
records none), so that a finished visit can name its practitioner in SATUSEHAT.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.interop.models import SatusehatSettings
from nyeri.interop.satusehat.fake_server import FakeSatusehat
from nyeri.interop.satusehat.services import save_satusehat_settings
from nyeri.tenancy.models import Organization
from nyeri.tenancy.scope import resolve_scope
from nyeri.workforce.models import Person

# The Organization id a staging registration would give (made up for the demo).
DEMO_SATUSEHAT_ORGANIZATION_ID = "100026342"
# The demo's last month of visits goes out when it starts (the year before it stays home).
SEND_DAYS_BACK = 30


def seed_satusehat(*, organization: Organization, admin: User) -> None:
    for person in Person.objects.filter(organization=organization, nik="").order_by("pk"):
        # Demo data: 16 digits, a Bandung region code then the row's number.
        Person.objects.filter(pk=person.pk).update(nik=f"327301{person.pk:010d}")
    scope = resolve_scope(admin, organization.pk)
    assert scope is not None
    fake = FakeSatusehat()
    save_satusehat_settings(
        scope=scope,
        acting_user=admin,
        environment="staging",
        satusehat_organization_id=DEMO_SATUSEHAT_ORGANIZATION_ID,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        send_visits_from=timezone.localdate() - timedelta(days=SEND_DAYS_BACK),
    )


def ensure_satusehat(*, organization: Organization, admin: User) -> bool:
    """Seed the connection of a demo loaded before it existed; whether it was missing."""
    if SatusehatSettings.objects.filter(organization=organization).exists():
        return False
    seed_satusehat(organization=organization, admin=admin)
    return True
