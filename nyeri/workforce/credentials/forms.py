"""Forms of the credential pages: parsing only. The rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.forms.boundfield import BoundField
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.workforce.credentials import verification
from nyeri.workforce.credentials.evidence import max_bytes
from nyeri.workforce.credentials.services import REASON_MAX, REFERENCE_MAX, SourceCheck
from nyeri.workforce.kinds import CheckKind, CheckResult, CredentialKind, EmployerKind, Specialty

BLANK = [("", "—")]
ACCEPT = "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            if not data and self.required:
                return [single(None, initial)]
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data or self.required else []


def _date(**kwargs: Any) -> forms.DateField:
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


class CredentialForm(forms.Form):
    """One form for every kind: the fields a kind does not use stay empty (the service says so)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=BLANK + list(CredentialKind.choices))
    number = forms.CharField(label=_("Number"), max_length=100, required=False)
    issuer = forms.CharField(
        label=_("Issuer"), max_length=200, help_text=_("Who issued it: the council, the regency office, the school...")
    )
    issued_on = _date(label=_("Issued on"))
    expires_on = _date(
        label=_("Expires on"),
        required=False,
        help_text=_("The last day of validity. Leave empty if it does not expire (the STR of a citizen)."),
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)

    specialty = forms.ChoiceField(
        label=_("Specialty"),
        choices=BLANK + list(Specialty.choices),
        required=False,
        help_text=_("For a residency, fellowship or board certification."),
    )
    facility = forms.ModelChoiceField(
        label=_("Practice place"),
        queryset=Facility.objects.none(),
        required=False,
        help_text=_("For a practice permit (SIP): the facility it is issued for."),
    )
    issuer_regency_code = forms.CharField(
        label=_("Issuing regency code"),
        max_length=16,
        required=False,
        help_text=_("For a practice permit (SIP): the code of the regency or city that issued it, e.g. 32.73."),
    )
    exam_passed_on = _date(label=_("Exam passed on"), required=False, help_text=_("For a pain nursing certification."))
    hours = forms.DecimalField(
        label=_("Hours"),
        max_digits=7,
        decimal_places=2,
        required=False,
        help_text=_("For a pain-specific training: the hours of the course."),
    )
    check_kind = forms.ChoiceField(label=_("Check kind"), choices=BLANK + list(CheckKind.choices), required=False)
    check_result = forms.ChoiceField(label=_("Check result"), choices=BLANK + list(CheckResult.choices), required=False)
    valid_months = forms.IntegerField(
        label=_("Valid for (months)"), required=False, help_text=_("For a background check.")
    )
    employer_kind = forms.ChoiceField(
        label=_("Employer kind"), choices=BLANK + list(EmployerKind.choices), required=False
    )
    months = forms.IntegerField(label=_("Months"), required=False, help_text=_("For work experience: how many months."))
    evidence = MultipleFileField(label=_("Evidence"), required=False)

    GROUPS: tuple[tuple[Promise, tuple[str, ...]], ...] = (
        (_("The credential"), ("kind", "number", "issuer", "issued_on", "expires_on", "title")),
        (_("Residency, fellowship, board certification"), ("specialty",)),
        (_("Practice permit (SIP)"), ("facility", "issuer_regency_code")),
        (_("Pain nursing certification and training"), ("exam_passed_on", "hours")),
        (_("Background check"), ("check_kind", "check_result", "valid_months")),
        (_("Work experience"), ("employer_kind", "months")),
        (_("Evidence"), ("evidence",)),
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facility_field = self.fields["facility"]
        assert isinstance(facility_field, forms.ModelChoiceField)
        facility_field.queryset = Facility.objects.filter(organization=scope.organization, is_active=True).order_by(
            "name"
        )
        self.fields["evidence"].help_text = evidence_help()

    def groups(self) -> list[tuple[Promise, list[BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.GROUPS]

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values as ``submit_credential`` takes them."""
        data = dict(self.cleaned_data)
        data.pop("kind", None)
        data.pop("evidence", None)
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The person concerned will read it."),
    )


class EvidenceForm(forms.Form):
    evidence = MultipleFileField(label=_("Evidence"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].help_text = evidence_help()


def evidence_help() -> str:
    # Built per request: the limit may come from the settings, the words from the language.
    return gettext("A scan or photo of the document: PDF, PNG or JPEG, at most %(limit)s per file.") % {
        "limit": filesizeformat(max_bytes())
    }


class SourceCheckForm(forms.Form):
    """The verification page: where, how and when the credential was checked, on what, and
    the verifier's confirmation (no one-click verify). Choices come from the jurisdiction's data."""

    source = forms.ChoiceField(label=_("Checked at"))
    method = forms.ChoiceField(label=_("Method"))
    reference = forms.CharField(
        label=_("Reference"),
        max_length=REFERENCE_MAX,
        required=False,
        help_text=_("The register's record number, the letter's number, whom you called..."),
    )
    checked_on = _date(label=_("Date of the check"))
    evidence = forms.FileField(
        label=_("File of the check"), required=False, widget=forms.FileInput(attrs={"accept": ACCEPT})
    )
    attestation = forms.CharField(
        label=_("Attestation"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you saw or were told, in your words. Needed when no file is attached."),
    )
    confirm = forms.BooleanField(
        label=_("I checked this credential at the source named above myself, and what I record here is true."),
    )

    def __init__(self, *args: Any, jurisdiction: str, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        places = verification.sources_for(jurisdiction, kind)
        source_field = self.fields["source"]
        assert isinstance(source_field, forms.ChoiceField)
        source_field.choices = BLANK + [(p.code, p.label()) for p in places]
        codes = list(dict.fromkeys(m for p in places for m in p.methods))
        method_field = self.fields["method"]
        assert isinstance(method_field, forms.ChoiceField)
        labels = {m.code: m.label() for m in verification.verification_data(jurisdiction).methods}
        method_field.choices = BLANK + [(code, labels[code]) for code in codes]
        self.fields["evidence"].help_text = evidence_help()

    def source_check(self) -> SourceCheck:
        data = self.cleaned_data
        return SourceCheck(
            source=data["source"],
            method=data["method"],
            checked_on=data["checked_on"],
            reference=data.get("reference") or "",
            attestation=data.get("attestation") or "",
            evidence=data.get("evidence"),
        )
