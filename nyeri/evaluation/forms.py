"""The evaluation's filters, read from the query string (the same names as the API: facility, from, to)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.outcomes.forms import DateInput
from nyeri.clinical.outcomes.selectors import UNKNOWN_FACILITY, report_facilities
from nyeri.evaluation.selectors import EvaluationFilters, resolve_filters
from nyeri.tenancy.scope import Scope


class EvaluationFilterForm(forms.Form):
    """Facility (default: all of the reader's) and period (default: the 12 months ending today)."""

    facility = forms.ChoiceField(label=_("Facility"), required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=DateInput())
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=DateInput())
        self.order_fields(["facility", "from", "to"])
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ChoiceField)
        facility.choices = [("", _("All facilities")), *((str(f.pk), f.name) for f in report_facilities(scope))]
        facility.error_messages["invalid_choice"] = UNKNOWN_FACILITY
        self.filters: EvaluationFilters | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "from" in self.errors or "to" in self.errors or "facility" in self.errors:
            return cleaned
        facility = cleaned.get("facility")
        try:
            self.filters = resolve_filters(
                self.scope,
                facility_id=int(facility) if facility else None,
                date_from=cleaned.get("from"),
                date_to=cleaned.get("to"),
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        if self.errors:
            self.filters = None
        return cleaned
