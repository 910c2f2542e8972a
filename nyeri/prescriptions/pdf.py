"""The printable prescription (A5 PDF, fpdf2): facility, prescriber with STR and SIP, patient,
items with directions, MME, date and signature line.

fpdf2's built-in fonts cover Latin-1, which is enough for Bahasa Indonesia and English;
any other character is reduced to its base letter (or "?") rather than breaking the print.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils import formats, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from nyeri.lib.pdf import latin1
from nyeri.prescriptions import display
from nyeri.prescriptions.models import Prescription, PrescriptionItem
from nyeri.prescriptions.safety import format_number
from nyeri.tenancy.clock import format_facility_time, local_now

A5 = (148, 210)  # mm (given as numbers: fpdf2 warns about its A5 name since 2.8.5)
MARGIN = 12
LABEL_WIDTH = 48
LINE = 5
SMALL = 8
NORMAL = 10


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 4, latin1(f"{self.footer_text} - {self.page_no()}/{{nb}}"), align="C")


def _line(pdf: FPDF, text: str, *, size: int = NORMAL, style: str = "", height: float = LINE) -> None:
    pdf.set_font("Helvetica", style, size)
    pdf.multi_cell(0, height, latin1(text), new_x="LMARGIN", new_y="NEXT")


def _pair(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "", SMALL)
    pdf.cell(LABEL_WIDTH, LINE, latin1(label))
    pdf.set_font("Helvetica", "B", NORMAL)
    pdf.multi_cell(0, LINE, latin1(value or "-"), new_x="LMARGIN", new_y="NEXT")


def _rule(pdf: FPDF) -> None:
    pdf.ln(1)
    y = pdf.get_y()
    pdf.line(MARGIN, y, pdf.w - MARGIN, y)
    pdf.ln(2)


def render_prescription(prescription: Prescription, items: Sequence[PrescriptionItem], *, language: str) -> bytes:
    """The PDF of a signed ``prescription`` in ``language``."""
    with translation.override(language):
        return _render(prescription, items, "id" if language.startswith("id") else "en")


def _render(prescription: Prescription, items: Sequence[PrescriptionItem], language: str) -> bytes:
    facility = prescription.facility
    patient = prescription.patient
    # The prescription's date and signing time are the facility's (a Jayapura prescription
    # signed at 00:30 WIT on 1 January is dated 1 January), with the zone's label.
    signed_at = local_now(facility, prescription.signed_at) if prescription.signed_at else None
    pdf = _Pdf(orientation="P", unit="mm", format=A5)
    pdf.footer_text = _("Prescription %(number)s, printed from Nyeri") % {"number": prescription.number}
    pdf.set_title(latin1(f"{_('Prescription')} {prescription.number}"))
    pdf.set_author(latin1(prescription.prescriber_name))
    pdf.set_creator("Nyeri")
    if signed_at is not None:
        pdf.set_creation_date(signed_at)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_page()

    _line(pdf, facility.name, size=12, style="B", height=6)
    address = ", ".join(part for part in (facility.address, facility.regency, facility.province) if part)
    _line(pdf, address, size=SMALL, height=4)
    if facility.phone:
        _line(pdf, _("Phone %(phone)s") % {"phone": facility.phone}, size=SMALL, height=4)
    _rule(pdf)

    _pair(pdf, _("Prescriber"), prescription.prescriber_name)
    _pair(pdf, _("STR number"), prescription.prescriber_registration)
    _pair(pdf, _("SIP number"), prescription.prescriber_permit)
    if prescription.contains_controlled:
        _pair(pdf, _("Controlled-drug authorisation"), prescription.prescriber_authorisation)
    _rule(pdf)

    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, latin1(_("PRESCRIPTION")), align="C", new_x="LMARGIN", new_y="NEXT")
    when = formats.date_format(signed_at, "DATE_FORMAT") if signed_at else "-"
    _line(pdf, f"{_('No.')} {prescription.number}    {when}", size=SMALL, height=4)
    pdf.ln(1)
    _pair(pdf, _("Patient"), patient.full_name)
    _pair(pdf, _("Record number"), patient.mrn)
    born = formats.date_format(patient.birth_date, "DATE_FORMAT")
    _pair(pdf, _("Birth date"), f"{born} ({patient.get_sex_display()})")
    if patient.address:
        _pair(pdf, _("Address"), patient.address)
    _rule(pdf)

    for item in items:
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(8, 6, "R/")
        pdf.set_font("Helvetica", "B", NORMAL)
        pdf.multi_cell(0, 6, latin1(item.label(language)), new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(MARGIN + 8)
        quantity = _("Quantity: %(quantity)s") % {"quantity": display.units(item.dose_unit, item.quantity)}
        pdf.set_font("Helvetica", "", NORMAL)
        pdf.multi_cell(0, LINE, latin1(quantity), new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(MARGIN + 8)
        pdf.multi_cell(0, LINE, latin1(f"S. {display.directions(item)}"), new_x="LMARGIN", new_y="NEXT")
        notes = []
        if item.controlled_class:
            notes.append(display.controlled_label(prescription.jurisdiction, item.controlled_class))
        if item.mme_per_day is not None:
            notes.append(_("%(mme)s MME/day") % {"mme": format_number(item.mme_per_day)})
        if notes:
            pdf.set_x(MARGIN + 8)
            _line(pdf, " - ".join(notes), size=SMALL, height=4)
        pdf.ln(2)

    if prescription.mme_per_day is not None:
        _rule(pdf)
        total = prescription.mme_total_per_day if prescription.mme_total_per_day is not None else Decimal(0)
        _line(
            pdf,
            _(
                "Opioids: %(this)s MME/day on this prescription, %(total)s MME/day with the patient's other active "
                "prescriptions (factors: %(table)s)."
            )
            % {
                "this": format_number(prescription.mme_per_day),
                "total": format_number(total),
                "table": prescription.mme_table,
            },
            size=SMALL,
            height=4,
        )
        if prescription.justification:
            _line(pdf, _("Justification: %(text)s") % {"text": prescription.justification}, size=SMALL, height=4)
    if prescription.contains_controlled and prescription.jurisdiction == "ID":
        _line(pdf, _("Narcotic and psychotropic prescriptions cannot be refilled (no iter)."), size=SMALL, height=4)

    pdf.ln(6)
    if signed_at is not None:
        signed = _("Signed electronically by %(name)s on %(when)s.") % {
            "name": prescription.prescriber_name,
            "when": format_facility_time(signed_at, facility),
        }
        _line(pdf, signed, size=SMALL, height=4)
    pdf.ln(10)
    x = pdf.w - MARGIN - 55
    y = pdf.get_y()
    pdf.line(x, y, pdf.w - MARGIN, y)
    pdf.set_xy(x, y + 1)
    pdf.set_font("Helvetica", "", SMALL)
    pdf.multi_cell(55, 4, latin1(_("Signature and stamp")), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(x)
    pdf.multi_cell(55, 4, latin1(prescription.prescriber_name), align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
