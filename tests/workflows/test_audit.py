"""The audit trail: one hash chain per record, appended under the record's lock; the model and
(on PostgreSQL) the database refuse changes; `verify_audit` finds every kind of tampering of
a record's chain. The ledger above the chains (Merkle log, signed checkpoints, the checkpoint
file) is tested in test_ledger.py."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from workflows.audit import GENESIS_HASH, audit_append, build_event, canonical_row, compute_hash, ip_commitment
from workflows.ledger.sequencer import sequence
from workflows.models import AuditEvent, LedgerPending

RECORD = "testapp.dossier"


def append_events(n: int, actor=None, *, records: int = 1) -> list[AuditEvent]:
    """n events spread over ``records`` records (ids 1 … records), in one transaction."""
    with transaction.atomic():
        return [
            audit_append(
                record_type=RECORD,
                record_id=(i - 1) % records + 1,
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


def verify(*args: str) -> tuple[int, str, str]:
    """Run `verify_audit`: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def broken(record_id: int, seq: int, event_id: int, reason: str) -> str:
    where = f"{RECORD}#{record_id} event {seq} (id {event_id})"
    return f"审计账本校验失败：{where}：{reason}（audit ledger broken at {where}: {reason}）\n"


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


def event_values(event: AuditEvent) -> dict:
    stored = AuditEvent.objects.get(pk=event.pk)
    return {f.attname: getattr(stored, f.attname) for f in AuditEvent._meta.concrete_fields}


# --- appending ------------------------------------------------------------------------------


def test_each_record_has_its_own_chain(users):
    events = append_events(6, actor=users["applicant_csf_br1"], records=2)

    rows = list(AuditEvent.objects.order_by("pk").values_list("record_id", "record_seq", "prev_hash", "hash"))
    assert [(r[0], r[1]) for r in rows] == [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3), (2, 3)]
    # Each event links to the previous event of its own record, not to the previous row.
    assert [r[2] for r in rows] == [
        GENESIS_HASH,
        GENESIS_HASH,
        events[0].hash,
        events[1].hash,
        events[2].hash,
        events[3].hash,
    ]
    assert [r[3] for r in rows] == [e.hash for e in events]
    # Every event waits for the ledger's sequencer.
    assert sorted(LedgerPending.objects.values_list("event_id", flat=True)) == [e.pk for e in events]
    assert verify()[0] == 0


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
        len(stored.ip_nonce),
    ) == (
        actor.pk,
        "李明（科普工作委员会）",
        "第 1 次提交",
        {"round": 2026, "tags": ["a", "b"], "3": "three"},
        "2001:db8::1",
        32,
    )
    # The hash covers exactly what the database gives back.
    assert stored.hash == compute_hash(event_values(stored))


def test_the_hash_commits_to_the_address_without_containing_it(users):
    event = append_events(1)[0]
    stored = AuditEvent.objects.get(pk=event.pk)
    canonical = canonical_row(event_values(stored)).decode()

    assert "2001:db8::1" not in canonical
    assert f'"client_ip_commitment":"{ip_commitment("2001:db8::1", stored.ip_nonce)}"' in canonical
    # Another address under the same nonce gives another hash: the address is bound.
    forged = {**event_values(stored), "client_ip": "2001:db8::2"}
    assert compute_hash(forged) != stored.hash


def test_known_answer_for_the_event_hash():
    """A fixed event and its hash, as literal hex (computed with printf | sha256sum, not with this
    code): any change to the canonical form shows."""
    values = build_event(
        record_type="applications.application",
        record_id=42,
        record_seq=3,
        prev_hash="ab" * 32,
        action="recommend",
        created_at=dt.datetime(2026, 12, 2, 8, 30, 0, 123456, tzinfo=dt.UTC),
        actor_org="CSF",
        actor_role="society_reviewer",
        from_state="submitted",
        to_state="recommended",
        opinion="同意推荐。",
        data={"quota": 3},
        revision_hash="cd" * 32,
        client_ip="10.1.2.3",
        ip_nonce="00112233445566778899aabbccddeeff",
    )

    assert (
        canonical_row(values)
        == (
            '{"action":"recommend","actor_id":null,"actor_name":"","actor_org":"CSF","actor_role":"society_reviewer",'
            '"client_ip_commitment":"' + ip_commitment("10.1.2.3", "00112233445566778899aabbccddeeff") + '",'
            '"created_at":"2026-12-02T08:30:00.123456Z","data":{"quota":3},"from_state":"submitted",'
            '"opinion":"同意推荐。","prev_hash":"' + "ab" * 32 + '","record_id":42,"record_seq":3,'
            '"record_type":"applications.application","revision_hash":"' + "cd" * 32 + '","to_state":"recommended"}'
        ).encode()
    )
    assert ip_commitment("10.1.2.3", "00112233445566778899aabbccddeeff") == (
        "08026c57ab821cddd944ac5ab92e0c99de49ac1e6fb1897257710bb5dcc04948"
    )
    assert values["hash"] == "a90100adb8c81161aa216ac26f647b878b71f6f5f0de104f0b7122f21f4c49d8"


