"""The hash-chained audit trail: append one event, verify the whole chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64

# The fields a hash covers, in the canonical row. ``hash`` itself is excluded, ``prev_hash``
# included: that is what chains the rows.
HASHED_FIELDS = (
    "seq",
    "record_type",
    "record_id",
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
    "client_ip",
    "created_at",
    "prev_hash",
)


def _canonical_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_row(values: dict[str, Any]) -> bytes:
    row = {name: values.get(name) for name in HASHED_FIELDS}
    row["created_at"] = _canonical_time(row["created_at"])
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(values["prev_hash"].encode() + canonical_row(values)).hexdigest()


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
    """Append one event to the chain.

    Side effects, in order: locks the chain head row (serializing appends across
    transactions), inserts the event, moves the head. Must run inside the caller's
    transaction so a rolled-back change leaves no event.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_append must run inside transaction.atomic()")
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # a flushed test database; migrations create the row everywhere else
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    # Round-trip the data through JSON now so the hash is computed over exactly what the
    # database will give back (tuples become lists, keys become strings).
    clean_data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    now = timezone.now()
    values: dict[str, Any] = {
        "seq": head.last_seq + 1,
        "record_type": record_type,
        "record_id": int(record_id),
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
        "client_ip": _normalize_ip(client_ip),
        "created_at": now,
        "prev_hash": head.last_hash,
    }
    values["hash"] = compute_hash(values)
    event = AuditEvent(**values)
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(last_seq=values["seq"], last_hash=values["hash"])
    return event


def _normalize_ip(value: str | None) -> str | None:
    # PostgreSQL's inet type hands back its own spelling of an address: hash that spelling.
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    event_id: int | None
    reason: str


def _iter_events(batch: int = 2000) -> Iterator[dict[str, Any]]:
    fields = ["id", *HASHED_FIELDS, "hash"]
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq").values(*fields)[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1]["seq"]


def verify_chain() -> tuple[int, ChainProblem | None]:
    """Re-compute every hash in order. Returns (events checked, first problem or None).

    Reads the events and the head in one snapshot, so appends committed while it runs do
    not look like tampering.
    """
    with transaction.atomic():
        connection = transaction.get_connection()
        # SET TRANSACTION must come first in the real transaction: only when this block
        # opened it (not inside a caller's or a test's transaction).
        if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _verify_chain()


def _verify_chain() -> tuple[int, ChainProblem | None]:
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for row in _iter_events():
        if row["seq"] != expected_seq:
            return count, ChainProblem(
                expected_seq,
                None,
                f"event seq {expected_seq} is missing (next present is seq {row['seq']}, id {row['id']})",
            )
        if row["prev_hash"] != expected_prev:
            return count, ChainProblem(row["seq"], row["id"], "prev_hash does not match the previous event's hash")
        if compute_hash(row) != row["hash"]:
            return count, ChainProblem(row["seq"], row["id"], "content does not match its hash (edited)")
        expected_prev = row["hash"]
        expected_seq += 1
        count += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_seq > count:
        return count, ChainProblem(
            head.last_seq,
            None,
            f"the chain ends at seq {count} but its head records seq {head.last_seq}: events were removed from the end",
        )
    if head is not None and head.last_seq < count:
        return count, ChainProblem(
            head.last_seq + 1,
            None,
            f"the chain ends at seq {count} but its head records seq {head.last_seq}: "
            "events were added without moving the head",
        )
    if head is not None and head.last_hash != expected_prev:
        return count, ChainProblem(
            count,
            None,
            f"the last event (seq {count}) does not match the hash its head records: "
            "the end of the chain was rewritten",
        )
    return count, None
