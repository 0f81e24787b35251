"""The sequencer: appends committed audit events to the Merkle log and signs a checkpoint.

It runs outside the users' transactions — after each commit that appended events (eagerly in
the embedded setup, as a Celery task with a broker) and every few seconds from Celery beat —
so no user's write ever waits for it. One sequencer at a time: on PostgreSQL an advisory
transaction lock (a second caller returns at once, the first takes its events too), on SQLite
the IMMEDIATE write lock.

Each run: the log's frontier (its O(log n) perfect subtrees) is read back from the nodes table;
the queued events are taken in id order, each one's hash re-computed from its row (an event
edited between its commit and its sequencing stops the sequencer instead of entering the log);
leaves and completed nodes are stored; the new root is signed; the queue rows are removed — all
in one transaction. After commit the checkpoint is appended to the checkpoint file.
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..models import AuditEvent, LedgerCheckpoint, LedgerLeaf, LedgerNode, LedgerPending
from . import merkle, signing

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the sequencer: "zhihui" + "seq".
ADVISORY_KEY = 0x7A68_6968_7569_5351 & 0x7FFF_FFFF_FFFF_FFFF
BATCH = 5000
CHECKPOINT_FILE_NAME = "checkpoints.log"


class LedgerIntegrityError(RuntimeError):
    """A queued event no longer matches its own hash: it was changed after it was written."""


def _event_fields() -> list[str]:
    from ..audit import HASHED_FIELDS

    return ["id", *[f for f in HASHED_FIELDS if f != "client_ip_commitment"], "client_ip", "ip_nonce", "hash"]


def frontier_at(size: int) -> merkle.Frontier:
    """The frontier of the log's first ``size`` leaves, from the stored leaves and nodes."""
    keys = merkle.Frontier.cover_keys(size)
    return merkle.Frontier.from_nodes(size, [nodes_by_key(keys)[key] for key in keys])


def nodes_by_key(keys: list[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
    """Stored hashes of the perfect nodes ``keys`` (level 0: leaves): one query per level and
    chunk of indexes (a proof needs a handful of levels)."""
    by_level: dict[int, list[int]] = {}
    for level, index in keys:
        by_level.setdefault(level, []).append(index)
    found: dict[merkle.NodeKey, bytes] = {}
    for level, indexes in sorted(by_level.items()):
        for start in range(0, len(indexes), 900):
            chunk = indexes[start : start + 900]
            if level == 0:
                rows = LedgerLeaf.objects.filter(index__in=chunk).values_list("index", "hash")
            else:
                rows = LedgerNode.objects.filter(level=level, index__in=chunk).values_list("index", "hash")
            for index, value in rows:
                found[(level, index)] = bytes.fromhex(value)
    return found


def latest_checkpoint() -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.order_by("-tree_size").first()


def _take_lock() -> bool:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_KEY])
            return bool(cursor.fetchone()[0])
    return True  # SQLite: the IMMEDIATE transaction already holds the only write lock


def sequence(*, max_events: int | None = None) -> LedgerCheckpoint | None:
    """Append every queued event (or the first ``max_events``) to the log and sign the new
    tree head. Returns the new checkpoint, or None when there was nothing to do or another
    sequencer is running. Raises LedgerIntegrityError (and appends nothing) when a queued
    event's row no longer matches its hash.

    Side effects, in order, in one transaction: takes the sequencer lock; inserts the leaves
    and completed nodes; inserts the signed checkpoint; deletes the queue rows. Then, after
    commit, appends the checkpoint (and any the file lacks) to the checkpoint file.
    """
    from ..audit import compute_hash

    with transaction.atomic():
        if not _take_lock():
            return None
        last = latest_checkpoint()
        size = last.tree_size if last else 0
        frontier = frontier_at(size)
        fields = _event_fields()
        taken = 0
        leaves: list[LedgerLeaf] = []
        nodes: list[LedgerNode] = []
        done_ids: list[int] = []
        while max_events is None or taken < max_events:
            want = BATCH if max_events is None else min(BATCH, max_events - taken)
            ids = list(
                LedgerPending.objects.filter(event_id__gt=done_ids[-1] if done_ids else 0)
                .order_by("event_id")
                .values_list("event_id", flat=True)[:want]
            )
            if not ids:
                break
            rows = {row["id"]: row for row in AuditEvent.objects.filter(pk__in=ids).values(*fields)}
            for event_id in ids:
                row = rows[event_id]
                if compute_hash(row) != row["hash"]:
                    raise LedgerIntegrityError(
                        f"audit event id {event_id} ({row['record_type']}#{row['record_id']}/{row['record_seq']}) "
                        "does not match its hash: it was changed after it was written; not sequenced"
                    )
                for level, index, value in frontier.append(merkle.leaf_hash(bytes.fromhex(row["hash"]))):
                    if level == 0:
                        leaves.append(LedgerLeaf(index=index, event_id=event_id, hash=value.hex()))
                    else:
                        nodes.append(LedgerNode(level=level, index=index, hash=value.hex()))
            done_ids.extend(ids)
            taken += len(ids)
            if len(leaves) >= BATCH:
                LedgerLeaf.objects.bulk_create(leaves, batch_size=2000)
                LedgerNode.objects.bulk_create(nodes, batch_size=2000)
                leaves, nodes = [], []
        if not done_ids:
            return None
        LedgerLeaf.objects.bulk_create(leaves, batch_size=2000)
        LedgerNode.objects.bulk_create(nodes, batch_size=2000)
        checkpoint = sign_checkpoint(frontier.size, frontier.root())
        for start in range(0, len(done_ids), 2000):
            LedgerPending.objects.filter(event_id__in=done_ids[start : start + 2000]).delete()
        transaction.on_commit(write_checkpoint_file)
    return checkpoint


