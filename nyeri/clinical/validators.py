from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.clock import latest_today


def validate_nik(value: str) -> None:
    """An Indonesian national identity number (NIK) has exactly 16 digits."""
    if value and (len(value) != 16 or not value.isdigit()):
        raise ValidationError(
            _("A NIK has exactly 16 digits; %(count)d characters were given."),
            code="nik_length",
            params={"count": len(value)},
        )


def validate_not_in_future(value: date) -> None:
    """A backstop on the model: not after today anywhere in Indonesia (WIT, the first to turn).

    The services check the facility's own day (``tenancy.clock.local_date``); this cannot
    know the facility, and must not refuse a Jayapura clinic's today at 00:30 WIT.
    """
    if value > latest_today():
        raise ValidationError(_("This date is in the future."), code="future_date")
