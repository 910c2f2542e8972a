"""Who may review practitioners' practice evaluation: the compliance officer and the medical
committee, never other staff (issue 17: "shown to the committee ... never to other staff").

The evaluation names practitioners and judges them beside their peers: it is personnel data,
so the administrator, the facility manager and the clinicians themselves are refused (audited).
The committee member role (``committee_member``) is the credentialing committee's (Komite
Medik); it joins as soon as the role catalogue has it, with no change here.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from nyeri.tenancy.refusals import refuse
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

# The door's action for this report, named in its refusals' audit rows.
ACTION = "review_practice_evaluation"
OBJECT_TYPE = "practice_evaluation"
REVIEW_ROLE_CODES = frozenset({"compliance_officer", "committee_member"})
REVIEW_ROLES = frozenset(role for role in Role if role.value in REVIEW_ROLE_CODES)


def may_review_practice(scope: Scope) -> bool:
    return bool(scope.roles & REVIEW_ROLES)


def ensure_practice_review(scope: Scope) -> None:
    """ActionRefused (audited) unless the scope has one of ``REVIEW_ROLES``."""
    if may_review_practice(scope):
        return
    refuse(
        scope,
        audit_reason=f"{ACTION}: no compliance officer or committee member role",
        reasons=(),
        object_type=OBJECT_TYPE,
        wording=_("You are not allowed to do this."),
    )
