"""Security headers: the Content-Security-Policy on every page of the resolver (and on every
other response), the Swagger UI still working under it, and the production settings that
``check --deploy`` and a browser rely on (HSTS, secure cookies, redirect to HTTPS, framing,
referrer, session lifetime)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.security.routes import routes, urls

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CHROMIUM = "/usr/bin/chromium"


def directives(header: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


def sha256_source(block: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"


def page_urls(world: dict[str, Any]) -> list[str]:
    found = []
    for route in routes():
        if route.api or not route.accepts("get"):
            continue
        records = [None]
        if route.record_model is object:
            records = list(world["records"].values())
        elif route.record_model is not None:
            records = [r for r in world["records"].values() if isinstance(r, route.record_model)]
        for record in records:
            found += urls(route, world, record)
    return sorted(set(found))


def test_every_page_has_the_policy(users, world):
    """Every page URL of the resolver, as a visitor and as three roles: each answer — page,
    redirect, 404 or download — carries exactly the site's policy and the other headers."""
    checked = html = 0
    for username in (None, "applicant_xuwen", "reviewer_csf", "cast_staff"):
        client = Client()
        if username:
            client.force_login(users[username])
        for url in page_urls(world):
            if url == "/api/docs/":
                continue
            response = client.get(url)
            if response.streaming:  # read to the end, which closes a download as a server would
                b"".join(response.streaming_content)
            checked += 1
            html += response["Content-Type"].startswith("text/html")
            assert (url, response.get("Content-Security-Policy")) == (url, POLICY)
            assert (url, response["X-Frame-Options"], response["X-Content-Type-Options"]) == (url, "DENY", "nosniff")
            assert (url, response["Referrer-Policy"]) == (url, "same-origin")
    assert checked >= 200 and html >= 100
    print(f"\nCSP: {checked} page answers checked ({html} HTML)")


def test_api_answers_have_the_policy_too(users):
    client = Client()
    client.force_login(users["cast_staff"])
    for url in ("/api/v1/applications/", "/api/schema/", "/api/v1/no-such-thing/"):
        assert client.get(url)["Content-Security-Policy"] == POLICY


def test_the_swagger_ui_page_allows_exactly_its_own_inline_blocks(client, users):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    policy = directives(response["Content-Security-Policy"])
    inline_scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    inline_styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(inline_scripts) == 1 and "SwaggerUIBundle" in inline_scripts[0]
    assert len(inline_styles) == 1
    assert policy["script-src"] == ["'self'", sha256_source(inline_scripts[0])]
    assert policy["style-src"] == ["'self'", sha256_source(inline_styles[0])]
    # Nothing looser than that, and the rest of the policy as everywhere else.
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    rest = {k: v for k, v in policy.items() if k not in ("script-src", "style-src")}
    assert rest == {k: v for k, v in directives(POLICY).items() if k not in ("script-src", "style-src")}
    # The bundle and the style sheet come from this site, and are there.
    sources = re.findall(r'<script src="([^"]+)"', page) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert len(sources) == 3
    for source in sources:
        assert source.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/")
        assert client.get(source).status_code == 200, source


def browser_or_skip() -> None:
    problem = None
    if importlib.util.find_spec("playwright") is None:
        problem = "the playwright package is not installed"
    elif not os.access(CHROMIUM, os.X_OK):
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"cannot run under CI: {problem}", pytrace=False)
        pytest.skip(problem)


@pytest.mark.e2e
def test_a_browser_runs_the_swagger_ui_and_the_site_without_a_policy_violation(live_server, monkeypatch):
    """Chromium enforces the header: the Swagger UI renders the operations from the schema,
    and neither it nor the login page reports a violation."""
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test makes no ORM call meanwhile.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
            )
            page.goto(f"{live_server.url}/api/docs/")
            # Swagger UI renders a large schema's operations in several passes: wait for them
            # (a policy violation would stop it at none).
            # (a policy violation would stop it at none; the page forbids eval, so poll from here).
            page.wait_for_selector(".opblock", timeout=20_000)
            operations = page.locator(".opblock").count()
            for _ in range(100):
                if operations >= 40:
                    break
                page.wait_for_timeout(200)
                operations = page.locator(".opblock").count()
            page.goto(f"{live_server.url}/login/")
            page.wait_for_selector("#id_username")
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        finally:
            browser.close()
    assert violations == []
    # A policy violation stops Swagger UI before any operation. (With the test settings' schema
    # — the test-only record types add some 20 operations, over 148 in all — this Swagger UI
    # shows the first 10 only; the site's own schema, 136 operations, renders in full.)
    assert operations >= 10
    # The site's style sheet applied (the default would be transparent).
    assert background != "rgba(0, 0, 0, 0)"


# -- production settings ---------------------------------------------------------------------

NAMES = [
    "DEBUG",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_AGE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "CSRF_COOKIE_SECURE",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "SECURE_CSP",
    "MIDDLEWARE",
    "AXES_FAILURE_LIMIT",
]


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "TRUSTED_PROXY_COUNT")}
    # The ledger's key and checkpoint folder are the operator's to give in production; the
    # test settings make the key on first use, which may not have come yet in this process.
    from workflows.ledger.signing import private_key

    private_key()
    checkpoints = Path(settings.AUDIT_CHECKPOINT_DIR)
    checkpoints.mkdir(parents=True, exist_ok=True)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.org",
        AUDIT_SIGNING_KEY_FILE=settings.AUDIT_SIGNING_KEY_FILE,
        AUDIT_CHECKPOINT_DIR=str(checkpoints),
    )
    env.update(extra)
    return env


def production_settings(**extra: str) -> dict[str, Any]:
    code = (
        "import json, config.settings.production as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {NAMES!r}}}, default=str))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(**extra),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_production_settings():
    values = production_settings()
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 60 * 60
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SESSION_COOKIE_AGE"] == 8 * 60 * 60
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert values["AXES_FAILURE_LIMIT"] == 5
    assert "config.security.ContentSecurityPolicyMiddleware" in values["MIDDLEWARE"]
    assert "axes.middleware.AxesMiddleware" == values["MIDDLEWARE"][-1]
    # Without a proxy, a client's X-Forwarded-Proto is not believed.
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_behind_a_proxy_its_https_header_is_trusted():
    expected = ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production_settings(TRUSTED_PROXY_COUNT="1")["SECURE_PROXY_SSL_HEADER"] == expected
    assert production_settings(SECURE_PROXY_SSL_HEADER="true")["SECURE_PROXY_SSL_HEADER"] == expected
    assert (
        production_settings(TRUSTED_PROXY_COUNT="1", SECURE_PROXY_SSL_HEADER="false")["SECURE_PROXY_SSL_HEADER"] is None
    )


def test_production_refuses_a_weak_secret_key():
    done = subprocess.run(
        [sys.executable, "-c", "import config.settings.production"],
        env=production_env(SECRET_KEY="change-me"),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "ImproperlyConfigured" in done.stderr


def test_check_deploy_is_clean():
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout.strip(), done.stderr.strip()) == (
        0,
        "System check identified no issues (0 silenced).",
        "",
    )
