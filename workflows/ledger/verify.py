"""Checks the whole audit trail without trusting the database (``manage.py verify_audit``).

1. Every record's chain: its events numbered 1, 2, 3 … without a gap, each one's hash
   re-computed from its row, each linked to the one before.
2. The log: leaves numbered from 0 without a gap, each the leaf hash of its event's hash; every
   event in exactly one leaf or still queued for the sequencer.
3. The roots: the tree is re-built leaf by leaf; at the size of every checkpoint its root must
   be the signed one, and the stored nodes the re-computed ones; no leaf beyond the last
   checkpoint (leaves no signature covers).
4. The signatures: every checkpoint signed by the ledger's key (Ed25519, the key outside the
   database), under the expected key id.
5. The checkpoint file outside the database: each line validly signed and present in the
   database with the same root. A rewritten database — hashes re-computed in SQL, events
   removed from the end, an older backup restored — fails 3, 4 or 5.

``since`` starts from a checkpoint the caller trusts (e.g. the last one a previous run
verified, or one read from the file): the tree's frontier at that size is taken from the stored
nodes and checked against the trusted root, then only later leaves and events are checked.
Consistency between consecutive checkpoints follows from their roots being re-computed from one
sequence of leaves; from a trusted checkpoint to the latest it is also checked with a
consistency proof built from the stored nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection, transaction
from django.db.models import Q

from ..audit import GENESIS_HASH, HASHED_FIELDS, compute_hash
from ..models import AuditEvent, LedgerCheckpoint, LedgerLeaf, LedgerPending
from . import merkle, signing
from .sequencer import checkpoint_body, checkpoint_file, frontier_at, nodes_by_key, read_checkpoint_file

CHUNK = 5000


@dataclass(frozen=True)
class Problem:
    message: str
    record_type: str = ""
    record_id: int | None = None
    record_seq: int | None = None
    event_id: int | None = None

    def where(self) -> str:
        if self.record_type:
            return f"{self.record_type}#{self.record_id} event {self.record_seq} (id {self.event_id})"
        return ""


@dataclass
class Report:
    events: int = 0
    records: int = 0
    leaves: int = 0
    pending: int = 0
    checkpoints: int = 0
    file_lines: int = 0
    latest_size: int = 0
    since: int = 0
    notes: list[str] = field(default_factory=list)
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Failed(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _fail(message: str, **where: Any) -> None:
    raise _Failed(Problem(message, **where))


def _event_fields() -> list[str]:
    return ["id", *[f for f in HASHED_FIELDS if f != "client_ip_commitment"], "client_ip", "ip_nonce", "hash"]


def verify_ledger(
    *,
    since: int | None = None,
    public_key: Ed25519PublicKey | list[Ed25519PublicKey] | None = None,
    file: Path | None = None,
) -> Report:
    """Everything above, in one read-only snapshot. The report names the first problem.
    ``public_key``: the key(s) to check signatures with; by default the ledger's key and the
    previous keys it was rotated from (``signing.known_public_keys``)."""
    report = Report(since=since or 0)
    with transaction.atomic():
        # SET TRANSACTION must come first in the real transaction: only when this block opened
        # it (not inside a caller's or a test's transaction).
        if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            if public_key is None:
                keys = signing.known_public_keys()
            else:
                keys = public_key if isinstance(public_key, list) else [public_key]
            _verify(report, since=since, keys=keys, file=file or checkpoint_file())
        except _Failed as failed:
            report.problem = failed.problem
    return report


def _verify(report: Report, *, since: int | None, keys: list[Ed25519PublicKey], file: Path) -> None:
    checkpoints = list(LedgerCheckpoint.objects.order_by("tree_size"))
    report.checkpoints = len(checkpoints)
    report.latest_size = checkpoints[-1].tree_size if checkpoints else 0
    expected_origin = signing.origin()
    by_id = {signing.key_id(expected_origin, key).hex(): key for key in keys}
    for checkpoint in checkpoints:
        key = by_id.get(checkpoint.key_id)
        if key is None or checkpoint.origin != expected_origin:
            _fail(
                f"checkpoint of tree size {checkpoint.tree_size} names key {checkpoint.key_id} of "
                f"“{checkpoint.origin}”, not this ledger's key {', '.join(by_id)}"
            )
        if not signing.verify(checkpoint_body(checkpoint), checkpoint.signature, key):
            _fail(f"checkpoint of tree size {checkpoint.tree_size}: the signature does not verify (rewritten)")
    by_size = {c.tree_size: c for c in checkpoints}
    start = 0
    if since:
        trusted = by_size.get(since)
        if trusted is None:
            _fail(f"no checkpoint of tree size {since} to start from")
        start = since
    _check_file(report, file, by_size, by_id)
    _check_chains(report, since=start)
    frontier = _trusted_frontier(start, by_size)
    _check_leaves(report, frontier, start, checkpoints)
    if since and report.latest_size > since:
        _check_consistency(since, by_size[since], checkpoints[-1])
    _check_coverage(report)


def _check_file(
    report: Report, file: Path, by_size: dict[int, LedgerCheckpoint], keys: dict[str, Ed25519PublicKey]
) -> None:
    lines = read_checkpoint_file(file)
    report.file_lines = len(lines)
    if not file.exists():
        if by_size:
            report.notes.append(f"checkpoint file {file} not found: the database could not be held against it")
        return
    previous = 0
    for line in lines:
        if "_invalid" in line:
            _fail(f"{file} line {line['_line']} is not a checkpoint: {line['_invalid']!r}")
        size = int(line["tree_size"])
        if size <= previous:
            _fail(f"{file} line {line['_line']}: tree size {size} after {previous} (sizes must grow)")
        previous = size
        if not _line_signed(line, keys):
            _fail(f"{file} line {line['_line']}: the signature of the checkpoint of tree size {size} does not verify")
        stored = by_size.get(size)
        if stored is None:
            _fail(
                f"{file} line {line['_line']} holds a checkpoint of tree size {size} that the database does not "
                "have: checkpoints were removed or an older database was restored"
            )
        if stored.root_hash != line.get("root_hash") or stored.signature != line.get("signature"):
            _fail(
                f"{file} line {line['_line']}: the database's checkpoint of tree size {size} has another root "
                f"({stored.root_hash[:16]}… against {str(line.get('root_hash'))[:16]}…): the log was rewritten"
            )
    in_file = {int(line["tree_size"]) for line in lines}
    missing = [size for size in by_size if size <= previous and size not in in_file]
    if missing:
        _fail(f"checkpoint of tree size {missing[0]} is in the database but not in {file}")
    later = [size for size in by_size if size > previous]
    if later:
        report.notes.append(f"{len(later)} checkpoint(s) after tree size {previous} not yet written to {file}")


def _line_signed(line: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> bool:
    import datetime as dt

    key = keys.get(str(line.get("key_id")))
    if key is None:
        return False
    try:
        body = signing.note_body(
            origin=line["origin"],
            tree_size=int(line["tree_size"]),
            root_hash=bytes.fromhex(line["root_hash"]),
            timestamp=dt.datetime.strptime(line["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC),
        )
    except (KeyError, TypeError, ValueError):
        return False
    return signing.verify(body, str(line.get("signature", "")), key)


def _check_chains(report: Report, *, since: int) -> None:
    """Each record's events: numbered from 1, re-hashed, linked. With ``since``, the events in
    leaves from ``since`` on and those still queued, each linked to its predecessor's hash."""
    fields = _event_fields()
    events = AuditEvent.objects.order_by("record_type", "record_id", "record_seq")
    if since:
        events = events.filter(Q(ledger_leaf__index__gte=since) | Q(ledger_leaf__isnull=True))
    current: tuple[str, int] | None = None
    expected_seq, expected_prev = 1, GENESIS_HASH
    for row in events.values(*fields).iterator(chunk_size=CHUNK):
        key = (row["record_type"], row["record_id"])
        where = {
            "record_type": row["record_type"],
            "record_id": row["record_id"],
            "record_seq": row["record_seq"],
            "event_id": row["id"],
        }
        if key != current:
            current = key
            report.records += 1
            if since and row["record_seq"] > 1:
                previous = (
                    AuditEvent.objects.filter(
                        record_type=row["record_type"], record_id=row["record_id"], record_seq=row["record_seq"] - 1
                    )
                    .values_list("hash", flat=True)
                    .first()
                )
                if previous is None:
                    _fail(f"event {row['record_seq'] - 1} of the record is missing (removed)", **where)
                expected_seq, expected_prev = row["record_seq"], previous
            else:
                expected_seq, expected_prev = 1, GENESIS_HASH
        if row["record_seq"] != expected_seq:
            _fail(f"event {expected_seq} of the record is missing (next present is {row['record_seq']})", **where)
        if row["prev_hash"] != expected_prev:
            _fail("prev_hash does not match the hash of the record's previous event", **where)
        if compute_hash(row) != row["hash"]:
            _fail("content does not match its hash (edited)", **where)
        expected_seq += 1
        expected_prev = row["hash"]
        report.events += 1


