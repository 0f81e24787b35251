"""Login lockout (django-axes): five failures of one username from one address lock that pair
out of the login page and the API token for fifteen minutes; the right password does not get
through meanwhile; other users and other addresses are unaffected; a success clears the count."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

PASSWORD = settings.DEMO_PASSWORD
LOCKED_ZH = "登录失败次数过多，该账号在此地址已被暂时锁定，请 15 分钟后再试。"
LOCKED_EN = (
    "Too many failed sign-in attempts: this account is locked from this address for now. Please try again in 15 min."
)
WRONG_ZH = "用户名或密码不正确，请重试。"
HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"


def page_login(username: str, password: str, ip: str = HOME, client: Client | None = None, **extra):
    client = client or Client()
    response = client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)
    return client, response


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def token(username: str, password: str, ip: str = HOME, **extra):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip, **extra
    )


def fail_on_page(username: str, times: int, ip: str = HOME) -> list[int]:
    return [page_login(username, "wrong-password", ip)[1].status_code for _ in range(times)]


def fail_on_api(username: str, times: int, ip: str = HOME) -> list[int]:
    return [token(username, "wrong-password", ip).status_code for _ in range(times)]


def test_the_settings_say_five_failures_per_username_and_address_for_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == dt.timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_RESET_ON_SUCCESS is True


def test_the_login_page_locks_after_five_failures_even_for_the_right_password(users):
    assert fail_on_page("reviewer_csf", 4) == [200, 200, 200, 200]
    _client, fifth = page_login("reviewer_csf", "wrong-password")
    assert fifth.status_code == 429
    client, sixth = page_login("reviewer_csf", PASSWORD)
    assert sixth.status_code == 429
    assert not signed_in(client)
    page = sixth.content.decode()
    # The login page again, with the message and the form, not a bare error text.
    assert LOCKED_ZH in page
    assert WRONG_ZH not in page
    assert 'role="alert"' in page and 'name="password"' in page and "csrfmiddlewaretoken" in page
    assert sixth["Retry-After"] == "900"


def test_the_api_token_locks_after_five_failures_even_for_the_right_password(users):
    assert fail_on_api("cast_staff", 4) == [400, 400, 400, 400]
    assert fail_on_api("cast_staff", 1) == [429]
    response = token("cast_staff", PASSWORD)
    assert (response.status_code, response.json()) == (429, {"detail": LOCKED_ZH, "errors": [LOCKED_ZH]})
    assert response["Retry-After"] == "900"
    assert not Token.objects.filter(user=users["cast_staff"]).exists()


def test_the_message_is_english_when_asked(users):
    fail_on_api("auditor", 5)
    response = token("auditor", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()["detail"]) == (429, LOCKED_EN)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _client, response = page_login("auditor", PASSWORD, client=client)
    assert response.status_code == 429
    assert LOCKED_EN in response.content.decode()


def test_page_and_api_failures_count_together(users):
    fail_on_page("expert_1", 3)
    assert fail_on_api("expert_1", 2) == [400, 429]
    assert page_login("expert_1", PASSWORD)[1].status_code == 429


def test_another_user_and_another_address_are_unaffected(users):
    fail_on_page("reviewer_csf", 5)
    assert page_login("reviewer_csf", PASSWORD)[1].status_code == 429
    # The same user from another address, another user from the same address.
    client, response = page_login("reviewer_csf", PASSWORD, ip=ELSEWHERE)
    assert (response.status_code, response["Location"], signed_in(client)) == (302, "/", True)
    client, response = page_login("content_csf", PASSWORD)
    assert (response.status_code, signed_in(client)) == (302, True)
    assert token("reviewer_csf", PASSWORD, ip=ELSEWHERE).status_code == 200
    assert token("content_csf", PASSWORD).status_code == 200
    assert token("reviewer_csf", PASSWORD).status_code == 429


def test_an_unknown_username_is_counted_like_a_known_one(users):
    assert fail_on_page("nobody_at_all", 5) == [200, 200, 200, 200, 429]
    assert fail_on_api("nobody_at_all", 1) == [429]


def test_the_lockout_ends_after_the_cool_off(users):
    fail_on_page("reviewer_gd_cast", 5)
    fail_on_api("applicant_xuwen", 5)
    # Fourteen minutes later: still locked, and told how long is left.
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14))
    _client, response = page_login("reviewer_gd_cast", PASSWORD)
    assert response.status_code == 429
    assert "请 1 分钟后再试" in response.content.decode()
    assert token("applicant_xuwen", PASSWORD).status_code == 429
    # Sixteen minutes after the last failure the pair may log in again.
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    client, response = page_login("reviewer_gd_cast", PASSWORD)
    assert (response.status_code, signed_in(client)) == (302, True)
    assert token("applicant_xuwen", PASSWORD).status_code == 200


def test_attempts_during_the_lockout_do_not_extend_it(users):
    """The cool-off runs from the fifth failure: knocking again meanwhile does not move it."""
    fail_on_page("expert_3", 5)
    before = AccessAttempt.objects.get(username="expert_3").attempt_time
    assert fail_on_page("expert_3", 3) == [429, 429, 429]
    assert page_login("expert_3", PASSWORD)[1].status_code == 429
    assert token("expert_3", PASSWORD).status_code == 429
    attempt = AccessAttempt.objects.get(username="expert_3")
    assert (attempt.attempt_time, attempt.failures_since_start) == (before, 5)


def test_a_success_clears_the_count(users):
    assert fail_on_page("content_cast", 4) == [200] * 4
    client, response = page_login("content_cast", PASSWORD)
    assert (response.status_code, signed_in(client)) == (302, True)
    assert not AccessAttempt.objects.filter(username="content_cast").exists()
    assert fail_on_page("content_cast", 4) == [200] * 4
    # Through the API as well.
    assert fail_on_api("applicant_gd_fish", 4) == [400] * 4
    assert token("applicant_gd_fish", PASSWORD).status_code == 200
    assert not AccessAttempt.objects.filter(username="applicant_gd_fish").exists()
    assert fail_on_api("applicant_gd_fish", 4) == [400] * 4
    assert token("applicant_gd_fish", PASSWORD).status_code == 200


@pytest.mark.parametrize("proxies", [0, 1])
def test_a_forged_forwarded_for_does_not_escape_the_lockout(settings, users, proxies):
    """The address is the one the audit trail uses (workflows.api.mixins.client_ip): with no
    trusted proxy, X-Forwarded-For is ignored; behind one, only the hop it appended counts."""
    settings.TRUSTED_PROXY_COUNT = proxies
    proxy = "192.0.2.10"

    def attempt(password: str, forged: str) -> int:
        real = [HOME] if proxies else []
        forwarded = ", ".join([forged, *real])
        remote = proxy if proxies else HOME
        return token("expert_4", password, ip=remote, HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [attempt("wrong-password", f"203.0.113.{i}") for i in range(5)] == [400, 400, 400, 400, 429]
    assert attempt(PASSWORD, "198.51.100.99") == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HOME}
