"""Forms of the diagnosis pages. They parse; the rules (and their messages) live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.diagnoses import catalogue
from nyeri.clinical.diagnoses.models import ClinicalStatus, Diagnosis, Laterality
from nyeri.clinical.diagnoses.services import CAUSE_MAX_LENGTH, REASON_MAX_LENGTH
from nyeri.lib.bodysites import site_choices
from nyeri.tenancy.clock import latest_today
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope

NONE: list[tuple[str, str | StrPromise]] = [("", "—")]
CONTENT = (
    "icd10_code",
    "icd11_category",
    "clinical_status",
    "body_site",
    "laterality",
    "onset_date",
    "suspected_cause",
)


class DiagnosisForm(forms.Form):
    icd10_code = forms.CharField(
        label=_("ICD-10 code"),
        max_length=12,
        help_text=_("WHO ICD-10, the most specific code (for example M54.5). Search by code or words above."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    icd11_category = forms.ChoiceField(
        label=_("ICD-11 chronic pain category"),
        required=False,
        help_text=_("Needed for a chronic pain diagnosis (such as R52.1, R52.2 or M79.7); otherwise optional."),
    )
    clinical_status = forms.ChoiceField(
        label=_("Clinical status"), choices=ClinicalStatus.choices, initial=ClinicalStatus.ACTIVE
    )
    body_site = forms.ChoiceField(label=_("Body site"), required=False)
    laterality = forms.ChoiceField(label=_("Side"), required=False, choices=[*NONE, *Laterality.choices])
    onset_date = forms.DateField(
        label=_("Onset"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("When the pain or the condition began, as far as known."),
    )
    suspected_cause = forms.CharField(
        label=_("Suspected cause"),
        required=False,
        max_length=CAUSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none(), empty_label=None)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["icd11_category"]
        assert isinstance(category, forms.ChoiceField)
        # Built per form: the labels follow the language of the request.
        category.choices = [*NONE, *catalogue.icd11_choices()]
        site = self.fields["body_site"]
        assert isinstance(site, forms.ChoiceField)
        site.choices = [*NONE, *site_choices()]
        facilities = Facility.objects.filter(organization=scope.organization, is_active=True)
        if scope.facility_ids is not None:
            facilities = facilities.filter(pk__in=scope.facility_ids)
        field = self.fields["facility"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = facilities.order_by("name")
        # A hint for the date picker (any facility's today); the service checks the facility's.
        self.fields["onset_date"].widget.attrs["max"] = latest_today().isoformat()

    def content(self) -> dict[str, Any]:
        """The cleaned clinical fields, as the services take them."""
        return {name: self.cleaned_data[name] for name in CONTENT}


class AmendDiagnosisForm(DiagnosisForm):
    reason = forms.CharField(
        label=_("Reason for the amendment"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("Kept with the new version, for whoever reads the history."),
        widget=forms.TextInput(attrs={"maxlength": str(REASON_MAX_LENGTH)}),
    )

    @staticmethod
    def initial_of(diagnosis: Diagnosis) -> dict[str, Any]:
        return {
            "icd10_code": diagnosis.icd10_code,
            "icd11_category": diagnosis.icd11_category,
            "clinical_status": diagnosis.clinical_status,
            "body_site": diagnosis.body_site,
            "laterality": diagnosis.laterality,
            "onset_date": diagnosis.onset_date,
            "suspected_cause": diagnosis.suspected_cause,
            "facility": diagnosis.facility_id,
        }


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label=_("Why was this entered in error?"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("For example: recorded for the wrong patient. The entry stays in the history."),
        widget=forms.TextInput(attrs={"maxlength": str(REASON_MAX_LENGTH)}),
    )
