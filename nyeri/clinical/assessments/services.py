"""Assessment writes: record, amend (a new version), mark entered in error.

Recording is a privileged write: inside its transaction the door
(``nyeri.workforce.door.authorize``) asks the requirements engine whether the acting user's
professional record (Person) may ``record_assessment`` at the facility (the encounter's, or
the one chosen); the decision relied on is written into the audit row. A refusal is
audited after the write's rollback and raised as ``ActionRefused`` with the engine's
reasons. Bad input is refused before anything is written, each field named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.instruments import instrument as find_instrument
from nyeri.clinical.instruments.schema import Instrument
from nyeri.clinical.instruments.scoring import ScoreResult, answer_errors, compute_scores
from nyeri.clinical.models import (
    AssessmentAnswer,
    AssessmentBodySite,
    AssessmentScore,
    AssessmentSource,
    AssessmentStatus,
    BodyView,
    Encounter,
    EncounterStatus,
    Laterality,
    PainAssessment,
    PainCharacter,
    Patient,
)
from nyeri.lib.bodysites import body_sites
from nyeri.lib.services import Errors, add_error, check_acting_user
from nyeri.lib.sql import insert_rows
from nyeri.tenancy.clock import at_facility, format_facility_time
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import write_transaction
from nyeri.tenancy.scope import Scope
from nyeri.workforce.door import Verdict, authorize

ACTION = "record_assessment"
REASON_MAX = 1000


@dataclass(frozen=True)
class BodySiteIn:
    region: str
    view: str
    laterality: str


# --- Checking the input -----------------------------------------------------------------


def body_site_errors(sites: Iterable[BodySiteIn]) -> list[str]:
    """Each site must be a catalogue region, seen from one of its views, on one of its sides."""
    catalogue = body_sites()
    language = get_language()
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for site in sites:
        region = catalogue.site(site.region)
        # A site of the vocabulary that is not drawn (a whole limb) cannot be marked either.
        if region is None or not region.on_body_map:
            problems.append(_("%(region)s is not in the body map.") % {"region": site.region})
            continue
        name = _in_sentence(region.label(language))
        if site.view not in region.views:
            view = _label(BodyView, site.view)
            problems.append(
                capfirst(_("%(region)s cannot be marked on the %(view)s view.") % {"region": name, "view": view})
            )
        elif (site.region, site.view) in seen:
            problems.append(capfirst(_("%(region)s is marked twice on the same view.") % {"region": name}))
        seen.add((site.region, site.view))
        if not site.laterality:
            problems.append(_("Choose the side of %(region)s.") % {"region": name})
        elif site.laterality not in region.sides:
            side = _label(Laterality, site.laterality)
            problems.append(capfirst(_("%(region)s cannot be marked %(side)s.") % {"region": name, "side": side}))
    return problems


def _in_sentence(text: str) -> str:
    # "Choose the side of knee": lower-case the first letter, but keep an acronym ("BPI").
    return text if len(text) > 1 and text[1].isupper() else text[:1].lower() + text[1:]


def _label(choices: type[BodyView] | type[Laterality], value: str) -> str:
    # Lower-cased to read inside a sentence ("on the back view", "cannot be marked midline").
    return str(choices(value).label).lower() if value in choices.values else value


@dataclass(frozen=True)
class _Checked:
    instrument: Instrument
    answers: dict[str, int]
    results: list[ScoreResult]
    sites: tuple[BodySiteIn, ...]


def _check_content(
    *,
    instrument_code: str,
    patient: Patient,
    answers: Mapping[str, int | None],
    body_sites: Iterable[BodySiteIn],
    pain_character: str,
    source: str,
    recorded_at: datetime,
    errors: Errors,
) -> _Checked | None:
    """Check what an assessment says (for a new one and an amendment alike)."""
    sites = tuple(body_sites)
    found = find_instrument(instrument_code)
    results: list[ScoreResult] = []
    if found is None:
        add_error(errors, "instrument", _("Unknown instrument %(code)s.") % {"code": instrument_code})
    else:
        problems = answer_errors(found, answers)
        for field, messages in problems.items():
            errors.setdefault(field, []).extend(messages)
        if not problems:
            results = compute_scores(found, answers, sex=patient.sex)
            if all(r.value is None for r in results):
                short = results[0]
                add_error(
                    errors,
                    "answers",
                    _("Too few answers for a score: %(answered)d answered, at least %(needed)d needed.")
                    % {"answered": short.answered, "needed": short.needed},
                )
    for problem in body_site_errors(sites):
        add_error(errors, "body_sites", problem)
    if pain_character and pain_character not in PainCharacter.values:
        add_error(errors, "pain_character", _("Choose one of the pain characters."))
    if source not in AssessmentSource.values:
        add_error(errors, "source", _("Choose who gave the answers."))
    if recorded_at > timezone.now():
        add_error(errors, "recorded_at", _("The time of the assessment cannot be in the future."))
    if errors or found is None:
        return None
    return _Checked(found, {k: v for k, v in answers.items() if v is not None}, results, sites)


def _reason(reason: str, errors: Errors) -> str:
    text = (reason or "").strip()
    if not text:
        add_error(errors, "reason", _("Give a reason."))
    elif len(text) > REASON_MAX:
        add_error(errors, "reason", _("At most %(max)d characters.") % {"max": REASON_MAX})
    return text


# --- The privilege ---------------------------------------------------------------------


def record_privilege(
    scope: Scope, facility: Facility, *, patient_id: int | None = None, object_id: int | str = ""
) -> Verdict:
    """The door's yes for the acting user at ``facility``; on a no, ``ActionRefused`` (audited).

    Recording an assessment and issuing a diary link (entries recorded on the issuer's
    behalf) ask the same question.
    """
    return authorize(
        scope,
        ACTION,
        facility,
        object_type="pain_assessment",
        patient_id=patient_id,
        object_id=object_id,
        no_record=_("You have no professional record in this organization, so your licences cannot be checked."),
        wording=_("You may not record a pain assessment here: %(reasons)s"),
        itemize=False,
    )


# --- Writing ----------------------------------------------------------------------------


CENTS = Decimal("0.01")


def _write_rows(assessment: PainAssessment, checked: _Checked) -> None:
    """Insert the answers, scores and body sites, and keep them on ``assessment`` (as if
    prefetched): the answer is built from the rows just written, not read again."""
    org = assessment.organization
    answers = insert_rows(
        [
            AssessmentAnswer(organization=org, assessment=assessment, item_code=code, value=value)
            for code, value in checked.answers.items()
        ]
    )
    scores = insert_rows(
        [
            AssessmentScore(
                organization=org,
                assessment=assessment,
                score_code=r.score.code,
                # As the column stores it (two decimals), as a read would return it.
                value=Decimal(str(r.value)).quantize(CENTS),
                band_code=r.band.code if r.band is not None else "",
            )
            for r in checked.results
            if r.value is not None
        ]
    )
    sites: list[AssessmentBodySite] = []
    if checked.sites:
        sites = insert_rows(
            [
                AssessmentBodySite(
                    organization=org, assessment=assessment, region=s.region, view=s.view, laterality=s.laterality
                )
                for s in checked.sites
            ]
        )
    _keep(assessment, answers=answers, scores=scores, body_sites=sites)


def _keep(assessment: PainAssessment, **related: list[Any]) -> None:
    # As prefetch_related leaves them: a queryset whose results are already there.
    cache: dict[str, QuerySet[Any]] = {}
    for name, found in related.items():
        queryset = getattr(assessment, name).all()
        queryset._result_cache = found
        queryset._prefetch_done = True
        cache[name] = queryset
    assessment._prefetched_objects_cache = cache  # type: ignore[attr-defined]


def _scores_text(checked: _Checked) -> str:
    return ", ".join(f"{r.score.code}={r.value}" for r in checked.results if r.value is not None)


def record_assessment(
    *,
    scope: Scope,
    acting_user: User,
    patient: Patient,
    instrument_code: str,
    answers: Mapping[str, int | None],
    encounter: Encounter | None = None,
    facility: Facility | None = None,
    recorded_at: datetime | None = None,
    source: str = AssessmentSource.CLINICIAN,
    body_sites: Iterable[BodySiteIn] = (),
    pain_character: str = "",
) -> PainAssessment:
    """Record ``patient``'s answers to an instrument; the platform computes the scores.

    In an encounter, at the encounter's facility; otherwise at ``facility``. Refused with
    a ValidationError naming each bad field (nothing saved), or with AssessmentRefused when
    the engine does not allow the acting user to record assessments there.
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type="pain_assessment")
    if patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    errors: Errors = {}
    # Typed where it was recorded (the encounter's facility, else the chosen one): a naive
    # time is that facility's wall clock (see docs/api.md).
    typed_at = encounter.facility if encounter is not None else facility
    moment = timezone.now() if recorded_at is None else at_facility(recorded_at, typed_at)
    place = _place(scope, patient, encounter, facility, moment, errors)
    checked = _check_content(
        instrument_code=instrument_code,
        patient=patient,
        answers=answers,
        body_sites=body_sites,
        pain_character=pain_character,
        source=source,
        recorded_at=moment,
        errors=errors,
    )
    if errors or checked is None or place is None:
        raise ValidationError(errors)
    with write_transaction():
        if encounter is not None:
            _lock_open_encounter(encounter)
        allowed = record_privilege(scope, place, patient_id=patient.pk)
        assessment = PainAssessment(
            organization=scope.organization,
            patient=patient,
            encounter=encounter,
            facility=place,
            instrument_code=checked.instrument.code,
            instrument_version=checked.instrument.version,
            recorded_at=moment,
            recorded_by=acting_user,
            source=source,
            pain_character=pain_character,
        )
        insert_rows([assessment])
        _write_rows(assessment, checked)
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=place,
            patient_id=patient.pk,
            object_type="pain_assessment",
            object_id=assessment.pk,
            reason=f"{checked.instrument.code}@{checked.instrument.version}: {_scores_text(checked)}; " + allowed.basis,
        )
    return assessment


