from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    language: str


@router.get("/me", response=MeOut, summary="Who you are")
def me(request: HttpRequest) -> object:
    return request.user
