"""The second factor (django-otp): required of the roles in OTP_REQUIRED_ROLES only — enrol an
authenticator (QR code, ten single-use recovery codes shown once), then verify at each
sign-in; no other page before; the API token needs an "otp" too."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from administration.people import services
from tests.administration.people.conftest import event_rows, page_errors
from workflows.exceptions import TransitionConflict

pytestmark = pytest.mark.django_db


@pytest.fixture
def otp_on(settings):
    settings.OTP_REQUIRED_ROLES = ["cast_staff", "auditor"]
    return settings


def code_for(user: User, *, steps_ahead: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def enrol(user: User) -> tuple[Client, list[str]]:
    """Enrol through the pages; the client's session is verified after."""
    client = signed_in(user)
    assert client.get("/second-factor/").status_code == 200
    response = client.post("/second-factor/", {"code": code_for(user), "next": "/applications/"})
    assert response.status_code == 302 and response["Location"] == "/second-factor/codes/"
    page = client.get("/second-factor/codes/").content.decode()
    return client, re.findall(r'<code class="recovery-code">([a-z2-7]+)</code>', page)


def test_only_the_roles_in_the_setting_must_enrol(otp_on, users):
    staff = signed_in(users["cast_staff"])
    response = staff.get("/applications/")
    assert response.status_code == 302 and response["Location"] == "/second-factor/?next=%2Fapplications%2F"
    auditor = signed_in(users["auditor"]).get("/manage/people/")
    assert auditor.status_code == 302 and auditor["Location"].startswith("/second-factor/?next=")
    # Other roles sign in as before: an applicant, a reviewer, CAST's content reviewer (not listed here).
    for name in ("applicant_csf_br1", "reviewer_csf", "content_cast", "expert_1"):
        assert signed_in(users[name]).get("/applications/").status_code == 200, name
    otp_on.OTP_REQUIRED_ROLES = []
    assert signed_in(users["cast_staff"]).get("/applications/").status_code == 200


def test_the_base_settings_require_it_of_staff_content_reviewers_and_the_auditor():
    from config.settings import base

    assert base.OTP_REQUIRED_ROLES == ["cast_staff", "content_reviewer", "auditor"]


def test_enrolment_qr_code_recovery_codes_once_and_audited(otp_on, users):
    user = users["cast_staff"]
    client = signed_in(user)
    page = client.get("/second-factor/?next=/applications/")
    text = page.content.decode()
    assert page.status_code == 200
    assert '<svg role="img" aria-label="二维码：用身份验证器扫描" class="qr"' in text and "<path" in text
    assert "style=" not in text.split("<svg", 1)[1].split("</svg>", 1)[0]
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    assert "otpauth://totp/Zhihui%3Acast_staff" in device.config_url
    # Every other page waits; enrolment, logout and the language switch do not.
    assert client.get("/manage/people/").status_code == 302
    assert client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}).status_code == 302

    wrong = client.post("/second-factor/", {"code": "000000"})
    assert wrong.status_code == 400 and page_errors(wrong) == ["验证码不正确，请输入身份验证器当前显示的 6 位数字"]
    empty = client.post("/second-factor/", {"code": ""})
    assert page_errors(empty) == ["请填写“验证码”"]
    ok = client.post("/second-factor/", {"code": code_for(user), "next": "/applications/"})
    assert ok.status_code == 302 and ok["Location"] == "/second-factor/codes/"
    codes_page = client.get("/second-factor/codes/")
    codes = re.findall(r'<code class="recovery-code">([a-z2-7]+)</code>', codes_page.content.decode())
    assert len(codes) == len(set(codes)) == 10
    assert 'href="/applications/"' in codes_page.content.decode()
    # Shown once.
    assert client.get("/second-factor/codes/").status_code == 302
    assert sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == sorted(codes)
    assert TOTPDevice.objects.get(user=user).confirmed is True
    # This session is verified: the site is open.
    assert client.get("/applications/").status_code == 200
    assert event_rows(user) == [
        (
            "second_factor_added",
            "cast_staff",
            "",
            {"changes": {"second_factor": {"before": False, "after": True}}, "recovery_codes": 10},
        )
    ]
    assert "两步验证已启用" in client.get("/second-factor/").content.decode()


def test_each_sign_in_verifies_and_nothing_opens_before(otp_on, users):
    user = users["cast_staff"]
    enrol(user)
    client = signed_in(user)
    response = client.get("/manage/people/units/")
    assert (
        response.status_code == 302
        and response["Location"] == "/second-factor/verify/?next=%2Fmanage%2Fpeople%2Funits%2F"
    )
    # The enrol page sends them to verify: a stolen password enrols no second authenticator.
    assert client.get("/second-factor/")["Location"].startswith("/second-factor/verify/")
    with pytest.raises(TransitionConflict):
        services.second_factor_confirm(user=user, code=code_for(user))
    api = client.get("/api/v1/people/units/")
    assert api.status_code == 403 and api.json() == {
        "detail": "该账号须先完成两步验证",
        "errors": ["该账号须先完成两步验证"],
    }
    verified = client.post(
        "/second-factor/verify/", {"code": code_for(user, steps_ahead=1), "next": "/manage/people/units/"}
    )
    assert verified.status_code == 302 and verified["Location"] == "/manage/people/units/"
    assert client.get("/manage/people/units/").status_code == 200
    assert client.get("/api/v1/people/units/").status_code == 200
    # Signing out is always open.
    other = signed_in(user)
    assert other.post("/logout/").status_code == 302


