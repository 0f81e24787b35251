"""Inclusion proofs: that an audit event is in the log a signed checkpoint covers.

A proof for an event is its canonical row (the exact bytes its hash covers: anyone can
re-compute the hash), its leaf index, and the RFC 9162 audit path from its leaf to the root of
the latest checkpoint, whose signature checks with the ledger's public key.
``scripts/verify_proof.py`` checks a proof without this code base.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..audit import canonical_row
from ..models import AuditEvent, LedgerCheckpoint, LedgerLeaf
from . import merkle, signing
from .sequencer import checkpoint_body, latest_checkpoint, nodes_by_key


def checkpoint_data(checkpoint: LedgerCheckpoint) -> dict[str, Any]:
    body = checkpoint_body(checkpoint)
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "timestamp": checkpoint.timestamp,
        "origin": checkpoint.origin,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
        "note": signing.signed_note(
            body, origin=checkpoint.origin, key_id_hex=checkpoint.key_id, signature_b64=checkpoint.signature
        ),
    }


def public_key_data() -> dict[str, str]:
    info = signing.public_key_info()
    return {
        "origin": info.origin,
        "key_id": info.key_id,
        "algorithm": "Ed25519",
        "public_key": info.public_key,
        "pem": info.pem,
        "verifier_key": info.verifier_key,
    }


@dataclass(frozen=True)
class Inclusion:
    leaf_index: int
    leaf_hash: str
    proof: list[str]
    checkpoint: LedgerCheckpoint


def _event_values(event: AuditEvent) -> dict[str, Any]:
    return {
        "record_type": event.record_type,
        "record_id": event.record_id,
        "record_seq": event.record_seq,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "actor_org": event.actor_org,
        "actor_role": event.actor_role,
        "opinion": event.opinion,
        "data": event.data,
        "revision_hash": event.revision_hash,
        "client_ip": event.client_ip,
        "ip_nonce": event.ip_nonce,
        "created_at": event.created_at,
        "prev_hash": event.prev_hash,
    }


def canonical_text(event: AuditEvent) -> str:
    """The exact text whose SHA-256, after the previous hash, is the event's hash."""
    return canonical_row(_event_values(event)).decode()


def inclusions(events: list[AuditEvent], checkpoint: LedgerCheckpoint | None = None) -> dict[int, Inclusion]:
    """Inclusion proofs of the events the checkpoint (the latest by default) covers, by event id;
    the nodes of every path fetched at once."""
    checkpoint = checkpoint or latest_checkpoint()
    if checkpoint is None or not events:
        return {}
    leaves = {
        event_id: (index, value)
        for event_id, index, value in LedgerLeaf.objects.filter(
            event_id__in=[e.pk for e in events], index__lt=checkpoint.tree_size
        ).values_list("event_id", "index", "hash")
    }
    ranges: list[merkle.Range] = []
    spans: dict[int, tuple[int, int]] = {}
    for event_id, (index, _value) in leaves.items():
        path = merkle.inclusion_ranges(index, checkpoint.tree_size)
        spans[event_id] = (len(ranges), len(ranges) + len(path))
        ranges.extend(path)
    hashes = merkle.hashes_of_ranges(ranges, nodes_by_key)
    return {
        event_id: Inclusion(
            leaf_index=leaves[event_id][0],
            leaf_hash=leaves[event_id][1],
            proof=[h.hex() for h in hashes[a:b]],
            checkpoint=checkpoint,
        )
        for event_id, (a, b) in spans.items()
    }


def verified_inclusion(event: AuditEvent) -> Inclusion | None:
    """The event's inclusion in the latest checkpoint, only if the proof verifies against the
    signed root and the signature against the ledger's key (what the public page may claim)."""
    found = inclusions([event]).get(event.pk)
    if found is None:
        return None
    checkpoint = found.checkpoint
    leaf = merkle.leaf_hash(bytes.fromhex(event.hash))
    if leaf.hex() != found.leaf_hash:
        return None
    if not merkle.verify_inclusion(
        found.leaf_index,
        checkpoint.tree_size,
        leaf,
        [bytes.fromhex(p) for p in found.proof],
        bytes.fromhex(checkpoint.root_hash),
    ):
        return None
    if not signing.verify(checkpoint_body(checkpoint), checkpoint.signature, signing.public_key()):
        return None
    return found


def record_proof(events: list[AuditEvent]) -> dict[str, Any]:
    """The events (already chosen for the caller) with their canonical rows and inclusion proofs
    against the latest signed checkpoint; events not yet sequenced are listed without a proof."""
    checkpoint = latest_checkpoint()
    proofs = inclusions(events, checkpoint)
    items = []
    for event in events:
        inclusion = proofs.get(event.pk)
        items.append(
            {
                "id": event.pk,
                "record_seq": event.record_seq,
                "action": event.action,
                "created_at": event.created_at,
                "canonical": canonical_text(event),
                "prev_hash": event.prev_hash,
                "hash": event.hash,
                "leaf_index": inclusion.leaf_index if inclusion else None,
                "leaf_hash": inclusion.leaf_hash if inclusion else None,
                "inclusion_proof": inclusion.proof if inclusion else None,
                "included": inclusion is not None,
            }
        )
    return {
        "checkpoint": checkpoint_data(checkpoint) if checkpoint else None,
        "public_key": public_key_data(),
        "events": items,
    }
