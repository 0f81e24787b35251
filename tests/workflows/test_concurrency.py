"""Row locking, proven on PostgreSQL: 20 threads fire the same transition at one record."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.conftest import verify_chain
from tests.testapp.models import Dossier
from tests.workflows.helpers import dossier_in
from workflows import services
from workflows.exceptions import TransitionConflict
from workflows.ledger.sequencer import sequence
from workflows.models import AuditEvent, LedgerLeaf, LedgerPending

THREADS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_same_transition_exactly_one_wins(users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    reviewer = users["reviewer_csf"]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def fire() -> None:
        try:
            copy = Dossier.objects.get(pk=record.pk)  # each thread read "submitted"
            barrier.wait(timeout=30)
            services.transition(copy, "decline", actor=reviewer, opinion="不符合申报条件")
            result = "ok"
        except TransitionConflict:
            result = "conflict"
        except Exception as exc:  # anything else is a failure of the test
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=fire) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes) == ["conflict"] * (THREADS - 1) + ["ok"]
    assert AuditEvent.objects.filter(record_id=record.pk, action="decline").count() == 1
    record.refresh_from_db()
    assert record.state == "not_recommended"
    assert verify_chain() == (AuditEvent.objects.count(), None)
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_on_different_records_keep_every_chain_and_the_ledger(users, orgs, open_round):
    records = [dossier_in("draft", users=users, orgs=orgs, round=open_round) for _ in range(10)]
    applicant = users["applicant_csf_br1"]
    barrier = threading.Barrier(len(records))
    errors: list[str] = []

    def fire(record: Dossier) -> None:
        try:
            barrier.wait(timeout=30)
            services.transition(record, "submit", actor=applicant)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fire, args=(r,)) for r in records]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert Dossier.objects.filter(state="submitted").count() == 10
    for record in records:
        chain = AuditEvent.objects.filter(record_type=record.record_type(), record_id=record.pk)
        assert list(chain.order_by("record_seq").values_list("record_seq", "action")) == [(1, "submit")]
    # The sequencers run after each commit (one at a time; the others find the work taken);
    # whatever is still queued goes into the log with the next run.
    sequence()
    assert LedgerLeaf.objects.count() == AuditEvent.objects.count() == 10
    assert LedgerPending.objects.count() == 0
    assert verify_chain() == (10, None)
