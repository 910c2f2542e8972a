"""People administration: invitations, members' roles and facilities, off-boarding.

Every write takes the acting user (and, for administrators, their scope), validates with
errors that name the field, writes in one transaction and audits it there. Refusals of
non-administrators are audited by ``require_people_administrator`` (403).

``create_member`` is the one way a user becomes a member with a professional record
(membership with roles and facility limits, Person with roles, facilities and NIK); the
invitation acceptance and the spreadsheet import both use it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.accounts.services import end_sessions_and_tokens
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.lib.services import Errors, add_error
from nyeri.notifications.services import absolute_link
from nyeri.onboarding.access import require_people_administrator
from nyeri.onboarding.models import Invitation, InvitationFacility, InvitationRole, InvitationStatus
from nyeri.onboarding.nik import nik_errors
from nyeri.onboarding.tokens import digest, new_secret
from nyeri.tenancy.models import Facility, Membership, MembershipFacility, MembershipRole, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.services import add_member
from nyeri.workforce.kinds import Citizenship
from nyeri.workforce.models import Person, PersonFacility, PersonRole

INVITATION_VALIDITY = timedelta(days=7)


class InvitationProblem(enum.StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


class InvitationUnavailable(Exception):
    """The link names no invitation that can be accepted now; ``problem`` says why."""

    def __init__(self, problem: InvitationProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def problem_message(problem: InvitationProblem) -> str:
    """What the person who opened the link is told, translated."""
    if problem is InvitationProblem.EXPIRED:
        return _("This invitation has expired. Ask your clinic's administrator to send it again.")
    if problem is InvitationProblem.USED:
        return _("This invitation has already been used. Log in with the username you chose.")
    if problem is InvitationProblem.REVOKED:
        return _("This invitation has been withdrawn. Ask your clinic's administrator if you think this is a mistake.")
    return _(
        "This invitation link is not valid. It may have been replaced by a newer e-mail: use the link in the "
        "latest one."
    )


def _role_list(roles: Iterable[Role | str], errors: Errors) -> list[str]:
    role_list = sorted({str(r) for r in roles})
    if not role_list:
        add_error(errors, "roles", _("Choose at least one role."))
    unknown = [r for r in role_list if r not in Role.values]
    if unknown:
        add_error(errors, "roles", _("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)})
    return role_list


def _facility_list(organization: Organization, facilities: Iterable[Facility], errors: Errors) -> list[Facility]:
    facility_list = list({f.pk: f for f in facilities}.values())
    if any(f.organization_id != organization.pk for f in facility_list):
        add_error(errors, "facilities", _("A facility does not belong to your organization."))
    return sorted(facility_list, key=lambda f: f.pk)


def _describe_facilities(facility_ids: Sequence[int]) -> str:
    return ", ".join(str(i) for i in sorted(facility_ids)) if facility_ids else "all"


# --- Members with a professional record -----------------------------------------------


def _person_facilities(organization: Organization, facilities: Sequence[Facility]) -> list[Facility]:
    """Where the professional record says the person works: the chosen facilities, or every
    active facility of the organization for a membership without limits."""
    if facilities:
        return list(facilities)
    return list(Facility.objects.filter(organization=organization, is_active=True).order_by("pk"))


def _set_person_access(person: Person, roles: Sequence[str], facilities: Sequence[Facility]) -> None:
    organization_id = person.organization_id
    PersonRole.objects.filter(person=person).delete()
    PersonRole.objects.bulk_create([PersonRole(organization_id=organization_id, person=person, role=r) for r in roles])
    PersonFacility.objects.filter(person=person).delete()
    PersonFacility.objects.bulk_create(
        [PersonFacility(organization_id=organization_id, person=person, facility=f) for f in facilities]
    )


def create_member(
    *,
    acting_user: User | None,
    organization: Organization,
    user: User,
    full_name: str,
    roles: Iterable[Role | str],
    facilities: Iterable[Facility] = (),
    email: str = "",
    nik: str = "",
    citizenship: Citizenship | str = Citizenship.CITIZEN,
    phone: str = "",
) -> tuple[Membership, Person]:
    """Make ``user`` a member of ``organization`` with a professional record, in one transaction.

    The membership holds ``roles`` and is limited to ``facilities`` (none: every facility);
    the Person holds the same roles and works at those facilities (none: every active
    facility). A Person of the organization with the same NIK and no account yet (say,
    imported from a spreadsheet) becomes this user's record instead of a second one.
    """
    errors: Errors = {}
    role_list = _role_list(roles, errors)
    facility_list = _facility_list(organization, facilities, errors)
    nik = nik.strip()
    for message in nik_errors(nik):
        add_error(errors, "nik", message)
    if Membership.objects.filter(organization=organization, user=user).exists():
        add_error(errors, "email", _("This person already belongs to your organization."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        person = None
        if nik:
            person = Person.objects.select_for_update().filter(organization=organization, nik=nik).first()
            if person is not None and person.user_id is not None:
                raise ValidationError({"nik": [_("Another member of your organization already has this NIK.")]})
        if person is None:
            person = Person(organization=organization, nik=nik, citizenship=citizenship)
        person.user = user
        person.full_name = full_name.strip()
        person.email = email.strip() or person.email
        person.phone = phone.strip() or person.phone
        person.citizenship = citizenship
        try:
            person.full_clean()
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        created = person.pk is None
        person.save()
        _set_person_access(person, role_list, _person_facilities(organization, facility_list))
        membership = add_member(
            acting_user=acting_user,
            organization=organization,
            user=user,
            roles=[Role(r) for r in role_list],
            facilities=facility_list,
        )
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            organization=organization,
            object_type="person",
            object_id=person.pk,
            reason=f"member {membership.pk}; roles: {', '.join(role_list)}; "
            f"facilities: {_describe_facilities([f.pk for f in facility_list])}",
        )
    return membership, person


# --- Invitations ----------------------------------------------------------------------


def _link(secret: str, site_url: str) -> str:
    """The full address of the acceptance page: NYERI_SITE_URL when set, else the address
    the administrator used (``site_url``), else only the path."""
    path = reverse("onboarding:accept", args=[secret])
    if settings.NYERI_SITE_URL or not site_url:
        return absolute_link(path)
    return f"{site_url.rstrip('/')}{path}"


def _send_invitation(invitation: Invitation, secret: str, site_url: str = "") -> None:
    """The invitation e-mail: the subject and first text in the invitation's language, then
    the same text in the other languages (the invitee's own preference is not known yet)."""
    link = _link(secret, site_url)
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "link": link,
        "expires_at": invitation.expires_at,
    }
    languages = [invitation.language, *(code for code, _name in settings.LANGUAGES if code != invitation.language)]
    parts = []
    for language in languages:
        with translation.override(language):
            parts.append(render_to_string("onboarding/email_invitation.txt", context).strip())
    with translation.override(invitation.language):
        subject = _("You are invited to join %(organization)s on Nyeri") % {
            "organization": invitation.organization.name
        }
    send_mail(subject, "\n\n-----\n\n".join(parts) + "\n", None, [invitation.email])


