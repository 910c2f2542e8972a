"""Text for fpdf2's core fonts (Latin-1), shared by every PDF Nyeri prints."""

from __future__ import annotations

import unicodedata

# Typographic characters outside Latin-1 with a plain equivalent.
_PLAIN = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def latin1(text: str) -> str:
    """``text`` as the PDF's core fonts can show it: any other character is reduced to its base
    letter (or "?") rather than breaking the print."""
    out = []
    for char in str(text).translate(_PLAIN):
        try:
            char.encode("latin-1")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
        else:
            out.append(char)
    return "".join(out)


__all__ = ["latin1"]
