"""Invitations by e-mail: an expiring, single-use link, written to the outbox; the invitee sets
their own password and gets the membership the invitation named — every step audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, User
from administration.models import Invitation
from administration.people import services
from notifications.tasks import deliver_notification
from tests.administration.people.conftest import event_rows, link_in, mails_to, page_errors
from workflows.exceptions import TransitionConflict, TransitionForbidden
from workflows.models import AuditEvent

pytestmark = pytest.mark.django_db

INVITE = "/manage/people/invitations/"
EMAIL = "wang.li@example.com"
NEW_PASSWORD = "Haiyang-Kepu-2026"


def invite(client: Client, orgs, *, unit: str = "CSF-BR1", role: str = "applicant", email: str = EMAIL):
    return client.post(INVITE, {"email": email, "display_name": "王丽", "organization": orgs[unit].pk, "role": role})


def accept_data(**overrides: str) -> dict[str, str]:
    return {
        "username": "wangli",
        "display_name": "王丽",
        "phone": "13800000000",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }


def test_a_reviewer_invites_an_applicant_who_sets_a_password_and_signs_in(as_user, users, orgs, settings):
    settings.SITE_URL = "https://zhihui.example.org"
    reviewer = as_user("reviewer_csf")
    started = timezone.now()
    response = invite(reviewer, orgs)
    assert response.status_code == 302 and response["Location"] == INVITE
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.organization.code, invitation.role, invitation.invited_by.username) == (
        EMAIL,
        "CSF-BR1",
        "applicant",
        "reviewer_csf",
    )
    assert started + dt.timedelta(days=7) <= invitation.expires_at <= timezone.now() + dt.timedelta(days=7)
    # The e-mail is in the outbox, with the link (only its digest is stored).
    [mail] = mails_to(EMAIL)
    assert (mail.status, mail.message_key, mail.recipient) == ("pending", "invitation", None)
    assert mail.context["subject"] == "【邀请】加入“中国水产学会科普工作委员会”"
    assert "邀请您以“申报人”身份加入“中国水产学会科普工作委员会”" in mail.context["text"]
    assert "https://zhihui.example.org/manage/people/join/" in mail.context["text"]
    path = link_in(mail.context["text"])
    token = path.split("/")[-2]
    assert invitation.token_hash == services.token_digest(token) and token not in invitation.token_hash
    fields = {
        "email": EMAIL,
        "display_name": "王丽",
        "organization": orgs["CSF-BR1"].pk,
        "role": "applicant",
        "expires_at": invitation.expires_at.isoformat(),
    }
    assert event_rows(invitation)[0] == (
        "invited",
        "reviewer_csf",
        "",
        {"changes": {k: {"before": None, "after": v} for k, v in sorted(fields.items())}},
    )

    invitee = Client()
    page = invitee.get(path)
    assert page.status_code == 200 and "邀请您以“申报人”身份加入“中国水产学会科普工作委员会”" in page.content.decode()
    done = invitee.post(path, accept_data())
    assert done.status_code == 302 and done["Location"] == "/login/"
    user = User.objects.get(username="wangli")
    assert (user.email, user.display_name, user.phone, user.is_active) == (EMAIL, "王丽", "13800000000", True)
    assert list(Membership.objects.filter(user=user).values_list("organization__code", "role")) == [
        ("CSF-BR1", "applicant")
    ]
    invitation.refresh_from_db()
    assert invitation.user == user and invitation.accepted_at is not None
    assert [(a, who) for a, who, _r, _d in event_rows(invitation)] == [
        ("invited", "reviewer_csf"),
        ("invitation_accepted", "wangli"),
    ]
    assert event_rows(user) == [
        (
            "invitation_accepted",
            "wangli",
            "",
            {
                "changes": {
                    "display_name": {"before": None, "after": "王丽"},
                    "email": {"before": None, "after": EMAIL},
                    "is_active": {"before": None, "after": True},
                    "phone": {"before": None, "after": "13800000000"},
                    "username": {"before": None, "after": "wangli"},
                },
                "invitation": invitation.pk,
            },
        ),
        (
            "role_granted",
            "reviewer_csf",
            "接受邀请",
            {
                "changes": {"roles": {"before": [], "after": ["CSF-BR1:applicant"]}},
                "role": "applicant",
                "organization": "CSF-BR1",
                "invitation": invitation.pk,
            },
        ),
    ]
    assert Client().login(username="wangli", password=NEW_PASSWORD)


def test_an_invitation_link_works_once(as_user, orgs):
    invite(as_user("cast_staff"), orgs)
    path = link_in(mails_to(EMAIL)[0].context["text"])
    assert Client().post(path, accept_data()).status_code == 302
    again = Client().get(path)
    assert again.status_code == 410 and "该邀请链接已使用过，请直接登录" in again.content.decode()
    second = Client().post(path, accept_data(username="wangli2"))
    assert second.status_code == 410
    token = path.split("/")[-2]
    with pytest.raises(TransitionConflict) as refused:
        services.invitation_accept(token=token, data=accept_data(username="wangli3"))
    assert refused.value.errors == ["该邀请链接已使用过，请直接登录"]
    assert list(User.objects.filter(username__startswith="wangli").values_list("username", flat=True)) == ["wangli"]


def test_an_invitation_expires_after_the_setting(as_user, orgs, settings):
    settings.INVITATION_DAYS = 2
    invite(as_user("cast_staff"), orgs)
    invitation = Invitation.objects.get()
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        dt.timedelta(days=2), abs=dt.timedelta(seconds=5)
    )
    path = link_in(mails_to(EMAIL)[0].context["text"])
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = Client().post(path, accept_data())
    assert expired.status_code == 410
    assert "该邀请链接已过期，请联系邀请人重新邀请" in expired.content.decode()
    assert not User.objects.filter(username="wangli").exists()
    assert [a for a, *_rest in event_rows(invitation)] == ["invited"]
    assert Invitation.objects.get().get_status_display() == "已过期"


def test_an_unknown_link_is_not_found():
    assert Client().get("/manage/people/join/not-a-token/").status_code == 404
    assert Client().post("/manage/people/join/not-a-token/", accept_data()).status_code == 404


def test_the_accept_form_lists_every_problem_at_once(as_user, orgs):
    invite(as_user("cast_staff"), orgs)
    path = link_in(mails_to(EMAIL)[0].context["text"])
    response = Client().post(
        path, {"username": "reviewer_CSF", "display_name": "", "password1": "12345678", "password2": "12345679"}
    )
    assert response.status_code == 400
    assert page_errors(response) == ["用户名“reviewer_CSF”已被使用", "请填写“姓名”", "两次填写的密码不一致"]
    weak = Client().post(path, accept_data(username="wang li", password1="12345678", password2="12345678"))
    assert page_errors(weak) == ["“用户名”只能包含字母、数字和 @ . + - _", "这个密码太常见了。", "密码只包含数字。"]
    similar = Client().post(path, accept_data(password1="wang.li@example", password2="wang.li@example"))
    assert page_errors(similar) == ["密码跟 电子邮件地址 太相似了。"]
    empty = Client().post(path, {})
    assert page_errors(empty) == ["请填写“用户名”", "请填写“姓名”", "请填写“密码”", "请再次填写密码"]
    assert not User.objects.filter(email=EMAIL).exists()


def test_the_invitation_form_lists_every_problem_at_once(as_user, users, orgs):
    reviewer = as_user("reviewer_csf")
    response = reviewer.post(
        INVITE, {"email": "not-an-address", "organization": orgs["GD-CAST"].pk, "role": "cast_staff"}
    )
    assert response.status_code == 400
    assert page_errors(response) == [
        "“电子邮箱”格式不正确",
        "“单位”不存在、已停用或不在您的管理范围内",
        "“角色”不是您可以授予的角色",
    ]
    existing = reviewer.post(INVITE, {"email": "REVIEWER_CSF@demo.zhihui.local", "organization": orgs["CSF-BR1"].pk})
    assert page_errors(existing) == [
        "电子邮箱“REVIEWER_CSF@demo.zhihui.local”已有账号：请在账号页面直接授予角色",
        "请选择“角色”",
    ]
    cast_only = as_user("cast_staff").post(INVITE, {"email": EMAIL, "organization": orgs["CSF"].pk, "role": "auditor"})
    assert page_errors(cast_only) == ["“审计员”角色只能属于中国科协"]
    assert not Invitation.objects.exists() and mails_to(EMAIL) == []


@pytest.mark.parametrize("who,status", [("auditor", 403), ("applicant_csf_br1", 404), ("expert_1", 404), (None, 302)])
def test_who_may_not_invite(as_user, orgs, who, status):
    assert invite(as_user(who), orgs).status_code == status
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(record_type="administration.invitation").exists()


def test_cast_staff_invite_to_any_role_a_reviewer_to_their_units_only(as_user, users, orgs):
    assert (
        invite(as_user("cast_staff"), orgs, unit="CAST", role="expert", email="expert9@example.com").status_code == 302
    )
    assert invite(as_user("reviewer_gd_cast"), orgs, unit="GD-XW-CAST", email="xw2@example.com").status_code == 302
    assert invite(as_user("reviewer_gd_cast"), orgs, unit="CSF-BR1", email="x@example.com").status_code == 400
    with pytest.raises(TransitionForbidden):
        services.invitation_create(actor=users["content_csf"], data={"email": "y@example.com"})
    assert sorted(Invitation.objects.values_list("email", "organization__code", "role")) == [
        ("expert9@example.com", "CAST", "expert"),
        ("xw2@example.com", "GD-XW-CAST", "applicant"),
    ]
    # Each sees the invitations of their units.
    assert EMAIL not in as_user("reviewer_csf").get(INVITE).content.decode()
    text = as_user("reviewer_gd_cast").get(INVITE).content.decode()
    assert "xw2@example.com" in text and "expert9@example.com" not in text
    assert "expert9@example.com" in as_user("auditor").get(INVITE).content.decode()


def test_the_invitation_mail_waits_in_the_outbox_while_the_mail_server_is_down(
    as_user, orgs, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(as_user("cast_staff"), orgs).status_code == 302
    [row] = mails_to(EMAIL)
    assert row.status in ("pending", "failed") and row.last_error == "ConnectionRefusedError('smtp down')"
    assert Invitation.objects.count() == 1
    # The server is back: the row is sent as written (the relay re-enqueues pending rows).
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    type(row).objects.filter(pk=row.pk).update(status="pending")
    assert deliver_notification.apply(args=[row.pk]).get() == "sent"
    [sent] = mailoutbox
    assert sent.to == [EMAIL] and sent.subject == "【邀请】加入“中国水产学会科普工作委员会”"
    assert link_in(sent.body).startswith("/manage/people/join/")
