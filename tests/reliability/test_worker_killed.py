"""A Celery worker killed (SIGKILL) in the middle of sending an e-mail.

A real worker (solo pool, as in tests/notifications/test_worker.py) runs with
tests/reliability/worker_settings.py: a 3-second Redis visibility timeout swept every second,
and an e-mail backend (tests/reliability/mailer.py) that records every message it sends in
Redis and, while the test's hold key exists, stops in the middle of sending. A submission
writes two e-mail rows (the recommending unit's reviewer and content reviewer). The worker
takes the first, claims its row (sending, attempt 1) and stops in the backend; the test kills
it with SIGKILL. Then:

- late acknowledgement: the message is still unacknowledged in Redis, the second one still
  queued (prefetch 1: the killed worker had not taken it);
- a restarted worker sends the second at once, and gets the first again when its visibility
  timeout expires (redelivery); the status guard makes that task a no-op ("skipped"), since
  the row says "sending" and nobody can know whether the killed worker's mail went out;
- ``relay_pending`` (the periodic relay; here with no waiting period) puts the stuck row back
  to pending and enqueues it; the worker sends it.

In the end each recipient received exactly one message, both rows are sent, the stuck one
after two attempts, and nothing is left in the queue or unacknowledged.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection

from config.celery import app
from notifications.models import Notification
from notifications.tasks import relay_pending
from tests.conftest import make_dossier
from tests.reliability.helpers import assert_audit_intact, wait_for
from tests.reliability.mailer import keys as mail_keys
from workflows import services

REDIS_URL = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


class Workers:
    """Starts Celery worker processes on one queue of its own and knows their PIDs."""

    def __init__(self, tmp_path: Path) -> None:
        self.prefix = f"reliability-{uuid.uuid4().hex[:10]}"
        self.queue = self.prefix
        self.tmp_path = tmp_path
        self.redis = redis.Redis.from_url(REDIS_URL)
        self.mail = mail_keys(self.prefix)
        self.processes: dict[str, subprocess.Popen] = {}
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reliability.worker_settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": REDIS_URL,
            "RELIABILITY_REDIS_URL": REDIS_URL,
            "RELIABILITY_PREFIX": self.prefix,
        }

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def start(self, name: str) -> subprocess.Popen:
        with open(self.tmp_path / f"{name}.log", "w") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "-Q",
                    self.queue,
                    "-n",
                    f"{name}-{self.prefix}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "info",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        self.processes[name] = process
        assert wait_for(lambda: "ready." in self.log(name) or process.poll() is not None, 60), self.log(name)
        assert process.poll() is None, self.log(name)
        return process

    def kill(self, name: str) -> None:
        process = self.processes[name]
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)

    def sent(self) -> list[str]:
        return [json.loads(item)["key"] for item in self.redis.lrange(self.mail["sent"], 0, -1)]

    def sending(self) -> list[str]:
        return [item.decode() for item in self.redis.lrange(self.mail["sending"], 0, -1)]

    def unacked(self) -> list[str]:
        return [value.decode() for value in self.redis.hvals(f"{self.prefix}:unacked")]

    def queued(self) -> int:
        return self.redis.llen(self.queue)

    def clean(self) -> None:
        for key in self.redis.scan_iter(match=f"*{self.prefix}*"):
            self.redis.delete(key)


@pytest.fixture
def workers(tmp_path):
    """Workers on a queue of their own; the test process publishes to it over Redis."""
    workers = Workers(tmp_path)
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue", "task_publish_retry")}
    app.conf.update(
        broker_url=REDIS_URL, task_always_eager=False, task_default_queue=workers.queue, task_publish_retry=False
    )
    _reset_pool()
    try:
        yield workers
    finally:
        workers.stop_all()
        app.conf.update(**saved)
        _reset_pool()
        workers.clean()


def _reset_pool() -> None:
    # Connections and producers are pooled per broker URL: drop both when the URL changes.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def task_lines(log: str, verb: str) -> list[str]:
    return re.findall(rf"notifications\.tasks\.deliver_notification\[([0-9a-f-]+)\] {verb}", log)


def test_worker_killed_mid_send_delivers_exactly_once(workers, users, orgs, open_round):
    applicant = users["applicant_csf_br1"]
    record = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round)
    workers.start("first")
    workers.redis.set(workers.mail["hold"], "1", ex=120)

    services.transition(record, "submit", actor=applicant)
    rows = {r.dedup_key: r for r in Notification.objects.filter(channel="email", context__record_id=record.pk)}
    assert sorted(r.recipient.username for r in rows.values()) == ["content_csf", "reviewer_csf"]

    # The first worker is inside the backend, sending one of them.
    assert wait_for(lambda: len(workers.sending()) == 1, 30), workers.log("first")
    (stuck_key,) = workers.sending()
    (other_key,) = set(rows) - {stuck_key}
    (task_id,) = task_lines(workers.log("first"), "received")
    assert _status(stuck_key) == ("sending", 1)
    assert _status(other_key) == ("pending", 0)

    workers.kill("first")

    # Late acknowledgement: the task is unacknowledged, not lost; the other one still queued.
    assert len(workers.unacked()) == 1 and task_id in workers.unacked()[0]
    assert workers.queued() == 1
    assert workers.sent() == []
    workers.redis.delete(workers.mail["hold"])

    workers.start("second")
    # The second message is sent; the first comes back after the visibility timeout and is
    # skipped by the status guard: the row is still "sending".
    assert wait_for(lambda: workers.sent() == [other_key], 30), workers.log("second")
    assert wait_for(lambda: task_id in task_lines(workers.log("second"), r"succeeded in [0-9.]+s: 'skipped'"), 30), (
        workers.log("second")
    )
    assert workers.sent() == [other_key]
    assert _status(stuck_key) == ("sending", 1)
    assert _status(other_key) == ("sent", 1)

    # The relay puts the stuck row back and enqueues it.
    assert relay_pending(older_than_seconds=0, stuck_after_seconds=0) == 1
    assert wait_for(lambda: _status(stuck_key) == ("sent", 2), 30), workers.log("second")
    # Longer than a visibility timeout and a sweep: nothing is delivered again.
    time.sleep(5)
    assert sorted(workers.sent()) == sorted([stuck_key, other_key])
    assert sorted(workers.sending()) == sorted([stuck_key, stuck_key, other_key])
    assert workers.unacked() == []
    assert workers.queued() == 0
    assert relay_pending(older_than_seconds=0, stuck_after_seconds=0) == 0
    assert Notification.objects.filter(dedup_key__in=list(rows), sent_at__isnull=False).count() == 2
    assert_audit_intact()


def _status(dedup_key: str) -> tuple[str, int]:
    row = Notification.objects.get(dedup_key=dedup_key)
    return row.status, row.attempts