def _lock_open_encounter(encounter: Encounter) -> None:
    # Locked like cancel_encounter locks it: a visit is not cancelled while an assessment
    # is being added to it, nor an assessment added to a visit just cancelled.
    status = Encounter.objects.select_for_update().filter(pk=encounter.pk).values_list("status", flat=True).first()
    if status == EncounterStatus.CANCELLED:
        raise ValidationError({"encounter": [_("This encounter was cancelled.")]})


def _before_encounter(encounter: Encounter) -> str:
    return _("The assessment cannot be before the encounter began (%(start)s).") % {
        "start": format_facility_time(encounter.starts_at, encounter.facility)
    }


def _place(
    scope: Scope,
    patient: Patient,
    encounter: Encounter | None,
    facility: Facility | None,
    moment: datetime,
    errors: Errors,
) -> Facility | None:
    """Where the assessment is recorded: the encounter's facility, or the one chosen."""
    if encounter is not None:
        if encounter.organization_id != scope.organization.pk or encounter.patient_id != patient.pk:
            add_error(errors, "encounter", _("This encounter is not one of this patient's."))
            return None
        if encounter.status == EncounterStatus.CANCELLED:
            add_error(errors, "encounter", _("This encounter was cancelled."))
        if facility is not None and facility.pk != encounter.facility_id:
            add_error(errors, "facility", _("An assessment in an encounter is recorded at the encounter's facility."))
        if moment < encounter.starts_at:
            add_error(errors, "recorded_at", _before_encounter(encounter))
        if not scope.covers_facility(encounter.facility_id):
            add_error(errors, "encounter", _("Your membership does not cover this facility."))
        return encounter.facility
    if facility is None:
        add_error(errors, "facility", _("Choose the facility where the patient was assessed."))
    elif facility.organization_id != scope.organization.pk:
        add_error(errors, "facility", _("This facility is not part of your organization."))
    elif not scope.covers_facility(facility.pk):
        add_error(errors, "facility", _("Your membership does not cover this facility."))
    else:
        return facility
    return None


