"""Fail when a user-facing string has no Indonesian translation.

Extracts every translatable string from the code and templates (Django's makemessages,
into a temporary copy of the locale folder so the working tree is untouched) and compares
them with the committed Indonesian catalogue: a string that is missing there, empty, or
marked fuzzy is reported with where it is used.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "nyeri" / "locale" / "id" / "LC_MESSAGES" / "django.po"


def extract() -> polib.POFile:
    with tempfile.TemporaryDirectory() as tmp:
        locale_copy = Path(tmp) / "locale"
        # makemessages writes into LOCALE_PATHS: point it at an empty copy.
        (locale_copy / "id" / "LC_MESSAGES").mkdir(parents=True)
        env = dict(os.environ, NYERI_TESTING="1", NYERI_LOCALE_DIR=str(locale_copy))
        # makemessages writes each template's strings to a temporary `<template>.py` beside it
        # and deletes it: two at once in one tree (the check and the suites, which `make test`
        # runs side by side) read or delete each other's files. One at a time per tree.
        lock_path = ROOT / "var" / "makemessages.lock"
        lock_path.parent.mkdir(exist_ok=True)
        with lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _makemessages(env)
        return polib.pofile(str(locale_copy / "id" / "LC_MESSAGES" / "django.po"))


def _makemessages(env: dict[str, str]) -> None:
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "id",
            "--no-location",
            "--ignore",
            ".venv/*",
            "--ignore",
            "staticfiles/*",
            "--ignore",
            "tests/*",
            "--ignore",
            "bench/*",
            "--ignore",
            "var/*",
            # Otherwise makemessages would find and write the real catalogue.
            "--ignore",
            "nyeri/locale",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def main(catalogue: Path = CATALOGUE) -> int:
    if shutil.which("xgettext") is None:
        print("GNU gettext (xgettext) is needed for the translation check: apt-get install gettext")
        return 2
    extracted = extract()
    entries = list(polib.pofile(str(catalogue))) if catalogue.exists() else []
    committed = {(e.msgctxt, e.msgid): e for e in entries}
    if len(committed) != len(entries):
        # Branches append to the catalogue and git merges it by union: a string two branches
        # both added is there twice, and gettext would keep only one of them silently.
        seen: set[tuple[str | None, str]] = set()
        repeated = [e.msgid for e in entries if (e.msgctxt, e.msgid) in seen or seen.add((e.msgctxt, e.msgid))]
        print(f"{len(repeated)} string(s) are in {catalogue} more than once: {repeated}")
        print("Run `python scripts/dedupe_catalogue.py` and commit the .po file.")
        return 1
    missing = []
    for entry in extracted:
        have = committed.get((entry.msgctxt, entry.msgid))
        if have is None or "fuzzy" in have.flags or not have.translated():
            missing.append(entry.msgid)
    if missing:
        print(f"{len(missing)} string(s) have no Indonesian translation in {catalogue}:")
        for msgid in missing:
            print(f"  - {msgid!r}")
        print("Run `make makemessages`, translate the new entries, and commit the .po file.")
        return 1
    print(f"translations: all {len(extracted)} strings have an Indonesian translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
