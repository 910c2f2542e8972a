"""One way to show a date: every date and time a template shows, rendered in each language, has one format.

The test walks every template of the project, finds each value passed through ``date`` or
``time`` (in ``{{ ... }}`` and in ``{% blocktranslate with ... %}``), renders it with the
same moment in Indonesian and in English, and checks that each language gives one format
for a date, one for a date with a time, one for a time (and one for a month).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, engines
from django.template.base import FilterExpression, Node, Variable, VariableNode
from django.templatetags.i18n import BlockTranslateNode
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent / "nyeri"
# 05:06 UTC is 12:06 in Jakarta (the installation's zone in the tests), the same day.
MOMENT = datetime(2026, 12, 6, 5, 6, 27, tzinfo=UTC)
EXPECTED = {
    "id": {"6 Des 2026", "6 Des 2026 12:06", "12:06", "Desember 2026"},
    "en": {"6 Dec 2026", "6 Dec 2026 12:06", "12:06", "December 2026"},
}


class Probe(datetime):
    """A moment that is also every attribute and item asked of it (``posting.opened_on``)."""

    def __getattr__(self, name: str) -> Probe:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key: Any) -> Probe:
        return self


PROBE = Probe(2026, 12, 6, 5, 6, 27, tzinfo=UTC)


def template_names() -> list[str]:
    names = []
    for path in sorted(ROOT.rglob("templates/**/*.html")):
        parts = path.parts
        names.append("/".join(parts[len(parts) - 1 - parts[::-1].index("templates") + 1 :]))
    return names


def _dated(expression: FilterExpression) -> bool:
    names = [f.__name__ for f, _args in expression.filters]
    return any(n in ("date", "time") for n in names) and "facility_time" not in names


def _machine(expression: FilterExpression) -> bool:
    # ``|date:'c'`` is for a <time datetime="..."> attribute, read by machines.
    return any(f.__name__ == "date" and args and args[0][1] == "c" for f, args in expression.filters if args)


def dated_expressions(name: str) -> list[FilterExpression]:
    template = engines["django"].get_template(name).template  # type: ignore[attr-defined]
    found: list[FilterExpression] = []
    for node in template.nodelist.get_nodes_by_type(Node):
        if isinstance(node, VariableNode):
            found.append(node.filter_expression)
        elif isinstance(node, BlockTranslateNode):
            found.extend(node.extra_context.values())
    return [e for e in found if _dated(e) and not _machine(e)]


def rendered(expression: FilterExpression, language: str) -> str:
    context: dict[str, Any] = {}
    if isinstance(expression.var, Variable) and expression.var.lookups:
        context[expression.var.lookups[0]] = PROBE
    with translation.override(language):
        return str(expression.resolve(Context(context)))


def test_the_templates_that_show_dates_are_found() -> None:
    with_dates = [n for n in template_names() if dated_expressions(n)]
    # Dozens of pages show dates: a walk that finds none would prove nothing.
    assert len(with_dates) > 40


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_date_of_every_template_has_one_format_per_language(language: str) -> None:
    seen: dict[str, set[str]] = {}
    for name in template_names():
        for expression in dated_expressions(name):
            seen.setdefault(rendered(expression, language), set()).add(f"{name}: {expression.token}")
    unexpected = {text: where for text, where in seen.items() if text not in EXPECTED[language]}
    assert not unexpected, unexpected
    # Dates and date-times were both seen (and nothing else than the language's formats).
    date_only = {"id": "6 Des 2026", "en": "6 Dec 2026"}[language]
    assert {date_only, f"{date_only} 12:06"} <= set(seen), seen.keys()
