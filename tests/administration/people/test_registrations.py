"""A unit registers itself (public form: the unit under a chosen parent and its first applicant);
the superior recommending unit's reviewer — or CAST staff, for a unit directly under CAST —
approves it (unit, account and applicant role created) or refuses it with a reason."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership, Organization, User
from administration.models import UnitRegistration
from administration.people import services
from notifications.models import Notification
from tests.administration.people.conftest import event_rows, mails_to, page_errors
from workflows.exceptions import TransitionForbidden

pytestmark = pytest.mark.django_db

REGISTER = "/manage/people/register/"
EMAIL = "li.ming@example.com"
PASSWORD = "Shuichan-Kepu-2026"


def form(orgs, **overrides):
    return {
        "parent": orgs["CSF-BR1"].pk,
        "unit_name": "湛江水产科普志愿队",
        "unit_type": "other",
        "username": "liming",
        "display_name": "李明",
        "email": EMAIL,
        "phone": "0759-1234567",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "note": "我们在湛江开展水产养殖科普。",
        **overrides,
    }


def registration_url(registration: UnitRegistration, tail: str = "") -> str:
    return f"/manage/people/registrations/{registration.pk}/{tail}"


def test_a_unit_registers_and_its_recommending_units_reviewer_is_told(orgs, users):
    response = Client().post(REGISTER, form(orgs))
    assert response.status_code == 302 and response["Location"] == "/manage/people/register/done/"
    registration = UnitRegistration.objects.get()
    assert (registration.status, registration.parent.code, registration.username) == ("pending", "CSF-BR1", "liming")
    assert registration.password_hash.startswith("md5$") and PASSWORD not in registration.password_hash
    fields = {
        "parent": orgs["CSF-BR1"].pk,
        "unit_name": "湛江水产科普志愿队",
        "unit_type": "other",
        "username": "liming",
        "display_name": "李明",
        "email": EMAIL,
        "phone": "0759-1234567",
        "status": "pending",
    }
    assert event_rows(registration) == [
        ("registered", "", "", {"changes": {k: {"before": None, "after": v} for k, v in sorted(fields.items())}})
    ]
    told = sorted(
        Notification.objects.filter(message_key="unit_registered").values_list("recipient__username", "channel")
    )
    assert told == [("reviewer_csf", "email"), ("reviewer_csf", "in_app")]
    context = Notification.objects.filter(message_key="unit_registered").first().context
    assert context["title"] == "湛江水产科普志愿队"
    assert context["url"].endswith(f"/manage/people/registrations/{registration.pk}/")


def test_a_unit_directly_under_cast_is_decided_by_cast_staff(orgs):
    Client().post(REGISTER, form(orgs, parent=orgs["CAST"].pk, unit_type="national_society"))
    registration = UnitRegistration.objects.get()
    told = set(Notification.objects.filter(message_key="unit_registered").values_list("recipient__username", flat=True))
    assert told == {"cast_staff"}
    # A recommending unit's reviewer does not decide it, even below their unit: a national
    # society would be a recommending unit of its own.
    assert Client().post(REGISTER, form(orgs, username="zhang", email="z@example.com", unit_type="provincial_cast"))
    other = UnitRegistration.objects.get(username="zhang")
    assert [d.username for d in services.selectors.deciders_of(other)] == ["cast_staff"]
    assert registration.pk != other.pk


def test_the_reviewer_approves_unit_account_and_role_are_created(as_user, orgs):
    Client().post(REGISTER, form(orgs))
    registration = UnitRegistration.objects.get()
    page = as_user("reviewer_csf").get(registration_url(registration))
    assert page.status_code == 200 and "湛江水产科普志愿队" in page.content.decode()
    response = as_user("reviewer_csf").post(registration_url(registration, "approve/"))
    assert response.status_code == 302
    registration.refresh_from_db()
    unit = registration.organization
    user = registration.user
    assert (registration.status, registration.decided_by.username) == ("approved", "reviewer_csf")
    assert (unit.code, unit.name, unit.type, unit.parent.code, unit.recommending_unit.code) == (
        f"CSF-BR1-U{registration.pk}",
        "湛江水产科普志愿队",
        "other",
        "CSF-BR1",
        "CSF",
    )
    assert (user.username, user.email, user.display_name, user.phone) == ("liming", EMAIL, "李明", "0759-1234567")
    assert list(Membership.objects.filter(user=user).values_list("organization_id", "role")) == [(unit.pk, "applicant")]
    assert Client().login(username="liming", password=PASSWORD)
    assert [(a, who) for a, who, _r, _d in event_rows(registration)] == [
        ("registered", ""),
        ("approved", "reviewer_csf"),
    ]
    assert event_rows(registration)[1][3] == {
        "changes": {"status": {"before": "pending", "after": "approved"}},
        "organization": unit.pk,
        "user": user.pk,
    }
    assert [(a, who) for a, who, _r, _d in event_rows(unit)] == [("created", "reviewer_csf")]
    assert event_rows(unit)[0][3]["registration"] == registration.pk
    assert [(a, who, why) for a, who, why, _d in event_rows(user)] == [
        ("created", "reviewer_csf", ""),
        ("role_granted", "reviewer_csf", "单位注册申请已批准"),
    ]
    assert event_rows(user)[1][3] == {
        "changes": {"roles": {"before": [], "after": [f"{unit.code}:applicant"]}},
        "role": "applicant",
        "organization": unit.code,
        "registration": registration.pk,
    }
    [mail] = mails_to(EMAIL)
    assert mail.context["subject"] == "【注册已批准】湛江水产科普志愿队"
    assert f"单位代码为 {unit.code}" in mail.context["text"] and "liming" in mail.context["text"]
    again = as_user("reviewer_csf").post(registration_url(registration, "approve/"))
    assert again.status_code == 409 and page_errors(again) == ["该注册申请已处理"]


def test_the_reviewer_refuses_with_a_reason(as_user, orgs):
    Client().post(REGISTER, form(orgs))
    registration = UnitRegistration.objects.get()
    missing = as_user("reviewer_csf").post(registration_url(registration, "refuse/"), {"reason": ""})
    assert missing.status_code == 400 and page_errors(missing) == ["请填写“理由”"]
    response = as_user("reviewer_csf").post(
        registration_url(registration, "refuse/"), {"reason": "该队伍应由湛江市科协推荐。"}
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert (registration.status, registration.reason) == ("refused", "该队伍应由湛江市科协推荐。")
    assert event_rows(registration)[1] == (
        "refused",
        "reviewer_csf",
        "该队伍应由湛江市科协推荐。",
        {"changes": {"status": {"before": "pending", "after": "refused"}}},
    )
    [mail] = mails_to(EMAIL)
    assert mail.context["subject"] == "【注册未批准】湛江水产科普志愿队"
    assert "理由：该队伍应由湛江市科协推荐。" in mail.context["text"]
    assert not User.objects.filter(username="liming").exists()
    assert not Organization.objects.filter(name="湛江水产科普志愿队").exists()


@pytest.mark.parametrize(
    "who,page,decide",
    [
        ("cast_staff", 200, 302),
        ("reviewer_csf", 200, 302),
        ("auditor", 200, 403),
        ("reviewer_gd_cast", 404, 404),
        ("applicant_csf_br1", 404, 404),
        ("content_csf", 404, 404),
        (None, 302, 302),
    ],
)
def test_who_decides_a_registration(as_user, orgs, who, page, decide):
    Client().post(REGISTER, form(orgs))
    registration = UnitRegistration.objects.get()
    client = as_user(who)
    assert client.get(registration_url(registration)).status_code == page
    response = client.post(registration_url(registration, "refuse/"), {"reason": "不符合条件"})
    assert response.status_code == decide
    registration.refresh_from_db()
    expected = "refused" if who in ("cast_staff", "reviewer_csf") else "pending"
    assert registration.status == expected


def test_the_service_refuses_a_reviewer_of_another_unit(users, orgs):
    Client().post(REGISTER, form(orgs))
    registration = UnitRegistration.objects.get()
    with pytest.raises(TransitionForbidden):
        services.registration_approve(actor=users["reviewer_gd_cast"], registration=registration)
    with pytest.raises(TransitionForbidden):
        services.registration_refuse(actor=users["auditor"], registration=registration, reason="x")


def test_the_registration_form_lists_every_problem_at_once(users, orgs):
    response = Client().post(
        REGISTER,
        {
            "parent": "",
            "unit_name": "",
            "unit_type": "cast",
            "username": "Reviewer_csf",
            "display_name": "",
            "email": "reviewer_csf@DEMO.zhihui.local",
            "password1": "zhihui-kepu-1",
            "password2": "zhihui-kepu-2",
        },
    )
    assert response.status_code == 400
    assert page_errors(response) == [
        "请选择“上级单位”",
        "请填写“单位名称”",
        "请选择可用的“单位类型”",
        "用户名“Reviewer_csf”已被使用",
        "请填写“姓名”",
        "电子邮箱“reviewer_csf@DEMO.zhihui.local”已有账号，请直接登录或找回密码",
        "两次填写的密码不一致",
    ]
    # Passwords are never shown back.
    assert "zhihui-kepu-1" not in response.content.decode()
    assert not UnitRegistration.objects.exists()


def test_a_pending_registration_holds_its_username(orgs):
    assert Client().post(REGISTER, form(orgs)).status_code == 302
    second = Client().post(REGISTER, form(orgs, email="other@example.com"))
    assert page_errors(second) == ["用户名“liming”已被一份待审核的注册申请使用"]


def test_approval_checks_the_username_again(as_user, users, orgs):
    Client().post(REGISTER, form(orgs))
    registration = UnitRegistration.objects.get()
    User.objects.create(username="LiMing", email=EMAIL)
    response = as_user("cast_staff").post(registration_url(registration, "approve/"))
    assert response.status_code == 400
    assert page_errors(response) == ["用户名“liming”已被使用", f"电子邮箱“{EMAIL}”已有账号"]
    assert UnitRegistration.objects.get().status == "pending"


def test_registrations_are_rate_limited_per_address(orgs):
    client = Client()
    for n in range(5):
        assert client.post(REGISTER, form(orgs, username=f"u{n}", email=f"u{n}@example.com")).status_code == 302
    limited = client.post(REGISTER, form(orgs, username="u9", email="u9@example.com"))
    assert limited.status_code == 429
    assert page_errors(limited) == ["同一网络地址一小时内最多提交 5 份注册申请，请稍后再试"]
    assert UnitRegistration.objects.count() == 5


def test_deactivated_units_are_not_offered_as_parents(as_user, orgs):
    staff = as_user("cast_staff")
    staff.post(
        "/manage/people/units/new/", {"parent": orgs["CSF"].pk, "code": "OLD", "name": "旧单位", "type": "other"}
    )
    old = Organization.objects.get(code="OLD")
    staff.post(f"/manage/people/units/{old.pk}/deactivate/", {"reason": "撤销"})
    assert f'value="{old.pk}"' not in Client().get(REGISTER).content.decode()
    refused = Client().post(REGISTER, form(orgs, parent=old.pk))
    assert page_errors(refused) == ["“上级单位”不存在或已停用"]
