"""The audit ledger, step 2 of 3: the one global hash chain becomes one chain per record.

First the old chain is verified as it stood (every event re-hashed in ``seq`` order, the head
agreeing): a migration must not launder a tampered history, so a broken chain stops it, naming
the event. Then each record's events, in their old order, are numbered 1, 2, … and linked to the
record's previous event, and re-hashed with the new canonical row (the client address as a
commitment). No event is lost: every one is also queued for the ledger's sequencer, whose first
run appends them all to the Merkle log and signs the first checkpoint.

The functions below are frozen copies of the hashing at this point in history, so the migration
gives the same result whatever later code does.
"""

import datetime as dt
import hashlib
import json
import secrets

from django.db import migrations

OLD_FIELDS = (
    "seq", "record_type", "record_id", "action", "from_state", "to_state", "actor_id", "actor_name",
    "actor_org", "actor_role", "opinion", "data", "revision_hash", "client_ip", "created_at", "prev_hash",
)
NEW_FIELDS = (
    "record_type", "record_id", "record_seq", "action", "from_state", "to_state", "actor_id", "actor_name",
    "actor_org", "actor_role", "opinion", "data", "revision_hash", "client_ip_commitment", "created_at",
    "prev_hash",
)
GENESIS = "0" * 64
BATCH = 2000


def _time(value):
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(values, fields):
    row = {name: values.get(name) for name in fields}
    row["created_at"] = _time(row["created_at"])
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _hash(values, fields):
    return hashlib.sha256(values["prev_hash"].encode() + _canonical(values, fields)).hexdigest()


def _commitment(ip, nonce):
    return hashlib.sha256(f"{nonce}|{ip}".encode()).hexdigest() if ip else ""


def relink(apps, schema_editor):
    AuditEvent = apps.get_model("workflows", "AuditEvent")
    Head = apps.get_model("workflows", "AuditChainHead")
    Pending = apps.get_model("workflows", "LedgerPending")
    connection = schema_editor.connection
    postgres = connection.vendor == "postgresql"
    columns = ["id", *OLD_FIELDS, "hash"]

    # 1. The old chain, verified as it stands.
    prev, expected, count = GENESIS, 1, 0
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq").values(*columns)[:BATCH])
        if not rows:
            break
        for row in rows:
            if row["seq"] != expected or row["prev_hash"] != prev or _hash(row, OLD_FIELDS) != row["hash"]:
                raise RuntimeError(
                    f"the audit chain is broken at seq {expected} (event id {row['id']}): run verify_audit on the "
                    "previous release and investigate before migrating (审计链在迁移前已断裂)"
                )
            prev, expected, count = row["hash"], expected + 1, count + 1
        last = rows[-1]["seq"]
    head = Head.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != count or (count and head.last_hash != prev)):
        raise RuntimeError(
            f"the audit chain head records seq {head.last_seq} but the chain has {count} events: events were "
            "removed or added around the engine; investigate before migrating (审计链头与事件数不一致)"
        )
    if not count:
        return

    # 2. One chain per record, in the old order.
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE workflows_auditevent DISABLE TRIGGER workflows_auditevent_append_only")
    heads = {}
    last = 0
    kept = [f for f in NEW_FIELDS if f not in ("record_seq", "prev_hash", "client_ip_commitment")]
    fields = ["id", "seq", "client_ip", *kept]
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE audit_relink (id bigint PRIMARY KEY, record_seq integer, "
                "prev_hash varchar(64), ip_nonce varchar(32), hash varchar(64)) ON COMMIT DROP"
            )
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq").values(*fields)[:BATCH * 5])
        if not rows:
            break
        changes = []
        for row in rows:
            key = (row["record_type"], row["record_id"])
            record_seq, previous = heads.get(key, (0, GENESIS))
            row["record_seq"] = record_seq + 1
            row["prev_hash"] = previous
            nonce = secrets.token_hex(16) if row["client_ip"] else ""
            row["client_ip_commitment"] = _commitment(row["client_ip"], nonce)
            digest = _hash(row, NEW_FIELDS)
            heads[key] = (row["record_seq"], digest)
            changes.append((row["id"], row["record_seq"], previous, nonce, digest))
        _write(AuditEvent, changes, postgres, connection)
        last = rows[-1]["seq"]
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE workflows_auditevent e SET record_seq = r.record_seq, prev_hash = r.prev_hash, "
                "ip_nonce = r.ip_nonce, hash = r.hash FROM audit_relink r WHERE e.id = r.id"
            )
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE workflows_auditevent ENABLE TRIGGER workflows_auditevent_append_only")

    # 3. Every event queued for the ledger.
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO workflows_ledgerpending (event_id) SELECT id FROM workflows_auditevent")
        return
    ids = list(AuditEvent.objects.order_by("seq").values_list("id", flat=True))
    for start in range(0, len(ids), BATCH):
        Pending.objects.bulk_create([Pending(event_id=i) for i in ids[start : start + BATCH]])


def _write(AuditEvent, changes, postgres, connection):
    """The new numbering and hashes: copied into a temporary table on PostgreSQL (one UPDATE …
    FROM at the end; 840,000 events in about a minute), bulk_update elsewhere."""
    if postgres:
        with connection.cursor() as cursor, cursor.copy(
            "COPY audit_relink (id, record_seq, prev_hash, ip_nonce, hash) FROM STDIN"
        ) as copy:
            for change in changes:
                copy.write_row(change)
        return
    events = []
    for event_id, record_seq, prev_hash, nonce, digest in changes:
        events.append(AuditEvent(id=event_id, record_seq=record_seq, prev_hash=prev_hash, ip_nonce=nonce, hash=digest))
    AuditEvent.objects.bulk_update(events, ["record_seq", "prev_hash", "ip_nonce", "hash"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0004_ledger_tables")]

    operations = [migrations.RunPython(relink, migrations.RunPython.noop)]
