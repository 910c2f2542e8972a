"""The daily expiry watch: notices at 90, 30 and 7 days, catching up, expiring, languages, idempotency."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.tenancy.models import Facility, Membership, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.engine import decide
from nyeri.workforce.expiry.watch import due_threshold, run_expiry_watch
from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole
from tests.conftest import MakeMember
from tests.workforce.conftest import AddCredential

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def no_skp_reminders(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count the credentials' own notices; a nurse whose SIP ends within a year
    would also be told her SKP are behind (tests/workforce/test_expiry_reminders.py)."""
    from nyeri.workforce.expiry import reminders

    monkeypatch.setattr(reminders, "_skp_behind", lambda organization, today: [])


def watch(day: date) -> str:
    out = StringIO()
    call_command("expiry_watch", "--today", day.isoformat(), stdout=out)
    return out.getvalue()


@pytest.fixture
def officer(make_member: MakeMember, org: Organization) -> User:
    user = make_member(org, Role.CREDENTIALING_OFFICER, username="rina", language="en")
    user.email = "rina@example.org"
    user.save()
    return user


@pytest.fixture
def siti(make_member: MakeMember, org: Organization, facility: Facility) -> Person:
    user = make_member(org, Role.NURSE, username="siti", language="en")
    user.email = "siti@example.org"
    user.save()
    person = Person.objects.create(organization=org, user=user, full_name="Siti Rahma", citizenship=Citizenship.CITIZEN)
    PersonRole.objects.create(organization=org, person=person, role=Role.NURSE)
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    return person


def sip(add_credential: AddCredential, person: Person, facility: Facility, expires_on: date, **more: Any) -> Credential:
    return add_credential(
        person,
        CredentialKind.PRACTICE_PERMIT,
        number=more.pop("number", "503/SIP/2021"),
        facility=facility,
        issuer="DPMPTSP Kota Bandung",
        issuer_regency_code=facility.regency_code,
        issued_on=date(2021, 6, 1),
        expires_on=expires_on,
        **more,
    )


def test_the_due_threshold_is_the_nearest_one_at_or_above_the_days_left() -> None:
    assert [due_threshold(d) for d in (120, 91, 90, 60, 31, 30, 25, 8, 7, 1, 0, -1)] == [
        None, None, 90, 90, 90, 30, 30, 30, 7, 7, 7, None,
    ]  # fmt: skip


