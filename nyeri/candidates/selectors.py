"""Reads of the candidates app that need more than a query: evidence files, opened.

A candidate's files are theirs alone: only the candidate who uploaded a file may download
it here (anyone else, staff included, is told it does not exist). The hiring app copies
them to the employer's credentialing queue with ``evidence_uploads``, under its own checks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import BinaryIO

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.candidates.models import CandidateCredential, CandidateEvidence
from nyeri.workforce.credentials import evidence as evidence_files

logger = logging.getLogger(__name__)


def read_candidate_evidence(*, acting_user: User, evidence_id: int) -> tuple[CandidateEvidence, BinaryIO]:
    """The candidate's own evidence file, opened for streaming, and its READ audit row.

    Not the owner (another candidate, a clinic's staff) or no such file: Http404.
    """
    evidence = (
        CandidateEvidence.objects.select_related("candidate")
        .filter(pk=evidence_id, candidate__user_id=acting_user.pk)
        .first()
    )
    if evidence is None:
        raise Http404("No such evidence")
    try:
        handle = evidence_files.open_stored(evidence)
    except FileNotFoundError:
        logger.error("candidate evidence %s: file missing from private storage", evidence.pk)
        raise Http404("The evidence file is missing from storage") from None
    try:
        with transaction.atomic():
            record_event(
                actor=acting_user,
                action=AuditAction.READ,
                object_type="candidate_evidence",
                object_id=evidence.pk,
                reason=f"download; candidate credential {evidence.credential_id}; sha256 {evidence.sha256}",
            )
    except BaseException:
        # No audit row, no file.
        handle.close()
        raise
    return evidence, handle


def open_candidate_evidence(evidence: CandidateEvidence) -> BinaryIO:
    """The stored file, opened for reading. No access check: the caller has made its own."""
    return evidence_files.open_stored(evidence)


@contextmanager
def evidence_uploads(credential: CandidateCredential) -> Iterator[list[UploadedFile]]:
    """The credential's evidence files as uploads, open for the duration of the ``with``.

    Made for hiring: pass them as ``evidence=`` to the workforce ``submit_credential`` (or
    ``uploads=`` to ``attach_evidence``), which checks them again by content and stores
    copies under the employer's organization. No access check here: the caller decides.
    """
    rows = list(CandidateEvidence.objects.filter(credential=credential).order_by("uploaded_at", "pk"))
    with ExitStack() as stack:
        uploads = [
            UploadedFile(
                file=stack.enter_context(evidence_files.open_stored(row)),
                name=row.original_name,
                content_type=row.content_type,
                size=row.size,
            )
            for row in rows
        ]
        yield uploads
