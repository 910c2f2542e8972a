"""Many people and credentials at once (the staff import): checked together, written together.

The same rules as ``create_person`` and ``submit_credential`` (roles from the catalogue,
facilities of the organization, each field validated, a credential's kind-specific
fields, the SIP's region, one SIP per place and the pack's limit of places, the STR of a
foreign national), but with the facts read once for the whole batch: a fixed number of
queries whatever the number of rows, and bulk inserts with one audit row per person and
per credential appended in bulk.

People are recognised by their NIK, credentials by kind and number: what is already
recorded is left as it is ("unchanged"), so that importing the same file twice changes
nothing. Every credential is recorded as *submitted*: it waits in the verification queue,
and nobody gains a privilege from an import.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_events
from nyeri.lib.services import check_acting_user
from nyeri.tenancy.clock import earliest_today, local_date, zone_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.credentials.services import (
    ACTIVE_STATUSES,
    FIELDS,
    SUBMITTER_ROLES,
    PermitFacts,
    check_credential_fields,
)
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole

# Foreign keys and bookkeeping that full_clean() would look up one query at a time; the
# batch checks them itself.
_CREDENTIAL_NOT_CLEANED = [
    "organization",
    "person",
    "facility",
    "submitted_by",
    "decided_by",
    "revoked_by",
    "status",
]
BATCH_SIZE = 1000
# Values per IN (...) lookup: well under SQLite's limit of bound parameters.
LOOKUP_CHUNK = 5000


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + LOOKUP_CHUNK] for i in range(0, len(values), LOOKUP_CHUNK)]


@dataclass(frozen=True)
class PersonIn:
    """A person as the import gives them; ``ref`` says where they came from (a row number)."""

    ref: int
    full_name: str
    nik: str
    citizenship: str
    roles: tuple[str, ...]
    facilities: tuple[Facility, ...]
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class CredentialIn:
    """A credential of the person with NIK ``nik``; ``fields`` as ``submit_credential`` takes them."""

    ref: int
    nik: str
    kind: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class FieldProblem:
    ref: int
    field: str
    message: str


@dataclass
class StaffPlan:
    """What an import would do (a dry run) or did."""

    problems: list[FieldProblem] = field(default_factory=list)
    new_people: list[PersonIn] = field(default_factory=list)
    unchanged_people: int = 0
    new_credentials: list[tuple[CredentialIn, dict[str, Any]]] = field(default_factory=list)
    unchanged_credentials: int = 0
    written: bool = False


def _person_errors(scope: Scope, item: PersonIn) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not item.roles:
        errors["roles"] = [_("Choose at least one role.")]
    unknown = [r for r in item.roles if r not in Role.values]
    if unknown:
        errors["roles"] = [_("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}]
    if any(f.organization_id != scope.organization.pk for f in item.facilities):
        errors["facilities"] = [_("A facility does not belong to your organization.")]
    try:
        _unsaved_person(scope, item).full_clean(
            exclude=["organization", "user"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


def _unsaved_person(scope: Scope, item: PersonIn) -> Person:
    return Person(
        organization=scope.organization,
        full_name=item.full_name.strip(),
        nik=item.nik.strip(),
        citizenship=item.citizenship,
        email=item.email.strip(),
        phone=item.phone.strip(),
    )


@dataclass
class _PermitBook:
    """The active practice permits of the people in the batch: stored ones and the batch's own."""

    # person key (NIK) -> [(facility id, number, issued_on, expires_on)]
    permits: dict[str, list[tuple[int | None, str, date, date | None]]]
    roles: dict[str, frozenset[str]]

    def facts(self, nik: str) -> PermitFacts:
        def overlapping(issued: date, expires: date | None) -> tuple[list[tuple[int | None, str]], frozenset[str]]:
            rows = [
                (facility_id, number)
                for facility_id, number, other_issued, other_expires in self.permits.get(nik, [])
                if (other_expires is None or other_expires >= issued) and (expires is None or other_issued <= expires)
            ]
            return rows, self.roles.get(nik, frozenset())

        return overlapping