def test_a_rolled_back_append_leaves_no_event(db):
    append_events(2)

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_append(record_type=RECORD, record_id=1, action="submit")
        1 / 0  # noqa: B018

    assert AuditEvent.objects.count() == 2
    assert LedgerPending.objects.count() == 2
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError) as exc:
        audit_append(record_type=RECORD, record_id=1, action="submit")

    assert str(exc.value) == "audit_append must run inside transaction.atomic()"
    assert AuditEvent.objects.count() == 0


def test_a_forked_chain_is_refused_by_the_database(db):
    """Two writers that skipped the record's lock would both take record_seq 2: the unique
    constraint refuses the second instead of letting the chain fork."""
    first = append_events(1)[0]
    values = build_event(
        record_type=RECORD,
        record_id=1,
        record_seq=1,
        prev_hash=GENESIS_HASH,
        action="withdraw",
        created_at=timezone.now(),
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent(**values).save(force_insert=True)

    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [first.pk]


# --- the model refuses change ---------------------------------------------------------------


def test_saving_an_existing_event_is_refused(db):
    event = append_events(1)[0]
    event.opinion = "改过的意见"

    with pytest.raises(PermissionError) as exc:
        event.save()

    assert str(exc.value) == "workflows.AuditEvent is append-only: update refused"
    assert AuditEvent.objects.get().opinion == "第 1 次提交"


def test_deleting_an_event_is_refused(db):
    event = append_events(1)[0]

    with pytest.raises(PermissionError) as exc:
        event.delete()

    assert str(exc.value) == "workflows.AuditEvent is append-only: delete refused"
    assert AuditEvent.objects.count() == 1


def test_queryset_update_is_refused(db):
    append_events(3)

    with pytest.raises(PermissionError) as exc:
        AuditEvent.objects.filter(record_seq=2).update(opinion="改过的意见")

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
    ("sql", "message"),
    [
        ("UPDATE workflows_auditevent SET opinion = 'x'", "audit events are append-only: UPDATE refused"),
        ("DELETE FROM workflows_auditevent WHERE record_seq = 2", "audit events are append-only: DELETE refused"),
        ("UPDATE workflows_ledgerleaf SET hash = 'x'", "workflows_ledgerleaf is append-only: UPDATE refused"),
        ("DELETE FROM workflows_ledgernode", "workflows_ledgernode is append-only: DELETE refused"),
        ("DELETE FROM workflows_ledgercheckpoint", "workflows_ledgercheckpoint is append-only: DELETE refused"),
    ],
)
def test_postgres_triggers_refuse_raw_update_and_delete(db, sql, message):
    append_events(3)
    sequence()

    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)

    assert str(exc.value).splitlines()[0] == message
    assert list(AuditEvent.objects.values_list("opinion", flat=True)) == [
        "第 1 次提交",
        "第 2 次提交",
        "第 3 次提交",
    ]


# --- verify_audit: the records' chains --------------------------------------------------------


def test_verify_audit_on_an_empty_ledger(db):
    assert verify() == (
        0,
        "审计账本完整：0 个事件（0 条记录链），0 个叶子，0 个签名检查点，0 个事件待入账"
        "（audit ledger intact: 0 events in 0 record chains, 0 leaves, 0 signed checkpoints, latest tree size 0, "
        "0 events queued）\n",
        "",
    )


