"""Checking the optional NIK of an invitee: 16 digits, a known province and regency/city.

The rules are the regions app's (``nyeri.regions.nik``); an unknown regency, which a form
elsewhere may only warn about, is a refusal here: an administrator types the NIK from the
identity card in front of them.
"""

from __future__ import annotations

from nyeri.regions.nik import check_nik


def nik_errors(nik: str) -> list[str]:
    """Why ``nik`` is not a valid NIK (empty: valid, or not given)."""
    if not nik:
        return []
    return [problem.message for problem in check_nik(nik) if problem.field == "nik"]
