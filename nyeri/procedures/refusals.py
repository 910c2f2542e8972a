"""Why a procedure may not be performed: reasons in both languages, for the page and the API.

A refusal names everything that is missing at once (like the requirements engine): the
performer's privilege, the anesthesiologist's, the monitoring nurse's, the guidance equipment.
Each reason has a stable ``code`` (``performer.credential_missing``, ``anesthesiologist.role_missing``,
``monitoring_nurse.privilege_missing``, ``equipment.not_in_service``, ...), the ``subject`` it is
about, and its message in Indonesian and English, rendered when the reason is made (the page shows the user's
language, the API both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _

from nyeri.workforce.engine import Unmet

LANGUAGES = ("id", "en")


@dataclass(frozen=True)
class Reason:
    code: str
    # performer, anesthesiologist, imaging_operator, monitoring_nurse, equipment, ordered_by
    subject: str
    message_id: str
    message_en: str

    def message(self, language: str | None = None) -> str:
        lang = (language or translation.get_language() or "id").split("-")[0]
        return self.message_id if lang == "id" else self.message_en

    def __str__(self) -> str:
        return self.message()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "subject": self.subject,
            "message": self.message(),
            "message_id": self.message_id,
            "message_en": self.message_en,
        }


def bilingual(render: Callable[[], str]) -> tuple[str, str]:
    """``render()`` (which calls gettext) in Indonesian and in English."""
    out = []
    for language in LANGUAGES:
        with translation.override(language):
            out.append(render())
    return out[0], out[1]


def reason(code: str, subject: str, render: Callable[[], str]) -> Reason:
    message_id, message_en = bilingual(render)
    return Reason(code, subject, message_id, message_en)


def from_unmet(subject: str, name: str, unmet: Unmet) -> Reason:
    """An engine reason about ``name``: the performer, the anesthesiologist, the C-arm operator, the
    monitoring nurse or the one who orders."""

    def render() -> str:
        text = unmet.message()
        if subject == "performer":
            return _("Performer %(name)s: %(reason)s") % {"name": name, "reason": text}
        if subject == "imaging_operator":
            return _("C-arm operator %(name)s: %(reason)s") % {"name": name, "reason": text}
        if subject == "monitoring_nurse":
            return _("Monitoring nurse %(name)s: %(reason)s") % {"name": name, "reason": text}
        if subject == "ordered_by":
            return _("You may not order procedures here (%(name)s): %(reason)s") % {"name": name, "reason": text}
        return _("Anesthesiologist %(name)s: %(reason)s") % {"name": name, "reason": text}

    return reason(f"{subject}.{unmet.code}", subject, render)


class ProcedureRefused(PermissionDenied):
    """The procedure may not be performed (or amended so) as asked; ``reasons`` says why."""

    def __init__(self, reasons: tuple[Reason, ...]) -> None:
        super().__init__(" ".join(r.message_en for r in reasons))
        self.reasons = reasons

    def messages(self, language: str | None = None) -> list[str]:
        return [r.message(language) for r in self.reasons]
