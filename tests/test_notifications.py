"""Notifications: idempotent creation, own-only list, read marks, the unread badge, wording."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.notifications.context_processors import unread_notifications
from nyeri.notifications.messages import render_subject
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.notifications.selectors import unread_count
from nyeri.notifications.services import create_notification, mark_read, render_email
from nyeri.tenancy.models import Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from tests.conftest import MakeMember, log_in


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def notify(org: Organization, user: User, key: str, **facts: object) -> tuple[Notification, bool]:
    values: dict[str, object] = {
        "kind": NotificationKind.CREDENTIAL_EXPIRING,
        "object_type": "credential",
        "object_id": 12,
        "subject_key": "registration",
        "reference": "STR-77",
        "about": "Siti Rahma",
        "due_on": date(2026, 4, 1),
        "days_left": 30,
        "link": "/workforce/hours/expiring/#credential-12",
    }
    values.update(facts)
    return create_notification(organization=org, recipient=user, dedupe_key=key, **values)  # type: ignore[arg-type]


@pytest.fixture
def rina(make_member: MakeMember, org: Organization) -> User:
    return make_member(org, Role.CREDENTIALING_OFFICER, username="rina", language="en")


def test_creating_a_notification_twice_with_one_key_creates_and_audits_it_once(org: Organization, rina: User) -> None:
    first, created = notify(org, rina, "k1")
    again, created_again = notify(org, rina, "k1", days_left=3)
    assert (created, created_again, again.pk, again.days_left) == (True, False, first.pk, 30)
    assert Notification.objects.count() == 1
    event = AuditEvent.objects.get(object_type="notification")
    assert (event.action, event.object_id) == (AuditAction.CREATE, str(first.pk))


def test_a_notification_never_goes_to_someone_outside_the_organization(
    org: Organization, other_org: Organization, make_member: MakeMember
) -> None:
    outsider = make_member(other_org, Role.CREDENTIALING_OFFICER, username="luar")
    with pytest.raises(ValidationError) as exc:
        notify(org, outsider, "k1")
    assert list(exc.value.message_dict) == ["recipient"]
    assert not Notification.objects.exists()


def test_the_list_shows_only_the_users_own_notifications_in_their_language(
    org: Organization, rina: User, make_member: MakeMember, client: Client
) -> None:
    other = make_member(org, Role.CREDENTIALING_OFFICER, username="hendra", language="en")
    notify(org, rina, "mine")
    notify(org, other, "theirs", about="Budi Santoso")
    log_in(client, rina)
    page = client.get("/notifications/").content.decode()
    assert "The registration certificate (STR) no. STR-77 of Siti Rahma expires on 1 Apr 2026, in 30 days." in page
    assert "Budi Santoso" not in page
    assert "1 unread notification." in page


def test_reading_marks_it_read_once_and_opens_its_link(org: Organization, rina: User, client: Client) -> None:
    notification, _ = notify(org, rina, "k1")
    log_in(client, rina)
    response = client.post(f"/notifications/{notification.pk}/read/", {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/workforce/hours/expiring/#credential-12"
    notification.refresh_from_db()
    assert notification.read_at is not None
    client.post(f"/notifications/{notification.pk}/read/")
    assert AuditEvent.objects.filter(object_type="notification", action=AuditAction.UPDATE).count() == 1
    assert unread_count(scope_of(rina)) == 0


def test_someone_elses_notification_is_not_found(
    org: Organization, rina: User, make_member: MakeMember, client: Client
) -> None:
    other = make_member(org, Role.CREDENTIALING_OFFICER, username="hendra")
    theirs, _ = notify(org, other, "theirs")
    log_in(client, rina)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    with pytest.raises(Exception, match="No such notification"):
        mark_read(scope=scope_of(rina), notification=theirs)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_all_read_clears_the_unread_count(org: Organization, rina: User, client: Client) -> None:
    notify(org, rina, "a")
    notify(org, rina, "b")
    log_in(client, rina)
    response = client.post("/notifications/read-all/", follow=True)
    assert "2 notifications marked as read." in response.content.decode()
    assert unread_count(scope_of(rina)) == 0


def test_the_unread_badge_costs_one_query_and_only_when_shown(
    org: Organization,
    rina: User,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    notify(org, rina, "a")
    notify(org, rina, "b")
    request = RequestFactory().get("/")
    request.user = rina
    request.session = {}  # type: ignore[assignment]
    request._nyeri_scope = scope_of(rina)  # type: ignore[attr-defined]
    with django_assert_num_queries(0):
        context = unread_notifications(request)
    with django_assert_num_queries(1):
        assert str(context["nav_unread_notifications"]) == "2"


def test_the_message_reads_for_the_person_themselves_and_handles_one_day_and_today(
    org: Organization, rina: User
) -> None:
    own, _ = notify(org, rina, "own", about="", days_left=1, subject_key="practice_permit", reference="")
    assert own.message("en") == "Your practice permit (SIP) expires on 1 Apr 2026, in 1 day."
    assert render_subject(own, "en") == "Your practice permit (SIP) expires in 1 day"
    today, _ = notify(org, rina, "today", days_left=0)
    assert (
        today.message("en") == "The registration certificate (STR) no. STR-77 of Siti Rahma expires today, 1 Apr 2026."
    )
    expired, _ = notify(org, rina, "gone", kind=NotificationKind.CREDENTIAL_EXPIRED, days_left=-2)
    assert expired.message("en") == "The registration certificate (STR) no. STR-77 of Siti Rahma expired on 1 Apr 2026."


def test_the_email_is_rendered_in_the_recipients_language_without_html_escaping(
    org: Organization, rina: User, make_member: MakeMember
) -> None:
    notification, _ = notify(org, rina, "k1", about="O'Brien & Putri")
    subject, body = render_email(notification)
    assert subject == "O'Brien & Putri: registration certificate (STR) no. STR-77 expires in 30 days"
    assert "of O'Brien & Putri expires on 1 Apr 2026, in 30 days." in body
    assert "&amp;" not in body
    indonesian = make_member(org, Role.CREDENTIALING_OFFICER, username="wati", language="id")
    in_id, _ = notify(org, indonesian, "k2")
    _subject, body_id = render_email(in_id)
    assert "1 Apr 2026" in body_id
    assert "STR-77" in body_id
    assert "Siti Rahma" in body_id
