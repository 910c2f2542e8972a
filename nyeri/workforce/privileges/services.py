"""Clinical privilege writes: adopt for a facility, request, recommend, grant, sign off a
proctored case, re-credential. Each is one transaction (``write_transaction``) with its audit
row; a refusal (prerequisites unmet, the wrong role, a grant without a recommendation, a
proctor signing their own case) is ``ActionRefused`` with its reasons, audited.

Who does what (Permenkes 755/2011; for nursing privileges Permenkes 49/2013): the person
(or a credentialing officer for them) requests; a member of the committee the catalogue
names for the privilege (medical or nursing) reviews the file and recommends or not, with reasons;
the director grants for a period (default three years, the catalogue's ``period_years``);
the committee re-credentials (renew, restrict, withdraw). Nobody reviews, grants or
re-credentials their own privilege.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import refuse, write_transaction
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.engine.periods import valid_through
from nyeri.workforce.kinds import PrivilegeGrantStatus, PrivilegeRequestStatus, RecredentialingOutcome
from nyeri.workforce.models import (
    FacilityPrivilege,
    Person,
    PrivilegeGrant,
    PrivilegeRequest,
    ProctoredCase,
    RecredentialingDecision,
)
from nyeri.workforce.privileges.catalogue import Committee, PrivilegeEntry, catalogue_for
from nyeri.workforce.privileges.prerequisites import check_prerequisites, current_grant

OBJECT_REQUEST: Final = "privilege_request"
OBJECT_GRANT: Final = "privilege_grant"
OBJECT_CASE: Final = "proctored_case"
REASONS_MAX: Final = 2000
REQUESTER_ROLES = (Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR)


def _entry(scope: Scope, code: str, field: str = "privilege") -> PrivilegeEntry:
    found = catalogue_for(scope.organization.jurisdiction)
    entry = found.get(code) if found is not None else None
    if entry is None:
        raise ValidationError({field: [_("Unknown clinical privilege %(code)s.") % {"code": code}]})
    return entry


def _reasons(text: str, *, required: bool, field: str = "reasons") -> str:
    cleaned = (text or "").strip()
    if required and not cleaned:
        raise ValidationError({field: [_("Give the reasons.")]})
    if len(cleaned) > REASONS_MAX:
        raise ValidationError({field: [_("At most %(max)d characters.") % {"max": REASONS_MAX}]})
    return cleaned


def _own(scope: Scope, person: Person) -> bool:
    return person.user_id is not None and person.user_id == scope.user.pk


def _refuse_role(scope: Scope, *, role: str, object_type: str, object_id: int | str, facility: Facility) -> None:
    refuse(
        scope,
        audit_reason=f"needs role {role}",
        reasons=[_("Only %(role)s may do this.") % {"role": Role(role).label}],
        object_type=object_type,
        object_id=object_id,
        facility=facility,
    )


def _committee(scope: Scope, entry: PrivilegeEntry) -> Committee:
    found = catalogue_for(scope.organization.jurisdiction)
    assert found is not None
    return found.committee_of(entry)


def committee_name(committee: Committee) -> str:
    """The committee's name in the active language (the catalogue's data, not a msgid)."""
    return committee.label((translation.get_language() or "id")[:2])


def _ensure_committee(
    scope: Scope, entry: PrivilegeEntry, *, object_type: str, object_id: int, facility: Facility
) -> None:
    """Only the privilege's own committee recommends or re-credentials it: a member of
    another committee (the medical committee for a nursing privilege, or the reverse) is
    refused naming the right one; anyone else is refused for the role."""
    committee = _committee(scope, entry)
    if scope.has_role(committee.member_role):
        return
    found = catalogue_for(scope.organization.jurisdiction)
    assert found is not None
    others = found.committees_of(scope.roles)
    if not others:
        _refuse_role(scope, role=committee.role, object_type=object_type, object_id=object_id, facility=facility)
    refuse(
        scope,
        audit_reason=f"privilege {entry.code} is reviewed by the {committee.code} committee, not the "
        + ", ".join(c.code for c in others),
        reasons=[
            _("%(privilege)s is reviewed by the %(committee)s: the %(other)s cannot decide on it.")
            % {
                "privilege": entry.label((translation.get_language() or "id")[:2]),
                "committee": committee_name(committee),
                "other": committee_name(others[0]),
            }
        ],
        object_type=object_type,
        object_id=object_id,
        facility=facility,
    )


def _refuse_own(scope: Scope, *, object_type: str, object_id: int | str, facility: Facility) -> None:
    refuse(
        scope,
        audit_reason="own privilege",
        reasons=[_("You cannot decide on your own clinical privilege.")],
        object_type=object_type,
        object_id=object_id,
        facility=facility,
    )


def require_privileges(
    *, scope: Scope, acting_user: User, facility: Facility, privileges: list[str]
) -> list[FacilityPrivilege]:
    """The facility adopts these privileges of the catalogue: from now on the engine refuses
    their actions there without a current grant. An administrator's decision."""
    codes = sorted(set(privileges))
    for code in codes:
        _entry(scope, code, "privileges")
    with write_transaction():
        if not scope.has_role(Role.ADMINISTRATOR):
            _refuse_role(
                scope,
                role=Role.ADMINISTRATOR,
                object_type="facility_privileges",
                object_id=facility.pk,
                facility=facility,
            )
        have = set(FacilityPrivilege.objects.filter(facility=facility).values_list("privilege", flat=True))
        now = timezone.now()
        added = [
            FacilityPrivilege(
                organization=scope.organization,
                facility=facility,
                privilege=c,
                required_since=now,
                added_by=acting_user,
            )
            for c in codes
            if c not in have
        ]
        FacilityPrivilege.objects.bulk_create(added)
        facility.required_privileges = sorted(have | {a.privilege for a in added})
        Facility.objects.filter(pk=facility.pk).update(required_privileges=facility.required_privileges)
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=facility,
            object_type="facility_privileges",
            object_id=facility.pk,
            reason="requires: " + ", ".join(a.privilege for a in added),
        )
    return added


