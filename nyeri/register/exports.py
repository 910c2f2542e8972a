"""The monthly register report as CSV and as PDF (A4 landscape, fpdf2). Exports are audited by
``selectors.export_report``; these functions only render."""

from __future__ import annotations

import csv
import io

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from nyeri.prescriptions import catalogue
from nyeri.prescriptions.pdf import latin1
from nyeri.register.report import COLUMNS, MonthlyReport, check_report, column_titles
from nyeri.tenancy.clock import format_facility_time

A4_LANDSCAPE = (297, 210)  # mm
MARGIN = 10
HEADER = 12  # mm: three lines of a column title


def _language() -> str:
    return "id" if (translation.get_language() or "id").startswith("id") else "en"


def render_csv(report: MonthlyReport) -> bytes:
    """One row per product: code, product, class, unit, then the report's columns (UTF-8 with BOM, for spreadsheets)."""
    language = _language()
    titles = column_titles()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [_("Facility"), _("Month"), _("Code"), _("Product"), _("Class"), _("Unit")] + [titles[c] for c in COLUMNS]
    )
    jurisdiction = report.facility.organization.jurisdiction
    for line in report.lines_by_name(language):
        writer.writerow(
            [
                report.facility.name,
                report.period,
                line.medication_code,
                line.label(language),
                catalogue.class_label(jurisdiction, line.controlled_class, language),
                line.dose_unit,
                *line.values(),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def render_pdf(report: MonthlyReport) -> bytes:
    language = _language()
    titles = column_titles()
    facility = report.facility
    pdf = FPDF(orientation="L", unit="mm", format=A4_LANDSCAPE)
    pdf.set_creator("Nyeri")
    pdf.set_title(latin1(_("Narcotics and psychotropics report %(period)s") % {"period": report.period}))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, latin1(_("Narcotics and psychotropics report")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 5, latin1(f"{facility.name} - {report.period}"), new_x="LMARGIN", new_y="NEXT")
    printed = format_facility_time(timezone.now(), facility)
    pdf.cell(0, 5, latin1(_("Printed %(when)s") % {"when": printed}), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    widths = [70, 30] + [21] * len(COLUMNS)
    headers = [_("Product"), _("Class")] + [titles[c] for c in COLUMNS]
    pdf.set_font("Helvetica", "B", 7)
    top = pdf.get_y()
    x = MARGIN
    for width, header in zip(widths, headers, strict=True):
        pdf.set_xy(x, top)
        pdf.multi_cell(width, 4, latin1(header), align="C")
        pdf.rect(x, top, width, HEADER)
        x += width
    pdf.set_xy(MARGIN, top + HEADER)
    pdf.set_font("Helvetica", "", 8)
    jurisdiction = facility.organization.jurisdiction
    for line in report.lines_by_name(language):
        cells = [line.label(language), catalogue.class_label(jurisdiction, line.controlled_class, language)]
        cells += [str(v) for v in line.values()]
        for n, (width, value) in enumerate(zip(widths, cells, strict=True)):
            pdf.cell(width, 6, latin1(value)[:60], border=1, align="L" if n < 2 else "R")
        pdf.ln(6)
    if not report.lines:
        pdf.cell(0, 6, latin1(_("No movements of controlled drugs.")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    problems = check_report(report)
    pdf.set_font("Helvetica", "B" if problems else "", 9)
    verdict = (
        _("Does NOT reconcile: %(count)s difference(s).") % {"count": len(problems)}
        if problems
        else _("Reconciles: opening + in - out = closing for every product.")
    )
    pdf.cell(0, 5, latin1(verdict), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, latin1(_("Responsible pharmacist: ____________________")), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
