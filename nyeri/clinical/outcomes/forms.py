"""The report's filters, read from the query string (the same names as the API: facility, from, to, measure)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.outcomes.selectors import (
    DEFAULT_MEASURE,
    UNKNOWN_FACILITY,
    OutcomeFilters,
    measure_choices,
    report_facilities,
    resolve_filters,
)
from nyeri.tenancy.scope import Scope


class DateInput(forms.DateInput):
    # The browser's date picker sends and expects ISO dates, whatever the language.
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class OutcomesFilterForm(forms.Form):
    """Facility (default: all of the user's), period of the baselines, measure (default: NRS).

    ``from`` and ``to`` are Python keywords, so those fields are added in ``__init__``.
    """

    facility = forms.ChoiceField(label=_("Facility"), required=False)
    measure = forms.ChoiceField(label=_("Measure"), required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["from"] = forms.DateField(label=_("Baselines from"), required=False, widget=DateInput())
        self.fields["to"] = forms.DateField(label=_("Baselines to"), required=False, widget=DateInput())
        self.order_fields(["facility", "from", "to", "measure"])
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ChoiceField)
        facility.choices = [("", _("All facilities")), *((str(f.pk), f.name) for f in report_facilities(scope))]
        facility.error_messages["invalid_choice"] = UNKNOWN_FACILITY
        measure = self.fields["measure"]
        assert isinstance(measure, forms.ChoiceField)
        measure.choices = measure_choices()
        self.filters: OutcomeFilters | None = None

    def clean(self) -> dict[str, Any]:
        """The field checks, then the service's (period, facility of the scope): every error at once."""
        cleaned = super().clean() or {}
        if "from" in self.errors or "to" in self.errors:
            return cleaned  # a date that is not one: its own error says so
        facility = cleaned.get("facility")
        try:
            self.filters = resolve_filters(
                self.scope,
                facility_id=int(facility) if facility else None,
                date_from=cleaned.get("from"),
                date_to=cleaned.get("to"),
                measure=cleaned.get("measure") or DEFAULT_MEASURE,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field in self.errors:
                    continue
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        if self.errors:
            self.filters = None
        return cleaned
