"""The audit ledger: the Merkle log of RFC 9162 (known-answer vectors), the sequencer and its
signed checkpoints, the checkpoint file, `verify_audit` against a rewrite with every hash
re-computed, `--since`, the proofs served by the API and checked by an independent verifier,
the public checkpoint and key."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from tests.conftest import api_as
from tests.workflows.helpers import dossier_in
from workflows.audit import audit_append, compute_hash
from workflows.ledger import merkle, signing
from workflows.ledger.sequencer import (
    LedgerIntegrityError,
    checkpoint_body,
    checkpoint_file,
    read_checkpoint_file,
    sequence,
)
from workflows.ledger.verify import verify_ledger
from workflows.models import AuditEvent, LedgerCheckpoint, LedgerLeaf, LedgerNode, LedgerPending

ROOT = Path(__file__).resolve().parents[2]
RECORD = "testapp.dossier"

# transparency-dev/merkle testonly/constants.go: the leaf inputs, every complete subtree's hash,
# and the root of each tree size 1 … 8 (RFC 6962 / 9162 hashing).
LEAF_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
NODE_HASHES = {
    (0, 0): "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    (0, 1): "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    (0, 2): "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    (0, 3): "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    (0, 4): "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    (0, 5): "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    (0, 6): "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    (0, 7): "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    (1, 0): "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    (1, 1): "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    (1, 2): "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    (1, 3): "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    (2, 0): "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    (2, 1): "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    (3, 0): "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# proof/verify_test.go: (leaf index, tree size) → audit path; (old size, new size) → proof.
INCLUSION_PROOFS = {
    (0, 8): [NODE_HASHES[(0, 1)], NODE_HASHES[(1, 1)], NODE_HASHES[(2, 1)]],
    (5, 8): [NODE_HASHES[(0, 4)], NODE_HASHES[(1, 3)], NODE_HASHES[(2, 0)]],
    (2, 3): [NODE_HASHES[(1, 0)]],
    (1, 5): [NODE_HASHES[(0, 0)], NODE_HASHES[(1, 1)], NODE_HASHES[(0, 4)]],
}
CONSISTENCY_PROOFS = {
    (1, 8): [NODE_HASHES[(0, 1)], NODE_HASHES[(1, 1)], NODE_HASHES[(2, 1)]],
    (6, 8): [NODE_HASHES[(1, 2)], NODE_HASHES[(1, 3)], NODE_HASHES[(2, 0)]],
    (2, 5): [NODE_HASHES[(1, 1)], NODE_HASHES[(0, 4)]],
    (6, 7): [NODE_HASHES[(1, 2)], NODE_HASHES[(0, 6)], NODE_HASHES[(2, 0)]],
}


def leaves() -> list[bytes]:
    return [merkle.leaf_hash(bytes.fromhex(x)) for x in LEAF_INPUTS]


def stored_vector_nodes() -> dict[merkle.NodeKey, bytes]:
    found = {}
    frontier = merkle.Frontier()
    for leaf in leaves():
        for level, index, value in frontier.append(leaf):
            found[(level, index)] = value
    return found


# --- the Merkle tree: known answers ------------------------------------------------------------


def test_leaf_and_node_hashes_match_the_vectors():
    nodes = stored_vector_nodes()
    assert {key: value.hex() for key, value in nodes.items()} == NODE_HASHES


def test_roots_of_every_size_match_the_vectors():
    frontier = merkle.Frontier()
    assert frontier.root().hex() == ROOTS[0]
    for size, leaf in enumerate(leaves(), start=1):
        frontier.append(leaf)
        assert (size, frontier.root().hex()) == (size, ROOTS[size])
        assert merkle.root_from_leaves(leaves()[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size"), sorted(INCLUSION_PROOFS))
def test_inclusion_proofs_match_the_vectors_and_verify(index, size):
    nodes = stored_vector_nodes()
    proof = merkle.hashes_of_ranges(merkle.inclusion_ranges(index, size), lambda keys: nodes)

    assert [p.hex() for p in proof] == INCLUSION_PROOFS[(index, size)]
    assert merkle.verify_inclusion(index, size, leaves()[index], proof, bytes.fromhex(ROOTS[size]))
    # A wrong index, size, leaf, root, or a changed, shortened or lengthened path fails.
    root = bytes.fromhex(ROOTS[size])
    assert not merkle.verify_inclusion(index ^ 1, size, leaves()[index], proof, root)
    assert not merkle.verify_inclusion(index, size * 2, leaves()[index], proof, root)
    assert not merkle.verify_inclusion(index, size // 2, leaves()[index], proof, root)
    assert not merkle.verify_inclusion(index, size, leaves()[(index + 1) % size], proof, root)
    assert not merkle.verify_inclusion(index, size, leaves()[index], proof, bytes.fromhex(ROOTS[size - 1]))
    flipped = [bytes([proof[0][0] ^ 8]) + proof[0][1:], *proof[1:]]
    assert not merkle.verify_inclusion(index, size, leaves()[index], flipped, root)
    assert not merkle.verify_inclusion(index, size, leaves()[index], proof[:-1], root)
    assert not merkle.verify_inclusion(index, size, leaves()[index], [*proof, root], root)


@pytest.mark.parametrize(("old", "new"), sorted(CONSISTENCY_PROOFS))
def test_consistency_proofs_match_the_vectors_and_verify(old, new):
    nodes = stored_vector_nodes()
    proof = merkle.hashes_of_ranges(merkle.consistency_ranges(old, new), lambda keys: nodes)

    assert [p.hex() for p in proof] == CONSISTENCY_PROOFS[(old, new)]
    old_root, new_root = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)
    assert not merkle.verify_consistency(old, new, new_root, old_root, proof)
    assert not merkle.verify_consistency(old + 1, new, old_root, new_root, proof)
    assert not merkle.verify_consistency(old, new, old_root, new_root, proof[:-1])
    flipped = [*proof[:-1], bytes([proof[-1][0] ^ 16]) + proof[-1][1:]]
    assert not merkle.verify_consistency(old, new, old_root, new_root, flipped)


def test_proofs_of_every_leaf_and_size_up_to_70_verify():
    data = [merkle.leaf_hash(str(i).encode()) for i in range(70)]
    frontier, nodes = merkle.Frontier(), {}
    roots = [merkle.EMPTY_ROOT]
    for leaf in data:
        for level, index, value in frontier.append(leaf):
            nodes[(level, index)] = value
        roots.append(frontier.root())
    lookup = lambda keys: nodes  # noqa: E731
    for size in range(1, 71):
        assert roots[size] == merkle.root_from_leaves(data[:size])
        for index in range(size):
            proof = merkle.hashes_of_ranges(merkle.inclusion_ranges(index, size), lookup)
            assert merkle.verify_inclusion(index, size, data[index], proof, roots[size]), (index, size)
        for old in range(1, size + 1):
            proof = merkle.hashes_of_ranges(merkle.consistency_ranges(old, size), lookup)
            assert merkle.verify_consistency(old, size, roots[old], roots[size], proof), (old, size)


# --- the sequencer and its checkpoints ---------------------------------------------------------


def append(n: int, *, record_id: int = 1, start: int = 1) -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_append(record_type=RECORD, record_id=record_id, action="submit", opinion=f"第 {i} 次")
            for i in range(start, start + n)
        ]


def verify(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_the_sequencer_logs_the_queued_events_and_signs_the_root(db, audit_checkpoint_dir):
    events = append(5) + append(4, record_id=2)

    checkpoint = sequence()

    leaves_stored = list(LedgerLeaf.objects.order_by("index").values_list("index", "event_id", "hash"))
    expected = [merkle.leaf_hash(bytes.fromhex(e.hash)) for e in events]
    assert leaves_stored == [(i, e.pk, expected[i].hex()) for i, e in enumerate(events)]
    assert (checkpoint.tree_size, checkpoint.root_hash) == (9, merkle.root_from_leaves(expected).hex())
    assert LedgerPending.objects.count() == 0
    # Complete subtrees above the leaves: 4 of two leaves, 2 of four, 1 of eight.
    assert sorted(LedgerNode.objects.values_list("level", "index")) == [
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 0),
        (2, 1),
        (3, 0),
    ]
    info = signing.public_key_info()
    assert (checkpoint.origin, checkpoint.key_id) == ("zhihui-workflow/audit", info.key_id)
    assert signing.verify(checkpoint_body(checkpoint), checkpoint.signature, signing.public_key())
    assert checkpoint_body(checkpoint) == (
        f"zhihui-workflow/audit\n9\n{base64.b64encode(bytes.fromhex(checkpoint.root_hash)).decode()}\n"
        f"time {signing.format_time(checkpoint.timestamp)}\n"
    )
    # Nothing queued: nothing to do, no new checkpoint.
    assert sequence() is None
    assert LedgerCheckpoint.objects.count() == 1


def test_checkpoints_are_written_to_the_file_outside_the_database(db, audit_checkpoint_dir):
    from workflows.ledger.sequencer import write_checkpoint_file

    append(3)
    first = sequence()
    append(2, start=4)
    second = sequence()
    # On commit the sequencer appends them; here (inside the test's transaction) by hand.
    assert write_checkpoint_file() == 2
    assert write_checkpoint_file() == 0  # only what the file lacks

    lines = read_checkpoint_file()
    assert [(line["tree_size"], line["root_hash"], line["signature"]) for line in lines] == [
        (3, first.root_hash, first.signature),
        (5, second.root_hash, second.signature),
    ]
    assert checkpoint_file() == audit_checkpoint_dir / "checkpoints.log"
    code, out, err = verify()
    assert (code, err) == (0, "")
    assert out == (
        "审计账本完整：5 个事件（1 条记录链），5 个叶子，2 个签名检查点，0 个事件待入账"
        "（audit ledger intact: 5 events in 1 record chains, 5 leaves, 2 signed checkpoints, latest tree size 5, "
        "0 events queued）\n"
    )


def test_a_queued_event_edited_before_sequencing_is_not_logged(db):
    events = append(3)
    tamper("UPDATE workflows_auditevent SET opinion = %s WHERE id = %s", ["改", events[1].pk])

    with pytest.raises(LedgerIntegrityError) as exc:
        sequence()

    assert str(exc.value) == (
        f"audit event id {events[1].pk} ({RECORD}#1/2) does not match its hash: it was changed after it was "
        "written; not sequenced"
    )
    assert (LedgerLeaf.objects.count(), LedgerCheckpoint.objects.count(), LedgerPending.objects.count()) == (0, 0, 3)


@pytest.mark.django_db(transaction=True)
def test_a_commit_runs_the_sequencer_and_writes_the_file(users, orgs, open_round, audit_checkpoint_dir):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)

    events = list(AuditEvent.objects.filter(record_id=record.pk).order_by("record_seq"))
    assert [e.action for e in events] == ["submit"]
    latest = LedgerCheckpoint.objects.order_by("-tree_size").first()
    assert latest.tree_size == AuditEvent.objects.count() == LedgerLeaf.objects.count()
    assert LedgerPending.objects.count() == 0
    assert [line["tree_size"] for line in read_checkpoint_file()][-1] == latest.tree_size
    assert verify()[0] == 0


# --- verify_audit against rewrites ------------------------------------------------------------

APPEND_ONLY = ("workflows_auditevent", "workflows_ledgerleaf", "workflows_ledgernode", "workflows_ledgercheckpoint")


def tamper(sql: str, params: list | None = None) -> None:
    """A statement run by someone with write access to the database (triggers off)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in APPEND_ONLY:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(sql, params or [])


