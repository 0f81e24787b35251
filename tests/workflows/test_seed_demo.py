"""`manage.py seed_demo`: exactly the demo organizations, users and open rounds of docs/api.md."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Membership, Organization, User
from workflows.models import Round, SensitiveTerm

ORGS = [
    # (code, name, type, parent, pilot county, recommending unit)
    ("CAE", "中国农学会", "national_society", "CAST", False, "CAE"),
    ("CAST", "中国科协", "cast", None, False, None),
    ("CSF", "中国水产学会", "national_society", "CAST", False, "CSF"),
    ("CSF-BR1", "中国水产学会科普工作委员会", "society_branch", "CSF", False, "CSF"),
    ("GD-AGRI", "广东省农学会", "provincial_society", "CAE", False, "GD-CAST"),
    ("GD-CAST", "广东省科协", "provincial_cast", "CAST", False, "GD-CAST"),
    # Its channel set to CSF (seed_demo.CHANNELS).
    ("GD-FISH", "广东省水产学会", "provincial_society", "CSF", False, "CSF"),
    ("GD-XW-CAST", "徐闻县科协", "county_cast", "GD-ZJ-CAST", True, "GD-CAST"),
    ("GD-ZJ-CAST", "湛江市科协", "city_cast", "GD-CAST", False, "GD-CAST"),
    ("SZ-CAST", "深圳市科协", "subprovincial_city_cast", "CAST", False, "SZ-CAST"),
    ("XJBT-CAST", "新疆生产建设兵团科协", "corps_cast", "CAST", False, "XJBT-CAST"),
]

MEMBERSHIPS = [
    ("applicant_csf", "CSF", "applicant"),
    ("applicant_csf_br1", "CSF-BR1", "applicant"),
    ("applicant_gd_agri", "GD-AGRI", "applicant"),
    ("applicant_gd_fish", "GD-FISH", "applicant"),
    ("applicant_sz_cast", "SZ-CAST", "applicant"),
    ("applicant_xjbt", "XJBT-CAST", "applicant"),
    ("applicant_xuwen", "GD-XW-CAST", "applicant"),
    ("auditor", "CAST", "auditor"),
    ("cast_staff", "CAST", "cast_staff"),
    ("content_cast", "CAST", "content_reviewer"),
    ("content_csf", "CSF", "content_reviewer"),
    ("content_gd_cast", "GD-CAST", "content_reviewer"),
    ("content_sz_cast", "SZ-CAST", "content_reviewer"),
    ("expert_1", "CAST", "expert"),
    ("expert_2", "CAST", "expert"),
    ("expert_3", "CAST", "expert"),
    ("expert_4", "CAST", "expert"),
    ("expert_5", "CAST", "expert"),
    ("expert_5", "CSF", "expert"),
    ("reviewer_csf", "CSF", "society_reviewer"),
    ("reviewer_gd_cast", "GD-CAST", "society_reviewer"),
    ("reviewer_sz_cast", "SZ-CAST", "society_reviewer"),
]

USERNAMES = sorted({m[0] for m in MEMBERSHIPS})


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "rounds": Round.objects.count(),
        "sensitive_terms": SensitiveTerm.objects.count(),
    }


def org_rows() -> list[tuple]:
    return list(
        Organization.objects.order_by("code").values_list(
            "code", "name", "type", "parent__code", "pilot_county", "recommending_unit__code"
        )
    )


def membership_rows() -> list[tuple]:
    return list(
        Membership.objects.order_by("user__username", "organization__code", "role").values_list(
            "user__username", "organization__code", "role"
        )
    )


def test_seed_demo_creates_exactly_the_demo_organizations_and_users(db):
    output = seed()

    assert output == (
        "演示数据已就绪（demo data ready）。登录 http://127.0.0.1:8000/login/ ，"
        "用户名如 applicant_csf_br1、reviewer_csf、cast_staff，密码 zhihui-demo\n"
    )
    assert org_rows() == ORGS
    assert sorted(User.objects.values_list("username", flat=True)) == USERNAMES
    assert len(USERNAMES) == 21
    assert membership_rows() == MEMBERSHIPS
    assert counts() == {
        "organizations": 11,
        "users": 21,
        "memberships": 22,
        "rounds": 2,
        "sensitive_terms": 5,
    }


def test_seed_demo_opens_one_round_of_each_kind(db):
    seed()
    year = timezone.localdate().year

    rounds = sorted(Round.objects.values_list("year", "kind", "title", "notice_working_days"))
    assert rounds == [
        (year, "application", f"{year}年度科技志愿服务“智惠行动”项目", 5),
        (year, "selection", f"{year}年度科技志愿服务“四个十佳”选树", 5),
    ]
    for round_ in Round.objects.all():
        assert [round_.window_problem(w) for w in Round.WINDOWS] == [None, None, None]
        round_.full_clean()


@pytest.mark.parametrize("username", USERNAMES)
def test_every_demo_user_can_log_in(db, username):
    seed()

    user = authenticate(username=username, password="zhihui-demo")

    assert user is not None
    assert user.username == username
    assert authenticate(username=username, password="wrong-password") is None


def test_demo_password_comes_from_the_settings(db, settings):
    settings.DEMO_PASSWORD = "another-demo-pw"

    seed()

    assert authenticate(username="cast_staff", password="another-demo-pw") is not None
    assert authenticate(username="cast_staff", password="zhihui-demo") is None


def test_seed_demo_is_idempotent(db):
    seed()
    before = (counts(), org_rows(), membership_rows(), list(Round.objects.values_list("pk")))
    passwords = dict(User.objects.values_list("username", "password"))

    seed()

    assert (counts(), org_rows(), membership_rows(), list(Round.objects.values_list("pk"))) == before
    # The passwords still match: they are not hashed again.
    assert dict(User.objects.values_list("username", "password")) == passwords


def test_seed_demo_repairs_a_changed_demo_tree_and_password(db):
    seed()
    Organization.objects.filter(code="GD-XW-CAST").update(
        parent=Organization.objects.get(code="CAST"), pilot_county=False, recommending_unit=None
    )
    cast_staff = User.objects.get(username="cast_staff")
    cast_staff.set_password("changed-by-someone")
    cast_staff.save()

    seed()

    assert org_rows() == ORGS
    assert authenticate(username="cast_staff", password="zhihui-demo") is not None
