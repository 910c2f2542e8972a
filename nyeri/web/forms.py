"""What every app's forms share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from nyeri.tenancy.clock import DATETIME_LOCAL


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: each field's message under that field
    (a key the form has no field for goes to the form's own errors)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input whose value stays naive: a wall-clock time at a facility
    that the form may not know yet (it is often another field of the same form). The
    service reads it at the facility with ``nyeri.tenancy.clock.at_facility``; Django's
    own field would read it in the installation's zone (a WIT clinic's 09:00 as 09:00 WIB).
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, datetime):
            return value
        result = super().to_python(value)
        # DateTimeField.to_python made the parsed value aware in the current zone: undo that.
        return None if result is None else timezone.make_naive(result)
