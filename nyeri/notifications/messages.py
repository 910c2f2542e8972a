"""The words of a notification, chosen and filled in at display time, in the reader's language.

A notification stores facts (kind, subject, number, person, date, days left); this module
turns them into a sentence and an e-mail subject. Stored facts, not stored sentences: the
same notice reads in Indonesian for one user and in English for another, and a corrected
translation corrects old notices too.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nyeri.notifications.models import NotificationKind

if TYPE_CHECKING:
    from nyeri.notifications.models import Notification


def _lower_first(text: str) -> str:
    # "Practice permit (SIP)" reads "practice permit (SIP)" inside a sentence; keep acronyms ("STR ...").
    return text if len(text) > 1 and text[1].isupper() else text[:1].lower() + text[1:]


def subject_label(notification: Notification) -> str:
    """The thing the notice is about, as it reads inside a sentence ("practice permit (SIP) no. 12")."""
    label = notification.subject_key
    if notification.object_type == "credential":
        from nyeri.workforce.kinds import CredentialKind

        if label in CredentialKind.values:
            label = _lower_first(str(CredentialKind(label).label))
    if notification.reference:
        return _("%(credential)s no. %(number)s") % {"credential": label, "number": notification.reference}
    return label


def _privilege(notification: Notification) -> dict[str, object]:
    from nyeri.workforce.privileges.catalogue import privilege_label

    return {
        "privilege": privilege_label(notification.subject_key, (translation.get_language() or "id")[:2]),
        "person": notification.about,
        "date": formats.date_format(notification.due_on, "DATE_FORMAT") if notification.due_on else "",
        "days": notification.days_left or 0,
    }


def _params(notification: Notification) -> dict[str, object]:
    return {
        "credential": subject_label(notification),
        "person": notification.about,
        "date": formats.date_format(notification.due_on, "DATE_FORMAT") if notification.due_on else "",
        "days": notification.days_left or 0,
    }


def _credits(text: str) -> str:
    try:
        return formats.number_format(Decimal(text))
    except InvalidOperation:
        return text


def _skp(notification: Notification) -> dict[str, object]:
    # subject_key: the credits at the time of the notice, "earned/needed" ("earned/needed/facility"
    # when the total is the facility's setting); reference: the SIP's number.
    earned, _slash, needed = notification.subject_key.partition("/")
    needed = needed.split("/")[0]
    return {
        "credits": _credits(earned),
        "needed": _credits(needed),
        "number": notification.reference,
        "person": notification.about,
        "date": formats.date_format(notification.due_on, "DATE_FORMAT") if notification.due_on else "",
        "days": notification.days_left or 0,
    }


def _reverification(notification: Notification) -> str:
    p = _params(notification)
    days = int(notification.days_left or 0)
    own = not notification.about
    if days < 0:
        text = (
            _("The check at the source of your %(credential)s has been due since %(date)s.")
            if own
            else _("The check at the source of the %(credential)s of %(person)s has been due since %(date)s.")
        )
    elif own:
        text = ngettext(
            "Your %(credential)s is due to be checked again at its source by %(date)s, in %(days)d day.",
            "Your %(credential)s is due to be checked again at its source by %(date)s, in %(days)d days.",
            days,
        )
    else:
        text = ngettext(
            "The %(credential)s of %(person)s is due to be checked again at its source by %(date)s, in %(days)d day.",
            "The %(credential)s of %(person)s is due to be checked again at its source by %(date)s, in %(days)d days.",
            days,
        )
    return text % p


def _skp_behind(notification: Notification) -> str:
    days = int(notification.days_left or 0)
    if not notification.about:
        text = ngettext(
            "You have %(credits)s of the %(needed)s continuing-education credits (SKP) needed to renew your "
            "practice permit (SIP) no. %(number)s, which expires on %(date)s, in %(days)d day.",
            "You have %(credits)s of the %(needed)s continuing-education credits (SKP) needed to renew your "
            "practice permit (SIP) no. %(number)s, which expires on %(date)s, in %(days)d days.",
            days,
        )
    else:
        text = ngettext(
            "%(person)s has %(credits)s of the %(needed)s continuing-education credits (SKP) needed to renew "
            "practice permit (SIP) no. %(number)s, which expires on %(date)s, in %(days)d day.",
            "%(person)s has %(credits)s of the %(needed)s continuing-education credits (SKP) needed to renew "
            "practice permit (SIP) no. %(number)s, which expires on %(date)s, in %(days)d days.",
            days,
        )
    text = text % _skp(notification)
    if notification.subject_key.endswith("/facility"):
        text += " " + _("The total needed is your facility's setting, not a regulation.")
    return text


def _window_minutes() -> int:
    return int(settings.PROBE_ALERT_WINDOW.total_seconds() // 60)


def _message(notification: Notification) -> str:
    if notification.kind == NotificationKind.APPLICATION_RECEIVED:
        # reference: the posting's title; about: the candidate.
        return _("%(person)s applied to the posting “%(posting)s”. The application waits in the pipeline.") % {
            "person": notification.about,
            "posting": notification.reference,
        }
    if notification.kind == NotificationKind.BREAK_GLASS:
        # reference: the patient's record number; about: who broke the glass.
        return _(
            "%(person)s used emergency access (break-glass) to the record of patient %(record)s. "
            "It is marked for your review."
        ) % {"person": notification.about, "record": notification.reference}
    if notification.kind == NotificationKind.PROBING:
        # reference: how many denied or not-found answers; about: the account.
        return _(
            "%(person)s was refused or answered “not found” %(count)s times within %(minutes)s minutes: "
            "someone may be probing for records they may not see. The audit report's “denied attempts” "
            "filter lists each attempt."
        ) % {"person": notification.about, "count": notification.reference, "minutes": _window_minutes()}
    if notification.kind == NotificationKind.SATUSEHAT_CREDENTIALS:
        # reference: SATUSEHAT's answer.
        return _(
            "SATUSEHAT refused the organization's client ID or secret (%(answer)s). Nothing is sent to "
            "SATUSEHAT until an administrator corrects them in the SATUSEHAT settings."
        ) % {"answer": notification.reference}
    if notification.kind == NotificationKind.PRIVILEGE_RECREDENTIALING:
        # subject_key: the privilege's code; reference: the SPK's number; about: the holder.
        text = (
            ngettext(
                "Your clinical privilege “%(privilege)s” is due for re-credentialing on %(date)s, in %(days)d day.",
                "Your clinical privilege “%(privilege)s” is due for re-credentialing on %(date)s, in %(days)d days.",
                int(notification.days_left or 0),
            )
            if not notification.about
            else ngettext(
                "The clinical privilege “%(privilege)s” of %(person)s is due for re-credentialing on %(date)s, "
                "in %(days)d day.",
                "The clinical privilege “%(privilege)s” of %(person)s is due for re-credentialing on %(date)s, "
                "in %(days)d days.",
                int(notification.days_left or 0),
            )
        )
        return text % _privilege(notification)
    if notification.kind == NotificationKind.SOURCE_REVERIFICATION_DUE:
        return _reverification(notification)
    if notification.kind == NotificationKind.SKP_BEHIND:
        return _skp_behind(notification)
    p = _params(notification)
    days = int(notification.days_left or 0)
    own = not notification.about
    if notification.kind == NotificationKind.CREDENTIAL_EXPIRING:
        if days <= 0:
            text = (
                _("Your %(credential)s expires today, %(date)s.")
                if own
                else _("The %(credential)s of %(person)s expires today, %(date)s.")
            )
        elif own:
            text = ngettext(
                "Your %(credential)s expires on %(date)s, in %(days)d day.",
                "Your %(credential)s expires on %(date)s, in %(days)d days.",
                days,
            )
        else:
            text = ngettext(
                "The %(credential)s of %(person)s expires on %(date)s, in %(days)d day.",
                "The %(credential)s of %(person)s expires on %(date)s, in %(days)d days.",
                days,
            )
        return text % p
    if notification.kind == NotificationKind.CREDENTIAL_EXPIRED:
        text = (
            _("Your %(credential)s expired on %(date)s.")
            if own
            else _("The %(credential)s of %(person)s expired on %(date)s.")
        )
        return text % p
    return str(NotificationKind(notification.kind).label)


def _subject(notification: Notification) -> str:
    if notification.kind == NotificationKind.APPLICATION_RECEIVED:
        return _("New application: %(posting)s") % {"posting": notification.reference}
    if notification.kind == NotificationKind.BREAK_GLASS:
        return _("Emergency access by %(person)s") % {"person": notification.about}
    if notification.kind == NotificationKind.PRIVILEGE_RECREDENTIALING:
        return _("Re-credentialing due: %(privilege)s") % _privilege(notification)
    if notification.kind == NotificationKind.PROBING:
        return _("Repeated denied attempts by %(person)s") % {"person": notification.about}
    if notification.kind == NotificationKind.SOURCE_REVERIFICATION_DUE:
        text = (
            _("Check at the source due: %(credential)s")
            if not notification.about
            else _("%(person)s: check at the source due for %(credential)s")
        )
        return text % _params(notification)
    if notification.kind == NotificationKind.SKP_BEHIND:
        text = (
            _("SKP behind: %(credits)s of %(needed)s credits")
            if not notification.about
            else _("%(person)s: SKP behind, %(credits)s of %(needed)s credits")
        )
        return text % _skp(notification)
    p = _params(notification)
    days = int(notification.days_left or 0)
    own = not notification.about
    if notification.kind == NotificationKind.CREDENTIAL_EXPIRING:
        if days <= 0:
            text = _("Your %(credential)s expires today") if own else _("%(person)s: %(credential)s expires today")
        elif own:
            text = ngettext(
                "Your %(credential)s expires in %(days)d day", "Your %(credential)s expires in %(days)d days", days
            )
        else:
            text = ngettext(
                "%(person)s: %(credential)s expires in %(days)d day",
                "%(person)s: %(credential)s expires in %(days)d days",
                days,
            )
        return text % p
    if notification.kind == NotificationKind.CREDENTIAL_EXPIRED:
        text = _("Your %(credential)s has expired") if own else _("%(person)s: %(credential)s has expired")
        return text % p
    return str(NotificationKind(notification.kind).label)


def render_message(notification: Notification, language: str | None = None) -> str:
    with translation.override(language or translation.get_language()):
        return _message(notification)


def render_subject(notification: Notification, language: str | None = None) -> str:
    with translation.override(language or translation.get_language()):
        # One line, whatever a name or number contains: a newline would break the mail header.
        return " ".join(_subject(notification).split())
