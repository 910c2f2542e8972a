"""Diary writes: issue a link, revoke it, record the patient's entry through it.

Issuing is a privileged write like recording an assessment: inside its transaction the
requirements engine decides ``record_assessment`` for the issuing clinician at the link's
facility, and the decision relied on is written into the audit row. Revoking needs a
clinical role (stopping a link is always allowed to the clinic's staff).

A patient's entry has no user and no scope: the link is the credential. It is a pain
assessment with source *patient*, recorded at the link's facility, on behalf of the
clinician who issued the link (``recorded_by``), linked to the link, and audited with no
actor (the label names the diary link). A resent submission (same link, same submission
key) is stored once: the database's unique constraint decides between concurrent senders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.assessments.services import ACTION as RECORD_ASSESSMENT
from nyeri.clinical.diary.links import ACTOR_LABEL, LinkUnavailable, note_unavailable
from nyeri.clinical.diary.tokens import new_token
from nyeri.clinical.instruments import instrument as find_instrument
from nyeri.clinical.instruments.schema import Instrument
from nyeri.clinical.instruments.scoring import ScoreResult, answer_errors, compute_scores
from nyeri.clinical.models import (
    AssessmentAnswer,
    AssessmentScore,
    AssessmentSource,
    DiaryLink,
    DiaryLinkState,
    PainAssessment,
    Patient,
)
from nyeri.lib.services import Errors, add_error, check_acting_user
from nyeri.tenancy.clock import day_bounds, local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import write_transaction
from nyeri.tenancy.scope import Scope
from nyeri.workforce.door import authorize

# The instruments a patient records in the diary, in the order the page shows them.
DIARY_INSTRUMENTS = ("nrs", "peg")
# Entries per link, per instrument, per local day (the clinic's TIME_ZONE).
DAILY_LIMIT = 3
REASON_MAX = 1000
# A client-made key: a UUID, or the server's token_urlsafe(16) of the form.
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,64}")


def validity_days() -> tuple[int, int]:
    """(the validity a link gets by default, the longest it may get), in days, from the settings."""
    longest = settings.DIARY_LINK_MAX_DAYS
    return min(settings.DIARY_LINK_DAYS, longest), longest


# --- The privilege ---------------------------------------------------------------------


# --- Issuing and revoking ----------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    """A new link and its token: the only time the token exists outside the patient's hands."""

    link: DiaryLink
    token: str


