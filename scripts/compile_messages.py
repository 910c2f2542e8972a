"""Compile every locale's .po file to .mo with polib (pure Python: no gettext needed to run Nyeri)."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    for po_path in sorted((ROOT / "nyeri" / "locale").glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