def rewrite_everything(event: AuditEvent, opinion: str, *, resign_with: Ed25519PrivateKey | None = None) -> None:
    """Change one event's opinion and, as a thorough forger would, re-compute its hash and every
    later hash of its record's chain, its leaf, every tree node and every checkpoint's root
    (re-signing with ``resign_with``, a key of the forger's own, if given)."""
    chain = list(
        AuditEvent.objects.filter(
            record_type=event.record_type, record_id=event.record_id, record_seq__gte=event.record_seq
        ).order_by("record_seq")
    )
    previous = event.prev_hash
    for stored in chain:
        values = {f.attname: getattr(stored, f.attname) for f in AuditEvent._meta.concrete_fields}
        values["prev_hash"] = previous
        if stored.pk == event.pk:
            values["opinion"] = opinion
        new_hash = compute_hash(values)
        tamper(
            "UPDATE workflows_auditevent SET opinion = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [values["opinion"], previous, new_hash, stored.pk],
        )
        tamper(
            "UPDATE workflows_ledgerleaf SET hash = %s WHERE event_id = %s",
            [merkle.leaf_hash(bytes.fromhex(new_hash)).hex(), stored.pk],
        )
        previous = new_hash
    frontier = merkle.Frontier()
    roots = {}
    for value in LedgerLeaf.objects.order_by("index").values_list("hash", flat=True):
        for level, index, node in frontier.append(bytes.fromhex(value)):
            if level:
                tamper(
                    'UPDATE workflows_ledgernode SET hash = %s WHERE level = %s AND "index" = %s',
                    [node.hex(), level, index],
                )
        roots[frontier.size] = frontier.root()
    for checkpoint in LedgerCheckpoint.objects.all():
        root = roots[checkpoint.tree_size]
        signature = checkpoint.signature
        key_id = checkpoint.key_id
        if resign_with is not None:
            body = signing.note_body(
                origin=checkpoint.origin, tree_size=checkpoint.tree_size, root_hash=root, timestamp=checkpoint.timestamp
            )
            signature = base64.b64encode(resign_with.sign(body.encode())).decode()
            key_id = signing.key_id(checkpoint.origin, resign_with.public_key()).hex()
        tamper(
            "UPDATE workflows_ledgercheckpoint SET root_hash = %s, signature = %s, key_id = %s WHERE id = %s",
            [root.hex(), signature, key_id, checkpoint.pk],
        )


