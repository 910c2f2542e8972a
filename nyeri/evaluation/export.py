"""The practice evaluation as CSV: one row per role and practitioner (a practitioner with two
roles has a row in each peer group), then one row of the peers' medians per role.

Codes (role, flag codes) stay the same in every language; headings and names follow the
user's language. Counts of fewer than ``SMALL_NUMBER_MINIMUM`` patients read "< 5";
percentages use a dot and are empty when there is nothing to divide by or a count is hidden.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.utils.translation import gettext as _

from nyeri.clinical.outcomes.responders import FOLLOW_UP_MONTHS
from nyeri.evaluation.selectors import PracticeEvaluation
from nyeri.lib.spreadsheet import safe_text


def _number(value: object) -> str:
    return "" if value is None else str(value)


def _header() -> list[str]:
    relief: list[str] = []
    for months in FOLLOW_UP_MONTHS:
        relief += [
            _("Assessed at %(months)s months") % {"months": months},
            _("At least 30 %% less pain at %(months)s months") % {"months": months},
            _("Percent of assessed"),
            _("At least 50 %% less pain at %(months)s months") % {"months": months},
            _("Percent of assessed"),
        ]
    return [
        _("Role code"),
        _("Role"),
        _("Person id"),
        _("Practitioner"),
        _("From"),
        _("To"),
        _("Procedures"),
        _("With a complication"),
        _("Complication rate, percent"),
        _("Prescriptions"),
        _("With an opioid"),
        _("At or above the MME justification threshold"),
        _("Of them without a justification"),
        _("Engine refusals"),
        _("Emergency accesses"),
        _("Of them not justified"),
        _("Patients"),
        *relief,
        _("Flags"),
    ]


def evaluation_csv(evaluation: PracticeEvaluation) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_header())
    filters = evaluation.filters
    period = [filters.date_from.isoformat(), filters.date_to.isoformat()]
    for group in evaluation.groups:
        for row in group.rows:
            p = row.practitioner
            relief: list[object] = []
            for figures in p.relief:
                shown = figures.shown
                relief += [
                    shown["assessed"],
                    shown["moderate"],
                    _number(shown["moderate_percent"]),
                    shown["substantial"],
                    _number(shown["substantial_percent"]),
                ]
            writer.writerow(
                [
                    group.role,
                    group.label,
                    p.person_id,
                    safe_text(p.name),
                    *period,
                    p.procedures,
                    p.complicated,
                    _number(p.complication_percent),
                    p.prescriptions,
                    p.opioid_prescriptions,
                    p.high_mme,
                    p.high_mme_unjustified,
                    p.engine_refusals,
                    p.break_glass,
                    p.break_glass_not_justified,
                    p.shown_patients,
                    *relief,
                    ";".join(flag.code for flag in row.flags),
                ]
            )
        m: dict[str, Decimal | None] = group.medians
        blank_relief: list[object] = []
        for months in FOLLOW_UP_MONTHS:
            share = m["moderate_percent"] if months == FOLLOW_UP_MONTHS[0] else None
            blank_relief += ["", "", _number(share), "", ""]
        writer.writerow(
            [
                group.role,
                group.label,
                "",
                _("Peers' median"),
                *period,
                _number(m["procedures"]),
                "",
                _number(m["complication_percent"]),
                _number(m["prescriptions"]),
                "",
                "",
                "",
                _number(m["engine_refusals"]),
                _number(m["break_glass"]),
                "",
                "",
                *blank_relief,
                "",
            ]
        )
    return out.getvalue()