def request_privilege(
    *, scope: Scope, acting_user: User, person: Person, facility: Facility, privilege: str, at: datetime | None = None
) -> PrivilegeRequest:
    """Ask for ``privilege`` at ``facility`` for ``person`` (oneself, or by a credentialing
    officer). Refused, listing every missing prerequisite, when the engine finds one unmet."""
    entry = _entry(scope, privilege)
    found = catalogue_for(scope.organization.jurisdiction)
    assert found is not None
    moment = at or timezone.now()
    with write_transaction():
        if not _own(scope, person) and not scope.has_role(*REQUESTER_ROLES):
            refuse(
                scope,
                audit_reason="request for another person",
                reasons=[_("You may request clinical privileges for yourself only.")],
                object_type=OBJECT_REQUEST,
                facility=facility,
            )
        pending = PrivilegeRequest.objects.filter(
            person=person,
            facility=facility,
            privilege=privilege,
            status__in=[PrivilegeRequestStatus.REQUESTED, PrivilegeRequestStatus.RECOMMENDED],
        ).exists()
        if pending:
            raise ValidationError(
                {"privilege": [_("This privilege is already requested here, waiting for a decision.")]}
            )
        result = check_prerequisites(person.pk, entry, facility, at=moment)
        if result.unmet:
            refuse(
                scope,
                audit_reason=f"privilege {privilege} prerequisites unmet for person {person.pk}: "
                + ", ".join(u.code for u in result.unmet),
                reasons=[u.message() for u in result.unmet],
                object_type=OBJECT_REQUEST,
                facility=facility,
                field="privilege",
            )
        created = PrivilegeRequest.objects.create(
            organization=scope.organization,
            person=person,
            facility=facility,
            privilege=privilege,
            catalogue_version=found.version,
            requested_by=acting_user,
            requested_at=moment,
            prerequisites=result.as_list(),
        )
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=facility,
            object_type=OBJECT_REQUEST,
            object_id=created.pk,
            reason=f"privilege {privilege} for person {person.pk}; prerequisites met relying on credentials "
            + (", ".join(map(str, result.relied_on)) or "none"),
        )
    return created


