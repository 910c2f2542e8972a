from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.workforce.credentials.forms import MultipleFileField, evidence_help
from nyeri.workforce.kinds import CheckKind, CredentialKind, EmployerKind, Specialty


class SignUpForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    preferred_regency = forms.CharField(
        label=_("Where I would like to work (regency or city)"), max_length=100, required=False
    )
    preferred_regency_code = forms.CharField(label=_("Its regency code, e.g. 32.73"), max_length=16, required=False)
    about = forms.CharField(label=_("About me"), max_length=2000, required=False, widget=forms.Textarea)
    target_roles = forms.MultipleChoiceField(
        label=_("Roles I am looking for"),
        choices=[(r.value, r.label) for r in Role if r in CLINICAL_ROLES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class CredentialForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=_blank(CredentialKind.choices))
    specialty = forms.ChoiceField(label=_("Specialty"), choices=_blank(Specialty.choices), required=False)
    number = forms.CharField(label=_("Number"), max_length=100, required=False)
    issuer = forms.CharField(label=_("Issuer"), max_length=200, required=False)
    issuer_regency_code = forms.CharField(label=_("Issuing regency code (SIP)"), max_length=16, required=False)
    issued_on = forms.DateField(label=_("Issued on"), widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = forms.DateField(
        label=_("Expires on (empty: for life)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    hours = forms.DecimalField(label=_("Hours (training)"), required=False, min_value=0, max_digits=7, decimal_places=1)
    check_kind = forms.ChoiceField(label=_("Check kind"), choices=_blank(CheckKind.choices), required=False)
    employer_kind = forms.ChoiceField(
        label=_("Employer kind (experience)"), choices=_blank(EmployerKind.choices), required=False
    )
    employer_name = forms.CharField(label=_("Employer (experience)"), max_length=200, required=False)
    months = forms.IntegerField(label=_("Months (experience)"), required=False, min_value=1, max_value=600)


class HoursForm(forms.Form):
    month = forms.DateField(label=_("Month (any day of it)"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(label=_("Hours with pain-clinic patients"), min_value=0, max_digits=6, decimal_places=1)
    where = forms.CharField(label=_("Where"), max_length=200, required=False)


class EvidenceForm(forms.Form):
    """Files for one declared credential; their content is checked by the service."""

    evidence = MultipleFileField(label=_("Add files"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].help_text = evidence_help()