def _new_link(invitation: Invitation) -> str:
    secret = new_secret()
    now = timezone.now()
    invitation.token_digest = digest(secret)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_VALIDITY
    return secret


def invite_member(
    *,
    scope: Scope,
    acting_user: User,
    full_name: str,
    email: str,
    roles: Iterable[Role | str],
    facilities: Iterable[Facility] = (),
    nik: str = "",
    citizenship: Citizenship | str = Citizenship.CITIZEN,
    language: str = "",
    site_url: str = "",
) -> Invitation:
    """Invite a staff member by e-mail; the link (valid 7 days) is sent once the invitation is saved.

    ``site_url`` (``https://host``): where the link points when NYERI_SITE_URL is not set.
    """
    require_people_administrator(scope, object_type="invitation", reason="invite a member")
    organization = scope.organization
    errors: Errors = {}
    full_name = full_name.strip()
    email = email.strip().lower()
    nik = nik.strip()
    language = language or acting_user.language or settings.LANGUAGE_CODE
    if not full_name:
        add_error(errors, "full_name", _("Give the person's full name."))
    try:
        validate_email(email)
    except ValidationError:
        add_error(errors, "email", _("Enter a valid e-mail address."))
    role_list = _role_list(roles, errors)
    facility_list = _facility_list(organization, facilities, errors)
    for message in nik_errors(nik):
        add_error(errors, "nik", message)
    if nik and Person.objects.filter(organization=organization, nik=nik, user__isnull=False).exists():
        add_error(errors, "nik", _("Another member of your organization already has this NIK."))
    if citizenship not in Citizenship.values:
        add_error(errors, "citizenship", _("Choose the citizenship from the identity document."))
    if language not in dict(settings.LANGUAGES):
        add_error(errors, "language", _("Choose one of the offered languages."))
    existing = Membership.objects.filter(organization=organization, user__email__iexact=email).first()
    if email and existing is not None and existing.is_active:
        add_error(errors, "email", _("%(email)s is already a member of your organization.") % {"email": email})
    elif email and existing is not None:
        add_error(
            errors,
            "email",
            _("%(email)s is a deactivated member of your organization: reactivate them on the People page instead.")
            % {"email": email},
        )
    elif (
        email
        and Invitation.objects.filter(organization=organization, email=email, status=InvitationStatus.PENDING).exists()
    ):
        add_error(
            errors,
            "email",
            _("An invitation to %(email)s is already waiting: send it again from the list instead.") % {"email": email},
        )
    invitation = Invitation(
        organization=organization,
        full_name=full_name,
        email=email,
        nik=nik,
        citizenship=citizenship,
        language=language,
        invited_by=acting_user,
    )
    secret = _new_link(invitation)
    if not errors:
        try:
            invitation.full_clean()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        invitation.save(force_insert=True)
        InvitationRole.objects.bulk_create(
            [InvitationRole(organization=organization, invitation=invitation, role=r) for r in role_list]
        )
        InvitationFacility.objects.bulk_create(
            [InvitationFacility(organization=organization, invitation=invitation, facility=f) for f in facility_list]
        )
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=organization,
            object_type="invitation",
            object_id=invitation.pk,
            reason=f"roles: {', '.join(role_list)}; facilities: {_describe_facilities([f.pk for f in facility_list])}",
        )
        transaction.on_commit(lambda: _send_invitation(invitation, secret, site_url))
    return invitation


