"""The notices API: staff endpoints, the public objection endpoint, errors and access."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from notices.models import NoticeStatus, Objection, ObjectionStatus, PublicNotice
from tests.conftest import api_as
from tests.notices.helpers import (
    OBJECTOR,
    PDF_BYTES,
    bulletin,
    draft_notice,
    end_period,
    file_objection,
    published_notice,
    row_counts,
    states,
    upload,
)


@pytest.fixture
def world(users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    b = bulletin(users, orgs, open_round, title="乙项目", org="GD-FISH")
    return SimpleNamespace(a=a, b=b, round=open_round)


def test_a_notice_from_creation_to_close(users, world):
    staff = api_as(users["cast_staff"])
    response = staff.post(
        "/api/v1/notices/",
        {
            "round": world.round.pk,
            "record_type": "testapp.bulletin",
            "record_ids": [world.a.pk, world.b.pk],
            "title": "接口创建的公示",
            "intro": "请监督。",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    notice_id = body["id"]
    assert (body["status"], body["status_label"], body["created_by"], body["body"]) == (
        "draft",
        "待发布前内容审核",
        "cast_staff",
        "1. 甲项目（中国水产学会科普工作委员会）\n2. 乙项目（广东省水产学会）",
    )
    assert [(e["position"], e["record_id"], e["public_title"]) for e in body["entries"]] == [
        (1, world.a.pk, "甲项目"),
        (2, world.b.pk, "乙项目"),
    ]

    response = api_as(users["content_cast"]).post(
        f"/api/v1/notices/{notice_id}/review/", {"verdict": "pass", "opinion": "同意发布"}, format="json"
    )
    assert (response.status_code, response.json()["status"], response.json()["reviewer"]) == (
        200,
        "passed_review",
        "content_cast",
    )
    response = staff.post(f"/api/v1/notices/{notice_id}/publish/")
    assert (response.status_code, response.json()["status"]) == (200, "published")
    ends_on = response.json()["ends_on"]
    assert states(world.a, world.b) == ["public_notice", "public_notice"]

    public = APIClient(enforce_csrf_checks=True)
    entry_a = PublicNotice.objects.get(pk=notice_id).entries.get(record_id=world.a.pk)
    response = public.post(
        f"/api/v1/public/notices/{notice_id}/objections/",
        {"entry": entry_a.pk, **OBJECTOR, "evidence": [upload("证据.pdf", PDF_BYTES)]},
        format="multipart",
    )
    assert response.status_code == 201
    reference = Objection.objects.get().reference
    assert response.json() == {"reference": reference}

    response = staff.post(f"/api/v1/notices/{notice_id}/finish/")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        f"《甲项目》：公示期至 {ends_on} 结束，尚未期满；该记录有 1 条异议尚未处理",
        f"《乙项目》：公示期至 {ends_on} 结束，尚未期满",
    ]

    listing = api_as(users["auditor"]).get("/api/v1/objections/").json()
    assert listing["count"] == 1
    row = listing["results"][0]
    assert (row["reference"], row["phone"], row["identity"], row["status"], row["entry_title"]) == (
        reference,
        OBJECTOR["phone"],
        OBJECTOR["identity"],
        "filed",
        "甲项目",
    )
    assert [(e["original_name"], e["content_type"]) for e in row["evidence"]] == [("证据.pdf", "application/pdf")]

    response = staff.post(
        f"/api/v1/objections/{row['id']}/decide/", {"decision": "dismiss", "reason": "与事实不符"}, format="json"
    )
    assert (response.status_code, response.json()["status"], response.json()["decided_by"]) == (
        200,
        "dismissed",
        "cast_staff",
    )
    end_period(PublicNotice.objects.get(pk=notice_id))
    response = staff.post(f"/api/v1/notices/{notice_id}/finish/", {"opinion": "期满无异议"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "closed")
    assert states(world.a, world.b) == ["approved", "approved"]


def test_errors_use_the_json_error_format(users, world):
    staff = api_as(users["cast_staff"])
    before = row_counts()
    response = staff.post(
        "/api/v1/notices/",
        {"round": 99999, "record_type": "testapp.bulletin", "record_ids": [world.a.pk, 99999], "title": ""},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "请填写公示标题",
        "errors": ["请填写公示标题", "请选择批次", "编号为 99999 的记录不存在或您无权查看"],
    }
    response = staff.post(
        "/api/v1/notices/",
        {"round": world.round.pk, "record_type": "testapp.bulletin", "record_ids": ["甲"], "title": "x"},
        format="json",
    )
    assert (response.status_code, response.json()["errors"]) == (400, ["记录编号“甲”不是数字"])
    notice = draft_notice(users, world.round, [world.a])
    response = staff.post(f"/api/v1/notices/{notice.pk}/publish/")
    assert response.status_code == 409
    assert response.json()["errors"] == ["公示当前状态为“待发布前内容审核”，只有内容审核通过的公示可以发布"]
    response = api_as(users["content_cast"]).post(
        f"/api/v1/notices/{notice.pk}/review/", {"verdict": "ok", "opinion": ""}, format="json"
    )
    assert (response.status_code, response.json()["errors"]) == (
        400,
        ["审核结论必须是 pass（通过）或 fail（不通过）", "请填写审核意见"],
    )
    assert row_counts()["notices"] == before["notices"] + 1


def test_the_public_objection_endpoint_refuses_bad_input(users, world):
    notice = published_notice(users, world.round, [world.a])
    entry = notice.entries.get()
    public = APIClient(enforce_csrf_checks=True)
    url = f"/api/v1/public/notices/{notice.pk}/objections/"
    before = row_counts()
    response = public.post(url, {"entry": entry.pk, "name": "张三"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "请填写工作单位",
        "请填写联系电话",
        "请填写异议内容",
    ]
    response = public.post(
        url, {"entry": entry.pk, **OBJECTOR, "evidence": [upload("a.pdf", b"text only")]}, format="multipart"
    )
    assert response.json()["errors"] == [
        "证明材料：文件“a.pdf”的内容不是 PDF、JPG、PNG 格式（按文件内容识别，与扩展名无关）"
    ]
    assert row_counts() == before
    draft = draft_notice(users, world.round, [world.b])
    assert public.post(f"/api/v1/public/notices/{draft.pk}/objections/", {}, format="multipart").status_code == 404
    for _i in range(5):
        assert public.post(url, {"entry": entry.pk, **OBJECTOR}, format="multipart").status_code == 201
    response = public.post(url, {"entry": entry.pk, **OBJECTOR}, format="multipart")
    assert (response.status_code, response.json()["errors"]) == (
        429,
        ["同一网络地址一小时内最多提交 5 条异议，请稍后再试"],
    )
    assert Objection.objects.count() == 5


def test_the_public_reads_published_notices_only_and_only_public_fields(users, world):
    notice = published_notice(users, world.round, [world.a])
    file_objection(notice, notice.entries.get().pk)
    draft_notice(users, world.round, [world.b], title="未审核")
    public = APIClient()
    listing = public.get("/api/v1/public/notices/").json()
    assert [n["title"] for n in listing["results"]] == ["2026年度拟立项项目公示"]
    detail = public.get(f"/api/v1/public/notices/{notice.pk}/").json()
    assert set(detail) == {
        "id",
        "title",
        "intro",
        "body",
        "status",
        "status_label",
        "phase",
        "phase_label",
        "starts_on",
        "ends_on",
        "accepting_unit",
        "contact_person",
        "contact_phone",
        "contact_address",
        "contact_email",
        "entries",
    }
    assert (detail["phase"], detail["accepting_unit"], detail["contact_person"], detail["contact_phone"]) == (
        "published",
        "中国科协",
        "王芳",
        "010-68571898",
    )
    assert detail["entries"] == [
        {"id": notice.entries.get().pk, "position": 1, "title": "甲项目", "summary": "中国水产学会科普工作委员会"}
    ]
    text = public.get(f"/api/v1/public/notices/{notice.pk}/").content.decode()
    for private in (OBJECTOR["phone"], OBJECTOR["identity"], OBJECTOR["email"], OBJECTOR["name"]):
        assert private not in text


STAFF_GETS = ["/api/v1/notices/", "/api/v1/notices/{n}/", "/api/v1/objections/", "/api/v1/objections/{o}/"]


@pytest.fixture
def filed(users, world):
    notice = published_notice(users, world.round, [world.a])
    objection = file_objection(notice, notice.entries.get().pk)
    return SimpleNamespace(notice=notice, objection=objection)


def _posts(filed):
    return [
        ("/api/v1/notices/", {"round": 1, "record_type": "testapp.bulletin", "record_ids": [1], "title": "x"}),
        (f"/api/v1/notices/{filed.notice.pk}/review/", {"verdict": "pass", "opinion": "同意"}),
        (f"/api/v1/notices/{filed.notice.pk}/publish/", {}),
        (f"/api/v1/notices/{filed.notice.pk}/finish/", {}),
        (f"/api/v1/objections/{filed.objection.pk}/decide/", {"decision": "uphold", "reason": "属实"}),
    ]


def test_anonymous_callers_get_401(filed):
    client = APIClient()
    for url in STAFF_GETS:
        assert client.get(url.format(n=filed.notice.pk, o=filed.objection.pk)).status_code == 401
    before = row_counts()
    for url, data in _posts(filed):
        assert client.post(url, data, format="json").status_code == 401
    assert row_counts() == before


@pytest.mark.parametrize("username", ["applicant_csf_br1", "reviewer_csf", "content_csf", "expert_1"])
def test_others_get_403(users, filed, username):
    client = api_as(users[username])
    for url in STAFF_GETS:
        response = client.get(url.format(n=filed.notice.pk, o=filed.objection.pk))
        assert response.status_code == 403
    before = row_counts()
    for url, data in _posts(filed):
        assert client.post(url, data, format="json").status_code == 403
    assert row_counts() == before


def test_the_auditor_reads_and_is_refused_every_write(users, filed):
    client = api_as(users["auditor"])
    assert client.get(f"/api/v1/notices/{filed.notice.pk}/").json()["status"] == "published"
    assert client.get(f"/api/v1/objections/{filed.objection.pk}/").json()["email"] == OBJECTOR["email"]
    before = row_counts()
    for url, data in _posts(filed):
        response = client.post(url, data, format="json")
        assert response.status_code == 403, url
    assert row_counts() == before
    assert Objection.objects.get().status == ObjectionStatus.FILED


def test_the_content_reviewer_of_cast_sees_notices_not_objections(users, filed):
    client = api_as(users["content_cast"])
    assert client.get("/api/v1/notices/").json()["count"] == 1
    assert client.get("/api/v1/objections/").status_code == 403
    response = client.post(f"/api/v1/notices/{filed.notice.pk}/publish/")
    assert (response.status_code, response.json()["errors"]) == (403, ["只有中国科协工作人员可以发布公示"])
    assert PublicNotice.objects.get().status == NoticeStatus.PUBLISHED


def test_the_schema_documents_the_endpoints(client, users):
    client.force_login(users["auditor"])
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for path, methods in {
        "/api/v1/notices/": {"get", "post"},
        "/api/v1/notices/{id}/": {"get"},
        "/api/v1/notices/{id}/review/": {"post"},
        "/api/v1/notices/{id}/publish/": {"post"},
        "/api/v1/notices/{id}/finish/": {"post"},
        "/api/v1/objections/": {"get"},
        "/api/v1/objections/{id}/decide/": {"post"},
        "/api/v1/public/notices/{id}/objections/": {"post"},
    }.items():
        assert methods <= set(paths[path]), path
    public_post = paths["/api/v1/public/notices/{id}/objections/"]["post"]
    assert "multipart/form-data" in public_post["requestBody"]["content"]
    assert public_post["security"] == [{}]
