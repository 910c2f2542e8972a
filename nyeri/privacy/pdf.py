"""The export as a PDF (A4, fpdf2): the title, then each section with each row's fields as
label and value, in the export's language."""

from __future__ import annotations

from django.utils import formats, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from nyeri.prescriptions.pdf import latin1
from nyeri.privacy.selectors import Export

MARGIN = 15
LABEL_WIDTH = 60
LINE = 5


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 7)
        self.cell(0, 4, latin1(f"{self.footer_text} - {self.page_no()}/{{nb}}"), align="C")


def render_export(export: Export) -> bytes:
    with translation.override(export.language):
        pdf = _Pdf(format="A4")
        pdf.footer_text = export.title
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_title(latin1(export.title))
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 7, latin1(export.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8)
        when = formats.date_format(export.generated_at, "DATETIME_FORMAT")
        pdf.multi_cell(0, LINE, latin1(_("Exported %(when)s") % {"when": when}), new_x="LMARGIN", new_y="NEXT")
        for part in export.sections:
            pdf.ln(3)
            pdf.set_font("Helvetica", "B", 11)
            pdf.multi_cell(0, 6, latin1(f"{part.title} ({len(part.rows)})"), new_x="LMARGIN", new_y="NEXT")
            for number, row in enumerate(part.rows, start=1):
                if number > 1:
                    y = pdf.get_y() + 1
                    pdf.line(MARGIN, y, pdf.w - MARGIN, y)
                    pdf.ln(2)
                for label, value in part.shown(row):
                    pdf.set_font("Helvetica", "", 8)
                    pdf.cell(LABEL_WIDTH, LINE, latin1(label)[:45])
                    pdf.set_font("Helvetica", "", 9)
                    pdf.multi_cell(0, LINE, latin1(value), new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())
