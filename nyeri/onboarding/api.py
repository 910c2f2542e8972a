"""People administration over the API: invitations and members (administrators only)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.lib.http import request_user
from nyeri.onboarding import selectors, services
from nyeri.onboarding.access import access_invitation, access_member, require_people_administrator
from nyeri.onboarding.selectors import InvitationRow, MemberRow
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import request_scope
from nyeri.workforce.kinds import Citizenship

router = Router(tags=["people administration"])

ERRORS = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class MemberFacilityOut(Schema):
    id: int
    name: str


class MemberOut(Schema):
    id: int = Field(description="The membership's id")
    user_id: int
    username: str
    full_name: str
    email: str
    roles: list[str]
    facilities: list[MemberFacilityOut] = Field(description="Empty: every facility of the organization")
    is_active: bool
    person_id: int | None


class InvitationOut(Schema):
    id: int
    full_name: str
    email: str
    nik: str
    roles: list[str]
    facilities: list[MemberFacilityOut] = Field(description="Empty: every facility of the organization")
    sent_at: datetime
    expires_at: datetime
    expired: bool
    invited_by: str


class InvitationIn(Schema):
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    roles: list[Role]
    facility_ids: list[int] = Field(default=[], description="Empty: every facility of the organization")
    nik: str = Field(default="", max_length=16)
    citizenship: Citizenship = Citizenship.CITIZEN
    language: str = Field(default="", description="Language of the e-mail (id or en); default: yours")


class AccessIn(Schema):
    roles: list[Role]
    facility_ids: list[int] = Field(default=[], description="Empty: every facility of the organization")


class DeactivateIn(Schema):
    reason: str = Field(default="", max_length=300)


def _member_out(row: MemberRow) -> dict[str, object]:
    return {
        "id": row.membership_id,
        "user_id": row.user_id,
        "username": row.username,
        "full_name": row.full_name,
        "email": row.email,
        "roles": list(row.roles),
        "facilities": [{"id": f.id, "name": f.name} for f in row.facilities],
        "is_active": row.is_active,
        "person_id": row.person_id,
    }


def _invitation_out(row: InvitationRow) -> dict[str, object]:
    return {
        "id": row.id,
        "full_name": row.full_name,
        "email": row.email,
        "nik": row.nik,
        "roles": list(row.roles),
        "facilities": [{"id": f.id, "name": f.name} for f in row.facilities],
        "sent_at": row.sent_at,
        "expires_at": row.expires_at,
        "expired": row.expired,
        "invited_by": row.invited_by,
    }


@router.get(
    "/members",
    response={200: Page[MemberOut], 403: ErrorEnvelope, 422: ErrorEnvelope},
    summary="Members of your organization, active first, by name (paged)",
)
def list_members(request: HttpRequest, paging: Query[PageQuery]) -> HttpResponse:
    found = selectors.member_rows(request_scope(request), offset=paging.offset, limit=paging.page_size)
    return json_page(found.rows, count=found.count, query=paging)


@router.put(
    "/members/{membership_id}/access",
    response={200: MemberOut, **ERRORS},
    summary="Set a member's roles and facilities",
)
def change_access(request: HttpRequest, membership_id: int, payload: AccessIn) -> object:
    scope = request_scope(request)
    membership = access_member(scope, membership_id)
    services.change_access(
        scope=scope,
        acting_user=request_user(request),
        membership=membership,
        roles=payload.roles,
        facilities=selectors.facilities_by_ids(scope, payload.facility_ids),
    )
    return _member_out(selectors.member_row(scope, membership))


@router.post(
    "/members/{membership_id}/deactivate",
    response={200: MemberOut, **ERRORS},
    summary="Off-board a member: sessions and API tokens end at once",
)
def deactivate(request: HttpRequest, membership_id: int, payload: DeactivateIn) -> object:
    scope = request_scope(request)
    membership = access_member(scope, membership_id)
    services.deactivate_member(
        scope=scope, acting_user=request_user(request), membership=membership, reason=payload.reason
    )
    return _member_out(selectors.member_row(scope, membership))


@router.post("/members/{membership_id}/reactivate", response={200: MemberOut, **ERRORS}, summary="Undo an off-boarding")
def reactivate(request: HttpRequest, membership_id: int) -> object:
    scope = request_scope(request)
    membership = access_member(scope, membership_id)
    services.reactivate_member(scope=scope, acting_user=request_user(request), membership=membership)
    return _member_out(selectors.member_row(scope, membership))


@router.get(
    "/invitations",
    response={200: Page[InvitationOut], 403: ErrorEnvelope, 422: ErrorEnvelope},
    summary="Invitations waiting for an answer, newest first (paged)",
)
def list_invitations(request: HttpRequest, paging: Query[PageQuery]) -> HttpResponse:
    found = selectors.invitation_page(request_scope(request), offset=paging.offset, limit=paging.page_size)
    return json_page(found.rows, count=found.count, query=paging)


@router.post(
    "/invitations", response={201: InvitationOut, 403: ErrorEnvelope, 422: ErrorEnvelope}, summary="Invite a member"
)
def create_invitation(request: HttpRequest, payload: InvitationIn) -> Status[dict[str, object]]:
    scope = request_scope(request)
    require_people_administrator(scope, object_type="invitation", reason="invite a member")
    invitation = services.invite_member(
        scope=scope,
        acting_user=request_user(request),
        full_name=payload.full_name,
        email=payload.email,
        roles=payload.roles,
        facilities=selectors.facilities_by_ids(scope, payload.facility_ids),
        nik=payload.nik,
        citizenship=payload.citizenship,
        language=payload.language,
        site_url=request.build_absolute_uri("/"),
    )
    row = selectors.invitation_row(scope, invitation)
    assert row is not None
    return Status(201, _invitation_out(row))


@router.post(
    "/invitations/{invitation_id}/resend",
    response={200: InvitationOut, **ERRORS},
    summary="Send an invitation again with a new link (the old one stops working)",
)
def resend(request: HttpRequest, invitation_id: int) -> object:
    scope = request_scope(request)
    invitation = access_invitation(scope, invitation_id)
    services.resend_invitation(
        scope=scope, acting_user=request_user(request), invitation=invitation, site_url=request.build_absolute_uri("/")
    )
    row = selectors.invitation_row(scope, invitation)
    assert row is not None
    return _invitation_out(row)


@router.post("/invitations/{invitation_id}/revoke", response={204: None, **ERRORS}, summary="Withdraw an invitation")
def revoke(request: HttpRequest, invitation_id: int) -> Status[None]:
    scope = request_scope(request)
    invitation = access_invitation(scope, invitation_id)
    services.revoke_invitation(scope=scope, acting_user=request_user(request), invitation=invitation)
    return Status(204, None)