def review_request(
    *, scope: Scope, acting_user: User, request: PrivilegeRequest, recommend: bool, reasons: str
) -> PrivilegeRequest:
    """The committee's recommendation (or not, with reasons) on a request waiting for it: the
    committee the catalogue names for the privilege (medical or nursing)."""
    text = _reasons(reasons, required=True)
    entry = _entry(scope, request.privilege)
    with write_transaction():
        _ensure_committee(scope, entry, object_type=OBJECT_REQUEST, object_id=request.pk, facility=request.facility)
        if _own(scope, request.person):
            _refuse_own(scope, object_type=OBJECT_REQUEST, object_id=request.pk, facility=request.facility)
        locked = PrivilegeRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != PrivilegeRequestStatus.REQUESTED:
            raise ValidationError({"recommend": [_("The committee has already reviewed this request.")]})
        locked.status = PrivilegeRequestStatus.RECOMMENDED if recommend else PrivilegeRequestStatus.NOT_RECOMMENDED
        locked.recommended_by = acting_user
        locked.recommended_at = timezone.now()
        locked.committee_reasons = text
        locked.save(update_fields=["status", "recommended_by", "recommended_at", "committee_reasons"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            object_type=OBJECT_REQUEST,
            object_id=locked.pk,
            reason=f"committee {'recommends' if recommend else 'does not recommend'} {locked.privilege}: {text}"[:2000],
        )
    # The locked row carries the review: reading it again would repeat its statement.
    return locked


def _next_number(scope: Scope, day: date) -> str:
    count = PrivilegeGrant.objects.filter(
        organization=scope.organization, number__startswith=f"SPK/{day.year}/"
    ).count()
    return f"SPK/{day.year}/{scope.organization.pk}-{count + 1:04d}"


def _grant_row(
    *,
    scope: Scope,
    acting_user: User,
    request: PrivilegeRequest,
    starts_on: date,
    years: int,
    fppe_cases: int,
    restriction: str = "",
    renews: PrivilegeGrant | None = None,
) -> PrivilegeGrant:
    ends_on = valid_through(starts_on, 12 * years)
    return PrivilegeGrant.objects.create(
        organization=scope.organization,
        person=request.person,
        facility=request.facility,
        privilege=request.privilege,
        request=request,
        renews=renews,
        number=_next_number(scope, starts_on),
        starts_on=starts_on,
        ends_on=ends_on,
        recredential_on=ends_on,
        fppe_cases=fppe_cases,
        restriction=restriction,
        granted_by=acting_user,
        granted_at=timezone.now(),
    )


def _years(years: int | None, default: int) -> int:
    chosen = default if years is None else years
    if not 1 <= chosen <= default:
        raise ValidationError({"years": [_("Between 1 and %(max)d years.") % {"max": default}]})
    return chosen


def grant_privilege(
    *,
    scope: Scope,
    acting_user: User,
    request: PrivilegeRequest,
    years: int | None = None,
    starts_on: date | None = None,
    focused_review: bool = True,
) -> PrivilegeGrant:
    """The director's grant (the SPK) of a recommended request, for ``years`` (default: the
    catalogue's period, three years), from ``starts_on`` (default: the facility's today).
    A request the committee has not recommended is refused. A privilege new to the holder
    here starts under focused review (the catalogue's N cases) unless the director waives it
    (``focused_review=False``: experience documented elsewhere), which the audit row says."""
    entry = _entry(scope, request.privilege)
    found = catalogue_for(scope.organization.jurisdiction)
    assert found is not None
    period = _years(years, found.period_years)
    with write_transaction():
        if not scope.has_role(Role.DIRECTOR):
            _refuse_role(
                scope, role=Role.DIRECTOR, object_type=OBJECT_REQUEST, object_id=request.pk, facility=request.facility
            )
        if _own(scope, request.person):
            _refuse_own(scope, object_type=OBJECT_REQUEST, object_id=request.pk, facility=request.facility)
        locked = PrivilegeRequest.objects.select_for_update().select_related("person", "facility").get(pk=request.pk)
        if locked.status != PrivilegeRequestStatus.RECOMMENDED:
            refuse(
                scope,
                audit_reason=f"grant without a committee recommendation (request {locked.status})",
                reasons=[
                    _("The medical committee has not recommended this privilege: it cannot be granted.")
                    if entry.committee == "medical"
                    else _("The %(committee)s has not recommended this privilege: it cannot be granted.")
                    % {"committee": committee_name(_committee(scope, entry))}
                ],
                object_type=OBJECT_REQUEST,
                object_id=locked.pk,
                facility=locked.facility,
            )
        first_day = starts_on or local_date(locked.facility)
        # Focused review for a privilege new to the holder here; none when an earlier grant passed it.
        earlier = PrivilegeGrant.objects.filter(
            person=locked.person, facility=locked.facility, privilege=locked.privilege
        )
        grant = _grant_row(
            scope=scope,
            acting_user=acting_user,
            request=locked,
            starts_on=first_day,
            years=period,
            fppe_cases=entry.fppe_cases if focused_review and not earlier.exists() else 0,
        )
        locked.status = PrivilegeRequestStatus.GRANTED
        locked.save(update_fields=["status"])
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=locked.facility,
            object_type=OBJECT_GRANT,
            object_id=grant.pk,
            reason=f"{grant.number}: {grant.privilege} for person {grant.person_id}, {grant.starts_on} to "
            f"{grant.ends_on}, FPPE {grant.fppe_cases} cases{'' if focused_review else ' (waived)'}, "
            f"on request {locked.pk}",
        )
    request.status = locked.status
    return grant