def _locked_pending(scope: Scope, invitation: Invitation) -> Invitation:
    locked = Invitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
    if locked.organization_id != scope.organization.pk:
        raise ValidationError({"invitation": [_("This invitation is not of your organization.")]})
    if locked.status != InvitationStatus.PENDING:
        raise ValidationError(
            {
                "status": [
                    _("This invitation is %(status)s: it can no longer be changed.")
                    % {"status": locked.get_status_display().lower()}
                ]
            }
        )
    return locked


def resend_invitation(*, scope: Scope, acting_user: User, invitation: Invitation, site_url: str = "") -> Invitation:
    """A new link, valid 7 days from now; the previous link stops working."""
    require_people_administrator(scope, object_type="invitation", object_id=invitation.pk, reason="resend")
    with transaction.atomic():
        locked = _locked_pending(scope, invitation)
        secret = _new_link(locked)
        locked.save(update_fields=["token_digest", "sent_at", "expires_at"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            object_type="invitation",
            object_id=locked.pk,
            reason="sent again with a new link",
        )
        transaction.on_commit(lambda: _send_invitation(locked, secret, site_url))
    return locked


def revoke_invitation(*, scope: Scope, acting_user: User, invitation: Invitation) -> Invitation:
    require_people_administrator(scope, object_type="invitation", object_id=invitation.pk, reason="revoke")
    with transaction.atomic():
        locked = _locked_pending(scope, invitation)
        locked.status = InvitationStatus.REVOKED
        locked.revoked_at = timezone.now()
        locked.revoked_by = acting_user
        locked.save(update_fields=["status", "revoked_at", "revoked_by"])
        record_event(
            actor=acting_user,
            action=AuditAction.CANCEL,
            organization=scope.organization,
            object_type="invitation",
            object_id=locked.pk,
            reason="revoked",
        )
    return locked


def _find(secret: str, *, lock: bool) -> Invitation | None:
    if not secret or len(secret) > 100:
        return None
    qs = Invitation.objects.select_related("organization").filter(token_digest=digest(secret))
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def _problem_of(invitation: Invitation | None) -> InvitationProblem | None:
    if invitation is None:
        return InvitationProblem.INVALID
    if invitation.status == InvitationStatus.ACCEPTED:
        return InvitationProblem.USED
    if invitation.status == InvitationStatus.REVOKED:
        return InvitationProblem.REVOKED
    if invitation.expires_at <= timezone.now():
        return InvitationProblem.EXPIRED
    return None


def open_invitation(secret: str) -> Invitation:
    """The invitation a link names, if it can be accepted now (InvitationUnavailable, audited, otherwise)."""
    invitation = _find(secret, lock=False)
    problem = _problem_of(invitation)
    if problem is not None:
        _audit_refused_acceptance(invitation, problem)
        raise InvitationUnavailable(problem)
    assert invitation is not None
    return invitation


def accept_invitation(*, secret: str, username: str, password: str) -> User:
    """Create the invitee's account, membership and professional record, in one transaction.

    A link that is unknown (or replaced by a resend), expired, used or revoked raises
    InvitationUnavailable, audited; a bad username or password raises ValidationError naming
    the field, and nothing is written.
    """
    username = username.strip()
    found = _find(secret, lock=False)
    problem = _problem_of(found)
    if problem is not None:
        _audit_refused_acceptance(found, problem)
        raise InvitationUnavailable(problem)
    with transaction.atomic():
        invitation = _find(secret, lock=True)
        problem = _problem_of(invitation)
        if problem is not None:
            # Accepted or revoked a moment ago, by another request.
            raise InvitationUnavailable(problem)
        assert invitation is not None
        errors: Errors = {}
        username_field = User._meta.get_field("username")
        try:
            username_field.clean(username, None)
        except ValidationError as exc:
            errors["username"] = list(exc.messages)
        if "username" not in errors and User.objects.filter(username__iexact=username).exists():
            add_error(errors, "username", _("This username is taken. Choose another one."))
        candidate = User(username=username, email=invitation.email, full_name=invitation.full_name)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
        if errors:
            raise ValidationError(errors)
        user = User.objects.create_user(
            username=username,
            email=invitation.email,
            password=password,
            full_name=invitation.full_name,
            language=invitation.language,
        )
        roles = list(invitation.roles.values_list("role", flat=True))
        facilities = [link.facility for link in invitation.facility_links.select_related("facility")]
        create_member(
            acting_user=invitation.invited_by,
            organization=invitation.organization,
            user=user,
            full_name=invitation.full_name,
            roles=roles,
            facilities=facilities,
            email=invitation.email,
            nik=invitation.nik,
            citizenship=invitation.citizenship,
        )
        invitation.status = InvitationStatus.ACCEPTED
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["status", "accepted_at", "accepted_user"])
        record_event(
            actor=user,
            action=AuditAction.UPDATE,
            organization=invitation.organization,
            object_type="invitation",
            object_id=invitation.pk,
            reason="accepted",
        )
    return user


