"""Paged lists and their fast rendering: the envelope every list endpoint answers with.

A list answers ``{"count", "page", "pages", "page_size", "items"}`` (the shape the workforce
people list already had, with the page size added): ``?page=`` (from 1) and ``?page_size=``
(1 to ``MAX_PAGE_SIZE``, default ``DEFAULT_PAGE_SIZE``) choose the page.

Lists are built by selectors as plain dicts of the columns they show; ``json_page`` writes
them straight to JSON instead of validating rows the server itself just built against the
response schema once more: the schema still documents the endpoint in OpenAPI
(``Page[ItemOut]``). Every response of the API, paged or not, is written by pydantic-core's
serializer (``JSONRenderer``, about five times faster than ``json.dumps`` with Django's
encoder for a page of assessments), so all of them format dates the same way. See docs/api.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic_core import to_json

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

Item = TypeVar("Item")


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="From 1.")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class Page(Schema, Generic[Item]):
    count: int = Field(description="Items in the whole list.")
    page: int
    pages: int = Field(description="Pages in the whole list (at least 1).")
    page_size: int
    items: list[Item]


def page_body(items: Sequence[Any], *, count: int, query: PageQuery) -> dict[str, Any]:
    return {
        "count": count,
        "page": query.page,
        "pages": max(1, math.ceil(count / query.page_size)),
        "page_size": query.page_size,
        "items": list(items),
    }


def _unknown(value: Any) -> Any:
    # What pydantic-core does not know itself (a lazy translation, for one): as Django's
    # encoder writes it; anything else is refused by it with a TypeError, as before.
    return NinjaJSONEncoder().default(value)


def dumps(body: Any) -> bytes:
    return to_json(body, fallback=_unknown)


class JSONRenderer(BaseRenderer):
    """The API's renderer (nyeri/api/root.py): pydantic-core's serializer."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return dumps(data)


def json_response(body: Any, *, status: int = 200) -> HttpResponse:
    """``body`` (dicts, lists, dates, numbers the server built) as JSON, without re-validation."""
    return HttpResponse(dumps(body), content_type="application/json; charset=utf-8", status=status)


def json_page(items: Sequence[Any], *, count: int, query: PageQuery) -> HttpResponse:
    return json_response(page_body(items, count=count, query=query))


def page_slice(items: Sequence[Item], query: PageQuery) -> list[Item]:
    """The page of a list held in memory (a catalogue read from the code's data files): cut
    before its rows are built, so that only the page's rows are translated and described."""
    return list(items[query.offset : query.offset + query.page_size])
