"""Clinical privilege pages: one's privileges and requests, the committee's and the
director's queues, a request's file, a grant with its focused review and re-credentialing,
the RKK and SPK PDFs, the facility's adopted privileges. Thin: each calls a service or a
selector; a refusal shows the reasons beside the page (``ActionRefused``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.lib.http import request_user
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.workforce.access import person_of_user
from nyeri.workforce.kinds import PrivilegeRequestStatus, RecredentialingOutcome
from nyeri.workforce.privileges import pdf, selectors, services

LANGUAGES = ("id", "en")


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        for problem in problems:
            messages.error(request, f"{field}: {problem}" if field != "__all__" else problem)


def _refused(request: HttpRequest, refused: ActionRefused) -> None:
    for reason in refused.reasons or (refused.message,):
        messages.error(request, reason)


def _facilities(scope: Scope) -> list[tuple[int, str]]:
    return [(f.pk, f.name) for f in facilities_for(scope).order_by("name")]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    person = person_of_user(scope)
    own_grants = list(selectors.scoped_grants(scope).filter(person=person).order_by("-starts_on")) if person else []
    committee = bool(selectors.my_committees(scope))
    director = scope.has_role(Role.DIRECTOR)
    reads_all = selectors.reads_all(scope)
    due = selectors.due_for_recredentialing(scope) if reads_all else []
    progress = selectors.fppe_progress(own_grants + due)
    return render(
        request,
        "workforce/privileges/index.html",
        {
            "person": person,
            "own_grants": [(g, selectors.privilege_name(scope, g.privilege), progress.get(g.pk)) for g in own_grants],
            "own_requests": [
                (r, selectors.privilege_name(scope, r.privilege))
                for r in selectors.scoped_requests(scope).filter(person=person).order_by("-requested_at")
            ]
            if person
            else [],
            "choices": selectors.catalogue_choices(scope),
            "facilities": _facilities(scope) if person else [],
            "committee_queue": [
                (r, selectors.privilege_name(scope, r.privilege)) for r in selectors.waiting_for_committee(scope)
            ]
            if committee
            else [],
            "director_queue": [
                (r, selectors.privilege_name(scope, r.privilege)) for r in selectors.waiting_for_director(scope)
            ]
            if director
            else [],
            "due": [(g, selectors.privilege_name(scope, g.privilege)) for g in due],
            "cases": [(c, selectors.privilege_name(scope, c.grant.privilege)) for c in selectors.open_cases(scope)]
            if reads_all or person
            else [],
            "committee": committee,
            "director": director,
            "reads_all": reads_all,
            "is_admin": scope.has_role(Role.ADMINISTRATOR),
            "admin_facilities": _facilities(scope) if scope.has_role(Role.ADMINISTRATOR) else [],
        },
    )


@login_required
@require_POST
def request_new(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    person = person_of_user(scope)
    if person is None:
        raise PermissionDenied
    try:
        facility = access_facility(scope, int(request.POST.get("facility") or 0))
        created = services.request_privilege(
            scope=scope,
            acting_user=request_user(request),
            person=person,
            facility=facility,
            privilege=request.POST.get("privilege", ""),
        )
    except ValidationError as error:
        _errors(request, error)
    except ActionRefused as refused:
        messages.error(request, _("The request was refused: the prerequisites are not met."))
        _refused(request, refused)
    else:
        messages.success(request, _("Your request was sent to the medical committee."))
        return redirect("workforce:privilege_request", request_id=created.pk)
    return redirect("workforce:privileges")


@login_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    scope = request_scope(request)
    found = selectors.access_request(scope, request_id)
    own = found.person.user_id == scope.user.pk
    if not own and not selectors.reads_all(scope):
        raise PermissionDenied
    file = selectors.committee_file(scope, found)
    grants = list(found.grants.order_by("-starts_on"))
    return render(
        request,
        "workforce/privileges/request.html",
        {
            "req": found,
            "file": file,
            "review": selectors.practice_review(scope, file),
            "grants": grants,
            "committee_name": selectors.committee_label(scope, found.privilege),
            "may_review": selectors.reviews(scope, found.privilege)
            and not own
            and found.status == PrivilegeRequestStatus.REQUESTED,
            "may_grant": scope.has_role(Role.DIRECTOR)
            and not own
            and found.status == PrivilegeRequestStatus.RECOMMENDED,
            "reviewed": found.status != PrivilegeRequestStatus.REQUESTED,
            "languages": LANGUAGES,
        },
    )


@login_required
@require_POST
def review(request: HttpRequest, request_id: int) -> HttpResponse:
    scope = request_scope(request)
    found = selectors.access_request(scope, request_id)
    try:
        services.review_request(
            scope=scope,
            acting_user=request_user(request),
            request=found,
            recommend=request.POST.get("recommend") == "yes",
            reasons=request.POST.get("reasons", ""),
        )
    except ValidationError as error:
        _errors(request, error)
    except ActionRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("The committee's review is recorded."))
    return redirect("workforce:privilege_request", request_id=found.pk)


@login_required
@require_POST
def grant(request: HttpRequest, request_id: int) -> HttpResponse:
    scope = request_scope(request)
    found = selectors.access_request(scope, request_id)
    try:
        years = int(request.POST.get("years") or 3)
    except ValueError:
        years = 0
    try:
        created = services.grant_privilege(scope=scope, acting_user=request_user(request), request=found, years=years)
    except ValidationError as error:
        _errors(request, error)
    except ActionRefused as refused:
        _refused(request, refused)
    else:
        messages.success(
            request, _("Granted until %(date)s.") % {"date": formats.date_format(created.ends_on, "DATE_FORMAT")}
        )
        return redirect("workforce:privilege_grant", grant_id=created.pk)
    return redirect("workforce:privilege_request", request_id=found.pk)


def _language(request: HttpRequest) -> str:
    chosen = request.GET.get("lang", "id")
    return chosen if chosen in LANGUAGES else "id"


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
def rkk(request: HttpRequest, request_id: int) -> HttpResponse:
    scope = request_scope(request)
    found = selectors.access_request(scope, request_id)
    if found.status == PrivilegeRequestStatus.REQUESTED:
        raise PermissionDenied
    if found.person.user_id != scope.user.pk and not selectors.reads_all(scope):
        raise PermissionDenied
    language = _language(request)
    content = pdf.rkk_pdf(scope, found, language)
    return _pdf(content, f"rkk-{found.pk}-{language}.pdf")


@login_required
def spk(request: HttpRequest, grant_id: int) -> HttpResponse:
    scope = request_scope(request)
    found = selectors.access_grant(scope, grant_id)
    language = _language(request)
    selectors.record_grant_read(scope, found, what="SPK PDF")
    return _pdf(pdf.spk_pdf(scope, found, language), f"spk-{found.pk}-{language}.pdf")


@login_required
def grant_detail(request: HttpRequest, grant_id: int) -> HttpResponse:
    scope = request_scope(request)
    found = selectors.access_grant(scope, grant_id)
    selectors.record_grant_read(scope, found, what="grant")
    signed, opened = selectors.fppe_progress([found]).get(found.pk, (0, 0))
    own = found.person.user_id == scope.user.pk
    return render(
        request,
        "workforce/privileges/grant.html",
        {
            "grant": found,
            "name": selectors.privilege_name(scope, found.privilege),
            "signed": signed,
            "opened": opened,
            "cases": list(found.cases.select_related("proctor", "facility").order_by("performed_at")),
            "decisions": list(found.recredentialings.order_by("decided_at")),
            "may_recredential": selectors.reviews(scope, found.privilege) and not own and found.status == "active",
            "outcomes": RecredentialingOutcome.choices,
            "languages": LANGUAGES,
        },
    )


@login_required
@require_POST
def recredential(request: HttpRequest, grant_id: int) -> HttpResponse:
    scope = request_scope(request)
    found = selectors.access_grant(scope, grant_id)
    try:
        decision = services.recredential(
            scope=scope,
            acting_user=request_user(request),
            grant=found,
            outcome=request.POST.get("outcome", ""),
            reasons=request.POST.get("reasons", ""),
            restriction=request.POST.get("restriction", ""),
        )
    except ValidationError as error:
        _errors(request, error)
    except ActionRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("The re-credentialing decision is recorded."))
        if decision.next_grant_id is not None:
            return redirect("workforce:privilege_grant", grant_id=decision.next_grant_id)
    return redirect("workforce:privilege_grant", grant_id=found.pk)


@login_required
@require_POST
def sign_off(request: HttpRequest, case_id: int) -> HttpResponse:
    scope = request_scope(request)
    case = selectors.access_case(scope, case_id)
    try:
        services.sign_off_case(
            scope=scope, acting_user=request_user(request), case=case, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        _errors(request, error)
    except ActionRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("The case is signed off."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("workforce:privileges")


@login_required
def facility_settings(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    if request.method == "POST":
        try:
            services.require_privileges(
                scope=scope,
                acting_user=request_user(request),
                facility=facility,
                privileges=request.POST.getlist("privileges"),
            )
        except ValidationError as error:
            _errors(request, error)
        except ActionRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("The facility's required privileges are saved."))
        return redirect("workforce:privilege_facility", facility_id=facility.pk)
    return render(
        request,
        "workforce/privileges/facility.html",
        {
            "facility": facility,
            "choices": selectors.catalogue_choices(scope),
            "required": set(selectors.required_at(facility)),
            "is_admin": scope.has_role(Role.ADMINISTRATOR),
        },
    )
