"""The hash-chained audit trail: appending, refusing changes, and `verify_audit` finding
every kind of tampering."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from workflows.audit import (
    GENESIS_HASH,
    HASHED_FIELDS,
    ChainProblem,
    audit_append,
    compute_hash,
    verify_chain,
)
from workflows.models import AuditChainHead, AuditEvent

RECORD = "testapp.dossier"


def append_events(n: int, actor=None) -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_append(
                record_type=RECORD,
                record_id=i % 7 + 1,
                action="submit",
                actor=actor,
                actor_org="CSF-BR1",
                actor_role="applicant",
                from_state="draft",
                to_state="submitted",
                opinion=f"第 {i} 次提交",
                data={"round": 2026, "tags": ("a", "b"), 3: "three"},
                revision_hash="f" * 64,
                client_ip="2001:DB8::1" if i % 2 else "10.0.0.1",
            )
            for i in range(1, n + 1)
        ]


def verify() -> tuple[int, str, str]:
    """Run `verify_audit`: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def broken(seq: int, event_id: int | None, reason: str) -> str:
    return (
        f"审计链在事件 seq={seq} id={event_id} 处断裂：{reason}"
        f"（audit chain broken at seq {seq}, id {event_id}: {reason}）\n"
    )


def raw_sql(sql: str, params: list | None = None) -> None:
    """Tamper with the table behind the model's back (the trigger off on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Fire the pending deferred foreign-key checks first: ALTER TABLE refuses to run
            # while the transaction has pending trigger events on the table.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE workflows_auditevent DISABLE TRIGGER workflows_auditevent_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(sql, params or [])


# --- appending ------------------------------------------------------------------------------


def test_append_builds_a_chain(users):
    events = append_events(5, actor=users["applicant_csf_br1"])

    rows = list(AuditEvent.objects.values_list("seq", "prev_hash", "hash"))
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert [r[1] for r in rows] == [GENESIS_HASH] + [r[2] for r in rows[:4]]
    assert [r[2] for r in rows] == [e.hash for e in events]
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (5, events[-1].hash)
    assert verify_chain() == (5, None)


def test_append_records_actor_and_normalizes_data_and_ip(users):
    actor = users["applicant_csf_br1"]
    event = append_events(2, actor=actor)[0]

    stored = AuditEvent.objects.get(pk=event.pk)
    assert (
        stored.actor_id,
        stored.actor_name,
        stored.opinion,
        stored.data,
        stored.client_ip,
    ) == (
        actor.pk,
        "李明（科普工作委员会）",
        "第 1 次提交",
        {"round": 2026, "tags": ["a", "b"], "3": "three"},
        "2001:db8::1",
    )
    # The hash covers exactly what the database gives back.
    assert stored.hash == compute_hash({f: getattr(stored, f) for f in HASHED_FIELDS})


def test_a_rolled_back_append_leaves_no_event(db):
    append_events(2)

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_append(record_type=RECORD, record_id=1, action="submit")
        1 / 0  # noqa: B018

    assert AuditEvent.objects.count() == 2
    assert AuditChainHead.objects.get(pk=1).last_seq == 2
    assert verify_chain() == (2, None)


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError) as exc:
        audit_append(record_type=RECORD, record_id=1, action="submit")

    assert str(exc.value) == "audit_append must run inside transaction.atomic()"
    assert AuditEvent.objects.count() == 0


# --- the model refuses change ---------------------------------------------------------------


def test_saving_an_existing_event_is_refused(db):
    event = append_events(1)[0]
    event.opinion = "改过的意见"

    with pytest.raises(PermissionError) as exc:
        event.save()

    assert str(exc.value) == "audit events are append-only: update refused"
    assert AuditEvent.objects.get().opinion == "第 1 次提交"


def test_deleting_an_event_is_refused(db):
    event = append_events(1)[0]

    with pytest.raises(PermissionError) as exc:
        event.delete()

    assert str(exc.value) == "audit events are append-only: delete refused"
    assert AuditEvent.objects.count() == 1


def test_queryset_update_is_refused(db):
    append_events(3)

    with pytest.raises(PermissionError) as exc:
        AuditEvent.objects.filter(seq=2).update(opinion="改过的意见")

    assert str(exc.value) == "audit events are append-only: update refused"
    assert list(AuditEvent.objects.values_list("opinion", flat=True)) == [
        "第 1 次提交",
        "第 2 次提交",
        "第 3 次提交",
    ]


def test_queryset_delete_is_refused(db):
    append_events(3)

    with pytest.raises(PermissionError) as exc:
        AuditEvent.objects.all().delete()

    assert str(exc.value) == "audit events are append-only: delete refused"
    assert AuditEvent.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        ("UPDATE workflows_auditevent SET opinion = 'x'", "UPDATE"),
        ("DELETE FROM workflows_auditevent WHERE seq = 2", "DELETE"),
    ],
)
def test_postgres_trigger_refuses_raw_update_and_delete(db, sql, operation):
    append_events(3)

    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)

    assert str(exc.value).splitlines()[0] == (f"audit events are append-only: {operation} refused")
    assert list(AuditEvent.objects.values_list("opinion", flat=True)) == [
        "第 1 次提交",
        "第 2 次提交",
        "第 3 次提交",
    ]


# --- verify_audit ---------------------------------------------------------------------------


def test_verify_audit_on_an_empty_chain(db):
    assert verify() == (0, "审计链完整：0 个事件（audit chain intact: 0 events）\n", "")


def bulk_chain(n: int) -> None:
    """n chained events written in bulk, as audit_append would have written them one by one
    (10,000 calls to audit_append take 20 s on SQLite and over a minute on PostgreSQL)."""
    prev = GENESIS_HASH
    start = timezone.now() - dt.timedelta(days=1)
    events = []
    for seq in range(1, n + 1):
        values = {
            "seq": seq,
            "record_type": RECORD,
            "record_id": seq % 97 + 1,
            "action": "submit",
            "from_state": "draft",
            "to_state": "submitted",
            "actor_id": None,
            "actor_name": "",
            "actor_org": "CSF-BR1",
            "actor_role": "applicant",
            "opinion": f"第 {seq} 次提交",
            "data": {"n": seq},
            "revision_hash": "",
            "client_ip": "10.0.0.1",
            "created_at": start + dt.timedelta(seconds=seq),
            "prev_hash": prev,
        }
        values["hash"] = prev = compute_hash(values)
        events.append(AuditEvent(**values))
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    AuditChainHead.objects.update_or_create(pk=1, defaults={"last_seq": n, "last_hash": prev})


def test_verify_audit_on_an_intact_chain_of_10000_events(db):
    bulk_chain(9_999)
    append_events(1)  # the real append continues the bulk-built chain

    assert verify() == (0, "审计链完整：10000 个事件（audit chain intact: 10000 events）\n", "")
    assert AuditEvent.objects.count() == 10_000


def test_verify_audit_names_an_edited_event(db):
    events = append_events(10)

    raw_sql("UPDATE workflows_auditevent SET opinion = %s WHERE seq = 4", ["同意推荐"])

    assert verify() == (
        1,
        "",
        broken(4, events[3].pk, "content does not match its hash (edited)"),
    )
    assert verify_chain() == (
        3,
        ChainProblem(4, events[3].pk, "content does not match its hash (edited)"),
    )


def test_verify_audit_names_the_link_after_an_edited_and_rehashed_event(db):
    events = append_events(10)
    row = {**{f: getattr(events[3], f) for f in HASHED_FIELDS}, "opinion": "同意推荐"}
    raw_sql(
        "UPDATE workflows_auditevent SET opinion = %s, hash = %s WHERE seq = 4",
        ["同意推荐", compute_hash(row)],
    )

    assert verify() == (
        1,
        "",
        broken(5, events[4].pk, "prev_hash does not match the previous event's hash"),
    )


def test_verify_audit_names_a_deleted_middle_event(db):
    events = append_events(10)

    raw_sql("DELETE FROM workflows_auditevent WHERE seq = 6")

    assert verify() == (
        1,
        "",
        broken(6, None, f"event seq 6 is missing (next present is seq 7, id {events[6].pk})"),
    )


def test_verify_audit_notices_a_deleted_last_event(db):
    append_events(10)

    raw_sql("DELETE FROM workflows_auditevent WHERE seq = 10")

    assert verify() == (
        1,
        "",
        broken(
            10,
            None,
            "the chain ends at seq 9 but its head records seq 10: events were removed from the end",
        ),
    )


def test_verify_audit_notices_a_rewritten_last_event(db):
    events = append_events(10)
    last = events[-1]
    row = {**{f: getattr(last, f) for f in HASHED_FIELDS}, "opinion": "不予推荐"}
    raw_sql(
        "UPDATE workflows_auditevent SET opinion = %s, hash = %s WHERE seq = 10",
        ["不予推荐", compute_hash(row)],
    )

    assert verify() == (
        1,
        "",
        broken(
            10,
            None,
            "the last event (seq 10) does not match the hash its head records: the end of the chain was rewritten",
        ),
    )


def test_verify_audit_notices_events_added_without_the_head(db):
    append_events(10)
    raw_sql("UPDATE workflows_auditchainhead SET last_seq = 8 WHERE id = 1")

    assert verify() == (
        1,
        "",
        broken(
            9,
            None,
            "the chain ends at seq 10 but its head records seq 8: events were added without moving the head",
        ),
    )


def test_verify_audit_notices_two_events_swapped(db):
    events = append_events(10)

    # seq is unique: go through a free value.
    raw_sql("UPDATE workflows_auditevent SET seq = -3 WHERE seq = 3")
    raw_sql("UPDATE workflows_auditevent SET seq = 3 WHERE seq = 4")
    raw_sql("UPDATE workflows_auditevent SET seq = 4 WHERE seq = -3")

    # Seq 3 is now the old fourth event, whose prev_hash is the old third event's hash.
    assert verify() == (
        1,
        "",
        broken(3, events[3].pk, "prev_hash does not match the previous event's hash"),
    )
