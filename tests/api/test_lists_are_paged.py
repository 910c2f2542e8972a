"""Every GET list of the API is paged: the OpenAPI document is walked, a bare array fails.

A list answers the envelope of ``nyeri/api/pages.py`` (``Page[ItemOut]``: ``count``, ``page``,
``pages``, ``page_size``, ``items``; docs/api.md, "Lists: paged by default"). A new GET
operation whose 200 answer is a JSON array fails here, so the next unbounded list cannot slip
in unnoticed: page it with ``PageQuery`` and ``json_page``, or, if the list is bounded by
nature, add it to ``BOUNDED`` with the reason.
"""

from __future__ import annotations

from typing import Any

from nyeri.api.root import api

# GET operations that may answer a bare array, each with why it can never grow unbounded.
BOUNDED: dict[str, str] = {
    # The ICD-10 search answers at most its ``limit`` (at most 50) best matches: it is a
    # typeahead, not a list to walk through.
    "/api/codes/icd10": "at most `limit` (<= 50) search matches",
    # The ICD-11 chronic pain categories are a fixed catalogue shipped with the code (MG30,
    # nyeri/clinical/diagnoses/data/icd11_mg30.toml): a few dozen entries.
    "/api/codes/icd11-pain": "a fixed catalogue of the MG30 categories",
}

PAGE_FIELDS = {"count", "page", "pages", "page_size", "items"}


def _ok_schema(operation: dict[str, Any]) -> dict[str, Any]:
    # django-ninja keys the responses of the document it builds by the status as an int.
    responses = operation.get("responses", {})
    answer = responses.get(200) or responses.get("200") or {}
    return answer.get("content", {}).get("application/json", {}).get("schema", {})


def _get_operations() -> dict[str, dict[str, Any]]:
    return {path: ops["get"] for path, ops in api.get_openapi_schema()["paths"].items() if "get" in ops}


def test_no_get_operation_answers_a_bare_array_unless_bounded_by_nature() -> None:
    bare = sorted(path for path, op in _get_operations().items() if _ok_schema(op).get("type") == "array")
    assert [path for path in bare if path not in BOUNDED] == []


def test_every_bounded_exception_still_exists_and_still_answers_an_array() -> None:
    # An allowed entry that was paged (or removed) since must leave the list, so that the
    # list says exactly which endpoints are exceptions.
    operations = _get_operations()
    stale = [path for path in BOUNDED if path not in operations or _ok_schema(operations[path]).get("type") != "array"]
    assert stale == []


def test_the_paged_lists_answer_the_one_envelope_with_page_and_page_size() -> None:
    components = api.get_openapi_schema()["components"]["schemas"]
    paged = {}
    for path, op in _get_operations().items():
        ref = _ok_schema(op).get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        if name.startswith("Page_"):
            paged[path] = op
            assert set(components[name]["properties"]) == PAGE_FIELDS, path
            parameters = {p["name"] for p in op.get("parameters", [])}
            assert {"page", "page_size"} <= parameters, path
    # The walk found the paged lists at all (34 when the last bare list was paged, December 2026).
    assert len(paged) >= 34
