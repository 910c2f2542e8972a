"""At hiring, a candidate's declared credentials go to the credentialing queue.

Each declared credential is submitted as the new staff member's credential (status
"submitted": the credentialing officer verifies it against the originals) through
``workforce.credentials.services.submit_credential``, with the candidate's evidence files
(checked again and copied under the organization), each in its own savepoint: one that
the workforce rules refuse (a practice permit of another practice place, a missing issuer)
is recorded with the reason instead, so that
hiring does not fail on an old declaration and nothing is silently dropped.

Declared monthly hours are not carried over: the hours ledger holds hours worked at the
organization's facilities; earlier training hours travel as a pain-training credential.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.candidates.models import CandidateCredential
from nyeri.candidates.selectors import evidence_uploads
from nyeri.hiring.models import Application, HandedOverCredential
from nyeri.tenancy.scope import Scope
from nyeri.workforce.credentials.services import applicable_fields, submit_credential
from nyeri.workforce.kinds import CheckResult, CredentialKind
from nyeri.workforce.models import Credential, CredentialEvidence, Person


@dataclass
class HandOver:
    submitted: list[Credential] = field(default_factory=list)
    # (declared kind label, why it was not handed over)
    problems: list[tuple[str, str]] = field(default_factory=list)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + (end.month - start.month)


def _fields(declared: CandidateCredential) -> tuple[dict[str, Any], str]:
    """The workforce fields for a declaration, or why it cannot be submitted as it is."""
    kind = declared.kind
    if kind == CredentialKind.PRACTICE_PERMIT:
        return {}, _(
            "A practice permit (SIP) is for one practice place: a SIP for this facility is needed, "
            "to be submitted once the regency or city issues it."
        )
    values: dict[str, Any] = {
        "number": declared.number,
        "issuer": declared.issuer,
        "issued_on": declared.issued_on,
        "expires_on": declared.expires_on,
        "specialty": declared.specialty,
        "exam_passed_on": declared.exam_passed_on,
        "hours": declared.hours,
        "check_kind": declared.check_kind,
        "employer_kind": declared.employer_kind,
        "months": declared.months,
    }
    if kind == CredentialKind.WORK_EXPERIENCE:
        values["title"] = declared.employer_name
        if not declared.issuer:
            values["issuer"] = declared.employer_name
    if kind == CredentialKind.BACKGROUND_CHECK:
        # A declared check is one the candidate says they passed; the officer verifies it.
        values["check_result"] = CheckResult.PASSED
        if declared.expires_on is None:
            return {}, _("A background check needs its validity: it will be checked anew by the credentialing officer.")
        values["valid_months"] = max(1, _months_between(declared.issued_on, declared.expires_on))
        values["expires_on"] = None
    applicable = applicable_fields(kind)
    return {k: v for k, v in values.items() if k in applicable and v not in (None, "")}, ""


def hand_over_credentials(
    *, scope: Scope, acting_user: User, application: Application, person: Person, written: list[str]
) -> HandOver:
    """Submit every declared credential of the application's candidate for ``person``.

    ``written`` collects the storage names of the files copied, for the caller to remove
    if its transaction does not commit.
    """
    result = HandOver()
    declarations = CandidateCredential.objects.filter(candidate_id=application.candidate_id).order_by("issued_on", "pk")
    for declared in declarations:
        label = str(CredentialKind(declared.kind).label)
        values, problem = _fields(declared)
        credential: Credential | None = None
        if not problem:
            # The files are checked again by their content and copied under the organization.
            with evidence_uploads(declared) as uploads:
                try:
                    with transaction.atomic():
                        credential = submit_credential(
                            scope=scope,
                            acting_user=acting_user,
                            person=person,
                            kind=declared.kind,
                            evidence=uploads,
                            **values,
                        )
                except ValidationError as exc:
                    problem = " ".join(exc.messages)
        if credential is not None:
            written.extend(
                CredentialEvidence.objects.filter(credential=credential).values_list("storage_name", flat=True)
            )
            result.submitted.append(credential)
        else:
            result.problems.append((label, problem))
        HandedOverCredential.objects.create(
            organization=scope.organization,
            application=application,
            declared=declared,
            declared_kind=declared.kind,
            credential=credential,
            problem=problem,
        )
    return result
