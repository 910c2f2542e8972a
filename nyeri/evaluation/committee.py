"""The practice evaluation in the committee's file of a privilege request (docs/oppe.md,
docs/privileges.md): one practitioner's row beside the peers of each of their roles, with
the policy pack's flags.

Registered with the workforce app's hook (``register_review_source``, from this app's
``AppConfig.ready``): the workforce app reads no clinical table (its import contract), so
it calls this with the reader's scope and ids, and this selector does its own scoping
(``practice_evaluation`` reads the scope's organization and facilities only) and its own
check of who may see it: the compliance officer, and the members of the committee that
reviews the practitioner's role (the medical committee for physicians, the nursing committee
for nurses, ``nyeri.evaluation.access``), beside the peers of that role; never other staff
(the director, the credentialing officer, the other committee or the practitioner reading the
same file get nothing, and no refusal: the rest of the file is theirs to read).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from nyeri.evaluation.access import may_review_practice
from nyeri.evaluation.selectors import (
    RELIEF_MONTHS,
    EvaluationFilters,
    PeerGroup,
    PeerRow,
    default_period,
    pack_decimal,
    practitioner_evaluation,
)
from nyeri.evaluation.services import record_evaluation_read
from nyeri.tenancy.scope import Scope
from nyeri.workforce.policy.loader import pack_for
from nyeri.workforce.privileges.evaluation import PeerComparison

NOT_AVAILABLE = "—"


def _number(value: int | Decimal | None, *, percent: bool = False) -> str:
    if value is None:
        return NOT_AVAILABLE
    shown = formats.number_format(value, decimal_pos=1 if isinstance(value, Decimal) else None)
    return f"{shown} %" if percent else shown


def _headings(threshold: Decimal) -> tuple[str, ...]:
    return (
        _("Procedures"),
        _("With a complication (%)"),
        _("Prescriptions"),
        _("At or above %(threshold)s MME/day (%% of opioid prescriptions)") % {"threshold": threshold},
        _("Without a justification"),
        _("Engine refusals"),
        _("Emergency accesses (not justified)"),
        _("At least 30 %% less pain at %(months)s months") % {"months": RELIEF_MONTHS},
    )


def _comparison(group: PeerGroup, row: PeerRow, threshold: Decimal, period: str) -> PeerComparison:
    p = row.practitioner
    relief = p.at(RELIEF_MONTHS).shown
    moderate = relief["moderate"]
    share = relief["moderate_percent"]
    medians = group.medians
    own = (
        _number(p.procedures),
        _number(p.complication_percent, percent=True),
        _number(p.prescriptions),
        _number(p.high_mme_percent, percent=True),
        _number(p.high_mme_unjustified),
        _number(p.engine_refusals),
        f"{_number(p.break_glass)} ({_number(p.break_glass_not_justified)})",
        f"{moderate} / {relief['assessed']}"
        + (f" ({_number(share, percent=True)})" if isinstance(share, Decimal) else ""),
    )
    peers = (
        _number(medians["procedures"]),
        _number(medians["complication_percent"], percent=True),
        _number(medians["prescriptions"]),
        _number(medians["high_mme_percent"], percent=True),
        NOT_AVAILABLE,
        _number(medians["engine_refusals"]),
        _number(medians["break_glass"]),
        _number(medians["moderate_percent"], percent=True),
    )
    return PeerComparison(
        role=group.role,
        label=group.label,
        peer_count=len(group.rows),
        headings=_headings(threshold),
        own=own,
        peers=peers,
        flags=tuple(flag.message for flag in row.flags),
        period=period,
    )


def committee_filters(until: date) -> EvaluationFilters:
    """The period of the committee's file: the last calendar year that has ended by ``until`` (the
    file's day at the facility), all the reader's facilities; the page's default, so the file
    shows one of the periods the page offers and never a year that differs from one by a few days."""
    year = default_period(until)
    return EvaluationFilters(year.first, year.last, None)


def committee_comparisons(scope: Scope, person_id: int, since: date, until: date) -> list[PeerComparison]:
    """The practitioner's evaluation beside their peers over the last calendar year ended by
    ``until`` (not ``since``..``until``, the file's rolling 12 months: ``committee_filters``), for a
    reader who may review practice; nothing for anyone else. The read is audited
    (``practice_evaluation``, naming the committee file and the person)."""
    if not may_review_practice(scope):
        return []
    filters = committee_filters(until)
    found = practitioner_evaluation(scope, person_id, filters)
    if found is None:
        # Not a practitioner this reader reviews (a nurse's file for the medical committee, a
        # physician's for the nursing committee), or one without a clinical role: nothing shown.
        return []
    record_evaluation_read(scope=scope, filters=filters, channel=f"committee file of person {person_id}")
    _practitioner, rows = found
    threshold = pack_decimal(pack_for(scope.organization.jurisdiction).pack.opioids.mme_justify)
    period = filters.period
    assert period is not None
    return [_comparison(group, row, threshold, period.label) for group, row in rows]
