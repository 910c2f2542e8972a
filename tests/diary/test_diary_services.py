"""Diary links and entries through the services: issued by the engine's leave, stored as a
digest, revoked, expired; the patient's entries scored by the platform, capped per day, stored
once however often they are sent, and every step in the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.signing import Signer
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.accounts.tokens import digest
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.assessments import services as assessment_services
from nyeri.clinical.diary import selectors, services
from nyeri.clinical.diary.links import ACTOR_LABEL, LinkUnavailable, resolve_link
from nyeri.clinical.diary.services import DailyLimitReached, IssuedLink
from nyeri.clinical.diary.tokens import SALT, read_token
from nyeri.clinical.models import (
    AssessmentAnswer,
    AssessmentScore,
    AssessmentSource,
    AssessmentStatus,
    DiaryLink,
    DiaryLinkState,
    PainAssessment,
    Patient,
)
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.clinical.conftest import scope_of
from tests.conftest import MakeMember
from tests.diary.conftest import PEG, issue, submit

JAKARTA = ZoneInfo("Asia/Jakarta")


def nothing_saved() -> bool:
    return not (
        PainAssessment.objects.exists() or AssessmentAnswer.objects.exists() or AssessmentScore.objects.exists()
    )


def events(object_type: str, action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type, action=action).order_by("seq"))


# --- Issuing ------------------------------------------------------------------------------


def test_a_clinician_issues_a_link_that_stores_only_a_digest_of_its_secret(
    clinician_scope: Scope, patient: Patient, clinician: User
) -> None:
    before = timezone.now()
    issued = issue(clinician_scope, patient)
    link = DiaryLink.objects.get()
    parts = read_token(issued.token)
    assert parts is not None
    prefix, secret = parts
    assert (link.token_prefix, link.token_digest) == (prefix, digest(secret))
    # Neither the token nor its secret is in the row.
    stored = " ".join(str(v) for v in DiaryLink.objects.values().get().values())
    assert secret not in stored
    assert issued.token not in stored
    assert link.issued_by == clinician
    assert link.facility == patient.registered_at
    assert before <= link.issued_at <= timezone.now()
    assert link.expires_at - link.issued_at == timedelta(days=30)
    assert link.state(timezone.now()) == DiaryLinkState.ACTIVE
    [event] = events("diary_link", AuditAction.CREATE)
    assert (event.actor, event.patient_id, event.object_id, event.facility_id) == (
        clinician,
        patient.pk,
        str(link.pk),
        patient.registered_at_id,
    )
    assert "for 30 day(s)" in event.reason
    assert "record_assessment allowed for person" in event.reason
    assert secret not in event.reason


def test_each_link_gets_its_own_token(clinician_scope: Scope, patient: Patient) -> None:
    first, second = issue(clinician_scope, patient), issue(clinician_scope, patient)
    assert first.token != second.token
    assert first.link.token_prefix != second.link.token_prefix


def test_the_validity_is_chosen_per_link_within_the_limit(
    clinician_scope: Scope, patient: Patient, settings: Any
) -> None:
    settings.DIARY_LINK_MAX_DAYS = 14
    week = issue(clinician_scope, patient, valid_days=7)
    assert week.link.expires_at - week.link.issued_at == timedelta(days=7)
    for bad in (0, -3, 15):
        with pytest.raises(ValidationError) as caught:
            issue(clinician_scope, patient, valid_days=bad)
        assert list(caught.value.message_dict) == ["valid_days"]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        issue(clinician_scope, patient, valid_days=15)
    assert caught.value.message_dict["valid_days"] == ["Choose how many days the link works: from 1 to 14."]
    assert DiaryLink.objects.count() == 1


def test_the_default_validity_comes_from_the_settings_and_never_exceeds_the_limit(
    clinician_scope: Scope, patient: Patient, settings: Any
) -> None:
    settings.DIARY_LINK_DAYS = 10
    assert services.validity_days() == (10, 90)
    assert issue(clinician_scope, patient).link.expires_at - timezone.now() > timedelta(days=9)
    settings.DIARY_LINK_DAYS, settings.DIARY_LINK_MAX_DAYS = 100, 60
    assert services.validity_days() == (60, 60)


def test_a_nurse_without_a_practice_permit_may_not_issue_a_link_and_the_refusal_is_audited(
    unlicensed_nurse: User, patient: Patient
) -> None:
    with translation.override("en"), pytest.raises(ActionRefused) as caught:
        issue(scope_of(unlicensed_nurse), patient)
    assert caught.value.reasons
    assert caught.value.message.startswith("You may not issue a diary link here:")
    assert not DiaryLink.objects.exists()
    [event] = events("diary_link", AuditAction.PERMISSION_DENIED)
    assert (event.actor, event.outcome, event.patient_id) == (unlicensed_nurse, AuditOutcome.DENIED, patient.pk)
    assert "record_assessment refused" in event.reason


def test_a_member_without_a_professional_record_may_not_issue_a_link(
    org: Organization, patient: Patient, make_member: MakeMember
) -> None:
    nurse = make_member(org, Role.NURSE, username="tanpa.data")
    with pytest.raises(ActionRefused):
        issue(scope_of(nurse), patient)
    assert not DiaryLink.objects.exists()


def test_another_organization_s_patient_or_facility_is_refused(
    clinician_scope: Scope, patient: Patient, foreign_patient: Patient, other_facility: Facility
) -> None:
    with pytest.raises(Http404):
        issue(clinician_scope, foreign_patient, facility=patient.registered_at)
    with pytest.raises(ValidationError) as caught:
        issue(clinician_scope, patient, facility=other_facility)
    assert list(caught.value.message_dict) == ["facility"]
    assert not DiaryLink.objects.exists()


# --- The patient's entries ----------------------------------------------------------------


def test_the_patient_records_a_rating_as_their_own_entry_on_the_issuer_s_behalf(
    link: DiaryLink, patient: Patient, clinician: User
) -> None:
    saved = submit(link, answers={"intensity": 6})
    entry = PainAssessment.objects.get()
    assert saved.created
    assert saved.assessment == entry
    assert (entry.source, entry.status, entry.diary_link, entry.recorded_by, entry.facility) == (
        AssessmentSource.PATIENT,
        AssessmentStatus.CURRENT,
        link,
        clinician,
        patient.registered_at,
    )
    assert (entry.patient, entry.instrument_code, entry.instrument_version) == (patient, "nrs", "2026.11-1")
    assert entry.submission_key == "key-00000001"
    [score] = entry.scores.all()
    assert (score.score_code, score.value, score.band_code) == ("total", Decimal(6), "moderate")
    [event] = events("pain_assessment", AuditAction.CREATE)
    assert event.actor is None
    assert event.actor_label == ACTOR_LABEL
    assert (event.patient_id, event.object_id, event.organization_id) == (
        patient.pk,
        str(entry.pk),
        patient.organization_id,
    )
    assert f"diary link {link.pk}" in event.reason
    assert "total=6" in event.reason


def test_a_peg_entry_is_scored_by_the_platform(link: DiaryLink) -> None:
    entry = submit(link, "peg", PEG).assessment
    assert {a.item_code: a.value for a in entry.answers.all()} == PEG
    [score] = entry.scores.all()
    assert (score.score_code, score.value) == ("total", Decimal("6.0"))


def test_a_rating_of_11_is_refused_naming_the_item_and_nothing_is_saved(link: DiaryLink) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        submit(link, answers={"intensity": 11})
    assert caught.value.message_dict == {"answers.intensity": ["Enter a whole number from 0 to 10."]}
    with translation.override("id"), pytest.raises(ValidationError) as caught:
        submit(link, answers={"intensity": 11})
    assert caught.value.message_dict["answers.intensity"] != ["Enter a whole number from 0 to 10."]
    assert nothing_saved()


def test_a_peg_with_a_missing_item_is_refused_naming_the_item_and_nothing_is_saved(link: DiaryLink) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        submit(link, "peg", {"pain_average": 7, "enjoyment": None, "general_activity": 6})
    assert caught.value.message_dict == {"answers.enjoyment": ["This item needs an answer."]}
    with pytest.raises(ValidationError) as caught:
        submit(link, "peg", {"pain_average": 7})
    assert set(caught.value.message_dict) == {"answers.enjoyment", "answers.general_activity"}
    assert nothing_saved()


@pytest.mark.parametrize("answers", [{"intensity": -1}, {"intensity": True}, {"intensity": "5"}, {"mood": 3}])
def test_other_bad_answers_are_refused(link: DiaryLink, answers: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        submit(link, answers=answers)
    assert nothing_saved()


@pytest.mark.parametrize("code", ["bpi_sf", "phq9", "nope", ""])
def test_only_the_diary_s_instruments_are_recorded(link: DiaryLink, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        submit(link, code, {"intensity": 5})
    assert list(caught.value.message_dict) == ["instrument"]
    assert nothing_saved()


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "has space!", "ünïcode-key"])
def test_a_malformed_submission_key_is_refused(link: DiaryLink, key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        submit(link, key=key)
    assert list(caught.value.message_dict) == ["submission_key"]
    assert nothing_saved()


# --- Idempotency --------------------------------------------------------------------------


def test_a_resent_submission_is_stored_once(link: DiaryLink) -> None:
    first = submit(link, key="tap-0000001")
    again = submit(link, key="tap-0000001")
    # Even with other answers: the key names the submission, and it was stored.
    third = submit(link, answers={"intensity": 2}, key="tap-0000001")
    assert first.created
    assert not again.created
    assert not third.created
    assert first.assessment.pk == again.assessment.pk == third.assessment.pk
    assert PainAssessment.objects.count() == 1
    assert len(events("pain_assessment", AuditAction.CREATE)) == 1
    assert submit(link, key="tap-0000002").created
    assert PainAssessment.objects.count() == 2


def test_the_same_key_on_another_link_is_another_submission(
    link: DiaryLink, clinician_scope: Scope, patient: Patient
) -> None:
    other = resolve_link(issue(clinician_scope, patient).token)
    assert submit(link, key="same-key-123").created
    assert submit(other, key="same-key-123").created
    assert PainAssessment.objects.count() == 2


def test_a_resend_racing_past_the_checks_is_caught_by_the_unique_constraint(
    link: DiaryLink, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = submit(link, key="race-000001")
    real = services._existing
    calls: list[str] = []

    def late(link: DiaryLink, key: str) -> PainAssessment | None:
        # The two checks before the insert miss the entry (as a concurrent sender's would);
        # the insert then meets the constraint, and the entry is found after it.
        calls.append(key)
        return None if len(calls) <= 2 else real(link, key)

    monkeypatch.setattr(services, "_existing", late)
    again = submit(link, key="race-000001")
    assert len(calls) == 3
    assert not again.created
    assert again.assessment.pk == first.assessment.pk
    assert PainAssessment.objects.count() == 1
    assert len(events("pain_assessment", AuditAction.CREATE)) == 1


# --- The daily limit -------------------------------------------------------------------------


def test_at_most_three_entries_a_day_per_instrument(link: DiaryLink) -> None:
    morning = datetime(2026, 11, 20, 8, 0, tzinfo=JAKARTA)
    for n in range(3):
        submit(link, key=f"nrs-key-{n:04d}", now=morning + timedelta(hours=n))
    with translation.override("en"), pytest.raises(DailyLimitReached) as caught:
        submit(link, key="nrs-key-0003", now=morning + timedelta(hours=5))
    assert caught.value.message_dict == {
        "instrument": [
            "Numeric Rating Scale for pain, 0-10 (NRS): at most 3 entries a day. You can record the next one tomorrow."
        ]
    }
    assert PainAssessment.objects.count() == 3
    # The PEG has its own count; the next day starts afresh.
    assert submit(link, "peg", PEG, key="peg-key-0000", now=morning + timedelta(hours=6)).created
    assert submit(link, key="nrs-key-0004", now=morning + timedelta(days=1)).created


def test_the_day_is_the_clinic_s_local_day(link: DiaryLink) -> None:
    # 23:10-23:50 in Jakarta is 16:10-16:50 UTC: still the 20th; 00:30 is the 21st.
    late = datetime(2026, 11, 20, 23, 10, tzinfo=JAKARTA)
    for n in range(3):
        submit(link, key=f"late-key-{n:03d}", now=late + timedelta(minutes=20 * n))
    with pytest.raises(DailyLimitReached):
        submit(link, key="late-key-003", now=datetime(2026, 11, 20, 23, 59, tzinfo=JAKARTA))
    assert submit(link, key="late-key-004", now=datetime(2026, 11, 21, 0, 30, tzinfo=JAKARTA)).created
    assert services.entries_on_day(link, datetime(2026, 11, 20, 12, 0, tzinfo=JAKARTA)) == {"nrs": 3}


def test_an_entry_at_23_30_wita_counts_for_that_wita_day(link: DiaryLink) -> None:
    makassar = ZoneInfo("Asia/Makassar")
    Facility.objects.filter(pk=link.facility_id).update(time_zone="Asia/Makassar")
    link.facility.refresh_from_db()
    # 23:30 WITA on the 20th is 22:30 WIB (the 20th too) but 15:30 UTC; 00:10 WITA is the 21st.
    for n in range(2):
        submit(link, key=f"wita-key-{n:03d}", now=datetime(2026, 11, 20, 12 + n, 0, tzinfo=makassar))
    submit(link, key="wita-key-002", now=datetime(2026, 11, 20, 23, 30, tzinfo=makassar))
    assert services.entries_on_day(link, datetime(2026, 11, 20, 8, 0, tzinfo=makassar)) == {"nrs": 3}
    with pytest.raises(DailyLimitReached):
        submit(link, key="wita-key-003", now=datetime(2026, 11, 20, 23, 50, tzinfo=makassar))
    # 00:10 WITA on the 21st is still 23:10 WIB on the 20th: the WITA day has turned.
    assert submit(link, key="wita-key-004", now=datetime(2026, 11, 21, 0, 10, tzinfo=makassar)).created


def test_a_resend_after_the_limit_is_still_the_stored_entry(link: DiaryLink) -> None:
    now = datetime(2026, 11, 20, 9, 0, tzinfo=JAKARTA)
    stored = [submit(link, key=f"key-{n:08d}", now=now) for n in range(3)]
    assert submit(link, key="key-00000002", now=now).assessment == stored[2].assessment


# --- Expiry, revocation, tampering -----------------------------------------------------------


def test_an_expired_link_is_refused_and_the_refusal_is_audited(issued: IssuedLink, link: DiaryLink) -> None:
    after = issued.link.expires_at + timedelta(seconds=1)
    with pytest.raises(LinkUnavailable) as caught:
        resolve_link(issued.token, now=after)
    assert (caught.value.state, caught.value.gone) == (DiaryLinkState.EXPIRED, True)
    with pytest.raises(LinkUnavailable):
        submit(link, now=after)
    assert nothing_saved()
    denied = events("diary_link", AuditAction.PERMISSION_DENIED)
    assert [e.reason for e in denied] == [
        f"diary link {link.pk} expired: opened",
        f"diary link {link.pk} expired: entry refused",
    ]
    assert all(e.actor is None and e.actor_label == ACTOR_LABEL for e in denied)
    # Still valid a second before.
    assert resolve_link(issued.token, now=issued.link.expires_at - timedelta(seconds=1)) == link


def test_a_revoked_link_stops_working_and_is_kept(
    issued: IssuedLink, link: DiaryLink, clinician_scope: Scope, clinician: User
) -> None:
    submit(link)
    services.revoke_link(scope=clinician_scope, acting_user=clinician, link=issued.link, reason="lost phone")
    revoked = DiaryLink.objects.get()
    assert (revoked.revoked_by, revoked.revoke_reason) == (clinician, "lost phone")
    assert revoked.state(timezone.now()) == DiaryLinkState.REVOKED
    with pytest.raises(LinkUnavailable) as caught:
        resolve_link(issued.token)
    assert caught.value.state == DiaryLinkState.REVOKED
    # The entry made before stays.
    assert PainAssessment.objects.filter(diary_link=revoked).count() == 1
    [event] = events("diary_link", AuditAction.CANCEL)
    assert (event.actor, event.reason) == (clinician, "diary link revoked: lost phone")
    with pytest.raises(ValidationError) as again:
        services.revoke_link(scope=clinician_scope, acting_user=clinician, link=issued.link)
    assert list(again.value.message_dict) == ["link"]


def test_a_link_revoked_while_the_patient_is_submitting_refuses_the_entry(
    issued: IssuedLink, link: DiaryLink, clinician_scope: Scope, clinician: User
) -> None:
    services.revoke_link(scope=clinician_scope, acting_user=clinician, link=issued.link)
    with pytest.raises(LinkUnavailable):
        submit(link)
    assert nothing_saved()


def test_an_expired_link_cannot_be_revoked(clinician_scope: Scope, clinician: User, patient: Patient) -> None:
    old = issue(clinician_scope, patient, valid_days=1, now=timezone.now() - timedelta(days=2))
    with pytest.raises(ValidationError):
        services.revoke_link(scope=clinician_scope, acting_user=clinician, link=old.link)


def _swap(token: str, index: int) -> str:
    chars = list(token)
    chars[index] = "A" if chars[index] != "A" else "B"
    return "".join(chars)


def test_a_tampered_or_made_up_token_is_unknown_and_not_audited(
    issued: IssuedLink, clinician_scope: Scope, patient: Patient, settings: Any
) -> None:
    token = issued.token
    prefix, secret = token.split(".")[:2]
    other = issue(clinician_scope, patient).token
    other_prefix = other.split(".")[0]
    made_up = [
        _swap(token, len(prefix) + 3),  # the secret
        _swap(token, len(token) - 2),  # the signature
        _swap(token, 2),  # the prefix
        token[:-1],
        token + "x",
        f"{prefix}.{secret}",
        "x" * 200,
        "",
        # A correctly signed token with another link's prefix and this link's secret.
        Signer(salt=SALT, sep=".").sign(f"{other_prefix}.{secret}"),
    ]
    for bad in made_up:
        with pytest.raises(LinkUnavailable) as caught:
            resolve_link(bad)
        assert (caught.value.state, caught.value.gone) == ("unknown", False)
    settings.SECRET_KEY = "another-secret-key-" + "y" * 40
    with pytest.raises(LinkUnavailable):
        resolve_link(token)
    assert not events("diary_link", AuditAction.PERMISSION_DENIED)


# --- Staff reads: scoped ---------------------------------------------------------------------


def test_the_list_shows_each_link_s_state_and_entries_in_one_query(
    issued: IssuedLink, link: DiaryLink, clinician_scope: Scope, clinician: User, patient: Patient
) -> None:
    submit(link, key="list-key-001")
    submit(link, "peg", PEG, key="list-key-002")
    second = issue(clinician_scope, patient)
    services.revoke_link(scope=clinician_scope, acting_user=clinician, link=second.link)
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.patient_diary_links(clinician_scope, patient)
    assert len(queries) == 1
    assert [(r.link.pk, r.state, r.entries) for r in rows] == [
        (second.link.pk, DiaryLinkState.REVOKED, 0),
        (issued.link.pk, DiaryLinkState.ACTIVE, 2),
    ]
    assert rows[1].last_entry_at is not None


def test_another_organization_s_link_is_not_found(
    issued: IssuedLink, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    outsider = make_member(other_org, Role.NURSE, username="luar")
    scope = scope_of(outsider)
    with pytest.raises(Http404):
        selectors.access_link(scope, issued.link.pk)
    with pytest.raises(Http404):
        services.revoke_link(scope=scope, acting_user=outsider, link=issued.link)
    assert DiaryLink.objects.get().revoked_at is None


def test_a_member_limited_to_another_facility_does_not_see_the_link(
    issued: IssuedLink, org: Organization, make_member: MakeMember, patient: Patient
) -> None:
    elsewhere = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Cimahi",
        code="cimahi",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )
    nurse = make_member(org, Role.NURSE, username="cimahi", facilities=(elsewhere,))
    scope = scope_of(nurse)
    with pytest.raises(Http404):
        selectors.access_link(scope, issued.link.pk)
    assert selectors.patient_diary_links(scope, patient) == []


def test_a_diary_entry_can_be_marked_entered_in_error_and_keeps_its_link(
    link: DiaryLink, clinician_scope: Scope, clinician: User
) -> None:
    entry = submit(link).assessment
    assessment_services.mark_entered_in_error(
        scope=clinician_scope, acting_user=clinician, assessment=entry, reason="sent by a relative"
    )
    entry.refresh_from_db()
    assert (entry.status, entry.diary_link_id) == (AssessmentStatus.ENTERED_IN_ERROR, link.pk)
