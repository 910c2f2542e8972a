"""Diary forms: issuing and revoking a link (staff), an entry (the patient's phone page).

Forms parse; the rules (validity, ranges, required items, the daily limit) and their
messages live in the services, whose errors are put back on the fields here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.diary.services import REASON_MAX, validity_days
from nyeri.clinical.instruments.schema import Instrument, Item
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.selectors import facilities_for


class IssueForm(forms.Form):
    facility = forms.ModelChoiceField(
        label=_("Facility"),
        queryset=Facility.objects.none(),
        empty_label=None,
        help_text=_("The patient's entries are recorded here, on your behalf."),
    )
    # No bounds in the field: the service checks them, with one message for the page and the API.
    valid_days = forms.IntegerField(label=_("Valid for (days)"), required=False)

    def __init__(self, *args: Any, scope: Scope, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default, longest = validity_days()
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ModelChoiceField)
        facility.queryset = facilities_for(scope)
        if scope.covers_facility(patient.registered_at_id):
            facility.initial = patient.registered_at_id
        days = self.fields["valid_days"]
        days.initial = default
        days.help_text = _("From 1 to %(max)d days.") % {"max": longest}
        days.widget.attrs.update({"min": "1", "max": str(longest), "inputmode": "numeric"})

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            self.add_error(name if name in self.fields else None, errors)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.TextInput(attrs={"maxlength": str(REASON_MAX)}),
    )


def item_field_name(code: str) -> str:
    return f"item_{code}"


@dataclass(frozen=True)
class FieldProblem:
    """An error of the form, named by the question it belongs to (for the summary at the top)."""

    field_id: str
    label: str
    message: str


# The page's visit key (``?k=``): made once per visit of the diary page, kept in its address.
VISIT_KEY = re.compile(r"[A-Za-z0-9_-]{16,32}")


def new_visit_key() -> str:
    return secrets.token_urlsafe(12)


class EntryForm(forms.Form):
    """One instrument of the diary: a 0-10 scale per item (big tap targets), and the submission key.

    The key comes from the page's visit key (in its address) and the instrument, and is sent
    back with the form: a submission sent again (a double tap, a reload, going back and
    sending again, even when the browser fetches the page anew) carries the same key and is
    stored once. A new visit of the diary (from the confirmation's link) gets a new key.
    """

    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, instrument: Instrument, visit_key: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("prefix", instrument.code)
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        if not self.is_bound:
            self.initial["submission_key"] = f"{visit_key or new_visit_key()}.{instrument.code}"
        language = get_language() or "id"
        for item in instrument.items:
            self.fields[item_field_name(item.code)] = _scale_field(item, language)

    def item_fields(self) -> list[forms.BoundField]:
        return [self[item_field_name(item.code)] for item in self.instrument.items]

    def answers(self) -> dict[str, object]:
        return {item.code: self.cleaned_data.get(item_field_name(item.code)) for item in self.instrument.items}

    def add_service_errors(self, error: ValidationError) -> None:
        """Each of the service's fields under its form field: ``answers.<item>`` under the item."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            target = item_field_name(name.removeprefix("answers.")) if name.startswith("answers.") else None
            self.add_error(target if target in self.fields else None, errors)

    def problems(self) -> list[FieldProblem]:
        """Every error, with the label of the question it is about (the form's own first)."""
        found = [FieldProblem("", "", str(m)) for m in self.non_field_errors()]
        for bound in self.item_fields():
            found.extend(FieldProblem(bound.auto_id, str(bound.label), str(m)) for m in bound.errors)
        return found


def _scale_field(item: Item, language: str) -> forms.Field:
    anchors = []
    if item.min_anchor_en:
        anchors.append(f"{item.min} = {item.anchor('min', language)}")
    if item.max_anchor_en:
        anchors.append(f"{item.max} = {item.anchor('max', language)}")
    values = range(item.min, item.max + 1, item.step)
    # An IntegerField (not a choice): a value off the scale reaches the service, whose message names the range.
    return forms.IntegerField(
        label=item.label(language),
        required=False,
        help_text=" · ".join(anchors),
        widget=forms.RadioSelect(choices=[(v, str(v)) for v in values]),
    )
