"""Recording credentials that were already verified elsewhere (on paper, in another system).

Used by data migrations and the demo: the credential goes through the same submission
rules as any other, then is decided by the importing officer, with the source in the
decision and the audit trail ("imported from ..."). A controlled-substance authorisation
still needs a second person, named as ``approver``. Not reachable from pages or the API:
only code an operator runs (management commands) can import.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from nyeri.accounts.models import User
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.credentials.services import APPROVE, VERIFY, _decide, submit_credential
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person


def import_verified_credential(
    *,
    scope: Scope,
    acting_user: User,
    person: Person,
    kind: str,
    source: str,
    approver: User | None = None,
    **fields: Any,
) -> Credential:
    controlled = kind == CredentialKind.CONTROLLED_AUTHORISATION
    if controlled and (approver is None or approver.pk == acting_user.pk):
        raise PermissionDenied("a controlled-substance authorisation needs a second person as approver")
    with transaction.atomic():
        credential = submit_credential(scope=scope, acting_user=acting_user, person=person, kind=kind, **fields)
        decider_scope = scope
        if controlled:
            assert approver is not None
            found = resolve_scope(approver, scope.organization.pk)
            if found is None or found.organization.pk != scope.organization.pk:
                raise PermissionDenied("the approver is not a member of this organization")
            decider_scope = found
        return _decide(
            scope=decider_scope,
            acting_user=decider_scope.user,
            credential=credential,
            action=APPROVE if controlled else VERIFY,
            status=CredentialStatus.VERIFIED,
            decision_reason=f"imported from {source}",
            audit=f"verified (imported from {source})",
        )
