"""The one refusal: an action the acting user may not take, audited once, rendered alike.

Every privileged write asks the door (``nyeri.workforce.door.authorize`` for an action the
requirements engine decides; ``refuse`` below for a rule of who may act, such as "only the
author may sign"). A no is raised as ``ActionRefused``: the API renders it as the 403
envelope with its reasons, a page as the 403 page with its reasons (or a view shows them
beside its form), in the user's language.

A refusal is a security event with its own audit row (``permission_denied``). The write's
transaction is rolled back, so the row cannot be written in it: ``refuse`` records it at
once when no transaction is open, and otherwise leaves it to ``write_transaction`` (the
outermost one of the write), which records it after the rollback. The renderers record it
too, should a caller have opened a bare ``transaction.atomic()``: exactly once in any case.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.audit.services import append_after_rollback, appended_at_the_end, record_event

if TYPE_CHECKING:
    from nyeri.accounts.models import User
    from nyeri.tenancy.models import Facility, Organization
    from nyeri.tenancy.scope import Scope


@dataclass(frozen=True)
class _PendingAudit:
    actor: User
    organization: Organization
    facility: Facility | None
    patient_id: int | None
    object_type: str
    object_id: str
    reason: str


class ActionRefused(PermissionDenied):
    """The acting user may not take this action; ``reasons`` say why, in the active language.

    ``message`` is the sentence shown: the reasons, in the action's ``wording`` when it has
    one (translated, with a ``%(reasons)s`` placeholder). ``field`` is where the API's
    envelope lists each reason (the prescriber, the pharmacist); ``itemize=False`` lists none.
    """

    def __init__(
        self,
        reasons: Sequence[str],
        *,
        wording: str = "",
        field: str = "",
        itemize: bool = True,
        audit: _PendingAudit,
    ) -> None:
        self.reasons = tuple(reasons)
        joined = " ".join(self.reasons)
        self.message = wording % {"reasons": joined} if wording else joined
        self.field = field
        # Whether the API's envelope lists each reason under ``field`` (or only the message).
        self.itemize = itemize
        self._audit: _PendingAudit | None = audit
        super().__init__(self.message)

    def record(self, *, in_open_transaction: bool = False) -> None:
        """Write the refusal's audit row, once, as soon as no write transaction is open.

        ``in_open_transaction``: write it now, in the transaction still open, for a caller
        that caught the refusal (its write rolled back to a savepoint) and goes on in a
        transaction of its own that it commits (a command that seeds the demo in one).
        """
        pending = self._audit
        if pending is None or (_in_write_transaction() and not in_open_transaction):
            return
        self._audit = None
        with transaction.atomic():
            record_event(
                actor=pending.actor,
                action=AuditAction.PERMISSION_DENIED,
                outcome=AuditOutcome.DENIED,
                organization=pending.organization,
                facility=pending.facility,
                patient_id=pending.patient_id,
                object_type=pending.object_type,
                object_id=pending.object_id,
                reason=pending.reason,
            )


def _in_write_transaction() -> bool:
    # A test's own wrapping transaction (Django's TestCase) is not a write's: like the
    # durable check of transaction.atomic, it is told apart by its _from_testcase mark.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def refuse(
    scope: Scope,
    *,
    audit_reason: str,
    reasons: Sequence[str],
    object_type: str,
    facility: Facility | None = None,
    patient_id: int | None = None,
    object_id: int | str = "",
    wording: str = "",
    field: str = "",
    itemize: bool = True,
) -> NoReturn:
    """Refuse the scope's user: the audit row (now, or after the write's rollback), then raise."""
    refused = ActionRefused(
        reasons,
        wording=wording,
        field=field,
        itemize=itemize,
        audit=_PendingAudit(
            scope.user, scope.organization, facility, patient_id, object_type, str(object_id), audit_reason
        ),
    )
    refused.record()
    raise refused


@contextmanager
def write_transaction(*, savepoint: bool = False) -> Iterator[None]:
    """The transaction of a write: ``transaction.atomic()``, its audit rows appended at its
    end (``appended_at_the_end``), and a refusal raised inside rolled back with the write,
    then audited (by the outermost such block), then re-raised.

    Inside another write's transaction it is part of that write, without a savepoint (two
    statements saved): its failure fails the whole write. ``savepoint=True`` keeps one for a
    caller that catches a failure inside (an IntegrityError it answers) and goes on.
    """
    nested = _in_write_transaction()
    refusals: list[AuditEvent] = []
    try:
        with transaction.atomic(savepoint=savepoint or not nested), appended_at_the_end(refusals=refusals):
            yield
    except BaseException as failure:
        # A refusal recorded inside (a missing role, no care access) outlives the rollback.
        append_after_rollback(refusals)
        if isinstance(failure, ActionRefused):
            failure.record()
        raise
