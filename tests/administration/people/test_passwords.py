"""Passwords through Django's auth views: a change when signed in, a reset by an e-mailed,
single-use link written to the outbox; each saved through the audited service."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import User
from tests.administration.people.conftest import event_rows, link_in, mails_to

pytestmark = pytest.mark.django_db

OLD = "zhihui-demo"
NEW = "Kexie-Zhiyuan-2026"


def errors(response) -> list[str]:
    import html

    block = re.search(r'class="card error-summary".*?<ul>(.*?)</ul>', response.content.decode(), re.S)
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)] if block else []


def test_a_signed_in_user_changes_their_password_audited(as_user, users):
    client = as_user("applicant_csf_br1")
    assert client.get("/password/change/").status_code == 200
    wrong = client.post("/password/change/", {"old_password": "nope", "new_password1": "123", "new_password2": "124"})
    assert wrong.status_code == 200
    assert errors(wrong) == ["你的旧密码不正确。请重新输入。", "输入的两个密码不一致。"]
    response = client.post("/password/change/", {"old_password": OLD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302 and response["Location"] == "/password/change/done/"
    user = User.objects.get(username="applicant_csf_br1")
    assert user.check_password(NEW)
    assert event_rows(user) == [("password_changed", "applicant_csf_br1", "", {"changes": {}})]
    # Still signed in (Django keeps the session's hash up to date).
    assert client.get("/applications/").status_code == 200
    assert Client().get("/password/change/").status_code == 302


def test_a_password_reset_by_an_emailed_single_use_link(users, settings):
    settings.SITE_URL = "https://zhihui.example.org"
    user = users["applicant_csf_br1"]
    client = Client()
    assert client.get("/password/reset/").status_code == 200
    response = client.post("/password/reset/", {"email": "APPLICANT_csf_br1@demo.zhihui.local"})
    assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    [mail] = mails_to(user.email)
    assert (mail.message_key, mail.status, mail.context["subject"]) == (
        "password_reset",
        "pending",
        "【找回密码】重设您的密码",
    )
    assert mail.context["text"].startswith(f"{user.display_name}（applicant_csf_br1）：")
    assert "https://zhihui.example.org/password/reset/" in mail.context["text"]
    assert "链接 24 小时内有效，只能使用一次" in mail.context["text"]
    path = link_in(mail.context["text"])
    opened = client.get(path)
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")
    form_page = client.get(opened["Location"])
    assert form_page.status_code == 200 and "设置新密码" in form_page.content.decode()
    bad = client.post(opened["Location"], {"new_password1": "12345678", "new_password2": "12345678"})
    assert errors(bad) == ["这个密码太常见了。", "密码只包含数字。"]
    done = client.post(opened["Location"], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/password/reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert event_rows(user) == [("password_reset", "applicant_csf_br1", "", {"changes": {}})]
    assert Client().login(username="applicant_csf_br1", password=NEW)
    # The link worked once: the new password ended it.
    again = Client().get(path)
    assert again.status_code == 200 and "该重设链接无效" in again.content.decode()


def test_no_mail_for_an_unknown_or_inactive_address(users):
    User.objects.filter(username="applicant_xuwen").update(is_active=False)
    for email in ("nobody@example.com", users["applicant_xuwen"].email):
        response = Client().post("/password/reset/", {"email": email})
        # The same answer either way: the page does not tell which addresses have accounts.
        assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    assert mails_to("nobody@example.com") == [] and mails_to(users["applicant_xuwen"].email) == []
    invalid = Client().post("/password/reset/", {"email": "not-an-address"})
    assert invalid.status_code == 200 and errors(invalid) == ["请输入合法的邮件地址。"]
