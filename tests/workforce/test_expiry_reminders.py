"""The expiry watch's reminders (nyeri/workforce/expiry/reminders.py): checks at the source due
90, 60 and 30 days ahead or past, SKP behind for a SIP with less than 12 months to go; once per
threshold, to the person and the credentialing officers, in each one's language."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import formats, translation

from nyeri.accounts.models import User
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.expiry.watch import run_expiry_watch
from nyeri.workforce.kinds import Citizenship, CredentialKind
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole, SkpActivity, SourceVerification
from tests.conftest import MakeMember
from tests.workforce.conftest import AddCredential

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 2)


def watch(day: date) -> str:
    out = StringIO()
    call_command("expiry_watch", "--today", day.isoformat(), "--no-email", stdout=out)
    return out.getvalue()


@pytest.fixture
def officer(make_member: MakeMember, org: Organization) -> User:
    return make_member(org, Role.CREDENTIALING_OFFICER, username="rina", language="en")


@pytest.fixture
def andi(make_member: MakeMember, org: Organization, facility: Facility) -> Person:
    """A pain physician whose SIP runs to the end of 2029 (no SKP notice yet)."""
    user = make_member(org, Role.PAIN_PHYSICIAN, username="andi", language="id")
    person = Person.objects.create(
        organization=org, user=user, full_name="Andi Wijaya", citizenship=Citizenship.CITIZEN
    )
    PersonRole.objects.create(organization=org, person=person, role=Role.PAIN_PHYSICIAN)
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    return person


def checked(add_credential: AddCredential, person: Person, officer: User, reverify_by: date) -> Credential:
    """A verified STR checked at the Konsil's register, to be checked again by ``reverify_by``."""
    credential = add_credential(person, CredentialKind.REGISTRATION, number="STR-77")
    SourceVerification.objects.create(
        organization=person.organization,
        credential=credential,
        source="kki_str_register",
        method="online_register",
        checked_on=reverify_by - timedelta(days=3 * 365),
        attestation="Found in the KKI register.",
        reverify_by=reverify_by,
        verified_by=officer,
    )
    return credential


def sip(add_credential: AddCredential, person: Person, facility: Facility, expires_on: date) -> Credential:
    return add_credential(
        person,
        CredentialKind.PRACTICE_PERMIT,
        number="503/SIP/2021",
        facility=facility,
        issuer="DPMPTSP Kota Bandung",
        issuer_regency_code=facility.regency_code,
        issued_on=expires_on - timedelta(days=5 * 365),
        expires_on=expires_on,
    )


def shown(day: date, language: str = "en") -> str:
    with translation.override(language):
        return formats.date_format(day, "DATE_FORMAT")


def reminders(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("recipient_id", "pk"))


def test_a_check_at_the_source_due_in_60_days_notifies_the_person_and_the_officer_in_their_languages(
    andi: Person, officer: User, add_credential: AddCredential
) -> None:
    credential = checked(add_credential, andi, officer, TODAY + timedelta(days=58))

    watch(TODAY)

    notices = {n.recipient_id: n for n in reminders(NotificationKind.SOURCE_REVERIFICATION_DUE)}
    assert set(notices) == {andi.user_id, officer.pk}
    own, officers = notices[andi.user_id], notices[officer.pk]
    assert own.dedupe_key == f"credential:{credential.pk}:reverify:2026-04-29:60:user:{andi.user_id}"
    assert own.message("en") == (
        "Your registration certificate (STR) no. STR-77 is due to be checked again at its source by "
        f"{shown(date(2026, 4, 29))}, in 58 days."
    )
    assert (
        f"no. STR-77 Anda harus diperiksa kembali pada sumbernya paling lambat {shown(date(2026, 4, 29), 'id')}, "
        "58 hari lagi."
    ) in own.message("id")
    assert officers.message("en") == (
        "The registration certificate (STR) no. STR-77 of Andi Wijaya is due to be checked again at its source "
        f"by {shown(date(2026, 4, 29))}, in 58 days."
    )
    assert officers.link == f"/workforce/hours/expiring/#credential-{credential.pk}"
    assert own.link == f"/workforce/credentials/{credential.pk}/"


