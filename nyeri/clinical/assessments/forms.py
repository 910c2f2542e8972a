"""The assessment form, generated from the instrument's data: one field per item, the body map.

Forms parse; the rules (ranges, required items, the body map) and their messages live in
the services, whose errors are put back on the fields here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.assessments.services import REASON_MAX, BodySiteIn
from nyeri.clinical.instruments.schema import Instrument, Item
from nyeri.clinical.models import AssessmentSource, BodyView, Encounter, Laterality, PainAssessment, PainCharacter
from nyeri.lib.bodysites import body_sites
from nyeri.tenancy.clock import input_value
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.web.forms import LocalDateTimeField


def item_field_name(code: str) -> str:
    return f"item_{code}"


def _site_names(region: str, view: str) -> tuple[str, str]:
    return f"site_{region}_{view}", f"side_{region}_{view}"


def _item_field(item: Item, language: str) -> forms.Field:
    anchors = []
    if item.min_anchor_en:
        anchors.append(f"{item.min} = {item.anchor('min', language)}")
    if item.max_anchor_en:
        anchors.append(f"{item.max} = {item.anchor('max', language)}")
    help_text = " · ".join(anchors)
    if item.answers:
        return forms.TypedChoiceField(
            label=item.label(language),
            choices=[("", "—"), *[(a.value, a.label(language)) for a in item.answers]],
            coerce=int,
            empty_value=None,
            required=False,
            help_text=help_text,
        )
    # No bounds in the field: the service checks the range, with one message for the page and the API.
    return forms.IntegerField(
        label=item.label(language),
        required=False,
        help_text=help_text,
        widget=forms.NumberInput(
            attrs={"min": str(item.min), "max": str(item.max), "step": str(item.step), "inputmode": "numeric"}
        ),
    )


@dataclass(frozen=True)
class BodyCell:
    """A region seen from one view on the form: marked painful or not, and on which side."""

    checkbox: forms.BoundField
    side: forms.BoundField


@dataclass(frozen=True)
class BodyRow:
    """One line of the body map: a region, with a cell for each view it is seen from."""

    region: str
    label: str
    front: BodyCell | None
    back: BodyCell | None


class AssessmentForm(forms.Form):
    facility = forms.ModelChoiceField(
        label=_("Facility"), queryset=Facility.objects.none(), required=False, empty_label=None
    )
    # Naive: the service reads it at the facility of the assessment (tenancy.clock.at_facility).
    recorded_at = LocalDateTimeField(label=_("Assessed at"), required=False)
    source = forms.ChoiceField(label=_("Answers given by"), choices=AssessmentSource.choices)
    pain_character = forms.ChoiceField(
        label=_("Pain character"), choices=[("", "—"), *PainCharacter.choices], required=False
    )

    def __init__(
        self,
        *args: Any,
        instrument: Instrument,
        scope: Scope,
        with_facility: bool = True,
        amending: PainAssessment | None = None,
        encounter: Encounter | None = None,
        **kwargs: Any,
    ) -> None:
        if amending is not None:
            kwargs.setdefault("initial", initial_from(amending))
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.body_site_errors: list[str] = []
        language = get_language() or "id"
        # Where the time is typed: the encounter's facility, else the one the select shows first.
        shown = encounter.facility if encounter is not None else None
        if with_facility:
            field = self.fields["facility"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = facilities_for(scope)
            shown = shown or field.queryset.first()
        else:
            del self.fields["facility"]
        if amending is not None:
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the amendment"),
                max_length=REASON_MAX,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "maxlength": str(REASON_MAX)}),
            )
        else:
            self.fields["recorded_at"].initial = input_value(None, shown)
            self.fields["source"].initial = AssessmentSource.CLINICIAN
        for item in instrument.items:
            self.fields[item_field_name(item.code)] = _item_field(item, language)
        sides = dict(Laterality.choices)
        for region in body_sites().body_map:
            for view in region.views:
                box, side = _site_names(region.code, view)
                # The table shows the region and the view as headings: the labels are for screen readers.
                name = f"{region.label(language)} ({BodyView(view).label})"
                self.fields[box] = forms.BooleanField(
                    label=name, required=False, widget=forms.CheckboxInput(attrs={"aria-label": name})
                )
                self.fields[side] = forms.ChoiceField(
                    label=_("Side"),
                    choices=[("", "—"), *[(s, sides[s]) for s in region.sides]],
                    required=False,
                    widget=forms.Select(attrs={"aria-label": f"{_('Side')}: {name}"}),
                )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[item_field_name(item.code)] for item in self.instrument.items]

    def body_rows(self) -> list[BodyRow]:
        language = get_language() or "id"
        return [
            BodyRow(
                region.code, region.label(language), self._cell(region.code, "front"), self._cell(region.code, "back")
            )
            for region in body_sites().body_map
        ]

    def _cell(self, region: str, view: str) -> BodyCell | None:
        box, side = _site_names(region, view)
        return BodyCell(self[box], self[side]) if box in self.fields else None

    def answers(self) -> dict[str, int | None]:
        return {item.code: self.cleaned_data.get(item_field_name(item.code)) for item in self.instrument.items}

    def body_sites(self) -> list[BodySiteIn]:
        sites = []
        for region in body_sites().body_map:
            for view in region.views:
                box, side = _site_names(region.code, view)
                if self.cleaned_data.get(box):
                    sites.append(BodySiteIn(region.code, view, self.cleaned_data.get(side) or ""))
        return sites

    def add_service_errors(self, error: ValidationError) -> None:
        """Each of the service's fields under its form field: ``answers.<item>`` under the item."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            if name == "body_sites":
                self.body_site_errors.extend(m for e in errors for m in e.messages)
                continue
            target = item_field_name(name.removeprefix("answers.")) if name.startswith("answers.") else name
            self.add_error(target if target in self.fields else None, errors)


def initial_from(assessment: PainAssessment) -> dict[str, Any]:
    """The form's values for an amendment: what the current version says."""
    initial: dict[str, Any] = {
        "recorded_at": input_value(assessment.recorded_at, assessment.facility),
        "source": assessment.source,
        "pain_character": assessment.pain_character,
    }
    for answer in assessment.answers.all():
        initial[item_field_name(answer.item_code)] = answer.value
    for site in assessment.body_sites.all():
        box, side = _site_names(site.region, site.view)
        initial[box] = True
        initial[side] = site.laterality
    return initial


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": str(REASON_MAX)}),
    )

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)
