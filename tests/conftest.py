"""Shared fixtures: the demo organizations and users of docs/api.md, rounds, test records."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Organization, User
from workflows.models import Round


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    skip_redis = pytest.mark.skip(reason="needs Redis at 127.0.0.1:6379")
    redis_up = None
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
        if "redis" in item.keywords:
            if redis_up is None:
                redis_up = _redis_reachable()
            if not redis_up:
                item.add_marker(skip_redis)


def _redis_reachable() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(autouse=True)
def audit_checkpoint_dir(settings, tmp_path):
    """A checkpoint file of the test's own, as the test has a database of its own: checkpoints
    of an earlier test's (flushed) ledger must not be held against this one's."""
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "audit")
    return tmp_path / "audit"


@pytest.fixture
def demo(db) -> dict[str, Any]:
    """The demo organizations and users (seed_demo), keyed by code and username."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    return {
        "orgs": {o.code: o for o in Organization.objects.all()},
        "users": {u.username: u for u in User.objects.all()},
    }


@pytest.fixture
def users(demo) -> dict[str, User]:
    return demo["users"]


@pytest.fixture
def orgs(demo) -> dict[str, Organization]:
    return demo["orgs"]


def make_round(**overrides: Any) -> Round:
    """A round open for submissions now (``tests.factories.RoundFactory``)."""
    from tests.factories import RoundFactory

    return RoundFactory(**overrides)


@pytest.fixture
def open_round(db) -> Round:
    return make_round()


def make_dossier(*, org: Organization, user: User, round: Round, **fields: Any):
    """A draft of the test record type (``tests.factories.DossierFactory``)."""
    from tests.factories import DossierFactory

    return DossierFactory(organization=org, created_by=user, round=round, **fields)


def api_as(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _chinese_first():
    """Each test starts in the default language, whatever the previous test's last request
    activated in this thread (a page in English, an API call with Accept-Language: en)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def verify_chain() -> tuple[int, Any]:
    """(events checked, first problem or None) of the whole audit ledger: every record's chain,
    the log's leaves and roots, the signed checkpoints (workflows.ledger.verify)."""
    from workflows.ledger.verify import verify_ledger

    report = verify_ledger()
    return report.events, report.problem