def logged(n_records: int = 3, per_record: int = 4) -> list[AuditEvent]:
    events = []
    for r in range(1, n_records + 1):
        events += append(per_record, record_id=r)
        sequence()
    return events


def test_a_rewrite_with_every_hash_recomputed_fails_on_the_signature(db):
    events = logged()
    target = events[5]  # record 2, event 2

    rewrite_everything(target, "不同意推荐")

    # The chains, the leaves and the tree now agree with each other; the signature does not.
    assert verify_ledger().problem.message == ("checkpoint of tree size 8: the signature does not verify (rewritten)")
    assert verify()[0] == 1


def test_a_rewrite_resigned_with_another_key_fails_on_the_key(db):
    events = logged()
    forger = Ed25519PrivateKey.generate()
    forger_id = signing.key_id("zhihui-workflow/audit", forger.public_key()).hex()

    rewrite_everything(events[5], "不同意推荐", resign_with=forger)

    assert verify() == (
        1,
        "",
        f"审计账本校验失败：checkpoint of tree size 4 names key {forger_id} of “zhihui-workflow/audit”, not this "
        f"ledger's key {signing.public_key_info().key_id}（audit ledger broken: checkpoint of tree size 4 names key "
        f"{forger_id} of “zhihui-workflow/audit”, not this ledger's key {signing.public_key_info().key_id}）\n",
    )


