"""Forms of the prescription pages. They parse; the rules (and their messages) live in the services."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from nyeri.prescriptions.display import FREQUENCIES, medication_choices
from nyeri.prescriptions.items import INSTRUCTIONS_MAX_LENGTH, MAX_ITEMS, ItemIn
from nyeri.prescriptions.services import JUSTIFICATION_MAX_LENGTH, REASON_MAX_LENGTH
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope

# Service error keys -> form field names.
ITEM_FIELDS = {"medication": "medication", "dose": "dose", "doses_per_day": "frequency", "days": "days"}


def new_key() -> str:
    """The idempotency key of one showing of a form (a second submission of it is the same prescription)."""
    return uuid.uuid4().hex


class ItemForm(forms.Form):
    medication = forms.ChoiceField(label=_("Medication"), required=False)
    dose = forms.CharField(
        label=_("Dose"),
        required=False,
        max_length=12,
        help_text=_("Units each time: tablets, capsules, patches or mL."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
    )
    frequency = forms.ChoiceField(label=_("How often"), choices=FREQUENCIES, initial="2")
    as_needed = forms.BooleanField(label=_("As needed"), required=False)
    days = forms.CharField(
        label=_("Days"), required=False, max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4})
    )
    instructions = forms.CharField(label=_("Instructions"), required=False, max_length=INSTRUCTIONS_MAX_LENGTH)

    def __init__(self, *args: Any, jurisdiction: str = "ID", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["medication"]
        assert isinstance(field, forms.ChoiceField)
        # Built per form: the labels follow the language of the request.
        field.choices = [("", "—"), *medication_choices(jurisdiction)]
        # A draft written through the API may use a frequency the form does not offer: keep it.
        wanted = self.data.get(self.add_prefix("frequency")) if self.is_bound else self.initial.get("frequency")
        frequency = self.fields["frequency"]
        assert isinstance(frequency, forms.ChoiceField)
        if wanted and str(wanted) not in {str(value) for value, _label in FREQUENCIES}:
            frequency.choices = [*FREQUENCIES, (str(wanted), str(wanted))]

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("medication")

    def item(self) -> ItemIn:
        data = self.cleaned_data
        return ItemIn(
            medication=data["medication"],
            dose=data["dose"],
            doses_per_day=data["frequency"],
            days=data["days"],
            as_needed=data["as_needed"],
            instructions=data["instructions"],
        )


class BaseItemFormSet(BaseFormSet):
    def rows(self) -> list[tuple[int, ItemIn]]:
        """The filled-in rows, with their index on the page."""
        return [(n, form.item()) for n, form in enumerate(self.forms) if not form.is_blank()]


ItemFormSet = formset_factory(ItemForm, formset=BaseItemFormSet, extra=0, max_num=MAX_ITEMS, absolute_max=MAX_ITEMS)


def item_formset(
    data: Any, *, jurisdiction: str, initial: list[dict[str, Any]] | None = None, rows: int = 3
) -> BaseItemFormSet:
    rows_wanted = max(rows, len(initial or []))
    formset = ItemFormSet(
        data,
        initial=(initial or []) + [{} for _ in range(rows_wanted - len(initial or []))],
        form_kwargs={"jurisdiction": jurisdiction},
        prefix="items",
    )
    assert isinstance(formset, BaseItemFormSet)
    return formset


class PrescriptionForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none(), empty_label=None)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facilities = Facility.objects.filter(organization=scope.organization, is_active=True)
        if scope.facility_ids is not None:
            facilities = facilities.filter(pk__in=scope.facility_ids)
        field = self.fields["facility"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = facilities.order_by("name")


class SignForm(forms.Form):
    justification = forms.CharField(
        label=_("Justification"),
        required=False,
        max_length=JUSTIFICATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this dose is needed: required at or above the upper MME threshold."),
    )
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        required=False,
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "off"}
        ),
        help_text=_("The 6-digit code your app shows now (or one of your recovery codes)."),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReissueForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


def add_service_errors(
    form: forms.Form, formset: BaseItemFormSet | None, error: ValidationError, page_rows: list[int]
) -> None:
    """Put each of the service's field errors next to its field (items.<n>.<field> -> row, field)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        messages = [m for e in errors for m in e.messages]
        parts = name.split(".")
        if formset is not None and len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
            n = int(parts[1])
            target = formset.forms[page_rows[n]] if n < len(page_rows) else None
            field = ITEM_FIELDS.get(parts[2], parts[2])
            if target is not None and field in target.fields:
                for message in messages:
                    target.add_error(field, message)
                continue
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
        else:
            for message in messages:
                form.add_error(None, message)
