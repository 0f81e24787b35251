"""Shared by the reliability tests: the audit chain check they all end with, and polling."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from django.core.management import call_command

from workflows.models import AuditEvent


def assert_audit_intact() -> None:
    """After a last sequencer run, `manage.py verify_audit` on the test database reports the
    whole ledger intact: every event in a record chain and in the signed log."""
    from workflows.ledger.sequencer import sequence

    sequence()
    out = io.StringIO()
    call_command("verify_audit", stdout=out, stderr=out)
    count = AuditEvent.objects.count()
    assert count > 0
    assert f"audit ledger intact: {count} events in " in out.getvalue(), out.getvalue()
    assert f"{count} leaves, " in out.getvalue(), out.getvalue()


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
