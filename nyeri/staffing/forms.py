"""Forms of the staffing pages. They parse; the rules (and their messages) live in the services and selectors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _

from nyeri.facilities.inputs import FacilityInputs
from nyeri.facilities.models import SIZE_FIELDS, EquipmentKind
from nyeri.staffing.kinds import Measure, RuleKind
from nyeri.staffing.schema import Rule
from nyeri.staffing.selectors import Proposal, size_label
from nyeri.staffing.services import LABEL_MAX_LENGTH, REASON_MAX_LENGTH
from nyeri.tenancy.models import FacilityKind
from nyeri.tenancy.roles import Role

NONE: list[tuple[str, str | StrPromise]] = [("", "—")]
NUMBER = {"inputmode": "numeric"}


class PreviewForm(forms.Form):
    """A proposed change: units to add (or take out of service) per kind, and new sizes."""

    def __init__(self, *args: Any, inputs: FacilityInputs, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inputs = inputs
        for kind in EquipmentKind:
            self.fields[f"add_{kind.value}"] = forms.IntegerField(
                label=_("%(kind)s: units to add") % {"kind": kind.label},
                required=False,
                initial=0,
                help_text=_("%(count)s in service now; a negative number takes units out of service.")
                % {"count": inputs.units_in_service(kind.value)},
                widget=forms.NumberInput(attrs=NUMBER),
            )
        for name in SIZE_FIELDS:
            self.fields[name] = forms.IntegerField(
                label=size_label(name),
                required=False,
                initial=getattr(inputs, name),
                widget=forms.NumberInput(attrs=NUMBER),
            )

    @property
    def equipment_fields(self) -> list[forms.BoundField]:
        return [self[f"add_{k.value}"] for k in EquipmentKind]

    @property
    def size_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SIZE_FIELDS]

    def proposal(self) -> Proposal:
        data = self.cleaned_data
        added = {k.value: data.get(f"add_{k.value}") or 0 for k in EquipmentKind}
        sizes = {
            name: data[name]
            for name in SIZE_FIELDS
            if data.get(name) is not None and data[name] != getattr(self.inputs, name)
        }
        return Proposal({k: n for k, n in added.items() if n}, sizes)


class RuleForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=60,
        help_text=_("Lower-case letters, digits and underscores. The code of a rule of the jurisdiction replaces it."),
    )
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        initial=True,
        help_text=_("Untick to switch the jurisdiction's rule of this code off for the organization."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    kind = forms.ChoiceField(label=_("Kind of rule"), choices=RuleKind.choices)
    measure = forms.ChoiceField(label=_("Measure"), choices=[*NONE, *Measure.choices], required=False)
    equipment = forms.ChoiceField(
        label=_("Equipment"),
        choices=[*NONE, *EquipmentKind.choices],
        required=False,
        help_text=_("With the measure “units in service”: the kind counted."),
    )
    amount = forms.CharField(
        label=_("FTE"),
        help_text=_("Per unit: FTE per unit. Per volume: FTE per volume below. Minimum: the least FTE."),
    )
    per = forms.CharField(
        label=_("Per volume of"), required=False, help_text=_("Per-volume rules only, e.g. 60 visits.")
    )
    per_shift = forms.BooleanField(
        label=_("Per shift"),
        required=False,
        help_text=_(
            "Per-unit rules: the FTE is on duty for every opening hour (times opening hours / hours of 1 FTE)."
        ),
    )
    when_facility_kind = forms.ChoiceField(
        label=_("Only for facilities of kind"), choices=[*NONE, *FacilityKind.choices], required=False
    )
    when_equipment = forms.ChoiceField(
        label=_("Only with equipment in service"), choices=[*NONE, *EquipmentKind.choices], required=False
    )
    when_measure = forms.ChoiceField(label=_("Only when measure"), choices=[*NONE, *Measure.choices], required=False)
    when_at_least = forms.CharField(label=_("is at least"), required=False)
    label_en = forms.CharField(label=_("Description (English)"), max_length=LABEL_MAX_LENGTH)
    label_id = forms.CharField(label=_("Description (Bahasa Indonesia)"), max_length=LABEL_MAX_LENGTH)
    source = forms.CharField(label=_("Source"), max_length=LABEL_MAX_LENGTH, required=False)
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("Kept in the audit trail with the rule before and after."),
    )

    def __init__(self, *args: Any, fixed_code: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fixed_code is not None:
            self.fields["code"].disabled = True
            self.fields["code"].initial = fixed_code

    @staticmethod
    def initial_of(rule: Rule, *, is_active: bool = True) -> dict[str, Any]:
        values = rule.model_dump()
        initial: dict[str, Any] = {}
        for name, value in values.items():
            if value is None:
                initial[name] = ""
            elif hasattr(value, "value"):
                initial[name] = value.value
            else:
                initial[name] = value
        initial["is_active"] = is_active
        return initial

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("code", None)
        data.pop("reason", None)
        return data


class ResetForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the reset"), max_length=REASON_MAX_LENGTH)
