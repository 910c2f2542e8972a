"""A system check: every instrument file and the body-site vocabulary load (a bad file stops a deploy)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from nyeri.clinical.instruments.loader import InstrumentError, all_instruments
from nyeri.lib.bodysites import BodySitesError, body_sites


@register()
def instruments_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    try:
        all_instruments()
    except InstrumentError as exc:
        errors.append(Error(str(exc), id="nyeri.clinical.E001"))
    try:
        body_sites()
    except BodySitesError as exc:
        errors.append(Error(str(exc), id="nyeri.clinical.E002"))
    return errors