def test_a_permit_90_days_ahead_notifies_the_person_and_the_officer_in_the_app_and_by_email(
    siti: Person, officer: User, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    permit = sip(add_credential, siti, facility, TODAY + timedelta(days=90))
    output = watch(TODAY)
    assert "2 notice(s), 2 e-mail(s) sent" in output
    notices = {n.recipient_id: n for n in Notification.objects.all()}
    assert set(notices) == {siti.user_id, officer.pk}
    own, officers = notices[siti.user_id], notices[officer.pk]
    assert (own.kind, own.days_left, own.due_on, own.about) == (
        NotificationKind.CREDENTIAL_EXPIRING,
        90,
        date(2026, 5, 31),
        "",
    )
    assert own.link == f"/workforce/credentials/{permit.pk}/"
    assert officers.about == "Siti Rahma"
    assert officers.link == f"/workforce/hours/expiring/#credential-{permit.pk}"
    assert own.message("en") == "Your practice permit (SIP) no. 503/SIP/2021 expires on 31 May 2026, in 90 days."
    assert officers.message("en") == (
        "The practice permit (SIP) no. 503/SIP/2021 of Siti Rahma expires on 31 May 2026, in 90 days."
    )

    by_address = {m.to[0]: m for m in mailoutbox}
    to_siti, to_rina = by_address["siti@example.org"], by_address["rina@example.org"]
    assert to_siti.subject == "Your practice permit (SIP) no. 503/SIP/2021 expires in 90 days"
    assert to_rina.subject == "Siti Rahma: practice permit (SIP) no. 503/SIP/2021 expires in 90 days"
    assert "Hello Siti," in to_siti.body
    assert "expires on 31 May 2026, in 90 days." in to_siti.body
    assert f"/workforce/credentials/{permit.pk}/" in to_siti.body
    assert f"/workforce/hours/expiring/#credential-{permit.pk}" in to_rina.body
    assert all(n.emailed_at is not None for n in Notification.objects.all())
    created = AuditEvent.objects.filter(object_type="notification", action=AuditAction.CREATE)
    assert created.count() == 2
    assert {e.actor_label for e in created} == {"expiry_watch"}


def test_running_the_watch_twice_sends_nothing_twice(
    siti: Person, officer: User, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    sip(add_credential, siti, facility, TODAY + timedelta(days=30))
    watch(TODAY)
    assert len(mailoutbox) == 2
    output = watch(TODAY)
    assert "0 notice(s), 0 e-mail(s) sent" in output
    assert len(mailoutbox) == 2
    assert Notification.objects.count() == 2


def test_the_thresholds_step_through_90_30_and_7_days_as_the_clock_moves(
    siti: Person, officer: User, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    expiry = TODAY + timedelta(days=100)
    sip(add_credential, siti, facility, expiry)
    sent_by_day = {}
    for days_left in (100, 91, 90, 89, 60, 31, 30, 29, 8, 7, 6, 1, 0):
        before = Notification.objects.filter(recipient=officer).count()
        watch(expiry - timedelta(days=days_left))
        sent_by_day[days_left] = Notification.objects.filter(recipient=officer).count() - before
    assert {d for d, n in sent_by_day.items() if n} == {90, 30, 7}
    assert sorted(Notification.objects.filter(recipient=officer).values_list("days_left", flat=True)) == [7, 30, 90]
    assert len(mailoutbox) == 6


def test_a_missed_day_sends_the_nearest_notice_still_due_and_never_an_earlier_one(
    siti: Person, officer: User, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    permit = sip(add_credential, siti, facility, TODAY + timedelta(days=25))
    watch(TODAY)
    notices = list(Notification.objects.filter(recipient=officer))
    assert len(notices) == 1
    assert notices[0].dedupe_key == f"credential:{permit.pk}:expiring:30:user:{officer.pk}"
    assert notices[0].days_left == 25
    assert "in 25 days" in notices[0].message("en")
    # The watch misses the 7-day mark too: at 3 days left the 7-day notice goes, once.
    watch(TODAY + timedelta(days=22))
    watch(TODAY + timedelta(days=23))
    keys = sorted(Notification.objects.filter(recipient=officer).values_list("dedupe_key", flat=True))
    assert keys == [
        f"credential:{permit.pk}:expiring:30:user:{officer.pk}",
        f"credential:{permit.pk}:expiring:7:user:{officer.pk}",
    ]
    assert not Notification.objects.filter(dedupe_key__contains=":expiring:90:").exists()


def test_a_lapsed_credential_is_marked_expired_audited_and_announced_once_without_changing_the_engines_answer(
    siti: Person,
    officer: User,
    facility: Facility,
    add_credential: AddCredential,
    mailoutbox: list[Any],
) -> None:
    add_credential(siti, CredentialKind.REGISTRATION)
    permit = sip(add_credential, siti, facility, TODAY - timedelta(days=1))
    moment = timezone.make_aware(datetime(2026, 3, 2, 9, 0))
    before = decide(siti.pk, "record_assessment", facility, at=moment)
    output = watch(TODAY)
    assert "1 credential(s) marked expired" in output
    permit.refresh_from_db()
    assert permit.status == CredentialStatus.EXPIRED
    event = AuditEvent.objects.get(object_type="credential", object_id=str(permit.pk))
    assert (event.action, event.actor_label) == (AuditAction.UPDATE, "expiry_watch")
    assert event.reason.startswith("expired by date: valid to 2026-03-01")
    after = decide(siti.pk, "record_assessment", facility, at=moment)
    assert not before.allowed
    assert not after.allowed
    assert [u.code for u in after.unmet] == [u.code for u in before.unmet] == ["credential_expired"]

    expired = Notification.objects.filter(kind=NotificationKind.CREDENTIAL_EXPIRED)
    assert set(expired.values_list("recipient_id", flat=True)) == {siti.user_id, officer.pk}
    assert expired.get(recipient=officer).message("en") == (
        "The practice permit (SIP) no. 503/SIP/2021 of Siti Rahma expired on 1 Mar 2026."
    )
    assert {m.subject for m in mailoutbox} == {
        "Your practice permit (SIP) no. 503/SIP/2021 has expired",
        "Siti Rahma: practice permit (SIP) no. 503/SIP/2021 has expired",
    }
    watch(TODAY + timedelta(days=1))
    assert expired.count() == 2
    assert AuditEvent.objects.filter(object_type="credential").count() == 1


def test_credentials_that_lapsed_long_ago_are_marked_expired_without_a_notice(
    siti: Person, officer: User, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    permit = sip(add_credential, siti, facility, TODAY - timedelta(days=200))
    watch(TODAY)
    assert Credential.objects.get(pk=permit.pk).status == CredentialStatus.EXPIRED
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_an_indonesian_recipient_gets_the_notice_in_indonesian(
    siti: Person, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    assert siti.user is not None
    User.objects.filter(pk=siti.user_id).update(language="id")
    sip(add_credential, siti, facility, TODAY + timedelta(days=7), number="77/SIP")
    watch(TODAY)
    (message,) = mailoutbox
    # The date in the one format of the language (nyeri/formats), the sentences in Indonesian.
    assert "9 Mar 2026" in message.body
    assert "77/SIP" in message.subject
    assert "77/SIP" in message.body
    assert " 7 " in message.subject
    assert "expires on" not in message.body


def test_a_verified_renewal_on_file_silences_the_notices(
    siti: Person, officer: User, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    sip(add_credential, siti, facility, TODAY + timedelta(days=30))
    sip(add_credential, siti, facility, TODAY + timedelta(days=5 * 365), number="900/SIP/2026")
    watch(TODAY)
    assert not Notification.objects.exists()


def test_a_lapsed_permit_whose_renewal_is_on_file_is_marked_expired_without_a_notice(
    siti: Person, officer: User, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    old = sip(add_credential, siti, facility, TODAY - timedelta(days=1))
    sip(add_credential, siti, facility, TODAY + timedelta(days=5 * 365), number="900/SIP/2026")
    watch(TODAY)
    assert Credential.objects.get(pk=old.pk).status == CredentialStatus.EXPIRED
    assert not Notification.objects.exists()


def test_a_renewal_still_waiting_for_verification_does_not_silence_them(
    siti: Person, officer: User, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    sip(add_credential, siti, facility, TODAY + timedelta(days=30))
    sip(add_credential, siti, facility, TODAY + timedelta(days=5 * 365), status=CredentialStatus.SUBMITTED)
    watch(TODAY)
    assert Notification.objects.count() == 2


def test_officers_of_other_facilities_and_other_organizations_and_former_members_hear_nothing(
    siti: Person,
    officer: User,
    org: Organization,
    other_org: Organization,
    facility: Facility,
    make_member: MakeMember,
    add_credential: AddCredential,
    mailoutbox: list[Any],
) -> None:
    clinic = Facility.objects.create(
        organization=org, name="Klinik Dago", code="dago", kind="pain_clinic", province="Jawa Barat",
        regency="Kota Bandung", regency_code="32.73",
    )  # fmt: skip
    limited = make_member(org, Role.CREDENTIALING_OFFICER, username="limited", facilities=(clinic,))
    here = make_member(org, Role.CREDENTIALING_OFFICER, username="here", facilities=(facility,))
    foreign = make_member(other_org, Role.CREDENTIALING_OFFICER, username="foreign")
    Membership.objects.filter(user=siti.user).update(is_active=False)
    sip(add_credential, siti, facility, TODAY + timedelta(days=7))
    watch(TODAY)
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {officer.pk, here.pk}
    assert limited.pk != foreign.pk


def test_a_person_without_a_login_is_announced_to_the_officers_only(
    org: Organization, officer: User, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    person = Person.objects.create(organization=org, full_name="Tanpa Akun", citizenship=Citizenship.CITIZEN)
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    add_credential(
        person,
        CredentialKind.BACKGROUND_CHECK,
        issuer="Polres",
        check_kind="criminal_record",
        check_result="passed",
        valid_months=12,
        expires_on=TODAY + timedelta(days=30),
    )
    watch(TODAY)
    (notice,) = Notification.objects.all()
    assert notice.recipient_id == officer.pk
    assert notice.message("en").startswith("The background check no. ")


def test_a_failed_email_is_retried_by_the_next_run_and_then_sent_once(
    siti: Person,
    facility: Facility,
    add_credential: AddCredential,
    mailoutbox: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sip(add_credential, siti, facility, TODAY + timedelta(days=90))
    original = mail.EmailMessage.send

    def broken(self: mail.EmailMessage, fail_silently: bool = False) -> int:
        raise OSError("mail server down")

    monkeypatch.setattr(mail.EmailMessage, "send", broken)
    assert "1 notice(s), 0 e-mail(s) sent" in watch(TODAY)
    assert Notification.objects.get().emailed_at is None
    monkeypatch.setattr(mail.EmailMessage, "send", original)
    assert "0 notice(s), 1 e-mail(s) sent" in watch(TODAY)
    assert "0 notice(s), 0 e-mail(s) sent" in watch(TODAY)
    assert len(mailoutbox) == 1


def test_without_email_the_watch_still_notifies_in_the_app(
    siti: Person, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    sip(add_credential, siti, facility, TODAY + timedelta(days=7))
    report = run_expiry_watch(today=TODAY, send_email=False)
    assert (report.notifications, report.emails) == (1, 0)
    assert mailoutbox == []


def test_the_command_refuses_a_date_that_is_not_one() -> None:
    with pytest.raises(CommandError):
        call_command("expiry_watch", "--today", "2026-02-30")


@pytest.mark.django_db(transaction=True)
def test_two_watches_running_at_once_notify_mark_and_send_once(
    siti: Person, officer: User, facility: Facility, add_credential: AddCredential, mailoutbox: list[Any]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite has a single writer")
    sip(add_credential, siti, facility, TODAY + timedelta(days=30))
    # Another kind: a lapsed SIP would count as renewed by the current one (no notice).
    lapsed = add_credential(siti, CredentialKind.REGISTRATION, expires_on=TODAY - timedelta(days=1))
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            run_expiry_watch(today=TODAY)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Two notices (person, officer) for each of the two credentials; one e-mail each.
    assert Notification.objects.count() == 4
    assert len(mailoutbox) == 4
    assert AuditEvent.objects.filter(object_type="credential", object_id=str(lapsed.pk)).count() == 1


def test_the_watch_marks_a_jayapura_sip_expired_at_24_00_wit_while_jakarta_s_day_goes_on(
    add_credential: AddCredential, siti: Person, facility: Facility, org: Organization
) -> None:
    jayapura = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Jayapura",
        code="jayapura",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Papua",
        regency="Kota Jayapura",
        regency_code="91.71",
        time_zone="Asia/Jayapura",
    )
    there = sip(add_credential, siti, jayapura, date(2026, 12, 31), number="SIP-JPR")
    here = sip(add_credential, siti, facility, date(2026, 12, 31), number="SIP-BDG")
    # 15:30 UTC: 00:30 WIT on 1 January in Jayapura, 22:30 WIB on 31 December in Bandung.
    with time_machine.travel(datetime(2026, 12, 31, 15, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        report = run_expiry_watch(send_email=False)
    assert report.expired == 1
    there.refresh_from_db()
    here.refresh_from_db()
    assert (there.status, here.status) == (CredentialStatus.EXPIRED, CredentialStatus.VERIFIED)
