from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_nik(value: str) -> None:
    """An Indonesian national identity number (NIK) has exactly 16 digits."""
    if value and (len(value) != 16 or not value.isdigit()):
        raise ValidationError(
            _("A NIK has exactly 16 digits; %(count)d characters were given."),
            code="nik_length",
            params={"count": len(value)},
        )


def validate_not_in_future(value: date) -> None:
    if value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future_date")
