"""CSRF on every form: a POST without the token — from a browser that holds the CSRF cookie, as
a victim's would — is refused with 403 on every page URL of the resolver, and nothing changes.
The session-authenticated API refuses unsafe methods without the token too (DRF's
SessionAuthentication); token-authenticated calls need none, and neither do the public
endpoints that authenticate nobody.

The URL list comes from the resolver (tests/security/routes.py), so a form added later is
covered without being listed here."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.test import Client
from rest_framework.authentication import SessionAuthentication
from rest_framework.test import APIClient

from tests.applications.helpers import PDF_BYTES
from tests.security.routes import UNSAFE, routes, urls
from tests.security.state import snapshot

# Who posts: an applicant, a recommending unit's reviewer, CAST staff, and a visitor.
POSTERS = ["applicant_csf_br1", "reviewer_csf", "cast_staff", None]
# API writes that authenticate nobody (public, rate-limited objections): no session, no CSRF.
PUBLIC_WRITES = {"public-notice-objections"}
CASES = {"pages": 0, "api": 0}


def pdf(name: str = "证明.pdf") -> io.BytesIO:
    f = io.BytesIO(PDF_BYTES)
    f.name = name
    return f


def page_body(world: dict[str, Any]) -> dict[str, Any]:
    """Every field any of the site's forms reads, with a value that would act if it got through."""
    ids = [r.pk for r in world["records"].values()]
    return {
        "opinion": "同意。",
        "verdict": "pass",
        "stage": "recommender",
        "funding_amount": "60000",
        "kind": "sealed_application",
        "file": pdf(),
        "assignee": "expert_4",
        "experts": ["expert_4"],
        "comment": "论证充分。",
        "name": "withdraw",
        "ids": ids,
        "confirm": "yes",
        "decision": "dismiss",
        "reason": "经核实，异议不成立。",
        "username": "cast_staff",
        "password": settings.DEMO_PASSWORD,
        "language": "en",
        "next": "/",
    }


def strict_client(users: dict[str, Any], username: str | None) -> Client:
    """A browser with the CSRF cookie (it visited a page with a form) that will not send the token."""
    client = Client(enforce_csrf_checks=True)
    if username:
        client.force_login(users[username])
    assert client.get("/login/").status_code in (200, 302)
    if settings.CSRF_COOKIE_NAME not in client.cookies:
        client.get("/")
    assert settings.CSRF_COOKIE_NAME in client.cookies
    return client


def page_targets(world: dict[str, Any]) -> list[str]:
    targets = []
    for route in routes():
        if route.api or not route.accepts("post") or route.name.startswith("api"):
            continue
        records = [None]
        if route.record_model is object:
            records = list(world["records"].values())
        elif route.record_model is not None:
            records = [r for r in world["records"].values() if isinstance(r, route.record_model)]
        for record in records:
            targets += urls(route, world, record)
    return sorted(set(targets))


def test_no_page_view_is_exempt_from_csrf():
    exempt = [r.name for r in routes() if not r.api and getattr(r.callback, "csrf_exempt", False)]
    assert exempt == []


def test_every_page_form_refuses_a_post_without_the_token(users, world):
    targets = page_targets(world)
    # Every form of the site is among them (a sample that must be found, not the list).
    for must in ("/login/", "/logout/", "/i18n/setlang/", "/applications/new/", "/nominations/bulk/"):
        assert must in targets
    assert len(targets) >= 50
    before = snapshot()
    problems = []
    for username in POSTERS:
        client = strict_client(users, username)
        for url in targets:
            response = client.post(url, page_body(world))
            CASES["pages"] += 1
            if response.status_code != 403 or b"CSRF" not in response.content:
                problems.append((username, url, response.status_code))
        if username:
            # Still signed in: the refused logout did not log out.
            assert client.get("/").status_code == 200
    assert problems == []
    assert snapshot() == before
    print(f"\nCSRF: {CASES['pages']} page POSTs without the token, all 403")


def api_targets(world: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(method, url, authenticates by session) of every unsafe API method."""
    found = []
    for route in routes():
        if not route.api or not route.methods:
            continue
        view_class = route.callback.cls
        classes = getattr(view_class, "authentication_classes", None)
        session = classes is None or any(issubclass(c, SessionAuthentication) for c in classes)
        records = [None]
        if route.record_model is not None:
            records = [r for r in world["records"].values() if isinstance(r, route.record_model)][:1]
        for method in sorted(route.methods & set(UNSAFE)):
            for record in records:
                found += [(method, url, session) for url in urls(route, world, record)]
    return found


def test_session_authenticated_api_writes_need_the_token(users, world):
    targets = api_targets(world)
    # The public's two endpoints take no session (nothing to forge): filing and looking up.
    assert {url for _m, url, session in targets if not session} == {
        f"/api/v1/public/notices/{world['notice']}/objections/",
        "/api/v1/public/objections/lookup/",
    }
    assert len(targets) >= 20
    before = snapshot()
    problems = []
    for username in ("applicant_csf_br1", "cast_staff"):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(users[username])
        client.get("/login/")  # the CSRF cookie is there; the token is not sent
        for method, url, session in targets:
            if not session:
                continue
            response = getattr(client, method)(url, {"opinion": "同意。"}, format="json")
            CASES["api"] += 1
            body = response.json()
            if (response.status_code, body["detail"]) != (403, "CSRF Failed: CSRF token missing."):
                problems.append((username, method, url, response.status_code, body))
    assert problems == []
    assert snapshot() == before
    print(f"\nCSRF: {CASES['api']} session-authenticated API writes without the token, all 403")


def test_the_same_api_write_passes_with_the_token_or_by_token_auth(users, world):
    """The 403 above is the CSRF check, nothing else: with the token — or with the API token
    instead of the session — the same PATCH goes through."""
    record = world["records"]["app_fish_draft"]
    url = f"/api/v1/applications/{record.pk}/"
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users["applicant_gd_fish"])
    client.get("/login/")
    refused = client.patch(url, {"outcomes": "改写一"}, format="json")
    assert (refused.status_code, refused.json()["detail"]) == (403, "CSRF Failed: CSRF token missing.")
    record.refresh_from_db()
    assert record.outcomes != "改写一"
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert client.patch(url, {"outcomes": "改写二"}, format="json", HTTP_X_CSRFTOKEN=token).status_code == 200
    key = APIClient().post(
        "/api/v1/auth/token/", {"username": "applicant_gd_fish", "password": settings.DEMO_PASSWORD}, format="json"
    )
    by_token = APIClient(enforce_csrf_checks=True)
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {key.json()['token']}")
    assert by_token.patch(url, {"outcomes": "改写三"}, format="json").status_code == 200
    record.refresh_from_db()
    assert record.outcomes == "改写三"
