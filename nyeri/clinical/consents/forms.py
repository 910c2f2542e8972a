"""Forms of the consents page. They parse; the service checks and names the bad fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.consents.services import NOTE_MAX, REASON_MAX, WITNESS_MAX
from nyeri.clinical.models import ConsentKind, ConsentMethod, Patient
from nyeri.tenancy.clock import input_value
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.web.forms import LocalDateTimeField


class RecordConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Consent to"), choices=ConsentKind.choices)
    scope_note = forms.CharField(
        label=_("Procedure or scope"),
        required=False,
        max_length=NOTE_MAX,
        help_text=_("Required for a procedure: name it (with side and level). Optional otherwise."),
        widget=forms.TextInput(attrs={"maxlength": str(NOTE_MAX)}),
    )
    how = forms.ChoiceField(label=_("How it was given"), choices=ConsentMethod.choices)
    witness = forms.CharField(
        label=_("Witness"),
        required=False,
        max_length=WITNESS_MAX,
        help_text=_("Required for a verbal consent: the name of the person who witnessed it."),
    )
    # Naive: the service reads it at the chosen facility (tenancy.clock.at_facility).
    given_at = LocalDateTimeField(label=_("Given at"), required=False, help_text=_("Leave empty for now."))
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none(), empty_label=None)

    def __init__(self, *args: Any, scope: Scope, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ModelChoiceField)
        facility.queryset = facilities_for(scope)
        shown = facility.queryset.first()
        if scope.covers_facility(patient.registered_at_id):
            facility.initial = patient.registered_at_id
            shown = patient.registered_at
        # Now on the clock of the facility the select shows first.
        self.fields["given_at"].initial = input_value(None, shown)


class WithdrawConsentForm(forms.Form):
    # Not required here: the service names a missing reason, with the same message as the API's.
    reason = forms.CharField(
        label=_("Reason for the withdrawal"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.TextInput(attrs={"maxlength": str(REASON_MAX)}),
    )
