"""Uploaded spreadsheets kept privately until they are imported, keyed by their SHA-256.

Under ``PRIVATE_STORAGE_ROOT/imports/<organization id>/``: the confirm step names the file
by its hash, and a hash of another organization's upload is simply not found there. The
files hold patient and staff data: one is removed once it has been imported, and uploads
never confirmed are removed after ``KEEP_SECONDS`` (when the organization next uploads).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

from django.conf import settings

FOLDER = "imports"
KEEP_SECONDS = 24 * 3600
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _path(organization_id: int, sha256: str) -> Path | None:
    if not _SHA256.match(sha256):
        return None
    return Path(settings.PRIVATE_STORAGE_ROOT) / FOLDER / str(int(organization_id)) / f"{sha256}.upload"


def keep(organization_id: int, content: bytes) -> str:
    """Store ``content`` (once: the same file twice is one file); returns its SHA-256."""
    sha256 = hashlib.sha256(content).hexdigest()
    path = _path(organization_id, sha256)
    assert path is not None
    if path.exists():
        return sha256
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _remove_stale(path.parent)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    tmp.replace(path)
    return sha256


def load(organization_id: int, sha256: str) -> bytes | None:
    """The stored upload with this hash in this organization, or None."""
    path = _path(organization_id, sha256)
    if path is None or not path.is_file():
        return None
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != sha256:
        return None
    return content


def discard(organization_id: int, sha256: str) -> None:
    """Remove an upload that has been imported."""
    path = _path(organization_id, sha256)
    if path is not None:
        path.unlink(missing_ok=True)


def _remove_stale(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for old in folder.glob("*.upload"):
        try:
            if old.stat().st_mtime < limit:
                old.unlink(missing_ok=True)
        except FileNotFoundError:
            continue
