"""Decisions and the reasons for a no, in both languages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CheckKind, CredentialKind, EmployerKind, Specialty
from nyeri.workforce.privileges.catalogue import privilege_label

# One message per reason code, with named placeholders filled from ``Unmet.params``.
MESSAGES: dict[str, Promise] = {
    "role_missing": _("Needs one of these roles: %(roles)s."),
    "not_at_facility": _("Does not work at this facility."),
    "credential_missing": _("No %(credential)s on record."),
    "credential_unverified": _("The %(credential)s is waiting for verification."),
    "credential_expired": _("The %(credential)s expired on %(date)s."),
    "credential_not_yet_valid": _("The %(credential)s is valid only from %(date)s."),
    "credential_revoked": _("The %(credential)s was revoked."),
    "specialty_missing": _("Needs a %(credential)s in %(specialties)s."),
    "permit_missing": _("No practice permit (SIP) for this facility."),
    "permit_other_place": _("The practice permit (SIP) is for another place (%(places)s), not this facility."),
    "permit_wrong_region": _(
        "The practice permit (SIP) was issued by regency %(issuer)s, but this facility is in %(regency)s."
    ),
    "check_missing": _("No %(check)s background check on record."),
    "check_pending": _("The %(check)s background check is still pending."),
    "check_failed": _("The %(check)s background check was not passed."),
    "check_outdated": _("The %(check)s background check of %(date)s is older than %(months)d months."),
    "hours_short": _("%(have)s of %(need)s hours with pain-clinic patients in the last %(months)d months."),
    "training_hours_short": _("%(have)s of %(need)s hours of pain training in the last %(months)d months."),
    "experience_short": _("%(have)d of %(need)d months of experience at %(employers)s."),
    "one_of": _("One of these is needed: %(options)s."),
    # Candidates (nyeri/candidates): a SIP is issued for a practice place, so only after hiring.
    "permit_after_hiring": _("A practice permit (SIP) for %(regency)s is needed after hiring."),
    "unknown_action": _("Unknown action %(action)s."),
    # Clinical privileges (nyeri/workforce/privileges): granted by the director per facility.
    "privilege_missing": _("No clinical privilege “%(privilege)s” granted at this facility."),
    "privilege_lapsed": _("The clinical privilege “%(privilege)s” ended on %(date)s."),
    "privilege_not_yet_valid": _("The clinical privilege “%(privilege)s” is valid only from %(date)s."),
    "privilege_withdrawn": _("The clinical privilege “%(privilege)s” was withdrawn."),
}


def _label(value: Any) -> str:
    for choices in (CredentialKind, Specialty, CheckKind, EmployerKind, Role):
        if value in choices.values:
            return _lower_first(str(choices(value).label)) if choices is not Role else str(choices(value).label)
    return str(value)


def _lower_first(text: str) -> str:
    # "Practice permit (SIP)" reads "the practice permit (SIP)" inside a sentence; keep acronyms.
    return text if len(text) > 1 and text[1].isupper() else text[:1].lower() + text[1:]


def _render_param(key: str, value: Any) -> Any:
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, float):
        return formats.number_format(
            round(value, 1), decimal_pos=0 if value == int(value) else 1, use_l10n=True, force_grouping=True
        )
    if isinstance(value, list | tuple):
        return ", ".join(_label(v) for v in value)
    if key in {"credential", "check"}:
        return _label(value)
    if key == "privilege":
        return privilege_label(value, (translation.get_language() or "id")[:2])
    return value


@dataclass(frozen=True, slots=True)
class Unmet:
    """One requirement not met: a stable code, its facts, and a message in any language."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    options: tuple[Unmet, ...] = ()

    def message(self, language: str | None = None) -> str:
        with translation.override(language or translation.get_language()):
            if self.code == "one_of":
                parts = [o.message(language).rstrip(".") for o in self.options]
                return str(MESSAGES["one_of"]) % {"options": " | ".join(parts)}
            params = {k: _render_param(k, v) for k, v in self.params.items()}
            # Labels are lower-cased to read inside a sentence; one may start it.
            return capfirst(str(MESSAGES[self.code]) % params)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "params": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.params.items()},
            "message_id": self.message("id"),
            "message_en": self.message("en"),
        }


class Decision(NamedTuple):
    """May ``person_id`` do ``action`` at ``facility_id`` at ``at``, and if not, why not.

    A tuple (immutable), not a dataclass: a batch for a facility builds hundreds of
    thousands of them and a tuple is built several times faster.
    """

    person_id: int
    action: str
    facility_id: int | None
    at: datetime
    allowed: bool
    unmet: tuple[Unmet, ...]
    # The credentials the decision relied on (for the audit trail and the screen).
    relied_on: tuple[int, ...]
    pack: str

    def reasons(self, language: str | None = None) -> list[str]:
        return [u.message(language) for u in self.unmet]
