"""Helpers of the clinical-privilege tests (tests/workforce/test_privileges.py,
test_nursing_committee.py, test_nursing_privileges.py): a request, a grant through the
committee and the director, the text of a PDF. The people are fixtures of conftest.py."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from nyeri.accounts.models import User
from nyeri.tenancy.models import Facility
from nyeri.workforce.models import PrivilegeGrant, PrivilegeRequest
from nyeri.workforce.privileges import services
from tests.procedures.conftest import Staff, scope_of

FLUORO = "fluoroscopy_interventional"


def requested(staff: Staff, facility: Facility, privilege: str = FLUORO) -> PrivilegeRequest:
    """The person's own request for ``privilege`` at ``facility``."""
    return services.request_privilege(
        scope=staff.scope, acting_user=staff.user, person=staff.person, facility=facility, privilege=privilege
    )


def granted(
    staff: Staff,
    facility: Facility,
    reviewer: User,
    director: User,
    privilege: str = FLUORO,
    *,
    reasons: str = "File complete.",
    **kwargs: Any,
) -> PrivilegeGrant:
    """Requested, recommended by ``reviewer`` (a member of the privilege's committee), granted by
    the director (``kwargs`` go to ``grant_privilege``)."""
    request = requested(staff, facility, privilege)
    services.review_request(
        scope=scope_of(reviewer), acting_user=reviewer, request=request, recommend=True, reasons=reasons
    )
    return services.grant_privilege(scope=scope_of(director), acting_user=director, request=request, **kwargs)


def text_of(content: bytes) -> str:
    """The text of a PDF, as a reader extracts it."""
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
