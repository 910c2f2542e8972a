"""Forms of the hours pages. They parse; the rules (and their messages) live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.clock import latest_today
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.workforce.hours.services import REASON_MAX_LENGTH
from nyeri.workforce.models import Person


class ManualHoursForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none(), empty_label=None)
    worked_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(
        label=_("Hours"),
        # No bounds here: the service checks the range and the decimals, with its own messages.
        widget=forms.NumberInput(attrs={"step": "0.25", "min": "0.25", "max": "24", "inputmode": "decimal"}),
        help_text=_("Hours with pain-clinic patients on that day, at most 24."),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("What the hours were (clinic, ward round, procedures), for the supervisor who verifies them."),
    )

    def __init__(self, *args: Any, scope: Scope, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the facilities where the person works and the user's membership reaches.
        facilities = Facility.objects.filter(
            organization=scope.organization, person_links__person=person, is_active=True
        )
        if scope.facility_ids is not None:
            facilities = facilities.filter(pk__in=scope.facility_ids)
        field = self.fields["facility"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = facilities.order_by("name")
        # The picker cannot know the facility chosen yet: the latest "today" of Indonesia's
        # zones; the service checks the day at the facility.
        self.fields["worked_on"].widget.attrs["max"] = latest_today().isoformat()


class RejectHoursForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejecting"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"maxlength": str(REASON_MAX_LENGTH)}),
    )
