"""Races on PostgreSQL: one submission sent several times at once, more entries at once than
the day allows, a revocation racing an entry; and the database guards of the diary's rows.

(SQLite has a single writer, so these races cannot happen there; the unique constraint's
own path is tested on both databases in test_diary_services.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.diary import services
from nyeri.clinical.diary.links import LinkUnavailable, resolve_link
from nyeri.clinical.diary.services import DailyLimitReached
from nyeri.clinical.models import DiaryLink, PainAssessment, Patient
from nyeri.tenancy.scope import Scope
from tests.diary.conftest import issue, submit

pytestmark = pytest.mark.django_db(transaction=True)


def all_at_once(workers: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(workers))
    results: list[object] = []

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(work())
        except (ValidationError, LinkUnavailable) as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers are PostgreSQL's; SQLite has a single writer")


def test_one_submission_sent_six_times_at_once_is_stored_once(clinician_scope: Scope, patient: Patient) -> None:
    token = issue(clinician_scope, patient).token

    def send() -> object:
        return submit(resolve_link(token), key="double-tap-0001").assessment.pk

    results = all_at_once([send] * 6)
    assert len(results) == 6
    assert len(set(results)) == 1
    assert PainAssessment.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="pain_assessment", action=AuditAction.CREATE).count() == 1


def test_more_entries_at_once_than_the_day_allows_store_only_the_limit(
    clinician_scope: Scope, patient: Patient
) -> None:
    token = issue(clinician_scope, patient).token

    def send(n: int) -> Callable[[], object]:
        return lambda: submit(resolve_link(token), key=f"many-keys-{n:04d}").assessment.pk

    results = all_at_once([send(n) for n in range(6)])
    stored = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, DailyLimitReached)]
    assert (len(stored), len(refused)) == (services.DAILY_LIMIT, 6 - services.DAILY_LIMIT)
    assert PainAssessment.objects.count() == services.DAILY_LIMIT


def test_an_entry_racing_a_revocation_is_stored_before_it_or_refused_after_it(
    clinician_scope: Scope, patient: Patient
) -> None:
    issued = issue(clinician_scope, patient)
    link = resolve_link(issued.token)

    def revoke() -> object:
        return services.revoke_link(
            scope=clinician_scope, acting_user=clinician_scope.user, link=DiaryLink.objects.get(pk=issued.link.pk)
        ).revoked_at

    def send() -> object:
        return submit(link, key="race-revoke-01").assessment.pk

    results = all_at_once([revoke, send])
    revoked_at = DiaryLink.objects.get().revoked_at
    assert revoked_at is not None
    entries = list(PainAssessment.objects.all())
    if entries:
        # Stored first: before the revocation.
        assert entries[0].created_at <= revoked_at
    else:
        assert any(isinstance(r, LinkUnavailable) for r in results)


def test_the_database_keeps_a_diary_entry_s_link_and_key(clinician_scope: Scope, patient: Patient) -> None:
    entry = submit(resolve_link(issue(clinician_scope, patient).token)).assessment
    in_error = {
        "status": "entered_in_error",
        "entered_in_error_at": timezone.now(),
        "entered_in_error_reason": "sent by a relative",
    }
    # The one change an assessment may have (to entered in error) may not carry a new link or key.
    for change in ({"submission_key": "other-key-0001"}, {"diary_link": None, "submission_key": ""}):
        with pytest.raises(DatabaseError), transaction.atomic():
            PainAssessment.objects.filter(pk=entry.pk).update(**in_error, **change)
    PainAssessment.objects.filter(pk=entry.pk).update(**in_error)
    kept = PainAssessment.objects.get()
    assert (kept.status, kept.diary_link_id, kept.submission_key) == (
        "entered_in_error",
        entry.diary_link_id,
        "key-00000001",
    )


def test_the_database_only_lets_a_link_be_revoked(clinician_scope: Scope, patient: Patient) -> None:
    link = issue(clinician_scope, patient).link
    with pytest.raises(DatabaseError), transaction.atomic():
        DiaryLink.objects.filter(pk=link.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        DiaryLink.objects.filter(pk=link.pk).update(expires_at=link.expires_at + timedelta(days=30))
    DiaryLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now(), revoked_by=clinician_scope.user)
    with pytest.raises(DatabaseError), transaction.atomic():
        DiaryLink.objects.filter(pk=link.pk).update(revoked_at=None, revoked_by=None)
    assert DiaryLink.objects.get().revoked_at is not None
