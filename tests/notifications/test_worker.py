"""Delivery by a real Celery worker over a real Redis broker (PostgreSQL: the worker reads
the rows the test committed). Exactly one e-mail per recipient; a redelivered task sends
nothing; with the broker down at commit the row stays pending and the relay delivers it once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app
from notifications.models import Notification
from notifications.tasks import deliver_notification, relay_pending
from tests.workflows.helpers import dossier_in
from workflows import services

REDIS_URL = "redis://127.0.0.1:6379/15"
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def sent_mail(folder: Path) -> list[str]:
    """Recipient lines of every message the worker's file backend wrote."""
    recipients = []
    for path in sorted(folder.glob("*.log")):
        recipients.extend(line[4:].strip() for line in path.read_text().splitlines() if line.startswith("To: "))
    return sorted(recipients)


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.fixture
def worker(tmp_path):
    """A Celery worker process on its own queue, reading the test database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    log = open(tmp_path / "worker.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue, "-l", "info"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[2],
    )
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue", "task_publish_retry")}
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue, task_publish_retry=False)
    _reset_pool()
    try:
        assert wait_for(lambda: "ready" in (tmp_path / "worker.log").read_text(), 60), (
            tmp_path / "worker.log"
        ).read_text()
        yield mail_dir
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        app.conf.update(**saved)
        _reset_pool()


def _reset_pool() -> None:
    # Connections and producers are pooled per broker URL: drop both when the URL changes.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def test_one_email_per_recipient_and_redelivery_sends_nothing(worker, users, orgs, open_round):
    dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    expected = ["content_csf@demo.zhihui.local", "reviewer_csf@demo.zhihui.local"]
    assert wait_for(lambda: sent_mail(worker) == expected), sent_mail(worker)
    rows = list(Notification.objects.filter(channel="email", message_key="submit"))
    assert sorted((r.status, r.attempts) for r in rows) == [("sent", 1), ("sent", 1)]
    for row in rows:  # the broker delivers the same task again
        deliver_notification.delay(row.pk)
        deliver_notification.delay(row.pk)
    time.sleep(3)
    assert sent_mail(worker) == expected


def test_broker_down_at_commit_then_relay_delivers_once(worker, users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    assert wait_for(lambda: len(sent_mail(worker)) == 2)
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    _reset_pool()
    updated = services.transition(record, "return_for_revision", actor=users["reviewer_csf"], opinion="请补充预算")
    assert updated.state == "returned"
    row = Notification.objects.get(channel="email", message_key="return_for_revision")
    assert (row.status, row.attempts) == ("pending", 0)
    app.conf.broker_url = REDIS_URL
    _reset_pool()
    assert relay_pending(older_than_seconds=0) == 1
    assert wait_for(lambda: "applicant_csf_br1@demo.zhihui.local" in sent_mail(worker))
    assert relay_pending(older_than_seconds=0) == 0
    time.sleep(2)
    assert sent_mail(worker).count("applicant_csf_br1@demo.zhihui.local") == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