def _lock_current(scope: Scope, assessment: PainAssessment) -> PainAssessment:
    # Locked, then checked: of two users correcting the same version at once, the second
    # finds it no longer current. Only the status is read again: the caller's object (with
    # its patient, facility and encounter) is the row.
    status = (
        PainAssessment.objects.select_for_update()
        .filter(organization=scope.organization, pk=assessment.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status is None:
        raise Http404("No such assessment")
    assessment.status = status
    locked = assessment
    if locked.status != AssessmentStatus.CURRENT:
        raise ValidationError(
            {
                "status": [
                    _("This assessment is no longer current (%(status)s): correct the current version.")
                    % {"status": str(AssessmentStatus(locked.status).label).lower()}
                ]
            }
        )
    return locked


def amend_assessment(
    *,
    scope: Scope,
    acting_user: User,
    assessment: PainAssessment,
    reason: str,
    answers: Mapping[str, int | None],
    body_sites: Iterable[BodySiteIn] = (),
    pain_character: str = "",
    recorded_at: datetime | None = None,
    source: str | None = None,
) -> PainAssessment:
    """Correct a current assessment: a new version replaces it; the earlier one is kept as *amended*.

    The new version has the same patient, encounter, facility and instrument (scored by
    the instrument's current version), and says who amended it, when and why.
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type="pain_assessment")
    if assessment.organization_id != scope.organization.pk or not scope.covers_facility(assessment.facility_id):
        raise Http404("No such assessment")
    errors: Errors = {}
    text = _reason(reason, errors)
    moment = assessment.recorded_at if recorded_at is None else at_facility(recorded_at, assessment.facility)
    if assessment.encounter is not None and moment < assessment.encounter.starts_at:
        add_error(errors, "recorded_at", _before_encounter(assessment.encounter))
    checked = _check_content(
        instrument_code=assessment.instrument_code,
        patient=assessment.patient,
        answers=answers,
        body_sites=body_sites,
        pain_character=pain_character,
        source=source or assessment.source,
        recorded_at=moment,
        errors=errors,
    )
    if errors or checked is None:
        raise ValidationError(errors)
    with write_transaction():
        earlier = _lock_current(scope, assessment)
        allowed = record_privilege(scope, earlier.facility, patient_id=earlier.patient_id, object_id=earlier.pk)
        amendment = PainAssessment(
            organization=scope.organization,
            patient=earlier.patient,
            encounter=earlier.encounter,
            facility=earlier.facility,
            instrument_code=earlier.instrument_code,
            instrument_version=checked.instrument.version,
            recorded_at=moment,
            recorded_by=acting_user,
            source=source or earlier.source,
            pain_character=pain_character,
            amends=earlier,
            original_id=earlier.original_id or earlier.pk,
            amendment_reason=text,
        )
        PainAssessment.objects.filter(pk=earlier.pk).update(status=AssessmentStatus.AMENDED)
        amendment.save(force_insert=True)
        _write_rows(amendment, checked)
        record_event(
            actor=acting_user,
            action=AuditAction.AMEND,
            organization=scope.organization,
            facility=earlier.facility,
            patient_id=earlier.patient_id,
            object_type="pain_assessment",
            object_id=amendment.pk,
            reason=f"amends {earlier.pk}: {text}; {_scores_text(checked)}; {allowed.basis}",
        )
    return amendment


def mark_entered_in_error(
    *, scope: Scope, acting_user: User, assessment: PainAssessment, reason: str
) -> PainAssessment:
    """A current assessment recorded by mistake (wrong patient, wrong instrument): kept, hidden from trends."""
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type="pain_assessment")
    if assessment.organization_id != scope.organization.pk or not scope.covers_facility(assessment.facility_id):
        raise Http404("No such assessment")
    errors: Errors = {}
    text = _reason(reason, errors)
    if errors:
        raise ValidationError(errors)
    with write_transaction():
        locked = _lock_current(scope, assessment)
        allowed = record_privilege(scope, locked.facility, patient_id=locked.patient_id, object_id=locked.pk)
        now = timezone.now()
        PainAssessment.objects.filter(pk=locked.pk).update(
            status=AssessmentStatus.ENTERED_IN_ERROR,
            entered_in_error_by=acting_user,
            entered_in_error_at=now,
            entered_in_error_reason=text,
        )
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            patient_id=locked.patient_id,
            object_type="pain_assessment",
            object_id=locked.pk,
            reason=f"entered in error: {text}; {allowed.basis}",
        )
    locked.status = AssessmentStatus.ENTERED_IN_ERROR
    locked.entered_in_error_by, locked.entered_in_error_at, locked.entered_in_error_reason = acting_user, now, text
    return locked