def test_a_used_totp_code_and_wrong_codes_are_refused(otp_on, users):
    otp_on.OTP_TOTP_THROTTLE_FACTOR = 60  # a minute's wait after a failure, however slow the test
    user = users["cast_staff"]
    enrol(user)
    # The code that enrolled the device cannot be used again.
    again = signed_in(user).post("/second-factor/verify/", {"code": code_for(user)})
    assert again.status_code == 400 and page_errors(again) == ["验证码不正确或已使用；多次输错后须稍候再试"]
    # Throttled after a failure: even the right code waits (django-otp's back-off).
    throttled = signed_in(user).post("/second-factor/verify/", {"code": code_for(user, steps_ahead=1)})
    assert throttled.status_code == 400
    empty = signed_in(user).post("/second-factor/verify/", {"code": " "})
    assert page_errors(empty) == ["请填写“验证码”"]


def test_recovery_codes_work_once_each(otp_on, users):
    user = users["cast_staff"]
    _client, codes = enrol(user)
    first = signed_in(user)
    response = first.post("/second-factor/verify/", {"code": codes[0].upper(), "next": "/applications/"})
    assert response.status_code == 302 and response["Location"] == "/applications/"
    assert first.get("/applications/").status_code == 200
    reused = signed_in(user).post("/second-factor/verify/", {"code": codes[0]})
    assert reused.status_code == 400
    assert StaticToken.objects.filter(device__user=user).count() == 9
    detail = signed_in(users["auditor"])
    otp_on.OTP_REQUIRED_ROLES = ["cast_staff"]
    assert "已启用（剩余 9 个恢复码）" in detail.get(f"/manage/people/users/{user.pk}/").content.decode()


def token(username: str, **extra: str) -> tuple[int, dict]:
    response = Client().post(
        "/api/v1/auth/token/",
        {"username": username, "password": "zhihui-demo", **extra},
        content_type="application/json",
    )
    return response.status_code, response.json()


def test_the_api_token_needs_the_second_factor_of_those_roles(otp_on, users):
    assert token("cast_staff") == (
        400,
        {
            "detail": "otp: 该账号须先在网页上启用两步验证，才能获取接口令牌",
            "errors": ["otp: 该账号须先在网页上启用两步验证，才能获取接口令牌"],
        },
    )
    _client, codes = enrol(users["cast_staff"])
    status, answer = token("cast_staff")
    assert (status, answer["errors"]) == (400, ["otp: 请提供两步验证码（otp）：身份验证器显示的 6 位数字或一个恢复码"])
    status, answer = token("cast_staff", otp=codes[1])
    assert status == 200 and len(answer["token"]) == 40
    # The recovery code is used up.
    status, answer = token("cast_staff", otp=codes[1])
    assert (status, answer["errors"]) == (400, ["otp: 两步验证码不正确或已使用；多次输错后须稍候再试"])
    # Roles outside the setting need no code.
    assert token("applicant_csf_br1")[0] == 200
    otp_on.OTP_REQUIRED_ROLES = []
    assert token("cast_staff")[0] == 200


def test_a_totp_code_gives_a_token(otp_on, users):
    enrol(users["cast_staff"])
    status, _answer = token("cast_staff", otp=code_for(users["cast_staff"], steps_ahead=1))
    assert status == 200


def test_cast_staff_remove_a_lost_second_factor_audited(otp_on, users):
    auditor = users["auditor"]
    enrol(auditor)
    staff, _codes = enrol(users["cast_staff"])
    url = f"/manage/people/users/{auditor.pk}/second-factor/remove/"
    missing = staff.post(url, {"reason": ""})
    assert missing.status_code == 400 and page_errors(missing) == ["请填写“理由”"]
    response = staff.post(url, {"reason": "手机丢失"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=auditor).exists()
    assert not StaticToken.objects.filter(device__user=auditor).exists()
    assert [(a, who, why) for a, who, why, _d in event_rows(auditor)] == [
        ("second_factor_added", "auditor", ""),
        ("second_factor_removed", "cast_staff", "手机丢失"),
    ]
    assert event_rows(auditor)[1][3] == {"changes": {"second_factor": {"before": True, "after": False}}}
    # At the next sign-in the auditor enrols again.
    assert signed_in(auditor).get("/applications/")["Location"].startswith("/second-factor/?next=")
    again = staff.post(url, {"reason": "再次"})
    assert again.status_code == 409 and page_errors(again) == ["该账号未启用两步验证"]


def test_only_cast_staff_remove_a_second_factor(users):
    client, _codes = enrol(users["applicant_csf_br1"])
    target = users["applicant_csf_br1"]
    url = f"/manage/people/users/{target.pk}/second-factor/remove/"
    assert signed_in(users["reviewer_csf"]).post(url, {"reason": "x"}).status_code == 403
    assert signed_in(users["auditor"]).post(url, {"reason": "x"}).status_code == 403
    assert signed_in(users["applicant_xuwen"]).post(url, {"reason": "x"}).status_code == 404
    assert TOTPDevice.objects.filter(user=target, confirmed=True).count() == 1
    # Anyone may enrol of their own accord; it is enforced for the listed roles only.
    assert client.get("/applications/").status_code == 200
