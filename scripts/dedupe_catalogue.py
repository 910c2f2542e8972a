"""Drop repeated entries from the Indonesian catalogue, keeping the first of each.

Branches append their new strings to the end of the catalogue and git merges it by union
(.gitattributes), so two branches that both added "Deactivate" leave it twice. The check in
scripts/check_translations.py fails on such repeats; this removes them (a repeat whose
translation differs is reported, not removed). The rest of the file is left byte for byte.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent.parent / "nyeri" / "locale" / "id" / "LC_MESSAGES" / "django.po"


def _key(block: str) -> tuple[str, str] | None:
    def field(name: str) -> str | None:
        match = re.search(rf'^{name} ((?:".*"\n?)+)', block + "\n", re.M)
        if match is None:
            return None
        return "".join(re.findall(r'"(.*)"', match.group(1)))

    msgid = field("msgid")
    return None if msgid is None or msgid == "" else (field("msgctxt") or "", msgid)


def _translation(block: str) -> str:
    match = re.search(r'^msgstr ((?:".*"\n?)+)', block + "\n", re.M)
    return "".join(re.findall(r'"(.*)"', match.group(1))) if match else ""


def main(path: Path = CATALOGUE) -> int:
    text = path.read_text(encoding="utf-8")
    blocks = re.split(r"\n{2,}", text.rstrip("\n"))
    seen: dict[tuple[str, str], str] = {}
    kept, dropped, conflicts = [], 0, []
    for block in blocks:
        key = _key(block)
        if key is not None and key in seen:
            if seen[key] != _translation(block):
                conflicts.append(key[1])
                kept.append(block)
            else:
                dropped += 1
            continue
        if key is not None:
            seen[key] = _translation(block)
        kept.append(block)
    path.write_text("\n\n".join(kept) + "\n", encoding="utf-8")
    print(f"{path.name}: {dropped} repeated entr{'y' if dropped == 1 else 'ies'} removed")
    for msgid in conflicts:
        print(f"  translated differently, choose one by hand: {msgid!r}")
    return 1 if conflicts else 0


if __name__ == "__main__":
    sys.exit(main())
