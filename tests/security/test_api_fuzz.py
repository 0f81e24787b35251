"""API fuzzing with Schemathesis against our own OpenAPI document (/api/schema/), through the
WSGI application in-process: every operation, as CAST staff (API token) and as an anonymous
caller, with a handful of generated requests each — the answer is never a server error and
always what the schema documents for it.

Deterministic (Hypothesis derandomized, no example database, no shrinking) so that CI runs
the same requests every time; ``FUZZ_EXAMPLES`` raises the number per operation for a longer
local run (e.g. ``FUZZ_EXAMPLES=100 pytest tests/security/test_api_fuzz.py``)."""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.test import Client as WerkzeugClient

from tests.conftest import api_as

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, response_schema_conformance]
CASES: Counter = Counter()


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, sharing the test's database connection: the handler would close
    it at the end of each request (close_old_connections), ending the test's transaction on
    PostgreSQL. No Django test client may run meanwhile (it connects the signal again)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def token_of(app: WSGIHandler, username: str) -> str:
    """The API token, from POST /api/v1/auth/token/ through the same WSGI application. (Not
    through Django's test client: it reconnects close_old_connections after each request.)"""
    response = WerkzeugClient(app).post(
        "/api/v1/auth/token/", json={"username": username, "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["token"]


def fuzz(operation: Any, headers: dict[str, str], failures: list[str]) -> None:
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        CASES["requests"] += 1
        CASES[f"status {response.status_code // 100}xx"] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # every operation's failures are reported, not the first only
        failures.append(f"{operation.label} ({'token' if headers else 'anonymous'}): {exc}")


def test_the_api_never_fails_and_answers_as_documented(users, world, wsgi_app):
    started = time.monotonic()
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    staff = {"Authorization": f"Token {token_of(wsgi_app, 'cast_staff')}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for headers in (staff, {}):
            fuzz(operation, headers, failures)
            CASES["operation runs"] += 1
    elapsed = time.monotonic() - started
    print(
        f"\nAPI fuzzing: {len(operations)} operations × 2 callers, {CASES['requests']} requests "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(CASES.items()) if k.startswith('status'))}) in {elapsed:.1f} s"
    )
    assert failures == [], "\n\n".join(failures)
    assert len(operations) >= 60 and CASES["requests"] >= 300


# -- what the fuzzing found, pinned ---------------------------------------------------------

HUGE = "99999999999999999999"  # 20 digits: beyond a database integer


def test_ids_beyond_a_database_integer_or_not_ascii_are_refused_not_500(users):
    """Found by the fuzzing: a 20-digit id overflowed the query and "²" (a digit to
    str.isdigit, no int) raised — both a 500. A filter now ignores them like any other
    non-number; a required id is refused with 400; an id list names them as not found."""
    staff = api_as(users["cast_staff"])
    answers = {
        url: staff.get(url).status_code
        for url in (
            f"/api/v1/applications/?round={HUGE}",
            "/api/v1/applications/?round=²",
            f"/api/v1/applications/?subproject={HUGE}",
            f"/api/v1/nominations/?round={HUGE}",
            "/api/v1/nominations/?round=²",
            f"/api/v1/objections/?notice={HUGE}",
            "/api/v1/objections/?notice=²",
            f"/api/v1/applications/ranking/?round={HUGE}",
            "/api/v1/applications/ranking/?round=²",
            f"/api/v1/applications/ranking/?round=1&subproject={HUGE}",
            f"/api/v1/nominations/ranking/?round={HUGE}&category=team",
            "/api/v1/nominations/ranking/?round=²&category=team",
            f"/api/v1/public/winners/?round={HUGE}",
            "/api/v1/public/winners/?round=²",
        )
    }
    assert answers == {url: 400 if "ranking" in url or "winners" in url else 200 for url in answers}
    for kind, noun in (("applications", "申报"), ("nominations", "推荐")):
        response = staff.post(
            f"/api/v1/{kind}/bulk-transition/", {"name": "withdraw", "ids": [int(HUGE)]}, format="json"
        )
        assert (response.status_code, response.json()["detail"]) == (400, f"以下{noun}不存在或您无权查看：{HUGE}")
    for raw in ("²", HUGE):
        response = staff.post("/api/v1/documents/batches/", {"round": raw}, format="json")
        assert (response.status_code, response.json()["detail"]) == (400, "请指定批次编号 round")


def test_the_schema_documents_what_the_inbox_and_the_rankings_return(client):
    """Found by the fuzzing: the inbox answered a page (with unread_count) where the schema
    said a bare list, and the rankings a bare list where it said a page."""
    document = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths, components = document["paths"], document["components"]["schemas"]
    inbox = paths["/api/v1/inbox/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    page = components[inbox["$ref"].split("/")[-1]]
    assert {"count", "next", "previous", "results", "unread_count"} <= set(page["properties"])
    for path in ("/api/v1/applications/ranking/", "/api/v1/nominations/ranking/"):
        schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["type"] == "array"
