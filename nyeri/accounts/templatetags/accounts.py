from __future__ import annotations

import math
from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes_up(value: timedelta | None) -> int:
    """Whole minutes, rounded up: "try again in 1 minute" must not come 59 seconds early."""
    if value is None:
        return 0
    return max(1, math.ceil(value.total_seconds() / 60))
