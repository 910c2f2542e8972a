"""The evaluation's filters, read from the query string (the same names as the API: facility, period)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.outcomes.selectors import UNKNOWN_FACILITY, report_facilities
from nyeri.evaluation.selectors import UNKNOWN_YEAR, EvaluationFilters, listed_years, resolve_filters
from nyeri.tenancy.scope import Scope


class EvaluationFilterForm(forms.Form):
    """Facility (default: all of the reader's) and period: a calendar year that has ended, from the
    list (default: the last one). Dates are refused (docs/oppe.md, "Periods")."""

    facility = forms.ChoiceField(label=_("Facility"), required=False)
    period = forms.ChoiceField(label=_("Year"), required=False)

    def __init__(self, *args: Any, scope: Scope, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.today = today
        period = self.fields["period"]
        assert isinstance(period, forms.ChoiceField)
        period.choices = [(p.key, p.label) for p in listed_years(today)]
        period.error_messages["invalid_choice"] = UNKNOWN_YEAR
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ChoiceField)
        facility.choices = [("", _("All facilities")), *((str(f.pk), f.name) for f in report_facilities(scope))]
        facility.error_messages["invalid_choice"] = UNKNOWN_FACILITY
        self.filters: EvaluationFilters | None = None

    def clean(self) -> dict[str, Any]:
        """The field checks, then the selector's (a year that has ended, a facility of the scope)."""
        cleaned = super().clean() or {}
        if "period" in self.errors or "facility" in self.errors:
            return cleaned
        if self.data.get("from") or self.data.get("to"):
            # Dates (a link from before periods were chosen from a list): refused with the reason.
            self.add_error(None, str(UNKNOWN_YEAR))
        facility = cleaned.get("facility")
        try:
            self.filters = resolve_filters(
                self.scope,
                facility_id=int(facility) if facility else None,
                period=cleaned.get("period") or None,
                today=self.today,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        if self.errors:
            self.filters = None
        return cleaned
