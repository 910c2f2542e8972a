"""The RKK (rincian kewenangan klinis: the committee's recommended list of clinical
privileges) and the SPK (surat penugasan klinis: the director's clinical appointment
letter) as A4 PDFs (fpdf2), in Indonesian or English."""

from __future__ import annotations

from datetime import date

from django.utils import formats, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from fpdf import FPDF

from nyeri.lib.pdf import latin1
from nyeri.tenancy.clock import format_facility_time
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import PrivilegeGrant, PrivilegeRequest
from nyeri.workforce.privileges.selectors import committee_file, committee_label, fppe_progress, privilege_name

MARGIN = 18
LINE = 6


def _document(title: str, subtitle: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.add_page()
    pdf.set_title(latin1(title))
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, LINE, latin1(subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    return pdf


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(55, LINE, latin1(label))
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, LINE, latin1(value), new_x="LMARGIN", new_y="NEXT")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, LINE + 1, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)


def _bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def _date(value: date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def rkk_pdf(scope: Scope, request: PrivilegeRequest, language: str) -> bytes:
    """The committee's recommendation with the engine's check of each prerequisite (the file
    is assembled in the document's language; reading it is audited)."""
    with translation.override(language):
        file = committee_file(scope, request)
        pdf = _document(
            _("Clinical privileges recommended (RKK)"),
            _("%(committee)s of %(organization)s - %(facility)s")
            % {
                "committee": capfirst(committee_label(scope, request.privilege)),
                "organization": scope.organization.name,
                "facility": request.facility.name,
            },
        )
        _row(pdf, _("Practitioner"), request.person.full_name)
        _row(pdf, _("Clinical privilege"), privilege_name(scope, request.privilege))
        _row(pdf, _("Requested on"), format_facility_time(request.requested_at, request.facility, "DATE_FORMAT"))
        recommended = request.status in {"recommended", "granted"}
        _row(pdf, _("Committee"), _("Recommended") if recommended else _("Not recommended"))
        if request.recommended_at is not None:
            _row(pdf, _("Reviewed on"), format_facility_time(request.recommended_at, request.facility, "DATE_FORMAT"))
        _row(pdf, _("Committee's reasons"), request.committee_reasons)
        _heading(pdf, _("Prerequisites, as checked by the requirements engine"))
        for label, met in file.prerequisites:
            mark = _("met") if met else _("not met")
            pdf.multi_cell(0, LINE, latin1(f"- {label}: {mark}"), new_x="LMARGIN", new_y="NEXT")
        _heading(
            pdf, _("Practice from %(since)s to %(until)s") % {"since": _date(file.since), "until": _date(file.until)}
        )
        pdf.multi_cell(
            0,
            LINE,
            latin1(
                _("Verified hours with pain-clinic patients: %(hours)s")
                % {"hours": formats.number_format(file.hours, 1)}
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        for figure in file.practice:
            pdf.multi_cell(0, LINE, latin1(f"{figure.label}: {figure.value}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        chair = _("Chair of the %(committee)s: ____________________") % {
            "committee": committee_label(scope, request.privilege)
        }
        pdf.cell(0, LINE, latin1(chair), new_x="LMARGIN", new_y="NEXT")
        return _bytes(pdf)


def spk_pdf(scope: Scope, grant: PrivilegeGrant, language: str) -> bytes:
    """The director's clinical appointment letter for one grant."""
    with translation.override(language):
        pdf = _document(
            _("Clinical appointment letter (SPK)"),
            _("Number %(number)s - %(organization)s")
            % {"number": grant.number, "organization": scope.organization.name},
        )
        pdf.multi_cell(
            0,
            LINE,
            latin1(
                _(
                    "On the recommendation of the %(committee)s, the director assigns the practitioner below "
                    "the clinical privilege below at %(facility)s, for the period stated."
                )
                % {"committee": committee_label(scope, grant.privilege), "facility": grant.facility.name}
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(2)
        _row(pdf, _("Practitioner"), grant.person.full_name)
        _row(pdf, _("Clinical privilege"), privilege_name(scope, grant.privilege))
        _row(pdf, _("Valid from"), _date(grant.starts_on))
        _row(pdf, _("Valid until"), _date(grant.ends_on))
        _row(pdf, _("Re-credentialing due"), _date(grant.recredential_on))
        signed, _opened = fppe_progress([grant]).get(grant.pk, (0, 0))
        if grant.fppe_cases:
            _row(
                pdf,
                _("Focused review"),
                _("The first %(count)d cases need a proctor's sign-off (%(signed)d signed off).")
                % {"count": grant.fppe_cases, "signed": signed},
            )
        if grant.restriction:
            _row(pdf, _("Restriction"), grant.restriction)
        _row(pdf, _("Committee's reasons"), grant.request.committee_reasons)
        _row(pdf, _("Granted on"), format_facility_time(grant.granted_at, grant.facility, "DATE_FORMAT"))
        pdf.ln(10)
        pdf.cell(0, LINE, latin1(_("Director: ____________________")), new_x="LMARGIN", new_y="NEXT")
        return _bytes(pdf)
