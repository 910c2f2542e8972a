"""The outcomes report as CSV: one row per group and follow-up point, aggregate figures only.

Codes (breakdown, group code, measure) stay the same in every language so that a
spreadsheet or a script can read them; headings and group names follow the user's
language. Shares are percentages of the patients assessed, with a dot ("30.0"), empty when
nobody was assessed or when a count it is made of is hidden. Counts of fewer than
``SMALL_NUMBER_MINIMUM`` patients read "< 5" (see nyeri/lib/suppression.py).
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from nyeri.clinical.outcomes.responders import ResponderLevel
from nyeri.clinical.outcomes.selectors import OutcomesReport
from nyeri.lib.spreadsheet import safe_text


def _header() -> list[str]:
    return [
        _("Breakdown"),
        _("Code"),
        _("Group"),
        _("Baselines from"),
        _("Baselines to"),
        _("Measure"),
        _("Patients"),
        _("Baseline of 0"),
        _("Months after baseline"),
        _("Not yet due"),
        _("Not assessed"),
        _("Assessed"),
        ResponderLevel.MODERATE.label,
        _("%(level)s, percent of assessed") % {"level": ResponderLevel.MODERATE.label},
        ResponderLevel.SUBSTANTIAL.label,
        _("%(level)s, percent of assessed") % {"level": ResponderLevel.SUBSTANTIAL.label},
    ]


def _percent(value: object) -> str:
    return "" if value is None else str(value)


def report_csv(report: OutcomesReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_header())
    filters = report.filters
    for group in report.groups():
        counts = group.shown
        for figures in group.follow_ups:
            shown = figures.shown
            writer.writerow(
                [
                    group.breakdown,
                    safe_text(group.code),
                    safe_text(group.label),
                    filters.date_from.isoformat(),
                    filters.date_to.isoformat(),
                    filters.measure,
                    counts["patients"],
                    counts["baseline_zero"],
                    figures.months,
                    shown["not_yet_due"],
                    shown["not_assessed"],
                    shown["assessed"],
                    shown["moderate"],
                    _percent(shown["moderate_percent"]),
                    shown["substantial"],
                    _percent(shown["substantial_percent"]),
                ]
            )
    return out.getvalue()
