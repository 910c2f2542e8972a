"""Credential writes: submission, verification, rejection, revocation, and the two-person
approval of a controlled-substance authorisation.

Each function takes the acting user and their scope, checks the privilege (the one door:
the requirements engine, inside the write's ``write_transaction``), writes in that
transaction and records the audit event in it. A refusal writes nothing except its own
PERMISSION_DENIED audit row, and is raised as ``ActionRefused`` (``nyeri.tenancy.refusals``).
A credential's data is never edited after submission: only its status moves, and every
move is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_otp import user_has_device

from nyeri.accounts.models import User
from nyeri.accounts.reauth import ReauthenticationRequired, require_recent_authentication
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.lib.services import Errors, add_error, check_acting_user
from nyeri.tenancy.clock import earliest_today, local_date, zone_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import refuse, write_transaction
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.access import scoped_credentials
from nyeri.workforce.credentials import evidence as evidence_files
from nyeri.workforce.credentials import verification
from nyeri.workforce.door import Verdict, check, professional
from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, CredentialEvidence, Person, PersonRole, SourceVerification
from nyeri.workforce.policy.loader import pack_for
from nyeri.workforce.policy.schema import RoleRequirement

VERIFY = "verify_credentials"
APPROVE = "approve_controlled_authorisation"
# Who may submit a credential for someone else (anyone may submit their own).
SUBMITTER_ROLES = (Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR)
# Not rejected, revoked or expired: what counts towards the limit of practice permits.
ACTIVE_STATUSES = (CredentialStatus.SUBMITTED, CredentialStatus.VERIFIED)
# PP 28/2024 art. 677(5): an STR of a foreign national is valid for at most 2 years.
FOREIGN_REGISTRATION_MAX_YEARS = 2
REASON_MAX = 2000
REFERENCE_MAX = 200

# Every field a submission may carry besides person and kind.
FIELDS = Credential.DATA_FIELDS
_TEXT_FIELDS = frozenset(
    {"number", "issuer", "title", "specialty", "issuer_regency_code", "check_kind", "check_result", "employer_kind"}
)
# Fields every kind has; the others belong to some kinds only.
_COMMON = frozenset({"number", "issuer", "issued_on", "expires_on", "title"})
_K = CredentialKind
REQUIRED: dict[str, tuple[str, ...]] = {
    _K.RESIDENCY: ("specialty",),
    _K.FELLOWSHIP: ("specialty",),
    _K.BOARD_CERTIFICATION: ("specialty",),
    _K.PAIN_NURSING_CERTIFICATION: ("exam_passed_on",),
    _K.PAIN_TRAINING: ("hours",),
    # A SIP names its practice place and the regency/city that issued it, and runs for a
    # fixed term (UU 17/2023 art. 264(3): 5 years, renewable).
    _K.PRACTICE_PERMIT: ("facility", "issuer_regency_code", "expires_on"),
    _K.BACKGROUND_CHECK: ("check_kind", "check_result", "valid_months"),
    _K.WORK_EXPERIENCE: ("employer_kind", "months"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    _K.EDUCATION: ("specialty",),
    _K.REGISTRATION: ("specialty",),
    _K.CONTROLLED_AUTHORISATION: ("facility",),
}


def _kind_label(kind: str) -> str:
    return str(CredentialKind(kind).label)


def _refuse(scope: Scope, *, credential: Credential | None, reason: str, message: str) -> NoReturn:
    """Refuse through the door: the PERMISSION_DENIED row (after the write's rollback), then
    ``ActionRefused`` with ``message`` for the person refused."""
    refuse(
        scope,
        audit_reason=reason,
        reasons=[message],
        object_type="credential",
        facility=credential.facility if credential is not None else None,
        object_id=credential.pk if credential is not None else "",
        itemize=False,
    )


# --- Privileges ---------------------------------------------------------------------


def action_roles(scope: Scope, action: str) -> tuple[str, ...]:
    """The membership roles that open ``action`` at all: the role requirements of the pack."""
    entry = pack_for(scope.organization.jurisdiction).actions.get(action)
    roles: list[str] = []
    if entry is not None:
        for req in entry.requirements:
            if isinstance(req, RoleRequirement):
                roles.extend(str(r) for r in req.any_of)
    return tuple(dict.fromkeys(roles)) or (Role.CREDENTIALING_OFFICER.value,)


def _places(scope: Scope, facility_ids: Iterable[int], preferred: Facility | None) -> list[Facility]:
    """The facilities where the acting user's professional record works, the credential's own first."""
    places = list(Facility.objects.filter(organization=scope.organization, pk__in=list(facility_ids)).order_by("pk"))
    if preferred is not None:
        places.sort(key=lambda f: f.pk != preferred.pk)
    return places


def _not_allowed(scope: Scope, credential: Credential | None, reason: str, why: str) -> NoReturn:
    _refuse(
        scope,
        credential=credential,
        reason=reason,
        message=_("You are not allowed to do this. %(reasons)s") % {"reasons": why},
    )


def authorize_officer(scope: Scope, action: str, *, credential: Credential | None = None) -> str:
    """May the scope's user take ``action`` (verify or approve credentials)? The basis of the
    yes, for the write's audit row; a no is refused (audited, ``ActionRefused``).

    The membership must hold one of the roles the policy pack names for the action. When
    the user also has a professional record (Person) in the organization, the requirements
    engine must allow the action at one of their facilities (the credential's first).
    """
    roles = action_roles(scope, action)
    held = sorted(scope.roles & set(roles))
    if not held:
        _not_allowed(
            scope,
            credential,
            f"{action}: the membership holds none of the roles {', '.join(roles)}",
            _("Your role in the organization does not allow this."),
        )
    found = professional(scope)
    if found is None:
        return f"{action}: membership role {', '.join(held)} (no professional record)"
    places = _places(scope, found.facts.facility_ids, credential.facility if credential is not None else None)
    if not places:
        _not_allowed(
            scope,
            credential,
            f"{action}: person {found.person_id} works at no facility",
            _("Your professional record names no facility where you work."),
        )
    refused: list[Verdict] = []
    for place in places:
        verdict = check(scope, action, place, no_record="")
        if verdict.allowed:
            return verdict.basis
        refused.append(verdict)
    first = refused[0].decisions[0]
    _not_allowed(
        scope,
        credential,
        f"{action} refused for person {found.person_id} at facilities "
        f"{', '.join(str(v.facility.pk) for v in refused)} by {first.pack}: {', '.join(u.code for u in first.unmet)}",
        " ".join(refused[0].reasons),
    )


def may_submit_for(scope: Scope, person: Person) -> bool:
    """Anyone may submit their own credentials; officers and administrators anyone's."""
    return (person.user_id is not None and person.user_id == scope.user.pk) or scope.has_role(*SUBMITTER_ROLES)


# --- Submission -----------------------------------------------------------------------


def applicable_fields(kind: str) -> frozenset[str]:
    """The fields a credential of ``kind`` has (any other must be left empty)."""
    return _COMMON | set(REQUIRED.get(kind, ())) | set(OPTIONAL.get(kind, ()))


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _normalised(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Every field present, text stripped, other values converted to their Python type."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in FIELDS:
        value = fields.get(name)
        if name in _TEXT_FIELDS:
            values[name] = "" if value is None else str(value).strip()
        elif name == "facility":
            values[name] = value
        elif _empty(value):
            values[name] = None
        else:
            try:
                field = Credential._meta.get_field(name)
                assert isinstance(field, models.Field)
                values[name] = field.to_python(value)
            except ValidationError as exc:
                errors[name] = list(exc.messages)
                values[name] = None
    return values, errors


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# Given a new permit's (issued_on, expires_on): the person's active permits overlapping it,
# as (facility id, number) pairs, and the person's roles. Used by bulk checks (imports),
# which know these facts already instead of asking the database once per row.
PermitFacts = Callable[[date, date | None], tuple[list[tuple[int | None, str]], frozenset[str]]]


def _rule_errors(
    scope: Scope, person: Person, kind: str, v: dict[str, Any], *, permit_facts: PermitFacts | None = None
) -> dict[str, list[str]]:
    errors: Errors = {}
    add = partial(add_error, errors)

    issued, expires = v["issued_on"], v["expires_on"]
    if issued is not None and expires is not None and expires < issued:
        add("expires_on", _("The expiry date cannot be before the issue date."))
    facility: Facility | None = v["facility"]
    if facility is not None and facility.organization_id != scope.organization.pk:
        add("facility", _("This facility does not belong to your organization."))
    if kind not in CredentialKind.values:
        add("kind", _("Unknown kind of credential: “%(kind)s”.") % {"kind": kind})
        return errors

    label = _kind_label(kind)
    required = REQUIRED.get(kind, ())
    applicable = applicable_fields(kind)
    for name in required:
        if _empty(v[name]):
            add(name, _("Required for this kind of credential (%(kind)s).") % {"kind": label})
    for name in FIELDS:
        if name not in applicable and not _empty(v[name]):
            add(name, _("Not used for this kind of credential (%(kind)s): leave it empty.") % {"kind": label})
    for name in ("hours", "valid_months", "months"):
        if name in applicable and v[name] is not None and v[name] <= 0:
            add(name, _("Must be more than zero."))

    if kind == CredentialKind.REGISTRATION and person.citizenship == Citizenship.FOREIGN:
        if expires is None:
            add(
                "expires_on",
                _("A registration (STR) of a foreign national is valid for at most %(years)d years: enter its expiry.")
                % {"years": FOREIGN_REGISTRATION_MAX_YEARS},
            )
        elif issued is not None and expires > _add_years(issued, FOREIGN_REGISTRATION_MAX_YEARS):
            add(
                "expires_on",
                _("A registration (STR) of a foreign national is valid for at most %(years)d years: until %(latest)s.")
                % {
                    "years": FOREIGN_REGISTRATION_MAX_YEARS,
                    "latest": formats.date_format(_add_years(issued, FOREIGN_REGISTRATION_MAX_YEARS), "DATE_FORMAT"),
                },
            )

    if kind == CredentialKind.PRACTICE_PERMIT and facility is not None and "facility" not in errors:
        issuer_code = v["issuer_regency_code"]
        if issuer_code and issuer_code != facility.regency_code.strip():
            add(
                "issuer_regency_code",
                _(
                    "A practice permit (SIP) is issued by the regency or city of its practice place: "
                    "%(facility)s is in %(regency)s (%(code)s), not in the issuer's region %(issuer)s."
                )
                % {
                    "facility": facility.name,
                    "regency": facility.regency,
                    "code": facility.regency_code,
                    "issuer": issuer_code,
                },
            )
        if issued is not None:
            _permit_limits(scope, person, facility, issued, expires, add, permit_facts=permit_facts)
    return errors


def check_credential_fields(
    scope: Scope, person: Person, kind: str, fields: dict[str, Any], *, permit_facts: PermitFacts | None = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The values of a submission and its errors by field, by the rules of ``submit_credential``; no write.

    For checking many at once (imports): ``person`` may be unsaved, and ``permit_facts``
    gives the person's active practice permits instead of a query per credential.
    """
    values, errors = _normalised(fields)
    for name, messages in _rule_errors(scope, person, kind, values, permit_facts=permit_facts).items():
        errors.setdefault(name, []).extend(messages)
    return values, errors


def _stored_permit_facts(
    scope: Scope, person: Person, issued: date, expires: date | None
) -> tuple[list[tuple[int | None, str]], frozenset[str]]:
    overlap = Q(expires_on__isnull=True) | Q(expires_on__gte=issued)
    if expires is not None:
        overlap &= Q(issued_on__lte=expires)
    active = (
        Credential.objects.filter(
            organization=scope.organization,
            person=person,
            kind=CredentialKind.PRACTICE_PERMIT,
            status__in=ACTIVE_STATUSES,
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=earliest_today()))
        .filter(overlap)
    )
    # A permit lapses at the end of its last day at its own facility (a Jayapura SIP whose last
    # day is today has lapsed at 24:00 WIT, while Jakarta's day goes on): the query keeps those
    # still valid somewhere in Indonesia, this keeps those still valid where they were issued.
    rows: list[tuple[int | None, str]] = [
        (facility_id, number)
        for facility_id, number, expires_on, zone in active.values_list(
            "facility_id", "number", "expires_on", "facility__time_zone"
        )
        if expires_on is None or expires_on >= (zone_date(zone) if zone else local_date(None))
    ]
    roles = frozenset(PersonRole.objects.filter(person=person).values_list("role", flat=True))
    return rows, roles


def _permit_limits(
    scope: Scope,
    person: Person,
    facility: Facility,
    issued: date,
    expires: date | None,
    add: Any,
    *,
    permit_facts: PermitFacts | None = None,
) -> None:
    """One SIP per practice place, and at most the pack's number of places, at any time.

    Counted over the permits that are active (submitted or verified, not past their
    expiry) and whose validity overlaps the new one's: a renewal that starts when the
    current permit ends is not a second permit.
    """
    if permit_facts is not None:
        rows, roles = permit_facts(issued, expires)
    else:
        rows, roles = _stored_permit_facts(scope, person, issued, expires)
    here = [number for facility_id, number in rows if facility_id == facility.pk]
    if here:
        add(
            "facility",
            _(
                "%(person)s already has an active practice permit (SIP) for %(facility)s in this period "
                "(%(number)s): one SIP per practice place."
            )
            % {"person": person.full_name, "facility": facility.name, "number": here[0] or "—"},
        )
        return
    limit = pack_for(scope.organization.jurisdiction).max_practice_permits(roles)
    if len(rows) >= limit:
        add(
            "facility",
            _(
                "%(person)s already has %(count)d active practice permits (SIP) in this period; "
                "at most %(max)d practice places are allowed."
            )
            % {"person": person.full_name, "count": len(rows), "max": limit},
        )


def _evidence_rows(
    scope: Scope, acting_user: User, credential: Credential, checked: list[evidence_files.CheckedUpload]
) -> tuple[list[CredentialEvidence], list[str]]:
    """Store each checked upload and create its row; returns the rows and the names written."""
    rows: list[CredentialEvidence] = []
    written: list[str] = []
    try:
        for item in checked:
            stored = evidence_files.store(item, organization_id=scope.organization.pk)
            written.append(stored.storage_name)
            row = CredentialEvidence(
                organization=scope.organization,
                credential=credential,
                storage_name=stored.storage_name,
                original_name=item.original_name,
                content_type=item.content_type,
                size=stored.size,
                sha256=stored.sha256,
                uploaded_by=acting_user,
            )
            row.save(force_insert=True)
            rows.append(row)
    except BaseException:
        evidence_files.discard(written)
        raise
    return rows, written


def _audit_evidence(scope: Scope, acting_user: User, credential: Credential, rows: list[CredentialEvidence]) -> None:
    for row in rows:
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=credential.facility,
            object_type="credential_evidence",
            object_id=row.pk,
            reason=f"credential {credential.pk}; {row.content_type}; {row.size} bytes; sha256 {row.sha256}",
        )


def submit_credential(
    *,
    scope: Scope,
    acting_user: User,
    person: Person,
    kind: str,
    evidence: Iterable[UploadedFile] = (),
    **fields: Any,
) -> Credential:
    """Record a credential of ``person`` as submitted, with its evidence files.

    Refused (ValidationError naming each bad field; nothing saved, no file written): an
    unknown kind, a field the kind needs missing or one it does not have filled in, an
    expiry before the issue date, a facility of another organization, a SIP issued by
    another regency than its facility's, a second SIP for the same place or more SIPs than
    the policy pack allows, an STR of a foreign national without an expiry or longer than
    2 years, an evidence file that is not a PDF, PNG or JPEG or is too large.
    """
    unexpected = set(fields) - set(FIELDS)
    if unexpected:
        raise TypeError(f"submit_credential() got unexpected fields: {', '.join(sorted(unexpected))}")
    check_acting_user(scope, acting_user)
    if person.organization_id != scope.organization.pk:
        raise Http404("No such person")
    if not may_submit_for(scope, person):
        _refuse(
            scope,
            credential=None,
            reason=f"submit credential for person {person.pk}: not the person, no role {', '.join(SUBMITTER_ROLES)}",
            message=_(
                "You may submit only your own credentials, unless you are a credentialing officer or administrator."
            ),
        )
    values, errors = _normalised(fields)
    checked, evidence_errors = evidence_files.check_uploads(evidence)
    written: list[str] = []
    try:
        with transaction.atomic():
            # Lock the person: two permits submitted at once cannot both slip under the limit.
            list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
            for name, messages in _rule_errors(scope, person, kind, values).items():
                errors.setdefault(name, []).extend(messages)
            credential = Credential(
                organization=scope.organization,
                person=person,
                kind=kind,
                status=CredentialStatus.SUBMITTED,
                submitted_by=acting_user,
                **values,
            )
            try:
                credential.full_clean(exclude=list(errors), validate_constraints=False)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors.setdefault(name, []).extend(messages)
            if evidence_errors:
                errors.setdefault("evidence", []).extend(evidence_errors)
            if errors:
                raise ValidationError(errors)
            credential.save(force_insert=True)
            rows, written = _evidence_rows(scope, acting_user, credential, checked)
            record_event(
                actor=acting_user,
                action=AuditAction.CREATE,
                organization=scope.organization,
                facility=credential.facility,
                object_type="credential",
                object_id=credential.pk,
                reason=f"submitted {kind} for person {person.pk}; {len(rows)} evidence file(s)",
            )
            _audit_evidence(scope, acting_user, credential, rows)
    except BaseException:
        evidence_files.discard(written)
        raise
    return credential


def attach_evidence(
    *, scope: Scope, acting_user: User, credential: Credential, uploads: Iterable[UploadedFile]
) -> list[CredentialEvidence]:
    """Add evidence files to a credential still waiting for a decision."""
    check_acting_user(scope, acting_user)
    if credential.organization_id != scope.organization.pk:
        raise Http404("No such credential")
    if not may_submit_for(scope, credential.person):
        _refuse(
            scope,
            credential=credential,
            reason="attach evidence: not the person, no credentialing role",
            message=_("You may add evidence only to your own credentials."),
        )
    files = list(uploads)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = _lock(scope, credential.pk)
            if locked.status != CredentialStatus.SUBMITTED:
                raise ValidationError(
                    {"evidence": [_("Evidence can be added only while the credential waits for a decision.")]}
                )
            if not files:
                raise ValidationError({"evidence": [_("Choose a file.")]})
            checked, errors = evidence_files.check_uploads(files, already=locked.evidence.count())
            if errors:
                raise ValidationError({"evidence": errors})
            rows, written = _evidence_rows(scope, acting_user, locked, checked)
            _audit_evidence(scope, acting_user, locked, rows)
    except BaseException:
        evidence_files.discard(written)
        raise
    return rows


# --- Decisions ------------------------------------------------------------------------


def _lock(scope: Scope, credential_id: int) -> Credential:
    # of=("self",): lock the credential row only, not the person and facility joined to it
    # (PostgreSQL also refuses FOR UPDATE on the nullable side of the facility join).
    credential = (
        scoped_credentials(scope)
        .select_for_update(of=("self",))
        .select_related("person", "facility")
        .filter(pk=credential_id)
        .first()
    )
    if credential is None:
        raise Http404("No such credential")
    return credential


def _required_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": [_("Give a reason.")]})
    if len(text) > REASON_MAX:
        raise ValidationError({"reason": [_("At most %(max)d characters.") % {"max": REASON_MAX}]})
    return text


def _ensure_submitted(credential: Credential) -> None:
    if credential.status != CredentialStatus.SUBMITTED:
        raise ValidationError(
            {
                "status": [
                    _("This credential was already decided: it is %(status)s.")
                    % {"status": str(CredentialStatus(credential.status).label).lower()}
                ]
            }
        )


def _may_decide(scope: Scope, acting_user: User, credential: Credential, action: str, *, two_people: bool) -> str:
    """The basis of the acting user's deciding on ``credential``, or a refusal."""
    if credential.person.user_id is not None and credential.person.user_id == acting_user.pk:
        _refuse(
            scope,
            credential=credential,
            reason=f"{action}: own credential",
            message=_("You cannot decide on your own credential: another officer must."),
        )
    controlled = credential.kind == CredentialKind.CONTROLLED_AUTHORISATION
    if two_people and controlled and credential.submitted_by_id == acting_user.pk:
        _refuse(
            scope,
            credential=credential,
            reason=f"{action}: entered by the same person (two-person rule)",
            message=_(
                "You entered this controlled-substance authorisation: a second person must approve or reject it."
            ),
        )
    return authorize_officer(scope, action, credential=credential)


def _second_person(scope: Scope, request: HttpRequest, acting_user: User, credential: Credential) -> None:
    """The approver must have a second factor and have entered it (and the password) recently."""
    if getattr(request.user, "pk", None) != acting_user.pk:
        raise ValueError("the request must be the acting user's")
    if not user_has_device(acting_user, confirmed=True):
        _refuse(
            scope,
            credential=credential,
            reason=f"{APPROVE}: the approver has no second factor",
            message=_("Approving needs a second factor. Set one up on your profile page first."),
        )
    try:
        require_recent_authentication(request)
    except ReauthenticationRequired:
        # Not a refusal of the action: the user is asked for the password again (its own
        # 403). Recorded as denied inside the write's transaction, the row outlives its
        # rollback (write_transaction appends the denied rows after it).
        record_event(
            actor=acting_user,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=scope.organization,
            facility=credential.facility,
            object_type="credential",
            object_id=credential.pk,
            reason=f"{APPROVE}: re-authentication required",
        )
        raise


def _decide(
    *,
    scope: Scope,
    acting_user: User,
    credential: Credential,
    action: str,
    status: CredentialStatus,
    decision_reason: str,
    audit: str,
    request: HttpRequest | None = None,
    prepare: Callable[[Credential], Callable[[], None]] | None = None,
) -> Credential:
    """Move a submitted credential to ``status``: locked, privileged, audited, or refused.

    ``prepare`` checks more of the locked credential once it is known to wait for a
    decision, and returns what to write beside the decision (in the same transaction).
    """
    check_acting_user(scope, acting_user)
    with write_transaction():
        # Locked before anything is read: of two officers deciding at once, the second
        # waits here and then finds the credential already decided.
        locked = _lock(scope, credential.pk)
        basis = _may_decide(scope, acting_user, locked, action, two_people=True)
        if request is not None:
            _second_person(scope, request, acting_user, locked)
        _ensure_submitted(locked)
        beside = prepare(locked) if prepare is not None else None
        locked.status = status
        locked.decided_by = acting_user
        locked.decided_at = timezone.now()
        locked.decision_reason = decision_reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            object_type="credential",
            object_id=locked.pk,
            reason=f"{audit}; {basis}",
        )
        if beside is not None:
            beside()
        return locked


@dataclass(frozen=True)
class SourceCheck:
    """How a credential was checked at its source: what the verifier records when verifying.

    ``source`` and ``method`` are codes of the jurisdiction's verification data
    (``nyeri.workforce.credentials.verification``); ``evidence`` is a file of the check (a
    screenshot of the register, the health office's letter) and ``attestation`` a written
    statement of what was seen: at least one of the two.
    """

    source: str
    method: str
    checked_on: date | None
    reference: str = ""
    attestation: str = ""
    evidence: UploadedFile | None = None


def _source_check_errors(
    scope: Scope, credential: Credential, check: SourceCheck
) -> tuple[dict[str, list[str]], evidence_files.CheckedUpload | None]:
    """Every bad field of ``check`` at once (translated), and the checked evidence file."""
    errors: Errors = {}
    add = partial(add_error, errors)

    jurisdiction = scope.organization.jurisdiction
    allowed = verification.sources_for(jurisdiction, credential.kind)
    place = next((p for p in allowed if p.code == check.source), None)
    if not check.source:
        add("source", _("Choose where the credential was checked."))
    elif place is None:
        add(
            "source",
            _("“%(source)s” is not a source for this kind of credential (%(kind)s).")
            % {"source": check.source, "kind": _kind_label(credential.kind)},
        )
    if not check.method:
        add("method", _("Choose how the credential was checked."))
    elif verification.method(jurisdiction, check.method) is None:
        add("method", _("Unknown method: “%(method)s”.") % {"method": check.method})
    elif place is not None and check.method not in place.methods:
        add(
            "method",
            _("%(source)s is not checked by this method.") % {"source": place.label()},
        )
    if check.checked_on is None:
        add("checked_on", _("Enter the date of the check."))
    else:
        today = local_date(credential.facility)
        if check.checked_on > today:
            add("checked_on", _("The check cannot be dated in the future."))
        elif check.checked_on < credential.issued_on:
            add("checked_on", _("The check cannot be dated before the credential was issued."))
    if len(check.reference) > REFERENCE_MAX:
        add("reference", _("At most %(max)d characters.") % {"max": REFERENCE_MAX})
    if len(check.attestation) > REASON_MAX:
        add("attestation", _("At most %(max)d characters.") % {"max": REASON_MAX})
    checked: evidence_files.CheckedUpload | None = None
    if check.evidence is not None:
        try:
            checked = evidence_files.check_upload(check.evidence)
        except ValidationError as exc:
            errors.setdefault("evidence", []).extend(exc.messages)
    elif not check.attestation:
        message = _("A verification stands on evidence: attach the file of the check or write an attestation.")
        add("evidence", message)
        add("attestation", message)
    return errors, checked


def _not_the_enterer(scope: Scope, acting_user: User, credential: Credential) -> None:
    """Who entered a credential, or uploaded any of its evidence, does not verify it: a second person does."""
    uploaded = credential.evidence.filter(uploaded_by=acting_user).exists()
    if credential.submitted_by_id == acting_user.pk or uploaded:
        _refuse(
            scope,
            credential=credential,
            reason=f"{VERIFY}: {'uploaded its evidence' if uploaded else 'entered it'} (second-person rule)",
            message=_(
                "You entered this credential or uploaded its evidence: another person must check it at its source."
            ),
        )


def verify_credential(*, scope: Scope, acting_user: User, credential: Credential, check: SourceCheck) -> Credential:
    """A credentialing officer (allowed 'verify_credentials') confirms a submitted credential
    after checking it at its source, recording where, how, when and on what evidence.

    Refused (audited): a controlled-substance authorisation (approved, not verified); one's
    own credential; a credential one entered or uploaded evidence for. Refused as bad input
    (ValidationError naming each field, nothing written): a source or method the
    jurisdiction's data does not list for the kind, no date or a date in the future, and
    neither an evidence file nor an attestation.
    """
    if credential.kind == CredentialKind.CONTROLLED_AUTHORISATION:
        _refuse(
            scope,
            credential=credential,
            reason=f"{VERIFY}: a controlled-substance authorisation is granted by approval, not verification",
            message=_(
                "A controlled-substance authorisation is granted by the approval of a second person, not verified."
            ),
        )
    written: list[str] = []

    def checked_at_source(locked: Credential) -> Callable[[], None]:
        _not_the_enterer(scope, acting_user, locked)
        errors, upload = _source_check_errors(scope, locked, check)
        if errors:
            raise ValidationError(errors)

        def record() -> None:
            rows: list[CredentialEvidence] = []
            if upload is not None:
                rows, stored = _evidence_rows(scope, acting_user, locked, [upload])
                written.extend(stored)
                _audit_evidence(scope, acting_user, locked, rows)
            assert check.checked_on is not None
            due = verification.reverify_by(
                scope.organization.jurisdiction, locked.kind, check.checked_on, locked.expires_on
            )
            row = SourceVerification(
                organization=scope.organization,
                credential=locked,
                source=check.source,
                method=check.method,
                reference=check.reference.strip(),
                checked_on=check.checked_on,
                attestation=check.attestation.strip(),
                evidence=rows[0] if rows else None,
                reverify_by=due,
                verified_by=acting_user,
            )
            row.save(force_insert=True)
            on = f"evidence file {rows[0].pk}" if rows else "written attestation"
            record_event(
                actor=acting_user,
                action=AuditAction.CREATE,
                organization=scope.organization,
                facility=locked.facility,
                object_type="credential_verification",
                object_id=row.pk,
                reason=(
                    f"credential {locked.pk} checked at {check.source} by {check.method} on "
                    f"{check.checked_on.isoformat()}; reference {row.reference or '-'}; on {on}; "
                    f"re-verify by {due.isoformat() if due else 'never'}"
                ),
            )

        return record

    try:
        return _decide(
            scope=scope,
            acting_user=acting_user,
            credential=credential,
            action=VERIFY,
            status=CredentialStatus.VERIFIED,
            decision_reason="",
            audit="verified",
            prepare=checked_at_source,
        )
    except BaseException:
        evidence_files.discard(written)
        raise


def reject_credential(*, scope: Scope, acting_user: User, credential: Credential, reason: str) -> Credential:
    """Refuse a submitted credential, with the reason the person will read."""
    text = _required_reason(reason)
    controlled = credential.kind == CredentialKind.CONTROLLED_AUTHORISATION
    return _decide(
        scope=scope,
        acting_user=acting_user,
        credential=credential,
        action=APPROVE if controlled else VERIFY,
        status=CredentialStatus.REJECTED,
        decision_reason=text,
        audit=f"rejected: {text}",
    )


def approve_controlled_authorisation(
    *, scope: Scope, acting_user: User, credential: Credential, request: HttpRequest
) -> Credential:
    """The second person grants a controlled-substance authorisation.

    Not the person who entered it, nor its holder; allowed 'approve_controlled_authorisation'
    by the engine; holding a second factor and having re-authenticated within
    REAUTH_MAX_AGE (``request`` carries that session). The database constraint
    credential_controlled_two_people holds the two-person rule as well.
    """
    if credential.kind != CredentialKind.CONTROLLED_AUTHORISATION:
        raise ValidationError(
            {"kind": [_("Only a controlled-substance authorisation is approved; other credentials are verified.")]}
        )
    return _decide(
        scope=scope,
        acting_user=acting_user,
        credential=credential,
        action=APPROVE,
        status=CredentialStatus.VERIFIED,
        decision_reason="",
        audit="approved (second person, re-authenticated)",
        request=request,
    )


def revoke_credential(*, scope: Scope, acting_user: User, credential: Credential, reason: str) -> Credential:
    """Withdraw a verified credential; who verified it, and why it was revoked, both stay on record."""
    text = _required_reason(reason)
    check_acting_user(scope, acting_user)
    controlled = credential.kind == CredentialKind.CONTROLLED_AUTHORISATION
    action = APPROVE if controlled else VERIFY
    with write_transaction():
        locked = _lock(scope, credential.pk)
        # Revoking takes a privilege away, so the one who entered it may do it too.
        basis = _may_decide(scope, acting_user, locked, action, two_people=False)
        if locked.status != CredentialStatus.VERIFIED:
            raise ValidationError({"status": [_("Only a verified credential can be revoked.")]})
        locked.status = CredentialStatus.REVOKED
        locked.revoked_by = acting_user
        locked.revoked_at = timezone.now()
        locked.revocation_reason = text
        locked.save(update_fields=["status", "revoked_by", "revoked_at", "revocation_reason"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            object_type="credential",
            object_id=locked.pk,
            reason=f"revoked: {text}; {basis}",
        )
        return locked
