"""Finding the diary link a patient's token names, and auditing a refused one.

A tampered or made-up token is *unknown* (the page answers 404) and is not audited: it
names no organization, and anyone can send one. A real link that was revoked or has
expired is refused (410) and the refusal is audited in its organization's trail.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.clinical.diary.tokens import read_token, secret_matches
from nyeri.clinical.models import DiaryLink, DiaryLinkState

logger = logging.getLogger(__name__)

# Who the audit trail names for what a patient does through a link (there is no account).
ACTOR_LABEL = "patient (diary link)"

UNKNOWN = "unknown"


class LinkUnavailable(Exception):
    """The token names no link (``unknown``), or a link that is ``revoked`` or ``expired``."""

    def __init__(self, state: str, link: DiaryLink | None = None) -> None:
        super().__init__(state)
        self.state = state
        self.link = link

    @property
    def gone(self) -> bool:
        """The link existed and no longer works (HTTP 410), rather than never existed (404)."""
        return self.link is not None


def link_url(request: HttpRequest, token: str) -> str:
    """The full address of the patient's page (NYERI_SITE_URL when set: the address patients reach)."""
    path = reverse("diary:page", kwargs={"token": token})
    site = settings.NYERI_SITE_URL.rstrip("/")
    return f"{site}{path}" if site else request.build_absolute_uri(path)


def unavailable_message(state: str) -> str:
    """What the patient is told about a link that does not work (the API's error message)."""
    if state == DiaryLinkState.EXPIRED:
        return _("This diary link has expired. Ask your clinic for a new one.")
    if state == DiaryLinkState.REVOKED:
        return _("Your clinic has stopped this diary link. Ask your clinic for a new one.")
    return _("This diary link is not valid. Check that you opened the whole link.")


def resolve_link(token: str, *, now: datetime | None = None) -> DiaryLink:
    """The active link ``token`` names, with its patient and facility; else LinkUnavailable.

    A refusal of a real link (revoked, expired) is audited; an unknown token is only logged.
    """
    parts = read_token(token)
    link = None
    if parts is not None:
        prefix, secret = parts
        link = (
            DiaryLink.objects.select_related("patient", "facility", "organization").filter(token_prefix=prefix).first()
        )
        if link is not None and not secret_matches(secret, link.token_digest):
            link = None
    if link is None:
        logger.info("diary: unknown or tampered link token")
        raise LinkUnavailable(UNKNOWN)
    state = link.state(now or timezone.now())
    if state != DiaryLinkState.ACTIVE:
        refused = LinkUnavailable(state, link)
        note_unavailable(refused, purpose="opened")
        raise refused
    return link


def note_unavailable(error: LinkUnavailable, *, purpose: str) -> None:
    """Audit the refusal of a revoked or expired link (in its own transaction)."""
    link = error.link
    if link is None:
        return
    with transaction.atomic():
        record_event(
            actor=None,
            actor_label=ACTOR_LABEL,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=link.organization,
            facility=link.facility,
            patient_id=link.patient_id,
            object_type="diary_link",
            object_id=link.pk,
            reason=f"diary link {link.pk} {error.state}: {purpose}",
        )