def bulk_events(n: int, records: int) -> None:
    """n events over ``records`` records written in bulk, each built by build_event as
    audit_append builds it (10,000 calls to audit_append take 20 s on SQLite)."""
    heads: dict[int, tuple[int, str]] = {}
    start = timezone.now() - dt.timedelta(days=1)
    rows = []
    for i in range(1, n + 1):
        record_id = i % records + 1
        seq, prev = heads.get(record_id, (0, GENESIS_HASH))
        values = build_event(
            record_type=RECORD,
            record_id=record_id,
            record_seq=seq + 1,
            prev_hash=prev,
            action="submit",
            created_at=start + dt.timedelta(seconds=i),
            actor_org="CSF-BR1",
            actor_role="applicant",
            opinion=f"第 {i} 次提交",
            data={"n": i},
            client_ip="10.0.0.1",
        )
        heads[record_id] = (seq + 1, values["hash"])
        rows.append(AuditEvent(**values))
    AuditEvent.objects.bulk_create(rows, batch_size=1000)
    LedgerPending.objects.bulk_create([LedgerPending(event=e) for e in AuditEvent.objects.all()], batch_size=1000)


def test_verify_audit_on_10000_events_in_97_chains(db):
    bulk_events(9_999, records=97)
    append_events(1, records=1)  # the real append continues a bulk-built chain

    code, out, err = verify()
    assert (code, err) == (0, "")
    assert out.endswith(
        "审计账本完整：10000 个事件（97 条记录链），0 个叶子，0 个签名检查点，10000 个事件待入账"
        "（audit ledger intact: 10000 events in 97 record chains, 0 leaves, 0 signed checkpoints, "
        "latest tree size 0, 10000 events queued）\n"
    )
    assert AuditEvent.objects.get(record_id=1, record_seq=104).opinion == "第 1 次提交"


def test_verify_audit_names_an_edited_event(db):
    events = append_events(10, records=2)

    raw_sql("UPDATE workflows_auditevent SET opinion = %s WHERE id = %s", ["同意推荐", events[6].pk])

    assert verify() == (1, "", broken(1, 4, events[6].pk, "content does not match its hash (edited)"))


def test_verify_audit_names_an_edited_address(db):
    events = append_events(4)

    raw_sql("UPDATE workflows_auditevent SET client_ip = %s WHERE id = %s", ["10.9.9.9", events[1].pk])

    assert verify() == (1, "", broken(1, 2, events[1].pk, "content does not match its hash (edited)"))


def test_verify_audit_names_the_link_after_an_edited_and_rehashed_event(db):
    events = append_events(10)
    row = {**event_values(events[3]), "opinion": "同意推荐"}
    raw_sql(
        "UPDATE workflows_auditevent SET opinion = %s, hash = %s WHERE id = %s",
        ["同意推荐", compute_hash(row), events[3].pk],
    )

    assert verify() == (
        1,
        "",
        broken(1, 5, events[4].pk, "prev_hash does not match the hash of the record's previous event"),
    )


def test_verify_audit_names_a_deleted_middle_event(db):
    events = append_events(10)

    raw_sql("DELETE FROM workflows_ledgerpending WHERE event_id = %s", [events[5].pk])
    raw_sql("DELETE FROM workflows_auditevent WHERE id = %s", [events[5].pk])

    assert verify() == (1, "", broken(1, 7, events[6].pk, "event 6 of the record is missing (next present is 7)"))


def test_verify_audit_notices_two_events_swapped(db):
    events = append_events(10)

    # (record, record_seq) is unique: go through a free value.
    raw_sql("UPDATE workflows_auditevent SET record_seq = 1000 WHERE id = %s", [events[2].pk])
    raw_sql("UPDATE workflows_auditevent SET record_seq = 3 WHERE id = %s", [events[3].pk])
    raw_sql("UPDATE workflows_auditevent SET record_seq = 4 WHERE id = %s", [events[2].pk])

    # Event 3 is now the old fourth one, whose prev_hash is the old third one's hash.
    assert verify() == (
        1,
        "",
        broken(1, 3, events[3].pk, "prev_hash does not match the hash of the record's previous event"),
    )


def test_verify_audit_notices_an_event_inserted_around_the_engine(db):
    append_events(3)
    values = build_event(
        record_type=RECORD,
        record_id=5,
        record_seq=1,
        prev_hash=GENESIS_HASH,
        action="submit",
        created_at=timezone.now(),
    )
    forged = AuditEvent(**values)
    forged.save(force_insert=True)  # a valid chain of its own, but never queued for the ledger

    assert verify() == (
        1,
        "",
        f"审计账本校验失败：{RECORD}#5 event 1 (id {forged.pk})：event is neither in the log nor queued for it "
        f"(inserted around the engine)（audit ledger broken at {RECORD}#5 event 1 (id {forged.pk}): event is "
        "neither in the log nor queued for it (inserted around the engine)）\n",
    )
