"""Forms of the patient pages (register, edit, merge). They parse; the services check and name the bad fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.models import MRN_MAX_LENGTH, AdministrativeSex, NoNikReason, OtherIdentifierKind, Patient
from nyeri.clinical.registration import regency_choices
from nyeri.tenancy.models import Facility

BLANK: list[tuple[str, str]] = [("", "—")]


class PatientDetailsForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    nik = forms.CharField(
        label=_("NIK"),
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("16 digits, from the identity card (KTP) or family card (KK)."),
    )
    no_nik_reason = forms.ChoiceField(
        label=_("Reason for no NIK"), choices=[*BLANK, *NoNikReason.choices], required=False
    )
    other_identifier_kind = forms.ChoiceField(
        label=_("Kind of other identifier"), choices=[*BLANK, *OtherIdentifierKind.choices], required=False
    )
    other_identifier = forms.CharField(
        label=_("Other identifier"),
        max_length=40,
        required=False,
        help_text=_("Without a NIK: a passport number, or the mother's NIK for a newborn."),
    )
    birth_date = forms.DateField(
        label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=[*BLANK, *AdministrativeSex.choices])
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    regency_code = forms.ChoiceField(label=_("Regency or city"), required=False)
    confirm_possible_duplicate = forms.BooleanField(
        label=_("I have checked: this is another person with the same name and birth date."), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["regency_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *regency_choices()]


class RegisterForm(PatientDetailsForm):
    facility = forms.TypedChoiceField(label=_("Registered at"), coerce=int)

    field_order = ["facility"]

    def __init__(self, *args: Any, facilities: list[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facilities = {f.pk: f for f in facilities}
        field = self.fields["facility"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(f.pk, f.name) for f in facilities]

    def details(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["facility"] = self.facilities.get(data["facility"])
        return data


class EditForm(PatientDetailsForm):
    ihs_number = forms.CharField(label=_("SATUSEHAT patient identifier"), max_length=20, required=False)
    reason = forms.CharField(label=_("Reason for the change"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def initial_of(cls, patient: Patient) -> dict[str, Any]:
        names = [n for n in cls.base_fields if n not in ("reason", "confirm_possible_duplicate")]
        return {name: getattr(patient, name) for name in names}

    def changes(self) -> dict[str, Any]:
        skip = {"reason", "version", "confirm_possible_duplicate"}
        return {name: value for name, value in self.cleaned_data.items() if name not in skip}


class MergeForm(forms.Form):
    survivor_mrn = forms.CharField(
        label=_("Record number of the record to keep"),
        max_length=MRN_MAX_LENGTH,
        help_text=_("Everything of this record moves there; this record is kept, marked as merged."),
    )
    reason = forms.CharField(label=_("Reason for the merge"), widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("I have checked: both records are the same person."))


class RecordNumberFormatForm(forms.Form):
    facility = forms.TypedChoiceField(label=_("For"), coerce=int, required=False, empty_value=None)
    pattern = forms.CharField(
        label=_("Record number format"),
        max_length=60,
        help_text=_("{facility}: the facility code; {year}: the year; {seq:06d}: the number, six digits."),
    )

    def __init__(self, *args: Any, facilities: list[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facilities = {f.pk: f for f in facilities}
        field = self.fields["facility"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("The whole organization")), *[(f.pk, f.name) for f in facilities]]