def _trusted_frontier(start: int, by_size: dict[int, LedgerCheckpoint]) -> merkle.Frontier:
    if not start:
        return merkle.Frontier()
    try:
        frontier = frontier_at(start)
    except (KeyError, ValueError):
        _fail(f"the stored nodes of the tree at size {start} are incomplete")
    if frontier.root().hex() != by_size[start].root_hash:
        _fail(f"the stored nodes of the tree at size {start} do not give its signed root (nodes rewritten)")
    return frontier


def _leaf_rows(start: int) -> Iterator[tuple[int, str, str, int]]:
    rows = LedgerLeaf.objects.filter(index__gte=start).order_by("index")
    yield from rows.values_list("index", "hash", "event__hash", "event_id").iterator(chunk_size=CHUNK)


def _check_leaves(report: Report, frontier: merkle.Frontier, start: int, checkpoints: list[LedgerCheckpoint]) -> None:
    pending_checks = [c for c in checkpoints if c.tree_size > start]
    made: list[tuple[int, int, bytes]] = []
    expected = start
    for index, stored, event_hash, event_id in _leaf_rows(start):
        if index != expected:
            _fail(f"leaf {expected} of the log is missing (next present is {index})")
        value = merkle.leaf_hash(bytes.fromhex(event_hash))
        if value.hex() != stored:
            _fail(f"leaf {index} is not the leaf hash of its event (id {event_id})", event_id=event_id)
        made.extend(item for item in frontier.append(value) if item[0] > 0)
        expected += 1
        report.leaves += 1
        while pending_checks and pending_checks[0].tree_size == frontier.size:
            checkpoint = pending_checks.pop(0)
            if frontier.root().hex() != checkpoint.root_hash:
                _fail(
                    f"the log's first {checkpoint.tree_size} leaves do not give the root signed in the checkpoint of "
                    "that size: events or leaves were rewritten"
                )
        if len(made) >= CHUNK:
            _check_nodes(made)
            made = []
    _check_nodes(made)
    if pending_checks:
        _fail(f"the checkpoint of tree size {pending_checks[0].tree_size} is beyond the log's {frontier.size} leaves")
    last = checkpoints[-1].tree_size if checkpoints else 0
    if frontier.size > last:
        _fail(f"leaves {last} to {frontier.size - 1} are not covered by a signed checkpoint")


