"""The database connection dropped in the middle of a transition.

A thread submits a draft (the transition that writes the most: a revision, the automatic
submission checkpoint, the record, the audit event, the chain head, the outbox rows). It is
held at one point inside the transaction while the test kills its backend with
pg_terminate_backend from another connection. Afterwards nothing of that attempt is there:
state, revisions, checkpoints, audit events, the chain head, outbox rows and sent mail are as
before. The same thread, once Django has dropped the dead connection, submits again on a fresh
one and succeeds: revision 1, the next link of the chain, one set of outbox rows.

The hold points, none of them a hook in the application:
- ``record_update``, ``audit_insert``, ``outbox_insert``: a row trigger the test installs
  (AFTER UPDATE on the record, AFTER INSERT on the audit event, AFTER INSERT on the outbox)
  waits for an advisory lock the test holds; it acts only in a session that set
  ``reliability.hold_at`` to its name, so no other session is ever held. The backend is
  killed while executing that statement.
- ``idle_after_save``: a post_save receiver (Django's own signal, sent by the record's save
  inside the transaction) blocks the thread; the backend is killed while idle in the
  transaction, and the next statement (the audit append) finds it gone.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core import mail
from django.db import DatabaseError, connection, connections
from django.db.models.signals import post_save

from notifications.models import Notification
from tests.conftest import make_dossier
from tests.reliability.helpers import assert_audit_intact, wait_for
from tests.testapp.models import Dossier
from workflows import services
from workflows.audit import GENESIS_HASH
from workflows.models import AuditEvent, Checkpoint, LedgerLeaf, LedgerPending, Revision

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LOCK_KEY = 740_212_913  # the advisory lock the triggers wait for while the test holds it
TRIGGERS = {
    "record_update": (Dossier, "UPDATE"),
    "audit_insert": (AuditEvent, "INSERT"),
    "outbox_insert": (Notification, "INSERT"),
}
# What the victim transaction had written when it was killed: the tables it holds
# RowExclusiveLock on (taken by INSERT and UPDATE).
WRITTEN_BEFORE_AUDIT = {Revision, Checkpoint, Dossier}
WRITTEN = {
    "record_update": WRITTEN_BEFORE_AUDIT,
    "idle_after_save": WRITTEN_BEFORE_AUDIT,
    # The event and its ledger queue row go in with one statement (workflows.audit._insert).
    "audit_insert": WRITTEN_BEFORE_AUDIT | {AuditEvent, LedgerPending},
    "outbox_insert": WRITTEN_BEFORE_AUDIT | {AuditEvent, LedgerPending, Notification},
}


def sql(statement: str, params: list[Any] | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def hold_triggers():
    sql(
        f"""
        CREATE OR REPLACE FUNCTION reliability_hold() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('reliability.hold_at', true) = TG_ARGV[0] THEN
                PERFORM pg_advisory_xact_lock_shared({LOCK_KEY});
            END IF;
            RETURN NULL;
        END $$
        """
    )
    for point, (model, event) in TRIGGERS.items():
        sql(
            f"CREATE OR REPLACE TRIGGER reliability_hold_{point} AFTER {event} ON {model._meta.db_table} "
            f"FOR EACH ROW EXECUTE FUNCTION reliability_hold('{point}')"
        )
    try:
        yield
    finally:
        for point, (model, _) in TRIGGERS.items():
            sql(f"DROP TRIGGER IF EXISTS reliability_hold_{point} ON {model._meta.db_table}")
        sql("DROP FUNCTION IF EXISTS reliability_hold()")


def written_tables(pid: int) -> set[str]:
    rows = sql(
        "SELECT relation::regclass::text FROM pg_locks "
        "WHERE pid = %s AND locktype = 'relation' AND mode = 'RowExclusiveLock' AND granted",
        [pid],
    )
    # Only the tables themselves, not their indexes or sequences.
    return {name for (name,) in rows} & {m._meta.db_table for m in (*WRITTEN["outbox_insert"], Dossier)}


def waiting_at_trigger(pid: int) -> bool:
    return bool(sql("SELECT 1 FROM pg_locks WHERE pid = %s AND locktype = 'advisory' AND NOT granted", [pid]))


def backend_gone(pid: int) -> bool:
    return not sql("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])


def snapshot(record: Dossier) -> dict[str, Any]:
    """Everything a submit of ``record`` writes, as it stands."""
    record.refresh_from_db()
    kind = {"record_type": record.record_type(), "record_id": record.pk}
    return {
        "state": record.state,
        "revision_hash": record.current_revision_hash,
        "revisions": list(Revision.objects.filter(**kind).values_list("number", flat=True)),
        "checkpoints": Checkpoint.objects.filter(**kind).count(),
        "events": list(AuditEvent.objects.order_by("pk").values_list("record_seq", "action", "record_id")),
        "ledger": (LedgerLeaf.objects.count(), LedgerPending.objects.count()),
        "outbox": Notification.objects.count(),
        "mail": len(mail.outbox),
    }


@pytest.mark.parametrize("point", ["record_update", "idle_after_save", "audit_insert", "outbox_insert"])
def test_connection_killed_mid_transition_leaves_nothing_then_retry_succeeds(
    point, users, orgs, open_round, hold_triggers
):
    applicant = users["applicant_csf_br1"]
    # An earlier record's submission, so the chain and the outbox are not empty.
    earlier = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round, title="先前的申报")
    services.transition(earlier, "submit", actor=applicant)
    record = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round)
    before = snapshot(record)
    assert before["state"] == "draft" and len(before["events"]) == 1
    assert before["ledger"] == (1, 0)  # the earlier commit's events sequenced after it

    arrived, release, failed, retry = (threading.Event() for _ in range(4))
    seen: dict[str, Any] = {}

    def hold_in_signal(sender: Any, instance: Dossier, **kwargs: Any) -> None:
        if point == "idle_after_save" and threading.current_thread() is victim and "error" not in seen:
            arrived.set()
            release.wait(timeout=30)

    def submit() -> None:
        try:
            connection.ensure_connection()
            seen["pid"] = connection.connection.info.backend_pid
            if point in TRIGGERS:
                sql("SELECT set_config('reliability.hold_at', %s, false)", [point])
            try:
                services.transition(Dossier.objects.get(pk=record.pk), "submit", actor=applicant)
                seen["error"] = None
            except Exception as exc:
                seen["error"] = exc
            # What the end of a request does (close_old_connections): drop a connection that
            # errors made unusable.
            connection.close_if_unusable_or_obsolete()
            seen["closed"] = connection.connection is None
            failed.set()
            if not retry.wait(timeout=30) or seen.get("abort"):
                return
            updated = services.transition(Dossier.objects.get(pk=record.pk), "submit", actor=applicant)
            seen["retry_state"] = updated.state
            seen["retry_pid"] = connection.connection.info.backend_pid
        except Exception as exc:
            seen["unexpected"] = repr(exc)
        finally:
            failed.set()
            connections.close_all()

    victim = threading.Thread(target=submit)
    post_save.connect(hold_in_signal, sender=Dossier, weak=False)
    if point in TRIGGERS:
        sql("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    try:
        victim.start()
        if point in TRIGGERS:
            assert wait_for(lambda: "pid" in seen and waiting_at_trigger(seen["pid"]), 20), seen
        else:
            assert arrived.wait(timeout=20), seen
        pid = seen["pid"]
        assert written_tables(pid) == {m._meta.db_table for m in WRITTEN[point]}
        assert sql("SELECT pg_terminate_backend(%s, 10000)", [pid]) == [(True,)]
        assert wait_for(lambda: backend_gone(pid), 10)
    finally:
        if point in TRIGGERS:
            sql("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        release.set()
        post_save.disconnect(hold_in_signal, sender=Dossier)

    try:
        assert failed.wait(timeout=20)
        assert "unexpected" not in seen, seen
        # The attempt failed with a database error and Django dropped the dead connection.
        assert isinstance(seen["error"], DatabaseError), repr(seen["error"])
        assert seen["closed"] is True
        # Nothing half-written.
        assert snapshot(record) == before
    except BaseException:
        seen["abort"] = True  # no retry in the thread once the test has failed
        raise
    finally:
        retry.set()
        victim.join(timeout=30)
    assert "unexpected" not in seen, seen
    assert seen["retry_state"] == "submitted"
    assert seen["retry_pid"] != pid
    after = snapshot(record)
    assert after["state"] == "submitted"
    assert after["revisions"] == [1]
    assert after["checkpoints"] == 1
    # The record's own chain starts with the submission, and the sequencer logged it.
    assert after["events"] == [*before["events"], (1, "submit", record.pk)]
    event = AuditEvent.objects.get(record_type=record.record_type(), record_id=record.pk)
    assert event.prev_hash == GENESIS_HASH
    assert after["ledger"] == (2, 0)
    # In-app and e-mail rows for the recommending unit's reviewer and content reviewer, once.
    assert after["outbox"] - before["outbox"] == 4
    assert sorted(m.to[0] for m in mail.outbox[before["mail"] :]) == [
        "content_csf@demo.zhihui.local",
        "reviewer_csf@demo.zhihui.local",
    ]
    assert_audit_intact()
