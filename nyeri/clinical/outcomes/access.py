"""Who may read the outcomes report: clinical staff, the compliance officer and the administrator.

The report is aggregate data (counts and shares per facility and chronic pain category; no
patient's name or identifier), so the roles that oversee the service see it as well as the
clinicians. Anyone else is refused, and the refusal is audited.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from nyeri.tenancy.refusals import refuse
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import Scope

OUTCOMES_ROLES = frozenset({*CLINICAL_ROLES, Role.COMPLIANCE_OFFICER, Role.ADMINISTRATOR})
OBJECT_TYPE = "outcomes_report"


def may_read_outcomes(scope: Scope) -> bool:
    return bool(scope.roles & OUTCOMES_ROLES)


def ensure_outcomes_access(scope: Scope) -> None:
    """PermissionDenied (audited) unless the scope has one of ``OUTCOMES_ROLES``."""
    if may_read_outcomes(scope):
        return
    refuse(
        scope,
        audit_reason="no clinical, compliance or administrator role",
        reasons=(),
        object_type=OBJECT_TYPE,
        wording=_("You are not allowed to do this."),
    )