def _check_nodes(made: list[tuple[int, int, bytes]]) -> None:
    if not made:
        return
    stored = nodes_by_key([(level, index) for level, index, _h in made])
    for level, index, value in made:
        if stored.get((level, index)) != value:
            _fail(f"stored tree node {level}/{index} differs from the re-computed one (proofs would not verify)")


def _check_consistency(since: int, old: LedgerCheckpoint, new: LedgerCheckpoint) -> None:
    proof = merkle.hashes_of_ranges(merkle.consistency_ranges(since, new.tree_size), nodes_by_key)
    if not merkle.verify_consistency(
        since, new.tree_size, bytes.fromhex(old.root_hash), bytes.fromhex(new.root_hash), proof
    ):
        _fail(f"the checkpoint of tree size {new.tree_size} is not consistent with the trusted one of size {since}")


def _check_coverage(report: Report) -> None:
    """Every event in a leaf or queued; nothing queued twice."""
    report.pending = LedgerPending.objects.count()
    total = AuditEvent.objects.count()
    in_log = LedgerLeaf.objects.count()
    if total == in_log + report.pending:
        if not LedgerPending.objects.filter(event__ledger_leaf__isnull=False).exists():
            return
    queued_and_logged = LedgerPending.objects.filter(event__ledger_leaf__isnull=False)
    for event_id in queued_and_logged.values_list("event_id", flat=True)[:1]:
        _fail("event is both in the log and queued for it", event_id=event_id)
    lost = (
        AuditEvent.objects.filter(ledger_leaf__isnull=True)
        .exclude(pk__in=LedgerPending.objects.values("event_id"))
        .values("id", "record_type", "record_id", "record_seq")
        .first()
    )
    if lost is not None:
        _fail(
            "event is neither in the log nor queued for it (inserted around the engine)",
            record_type=lost["record_type"],
            record_id=lost["record_id"],
            record_seq=lost["record_seq"],
            event_id=lost["id"],
        )
    _fail(f"{in_log} leaves and {report.pending} queued events for {total} events")
