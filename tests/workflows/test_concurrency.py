"""Row locking, proven on PostgreSQL: 20 threads fire the same transition at one record."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.testapp.models import Dossier
from tests.workflows.helpers import dossier_in
from workflows import services
from workflows.audit import verify_chain
from workflows.exceptions import TransitionConflict
from workflows.models import AuditEvent

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
def test_concurrent_transitions_on_different_records_keep_one_audit_chain(users, orgs, open_round):
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
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify_chain() == (len(seqs), None)