def sign_checkpoint(tree_size: int, root: bytes) -> LedgerCheckpoint:
    now = timezone.now()
    info = signing.public_key_info()
    body = signing.note_body(origin=info.origin, tree_size=tree_size, root_hash=root, timestamp=now)
    return LedgerCheckpoint.objects.create(
        tree_size=tree_size,
        root_hash=root.hex(),
        timestamp=now,
        origin=info.origin,
        key_id=info.key_id,
        signature=signing.sign(body),
    )


def checkpoint_body(checkpoint: LedgerCheckpoint) -> str:
    return signing.note_body(
        origin=checkpoint.origin,
        tree_size=checkpoint.tree_size,
        root_hash=bytes.fromhex(checkpoint.root_hash),
        timestamp=checkpoint.timestamp,
    )


def checkpoint_line(checkpoint: LedgerCheckpoint) -> dict[str, Any]:
    """What the checkpoint file keeps of a checkpoint (one JSON object a line)."""
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "timestamp": signing.format_time(checkpoint.timestamp),
        "origin": checkpoint.origin,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def checkpoint_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / CHECKPOINT_FILE_NAME


def read_checkpoint_file(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or checkpoint_file()
    if not path.exists():
        return []
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                lines.append({**json.loads(line), "_line": number})
            except json.JSONDecodeError:
                lines.append({"_line": number, "_invalid": line[:80]})
    return lines


def write_checkpoint_file() -> int:
    """Append to the checkpoint file every checkpoint of the database it does not have yet
    (after the last size it holds), each with a valid signature. Returns how many it wrote.

    Runs after the sequencer's commit; a run that died before writing is made good by the
    next one. Only appends: a checkpoint the file has is never rewritten from the database."""
    path = checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = signing.public_key()
    written = 0
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            known = 0
            for line in handle.read().splitlines():
                try:
                    known = max(known, int(json.loads(line)["tree_size"]))
                except (ValueError, KeyError, TypeError):
                    continue
            for checkpoint in LedgerCheckpoint.objects.filter(tree_size__gt=known).order_by("tree_size"):
                if not signing.verify(checkpoint_body(checkpoint), checkpoint.signature, key):
                    logger.error("checkpoint %s: invalid signature, not written to the file", checkpoint.tree_size)
                    break
                handle.write(json.dumps(checkpoint_line(checkpoint), sort_keys=True) + "\n")
                written += 1
            handle.flush()
            import os

            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return written


# -- scheduling ---------------------------------------------------------------------------------

# With a broker, at most one sequencer task is enqueued per process and this many seconds; beat
# picks up whatever is left.
ENQUEUE_EVERY = 1.0
_last_enqueued = 0.0
_enqueue_lock = threading.Lock()


def sequence_after_commit() -> None:
    """Ask for a sequencer run once the current transaction commits: once per transaction,
    however many events it appends (a bulk action appends thousands). The mark sits on the
    outermost atomic block, so the next transaction asks again."""
    conn = transaction.get_connection()
    outer = conn.atomic_blocks[0] if conn.atomic_blocks else None
    if outer is not None:
        if getattr(outer, "_ledger_sequencing_asked", False):
            return
        outer._ledger_sequencing_asked = True
    transaction.on_commit(_run_or_enqueue)


def _run_or_enqueue() -> None:
    global _last_enqueued
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        try:
            sequence()
        except Exception:  # the user's change is committed; the next run takes its events
            logger.exception("the audit ledger sequencer failed")
        return
    now = time.monotonic()
    with _enqueue_lock:
        if now - _last_enqueued < ENQUEUE_EVERY:
            return
        _last_enqueued = now
    try:
        from ..tasks import sequence_ledger

        sequence_ledger.delay()
    except Exception:  # broker down: beat runs the sequencer when it is back
        logger.warning("could not enqueue the audit ledger sequencer", exc_info=True)