def test_a_rewrite_caught_by_the_checkpoint_file_alone(db, audit_checkpoint_dir):
    """Even with the signing key stolen, the checkpoints already written outside the database
    disagree with a re-signed rewrite."""
    from workflows.ledger.sequencer import write_checkpoint_file

    events = logged()
    write_checkpoint_file()
    private = signing.private_key()

    rewrite_everything(events[5], "不同意推荐", resign_with=private)

    report = verify_ledger()
    assert report.problem.message.startswith(
        f"{audit_checkpoint_dir / 'checkpoints.log'} line 2: the database's checkpoint of tree size 8 has another root"
    )
    assert report.problem.message.endswith(": the log was rewritten")


def test_an_older_database_restored_is_caught_by_the_file(db, audit_checkpoint_dir):
    from workflows.ledger.sequencer import write_checkpoint_file

    logged()
    write_checkpoint_file()
    # Events, leaves, nodes and the checkpoint after tree size 8 removed: the older state of the
    # database, internally consistent and validly signed.
    last = list(LedgerLeaf.objects.filter(index__gte=8).values_list("event_id", flat=True))
    tamper("DELETE FROM workflows_ledgercheckpoint WHERE tree_size > 8")
    for pk, level, index in LedgerNode.objects.values_list("pk", "level", "index"):
        if (index + 1) << level > 8:
            tamper("DELETE FROM workflows_ledgernode WHERE id = %s", [pk])
    tamper('DELETE FROM workflows_ledgerleaf WHERE "index" >= 8')
    for event_id in last:
        tamper("DELETE FROM workflows_auditevent WHERE id = %s", [event_id])

    assert verify_ledger(file=None).problem.message == (
        f"{audit_checkpoint_dir / 'checkpoints.log'} line 3 holds a checkpoint of tree size 12 that the database does "
        "not have: checkpoints were removed or an older database was restored"
    )


