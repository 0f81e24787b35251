"""Fixtures of the rules tests: clients signed in as the demo users, and the rule-change audit
events of a subject."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from workflows.models import AuditEvent

# Every role of the demo, and the visitor (None).
ROLES = (
    None,
    "applicant_csf_br1",
    "reviewer_csf",
    "content_csf",
    "content_cast",
    "expert_1",
    "auditor",
    "cast_staff",
)
OUTSIDERS = ("applicant_csf_br1", "reviewer_csf", "content_csf", "content_cast", "expert_1")


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The scanner's generation lives in the cache, which outlives a test's database.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def as_user(users):
    """``as_user("cast_staff")``: a client signed in as that demo user (None: the visitor)."""

    def make(username: str | None) -> Client:
        client = Client()
        if username is not None:
            client.force_login(users[username])
        return client

    return make


def events_of(subject: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(record_type=subject._meta.label_lower, record_id=subject.pk).order_by("record_seq")
    )


def shape(event: AuditEvent) -> dict[str, Any]:
    """What a rule-change event says, for exact comparison."""
    return {
        "action": event.action,
        "actor": event.actor.username if event.actor else None,
        "actor_org": event.actor_org,
        "actor_role": event.actor_role,
        "reason": event.opinion,
        "data": event.data,
        "client_ip": event.client_ip,
    }
