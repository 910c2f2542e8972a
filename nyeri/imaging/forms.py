"""Imaging forms: what the user types; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nyeri.imaging.kinds import Modality
from nyeri.lib.bodysites import body_sites
from nyeri.tenancy.clock import DATETIME_LOCAL
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.web.forms import LocalDateTimeField


def _regions(language: str) -> list[tuple[str, str]]:
    return [("", "---------")] + [(s.code, s.label(language)) for s in body_sites().sites]


class OrderForm(forms.Form):
    modality = forms.ChoiceField(label=_("Modality"), choices=[("", "---------"), *Modality.choices], required=False)
    body_region = forms.ChoiceField(label=_("Body region"), required=False)
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none(), required=False)
    clinical_question = forms.CharField(
        label=_("Clinical question"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, scope: Scope, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body_region"].choices = _regions(language)  # type: ignore[attr-defined]
        facilities = Facility.objects.filter(organization=scope.organization, is_active=True).order_by("name")
        if scope.facility_ids is not None:
            facilities = facilities.filter(pk__in=scope.facility_ids)
        self.fields["facility"].queryset = facilities  # type: ignore[attr-defined]


class ResultForm(forms.Form):
    # Naive: the service reads it at the order's facility (tenancy.clock.at_facility).
    performed_at = LocalDateTimeField(label=_("Performed at"), required=False, input_formats=[DATETIME_LOCAL])
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    impression = forms.CharField(label=_("Impression"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ReferForm(forms.Form):
    to_facility = forms.ModelChoiceField(
        label=_("Facility of the network"), queryset=Facility.objects.none(), required=False
    )
    outside_name = forms.CharField(label=_("Or an outside provider: name"), max_length=200, required=False)
    outside_address = forms.CharField(
        label=_("Outside provider's address"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    note = forms.CharField(
        label=_("Note for the receiving facility"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, destinations: list[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_facility"].queryset = Facility.objects.filter(  # type: ignore[attr-defined]
            pk__in=[f.pk for f in destinations]
        ).order_by("name")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CompleteForm(forms.Form):
    report = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    file = forms.FileField(
        label=_("Result file (PDF, PNG or JPEG)"),
        required=False,
        help_text=_("Optional. Checked by its content, kept in private storage."),
    )


class _CorrectionForm(forms.Form):
    # The version the user corrects: a correction of a superseded version is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Kept with the new version, for whoever reads the history."),
    )


class AmendResultForm(_CorrectionForm):
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    impression = forms.CharField(label=_("Impression"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AmendReportForm(_CorrectionForm):
    report = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 5}), required=False)


class EnteredInErrorForm(_CorrectionForm):
    pass