def test_leaves_beyond_the_last_checkpoint_are_reported(db):
    events = logged(n_records=1)
    extra = append(1, record_id=9)[0]
    tamper(
        'INSERT INTO workflows_ledgerleaf ("index", event_id, hash) VALUES (4, %s, %s)',
        [extra.pk, merkle.leaf_hash(bytes.fromhex(extra.hash)).hex()],
    )
    tamper("DELETE FROM workflows_ledgerpending WHERE event_id = %s", [extra.pk])

    assert len(events) == 4
    assert verify_ledger().problem.message == "leaves 4 to 4 are not covered by a signed checkpoint"


def test_verify_since_a_trusted_checkpoint(db, audit_checkpoint_dir):
    from workflows.ledger.sequencer import write_checkpoint_file

    events = logged(n_records=3)
    write_checkpoint_file()

    code, out, err = verify("--since", "8")
    assert (code, err) == (0, "")
    assert out == (
        "审计账本完整，自树大小 8 起：4 个事件（1 条记录链），4 个叶子，3 个签名检查点，0 个事件待入账"
        "（audit ledger intact: 4 events in 1 record chains, 4 leaves, 3 signed checkpoints, latest tree size 12, "
        "0 events queued）\n"
    )
    # An event after the trusted point edited: found.
    tamper("UPDATE workflows_auditevent SET opinion = %s WHERE id = %s", ["改", events[10].pk])
    assert verify("--since", "8")[2] == (
        f"审计账本校验失败：{RECORD}#3 event 3 (id {events[10].pk})：content does not match its hash (edited)"
        f"（audit ledger broken at {RECORD}#3 event 3 (id {events[10].pk}): content does not match its hash "
        "(edited)）\n"
    )
    assert verify("--since", "5")[2] == (
        "审计账本校验失败：no checkpoint of tree size 5 to start from"
        "（audit ledger broken: no checkpoint of tree size 5 to start from）\n"
    )


def test_verify_with_the_published_public_key(db, tmp_path):
    logged(n_records=1)
    key_file = tmp_path / "key.pem"
    key_file.write_text(signing.public_key_info().pem)
    other = tmp_path / "other.pem"
    other.write_text(signing.public_key_info(Ed25519PrivateKey.generate().public_key()).pem)

    assert verify("--public-key", str(key_file))[0] == 0
    assert verify("--public-key", str(other))[0] == 1


# --- proofs over the API, checked independently ----------------------------------------------


