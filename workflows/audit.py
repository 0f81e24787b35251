"""The audit trail: one hash chain per record, appended under the record's own row lock.

``build_event`` is the one definition of an event's canonical row and hash; the engine
(``audit_append``) and the scale-data generator both write events through it. The ledger
(``workflows.ledger``) then puts every committed event into one Merkle log with signed
checkpoints; ``verify_audit`` checks both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import secrets
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent, LedgerPending

GENESIS_HASH = "0" * 64

# The fields a hash covers, in the canonical row. ``hash`` itself is excluded, ``prev_hash``
# included: that is what chains a record's events. The client address enters as a commitment
# (see ``ip_commitment``), not as itself.
HASHED_FIELDS = (
    "record_type",
    "record_id",
    "record_seq",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "actor_name",
    "actor_org",
    "actor_role",
    "opinion",
    "data",
    "revision_hash",
    "client_ip_commitment",
    "created_at",
    "prev_hash",
)


def _canonical_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ip_commitment(client_ip: str | None, nonce: str) -> str:
    """SHA-256 of the nonce and the address: binds the address into the chain without showing
    it (a bare hash of an IPv4 address could be reversed by trying all 2^32)."""
    if not client_ip:
        return ""
    return hashlib.sha256(f"{nonce}|{client_ip}".encode()).hexdigest()


def canonical_row(values: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: its hashed fields as compact, key-sorted JSON."""
    row = {name: values.get(name) for name in HASHED_FIELDS}
    if "client_ip_commitment" not in values:
        row["client_ip_commitment"] = ip_commitment(values.get("client_ip"), values.get("ip_nonce") or "")
    row["created_at"] = _canonical_time(row["created_at"])
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(values["prev_hash"].encode() + canonical_row(values)).hexdigest()


def normalize_ip(value: str | None) -> str | None:
    # PostgreSQL's inet type hands back its own spelling of an address: hash that spelling.
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def build_event(
    *,
    record_type: str,
    record_id: int,
    record_seq: int,
    prev_hash: str,
    action: str,
    created_at: dt.datetime,
    actor: Any = None,
    actor_org: str = "",
    actor_role: str = "",
    from_state: str = "",
    to_state: str = "",
    opinion: str = "",
    data: dict[str, Any] | None = None,
    revision_hash: str = "",
    client_ip: str | None = None,
    ip_nonce: str | None = None,
) -> dict[str, Any]:
    """The column values of one audit event, normalized exactly as the database will give them
    back and hashed: the single definition used by ``audit_append`` and by bulk writers."""
    # Round-trip the data through JSON now so the hash is computed over exactly what the
    # database will give back (tuples become lists, keys become strings).
    clean_data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    ip = normalize_ip(client_ip)
    values: dict[str, Any] = {
        "record_type": record_type,
        "record_id": int(record_id),
        "record_seq": int(record_seq),
        "action": action,
        "from_state": from_state or "",
        "to_state": to_state or "",
        "actor_id": actor.pk if actor is not None else None,
        "actor_name": (getattr(actor, "display_name", "") or getattr(actor, "username", ""))
        if actor is not None
        else "",
        "actor_org": actor_org or "",
        "actor_role": actor_role or "",
        "opinion": opinion or "",
        "data": clean_data,
        "revision_hash": revision_hash or "",
        "client_ip": ip,
        "ip_nonce": (ip_nonce if ip_nonce is not None else secrets.token_hex(16)) if ip else "",
        "created_at": created_at,
        "prev_hash": prev_hash,
    }
    values["hash"] = compute_hash(values)
    return values


def chain_head(record_type: str, record_id: int) -> tuple[int, str]:
    """(record_seq, hash) of the record's last event, or (0, GENESIS_HASH)."""
    # Read on every audited write: a plain statement on the unique (type, id, seq) index.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT record_seq, hash FROM workflows_auditevent WHERE record_type = %s AND record_id = %s "
            "ORDER BY record_seq DESC LIMIT 1",
            [record_type, int(record_id)],
        )
        last = cursor.fetchone()
    return (last[0], last[1]) if last is not None else (0, GENESIS_HASH)


def _insert(values: dict[str, Any]) -> AuditEvent:
    """Insert the event and its queue row for the sequencer: one statement on PostgreSQL."""
    if connection.vendor != "postgresql":
        event = AuditEvent(**values)
        event.save(force_insert=True)
        LedgerPending.objects.create(event=event)
        return event
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    statement = getattr(_insert, "statement", None)
    if statement is None:
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        statement = _insert.statement = (  # type: ignore[attr-defined]
            f"WITH e AS (INSERT INTO workflows_auditevent ({columns}) VALUES ({marks}) RETURNING id) "
            "INSERT INTO workflows_ledgerpending (event_id) SELECT id FROM e RETURNING event_id"
        )
    params = [f.get_db_prep_save(values.get(f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        (event_id,) = cursor.fetchone()
    event = AuditEvent(id=event_id, **values)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def audit_append(
    *,
    record_type: str,
    record_id: int,
    action: str,
    actor: Any = None,
    actor_org: str = "",
    actor_role: str = "",
    from_state: str = "",
    to_state: str = "",
    opinion: str = "",
    data: dict[str, Any] | None = None,
    revision_hash: str = "",
    client_ip: str | None = None,
) -> AuditEvent:
    """Append one event to the chain of the record (``record_type``, ``record_id``).

    The caller holds the record's row lock (or the lock of whatever the chain is about, e.g. a
    notice): that is what orders the record's events; nothing global is locked. Side effects,
    in order: reads the record's last event, inserts the event linked to it, queues it for the
    ledger's sequencer (``LedgerPending``) and asks for a sequencer run after commit. Must run
    inside the caller's transaction so a rolled-back change leaves no event.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_append must run inside transaction.atomic()")
    last_seq, last_hash = chain_head(record_type, record_id)
    values = build_event(
        record_type=record_type,
        record_id=record_id,
        record_seq=last_seq + 1,
        prev_hash=last_hash,
        action=action,
        created_at=timezone.now(),
        actor=actor,
        actor_org=actor_org,
        actor_role=actor_role,
        from_state=from_state,
        to_state=to_state,
        opinion=opinion,
        data=data,
        revision_hash=revision_hash,
        client_ip=client_ip,
    )
    event = _insert(values)
    from .ledger.sequencer import sequence_after_commit

    sequence_after_commit()
    return event
