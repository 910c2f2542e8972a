"""Checking the optional NIK of an invitee (16 digits, a known province and regency)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def nik_errors(nik: str) -> list[str]:
    """Why ``nik`` is not a valid NIK (empty: valid, or not given)."""
    if not nik:
        return []
    if len(nik) != 16 or not nik.isdigit():
        return [_("A NIK has exactly 16 digits.")]
    return []