def _stored_permits(scope: Scope, people: dict[str, Person]) -> _PermitBook:
    """Two queries per LOOKUP_CHUNK people: the stored people's active permits and their roles."""
    by_id = {p.pk: nik for nik, p in people.items()}
    permits: dict[str, list[tuple[int | None, str, date, date | None]]] = defaultdict(list)
    roles: dict[str, set[str]] = defaultdict(set)
    # Valid somewhere in Indonesia today; then, below, still valid at the permit's own facility.
    today = earliest_today()
    for ids in _chunks(list(by_id)):
        for person_id, facility_id, number, issued, expires, zone in (
            Credential.objects.filter(
                organization=scope.organization,
                person_id__in=ids,
                kind=CredentialKind.PRACTICE_PERMIT,
                status__in=ACTIVE_STATUSES,
            )
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            .values_list("person_id", "facility_id", "number", "issued_on", "expires_on", "facility__time_zone")
        ):
            if expires is not None and expires < (zone_date(zone) if zone else local_date(None)):
                continue
            permits[by_id[person_id]].append((facility_id, number, issued, expires))
        for person_id, role in PersonRole.objects.filter(
            organization=scope.organization, person_id__in=ids
        ).values_list("person_id", "role"):
            roles[by_id[person_id]].add(role)
    return _PermitBook(permits=dict(permits), roles={k: frozenset(v) for k, v in roles.items()})


