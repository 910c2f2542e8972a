"""Candidate pages: sign-up, confirmation, profile with declarations, career pathway."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from nyeri.candidates import services
from nyeri.candidates.access import candidate_required
from nyeri.candidates.forms import CredentialForm, HoursForm, ProfileForm, SignUpForm
from nyeri.candidates.models import CandidateCredential, CandidateProfile
from nyeri.candidates.pathway import pathway
from nyeri.candidates.tokens import TokenProblem


def _add_errors(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


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
                _add_errors(form, error)
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
            _add_errors(form, error)
        else:
            return redirect("candidates:profile")
    return render(request, "candidates/profile.html", _profile_context(profile, form, CredentialForm(), HoursForm()))


def _profile_context(
    profile: CandidateProfile, form: Form, credential_form: Form, hours_form: Form
) -> dict[str, object]:
    return {
        "profile": profile,
        "form": form,
        "credential_form": credential_form,
        "hours_form": hours_form,
        "credentials": profile.credentials.order_by("kind", "-issued_on"),
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
            _add_errors(form, error)
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
def hours_add_view(request: HttpRequest, profile: CandidateProfile) -> HttpResponse:
    form = HoursForm(request.POST)
    if form.is_valid():
        try:
            services.declare_hours(acting_user=request.user, profile=profile, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect("candidates:profile")
    context = _profile_context(
        profile, ProfileForm(initial={"full_name": profile.user.full_name}), CredentialForm(), form
    )
    return render(request, "candidates/profile.html", context, status=400)


@candidate_required
def pathway_view(request: HttpRequest, profile: CandidateProfile) -> HttpResponse:
    return render(request, "candidates/pathway.html", {"profile": profile, "pathways": pathway(profile)})
