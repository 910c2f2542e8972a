"""Evidence files of credentials: checked by their content, kept in private storage.

A file is accepted when its first bytes say it is a PDF, a PNG or a JPEG image, whatever
its name or the content type the browser claimed: the name and the claim are the sender's
word, the bytes are the file. The type recorded (and served back) is the one found in the
bytes.

Files live under ``settings.PRIVATE_STORAGE_ROOT`` (never under a static or media URL) with
a random name, so that the sender's file name never reaches a path. They are only streamed
by the download view, after an access check.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Used unless the settings define EVIDENCE_MAX_BYTES.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# More files than this on one credential is a mistake or an abuse, not evidence.
MAX_FILES_PER_CREDENTIAL = 10

# The first bytes of each accepted type, and the type recorded for it.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
}
HEAD_BYTES = max(len(magic) for magic, _type in SIGNATURES)
STORAGE_DIR = "credential-evidence"
NAME_MAX = 200


def max_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(head: bytes) -> str | None:
    """The content type the first bytes of a file announce, if it is one we accept."""
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def clean_name(name: str | None) -> str:
    """The sender's file name made safe to show and to offer as a download name."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters are dropped: among them the right-to-left override
    # that makes "report\u202efdp.exe" display as "reportexe.pdf".
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not base:
        return "evidence"
    if len(base) > NAME_MAX:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: NAME_MAX - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:NAME_MAX]
    return base


class StoredEvidence(Protocol):
    """What the download helpers read of an evidence row: staff's or a candidate's."""

    @property
    def storage_name(self) -> str: ...

    @property
    def original_name(self) -> str: ...

    @property
    def content_type(self) -> str: ...


def download_name(evidence: StoredEvidence) -> str:
    """The file name offered on download, with an extension that matches the real type.

    A PDF sent as "scan.png" is accepted (it is a PDF); it is offered back as
    "scan.png.pdf" so that the reader's computer opens it with the right program.
    """
    name = evidence.original_name
    extensions = EXTENSIONS.get(evidence.content_type, ())
    if not extensions or name.lower().endswith(extensions):
        return name
    return name + extensions[0]


@dataclass(frozen=True)
class CheckedUpload:
    upload: UploadedFile
    content_type: str
    original_name: str
    size: int


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    sha256: str
    size: int


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """The upload, if it is an accepted type within the size limit; else ValidationError.

    Reads only the first bytes; nothing is written anywhere.
    """
    name = clean_name(upload.name)
    size = upload.size or 0
    limit = max_bytes()
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    if size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files of at most %(limit)s are accepted.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None:
        raise ValidationError(
            _("“%(name)s” is not a PDF, PNG or JPEG file (its content was checked, not its name).") % {"name": name},
            code="type",
        )
    return CheckedUpload(upload=upload, content_type=content_type, original_name=name, size=size)


def check_uploads(uploads: Iterable[UploadedFile], *, already: int = 0) -> tuple[list[CheckedUpload], list[str]]:
    """Every upload checked: the accepted ones and one message per refused one."""
    checked: list[CheckedUpload] = []
    errors: list[str] = []
    files = list(uploads)
    if already + len(files) > MAX_FILES_PER_CREDENTIAL:
        errors.append(_("A credential can have at most %(max)d evidence files.") % {"max": MAX_FILES_PER_CREDENTIAL})
        return [], errors
    for upload in files:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    return checked, errors


def _root() -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT)


def path_of(storage_name: str) -> Path:
    """Where a stored file is on disk; refuses a name that would step outside the root."""
    root = _root().resolve()
    path = (root / storage_name).resolve()
    if root not in path.parents:
        raise ValueError(f"evidence storage name outside the private root: {storage_name!r}")
    return path


def store(checked: CheckedUpload, *, organization_id: int | None = None, folder: str | None = None) -> StoredFile:
    """Write the upload under a new random name, hashing it on the way; returns where and what.

    Staff evidence goes under ``credential-evidence/<organization id>/``; other owners
    (a candidate, who belongs to no organization) name their own ``folder`` under the
    private root instead. Exactly one of the two is given.
    """
    if (organization_id is None) == (folder is None):
        raise TypeError("store() needs exactly one of organization_id and folder")
    base = PurePosixPath(folder) if folder is not None else PurePosixPath(STORAGE_DIR, str(organization_id))
    extension = EXTENSIONS[checked.content_type][0]
    storage_name = str(base / (secrets.token_hex(16) + extension))
    path = path_of(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    written = 0
    limit = max_bytes()
    # O_EXCL: a name that already exists (astronomically unlikely) is an error, never overwritten.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            checked.upload.seek(0)
            for chunk in checked.upload.chunks():
                written += len(chunk)
                if written > limit:
                    # The file grew after it was checked: refuse it all the same.
                    raise ValidationError(_("The file is larger than the limit."), code="too_large")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredFile(storage_name=storage_name, sha256=digest.hexdigest(), size=written)


def discard(storage_names: Iterable[str]) -> None:
    """Remove files written by a write that did not commit."""
    for name in storage_names:
        path_of(name).unlink(missing_ok=True)


def open_stored(evidence: StoredEvidence) -> BinaryIO:
    return path_of(evidence.storage_name).open("rb")
