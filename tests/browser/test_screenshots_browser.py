"""`make screenshots` (scripts/screenshots.py): one role at one width, as a quick check that it runs."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """The width and height in the PNG's header (IHDR, right after the signature)."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_script_captures_the_home_and_each_menu_entry_of_a_role_with_an_index(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    # Its own process: the script seeds and serves a database of its own, with the demo's settings.
    done = subprocess.run(
        [sys.executable, "scripts/screenshots.py", "--role", "apoteker", "--width", "390", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pictures = sorted((out / "apoteker").glob("*.png"))
    names = [p.name for p in pictures]
    assert "home-390.png" in names
    # The pharmacist's menus: at least the controlled-drug register besides the home.
    assert any(name.startswith("register-") for name in names), names
    for picture in pictures:
        # Clipped to the phone's window, not the whole page.
        assert png_size(picture) == (390, 844), picture.name
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f"apoteker/{name}" in index for name in names)
