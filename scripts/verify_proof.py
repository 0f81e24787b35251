#!/usr/bin/env python3
"""Check a record's audit proof without Zhihui Workflow's code or database.

    python scripts/verify_proof.py PROOF.json --public-key KEY [--origin NAME]

PROOF.json is the answer of ``GET /api/v1/{applications|nominations}/{id}/history/proof/``; KEY
is the ledger's public key as published by its operator (PEM, or base64 of the 32 raw bytes;
``GET /api/v1/audit/public-key/`` serves it too, but a key taken from the same place as the
proof proves less). For every event it checks, in order:

1. the event's hash is SHA-256(prev_hash ‖ canonical) (UTF-8): the shown fields are the hashed ones;
2. its leaf is SHA-256(0x00 ‖ the 32 bytes of that hash) (RFC 9162 §2.1.1);
3. its audit path leads from that leaf to the checkpoint's root (RFC 9162 §2.1.3.2);
and once, that the checkpoint note is signed by KEY (Ed25519) under the key id of the note
format (first 4 bytes of SHA-256(origin ‖ "\\n" ‖ 0x01 ‖ key)).

Needs Python 3 and the ``cryptography`` package (Ed25519) only. Exit 0 when everything holds,
1 naming what does not, 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2, step by step; None when the path does not fit the tree."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while fn % 2 == 0 and fn != 0:
                fn //= 2
                sn //= 2
        else:
            r = sha256(b"\x01" + r + p)
        fn //= 2
        sn //= 2
    return r if sn == 0 else None


def load_key(text: bytes) -> Ed25519PublicKey:
    text = text.strip()
    if text.startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(text)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


def note_body(checkpoint: dict) -> bytes:
    stamp = dt.datetime.fromisoformat(checkpoint["timestamp"].replace("Z", "+00:00")).astimezone(dt.UTC)
    root = base64.b64encode(bytes.fromhex(checkpoint["root_hash"])).decode()
    when = stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{checkpoint['origin']}\n{checkpoint['tree_size']}\n{root}\ntime {when}\n".encode()


def check(proof: dict, key: Ed25519PublicKey, origin: str | None) -> list[str]:
    problems: list[str] = []
    checkpoint = proof.get("checkpoint")
    if not checkpoint:
        return ["the proof has no checkpoint (nothing sequenced yet)"]
    if origin and checkpoint["origin"] != origin:
        problems.append(f"the checkpoint is of log {checkpoint['origin']!r}, not {origin!r}")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = sha256(checkpoint["origin"].encode() + b"\n\x01" + raw)[:4].hex()
    if kid != checkpoint["key_id"]:
        problems.append(f"the checkpoint names key {checkpoint['key_id']}, the given key is {kid}")
    try:
        key.verify(base64.b64decode(checkpoint["signature"]), note_body(checkpoint))
    except (InvalidSignature, ValueError):
        problems.append("the checkpoint's signature does not verify with the given key")
    root = bytes.fromhex(checkpoint["root_hash"])
    size = int(checkpoint["tree_size"])
    for event in proof["events"]:
        name = f"event {event['record_seq']} ({event['action']})"
        digest = hashlib.sha256(event["prev_hash"].encode() + event["canonical"].encode()).hexdigest()
        if digest != event["hash"]:
            problems.append(f"{name}: its fields do not give its hash")
            continue
        if not event["included"]:
            continue
        leaf = sha256(b"\x00" + bytes.fromhex(event["hash"]))
        if leaf.hex() != event["leaf_hash"]:
            problems.append(f"{name}: leaf hash is not SHA-256(0x00 ‖ hash)")
            continue
        path = [bytes.fromhex(h) for h in event["inclusion_proof"]]
        if root_from_path(int(event["leaf_index"]), size, leaf, path) != root:
            problems.append(f"{name}: its audit path does not lead to the checkpoint's root")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("proof", help="the proof JSON file ('-' for standard input)")
    parser.add_argument("--public-key", required=True, help="the ledger's public key file (PEM or base64)")
    parser.add_argument("--origin", default=None, help="the log's expected name")
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if args.proof == "-" else open(args.proof, encoding="utf-8").read()
        proof = json.loads(text)
        with open(args.public_key, "rb") as handle:
            key = load_key(handle.read())
    except (OSError, ValueError) as exc:
        print(f"cannot read the input: {exc}", file=sys.stderr)
        return 2
    problems = check(proof, key, args.origin)
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}")
        return 1
    included = sum(1 for e in proof["events"] if e["included"])
    checkpoint = proof["checkpoint"]
    print(
        f"OK: {len(proof['events'])} events hash to their fields; {included} are in the log of "
        f"{checkpoint['tree_size']} leaves signed at {checkpoint['timestamp']} by key {checkpoint['key_id']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
