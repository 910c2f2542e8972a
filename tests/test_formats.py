"""One way to show a date: every date and time a template shows, rendered in each language, has one format.

The test walks every template of the project, finds each value passed through ``date``,
``time`` or ``facility_time`` (in ``{{ ... }}`` and in ``{% blocktranslate with ... %}``),
renders it with the same moment in Indonesian and in English, and checks that each language
gives one format for a date, one for a date with a time (always with its zone's label), one
for a time (and one for a month).
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
    "id": {"6 Des 2026", "6 Des 2026 12:06 WIB", "12:06", "Desember 2026"},
    "en": {"6 Dec 2026", "6 Dec 2026 12:06 WIB", "12:06", "December 2026"},
}


class Probe(datetime):
    """A moment that is also every attribute and item asked of it (``posting.opened_on``)."""

    def __getattr__(self, name: str) -> Probe | str:
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "time_zone":
            return ""  # a facility of no known zone (``appointment.facility``): the installation's
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
    # ``facility_time`` too: rendered without a facility, in the installation's zone, labelled.
    return any(n in ("date", "time", "facility_time") for n in names)


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
    # The facility a filter is given (``|facility_time:record.facility``): the probe too, a
    # facility of no known zone, shown in the installation's.
    for _filter, args in expression.filters:
        for is_variable, arg in args:
            if is_variable and isinstance(arg, Variable) and arg.lookups:
                context[arg.lookups[0]] = PROBE
    if isinstance(expression.var, Variable) and expression.var.lookups:
        context[expression.var.lookups[0]] = PROBE
    with translation.override(language):
        return str(expression.resolve(Context(context)))


def _with_time(expression: FilterExpression) -> bool:
    """A moment shown with its time of day (``|date:"DATETIME_FORMAT"``, ``|time``), not through
    ``facility_time``: it would read without its zone (WIB, WITA, WIT)."""
    names = [f.__name__ for f, _args in expression.filters]
    if "facility_time" in names:
        return False
    for f, args in expression.filters:
        format_name = args[0][1] if args and not args[0][0] else None
        if f.__name__ == "date" and format_name == "DATETIME_FORMAT":
            return True
    return False


# Times of day that are no moment (a ``time`` value: opening hours, a job's daily hour).
WALL_CLOCK = {"facilities/profile.html", "background/jobs.html"}


def test_every_moment_a_template_shows_with_its_time_carries_its_zone_label() -> None:
    # Issue 18: a time is shown in the facility's zone with its label ({{ moment|facility_time:facility }},
    # or ``None`` for what belongs to no facility): staffing "on", equipment history, proctored
    # cases, the SATUSEHAT outbox, the diary panel, the privilege matrices, the services offered.
    unlabelled = {
        f"{name}: {e.token}"
        for name in template_names()
        if name not in WALL_CLOCK
        for e in dated_expressions(name)
        if _with_time(e)
    }
    assert not unlabelled, unlabelled


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
    assert {date_only, f"{date_only} 12:06 WIB"} <= set(seen), seen.keys()
