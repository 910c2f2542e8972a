"""Forms of the set-up and organization pages. They parse; the rules and their messages live in
the services (``nyeri.tenancy.setup``, ``nyeri.tenancy.services``)."""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from nyeri.facilities.models import Weekday
from nyeri.facilities.services import OpeningRow
from nyeri.regions import provinces, regencies, time_zone_label
from nyeri.tenancy.models import FacilityKind, OrganizationKind
from nyeri.tenancy.places import default_time_zone
from nyeri.tenancy.selectors import FacilitySettings
from nyeri.tenancy.services import FacilityFields

# The time zones offered in the select (any IANA name is accepted through the API).
INDONESIAN_TIME_ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


def province_choices() -> list[tuple[str, Any]]:
    return [("", _("Choose the province")), *((p.code, p.name) for p in provinces())]


def regency_choices(province_code: str) -> list[tuple[str, Any]]:
    """The regencies and cities of the province (none until a province is chosen)."""
    found = regencies(province_code) if province_code else []
    return [
        ("", _("Choose the regency or city") if found else _("Choose the province first")),
        *((r.code, r.name) for r in found),
    ]


def _zone_label(zone: str) -> str:
    try:
        return f"{time_zone_label(zone)} ({zone})"
    except ValueError:
        return zone


def time_zone_choices(current: str = "") -> list[tuple[str, Any]]:
    zones = list(INDONESIAN_TIME_ZONES)
    if current and current not in zones:
        zones.append(current)
    return [("", _("The province's time zone")), *((z, _zone_label(z)) for z in zones)]


def setup_regions(form: forms.Form) -> None:
    """A province select and a regency select filtered by it.

    Without JavaScript the form is sent once with the province (the page then offers its
    regencies); with htmx the regency select is replaced as soon as the province changes.
    The selects accept any value: the service names every problem (a regency of another
    province, say), in the same words as for the API and the command.
    """
    chosen = (form.data.get("province") if form.is_bound else None) or form.initial.get("province") or ""
    province_field = form.fields["province"]
    regency_field = form.fields["regency"]
    assert isinstance(province_field, forms.ChoiceField)
    assert isinstance(regency_field, forms.ChoiceField)
    province_field.choices = province_choices()
    province_field.widget.attrs.update(
        {
            "hx-get": reverse("tenancy:regency_options"),
            "hx-trigger": "change",
            "hx-target": "#id_regency",
            "hx-swap": "outerHTML",
        }
    )
    regency_field.choices = regency_choices(str(chosen))
    for field in (province_field, regency_field):
        field.valid_value = _any_value  # type: ignore[method-assign]


def _any_value(value: object) -> bool:
    return True


class SetupForm(forms.Form):
    setup_code = forms.CharField(
        label=_("One-time set-up code"),
        help_text=_("The server writes it to its log when no organization exists yet."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(label=_("Organization name"), max_length=200)
    kind = forms.ChoiceField(label=_("Organization kind"), choices=OrganizationKind.choices)
    facility_name = forms.CharField(label=_("First facility's name"), max_length=200)
    facility_kind = forms.ChoiceField(label=_("Facility kind"), choices=FacilityKind.choices)
    province = forms.ChoiceField(label=_("Province"))
    regency = forms.ChoiceField(label=_("Regency or city"))
    admin_full_name = forms.CharField(label=_("Your full name"), max_length=200, required=False)
    admin_username = forms.CharField(label=_("Your username"), max_length=150)
    admin_email = forms.EmailField(label=_("Your e-mail address"))
    admin_password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    admin_password_again = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    language = forms.ChoiceField(
        label=_("Your language"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        setup_regions(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, again = data.get("admin_password"), data.get("admin_password_again")
        if first and again is not None and first != again:
            self.add_error("admin_password_again", _("The two passwords differ."))
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": data["kind"],
            "facility_name": data["facility_name"],
            "facility_kind": data["facility_kind"],
            "province_code": data["province"],
            "regency_code": data["regency"],
            "admin_full_name": data["admin_full_name"],
            "admin_username": data["admin_username"],
            "admin_email": data["admin_email"],
            "admin_password": data["admin_password"],
            "language": data["language"] or settings.LANGUAGE_CODE,
            "setup_code": data["setup_code"],
        }


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganizationKind.choices)


NUMBER = {"inputmode": "numeric", "min": "1"}


class FacilityForm(forms.Form):
    """A facility's details, then an opening and a closing time per weekday (both empty: closed)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=FacilityKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("A short name used in record numbers and links, e.g. klinik-cimahi."),
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    province = forms.ChoiceField(label=_("Province"))
    regency = forms.ChoiceField(label=_("Regency or city"))
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Local times at the facility (appointments, opening hours) are in this time zone."),
    )
    confirm_time_zone = forms.BooleanField(
        label=_("Yes, the facility keeps this time zone although its province keeps another."), required=False
    )
    planned_visits_per_week = forms.IntegerField(
        label=_("Planned visits per week"), widget=forms.NumberInput(attrs=NUMBER)
    )

    def __init__(self, *args: Any, current_time_zone: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        setup_regions(self)
        zone = self.fields["time_zone"]
        assert isinstance(zone, forms.ChoiceField)
        zone.choices = time_zone_choices(current_time_zone)
        zone.valid_value = _any_value  # type: ignore[method-assign]
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
    def initial_of(current: FacilitySettings) -> dict[str, Any]:
        facility = current.facility
        initial: dict[str, Any] = {
            "kind": facility.kind,
            "name": facility.name,
            "code": facility.code,
            "address": facility.address,
            "phone": facility.phone,
            "province": current.province_code,
            "regency": facility.regency_code,
            # Blank ("the province's time zone") unless the facility keeps another one.
            "time_zone": "" if facility.time_zone == default_time_zone(current.province_code) else facility.time_zone,
            "planned_visits_per_week": current.planned_visits_per_week,
        }
        for weekday, opens, closes in current.opening_hours:
            initial[f"opens_{weekday}"] = opens
            initial[f"closes_{weekday}"] = closes
        return initial

    @property
    def days(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(str(d.label), self[f"opens_{d.value}"], self[f"closes_{d.value}"]) for d in Weekday]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day in Weekday:
            opens, closes = data.get(f"opens_{day.value}"), data.get(f"closes_{day.value}")
            if (opens is None) != (closes is None) and f"closes_{day.value}" not in self.errors:
                self.add_error(
                    f"closes_{day.value}",
                    ValidationError(_("Give both the opening and the closing time, or neither (closed).")),
                )
        return data

    def fields_value(self) -> FacilityFields:
        data = self.cleaned_data
        rows: list[OpeningRow] = []
        for day in Weekday:
            opens: time | None = data.get(f"opens_{day.value}")
            closes: time | None = data.get(f"closes_{day.value}")
            if opens is not None and closes is not None:
                rows.append((day.value, opens, closes))
        return FacilityFields(
            kind=data["kind"],
            name=data["name"],
            code=data["code"],
            province_code=data["province"],
            regency_code=data["regency"],
            planned_visits_per_week=data["planned_visits_per_week"],
            opening_hours=rows,
            address=data["address"],
            phone=data["phone"],
            time_zone=data["time_zone"],
            confirm_time_zone=data["confirm_time_zone"],
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
