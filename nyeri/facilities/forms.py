"""Forms of the facility pages. They parse; the rules (and their messages) live in the services."""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nyeri.facilities.models import SIZE_FIELDS, EquipmentKind, EquipmentStatus, Weekday
from nyeri.facilities.selectors import ProfileView
from nyeri.facilities.services import (
    MODEL_MAX_LENGTH,
    REASON_MAX_LENGTH,
    SERIAL_MAX_LENGTH,
    OpeningRow,
    profile_problems,
)

NUMBER = {"inputmode": "numeric", "min": "0"}


class ProfileForm(forms.Form):
    """The size fields, then an opening and a closing time per weekday (both empty: closed)."""

    consultation_rooms = forms.IntegerField(label=_("Consultation rooms"), widget=forms.NumberInput(attrs=NUMBER))
    procedure_rooms = forms.IntegerField(label=_("Procedure rooms"), widget=forms.NumberInput(attrs=NUMBER))
    recovery_beds = forms.IntegerField(label=_("Recovery beds"), widget=forms.NumberInput(attrs=NUMBER))
    planned_visits_per_week = forms.IntegerField(
        label=_("Planned visits per week"), widget=forms.NumberInput(attrs=NUMBER)
    )
    sedation_room_days_per_week = forms.IntegerField(
        label=_("Procedure-room days with sedation per week"),
        help_text=_("A procedure room used for procedures under sedation on 3 days a week counts 3."),
        widget=forms.NumberInput(attrs=NUMBER),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in Weekday:
            self.fields[f"opens_{day.value}"] = forms.TimeField(
                label=_("%(day)s opens") % {"day": day.label},
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"closes_{day.value}"] = forms.TimeField(
                label=_("%(day)s closes") % {"day": day.label},
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    @staticmethod
    def initial_of(view: ProfileView) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(view.inputs, name) for name in SIZE_FIELDS}
        for day in view.week:
            initial[f"opens_{day.weekday}"] = day.opens
            initial[f"closes_{day.weekday}"] = day.closes
        return initial

    @property
    def days(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(str(d.label), self[f"opens_{d.value}"], self[f"closes_{d.value}"]) for d in Weekday]

    @property
    def size_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SIZE_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day in Weekday:
            opens, closes = data.get(f"opens_{day.value}"), data.get(f"closes_{day.value}")
            if (opens is None) != (closes is None) and f"closes_{day.value}" not in self.errors:
                self.add_error(
                    f"closes_{day.value}",
                    ValidationError(_("Give both the opening and the closing time, or neither (closed).")),
                )
        # The service's rules, so that every problem shows at once (the service checks again on save).
        sizes = {name: data.get(name) for name in SIZE_FIELDS if name not in self.errors}
        for name, messages in profile_problems(sizes, self._rows(data)).items():
            if name in sizes or name.startswith("closes_"):
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return data

    def sizes(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in SIZE_FIELDS}

    def opening_rows(self) -> list[OpeningRow]:
        return self._rows(self.cleaned_data)

    @staticmethod
    def _rows(data: dict[str, Any]) -> list[OpeningRow]:
        rows: list[OpeningRow] = []
        for day in Weekday:
            opens: time | None = data.get(f"opens_{day.value}")
            closes: time | None = data.get(f"closes_{day.value}")
            if opens is not None and closes is not None:
                rows.append((day.value, opens, closes))
        return rows


class EquipmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EquipmentKind.choices)
    model_name = forms.CharField(label=_("Model"), max_length=MODEL_MAX_LENGTH)
    serial_number = forms.CharField(label=_("Serial number"), max_length=SERIAL_MAX_LENGTH, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (EquipmentStatus.IN_SERVICE.value, EquipmentStatus.IN_SERVICE.label),
            (EquipmentStatus.UNDER_MAINTENANCE.value, EquipmentStatus.UNDER_MAINTENANCE.label),
        ],
        initial=EquipmentStatus.IN_SERVICE,
    )
    reason = forms.CharField(
        label=_("Note"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=_("Kept as the first entry of the unit's history, for example where it came from."),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=EquipmentStatus.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("Kept in the unit's history, for example: tube replaced, calibration due."),
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": str(REASON_MAX_LENGTH)}),
    )
