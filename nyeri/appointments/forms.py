"""Forms of the appointment pages. They parse; the services check and name the bad fields."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from nyeri.appointments.models import AppointmentKind
from nyeri.appointments.services import REASON_MAX
from nyeri.tenancy.models import Facility
from nyeri.web.forms import LocalDateTimeField
from nyeri.workforce.models import Person

# How long a visit is booked for, in minutes (the end is the start plus this).
LENGTHS = (10, 15, 20, 30, 45, 60, 90, 120)
DEFAULT_LENGTH = 30


def _length_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Length"),
        coerce=int,
        choices=[(m, _("%(minutes)d minutes") % {"minutes": m}) for m in LENGTHS],
        initial=DEFAULT_LENGTH,
    )


def ends_at(starts_at: datetime | None, minutes: int | None) -> datetime | None:
    # Naive wall-clock arithmetic at the facility: Indonesia keeps no daylight-saving time.
    if starts_at is None or minutes is None:
        return None
    try:
        return starts_at + timedelta(minutes=minutes)
    except OverflowError:  # the last minutes of the year 9999: the service refuses the start
        return None


class DayForm(forms.Form):
    """The day list's date picker and clinician filter (GET)."""

    day = forms.DateField(
        label=_("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        # Any day whose midnights every zone can still write (a year 9999 is not).
        validators=[MinValueValidator(date(1900, 1, 1)), MaxValueValidator(date(9998, 12, 31))],
    )
    clinician = forms.ModelChoiceField(
        label=_("Clinician"), queryset=Person.objects.none(), required=False, empty_label=_("Everyone")
    )

    def __init__(self, *args: Any, clinicians: QuerySet[Person], today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["clinician"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clinicians
        self.fields["day"].initial = today


class BookForm(forms.Form):
    clinician = forms.ModelChoiceField(label=_("Clinician"), queryset=Person.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("Kind of appointment"), choices=AppointmentKind.choices)
    starts_at = LocalDateTimeField(label=_("Date and time"), required=False)
    minutes = _length_field()

    def __init__(self, *args: Any, clinicians: QuerySet[Person], facility: Facility, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["clinician"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clinicians
        self.fields["starts_at"].help_text = _("On the clock of %(facility)s.") % {"facility": facility.name}


class RescheduleForm(forms.Form):
    starts_at = LocalDateTimeField(label=_("New date and time"), required=False)
    minutes = _length_field()


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.TextInput(attrs={"maxlength": str(REASON_MAX)}),
    )
