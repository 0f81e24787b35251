"""Real-browser end-to-end tests: Playwright's sync API driving Debian's Chromium against
pytest-django's ``live_server`` (a transactional database the browser and the test share).

Requirements: the ``playwright`` package (the ``test`` extra) and ``/usr/bin/chromium``
(``apt-get install chromium``; Playwright's own browser downloads are not used). Without
them the tests are skipped, unless ``CI`` is set: then they fail.

Screenshots of every page visited go to ``$E2E_ARTIFACTS/<test name>/NN-<page>.png``
(default ``build/e2e/`` in the project).
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.core.cache import cache

from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, Screenshots, artifacts_dir, missing_requirement

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def requirements_or_skip() -> None:
    """Skip without the playwright package or Chromium; under CI fail instead."""
    problem = missing_requirement()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"e2e tests cannot run under CI: {problem}", pytrace=False)
        pytest.skip(problem)


class Chromium:
    """The session's one headless Chromium: started by the first e2e test, stopped after the
    last one, so that Playwright's event loop does not outlive the e2e tests."""

    def __init__(self) -> None:
        self.playwright: Any = None
        self.browser: Any = None
        self.saved_env: str | None = None

    def ensure(self) -> Any:
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            # Playwright's sync API keeps an asyncio event loop running in this thread, and
            # Django then refuses ORM calls from it (SynchronousOnlyOperation). The test thread
            # only sets up records and reads them back while the browser waits, so the check is
            # switched off while Playwright runs: the documented workaround for Playwright with
            # pytest-django.
            self.saved_env = os.environ.get(ASYNC_UNSAFE)
            os.environ[ASYNC_UNSAFE] = "true"
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        return self.browser

    def stop(self) -> None:
        if self.playwright is None:
            return
        try:
            if self.browser is not None:
                self.browser.close()
        finally:
            self.playwright.stop()
            self.playwright = self.browser = None
            if self.saved_env is None:
                os.environ.pop(ASYNC_UNSAFE, None)
            else:
                os.environ[ASYNC_UNSAFE] = self.saved_env


SESSION_CHROMIUM = Chromium()


@pytest.fixture
def browser() -> Any:
    """The session's Chromium (one for all e2e tests); each test opens contexts of its own."""
    requirements_or_skip()
    return SESSION_CHROMIUM.ensure()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After the last e2e test in a row (and its fixtures' teardown), stop Chromium and
    Playwright's event loop: the tests that follow run without them, and with Django's
    async-safety check back on."""
    result = yield
    if nextitem is None or "browser" not in getattr(nextitem, "fixturenames", ()):
        SESSION_CHROMIUM.stop()
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep the test's outcome on it, for the fixtures that screenshot a failure."""
    report = yield
    if report.when == "call":
        item.e2e_call_report = report  # type: ignore[attr-defined]
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    SESSION_CHROMIUM.stop()


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Uploads in the test's own directory; the objection rate limit (in the cache, which
    outlives a test's database) starts from zero."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shots(request) -> Screenshots:
    """Screenshots of this test, in a directory of its own (emptied first)."""
    return Screenshots(artifacts_dir() / re.sub(r"[^\w.-]+", "_", request.node.name))