@pytest.fixture
def proven_dossier(users, orgs, open_round):
    record = dossier_in("recommended", users=users, orgs=orgs, round=open_round)
    sequence()
    return record


def test_history_proof_lists_the_events_with_inclusion_proofs(proven_dossier, users):
    response = api_as(users["reviewer_csf"]).get(f"/api/v1/dossiers/{proven_dossier.pk}/history/proof/")

    assert response.status_code == 200
    body = response.json()
    events = list(AuditEvent.objects.filter(record_id=proven_dossier.pk, record_type=RECORD).order_by("record_seq"))
    assert [(e["record_seq"], e["action"], e["hash"]) for e in body["events"]] == [
        (e.record_seq, e.action, e.hash) for e in events
    ]
    checkpoint = LedgerCheckpoint.objects.get()
    assert body["checkpoint"]["tree_size"] == checkpoint.tree_size == AuditEvent.objects.count()
    assert body["public_key"]["key_id"] == checkpoint.key_id
    for item in body["events"]:
        assert item["included"] is True
        assert merkle.verify_inclusion(
            item["leaf_index"],
            checkpoint.tree_size,
            merkle.leaf_hash(bytes.fromhex(item["hash"])),
            [bytes.fromhex(p) for p in item["inclusion_proof"]],
            bytes.fromhex(checkpoint.root_hash),
        )
        # The client address is not shown, only committed to.
        assert 'client_ip"' not in item["canonical"]


def test_history_proof_is_scoped_like_the_record(proven_dossier, users):
    assert (
        api_as(users["applicant_gd_fish"]).get(f"/api/v1/dossiers/{proven_dossier.pk}/history/proof/").status_code
        == 404
    )
    assert api_as(None).get(f"/api/v1/dossiers/{proven_dossier.pk}/history/proof/").status_code == 401


def test_events_after_the_checkpoint_are_listed_without_a_proof(proven_dossier, users):
    from workflows import services

    services.transition(proven_dossier, "start_expert_review", actor=users["cast_staff"])

    body = api_as(users["cast_staff"]).get(f"/api/v1/dossiers/{proven_dossier.pk}/history/proof/").json()
    last = body["events"][-1]
    assert (last["action"], last["included"], last["leaf_index"], last["inclusion_proof"]) == (
        "start_expert_review",
        False,
        None,
        None,
    )


