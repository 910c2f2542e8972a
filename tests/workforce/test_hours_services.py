"""The hours ledger: manual entries, verification by a supervisor, hours from encounters, reads."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.engine.facts import load_facts
from nyeri.workforce.engine.periods import months_before
from nyeri.workforce.hours import selectors, services
from nyeri.workforce.kinds import Citizenship, HoursSource, HoursStatus
from nyeri.workforce.models import HoursEntry, Person, PersonFacility, PersonRole
from tests.conftest import MakeMember


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def staff(
    make_member: MakeMember,
    org: Organization,
    role: Role,
    username: str,
    *facilities: Facility,
    membership_facilities: tuple[Facility, ...] = (),
) -> tuple[User, Person]:
    """A member with a login and the professional record of the same person."""
    user = make_member(org, role, username=username, facilities=membership_facilities, language="en")
    person = Person.objects.create(
        organization=org, user=user, full_name=username.title(), citizenship=Citizenship.CITIZEN
    )
    PersonRole.objects.create(organization=org, person=person, role=role)
    for f in facilities:
        PersonFacility.objects.create(organization=org, person=person, facility=f)
    return user, person


@pytest.fixture
def clinic(org: Organization) -> Facility:
    return Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Dago",
        code="dago",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )


@pytest.fixture
def siti(make_member: MakeMember, org: Organization, facility: Facility) -> tuple[User, Person]:
    return staff(make_member, org, Role.NURSE, "siti", facility)


@pytest.fixture
def budi(make_member: MakeMember, org: Organization, facility: Facility) -> tuple[User, Person]:
    """A pain physician working at the hospital unit."""
    return staff(make_member, org, Role.PAIN_PHYSICIAN, "budi", facility)


@pytest.fixture
def officer(make_member: MakeMember, org: Organization) -> User:
    return make_member(org, Role.CREDENTIALING_OFFICER, username="rina", language="en")


TODAY = timezone.localdate


def manual(user: User, person: Person, facility: Facility, **overrides: object) -> HoursEntry:
    values: dict[str, object] = {"worked_on": TODAY() - timedelta(days=1), "hours": Decimal("7.5"), "note": ""}
    values.update(overrides)
    return services.record_manual_hours(
        scope=scope_of(user),
        acting_user=user,
        person=person,
        facility=facility,
        **values,  # type: ignore[arg-type]
    )


# --- Recording ------------------------------------------------------------------------


def test_a_nurse_records_her_own_hours_as_submitted_and_the_entry_is_audited(
    siti: tuple[User, Person], facility: Facility
) -> None:
    user, person = siti
    entry = manual(user, person, facility, note="  poli nyeri  ")
    assert (entry.status, entry.source, entry.hours, entry.note) == (
        HoursStatus.SUBMITTED,
        HoursSource.MANUAL,
        Decimal("7.5"),
        "poli nyeri",
    )
    assert entry.entered_by == user
    event = AuditEvent.objects.get(object_type="hours_entry", object_id=str(entry.pk))
    assert (event.action, event.actor_id, event.facility_id) == (AuditAction.CREATE, user.pk, facility.pk)


def test_it_refuses_a_future_date_zero_hours_and_a_facility_where_the_person_does_not_work_naming_each_field(
    siti: tuple[User, Person], clinic: Facility
) -> None:
    user, person = siti
    with pytest.raises(ValidationError) as exc:
        manual(user, person, clinic, worked_on=TODAY() + timedelta(days=1), hours=0)
    assert set(exc.value.message_dict) == {"worked_on", "hours", "facility"}
    assert "Siti does not work at Klinik Nyeri Dago." in exc.value.message_dict["facility"]
    assert not HoursEntry.objects.exists()


def test_it_refuses_more_than_a_day_and_another_organizations_facility(
    siti: tuple[User, Person], other_facility: Facility
) -> None:
    user, person = siti
    with pytest.raises(ValidationError) as exc:
        manual(user, person, other_facility, hours="24.5")
    assert exc.value.message_dict == {
        "hours": ["A day has at most 24 hours."],
        "facility": ["This facility is not part of your organization."],
    }


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("-1", "The hours must be more than 0."),
        ("7.125", "Use at most two decimal places."),
        ("lots", "Enter the hours as a number, for example 7.5."),
        ("NaN", "Enter the hours as a number, for example 7.5."),
    ],
)
def test_it_names_the_hours_field_for_each_kind_of_bad_amount(
    siti: tuple[User, Person], facility: Facility, hours: str, message: str
) -> None:
    user, person = siti
    with pytest.raises(ValidationError) as exc:
        manual(user, person, facility, hours=hours)
    assert exc.value.message_dict == {"hours": [message]}


def test_a_day_cannot_hold_more_than_24_hours_across_entries(siti: tuple[User, Person], facility: Facility) -> None:
    user, person = siti
    day = TODAY() - timedelta(days=3)
    manual(user, person, facility, worked_on=day, hours="20")
    with pytest.raises(ValidationError) as exc:
        manual(user, person, facility, worked_on=day, hours="5")
    assert list(exc.value.message_dict) == ["hours"]
    assert "at most 4 more fit in the day" in exc.value.message_dict["hours"][0]
    manual(user, person, facility, worked_on=day, hours="4")
    assert HoursEntry.objects.filter(person=person, worked_on=day).count() == 2


def test_a_nurse_cannot_record_hours_for_a_colleague_and_the_refusal_is_audited(
    siti: tuple[User, Person], make_member: MakeMember, org: Organization, facility: Facility
) -> None:
    _, colleague = staff(make_member, org, Role.NURSE, "dewi", facility)
    user, _ = siti
    with pytest.raises(PermissionDenied):
        manual(user, colleague, facility)
    assert not HoursEntry.objects.exists()
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.outcome, event.object_id) == (
        AuditAction.PERMISSION_DENIED,
        AuditOutcome.DENIED,
        str(colleague.pk),
    )


def test_another_organizations_person_is_not_found(
    officer: User, other_org: Organization, other_facility: Facility
) -> None:
    foreign = Person.objects.create(organization=other_org, full_name="Orang Lain", citizenship="citizen")
    with pytest.raises(Http404):
        manual(officer, foreign, other_facility)


def test_a_credentialing_officer_records_hours_for_anyone_of_the_organization(
    officer: User, siti: tuple[User, Person], facility: Facility
) -> None:
    _, person = siti
    entry = manual(officer, person, facility)
    assert (entry.entered_by, entry.status) == (officer, HoursStatus.SUBMITTED)


def test_an_officer_limited_to_one_facility_cannot_record_at_another(
    make_member: MakeMember, org: Organization, facility: Facility, clinic: Facility, siti: tuple[User, Person]
) -> None:
    limited = make_member(org, Role.CREDENTIALING_OFFICER, username="limited", facilities=(clinic,))
    _, person = siti
    with pytest.raises(ValidationError) as exc:
        manual(limited, person, facility)
    assert exc.value.message_dict == {"facility": ["Your membership does not cover this facility."]}


# --- Verifying ------------------------------------------------------------------------


def test_a_physician_of_the_facility_verifies_and_only_then_the_hours_count_for_the_engine(
    siti: tuple[User, Person], budi: tuple[User, Person], facility: Facility
) -> None:
    user, person = siti
    entry = manual(user, person, facility, hours="8")
    facts = load_facts([person.pk], today=TODAY(), hour_windows=[12])[person.pk]
    assert facts.hours_in_window.get(12, 0.0) == 0.0
    physician, _ = budi
    services.verify_hours(scope=scope_of(physician), acting_user=physician, entry=entry)
    entry.refresh_from_db()
    assert (entry.status, entry.decided_by, entry.decided_at is not None) == (HoursStatus.VERIFIED, physician, True)
    facts = load_facts([person.pk], today=TODAY(), hour_windows=[12])[person.pk]
    assert facts.hours_in_window[12] == 8.0
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.object_type, event.reason) == (AuditAction.UPDATE, "hours_entry", "verified")


def test_nobody_verifies_their_own_hours(budi: tuple[User, Person], facility: Facility) -> None:
    physician, person = budi
    entry = manual(physician, person, facility)
    with pytest.raises(PermissionDenied):
        services.verify_hours(scope=scope_of(physician), acting_user=physician, entry=entry)
    entry.refresh_from_db()
    assert entry.status == HoursStatus.SUBMITTED
    denied = AuditEvent.objects.latest("seq")
    assert (denied.action, denied.reason) == (AuditAction.PERMISSION_DENIED, "own hours")


def test_who_entered_the_hours_cannot_verify_them_too(
    officer: User, siti: tuple[User, Person], facility: Facility
) -> None:
    _, person = siti
    entry = manual(officer, person, facility)
    with pytest.raises(PermissionDenied):
        services.verify_hours(scope=scope_of(officer), acting_user=officer, entry=entry)


def test_a_credentialing_officer_verifies_hours_entered_by_the_person(
    officer: User, siti: tuple[User, Person], clinic: Facility
) -> None:
    user, person = siti
    PersonFacility.objects.create(organization=person.organization, person=person, facility=clinic)
    entry = manual(user, person, clinic)
    services.verify_hours(scope=scope_of(officer), acting_user=officer, entry=entry)
    assert HoursEntry.objects.get(pk=entry.pk).status == HoursStatus.VERIFIED


def test_a_nurse_and_a_physician_of_another_facility_cannot_verify(
    make_member: MakeMember, org: Organization, siti: tuple[User, Person], facility: Facility, clinic: Facility
) -> None:
    user, person = siti
    entry = manual(user, person, facility)
    nurse, _ = staff(make_member, org, Role.NURSE, "dewi", facility)
    elsewhere, _ = staff(make_member, org, Role.ANESTHESIOLOGIST, "agus", clinic)
    for someone in (nurse, elsewhere):
        with pytest.raises(PermissionDenied):
            services.verify_hours(scope=scope_of(someone), acting_user=someone, entry=entry)
    assert HoursEntry.objects.get(pk=entry.pk).status == HoursStatus.SUBMITTED


def test_rejecting_needs_a_reason_and_the_reason_is_kept_in_the_audit_trail(
    siti: tuple[User, Person], budi: tuple[User, Person], facility: Facility
) -> None:
    user, person = siti
    entry = manual(user, person, facility)
    physician, _ = budi
    with pytest.raises(ValidationError) as exc:
        services.reject_hours(scope=scope_of(physician), acting_user=physician, entry=entry, reason="   ")
    assert exc.value.message_dict == {"reason": ["Say why these hours are rejected."]}
    assert HoursEntry.objects.get(pk=entry.pk).status == HoursStatus.SUBMITTED
    services.reject_hours(scope=scope_of(physician), acting_user=physician, entry=entry, reason="Libur hari itu")
    entry.refresh_from_db()
    assert (entry.status, entry.decided_by) == (HoursStatus.REJECTED, physician)
    assert AuditEvent.objects.latest("seq").reason == "rejected: Libur hari itu"


def test_decided_hours_cannot_be_decided_again(
    siti: tuple[User, Person], budi: tuple[User, Person], officer: User, facility: Facility
) -> None:
    user, person = siti
    entry = manual(user, person, facility)
    physician, _ = budi
    services.verify_hours(scope=scope_of(physician), acting_user=physician, entry=entry)
    stale = HoursEntry.objects.get(pk=entry.pk)
    stale.status = HoursStatus.SUBMITTED  # as a second supervisor's page still shows it
    with pytest.raises(ValidationError) as exc:
        services.reject_hours(scope=scope_of(officer), acting_user=officer, entry=stale, reason="late")
    assert list(exc.value.message_dict) == ["status"]
    assert HoursEntry.objects.get(pk=entry.pk).status == HoursStatus.VERIFIED


# --- Hours from encounters ------------------------------------------------------------


def test_encounter_hours_are_decided_at_once_and_a_resent_encounter_changes_nothing(
    org: Organization, siti: tuple[User, Person], facility: Facility
) -> None:
    _, person = siti
    day = TODAY() - timedelta(days=2)
    first = services.record_encounter_hours(
        organization=org, person=person, facility=facility, encounter_id=9001, worked_on=day, minutes=50
    )
    assert (first.status, first.source, first.hours, first.encounter_id) == (
        HoursStatus.VERIFIED,
        HoursSource.ENCOUNTER,
        Decimal("0.83"),
        9001,
    )
    audited = AuditEvent.objects.filter(object_type="hours_entry").count()
    again = services.record_encounter_hours(
        organization=org, person=person, facility=facility, encounter_id=9001, worked_on=day, minutes=90
    )
    assert again.pk == first.pk
    assert HoursEntry.objects.get().hours == Decimal("0.83")
    assert AuditEvent.objects.filter(object_type="hours_entry").count() == audited == 1
    event = AuditEvent.objects.get(object_type="hours_entry")
    assert (event.actor_id, event.actor_label) == (None, services.ENCOUNTER_ACTOR_LABEL)


def test_everyone_who_took_part_in_an_encounter_is_credited_once(
    org: Organization, siti: tuple[User, Person], budi: tuple[User, Person], facility: Facility
) -> None:
    day = TODAY() - timedelta(days=2)
    for person in (siti[1], budi[1], siti[1]):
        services.record_encounter_hours(
            organization=org, person=person, facility=facility, encounter_id=7, worked_on=day, minutes=30
        )
    assert sorted(HoursEntry.objects.filter(encounter_id=7).values_list("person_id", flat=True)) == sorted(
        [siti[1].pk, budi[1].pk]
    )


def test_encounter_hours_refuse_bad_minutes_a_future_day_and_another_organizations_rows(
    org: Organization, siti: tuple[User, Person], other_facility: Facility
) -> None:
    _, person = siti
    with pytest.raises(ValidationError) as exc:
        services.record_encounter_hours(
            organization=org,
            person=person,
            facility=other_facility,
            encounter_id=1,
            worked_on=TODAY() + timedelta(days=1),
            minutes=0,
        )
    assert set(exc.value.message_dict) == {"facility", "worked_on", "minutes"}
    assert not HoursEntry.objects.exists()


# --- Reads ----------------------------------------------------------------------------


def verified(person: Person, facility: Facility, on: date, amount: str, status: str = HoursStatus.VERIFIED) -> None:
    HoursEntry.objects.create(
        organization=person.organization,
        person=person,
        facility=facility,
        worked_on=on,
        hours=Decimal(amount),
        source=HoursSource.MANUAL,
        status=status,
    )


def test_totals_per_facility_use_the_engines_windows_in_one_query(
    siti: tuple[User, Person],
    facility: Facility,
    clinic: Facility,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    user, person = siti
    today = date(2026, 6, 15)
    verified(person, facility, today, "8")
    verified(person, facility, months_before(today, 12), "4")  # exactly 12 months back: outside 12, inside 36
    verified(person, clinic, today - timedelta(days=40), "2.5")
    verified(person, clinic, months_before(today, 36), "20")  # outside both windows
    verified(person, clinic, today - timedelta(days=5), "3", HoursStatus.SUBMITTED)
    verified(person, clinic, today - timedelta(days=6), "9", HoursStatus.REJECTED)
    scope = scope_of(user)
    with django_assert_num_queries(1):
        totals = selectors.hours_totals(scope, person, as_of=today)
    by_name = {f.facility_name: f for f in totals.facilities}
    assert [(w.months, w.hours) for w in by_name["Layanan Nyeri RS Sehat"].windows] == [(12, 8), (36, 12)]
    assert [(w.months, w.hours) for w in by_name["Klinik Nyeri Dago"].windows] == [
        (12, Decimal("2.5")),
        (36, Decimal("2.5")),
    ]
    assert [(w.months, w.hours) for w in totals.overall] == [(12, Decimal("10.5")), (36, Decimal("14.5"))]
    assert (totals.pending, by_name["Klinik Nyeri Dago"].pending) == (3, 3)
    facts = load_facts([person.pk], today=today, hour_windows=[12, 36])[person.pk]
    assert facts.hours_in_window == {12: 10.5, 36: 14.5}


def test_the_ledger_page_takes_two_queries_whatever_its_length(
    siti: tuple[User, Person],
    facility: Facility,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    user, person = siti
    for n in range(60):
        verified(person, facility, date(2026, 1, 1) + timedelta(days=n), "1")
    scope = scope_of(user)
    with django_assert_num_queries(2):
        page = selectors.person_ledger(scope, person, page=1)
        rows = [(e.worked_on, e.facility.name, e.entered_by, e.decided_by) for e in page.object_list]
    assert len(rows) == selectors.LEDGER_PAGE_SIZE
    assert rows[0][0] == date(2026, 3, 1)
    assert page.paginator.num_pages == 2


def test_a_nurse_cannot_read_a_colleagues_ledger(
    siti: tuple[User, Person], make_member: MakeMember, org: Organization, facility: Facility
) -> None:
    _, colleague = staff(make_member, org, Role.NURSE, "dewi", facility)
    with pytest.raises(PermissionDenied):
        selectors.hours_totals(scope_of(siti[0]), colleague)


def test_the_pending_list_holds_only_what_the_user_may_decide_in_one_query(
    make_member: MakeMember,
    org: Organization,
    officer: User,
    siti: tuple[User, Person],
    budi: tuple[User, Person],
    facility: Facility,
    clinic: Facility,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    nurse, person = siti
    PersonFacility.objects.create(organization=org, person=person, facility=clinic)
    here = manual(nurse, person, facility)
    there = manual(nurse, person, clinic, worked_on=TODAY() - timedelta(days=2))
    by_officer = manual(officer, person, facility, worked_on=TODAY() - timedelta(days=3))
    physician, own_person = budi
    own = manual(physician, own_person, facility)
    physician_scope = scope_of(physician)
    with django_assert_num_queries(1):
        for_physician = selectors.pending_verification(physician_scope)
        assert {e.pk for e in for_physician} == {here.pk, by_officer.pk}
        assert {e.person.full_name for e in for_physician} == {"Siti"}
    for_officer = selectors.pending_verification(scope_of(officer))
    assert [e.pk for e in for_officer] == [there.pk, here.pk, own.pk]
    with pytest.raises(PermissionDenied):
        selectors.pending_verification(scope_of(nurse))
