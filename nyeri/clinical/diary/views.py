"""Diary pages: the staff's "Diary links" page of a patient, and the patient's own phone page.

The patient's pages need no account: the token in the address is the credential. They
show nothing of the staff site (their own layout, no navigation), work without scripts
under the strict CSP, and are in Bahasa Indonesia or English with a language switch.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from nyeri.clinical.access import access_patient
from nyeri.clinical.assessments.display import describe
from nyeri.clinical.diary import selectors, services
from nyeri.clinical.diary.forms import VISIT_KEY, EntryForm, FieldProblem, IssueForm, RevokeForm, new_visit_key
from nyeri.clinical.diary.links import LinkUnavailable, link_url, resolve_link
from nyeri.clinical.diary.selectors import DiaryInstrument
from nyeri.clinical.models import DiaryLinkState
from nyeri.lib.http import request_user
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.scope import request_scope

# What the patient is asked, above each instrument's questions (the files' instructions are the clinician's).
PATIENT_PROMPTS = {
    "nrs": gettext_lazy("How strong is your pain right now? Choose a number from 0 to 10."),
    "peg": gettext_lazy("About the past week: choose a number from 0 to 10 for each question."),
}
BADGES = {DiaryLinkState.ACTIVE: "ok", DiaryLinkState.EXPIRED: "warn", DiaryLinkState.REVOKED: "bad"}


def qr_svg(url: str, *, title: str) -> SafeString:
    """The link as a QR code, inline SVG: no image request, no inline style (CSP)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2, title=title, omitsize=True)
    # segno builds the markup from the URL and escapes the title itself.
    return mark_safe(svg)  # noqa: S308 - segno escapes what it embeds  # nosec B308, B703


# --- Staff -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def links(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="diary links")
    form = IssueForm(request.POST or None, scope=scope, patient=patient)
    refused: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.issue_link(
                scope=scope,
                acting_user=request_user(request),
                patient=patient,
                facility=form.cleaned_data["facility"],
                valid_days=form.cleaned_data.get("valid_days"),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except ActionRefused as error:
            refused = error.reasons
        else:
            url = link_url(request, issued.token)
            response = render(
                request,
                "clinical/diary/issued.html",
                {
                    "patient": patient,
                    "link": issued.link,
                    "url": url,
                    "qr": qr_svg(url, title=_("Pain diary link")),
                },
            )
            # The link is shown once: never from a cache.
            response["Cache-Control"] = "private, no-store"
            return response
    rows = selectors.patient_diary_links(scope, patient)
    return render(
        request,
        "clinical/diary/links.html",
        {
            "patient": patient,
            "form": form,
            "refused": refused,
            "rows": [(row, BADGES[row.state]) for row in rows],
            "daily_limit": services.DAILY_LIMIT,
        },
        status=403 if refused else 200,
    )


@login_required
@require_POST
def revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    scope = request_scope(request)
    link = selectors.access_link(scope, link_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        for message in form.errors.get("reason", []):
            messages.error(request, str(message))
    else:
        try:
            services.revoke_link(
                scope=scope, acting_user=request_user(request), link=link, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The link is revoked: it no longer works. Its entries are kept."))
    return redirect("diary:links", patient_id=link.patient_id)


# --- The patient ---------------------------------------------------------------------------


def _unavailable(request: HttpRequest, error: LinkUnavailable) -> HttpResponse:
    return render(
        request,
        "clinical/diary/patient_unavailable.html",
        {"state": error.state, "link": error.link, "facility": error.link.facility if error.link else None},
        status=410 if error.gone else 404,
    )


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    prompt: str
    today: DiaryInstrument
    form: EntryForm
    problems: list[FieldProblem]
    limit_message: str


def _sections(today: list[DiaryInstrument], forms: dict[str, EntryForm]) -> list[Section]:
    language = get_language()
    sections = []
    for entry in today:
        code = entry.instrument.code
        form = forms[code]
        sections.append(
            Section(
                code,
                entry.instrument.label(language),
                str(PATIENT_PROMPTS.get(code, entry.instrument.instructions(language))),
                entry,
                form,
                form.problems() if form.is_bound else [],
                services.daily_limit_message(entry.instrument),
            )
        )
    return sections


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


# The patient's pages are theirs alone: a shared cache (a proxy) must not keep them.
@cache_control(private=True)
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's diary: one form per instrument; a saved entry leads to its confirmation."""
    try:
        link = resolve_link(token)
    except LinkUnavailable as error:
        return _unavailable(request, error)
    visit = request.GET.get("k", "")
    if request.method == "GET" and not VISIT_KEY.fullmatch(visit):
        # Each visit of the diary gets its key in the address: going back to this page, or
        # reloading it, shows the same forms with the same submission keys.
        return _see_other(f"{request.path}?k={new_visit_key()}")
    forms = {i.code: EntryForm(instrument=i, visit_key=visit) for i in selectors.diary_instruments()}
    problem = ""
    if request.method == "POST":
        code = request.POST.get("instrument", "")
        if code not in forms:
            problem = _("Choose one of the diary's questionnaires.")
        else:
            form = forms[code] = EntryForm(request.POST, instrument=forms[code].instrument)
            if form.is_valid():
                try:
                    saved = services.record_entry(
                        link=link,
                        instrument_code=code,
                        answers=form.answers(),
                        submission_key=form.cleaned_data.get("submission_key") or "",
                    )
                except ValidationError as error:
                    form.add_service_errors(error)
                except LinkUnavailable as error:
                    return _unavailable(request, error)
                else:
                    # Post/redirect/get: a reload of the confirmation sends nothing again.
                    target = reverse("diary:entry", kwargs={"token": token, "entry_id": saved.assessment.pk})
                    return _see_other(target if saved.created else f"{target}?again=1")
    sections = _sections(selectors.diary_today(link), forms)
    return render(
        request,
        "clinical/diary/patient_page.html",
        {
            "link": link,
            "facility": link.facility,
            "sections": sections,
            "problem": problem,
            "daily_limit": services.DAILY_LIMIT,
        },
    )


@cache_control(private=True)
@require_http_methods(["GET"])
def entry(request: HttpRequest, token: str, entry_id: int) -> HttpResponse:
    """The confirmation of a saved entry, with the scores the platform computed."""
    try:
        link = resolve_link(token)
    except LinkUnavailable as error:
        return _unavailable(request, error)
    assessment = selectors.diary_entry(link, entry_id)
    return render(
        request,
        "clinical/diary/patient_saved.html",
        {
            "link": link,
            "facility": link.facility,
            "entry": assessment,
            "view": describe(assessment),
            "again": request.GET.get("again") == "1",
            "token": token,
        },
    )