def test_reverification_notices_go_once_per_threshold_and_once_more_when_overdue(
    andi: Person, officer: User, add_credential: AddCredential
) -> None:
    due = TODAY + timedelta(days=95)
    checked(add_credential, andi, officer, due)
    sent: dict[int, int] = {}
    for days_left in (95, 90, 89, 60, 45, 30, 1, 0, -1, -20):
        before = Notification.objects.filter(recipient=officer).count()
        watch(due - timedelta(days=days_left))
        sent[days_left] = Notification.objects.filter(recipient=officer).count() - before

    assert sent == {95: 0, 90: 1, 89: 0, 60: 1, 45: 0, 30: 1, 1: 0, 0: 0, -1: 1, -20: 0}
    stages = [
        k.split(":")[4] for k in Notification.objects.filter(recipient=officer).values_list("dedupe_key", flat=True)
    ]
    assert sorted(stages) == ["30", "60", "90", "overdue"]
    overdue = Notification.objects.get(recipient=andi.user, dedupe_key__contains=":overdue:")
    assert overdue.message("en") == (
        f"The check at the source of your registration certificate (STR) no. STR-77 has been due since {shown(due)}."
    )


def test_a_missed_day_sends_the_nearest_reverification_notice_still_due(
    andi: Person, officer: User, add_credential: AddCredential
) -> None:
    checked(add_credential, andi, officer, TODAY + timedelta(days=25))

    watch(TODAY)

    (notice,) = Notification.objects.filter(recipient=officer)
    assert ":reverify:" in notice.dedupe_key
    assert notice.dedupe_key.split(":")[4] == "30"


def test_skp_behind_with_less_than_12_months_of_the_sip_left_is_announced_once_per_threshold(
    andi: Person, officer: User, facility: Facility, add_credential: AddCredential
) -> None:
    permit = sip(add_credential, andi, facility, TODAY + timedelta(days=200))
    SkpActivity.objects.create(
        organization=andi.organization,
        person=andi,
        category="learning",
        title="Pain management workshop",
        credits=Decimal("12.5"),
        done_on=TODAY - timedelta(days=100),
        certificate_number="SKP-1",
        entered_by=officer,
    )

    watch(TODAY)
    watch(TODAY + timedelta(days=1))

    notices = {n.recipient_id: n for n in reminders(NotificationKind.SKP_BEHIND)}
    assert set(notices) == {andi.user_id, officer.pk}
    own, officers = notices[andi.user_id], notices[officer.pk]
    assert permit.expires_on is not None
    expected = f"credential:{permit.pk}:skp_behind:{permit.expires_on.isoformat()}:365:user:{andi.user_id}"
    assert own.dedupe_key == expected
    assert own.days_left == 200
    assert own.link == f"/workforce/skp/people/{andi.pk}/"
    assert own.message("id") == (
        "Anda memiliki 12,5 dari 250 SKP yang diperlukan untuk memperpanjang surat izin praktik (SIP) "
        f"no. 503/SIP/2021 Anda, yang berakhir pada {shown(date(2026, 9, 18), 'id')}, 200 hari lagi. "
        # A specialist's total is the facility's setting (no rule was found for it): the notice says so.
        "Jumlah yang diperlukan adalah pengaturan fasilitas Anda, bukan peraturan."
    )
    assert officers.message("en") == (
        "Andi Wijaya has 12.5 of the 250 continuing-education credits (SKP) needed to renew practice permit "
        f"(SIP) no. 503/SIP/2021, which expires on {shown(date(2026, 9, 18))}, in 200 days. "
        "The total needed is your facility's setting, not a regulation."
    )
    # Into the next threshold (180 days left): one more each.
    watch(permit.expires_on - timedelta(days=170))
    assert Notification.objects.filter(kind=NotificationKind.SKP_BEHIND).count() == 4


def test_no_skp_notice_with_more_than_12_months_of_the_sip_left(
    andi: Person, officer: User, facility: Facility, add_credential: AddCredential
) -> None:
    sip(add_credential, andi, facility, TODAY + timedelta(days=400))

    watch(TODAY)

    assert not Notification.objects.filter(kind=NotificationKind.SKP_BEHIND).exists()


def test_the_daily_job_on_a_frozen_day_sends_the_reminders_of_that_day(
    andi: Person, officer: User, facility: Facility, add_credential: AddCredential
) -> None:
    checked(add_credential, andi, officer, date(2027, 1, 10))
    sip(add_credential, andi, facility, date(2027, 6, 30))

    with time_machine.travel(datetime.combine(date(2026, 12, 12), time(1, 0), ZoneInfo("Asia/Jakarta")), tick=False):
        report = run_expiry_watch(send_email=False)

    kinds = sorted(Notification.objects.values_list("kind", flat=True))
    assert report.notifications == 4
    assert kinds == ["skp_behind", "skp_behind", "source_reverification_due", "source_reverification_due"]
    assert all(
        ":reverify:2027-01-10:30:" in k
        for k in Notification.objects.filter(kind=NotificationKind.SOURCE_REVERIFICATION_DUE).values_list(
            "dedupe_key", flat=True
        )
    )
