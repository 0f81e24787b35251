"""The migration from the single global hash chain to per-record chains and the ledger: no event
lost, every record's events chained in their old order, every event queued and then signed into
the log; a chain already broken is refused, naming the event."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.conftest import verify_chain
from workflows.ledger.sequencer import sequence
from workflows.models import AuditEvent, LedgerLeaf, LedgerPending

relink = importlib.import_module("workflows.migrations.0005_relink_audit_chain")
BEFORE = [("workflows", "0003_attachment")]


def migrate(target: list[tuple[str, str]]) -> object:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def old_chain(apps, events: list[dict]) -> list[str]:
    """Events written as the first design wrote them: one global chain, the head moved."""
    AuditEvent = apps.get_model("workflows", "AuditEvent")
    Head = apps.get_model("workflows", "AuditChainHead")
    prev = "0" * 64
    hashes = []
    start = timezone.now() - dt.timedelta(days=3)
    for seq, values in enumerate(events, start=1):
        row = {
            "seq": seq,
            "record_type": values["record_type"],
            "record_id": values["record_id"],
            "action": values["action"],
            "from_state": "",
            "to_state": "",
            "actor_id": None,
            "actor_name": "",
            "actor_org": "CAST",
            "actor_role": "cast_staff",
            "opinion": values.get("opinion", ""),
            "data": {"n": seq},
            "revision_hash": "",
            "client_ip": values.get("client_ip"),
            "created_at": start + dt.timedelta(minutes=seq),
            "prev_hash": prev,
        }
        row["hash"] = prev = relink._hash(row, relink.OLD_FIELDS)
        AuditEvent.objects.create(**row)
        hashes.append(row["hash"])
    Head.objects.update_or_create(pk=1, defaults={"last_seq": len(events), "last_hash": prev})
    return hashes


EVENTS = [
    {"record_type": "applications.application", "record_id": 7, "action": "create"},
    {"record_type": "applications.application", "record_id": 7, "action": "submit", "client_ip": "10.1.2.3"},
    {"record_type": "nominations.nomination", "record_id": 7, "action": "create"},
    {"record_type": "applications.application", "record_id": 9, "action": "create"},
    {"record_type": "applications.application", "record_id": 7, "action": "recommend", "opinion": "同意推荐。"},
    {"record_type": "notices.publicnotice", "record_id": 1, "action": "notice_created"},
    {"record_type": "nominations.nomination", "record_id": 7, "action": "submit", "client_ip": "2001:db8::5"},
]


@pytest.mark.django_db(transaction=True)
def test_the_global_chain_becomes_record_chains_without_losing_an_event():
    target = latest()
    apps = migrate(BEFORE)
    old_chain(apps, EVENTS)
    migrate(target)

    rows = list(AuditEvent.objects.order_by("pk").values_list("record_type", "record_id", "record_seq", "action"))
    assert rows == [
        ("applications.application", 7, 1, "create"),
        ("applications.application", 7, 2, "submit"),
        ("nominations.nomination", 7, 1, "create"),
        ("applications.application", 9, 1, "create"),
        ("applications.application", 7, 3, "recommend"),
        ("notices.publicnotice", 1, 1, "notice_created"),
        ("nominations.nomination", 7, 2, "submit"),
    ]
    submitted = AuditEvent.objects.get(record_type="applications.application", record_id=7, record_seq=2)
    assert (submitted.client_ip, len(submitted.ip_nonce)) == ("10.1.2.3", 32)
    assert LedgerPending.objects.count() == len(EVENTS)
    assert verify_chain() == (len(EVENTS), None)
    checkpoint = sequence()
    assert checkpoint.tree_size == LedgerLeaf.objects.count() == len(EVENTS)
    assert verify_chain() == (len(EVENTS), None)


@pytest.mark.django_db(transaction=True)
def test_a_broken_old_chain_stops_the_migration():
    if connection.vendor == "postgresql":
        pytest.skip("the old table's trigger refuses the edit this test makes (proven on SQLite)")
    target = latest()
    apps = migrate(BEFORE)
    old_chain(apps, EVENTS)
    old = apps.get_model("workflows", "AuditEvent")
    edited = old.objects.get(seq=3)
    old.objects.filter(seq=3).update(opinion="改过")

    with pytest.raises(RuntimeError) as exc:
        migrate(target)

    assert str(exc.value) == (
        f"the audit chain is broken at seq 3 (event id {edited.pk}): run verify_audit on the previous release and "
        "investigate before migrating (审计链在迁移前已断裂)"
    )
    # The test database must end migrated: the broken chain removed first.
    old.objects.all().delete()
    apps.get_model("workflows", "AuditChainHead").objects.all().delete()
    migrate(target)
