"""Session expiry: a signed-in session lasts SESSION_COOKIE_AGE (8 hours) at most and its cookie
ends with the browser; once expired, a page sends the visitor to the login page (coming back to
where they were) and the API answers 401, and a form posted with it changes nothing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.applications.builders import application_in
from tests.security.state import snapshot
from workflows.models import Round

EIGHT_HOURS = 8 * 60 * 60


def signed_in(username: str = "reviewer_csf") -> tuple[Client, Session]:
    client = Client()
    response = client.post("/login/", {"username": username, "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    # A browser-session cookie: no lifetime of its own.
    assert (cookie["max-age"], cookie["expires"]) == ("", "")
    return client, Session.objects.get(session_key=cookie.value)


def age_session(session: Session, seconds: int) -> None:
    """As if the session had been started ``seconds`` earlier."""
    session.refresh_from_db()
    Session.objects.filter(pk=session.pk).update(expire_date=session.expire_date - dt.timedelta(seconds=seconds))


def test_sessions_last_eight_hours_and_end_with_the_browser(users):
    assert settings.SESSION_COOKIE_AGE == EIGHT_HOURS
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    before = timezone.now()
    _client, session = signed_in()
    lifetime = (session.expire_date - before).total_seconds()
    assert EIGHT_HOURS - 5 <= lifetime <= EIGHT_HOURS + 5


def test_an_expired_session_sends_pages_to_login_and_the_api_answers_401(users):
    client, session = signed_in()
    assert client.get("/applications/").status_code == 200
    assert client.get("/api/v1/applications/").status_code == 200
    # A minute before the eight hours are up it still works.
    age_session(session, EIGHT_HOURS - 60)
    assert client.get("/applications/").status_code == 200
    # Eight hours and a second after signing in.
    age_session(session, 61)
    for page in ("/", "/applications/?state=submitted", "/nominations/", "/workflow/tasks/", "/notifications/"):
        response = client.get(page)
        assert (page, response.status_code) == (page, 302)
        assert response["Location"] == "/login/?next=" + page.replace("?", "%3F").replace("=", "%3D")
    response = client.get("/api/v1/applications/")
    assert (response.status_code, response.json()["detail"]) == (401, "身份认证信息未提供。")
    assert response["WWW-Authenticate"] == "Token"
    response = client.get("/api/v1/inbox/", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()["detail"]) == (401, "Authentication credentials were not provided.")


def test_a_form_posted_with_an_expired_session_changes_nothing(users):
    round_id = Round.objects.get(kind="application").pk
    app_id = application_in(users, round_id, "submitted", "applicant_csf_br1")
    client, session = signed_in("reviewer_csf")
    age_session(session, EIGHT_HOURS + 1)
    before = snapshot()
    response = client.post(
        f"/workflow/applications.application/{app_id}/transition/decline/", {"opinion": "不予推荐。"}
    )
    assert (response.status_code, response["Location"].split("?")[0]) == (302, "/login/")
    response = client.post(f"/api/v1/applications/{app_id}/transitions/decline/", {"opinion": "不予推荐。"})
    assert response.status_code == 401
    assert snapshot() == before
    # Signing in again works, and the same step then goes through.
    client, _session = signed_in("reviewer_csf")
    response = client.post(
        f"/workflow/applications.application/{app_id}/transition/decline/", {"opinion": "不予推荐。"}
    )
    assert response.status_code == 302 and snapshot() != before
