"""CSV cells a spreadsheet opens safely."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """``value``, prefixed with ``'`` when it would start like a formula (a spreadsheet would run it)."""
    return "'" + value if value[:1] in FORMULA_STARTS else value