def open_proctored_case(
    *,
    scope: Scope,
    performer: Person,
    privilege: str,
    facility: Facility,
    procedure_id: int,
    patient_id: int,
    performed_at: datetime,
) -> ProctoredCase | None:
    """Inside the write of a procedure: when the performer's grant of ``privilege`` there is
    under focused review (fewer than its N cases opened), the case waits for a proctor."""
    grant = current_grant(performer.pk, privilege, facility, at=performed_at)
    if grant is None or grant.fppe_cases == 0:
        return None
    if ProctoredCase.objects.filter(grant=grant).count() >= grant.fppe_cases:
        return None
    case = ProctoredCase.objects.create(
        organization=scope.organization,
        grant=grant,
        facility=facility,
        procedure_id=procedure_id,
        patient_id=patient_id,
        performer=performer,
        performed_at=performed_at,
    )
    record_event(
        actor=scope.user,
        action=AuditAction.CREATE,
        organization=scope.organization,
        facility=facility,
        patient_id=patient_id,
        object_type=OBJECT_CASE,
        object_id=case.pk,
        reason=f"focused review of {grant.number}: procedure {procedure_id} needs a proctor's sign-off",
    )
    return case


def sign_off_case(*, scope: Scope, acting_user: User, case: ProctoredCase, note: str = "") -> ProctoredCase:
    """The proctor's sign-off: someone other than the performer, holding the privilege there
    (granted, and past their own focused review)."""
    text = _reasons(note, required=False, field="note")
    with write_transaction():
        proctor = Person.objects.filter(organization=scope.organization, user=scope.user).first()
        if proctor is not None and proctor.pk == case.performer_id:
            refuse(
                scope,
                audit_reason="proctor is the performer",
                reasons=[_("A proctor cannot sign off their own case.")],
                object_type=OBJECT_CASE,
                object_id=case.pk,
                facility=case.facility,
                patient_id=case.patient_id,
            )
        privilege = case.grant.privilege
        held = current_grant(proctor.pk, privilege, case.facility) if proctor is not None else None
        if held is None or not fppe_complete(held):
            refuse(
                scope,
                audit_reason=f"proctor without privilege {privilege}",
                reasons=[_("A proctor must hold this clinical privilege here, past their own focused review.")],
                object_type=OBJECT_CASE,
                object_id=case.pk,
                facility=case.facility,
                patient_id=case.patient_id,
            )
        assert proctor is not None
        locked = ProctoredCase.objects.select_for_update().get(pk=case.pk)
        if locked.signed_off_at is not None:
            raise ValidationError({"note": [_("This case is already signed off.")]})
        locked.proctor = proctor
        locked.signed_off_by = acting_user
        locked.signed_off_at = timezone.now()
        locked.note = text
        locked.save(update_fields=["proctor", "signed_off_by", "signed_off_at", "note"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            patient_id=locked.patient_id,
            object_type=OBJECT_CASE,
            object_id=locked.pk,
            reason=f"proctor person {proctor.pk} signed off procedure {locked.procedure_id} "
            f"under grant {locked.grant_id}",
        )
    return locked


def fppe_complete(grant: PrivilegeGrant) -> bool:
    """Focused review done: the grant's N cases are signed off (1 query; none when N is 0)."""
    if grant.fppe_cases == 0:
        return True
    return ProctoredCase.objects.filter(grant=grant, signed_off_at__isnull=False).count() >= grant.fppe_cases


def recredential(
    *,
    scope: Scope,
    acting_user: User,
    grant: PrivilegeGrant,
    outcome: str,
    reasons: str,
    years: int | None = None,
    restriction: str = "",
) -> RecredentialingDecision:
    """The committee's re-credentialing decision: renew (a new grant for the period), restrict
    (a new grant with the restriction written on it and focused review again), or withdraw
    (the grant ends now). The earlier grant is kept, superseded or withdrawn."""
    if outcome not in RecredentialingOutcome.values:
        raise ValidationError({"outcome": [_("Choose renew, restrict or withdraw.")]})
    text = _reasons(reasons, required=True)
    limit = _reasons(restriction, required=outcome == RecredentialingOutcome.RESTRICT, field="restriction")
    entry = _entry(scope, grant.privilege)
    found = catalogue_for(scope.organization.jurisdiction)
    assert found is not None
    period = _years(years, found.period_years)
    with write_transaction():
        _ensure_committee(scope, entry, object_type=OBJECT_GRANT, object_id=grant.pk, facility=grant.facility)
        if _own(scope, grant.person):
            _refuse_own(scope, object_type=OBJECT_GRANT, object_id=grant.pk, facility=grant.facility)
        locked = PrivilegeGrant.objects.select_for_update().select_related("request").get(pk=grant.pk)
        if locked.status != PrivilegeGrantStatus.ACTIVE:
            raise ValidationError({"outcome": [_("This grant was already re-credentialed or withdrawn.")]})
        next_grant = None
        if outcome == RecredentialingOutcome.WITHDRAW:
            locked.status = PrivilegeGrantStatus.WITHDRAWN
        else:
            locked.status = PrivilegeGrantStatus.SUPERSEDED
            # The new period starts today: the superseded grant is no longer a fact for the engine.
            restrict = outcome == RecredentialingOutcome.RESTRICT
            next_grant = _grant_row(
                scope=scope,
                acting_user=acting_user,
                request=locked.request,
                starts_on=local_date(locked.facility),
                years=period,
                fppe_cases=entry.fppe_cases if restrict else 0,
                restriction=limit,
                renews=locked,
            )
        locked.save(update_fields=["status"])
        decision = RecredentialingDecision.objects.create(
            organization=scope.organization,
            grant=locked,
            outcome=outcome,
            reasons=text,
            next_grant=next_grant,
            decided_by=acting_user,
            decided_at=timezone.now(),
        )
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            object_type=OBJECT_GRANT,
            object_id=locked.pk,
            reason=f"re-credentialing: {outcome} {locked.number}"
            + (f" -> {next_grant.number} to {next_grant.ends_on}" if next_grant else "")
            + f"; {text}"[:1500],
        )
    grant.status = locked.status
    return decision
