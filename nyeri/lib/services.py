"""What every service's checks share: errors collected by field, and the acting user's guard."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nyeri.accounts.models import User
    from nyeri.tenancy.scope import Scope

# A service's bad input, by field: raised as ``ValidationError(errors)``.
Errors = dict[str, list[str]]


def add_error(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def check_acting_user(scope: Scope, acting_user: User) -> None:
    """A programming error, not a user's: the scope must be the acting user's own."""
    if acting_user.pk != scope.user.pk:
        raise ValueError("acting_user must be the user of the scope")
