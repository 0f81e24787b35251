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
    while True:
        events = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:BATCH])
        if not events:
            break
        for event in events:
            key = (event.record_type, event.record_id)
            record_seq, previous = heads.get(key, (0, GENESIS))
            event.record_seq = record_seq + 1
            event.prev_hash = previous
            event.ip_nonce = secrets.token_hex(16) if event.client_ip else ""
            values = {f: getattr(event, f) for f in NEW_FIELDS if f != "client_ip_commitment"}
            values["client_ip_commitment"] = _commitment(event.client_ip, event.ip_nonce)
            event.hash = _hash(values, NEW_FIELDS)
            heads[key] = (event.record_seq, event.hash)
        AuditEvent.objects.bulk_update(events, ["record_seq", "prev_hash", "ip_nonce", "hash"])
        last = events[-1].seq
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE workflows_auditevent ENABLE TRIGGER workflows_auditevent_append_only")

    # 3. Every event queued for the ledger.
    ids = list(AuditEvent.objects.order_by("seq").values_list("id", flat=True))
    for start in range(0, len(ids), BATCH):
        Pending.objects.bulk_create([Pending(event_id=i) for i in ids[start : start + BATCH]])


class Migration(migrations.Migration):
    dependencies = [("workflows", "0004_ledger_tables")]

    operations = [migrations.RunPython(relink, migrations.RunPython.noop)]
