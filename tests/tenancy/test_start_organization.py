"""manage.py start_organization: flags, prompts, a second organization, refusals."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from nyeri.accounts.models import User
from nyeri.audit.models import PLATFORM_CHAIN, AuditAction, AuditEvent
from nyeri.audit.verify import verify_chain
from nyeri.tenancy.models import Facility, Membership, Organization
from nyeri.tenancy.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "tulang-belakang-2026"

FLAGS = {
    "name": "RS Sentosa Makassar",
    "kind": "hospital",
    "facility_name": "Layanan Nyeri RS Sentosa",
    "facility_kind": "hospital_pain_unit",
    "province": "73",
    "regency": "73.71",
    "admin_username": "admin.sentosa",
    "admin_email": "Admin@Sentosa.example",
    "admin_password": PASSWORD,
    "interactive": False,
}


def run(**options: object) -> str:
    out = StringIO()
    call_command("start_organization", stdout=out, **options)
    return out.getvalue()


def test_the_flags_create_the_organization_its_facility_and_its_administrator() -> None:
    output = run(**FLAGS)

    org = Organization.objects.get()
    assert (org.name, org.kind, org.jurisdiction) == ("RS Sentosa Makassar", "hospital", "ID")
    assert org.slug == "rs-sentosa-makassar"
    facility = Facility.objects.get(organization=org)
    assert facility.kind == "hospital_pain_unit"
    assert (facility.province, facility.regency) == ("Sulawesi Selatan", "Kota Makassar")
    assert facility.regency_code == "73.71"
    # A Makassar facility keeps Central Indonesian Time by default.
    assert facility.time_zone == "Asia/Makassar"
    admin = User.objects.get(username="admin.sentosa")
    assert admin.check_password(PASSWORD)
    assert admin.email == "admin@sentosa.example"
    membership = Membership.objects.get(organization=org, user=admin)
    assert [r.role for r in membership.roles.all()] == [Role.ADMINISTRATOR]
    assert "RS Sentosa Makassar" in output
    assert "second factor" in output


def test_the_creation_is_audited_in_the_platform_chain_and_the_new_organizations_chain() -> None:
    run(**FLAGS)
    org = Organization.objects.get()
    platform = AuditEvent.objects.filter(chain=PLATFORM_CHAIN, object_type="organization", object_id=str(org.pk))
    assert platform.get().action == AuditAction.CREATE
    own = set(AuditEvent.objects.filter(chain=org.pk).values_list("object_type", flat=True))
    assert {"organization", "facility", "user", "membership"} <= own
    assert verify_chain().ok


def test_the_prompts_ask_for_every_value_when_no_flag_is_given() -> None:
    answers = "\n".join(
        [
            "Klinik Nyeri Sehat Group",
            "clinic_operator",
            "Klinik Nyeri Sehat Bandung",
            "pain_clinic",
            "32",
            "32.73",
            "sehat.admin",
            "admin@sehat.example",
            "Dewi Kartika",
            "en",
            PASSWORD,
        ]
    )
    output = run(stdin=StringIO(answers + "\n"))

    org = Organization.objects.get(name="Klinik Nyeri Sehat Group")
    assert org.kind == "clinic_operator"
    facility = Facility.objects.get(organization=org)
    assert (facility.regency, facility.time_zone) == ("Kota Bandung", "Asia/Jakarta")
    admin = User.objects.get(username="sehat.admin")
    assert (admin.full_name, admin.language) == ("Dewi Kartika", "en")
    # The prompts list the choices: provinces, then the regencies of the chosen province only.
    assert "73 = Sulawesi Selatan" in output
    assert "32.73 = Kota Bandung" in output
    assert "73.71" not in output


def test_a_second_run_creates_a_second_organization() -> None:
    run(**FLAGS)
    run(
        **{
            **FLAGS,
            "name": "Klinik Nyeri Jayapura",
            "kind": "clinic_operator",
            "facility_name": "Klinik Nyeri Jayapura",
            "facility_kind": "pain_clinic",
            "province": "91",
            "regency": "91.71",
            "admin_username": "admin.jayapura",
            "admin_email": "admin@jayapura.example",
        }
    )
    assert Organization.objects.count() == 2
    second = Organization.objects.get(name="Klinik Nyeri Jayapura")
    assert Facility.objects.get(organization=second).time_zone == "Asia/Jayapura"
    assert Membership.objects.get(user__username="admin.jayapura").organization == second


def test_no_input_names_every_missing_flag_and_creates_nothing() -> None:
    with pytest.raises(CommandError) as refused:
        run(name="RS X", interactive=False)
    assert "--kind" in str(refused.value)
    assert "--admin-password" in str(refused.value)
    assert Organization.objects.count() == 0


def test_bad_values_are_refused_field_by_field_and_nothing_is_written() -> None:
    run(**FLAGS)
    with pytest.raises(CommandError) as refused:
        run(
            **{
                **FLAGS,
                "name": "RS Lain",
                "province": "73",
                "regency": "32.73",
                "admin_email": "not-an-address",
                "admin_password": "12345",
            }
        )
    message = str(refused.value)
    assert "--regency" in message
    assert "--admin-email" in message
    assert "--admin-password" in message
    # The username of the first run is taken.
    assert "--admin-username" in message
    assert Organization.objects.count() == 1
    assert User.objects.count() == 1


def test_the_password_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NYERI_ADMIN_PASSWORD", PASSWORD)
    run(**{k: v for k, v in FLAGS.items() if k != "admin_password"})
    assert User.objects.get(username="admin.sentosa").check_password(PASSWORD)
