"""Rounds run from the API by CAST staff: create, copy, change (confirmed once it holds records),
close; sub-projects with their limits and quotas; documents; a recommending unit's internal
deadline — every change with its audit event, every bad input refused with every problem."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import OrgType
from applications.models import Application, SubprojectType
from tests.applications.builders import application_in, create_draft
from tests.applications.helpers import act, review, upload
from tests.conftest import api_as
from workflows.models import AuditEvent, Round, RoundDocument, UnitDeadline

URL = "/api/v1/rounds/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def moment(days: float) -> str:
    return (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0).isoformat()


def new_round(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "application",
        "year": 2027,
        "title": "2027年度科技志愿服务“智惠行动”项目",
        "submission_opens": moment(-1),
        "submission_closes": moment(20),
        "recommender_review_due": moment(30),
        "cast_review_due": moment(40),
        "notice_working_days": 5,
        "notice_day_kind": "working",
        "contacts": [{"name": "王芳", "purpose": "业务咨询", "phone": "010-68571898", "email": "zhihui@cast.org.cn"}],
        "settings": {"recommender_quota": 2, "funding_max_yuan": 120000},
    }
    data.update(overrides)
    return data


def errors(response: Any, status: int = 400) -> list[str]:
    assert response.status_code == status, (response.status_code, response.content)
    return response.json()["errors"]


def events(subject: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(record_type=subject._meta.label_lower, record_id=subject.pk).order_by("record_seq")
    )


@pytest.fixture
def staff(users):
    return api_as(users["cast_staff"])


def test_cast_staff_create_a_round_with_its_sub_projects_and_an_audit_event(users, staff):
    response = staff.post(URL, new_round(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    round_ = Round.objects.get(pk=body["id"])
    assert (body["title"], body["status"], body["notice_day_kind"], body["contacts"][0]["name"]) == (
        "2027年度科技志愿服务“智惠行动”项目",
        "open",
        "working",
        "王芳",
    )
    assert body["settings"]["recommender_quota"] == 2 and body["settings"]["funding_max_yuan"] == 120000
    assert [s["code"] for s in body["subprojects"]] == ["integrate", "civilization_centre", "grassroots"]
    [event] = events(round_)
    assert (event.action, event.actor_role, event.actor_org) == ("created", "cast_staff", "CAST")
    assert event.data["changes"]["title"] == {"before": None, "after": "2027年度科技志愿服务“智惠行动”项目"}
    assert event.data["changes"]["settings"]["after"] == {"recommender_quota": 2, "funding_max_yuan": 120000}


def test_a_round_with_bad_input_is_refused_with_every_problem(users, staff):
    before = Round.objects.count()
    bad = new_round(
        kind="annual",
        year=1999,
        title="",
        submission_closes=moment(-2),
        notice_working_days=40,
        contacts=[{"name": "", "phone": "x" * 31}],
        settings={"recommender_quota": 0, "colour": "red"},
        nickname="x",
    )
    assert errors(staff.post(URL, bad, format="json")) == [
        "未知的字段：nickname",
        "请选择批次类型",
        "联系人第 1 行：phone 不得超过 30 个字符",
        "联系人第 1 行：请填写姓名",
        "请填写“名称”",
        "“年度”必须在 2000 到 2100 之间",
        "申报截止时间必须晚于开始时间",
        "公示期应为 1 至 30 天",
    ]
    assert errors(staff.post(URL, new_round(settings={"recommender_quota": 0, "colour": "red"}), format="json")) == [
        "未知的设置项：colour",
        "设置项 recommender_quota 必须在 1 到 1000 之间",
    ]
    assert errors(staff.post(URL, {"kind": "selection"}, format="json")) == [
        "请填写“年度”",
        "请填写“名称”",
        "请填写“申报开始”",
        "请填写“申报截止”",
        "请填写“推荐单位审核截止”",
        "请填写“中国科协审核截止”",
    ]
    assert Round.objects.count() == before


@pytest.mark.parametrize("username", ["reviewer_csf", "applicant_csf_br1", "auditor", "content_cast", "expert_1"])
def test_only_cast_staff_create_or_change_rounds(users, username):
    client = api_as(users[username])
    assert errors(client.post(URL, new_round(), format="json"), 403) == ["只有中国科协工作人员可以管理批次"]
    round_ = Round.objects.get(kind="application")
    assert errors(client.patch(f"{URL}{round_.pk}/", {"title": "x"}, format="json"), 403) == [
        "只有中国科协工作人员可以管理批次"
    ]
    assert api_as(None).post(URL, new_round(), format="json").status_code == 401


def test_everyone_reads_opened_rounds_staff_and_auditor_every_round(users, staff):
    future = staff.post(URL, new_round(submission_opens=moment(5), title="未来批次"), format="json").json()
    assert future["status"] == "scheduled"
    for username in ("applicant_xuwen", "reviewer_csf"):
        titles = [r["title"] for r in api_as(users[username]).get(URL).json()["results"]]
        assert "未来批次" not in titles
        assert api_as(users[username]).get(f"{URL}{future['id']}/").status_code == 404
    for username in ("cast_staff", "auditor"):
        titles = [r["title"] for r in api_as(users[username]).get(URL).json()["results"]]
        assert "未来批次" in titles


def test_a_change_names_what_changed_and_a_round_with_records_is_confirmed(users, staff):
    round_ = Round.objects.get(kind="application")
    url = f"{URL}{round_.pk}/"
    # No records yet: changed at once, the event holds only what changed.
    body = staff.patch(url, {"notice_working_days": 7, "settings": {"recommender_quota": 4}}, format="json").json()
    assert (body["notice_working_days"], body["settings"]["recommender_quota"]) == (7, 4)
    event = events(round_)[-1]
    assert event.action == "changed"
    assert event.data["changes"] == {
        "notice_working_days": {"before": 5, "after": 7},
        "settings": {"before": {}, "after": {"recommender_quota": 4}},
    }
    # With records it asks for confirmation, listing them, and changes nothing meanwhile.
    application_in(users, round_.pk, "submitted")
    create_draft(users, round_.pk, "applicant_xuwen")
    refused = errors(staff.patch(url, {"notice_working_days": 6}, format="json"), 409)
    assert refused == [
        "本批次已有以下记录，修改会影响它们，请确认后再修改（confirm）：",
        "申报 2 条（草稿 1、已提交（待推荐单位审核） 1）",
    ]
    round_.refresh_from_db()
    assert round_.notice_working_days == 7
    assert (
        staff.patch(url, {"notice_working_days": 6, "confirm": True}, format="json").json()["notice_working_days"] == 6
    )
    # A change that sets the same values writes no event.
    count = len(events(round_))
    staff.patch(url, {"notice_working_days": 6, "confirm": True}, format="json")
    assert len(events(round_)) == count
    assert errors(staff.patch(url, {"kind": "selection"}, format="json")) == ["批次类型创建后不能更改"]
    assert errors(staff.patch(url, {"submission_closes": "soon"}, format="json")) == [
        "“申报截止”必须是日期时间（YYYY-MM-DD HH:MM）"
    ]


def test_a_closed_round_takes_no_submission_and_no_change(users, staff):
    round_ = Round.objects.get(kind="application")
    draft = create_draft(users, round_.pk, "applicant_csf_br1")
    url = f"{URL}{round_.pk}/close/"
    assert errors(staff.post(url, {"reason": " "}, format="json")) == ["请填写关闭理由"]
    closed = staff.post(url, {"reason": "本年度申报工作结束"}, format="json").json()
    assert closed["status"] == "closed" and closed["closed_at"]
    assert events(round_)[-1].opinion == "本年度申报工作结束"
    refused = errors(act(users, "applicant_csf_br1", draft, "submit", opinion=""))
    assert refused[0].startswith("本批次已于 ") and refused[0].endswith(" 关闭")
    assert errors(staff.patch(f"{URL}{round_.pk}/", {"title": "改名"}, format="json"), 409) == [
        "本批次已关闭，不能修改"
    ]
    assert errors(staff.post(url, {"reason": "再关一次"}, format="json"), 409) == ["本批次已关闭"]


def test_copy_moves_the_windows_a_year_and_takes_the_sub_projects(users, staff):
    source = Round.objects.get(kind="application")
    staff.patch(
        f"{URL}{source.pk}/subprojects/{source.subprojects.get(code='grassroots').pk}/",
        {"per_unit_limit": 2, "quota": 5, "envelope_yuan": "3000000"},
        format="json",
    )
    response = staff.post(f"{URL}{source.pk}/copy/", {"year": source.year + 1}, format="json")
    assert response.status_code == 201, response.json()
    copy = Round.objects.get(pk=response.json()["id"])
    assert copy.title == source.title.replace(str(source.year), str(source.year + 1))
    assert copy.submission_opens == source.submission_opens.replace(year=source.submission_opens.year + 1)
    grassroots = copy.subprojects.get(code="grassroots")
    assert (grassroots.per_unit_limit, grassroots.quota, str(grassroots.envelope_yuan)) == (2, 5, "3000000.00")
    assert events(copy)[0].action == "copied" and events(copy)[0].data["source"] == source.pk
    assert errors(staff.post(f"{URL}{source.pk}/copy/", {"year": source.year + 1}, format="json")) == [
        "同年度已有同名同类型的批次"
    ]
    assert errors(staff.post(f"{URL}{source.pk}/copy/", {"year": "next"}, format="json")) == [
        "“年度”必须在 2000 到 2100 之间"
    ]


def test_sub_projects_are_edited_with_their_limits_and_quotas(users, staff):
    round_ = Round.objects.get(kind="application")
    url = f"{URL}{round_.pk}/subprojects/"
    bad = {"code": "Bad Code", "name": "", "eligible_org_types": ["planet"], "per_unit_limit": 0, "envelope_yuan": "x"}
    assert errors(staff.post(url, bad, format="json")) == [
        "“可申报的组织类型”只能是以下类型：" + ", ".join(OrgType.values),
        "预算额度（元）必须是金额数字（如 50000.00）",
        "请填写“名称”",
        "“代码”只能包含小写字母、数字、“-”和“_”",
        "“每单位限报数”至少为 1",
    ]
    created = staff.post(
        url,
        {"code": "rural_tour", "name": "百会百县乡村行", "eligible_org_types": ["national_society"], "quota": 2},
        format="json",
    )
    assert created.status_code == 201, created.json()
    sub = SubprojectType.objects.get(pk=created.json()["id"])
    # No limit of its own: the round's (限项, default 1).
    assert (sub.per_unit_limit, sub.limit_for_round(), sub.quota, sub.position) == (None, 1, 2, 3)
    assert [e.action for e in events(sub)] == ["created"]
    assert errors(staff.post(url, {"code": "rural_tour", "name": "重复"}, format="json")) == [
        "本批次已有代码为“rural_tour”的子项目"
    ]
    # A sub-project with applications asks for confirmation and cannot be deleted.
    grassroots = round_.subprojects.get(code="grassroots")
    create_draft(users, round_.pk, "applicant_csf_br1")
    one = f"{url}{grassroots.pk}/"
    assert errors(staff.patch(one, {"per_unit_limit": 2}, format="json"), 409)[1] == "申报 1 条（草稿 1）"
    assert staff.patch(one, {"per_unit_limit": 2, "confirm": True}, format="json").json()["per_unit_limit"] == 2
    assert events(grassroots)[-1].data["changes"] == {"per_unit_limit": {"before": None, "after": 2}}
    assert errors(staff.delete(one, {"reason": "不再设置"}, format="json"), 409) == ["已有单位申报该子项目，不能删除"]
    assert errors(staff.delete(f"{url}{sub.pk}/", {}, format="json")) == ["请填写删除理由"]
    assert staff.delete(f"{url}{sub.pk}/", {"reason": "今年不设"}, format="json").status_code == 204
    assert not SubprojectType.objects.filter(pk=sub.pk).exists()
    deleted = AuditEvent.objects.filter(record_type="applications.subprojecttype", record_id=sub.pk).last()
    assert (deleted.action, deleted.opinion, deleted.data["changes"]["name"]) == (
        "deleted",
        "今年不设",
        {"before": "百会百县乡村行", "after": None},
    )


def test_the_per_unit_limit_and_the_sub_project_quota_apply(users, staff):
    round_ = Round.objects.get(kind="application")
    grassroots = round_.subprojects.get(code="grassroots")
    staff.patch(f"{URL}{round_.pk}/subprojects/{grassroots.pk}/", {"per_unit_limit": 2, "quota": 1}, format="json")
    first = application_in(users, round_.pk, "recommended", name="水产养殖技术进村入户")
    second = application_in(users, round_.pk, "submitted", name="渔业科普进校园")
    third = create_draft(users, round_.pk, "applicant_csf_br1", name="第三个项目")
    # 限项: two applications of the unit to the sub-project, not a third.
    assert errors(act(users, "applicant_csf_br1", third, "submit", opinion="")) == [
        "本单位在本批次“学会科技志愿服务基层行”已有 2 项申报，达到限报数（2 项）"
    ]
    # The sub-project's own quota (1), not the round's (3), for the recommending unit.
    assert review(users, "content_csf", second, "recommender").status_code == 201
    assert upload(api_as(users["reviewer_csf"]), second, "recommender_opinion").status_code == 201
    assert errors(act(users, "reviewer_csf", second, "recommend", opinion="同意推荐。")) == [
        "本单位“学会科技志愿服务基层行”的推荐名额（1 个）已用完"
    ]
    assert Application.objects.get(pk=first).state == "recommended"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_documents_are_uploaded_downloaded_and_removed(users, staff):
    round_ = Round.objects.get(kind="application")
    url = f"{URL}{round_.pk}/documents/"

    def file(content: bytes, name: str) -> io.BytesIO:
        f = io.BytesIO(content)
        f.name = name
        return f

    refused = errors(
        staff.post(url, {"kind": "x", "title": "", "file": file(b"MZ\x90\x00", "guide.exe")}, format="multipart")
    )
    assert refused == [
        "请选择文件类型",
        "请填写“标题”",
        "文件：文件“guide.exe”的内容不是 PDF、DOCX、XLSX 格式（按文件内容识别，与扩展名无关）",
    ]
    # A ZIP that is not an Office document, or one with macros, is not a DOCX either.
    macro = io.BytesIO()
    with zipfile.ZipFile(macro, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        archive.writestr("word/vbaProject.bin", "macro")
    refused = errors(
        staff.post(
            url, {"kind": "template", "title": "模板", "file": file(macro.getvalue(), "a.docx")}, format="multipart"
        )
    )
    assert refused == ["文件：文件“a.docx”的内容不是 PDF、DOCX、XLSX 格式（按文件内容识别，与扩展名无关）"]
    guide = staff.post(url, {"kind": "guide", "title": "申报指南", "file": file(PDF, "指南.pdf")}, format="multipart")
    assert guide.status_code == 201, guide.json()
    template = staff.post(
        url, {"kind": "template", "title": "申报书模板", "file": file(_docx(), "申报书.docx")}, format="multipart"
    )
    assert template.json()["content_type"].endswith("wordprocessingml.document")
    # An applicant (and anyone, once the round is open) downloads them.
    download = api_as(users["applicant_xuwen"]).get(f"{url}{guide.json()['id']}/")
    assert (download.status_code, b"".join(download.streaming_content)) == (200, PDF)
    assert api_as(users["applicant_xuwen"]).post(url, {}, format="multipart").status_code == 403
    assert [e.action for e in events(round_)] == ["document_added", "document_added"]
    assert errors(staff.delete(f"{url}{guide.json()['id']}/", {}, format="json")) == ["请填写删除理由"]
    assert staff.delete(f"{url}{guide.json()['id']}/", {"reason": "换新版"}, format="json").status_code == 204
    assert list(RoundDocument.objects.values_list("title", flat=True)) == ["申报书模板"]
    removed = events(round_)[-1]
    assert (removed.action, removed.opinion, removed.data["sha256"]) == (
        "document_removed",
        "换新版",
        guide.json()["sha256"],
    )


def test_a_recommending_unit_sets_its_own_earlier_deadline(users, staff):
    round_ = Round.objects.get(kind="application")
    url = f"{URL}{round_.pk}/deadline/"
    reviewer = api_as(users["reviewer_csf"])
    late = (round_.submission_closes + dt.timedelta(days=1)).isoformat()
    assert errors(reviewer.put(url, {"closes_at": late}, format="json"))[0].startswith(
        "内部申报截止不得晚于本批次申报截止（"
    )
    for username in ("applicant_csf_br1", "cast_staff", "reviewer_gd_cast"):
        client = api_as(users[username])
        response = client.put(url, {"unit": "CSF", "closes_at": moment(1)}, format="json")
        assert response.status_code in (400, 403)
    draft = create_draft(users, round_.pk, "applicant_csf_br1")
    passed = (timezone.now() - dt.timedelta(minutes=5)).isoformat()
    saved = reviewer.put(url, {"closes_at": passed}, format="json")
    assert saved.status_code == 200, saved.json()
    deadline = UnitDeadline.objects.get(round=round_, unit__code="CSF")
    assert events(deadline)[0].action == "created"
    refused = errors(act(users, "applicant_csf_br1", draft, "submit", opinion=""))
    assert (
        len(refused) == 1
        and refused[0].startswith("推荐单位要求所属单位于 ")
        and refused[0].endswith(" 前提交，内部截止时间已过")
    )
    # Units of another recommending unit are not bound by it.
    assert (
        act(
            users, "applicant_xuwen", create_draft(users, round_.pk, "applicant_xuwen"), "submit", opinion=""
        ).status_code
        == 200
    )
    # Lifted: the unit's applicant submits.
    assert reviewer.put(url, {"closes_at": None}, format="json").status_code == 204
    assert act(users, "applicant_csf_br1", draft, "submit", opinion="").status_code == 200
    assert not UnitDeadline.objects.exists()