def issue_link(
    *,
    scope: Scope,
    acting_user: User,
    patient: Patient,
    facility: Facility,
    valid_days: int | None = None,
    now: datetime | None = None,
) -> IssuedLink:
    """A private diary link for ``patient``, valid ``valid_days`` (default: DIARY_LINK_DAYS).

    ``facility`` is where the entries are recorded; the engine must allow the acting user
    to record assessments there. Refused with a ValidationError naming each bad field
    (``facility``, ``valid_days``), or ActionRefused with the engine's reasons.
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type="diary_link")
    if patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    default, longest = validity_days()
    days = default if valid_days is None else valid_days
    errors: Errors = {}
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= longest:
        add_error(
            errors,
            "valid_days",
            _("Choose how many days the link works: from 1 to %(max)d.") % {"max": longest},
        )
    if facility.organization_id != scope.organization.pk:
        add_error(errors, "facility", _("This facility is not part of your organization."))
    elif not scope.covers_facility(facility.pk):
        add_error(errors, "facility", _("Your membership does not cover this facility."))
    elif not facility.is_active:
        add_error(errors, "facility", _("This facility is no longer active."))
    if errors:
        raise ValidationError(errors)
    moment = now or timezone.now()
    prefix, secret_digest, token = new_token()
    with write_transaction():
        # Entries are recorded on the issuer's behalf: the issuer must be allowed to record them.
        allowed = authorize(
            scope,
            RECORD_ASSESSMENT,
            facility,
            object_type="diary_link",
            patient_id=patient.pk,
            no_record=_("You have no professional record in this organization, so your licences cannot be checked."),
            wording=_("You may not issue a diary link here: %(reasons)s"),
            itemize=False,
        )
        link = DiaryLink(
            organization=scope.organization,
            patient=patient,
            facility=facility,
            issued_by=acting_user,
            issued_at=moment,
            expires_at=moment + timedelta(days=days),
            token_prefix=prefix,
            token_digest=secret_digest,
        )
        link.save(force_insert=True)
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=facility,
            patient_id=patient.pk,
            object_type="diary_link",
            object_id=link.pk,
            reason=f"diary link issued for {days} day(s), until {link.expires_at.isoformat()}; " + allowed.basis,
        )
    return IssuedLink(link, token)


def revoke_link(
    *, scope: Scope, acting_user: User, link: DiaryLink, reason: str = "", now: datetime | None = None
) -> DiaryLink:
    """Stop a link at once (lost phone, wrong patient, end of treatment). It is kept, with who, when and why."""
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type="diary_link")
    if link.organization_id != scope.organization.pk or not scope.covers_facility(link.facility_id):
        raise Http404("No such diary link")
    text = (reason or "").strip()
    if len(text) > REASON_MAX:
        raise ValidationError({"reason": [_("At most %(max)d characters.") % {"max": REASON_MAX}]})
    with transaction.atomic():
        # Locked: an entry being recorded through the link finishes first, or sees it revoked.
        locked = DiaryLink.objects.select_for_update().get(pk=link.pk)
        # The time is read once the lock is held, so an entry stored just before (while this
        # waited for the lock) is never later than the revocation it preceded.
        moment = now or timezone.now()
        state = locked.state(moment)
        if state == DiaryLinkState.REVOKED:
            raise ValidationError({"link": [_("This link was already revoked.")]})
        if state == DiaryLinkState.EXPIRED:
            raise ValidationError({"link": [_("This link has already expired: it no longer works.")]})
        DiaryLink.objects.filter(pk=locked.pk).update(revoked_at=moment, revoked_by=acting_user, revoke_reason=text)
        record_event(
            actor=acting_user,
            action=AuditAction.CANCEL,
            organization=scope.organization,
            facility=link.facility,
            patient_id=link.patient_id,
            object_type="diary_link",
            object_id=link.pk,
            reason=f"diary link revoked: {text}" if text else "diary link revoked",
        )
    link.revoked_at, link.revoked_by, link.revoke_reason = moment, acting_user, text
    return link


# --- The patient's entries -----------------------------------------------------------------


@dataclass(frozen=True)
class DiaryEntry:
    assessment: PainAssessment
    # False: the submission had been stored before (a resend); this is that entry.
    created: bool


@dataclass(frozen=True)
class _Checked:
    instrument: Instrument
    answers: dict[str, int]
    results: list[ScoreResult]


def _check_entry(instrument_code: str, answers: Mapping[str, object], patient: Patient) -> _Checked:
    errors: Errors = {}
    found = find_instrument(instrument_code) if instrument_code in DIARY_INSTRUMENTS else None
    if found is None:
        raise ValidationError({"instrument": [_("Choose one of the diary's questionnaires.")]})
    problems = answer_errors(found, answers)
    for field, messages in problems.items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    # answer_errors has checked every value is a whole number in range (or None).
    clean = {code: value for code, value in answers.items() if isinstance(value, int)}
    return _Checked(found, clean, compute_scores(found, clean, sex=patient.sex))


def entries_on_day(link: DiaryLink, moment: datetime) -> dict[str, int]:
    """How many entries the link has per instrument on the local day of ``moment`` (one query).

    The day is the link's facility's: an entry at 23:30 WITA in Makassar counts for that
    WITA day, though it is already the next day in Jayapura and still 22:30 in Jakarta.
    """
    start, end = day_bounds(link.facility, local_date(link.facility, moment))
    rows = (
        PainAssessment.objects.filter(diary_link=link, recorded_at__gte=start, recorded_at__lt=end)
        .values_list("instrument_code")
        .order_by()
    )
    counts: dict[str, int] = {}
    for (code,) in rows:
        counts[code] = counts.get(code, 0) + 1
    return counts


class DailyLimitReached(ValidationError):
    """The link's entries for the instrument today are at the limit (under ``instrument``)."""


