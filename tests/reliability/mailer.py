"""A test-only e-mail backend for the Celery worker the reliability tests start.

It "sends" by recording each message in Redis, so the test process can count deliveries
across worker processes, and while the hold key exists it stops in the middle of sending
(after announcing it), so the test can kill the worker at that moment.
Configured by the environment the test gives the worker: RELIABILITY_REDIS_URL and
RELIABILITY_PREFIX (the Redis keys of one test run).
"""

from __future__ import annotations

import json
import os
import time

import redis
from django.core.mail.backends.base import BaseEmailBackend

HOLD_LIMIT_SECONDS = 60  # a forgotten hold must not leave a worker stuck for ever


def keys(prefix: str) -> dict[str, str]:
    return {name: f"{prefix}:mail:{name}" for name in ("hold", "sending", "sent")}


class HoldingRecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        client = redis.Redis.from_url(os.environ["RELIABILITY_REDIS_URL"])
        names = keys(os.environ["RELIABILITY_PREFIX"])
        for message in email_messages:
            dedup_key = message.extra_headers.get("X-Zhihui-Notification", "")
            client.rpush(names["sending"], dedup_key)
            deadline = time.monotonic() + HOLD_LIMIT_SECONDS
            while client.exists(names["hold"]) and time.monotonic() < deadline:
                time.sleep(0.05)
            client.rpush(names["sent"], json.dumps({"key": dedup_key, "to": message.to}))
        return len(email_messages)