def run_verifier(proof: dict, key_file: Path, tmp_path: Path) -> tuple[int, str]:
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(json.dumps(proof, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "verify_proof.py"), str(proof_file), "--public-key", str(key_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def test_the_independent_verifier_accepts_a_real_proof_and_refuses_changed_ones(proven_dossier, users, tmp_path):
    proof = api_as(users["applicant_csf_br1"]).get(f"/api/v1/dossiers/{proven_dossier.pk}/history/proof/").json()
    key_file = tmp_path / "ledger.pub"
    key_file.write_text(api_as(None).get("/api/v1/audit/public-key/").json()["pem"])
    size = proof["checkpoint"]["tree_size"]

    assert run_verifier(proof, key_file, tmp_path) == (
        0,
        f"OK: {len(proof['events'])} events hash to their fields; {len(proof['events'])} are in the log of {size} "
        f"leaves signed at {proof['checkpoint']['timestamp']} by key {proof['checkpoint']['key_id']}\n",
    )
    edited = json.loads(json.dumps(proof))
    edited["events"][0]["canonical"] = edited["events"][0]["canonical"].replace("submit", "withdraw")
    assert run_verifier(edited, key_file, tmp_path) == (
        1,
        "FAILED: event 1 (submit): its fields do not give its hash\n",
    )
    moved = json.loads(json.dumps(proof))
    moved["events"][1]["leaf_index"] = moved["events"][0]["leaf_index"]
    assert run_verifier(moved, key_file, tmp_path)[0] == 1
    other_root = json.loads(json.dumps(proof))
    other_root["checkpoint"]["root_hash"] = "00" * 32
    assert run_verifier(other_root, key_file, tmp_path)[1].startswith(
        "FAILED: the checkpoint's signature does not verify with the given key\n"
    )
    stranger = tmp_path / "stranger.pub"
    stranger.write_text(signing.public_key_info(Ed25519PrivateKey.generate().public_key()).pem)
    assert run_verifier(proof, stranger, tmp_path)[0] == 1


# --- the public checkpoint and key -------------------------------------------------------------


def test_latest_checkpoint_is_public(db):
    assert api_as(None).get("/api/v1/audit/checkpoints/latest/").json() == {
        "detail": "审计账本尚无签名检查点",
        "errors": ["审计账本尚无签名检查点"],
    }
    append(2)
    checkpoint = sequence()

    response = api_as(None).get("/api/v1/audit/checkpoints/latest/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.json()
    assert response.status_code == 200
    assert (body["tree_size"], body["root_hash"], body["key_id"], body["signature"]) == (
        2,
        checkpoint.root_hash,
        checkpoint.key_id,
        checkpoint.signature,
    )
    key_id_and_signature = base64.b64encode(bytes.fromhex(checkpoint.key_id) + base64.b64decode(checkpoint.signature))
    assert (
        body["note"] == f"{checkpoint_body(checkpoint)}\n\u2014 zhihui-workflow/audit {key_id_and_signature.decode()}\n"
    )


def test_public_key_is_published(db):
    body = api_as(None).get("/api/v1/audit/public-key/").json()
    info = signing.public_key_info()
    tagged = base64.b64encode(b"\x01" + base64.b64decode(info.public_key)).decode()
    assert body == {
        "origin": "zhihui-workflow/audit",
        "key_id": info.key_id,
        "algorithm": "Ed25519",
        "public_key": info.public_key,
        "pem": info.pem,
        "verifier_key": f"zhihui-workflow/audit+{info.key_id}+{tagged}",
    }


def test_production_checks_require_the_key_and_the_folder(tmp_path):
    from workflows.checks import audit_ledger_configured

    with override_settings(AUDIT_SIGNING_KEY_FILE="", AUDIT_CHECKPOINT_DIR=""):
        assert [e.id for e in audit_ledger_configured()] == ["workflows.E001", "workflows.E003"]
    with override_settings(
        AUDIT_SIGNING_KEY_FILE=str(tmp_path / "missing.pem"), AUDIT_CHECKPOINT_DIR=str(tmp_path / "no")
    ):
        assert [e.id for e in audit_ledger_configured()] == ["workflows.E002", "workflows.E004"]
    key = tmp_path / "key.pem"
    signing.generate_key_file(key)
    with override_settings(AUDIT_SIGNING_KEY_FILE=str(key), AUDIT_CHECKPOINT_DIR=str(tmp_path)):
        assert audit_ledger_configured() == []
    assert oct(key.stat().st_mode & 0o777) == "0o600"


def test_after_a_key_rotation_older_checkpoints_verify_with_the_previous_key(db, settings, tmp_path):
    logged(n_records=1)
    old_public = tmp_path / "old.pub"
    old_public.write_text(signing.public_key_info().pem)
    old_id = signing.public_key_info().key_id
    new_key = tmp_path / "new.pem"
    signing.generate_key_file(new_key)
    settings.AUDIT_SIGNING_KEY_FILE = str(new_key)
    append(2, record_id=7)
    newer = sequence()
    assert newer.key_id == signing.public_key_info().key_id != old_id

    # Without the old public key the first checkpoint names a key it does not know …
    assert verify_ledger().problem.message == (
        f"checkpoint of tree size 4 names key {old_id} of “zhihui-workflow/audit”, not this ledger's key {newer.key_id}"
    )
    # … with it, both verify.
    settings.AUDIT_PREVIOUS_PUBLIC_KEY_FILES = [str(old_public)]
    report = verify_ledger()
    assert (report.problem, report.checkpoints, report.leaves) == (None, 2, 6)