def daily_limit_message(instrument: Instrument) -> str:
    return ngettext(
        "%(instrument)s: at most %(limit)d entry a day. You can record the next one tomorrow.",
        "%(instrument)s: at most %(limit)d entries a day. You can record the next one tomorrow.",
        DAILY_LIMIT,
    ) % {"instrument": instrument.name(get_language()), "limit": DAILY_LIMIT}


def _existing(link: DiaryLink, key: str) -> PainAssessment | None:
    return PainAssessment.objects.filter(diary_link=link, submission_key=key).first()


def _write_rows(assessment: PainAssessment, checked: _Checked) -> None:
    org = assessment.organization_id
    AssessmentAnswer.objects.bulk_create(
        [
            AssessmentAnswer(organization_id=org, assessment=assessment, item_code=code, value=value)
            for code, value in checked.answers.items()
        ]
    )
    AssessmentScore.objects.bulk_create(
        [
            AssessmentScore(
                organization_id=org,
                assessment=assessment,
                score_code=r.score.code,
                value=r.value,
                band_code=r.band.code if r.band is not None else "",
            )
            for r in checked.results
            if r.value is not None
        ]
    )


def record_entry(
    *,
    link: DiaryLink,
    instrument_code: str,
    answers: Mapping[str, object],
    submission_key: str,
    now: datetime | None = None,
) -> DiaryEntry:
    """The patient's answers to ``instrument_code`` (NRS or PEG) through ``link``; scores computed here.

    ``link`` comes from ``resolve_link`` (the token was checked). Refused, nothing saved:
    a ValidationError naming each bad field (``answers.<item>``, ``instrument``,
    ``submission_key``; the daily limit under ``instrument``), or LinkUnavailable when the
    link was revoked or expired meanwhile. A submission key already stored for this link
    returns that entry (``created`` False) and stores nothing.
    """
    key = (submission_key or "").strip()
    if not SUBMISSION_KEY.fullmatch(key):
        raise ValidationError({"submission_key": [_("This form is out of date. Reload the page and try again.")]})
    earlier = _existing(link, key)
    if earlier is not None:
        return DiaryEntry(earlier, created=False)
    checked = _check_entry(instrument_code, answers, link.patient)
    moment = now or timezone.now()
    try:
        with transaction.atomic():
            # One writer per link at a time: the daily count and the revocation are decided under this lock.
            locked = DiaryLink.objects.select_for_update().get(pk=link.pk)
            state = locked.state(moment)
            if state != DiaryLinkState.ACTIVE:
                raise LinkUnavailable(state, link)
            earlier = _existing(link, key)
            if earlier is not None:
                return DiaryEntry(earlier, created=False)
            if entries_on_day(link, moment).get(checked.instrument.code, 0) >= DAILY_LIMIT:
                raise DailyLimitReached({"instrument": [daily_limit_message(checked.instrument)]})
            assessment = PainAssessment(
                organization_id=link.organization_id,
                patient_id=link.patient_id,
                facility_id=link.facility_id,
                instrument_code=checked.instrument.code,
                instrument_version=checked.instrument.version,
                recorded_at=moment,
                recorded_by_id=link.issued_by_id,
                source=AssessmentSource.PATIENT,
                diary_link=link,
                submission_key=key,
            )
            assessment.save(force_insert=True)
            _write_rows(assessment, checked)
            scores = ", ".join(f"{r.score.code}={r.value}" for r in checked.results if r.value is not None)
            record_event(
                actor=None,
                actor_label=ACTOR_LABEL,
                action=AuditAction.CREATE,
                organization=link.organization,
                facility=link.facility,
                patient_id=link.patient_id,
                object_type="pain_assessment",
                object_id=assessment.pk,
                reason=f"patient's own entry through diary link {link.pk} "
                f"(recorded on behalf of user {link.issued_by_id}): "
                f"{checked.instrument.code}@{checked.instrument.version}: {scores}",
            )
    except IntegrityError:
        # The same submission sent twice at once: the other request stored it.
        earlier = _existing(link, key)
        if earlier is None:
            raise
        return DiaryEntry(earlier, created=False)
    except LinkUnavailable as refused:
        note_unavailable(refused, purpose="entry refused")
        raise
    return DiaryEntry(assessment, created=True)
