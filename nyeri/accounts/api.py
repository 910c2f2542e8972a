from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from nyeri.accounts import selectors, services
from nyeri.accounts.models import ApiToken
from nyeri.accounts.reauth import require_recent_authentication
from nyeri.accounts.token_scopes import ALL_SCOPES, TokenScope
from nyeri.api.errors import ErrorEnvelope
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.lib.http import request_user

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    language: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    scopes: list[str] = Field(description="What the token may reach: " + ", ".join(ALL_SCOPES))
    status: str = Field(description="active, expired or revoked")


class TokenIn(Schema):
    name: str = Field(max_length=100)
    expires_in_days: int | None = Field(
        default=None,
        ge=1,
        le=services.API_TOKEN_MAX_DAYS,
        description="Days until it expires; empty: API_TOKEN_DEFAULT_DAYS (90 unless configured)",
    )
    scopes: list[TokenScope] = Field(min_length=1, description="At least one; see docs/security.md")


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret token. It is returned only this once.")


def _token_out(token: ApiToken) -> dict[str, object]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "scopes": list(token.scopes),
        "status": selectors.api_token_status(token),
    }


@router.get("/me", response=MeOut, summary="Who you are")
def me(request: HttpRequest) -> object:
    return request.user


@router.get(
    "/tokens", response={200: Page[TokenOut], 422: ErrorEnvelope}, summary="Your API tokens, newest first (paged)"
)
def list_tokens(request: HttpRequest, paging: Query[PageQuery]) -> HttpResponse:
    found = selectors.api_token_rows(request_user(request), offset=paging.offset, limit=paging.page_size)
    return json_page(found.rows, count=found.count, query=paging)


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, 403: ErrorEnvelope, 422: ErrorEnvelope},
    summary="Create an API token (the secret is returned once)",
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, object]]:
    if getattr(request, "api_token", None) is not None:
        # A token minting tokens would outlive its own expiry or revocation.
        raise PermissionDenied(_("API tokens are created from a logged-in session, not with another token."))
    # A token reaches the API without a second factor: creating one needs a recent password
    # (and second factor), like any sensitive action.
    require_recent_authentication(request)
    token, secret = services.create_api_token(
        acting_user=request_user(request),
        name=payload.name,
        expires_in_days=payload.expires_in_days,
        scopes=[str(scope) for scope in payload.scopes],
    )
    return Status(201, {**_token_out(token), "token": secret})


@router.delete("/tokens/{token_id}", response={204: None, 404: ErrorEnvelope}, summary="Revoke one of your tokens")
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    user = request_user(request)
    services.revoke_api_token(acting_user=user, token=selectors.own_api_token(user, token_id))
    return Status(204, None)
