"""Fixtures of the people tests: clients signed in as the demo users, the outbox's e-mails,
and the audit events of a subject."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from notifications.models import Channel, Notification
from workflows.models import AuditEvent


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The registration rate limit lives in the cache, which outlives a test's database.
    cache.clear()
    yield
    cache.clear()


def client_as(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_user(users):
    """``as_user("cast_staff")``: a client signed in as that demo user (None: the visitor)."""

    def make(username: str | None) -> Client:
        return client_as(users[username] if username else None)

    return make


def mails_to(address: str) -> list[Notification]:
    """The outbox's e-mail rows to an address, oldest first."""
    return list(Notification.objects.filter(channel=Channel.EMAIL, address=address).order_by("pk"))


def link_in(text: str) -> str:
    """The path of the first link of the site in an e-mail's text."""
    found = re.search(r"https?://[^/\s]+(/\S*)", text)
    assert found, text
    return found.group(1)


def events_of(subject: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(record_type=subject._meta.label_lower, record_id=subject.pk).order_by("record_seq")
    )


def event_rows(subject: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(action, actor's username, reason, data) of each event of the subject."""
    return [(e.action, e.actor.username if e.actor else "", e.opinion, e.data) for e in events_of(subject)]


def page_errors(response: Any) -> list[str]:
    """The messages of the error summary of a page (in order)."""
    import html

    body = response.content.decode()
    block = re.search(r'class="card error-summary".*?<ul>(.*?)</ul>', body, re.S)
    if not block:
        return []
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]
