"""Forms of the encounter pages. They parse; the services check and name the bad fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.encounters.services import REASON_MAX
from nyeri.clinical.models import Encounter, EncounterKind, ParticipantRole
from nyeri.tenancy.clock import input_value
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.web.forms import LocalDateTimeField
from nyeri.workforce.models import Person


def _datetime_field(label: Any, *, required: bool) -> LocalDateTimeField:
    # Naive: the service reads it at the chosen facility (tenancy.clock.at_facility).
    return LocalDateTimeField(label=label, required=required)


class EncounterForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label=_("Kind of visit"), choices=EncounterKind.choices)
    starts_at = _datetime_field(_("Start of the visit"), required=True)
    ends_at = _datetime_field(_("End of the visit"), required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facility"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = facilities_for(scope)
        # Now on the clock of the facility the select shows first.
        self.fields["starts_at"].initial = input_value(None, field.queryset.first())
        self.fields["ends_at"].help_text = _("Leave empty while the visit goes on; finish it later.")


class ParticipantForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())
    role = forms.ChoiceField(label=_("Role in the encounter"), choices=ParticipantRole.choices)
    minutes = forms.IntegerField(
        label=_("Minutes"),
        # No bounds here: the service checks them, with one message for the page and the API.
        widget=forms.NumberInput(attrs={"min": "1", "max": "1440", "inputmode": "numeric"}),
        help_text=_("Time spent with the patient. Nurses' and other clinical staff's minutes go to their hours."),
    )

    def __init__(self, *args: Any, encounter: Encounter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        # The people who work at the encounter's facility, not yet taking part.
        field.queryset = (
            Person.objects.filter(
                organization_id=encounter.organization_id, facility_links__facility_id=encounter.facility_id
            )
            .exclude(encounter_participations__encounter=encounter)
            .order_by("full_name")
        )


class FinishForm(forms.Form):
    ends_at = _datetime_field(_("End of the visit"), required=False)

    def __init__(self, *args: Any, facility: Facility | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ends_at"].initial = input_value(None, facility)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.TextInput(attrs={"maxlength": str(REASON_MAX)}),
    )
