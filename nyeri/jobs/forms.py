"""Forms of the managers' pages: a posting's fields and its requirement rows (a formset)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from nyeri.jobs.models import EmploymentKind, Importance, JobPosting, RequirementKind
from nyeri.jobs.requirements import RequirementInput
from nyeri.jobs.services import PostingInput
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.workforce.kinds import CredentialKind, EmployerKind, Specialty

ROLE_CHOICES = [("", "—"), *((r.value, r.label) for r in Role if r in CLINICAL_ROLES)]


class PostingForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    employment_kind = forms.ChoiceField(label=_("Employment kind"), choices=EmploymentKind.choices)
    headcount = forms.IntegerField(label=_("People to hire"), min_value=1, max_value=100, initial=1)
    hours_per_week = forms.IntegerField(label=_("Hours per week (each)"), min_value=1, max_value=60, initial=40)
    salary_min = forms.IntegerField(label=_("Salary from (IDR a month)"), required=False, min_value=0)
    salary_max = forms.IntegerField(label=_("Salary up to (IDR a month)"), required=False, min_value=0)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False)

    def __init__(self, *args: Any, facilities: Any, fixed_facility: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facility"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = facilities
        if fixed_facility:
            field.disabled = True

    def posting_input(self) -> PostingInput:
        d = self.cleaned_data
        return PostingInput(
            role=d.get("role") or "",
            title=d.get("title") or "",
            employment_kind=d.get("employment_kind") or "",
            fte=None,
            headcount=d.get("headcount"),
            hours_per_week=d.get("hours_per_week"),
            description=d.get("description") or "",
            salary_min=d.get("salary_min"),
            salary_max=d.get("salary_max"),
        )

    @staticmethod
    def initial_of(posting: JobPosting) -> dict[str, Any]:
        return {
            "facility": posting.facility_id,
            "role": posting.role,
            "title": posting.title,
            "employment_kind": posting.employment_kind,
            "headcount": posting.headcount,
            "hours_per_week": posting.hours_per_week,
            "salary_min": posting.salary_min,
            "salary_max": posting.salary_max,
            "description": posting.description,
        }


class RequirementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *RequirementKind.choices], required=False)
    importance = forms.ChoiceField(label=_("Importance"), choices=Importance.choices, initial=Importance.REQUIRED)
    code = forms.CharField(label=_("Action or certification code"), max_length=80, required=False)
    credential_kind = forms.ChoiceField(
        label=_("Credential"), choices=[("", "—"), *CredentialKind.choices], required=False
    )
    specialty = forms.ChoiceField(label=_("Specialty"), choices=[("", "—"), *Specialty.choices], required=False)
    months = forms.IntegerField(label=_("Months"), required=False, min_value=1, max_value=600)
    employer_kinds = forms.MultipleChoiceField(
        label=_("Employer kinds"), choices=EmployerKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def requirement(self) -> RequirementInput | None:
        d = self.cleaned_data
        if not d.get("kind"):
            return None
        return RequirementInput(
            kind=d["kind"],
            importance=d.get("importance") or Importance.REQUIRED,
            code=(d.get("code") or "").strip(),
            credential_kind=d.get("credential_kind") or "",
            specialty=d.get("specialty") or "",
            months=d.get("months"),
            employer_kinds=tuple(d.get("employer_kinds") or ()),
        )

    @staticmethod
    def initial_of(row: Any) -> dict[str, Any]:
        return {
            "kind": row.kind,
            "importance": row.importance,
            "code": row.code,
            "credential_kind": row.credential_kind,
            "specialty": row.specialty,
            "months": row.months,
            "employer_kinds": list(row.employer_kinds),
        }


RequirementFormSet = formset_factory(RequirementForm, extra=3, max_num=20, absolute_max=20)


def requirement_rows(formset: Any) -> tuple[list[RequirementInput], list[int]]:
    """The filled rows, and for each the index of its form (to put a service error back on it)."""
    rows: list[RequirementInput] = []
    where: list[int] = []
    for n, form in enumerate(formset.forms):
        row = form.requirement() if form.is_valid() else None
        if row is not None:
            rows.append(row)
            where.append(n)
    return rows, where


def add_errors(form: forms.Form, formset: Any, where: list[int], error: ValidationError) -> None:
    """Put a service ValidationError back on the fields (``requirements.<n>.<field>`` on the row's form)."""
    for key, messages in error.message_dict.items():
        if key.startswith("requirements."):
            _prefix, n, field = key.split(".", 2)
            target = formset.forms[where[int(n)]]
            for message in messages:
                target.add_error(field if field in target.fields else None, message)
        else:
            for message in messages:
                form.add_error(key if key in form.fields else None, message)