def plan_staff(scope: Scope, people: list[PersonIn], credentials: list[CredentialIn]) -> StaffPlan:
    """Check every person and credential against the rules and what is already recorded.

    A fixed number of queries: the people with these NIKs, the credentials with these
    numbers, the stored people's active practice permits and roles.
    """
    plan = StaffPlan()
    niks = sorted({p.nik for p in people if p.nik})
    stored_people: dict[str, Person] = {
        p.nik: p for part in _chunks(niks) for p in Person.objects.filter(organization=scope.organization, nik__in=part)
    }
    numbers = sorted({c.fields.get("number", "") for c in credentials if c.fields.get("number")})
    stored_credentials: dict[tuple[str, str], str] = {
        (kind, number): nik
        for part in _chunks(numbers)
        for kind, number, nik in Credential.objects.filter(
            organization=scope.organization, number__in=part
        ).values_list("kind", "number", "person__nik")
    }

    persons: dict[str, Person] = {}
    for item in people:
        if item.nik in stored_people:
            plan.unchanged_people += 1
            persons[item.nik] = stored_people[item.nik]
            continue
        for name, messages in _person_errors(scope, item).items():
            plan.problems.extend(FieldProblem(item.ref, name, m) for m in messages)
        plan.new_people.append(item)
        persons[item.nik] = _unsaved_person(scope, item)

    book = _stored_permits(scope, {nik: p for nik, p in persons.items() if p.pk is not None})
    for item in plan.new_people:
        book.roles[item.nik] = frozenset(item.roles)

    seen: dict[tuple[str, str], int] = {}
    for cred in credentials:
        number = str(cred.fields.get("number", "")).strip()
        key = (cred.kind, number)
        if key in seen:
            plan.problems.append(
                FieldProblem(
                    cred.ref,
                    "number",
                    _("The same credential (kind and number) is already in row %(row)d of this file.")
                    % {"row": seen[key]},
                )
            )
            continue
        seen[key] = cred.ref
        if key in stored_credentials:
            if stored_credentials[key] == cred.nik:
                plan.unchanged_credentials += 1
            else:
                plan.problems.append(
                    FieldProblem(
                        cred.ref, "number", _("This credential number is already recorded for another person.")
                    )
                )
            continue
        person = persons[cred.nik]
        values, errors = check_credential_fields(
            scope, person, cred.kind, cred.fields, permit_facts=book.facts(cred.nik)
        )
        if cred.kind in CredentialKind.values:
            candidate = Credential(
                organization=scope.organization,
                kind=cred.kind,
                status=CredentialStatus.SUBMITTED,
                **{k: v for k, v in values.items() if k != "facility"},
            )
            try:
                candidate.full_clean(
                    exclude=[*_CREDENTIAL_NOT_CLEANED, *errors], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors.setdefault(name, []).extend(messages)
        if errors:
            for name, messages in errors.items():
                plan.problems.extend(FieldProblem(cred.ref, name, m) for m in messages)
            continue
        plan.new_credentials.append((cred, values))
        if cred.kind == CredentialKind.PRACTICE_PERMIT and values["facility"] is not None:
            book.permits.setdefault(cred.nik, []).append(
                (values["facility"].pk, values["number"], values["issued_on"], values["expires_on"])
            )
    return plan


def import_staff(
    *,
    scope: Scope,
    acting_user: User,
    people: list[PersonIn],
    credentials: list[CredentialIn],
    source: str,
    dry_run: bool,
) -> StaffPlan:
    """Plan, and unless ``dry_run`` or a problem was found, write everything in one transaction.

    Only an administrator or a credentialing officer imports staff. Writes nothing at all
    when any person or credential has a problem.
    """
    check_acting_user(scope, acting_user)
    if not scope.has_role(*SUBMITTER_ROLES):
        raise PermissionDenied(_("Only an administrator or a credentialing officer imports staff."))
    try:
        with transaction.atomic():
            plan = plan_staff(scope, people, credentials)
            if dry_run or plan.problems:
                return plan
            _write(scope, acting_user, plan, source)
            plan.written = True
    except IntegrityError:
        # Someone recorded one of these people (same NIK) between the check and the write.
        raise ValidationError(
            {"file": [_("Some of these people were recorded by someone else meanwhile: check the file again.")]}
        ) from None
    return plan


def _write(scope: Scope, acting_user: User, plan: StaffPlan, source: str) -> None:
    org = scope.organization
    created = Person.objects.bulk_create(
        [_unsaved_person(scope, item) for item in plan.new_people], batch_size=BATCH_SIZE
    )
    by_nik: dict[str, Person] = {p.nik: p for p in created}
    PersonRole.objects.bulk_create(
        [
            PersonRole(organization=org, person=person, role=role)
            for item, person in zip(plan.new_people, created, strict=True)
            for role in sorted(set(item.roles))
        ],
        batch_size=BATCH_SIZE,
    )
    PersonFacility.objects.bulk_create(
        [
            PersonFacility(organization=org, person=person, facility=f)
            for item, person in zip(plan.new_people, created, strict=True)
            for f in {f.pk: f for f in item.facilities}.values()
        ],
        batch_size=BATCH_SIZE,
    )
    missing = sorted({c.nik for c, _v in plan.new_credentials} - set(by_nik))
    if missing:
        by_nik.update({p.nik: p for p in Person.objects.filter(organization=org, nik__in=missing)})
    credentials = Credential.objects.bulk_create(
        [
            Credential(
                organization=org,
                person=by_nik[cred.nik],
                kind=cred.kind,
                status=CredentialStatus.SUBMITTED,
                submitted_by=acting_user,
                **{name: values[name] for name in FIELDS},
            )
            for cred, values in plan.new_credentials
        ],
        batch_size=BATCH_SIZE,
    )
    events: list[dict[str, Any]] = [
        {
            "object_type": "person",
            "object_id": person.pk,
            "reason": "roles: " + ", ".join(sorted(set(item.roles))) + f"; imported from {source}",
        }
        for item, person in zip(plan.new_people, created, strict=True)
    ]
    events += [
        {
            "object_type": "credential",
            "object_id": c.pk,
            "facility": c.facility,
            "reason": f"submitted {c.kind} for person {c.person_id}; imported from {source}",
        }
        for c in credentials
    ]
    record_events(actor=acting_user, organization=org, events=events, action=AuditAction.CREATE)
