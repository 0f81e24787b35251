"""Shared by the reliability tests: the audit chain check they all end with, and polling."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from django.core.management import call_command

from workflows.models import AuditEvent


def assert_audit_intact() -> None:
    """`manage.py verify_audit` on the test database reports the whole chain intact."""
    out = io.StringIO()
    call_command("verify_audit", stdout=out, stderr=out)
    count = AuditEvent.objects.count()
    assert count > 0
    assert out.getvalue().strip() == f"审计链完整：{count} 个事件（audit chain intact: {count} events）"


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
