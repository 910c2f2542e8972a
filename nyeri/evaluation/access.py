"""Who may review practitioners' practice evaluation, and whose: the compliance officer
everyone's; each committee the practitioners it reviews (issue 17: "shown to the committee ...
never to other staff").

The evaluation names practitioners and judges them beside their peers: it is personnel data,
so the administrator, the facility manager and the clinicians themselves are refused (audited).
A committee's members are the memberships holding its role (``committee_member`` for the
medical committee, Komite Medik; ``nursing_committee_member`` for the nursing committee,
Komite Keperawatan, Permenkes 49/2013). A committee sees the practitioners of the roles it
reviews, beside the peers of the same role: the roles its privileges' prerequisites name in
the jurisdiction's privilege catalogue (``Catalogue.reviewed_roles``; the nursing committee:
nurses). Where no catalogue is kept, the medical committee sees everyone, as before.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from nyeri.tenancy.refusals import refuse
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.privileges.catalogue import catalogue_for

# The door's action for this report, named in its refusals' audit rows.
ACTION = "review_practice_evaluation"
OBJECT_TYPE = "practice_evaluation"
# Sees every practitioner's evaluation.
ALL_ROLES_READER = Role.COMPLIANCE_OFFICER
# Without a privilege catalogue, the medical committee reviews everyone.
DEFAULT_COMMITTEE = Role.COMMITTEE_MEMBER
ALL_PRACTITIONERS = frozenset(role.value for role in CLINICAL_ROLES)


def reviewable_roles(scope: Scope) -> frozenset[str]:
    """The practitioners' roles whose evaluation this reader may see (empty: none)."""
    if ALL_ROLES_READER in scope.roles:
        return ALL_PRACTITIONERS
    found = catalogue_for(scope.organization.jurisdiction)
    if found is None:
        return ALL_PRACTITIONERS if DEFAULT_COMMITTEE in scope.roles else frozenset()
    roles: set[str] = set()
    for committee in found.committees_of(scope.roles):
        reviewed = found.reviewed_roles(committee)
        roles.update(ALL_PRACTITIONERS if reviewed is None else reviewed & ALL_PRACTITIONERS)
    return frozenset(roles)


def may_review_practice(scope: Scope) -> bool:
    return bool(reviewable_roles(scope))


def ensure_practice_review(scope: Scope) -> frozenset[str]:
    """The roles the reader may review; ActionRefused (audited) when there are none."""
    roles = reviewable_roles(scope)
    if roles:
        return roles
    refuse(
        scope,
        audit_reason=f"{ACTION}: no compliance officer or committee member role",
        reasons=(),
        object_type=OBJECT_TYPE,
        wording=_("You are not allowed to do this."),
    )
