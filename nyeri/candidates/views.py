"""Candidate pages: sign-up, confirmation, profile with declarations, career pathway."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from nyeri.candidates import selectors, services
from nyeri.candidates.access import candidate_required
from nyeri.candidates.forms import CredentialForm, EvidenceForm, HoursForm, ProfileForm, SignUpForm
from nyeri.candidates.models import CandidateCredential, CandidateEvidence, CandidateProfile
from nyeri.candidates.pathway import pathway
from nyeri.candidates.tokens import TokenProblem
from nyeri.lib.http import request_user
from nyeri.web.forms import add_service_errors
from nyeri.workforce.credentials.evidence import download_name


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _signup_throttled(request: HttpRequest) -> bool:
    """At most CANDIDATE_SIGNUP_LIMIT sign-up attempts per address per hour (like login's lock-out)."""
    key = f"candidates:signup:{_client_ip(request)}"
    limit = int(getattr(settings, "CANDIDATE_SIGNUP_LIMIT", 5))
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > limit


@sensitive_post_parameters("password")
@never_cache
def signup_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("candidates:profile")
    form = SignUpForm(request.POST or None, initial={"language": get_language()})
    if request.method == "POST":
        if _signup_throttled(request):
            return render(request, "candidates/throttled.html", status=429)
        if form.is_valid():
            try:
                services.register_candidate(
                    email=form.cleaned_data["email"],
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password"],
                    language=form.cleaned_data["language"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("candidates:signup_done")
    return render(request, "candidates/signup.html", {"form": form})


def signup_done_view(request: HttpRequest) -> HttpResponse:
    return render(request, "candidates/signup_done.html")


@never_cache
def confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    result = services.confirm_email(token)
    if isinstance(result, TokenProblem):
        return render(request, "candidates/confirm_failed.html", {"problem": result.value}, status=400)
    return render(request, "candidates/confirmed.html", {"confirmed_user": result})


@candidate_required
def profile_view(request: HttpRequest, profile: CandidateProfile) -> HttpResponse:
    initial = {
        "full_name": profile.user.full_name,
        "phone": profile.phone,
        "city": profile.city,
        "preferred_regency": profile.preferred_regency,
        "preferred_regency_code": profile.preferred_regency_code,
        "about": profile.about,
        "target_roles": list(profile.target_roles.values_list("role", flat=True)),
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(acting_user=request.user, profile=profile, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("candidates:profile")
    return render(request, "candidates/profile.html", _profile_context(profile, form, CredentialForm(), HoursForm()))


def _evidence_form(credential_id: int, data: object = None, files: object = None) -> EvidenceForm:
    # One upload form per declared credential on the page: ids of its own, the same field name.
    return EvidenceForm(data, files, auto_id=f"id_evidence_{credential_id}_%s")


def _profile_context(
    profile: CandidateProfile,
    form: Form,
    credential_form: Form,
    hours_form: Form,
    evidence_form: tuple[int, EvidenceForm] | None = None,
) -> dict[str, object]:
    credentials = list(
        profile.credentials.prefetch_related(
            Prefetch("evidence", queryset=CandidateEvidence.objects.order_by("uploaded_at", "pk"))
        ).order_by("kind", "-issued_on")
    )
    failed_id, failed_form = evidence_form if evidence_form else (None, None)
    return {
        "profile": profile,
        "form": form,
        "credential_form": credential_form,
        "hours_form": hours_form,
        "credentials": credentials,
        # (credential, its upload form): the one whose upload was refused keeps its errors.
        "credential_rows": [
            (c, failed_form if c.pk == failed_id and failed_form else _evidence_form(c.pk)) for c in credentials
        ],
        "hours": profile.hours.order_by("-month"),
    }


@require_POST
@candidate_required
def credential_add_view(request: HttpRequest, profile: CandidateProfile) -> HttpResponse:
    form = CredentialForm(request.POST)
    if form.is_valid():
        try:
            services.declare_credential(acting_user=request.user, profile=profile, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("candidates:profile")
    context = _profile_context(profile, ProfileForm(initial={"full_name": profile.user.full_name}), form, HoursForm())
    return render(request, "candidates/profile.html", context, status=400)


@require_POST
@candidate_required
def credential_withdraw_view(request: HttpRequest, profile: CandidateProfile, credential_id: int) -> HttpResponse:
    credential = get_object_or_404(CandidateCredential, pk=credential_id, candidate=profile)
    services.withdraw_credential(acting_user=request.user, credential=credential)  # type: ignore[arg-type]
    return redirect("candidates:profile")


@require_POST
@candidate_required
def evidence_add_view(request: HttpRequest, profile: CandidateProfile, credential_id: int) -> HttpResponse:
    credential = get_object_or_404(CandidateCredential, pk=credential_id, candidate=profile)
    form = _evidence_form(credential.pk, request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attach_candidate_evidence(
                acting_user=request_user(request), credential=credential, uploads=form.cleaned_data["evidence"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(f"{reverse('candidates:profile')}#credential-{credential.pk}")
    context = _profile_context(
        profile,
        ProfileForm(initial={"full_name": profile.user.full_name}),
        CredentialForm(),
        HoursForm(),
        evidence_form=(credential.pk, form),
    )
    return render(request, "candidates/profile.html", context, status=400)


@require_POST
@candidate_required
def evidence_remove_view(request: HttpRequest, profile: CandidateProfile, evidence_id: int) -> HttpResponse:
    evidence = get_object_or_404(CandidateEvidence, pk=evidence_id, candidate=profile)
    services.remove_candidate_evidence(acting_user=request_user(request), evidence=evidence)
    return redirect(f"{reverse('candidates:profile')}#credential-{evidence.credential_id}")


@require_GET
@login_required
def evidence_download_view(request: HttpRequest, evidence_id: int) -> FileResponse:
    # Only the owner: no candidate_required, so that anyone else (staff too) gets the same 404.
    evidence, handle = selectors.read_candidate_evidence(acting_user=request_user(request), evidence_id=evidence_id)
    response = FileResponse(
        handle, as_attachment=True, filename=download_name(evidence), content_type=evidence.content_type
    )
    # The recorded type was found in the file's bytes; browsers must not guess another.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@candidate_required
def hours_add_view(request: HttpRequest, profile: CandidateProfile) -> HttpResponse:
    form = HoursForm(request.POST)
    if form.is_valid():
        try:
            services.declare_hours(acting_user=request.user, profile=profile, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("candidates:profile")
    context = _profile_context(
        profile, ProfileForm(initial={"full_name": profile.user.full_name}), CredentialForm(), form
    )
    return render(request, "candidates/profile.html", context, status=400)


@candidate_required
def pathway_view(request: HttpRequest, profile: CandidateProfile) -> HttpResponse:
    return render(request, "candidates/pathway.html", {"profile": profile, "pathways": pathway(profile)})