def _audit_refused_acceptance(invitation: Invitation | None, problem: InvitationProblem) -> None:
    with transaction.atomic():
        record_event(
            actor=None,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=invitation.organization if invitation is not None else None,
            object_type="invitation",
            object_id=invitation.pk if invitation is not None else "",
            reason=f"invitation link refused: {problem.value}",
        )


# --- Roles and facilities -------------------------------------------------------------


def _active_administrators(organization: Organization) -> set[int]:
    return set(
        MembershipRole.objects.filter(
            organization=organization, membership__is_active=True, role=Role.ADMINISTRATOR
        ).values_list("membership_id", flat=True)
    )


def _leaves_no_administrator(membership: Membership) -> bool:
    return _active_administrators(membership.organization) <= {membership.pk}


def change_access(
    *,
    scope: Scope,
    acting_user: User,
    membership: Membership,
    roles: Iterable[Role | str],
    facilities: Iterable[Facility] = (),
) -> Membership:
    """Set a member's roles and facility limits (none: every facility), and their record's.

    The scope reads MembershipRole and MembershipFacility, the requirements engine
    PersonRole and PersonFacility: both change in one transaction, so the member's next
    request sees the new privileges.
    """
    require_people_administrator(scope, object_id=membership.pk, reason="change roles and facilities")
    organization = scope.organization
    errors: Errors = {}
    role_list = _role_list(roles, errors)
    facility_list = _facility_list(organization, facilities, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("organization").get(pk=membership.pk)
        if locked.organization_id != organization.pk:
            raise ValidationError({"member": [_("This person is not a member of your organization.")]})
        # Every administrator's membership is locked, so that two administrators removing
        # each other's role at the same moment cannot both succeed.
        list(
            Membership.objects.select_for_update()
            .filter(organization=organization, roles__role=Role.ADMINISTRATOR)
            .values_list("pk", flat=True)
        )
        before_roles = sorted(MembershipRole.objects.filter(membership=locked).values_list("role", flat=True))
        before_facilities = sorted(
            MembershipFacility.objects.filter(membership=locked).values_list("facility_id", flat=True)
        )
        if (
            locked.is_active
            and Role.ADMINISTRATOR in before_roles
            and Role.ADMINISTRATOR not in role_list
            and _leaves_no_administrator(locked)
        ):
            if locked.user_id == acting_user.pk:
                message = _("You are the last active administrator: give another member the role first.")
            else:
                message = _("This is the last active administrator: give another member the role first.")
            raise ValidationError({"roles": [message]})
        MembershipRole.objects.filter(membership=locked).delete()
        MembershipRole.objects.bulk_create(
            [MembershipRole(organization=organization, membership=locked, role=r) for r in role_list]
        )
        MembershipFacility.objects.filter(membership=locked).delete()
        MembershipFacility.objects.bulk_create(
            [MembershipFacility(organization=organization, membership=locked, facility=f) for f in facility_list]
        )
        person = Person.objects.filter(organization=organization, user_id=locked.user_id).first()
        if person is not None:
            _set_person_access(person, role_list, _person_facilities(organization, facility_list))
        after_facilities = [f.pk for f in facility_list]
        record_event(
            actor=acting_user,
            action=AuditAction.ACCESS_CHANGED,
            organization=organization,
            object_type="membership",
            object_id=locked.pk,
            reason=f"roles: {', '.join(before_roles) or '-'} -> {', '.join(role_list)}; "
            f"facilities: {_describe_facilities(before_facilities)} -> {_describe_facilities(after_facilities)}"
            + (f"; person {person.pk}" if person is not None else ""),
        )
    return locked


# --- Off-boarding ---------------------------------------------------------------------


def deactivate_member(*, scope: Scope, acting_user: User, membership: Membership, reason: str = "") -> Membership:
    """Off-board a member at once: the membership ends, and so do their sessions and API tokens.

    Their account is switched off too when they belong to no other organization (login is
    refused). Nothing they wrote changes: records keep pointing at their account and name.
    """
    require_people_administrator(scope, object_id=membership.pk, reason="deactivate a member")
    reason = reason.strip()
    if membership.user_id == acting_user.pk:
        raise ValidationError({"member": [_("You cannot deactivate yourself.")]})
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("user", "organization").get(pk=membership.pk)
        if locked.organization_id != scope.organization.pk:
            raise ValidationError({"member": [_("This person is not a member of your organization.")]})
        if not locked.is_active:
            raise ValidationError({"member": [_("This member is already deactivated.")]})
        if MembershipRole.objects.filter(
            membership=locked, role=Role.ADMINISTRATOR
        ).exists() and _leaves_no_administrator(locked):
            raise ValidationError(
                {"member": [_("This is the last active administrator: give another member the role first.")]}
            )
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        user = locked.user
        elsewhere = Membership.objects.filter(Q(user=user, is_active=True) & ~Q(pk=locked.pk)).exists()
        account_off = not elsewhere and not user.is_superuser and user.is_active
        if account_off:
            user.is_active = False
            user.save(update_fields=["is_active"])
        sessions, tokens = end_sessions_and_tokens(user)
        record_event(
            actor=acting_user,
            action=AuditAction.ACCOUNT_DEACTIVATED,
            organization=scope.organization,
            object_type="membership",
            object_id=locked.pk,
            reason=(f"{reason} " if reason else "")
            + f"(sessions ended: {sessions}, tokens revoked: {tokens}, account switched off: {account_off})",
        )
    return locked


def reactivate_member(*, scope: Scope, acting_user: User, membership: Membership) -> Membership:
    """Undo an off-boarding: the membership and the account work again (new API tokens are needed)."""
    require_people_administrator(scope, object_id=membership.pk, reason="reactivate a member")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("user", "organization").get(pk=membership.pk)
        if locked.organization_id != scope.organization.pk:
            raise ValidationError({"member": [_("This person is not a member of your organization.")]})
        if locked.is_active:
            raise ValidationError({"member": [_("This member is already active.")]})
        locked.is_active = True
        locked.save(update_fields=["is_active"])
        user = locked.user
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
        record_event(
            actor=acting_user,
            action=AuditAction.ACCESS_CHANGED,
            organization=scope.organization,
            object_type="membership",
            object_id=locked.pk,
            reason="reactivated",
        )
    return locked
