"""The people API (``/api/v1/people/…``): the pages' services and scope over JSON — every
problem listed, 403 for a role without the right, 404 out of scope, 401 anonymous."""

from __future__ import annotations

import io

import pytest

from accounts.models import Membership, Organization
from administration.models import Invitation, UnitRegistration
from tests.administration.people.conftest import event_rows
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

UNITS = "/api/v1/people/units/"


def test_cast_staff_create_change_and_deactivate_a_unit(users, orgs):
    staff = api_as(users["cast_staff"])
    created = staff.post(
        UNITS,
        {"code": "GD-ZJ-X", "name": "湛江某区科协", "type": "county_cast", "parent": orgs["GD-ZJ-CAST"].pk},
        format="json",
    )
    assert created.status_code == 201
    unit = Organization.objects.get(code="GD-ZJ-X")
    assert created.json() == {
        "id": unit.pk,
        "code": "GD-ZJ-X",
        "name": "湛江某区科协",
        "type": "county_cast",
        "type_label": "县级科协",
        "parent": orgs["GD-ZJ-CAST"].pk,
        "parent_code": "GD-ZJ-CAST",
        "recommending_unit": orgs["GD-CAST"].pk,
        "recommending_unit_code": "GD-CAST",
        "channel": None,
        "channel_code": None,
        "legal_person": True,
        "legal_entity_code": "GD-ZJ-X",
        "pilot_county": False,
        "is_active": True,
    }
    changed = staff.patch(f"{UNITS}{unit.pk}/", {"pilot_county": True, "reason": "新增试点"}, format="json")
    assert changed.status_code == 200 and changed.json()["pilot_county"] is True
    moved = staff.patch(f"{UNITS}{unit.pk}/", {"parent": orgs["CSF"].pk}, format="json")
    assert moved.json()["recommending_unit_code"] == "CSF"
    off = staff.post(f"{UNITS}{unit.pk}/deactivate/", {"reason": "合并"}, format="json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert [a for a, *_rest in event_rows(unit)] == ["created", "changed", "changed", "deactivated"]


def test_the_api_lists_every_problem_at_once(users, orgs):
    staff = api_as(users["cast_staff"])
    response = staff.post(UNITS, {"code": "", "name": "", "type": "x", "parent": "abc", "extra": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "未知的字段：extra",
        "请填写“单位代码”",
        "请填写“单位名称”",
        "请选择可用的“单位类型”",
        "“上级单位”不存在、已停用或不在您的管理范围内",
    ]
    grant = staff.post(
        f"/api/v1/people/users/{users['applicant_xuwen'].pk}/grant/", {"role": "applicant"}, format="json"
    )
    assert grant.json()["errors"] == ["请选择“单位”", "请填写“理由”"]


@pytest.mark.parametrize(
    "who,listing,detail,create",
    [
        ("cast_staff", 200, 200, 201),
        ("reviewer_csf", 200, 200, 201),
        ("reviewer_gd_cast", 200, 404, 400),
        ("auditor", 200, 200, 403),
        ("applicant_csf_br1", 403, 403, 403),
        ("expert_1", 403, 403, 403),
        (None, 401, 401, 401),
    ],
)
def test_who_reads_and_writes_units_over_the_api(users, orgs, who, listing, detail, create):
    client = api_as(users[who] if who else None)
    assert client.get(UNITS).status_code == listing
    assert client.get(f"{UNITS}{orgs['CSF-BR1'].pk}/").status_code == detail
    body = {"code": "API-1", "name": "接口新建", "type": "other", "parent": orgs["CSF-BR1"].pk}
    assert client.post(UNITS, body, format="json").status_code == create
    assert Organization.objects.filter(code="API-1").exists() == (create == 201)


def test_roles_over_the_api_with_their_events(users, orgs):
    reviewer = api_as(users["reviewer_gd_cast"])
    account = users["applicant_xuwen"]
    url = f"/api/v1/people/users/{account.pk}/"
    granted = reviewer.post(
        url + "grant/", {"organization": orgs["GD-ZJ-CAST"].pk, "role": "applicant", "reason": "兼任"}, format="json"
    )
    assert granted.status_code == 200
    assert sorted((r["organization_code"], r["role"]) for r in granted.json()["roles"]) == [
        ("GD-XW-CAST", "applicant"),
        ("GD-ZJ-CAST", "applicant"),
    ]
    membership = Membership.objects.get(user=account, organization__code="GD-ZJ-CAST")
    revoked = reviewer.post(url + "revoke/", {"membership": membership.pk, "reason": "结束"}, format="json")
    assert [r["organization_code"] for r in revoked.json()["roles"]] == ["GD-XW-CAST"]
    assert [(a, why) for a, _who, why, _d in event_rows(account)] == [
        ("role_granted", "兼任"),
        ("role_revoked", "结束"),
    ]
    refused = api_as(users["reviewer_csf"]).post(url + "grant/", {}, format="json")
    assert refused.status_code == 404
    auditor = api_as(users["auditor"]).post(url + "deactivate/", {"reason": "x"}, format="json")
    assert auditor.status_code == 403


def test_invitations_and_registrations_over_the_api(users, orgs):
    reviewer = api_as(users["reviewer_csf"])
    created = reviewer.post(
        "/api/v1/people/invitations/",
        {"email": "zhao@example.com", "organization": orgs["GD-FISH"].pk, "role": "applicant"},
        format="json",
    )
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("email", "organization_code", "role", "invited_by", "status", "user")} == {
        "email": "zhao@example.com",
        "organization_code": "GD-FISH",
        "role": "applicant",
        "invited_by": "reviewer_csf",
        "status": "pending",
        "user": None,
    }
    assert Invitation.objects.count() == 1
    assert reviewer.get("/api/v1/people/invitations/").json()["count"] == 1
    assert api_as(users["reviewer_gd_cast"]).get("/api/v1/people/invitations/").json()["count"] == 0

    from django.test import Client

    Client().post(
        "/manage/people/register/",
        {
            "parent": orgs["GD-FISH"].pk,
            "unit_name": "广东水产志愿服务队",
            "unit_type": "other",
            "username": "gdteam",
            "display_name": "赵一",
            "email": "gdteam@example.com",
            "password1": "Guangdong-Team-2026",
            "password2": "Guangdong-Team-2026",
        },
    )
    registration = UnitRegistration.objects.get()
    assert reviewer.get("/api/v1/people/registrations/").json()["count"] == 1
    assert api_as(users["reviewer_gd_cast"]).get(f"/api/v1/people/registrations/{registration.pk}/").status_code == 404
    approved = reviewer.post(f"/api/v1/people/registrations/{registration.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    conflict = reviewer.post(f"/api/v1/people/registrations/{registration.pk}/refuse/", {"reason": "x"}, format="json")
    assert conflict.status_code == 409 and conflict.json()["errors"] == ["该注册申请已处理"]


def test_cast_staff_import_over_the_api(users, orgs):
    upload = io.BytesIO("code,name,type,parent\nAPI-IMP,接口导入单位,other,CAE\n".encode())
    upload.name = "orgs.csv"
    staff = api_as(users["cast_staff"])
    response = staff.post(f"{UNITS}import/", {"file": upload}, format="multipart")
    assert response.status_code == 200 and response.json() == {"created": 1, "updated": 0, "changed": 1}
    assert Organization.objects.get(code="API-IMP").recommending_unit.code == "CAE"
    assert api_as(users["reviewer_csf"]).post(f"{UNITS}import/", {}, format="multipart").status_code == 403
