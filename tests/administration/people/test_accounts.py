"""Accounts run from the site: roles granted and revoked with a reason (CAST staff any role in
any unit; a recommending unit's reviewer the applicant role in the units below theirs), always
with the account's audit event; accounts deactivated and reactivated (no sign-in, no token)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import Membership, User
from administration.people import services
from tests.administration.people.conftest import event_rows, page_errors
from workflows.exceptions import TransitionForbidden
from workflows.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "zhihui-demo"


def user_url(user: User, tail: str = "") -> str:
    return f"/manage/people/users/{user.pk}/{tail}"


def roles(username: str) -> list[tuple[str, str]]:
    return sorted(Membership.objects.filter(user__username=username).values_list("organization__code", "role"))


def test_cast_staff_grant_any_role_with_the_reason_audited(as_user, users, orgs):
    account = users["applicant_gd_fish"]
    response = as_user("cast_staff").post(
        user_url(account, "grant/"),
        {"organization": orgs["CSF"].pk, "role": "content_reviewer", "reason": "兼任学会内容审核"},
    )
    assert response.status_code == 302 and response["Location"] == user_url(account)
    assert roles("applicant_gd_fish") == [("CSF", "content_reviewer"), ("GD-FISH", "applicant")]
    assert event_rows(account) == [
        (
            "role_granted",
            "cast_staff",
            "兼任学会内容审核",
            {
                "changes": {
                    "roles": {"before": ["GD-FISH:applicant"], "after": ["CSF:content_reviewer", "GD-FISH:applicant"]}
                },
                "role": "content_reviewer",
                "organization": "CSF",
            },
        )
    ]
    event = AuditEvent.objects.get(record_type="accounts.user", record_id=account.pk)
    assert (event.actor_org, event.actor_role, event.client_ip) == ("CAST", "cast_staff", "127.0.0.1")


def test_cast_staff_revoke_a_role_with_the_reason_audited(as_user, users):
    account = users["expert_5"]
    membership = Membership.objects.get(user=account, organization__code="CSF")
    before = roles("expert_5")
    response = as_user("cast_staff").post(
        user_url(account, "revoke/"), {"membership": membership.pk, "reason": "已离开学会"}
    )
    assert response.status_code == 302
    assert roles("expert_5") == [r for r in before if r[0] != "CSF"]
    rows = event_rows(account)
    assert rows == [
        (
            "role_revoked",
            "cast_staff",
            "已离开学会",
            {
                "changes": {
                    "roles": {
                        "before": [f"{code}:{role}" for code, role in before],
                        "after": [f"{code}:{role}" for code, role in before if code != "CSF"],
                    }
                },
                "role": membership.role,
                "organization": "CSF",
            },
        )
    ]


def test_a_reviewer_grants_and_revokes_the_applicant_role_below_their_unit(as_user, users, orgs):
    reviewer = as_user("reviewer_csf")
    account = users["applicant_csf_br1"]
    granted = reviewer.post(
        user_url(account, "grant/"), {"organization": orgs["GD-FISH"].pk, "role": "applicant", "reason": "协助申报"}
    )
    assert granted.status_code == 302
    assert roles("applicant_csf_br1") == [("CSF-BR1", "applicant"), ("GD-FISH", "applicant")]
    membership = Membership.objects.get(user=account, organization__code="GD-FISH")
    revoked = reviewer.post(user_url(account, "revoke/"), {"membership": membership.pk, "reason": "协助结束"})
    assert revoked.status_code == 302
    assert roles("applicant_csf_br1") == [("CSF-BR1", "applicant")]
    assert [(a, who, why, d["role"], d["organization"]) for a, who, why, d in event_rows(account)] == [
        ("role_granted", "reviewer_csf", "协助申报", "applicant", "GD-FISH"),
        ("role_revoked", "reviewer_csf", "协助结束", "applicant", "GD-FISH"),
    ]
    assert set(AuditEvent.objects.filter(record_type="accounts.user").values_list("actor_org", "actor_role")) == {
        ("CSF", "society_reviewer")
    }


def test_a_reviewer_may_not_grant_other_roles_or_elsewhere(as_user, users, orgs):
    reviewer = as_user("reviewer_csf")
    account = users["applicant_csf_br1"]
    refused = reviewer.post(
        user_url(account, "grant/"), {"organization": orgs["GD-CAST"].pk, "role": "society_reviewer", "reason": "x"}
    )
    assert refused.status_code == 400
    assert page_errors(refused) == [
        "“单位”不存在、已停用或不在您的管理范围内",
        "“角色”不是您可以授予的角色",
    ]
    # Their own unit is not below theirs: its roles are CAST's to give.
    own = reviewer.post(
        user_url(account, "grant/"), {"organization": orgs["CSF"].pk, "role": "applicant", "reason": "x"}
    )
    assert page_errors(own) == ["“单位”不存在、已停用或不在您的管理范围内"]
    # A role of the unit's content reviewer: visible, not theirs to revoke.
    content = users["content_csf"]
    membership = Membership.objects.get(user=content)
    taken = reviewer.post(user_url(content, "revoke/"), {"membership": membership.pk, "reason": "越权"})
    assert taken.status_code == 403 and page_errors(taken) == ["您只能撤销您所管理单位的申报人角色"]
    assert roles("applicant_csf_br1") == [("CSF-BR1", "applicant")]
    assert roles("content_csf") == [("CSF", "content_reviewer")]
    assert not AuditEvent.objects.filter(record_type="accounts.user").exists()


def test_the_grant_form_lists_every_problem_at_once(as_user, users, orgs):
    staff = as_user("cast_staff")
    account = users["applicant_csf_br1"]
    response = staff.post(user_url(account, "grant/"), {"organization": "999999", "role": "boss", "reason": ""})
    assert response.status_code == 400
    assert page_errors(response) == [
        "“单位”不存在、已停用或不在您的管理范围内",
        "“角色”不是您可以授予的角色",
        "请填写“理由”",
    ]
    cast_only = staff.post(
        user_url(account, "grant/"), {"organization": orgs["CSF"].pk, "role": "auditor", "reason": "x"}
    )
    assert page_errors(cast_only) == ["“审计员”角色只能属于中国科协"]
    held = staff.post(
        user_url(account, "grant/"), {"organization": orgs["CSF-BR1"].pk, "role": "applicant", "reason": "x"}
    )
    assert page_errors(held) == ["该账号已在“中国水产学会科普工作委员会”担任“申报人”"]
    empty = staff.post(user_url(account, "grant/"), {})
    assert page_errors(empty) == ["请选择“单位”", "请选择“角色”", "请填写“理由”"]
    assert roles("applicant_csf_br1") == [("CSF-BR1", "applicant")]
    assert not AuditEvent.objects.filter(record_type="accounts.user").exists()


def test_the_revoke_form_lists_every_problem_at_once(as_user, users):
    other = Membership.objects.get(user=users["applicant_xuwen"])
    response = as_user("cast_staff").post(
        user_url(users["applicant_csf_br1"], "revoke/"), {"membership": other.pk, "reason": " "}
    )
    assert response.status_code == 400
    assert page_errors(response) == ["该账号没有这个角色", "请填写“理由”"]
    assert Membership.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize(
    "who,status",
    [("auditor", 403), ("applicant_csf_br1", 404), ("content_cast", 404), ("reviewer_gd_cast", 404), (None, 302)],
)
def test_who_may_not_grant(as_user, users, orgs, who, status):
    response = as_user(who).post(
        user_url(users["applicant_csf_br1"], "grant/"),
        {"organization": orgs["GD-FISH"].pk, "role": "applicant", "reason": "越权"},
    )
    assert response.status_code == status
    assert roles("applicant_csf_br1") == [("CSF-BR1", "applicant")]
    assert not AuditEvent.objects.filter(record_type="accounts.user").exists()


@pytest.mark.parametrize(
    "who,listing,mine,other",
    [
        ("cast_staff", 200, 200, 200),
        ("auditor", 200, 200, 200),
        ("reviewer_csf", 200, 200, 404),
        ("reviewer_gd_cast", 200, 404, 200),
        ("applicant_csf_br1", 404, 404, 404),
        ("expert_1", 404, 404, 404),
        (None, 302, 302, 302),
    ],
)
def test_who_sees_which_accounts(as_user, users, who, listing, mine, other):
    client = as_user(who)
    assert client.get("/manage/people/users/").status_code == listing
    assert client.get(user_url(users["applicant_csf_br1"])).status_code == mine
    assert client.get(user_url(users["applicant_xuwen"])).status_code == other


def token(username: str, password: str = PASSWORD) -> tuple[int, dict]:
    response = Client().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, content_type="application/json"
    )
    return response.status_code, response.json()


def test_a_deactivated_account_cannot_sign_in_and_its_token_stops_working(as_user, users):
    account = users["applicant_xuwen"]
    status, answer = token("applicant_xuwen")
    assert status == 200
    old_token = answer["token"]
    session = Client()
    assert session.login(username="applicant_xuwen", password=PASSWORD)
    assert session.get("/applications/").status_code == 200

    response = as_user("cast_staff").post(user_url(account, "deactivate/"), {"reason": "人员调离"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.is_active is False
    assert event_rows(account) == [
        (
            "deactivated",
            "cast_staff",
            "人员调离",
            {"changes": {"is_active": {"before": True, "after": False}}, "tokens_deleted": 1},
        )
    ]
    # The session ends, the login page refuses, no token, the old one is gone.
    assert session.get("/applications/").status_code == 302
    page = Client().post("/login/", {"username": "applicant_xuwen", "password": PASSWORD})
    assert page.status_code == 200 and "用户名或密码不正确" in page.content.decode()
    assert token("applicant_xuwen")[0] == 400
    api = Client().get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {old_token}")
    assert api.status_code == 401
    assert not Token.objects.filter(user=account).exists()

    # Reactivated: signs in again, gets a new token; history kept.
    assert as_user("cast_staff").post(user_url(account, "reactivate/"), {"reason": "返回原岗位"}).status_code == 302
    assert Client().login(username="applicant_xuwen", password=PASSWORD)
    status, answer = token("applicant_xuwen")
    assert status == 200 and answer["token"] != old_token
    assert [(a, why) for a, _who, why, _d in event_rows(account)] == [
        ("deactivated", "人员调离"),
        ("reactivated", "返回原岗位"),
    ]


def test_who_may_deactivate_an_account(as_user, users):
    applicant = users["applicant_csf_br1"]
    # A reviewer: an account whose every role is an applicant's below their unit.
    assert as_user("reviewer_csf").post(user_url(applicant, "deactivate/"), {"reason": "离职"}).status_code == 302
    assert User.objects.get(pk=applicant.pk).is_active is False
    assert as_user("reviewer_csf").post(user_url(applicant, "reactivate/"), {"reason": "返岗"}).status_code == 302
    # Not an account with another role; not one of another unit; not the auditor's to do.
    content = as_user("reviewer_csf").post(user_url(users["content_csf"], "deactivate/"), {"reason": "x"})
    assert content.status_code == 403 and page_errors(content) == ["您没有停用或恢复该账号的权限"]
    assert as_user("reviewer_gd_cast").post(user_url(applicant, "deactivate/"), {"reason": "x"}).status_code == 404
    assert as_user("auditor").post(user_url(applicant, "deactivate/"), {"reason": "x"}).status_code == 403
    assert as_user("applicant_xuwen").post(user_url(applicant, "deactivate/"), {"reason": "x"}).status_code == 404
    # Nobody deactivates themselves.
    me = as_user("cast_staff").post(user_url(users["cast_staff"], "deactivate/"), {"reason": "x"})
    assert me.status_code == 403
    assert User.objects.filter(is_active=False).count() == 0
    missing = as_user("cast_staff").post(user_url(applicant, "deactivate/"), {"reason": ""})
    assert missing.status_code == 400 and page_errors(missing) == ["请填写“理由”"]
    active = as_user("cast_staff").post(user_url(applicant, "reactivate/"), {"reason": "x"})
    assert active.status_code == 409 and page_errors(active) == ["该账号在用，无需恢复"]
    with pytest.raises(TransitionForbidden):
        services.account_deactivate(actor=users["auditor"], user=applicant, reason="x")


def test_a_deactivated_account_is_given_no_role(as_user, users, orgs):
    account = users["applicant_xuwen"]
    as_user("cast_staff").post(user_url(account, "deactivate/"), {"reason": "调离"})
    response = as_user("cast_staff").post(
        user_url(account, "grant/"), {"organization": orgs["CAE"].pk, "role": "applicant", "reason": "x"}
    )
    assert response.status_code == 400 and page_errors(response) == ["账号已停用，不能授予角色"]
