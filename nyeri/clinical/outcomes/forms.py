"""The report's filters, read from the query string (the same names as the API: facility, period, measure)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.outcomes.selectors import (
    DEFAULT_MEASURE,
    UNKNOWN_FACILITY,
    UNKNOWN_PERIOD,
    OutcomeFilters,
    measure_choices,
    report_facilities,
    resolve_filters,
)
from nyeri.lib.periods import listed_periods
from nyeri.tenancy.scope import Scope


class OutcomesFilterForm(forms.Form):
    """Facility (default: all of the user's), period of the baselines (a month, quarter or year
    from the list, ``periods``), measure (default: NRS)."""

    facility = forms.ChoiceField(label=_("Facility"), required=False)
    period = forms.ChoiceField(label=_("Baselines in"), required=False)
    measure = forms.ChoiceField(label=_("Measure"), required=False)

    def __init__(self, *args: Any, scope: Scope, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        period = self.fields["period"]
        assert isinstance(period, forms.ChoiceField)
        period.choices = [(p.key, p.label) for p in listed_periods(today)]
        period.error_messages["invalid_choice"] = UNKNOWN_PERIOD
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
        if "period" in self.errors:
            return cleaned  # not one of the list: its own error says so
        facility = cleaned.get("facility")
        if self.data.get("from") or self.data.get("to"):
            # Dates (a link from before periods were chosen from a list): refused with the reason.
            self.add_error(None, str(UNKNOWN_PERIOD))
        try:
            self.filters = resolve_filters(
                self.scope,
                facility_id=int(facility) if facility else None,
                period=cleaned.get("period") or None,
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
