"""Where a facility is: its province and regency from the official codes, and its time zone.

Pure functions over the region data (``nyeri.regions``, the Kemendagri codes); no database.
Each ``*_problems`` function returns translated messages keyed by the form field, like the
services' validation, so that the forms, the API and the command show the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from django.utils.translation import gettext as _

from nyeri.lib.services import Errors
from nyeri.regions import Province, Regency, province, regency


@dataclass(frozen=True)
class Place:
    """A province and one of its regencies, both found in the official codes."""

    province: Province
    regency: Regency


@cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    return name in _known_time_zones()


def find_place(province_code: str, regency_code: str) -> tuple[Place | None, Errors]:
    """The province and regency of these codes, or the problems keyed by ``province`` and ``regency``."""
    province_code, regency_code = province_code.strip(), regency_code.strip()
    errors: Errors = {}
    found_province = province(province_code) if province_code else None
    if not province_code:
        errors["province"] = [_("Choose the province.")]
    elif found_province is None:
        errors["province"] = [_("%(code)s is not a province code.") % {"code": province_code}]
    found_regency = regency(regency_code) if regency_code else None
    if not regency_code:
        errors["regency"] = [_("Choose the regency or city.")]
    elif found_regency is None:
        errors["regency"] = [_("%(code)s is not a regency or city code.") % {"code": regency_code}]
    elif found_province is not None and found_regency.province_code != found_province.code:
        errors["regency"] = [
            _("%(regency)s is not in the province of %(province)s: choose a regency or city of that province.")
            % {"regency": found_regency.name, "province": found_province.name}
        ]
    if errors or found_province is None or found_regency is None:
        return None, errors
    return Place(found_province, found_regency), {}


def default_time_zone(province_code: str) -> str:
    """The province's time zone (IANA), or the platform's default when the code is unknown."""
    found = province(province_code.strip()) if province_code.strip() else None
    return found.time_zone if found is not None else "Asia/Jakarta"


def time_zone_problems(
    time_zone: str, *, place: Place | None, confirmed: bool, needs_confirmation: bool = True
) -> Errors:
    """A time zone must be a known IANA name; one other than the province's must be confirmed."""
    if not is_time_zone(time_zone):
        return {
            "time_zone": [_("%(zone)s is not a known time zone (for example Asia/Makassar).") % {"zone": time_zone}]
        }
    if place is not None and needs_confirmation and not confirmed and time_zone != place.province.time_zone:
        return {
            "time_zone": [
                _(
                    "%(province)s keeps %(expected)s time, not %(zone)s. Confirm the time zone if the facility "
                    "really keeps %(zone)s time."
                )
                % {"province": place.province.name, "expected": place.province.time_zone, "zone": time_zone}
            ]
        }
    return {}
