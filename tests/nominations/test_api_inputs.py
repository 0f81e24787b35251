"""Bad input on every form of the nomination API and of the public objection form: each gets
a clear error — every problem listed — and changes nothing."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework.test import APIClient

from nominations.flows import NO_VIOLATION_STATEMENT
from nominations.models import Nomination
from notices.models import NoticeEntry, Objection, ObjectionEvidence, PublicNotice
from tests.conftest import api_as, make_round
from tests.nominations.helpers import (
    MB,
    OBJECTOR,
    PDF_BYTES,
    PNG_HEAD,
    RECOMMEND_OPINION,
    URL,
    act,
    advance,
    assign,
    bulk,
    create_draft,
    end_notice_period,
    entry_of,
    errors,
    file_objection,
    form,
    jpeg,
    nomination_in,
    notice_for,
    ok,
    review,
    score,
    upload,
)
from workflows.models import Attachment, AuditEvent, Checkpoint, ReviewAssignment, Revision, Round, Score


def fingerprint() -> tuple:
    """Everything a refused write could have changed."""
    return (
        sorted(Nomination.objects.values_list("pk", "state", "updated_at", "deeds", "current_revision_hash")),
        AuditEvent.objects.count(),
        sorted(Attachment.objects.values_list("pk", "sha256")),
        Checkpoint.objects.count(),
        sorted(ReviewAssignment.objects.values_list("pk", "status")),
        sorted(Score.objects.filter(record_type="nominations.nomination").values_list("pk", "total")),
        Revision.objects.count(),
        sorted(PublicNotice.objects.values_list("pk", "status")),
        NoticeEntry.objects.count(),
        sorted(Objection.objects.values_list("pk", "status")),
        ObjectionEvidence.objects.count(),
    )


def stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def round_(users) -> Round:
    return Round.objects.get(kind="selection")


def as_(users: dict[str, Any], username: str) -> APIClient:
    return api_as(users[username])


# -- the nomination form -----------------------------------------------------------------------


def test_create_lists_every_problem_and_stores_nothing(users, round_):
    client = as_(users, "applicant_csf_br1")
    application_round = Round.objects.get(kind="application")
    before = fingerprint()
    cases = [
        ({}, ["请选择有效的选树批次", "请选择类别（volunteer, team, project, site）", "请填写“被推荐对象名称”"]),
        (
            {
                "round": application_round.pk,
                "category": "hero",
                "nominee_name": "张三",
                "birth_date": "2020-13-01",
                "registered_volunteers": "many",
                "activities": -1,
                "gender": "x",
                "service_hours": "abc",
                "hobby": "钓鱼",
            },
            [
                "请选择有效的选树批次",
                "请选择类别（volunteer, team, project, site）",
                "未知的字段：hobby",
                "“出生日期”必须是日期（YYYY-MM-DD）",
                "“注册志愿者人数”必须是非负整数",
                "“开展服务活动次数”必须是非负整数",
                "“性别”只能是 male 或 female",
                "“服务时长（小时）”必须是非负数",
            ],
        ),
        (
            form("volunteer", round=round_.pk, nominee_name="张" * 101, deeds="事" * 2001, contact_phone=13800138000),
            [
                "“被推荐对象名称”不得超过 100 个字（现为 101 个）",
                "“主要事迹”不得超过 2000 个字（现为 2001 个）",
                "“联系电话”必须是文本",
            ],
        ),
        (
            form("volunteer", round=round_.pk, birth_date=(timezone.localdate() + dt.timedelta(days=1)).isoformat()),
            ["出生日期不能晚于今天"],
        ),
        (form("site", round=round_.pk, nominee_name="   "), ["请填写“被推荐对象名称”"]),
    ]
    for body, expected in cases:
        response = client.post(URL, body, format="json")
        assert errors(response) == (400, expected), body
    response = client.post(URL, [1, 2], format="json")
    assert errors(response) == (400, ["请求内容必须是 JSON 对象"])
    response = client.post(URL, "{not json", content_type="application/json")
    assert errors(response) == (400, ["请求内容不是有效的 JSON"])
    # Only an applicant creates a nomination, for their own organization.
    response = as_(users, "reviewer_csf").post(URL, form("team", round=round_.pk), format="json")
    assert errors(response) == (403, ["只有申报单位的申报人可以创建推荐"])
    assert fingerprint() == before
    assert Nomination.objects.count() == 0


def test_edits_are_checked_and_only_for_drafts(users, round_):
    nid = create_draft(users, round_.pk, "volunteer")
    client = as_(users, "applicant_csf_br1")
    before = fingerprint()
    response = client.patch(
        f"{URL}{nid}/", {"category": "team", "deeds": "事" * 2001, "activities": "ten"}, format="json"
    )
    assert errors(response) == (
        400,
        [
            "选树批次、申报单位和类别创建后不能更改",
            "“主要事迹”不得超过 2000 个字（现为 2001 个）",
            "“开展服务活动次数”必须是非负整数",
        ],
    )
    response = client.patch(f"{URL}{nid}/", {"nominee_name": " "}, format="json")
    assert errors(response) == (400, ["请填写“被推荐对象名称”"])
    assert fingerprint() == before

    ok(act(users, "applicant_csf_br1", nid, "submit"))
    before = fingerprint()
    response = client.patch(f"{URL}{nid}/", {"deeds": "补充的事迹"}, format="json")
    assert errors(response) == (409, ["推荐当前状态为“已提交（待推荐单位审核）”，不能修改"])
    response = as_(users, "reviewer_csf").patch(f"{URL}{nid}/", {"deeds": "补充的事迹"}, format="json")
    assert errors(response) == (403, ["只有本单位申报人可以修改推荐"])
    assert fingerprint() == before


def file(content: bytes, name: str) -> io.BytesIO:
    f = io.BytesIO(content)
    f.name = name
    return f


def test_uploads_are_checked_by_their_bytes_size_and_count(users, round_):
    nid = create_draft(users, round_.pk, "volunteer", attachments=False)
    client = as_(users, "applicant_csf_br1")
    before, files_before = fingerprint(), stored_files()
    photo = "工作照片（JPG，1–3 MB）"
    cases = [
        ("photo", jpeg(MB // 2), "small.jpg", 400, [f"{photo}：文件“small.jpg”大小为 512 KB，不足下限 1.0 MB"]),
        (
            "photo",
            PNG_HEAD + b"\x00" * (MB + 1000),
            "photo.jpg",
            400,
            [f"{photo}：文件“photo.jpg”的内容不是 JPG 格式（按文件内容识别，与扩展名无关）"],
        ),
        ("photo", jpeg(3 * MB + MB // 2), "big.jpg", 400, [f"{photo}：文件“big.jpg”大小为 3.5 MB，超过上限 3.0 MB"]),
        (
            "id_photo",
            b"%PDF-" + b"\x00" * MB,
            "id.jpg",
            400,
            ["二寸证件照（JPG，1–3 MB）：文件“id.jpg”的内容不是 JPG 格式（按文件内容识别，与扩展名无关）"],
        ),
        (
            "unit_opinion",
            jpeg(),
            "opinion.pdf",
            400,
            ["申报单位盖章意见（PDF）：文件“opinion.pdf”的内容不是 PDF 格式（按文件内容识别，与扩展名无关）"],
        ),
        ("unit_opinion", b"", "empty.pdf", 400, ["申报单位盖章意见（PDF）：文件“empty.pdf”是空文件"]),
        (
            "passport",
            jpeg(),
            "p.jpg",
            400,
            ["未知的附件类型“passport”（可选：photo, id_photo, unit_opinion, recommender_opinion）"],
        ),
        ("recommender_opinion", PDF_BYTES, "r.pdf", 403, ["您不能上传此类附件：推荐单位盖章意见（PDF）"]),
    ]
    for kind, content, name, status, expected in cases:
        response = client.post(
            f"{URL}{nid}/attachments/", {"kind": kind, "file": file(content, name)}, format="multipart"
        )
        assert errors(response) == (status, expected), (kind, name)
    response = client.post(f"{URL}{nid}/attachments/", {"kind": "photo"}, format="multipart")
    assert errors(response) == (400, [f"{photo}：请选择要上传的文件"])
    assert fingerprint() == before
    assert stored_files() == files_before

    # Five photos at most.
    for i in range(5):
        ok(upload(client, nid, "photo", name=f"{i}.jpg"), 201)
    before, files_before = fingerprint(), stored_files()
    assert errors(upload(client, nid, "photo", name="6.jpg")) == (400, [f"“{photo}”最多上传 5 个文件"])
    assert (fingerprint(), stored_files()) == (before, files_before)


def test_submit_reports_every_unmet_condition(users, round_):
    client = as_(users, "applicant_csf_br1")
    # A draft with only the nominee's name.
    bare = ok(
        client.post(URL, {"round": round_.pk, "category": "volunteer", "nominee_name": "林海燕"}, format="json"), 201
    )
    # Two photos only.
    two_photos = create_draft(users, round_.pk, "volunteer", attachments=False)
    for i in range(2):
        ok(upload(client, two_photos, "photo", name=f"{i}.jpg"), 201)
    ok(upload(client, two_photos, "id_photo"), 201)
    ok(upload(client, two_photos, "unit_opinion"), 201)
    # A project ending before it starts, with a word that may not be submitted.
    project = create_draft(
        users,
        round_.pk,
        "project",
        period_start="2025-01-01",
        period_end="2024-12-31",
        deeds="项目组织养殖户开展技术培训，严禁赌博等不良风气。",
    )
    # Deeds over 2,000 characters (test setup: data that bypassed the form, e.g. an import).
    long_deeds = create_draft(users, round_.pk, "team")
    Nomination.objects.filter(pk=long_deeds).update(deeds="事" * 2001)

    before = fingerprint()
    assert errors(act(users, "applicant_csf_br1", bare["id"], "submit")) == (
        400,
        [
            "请填写“性别”",
            "请填写“出生日期”",
            "请填写“工作单位”",
            "请填写“职务/职称”",
            "请填写“科技志愿服务平台注册编号”",
            "请填写“开展服务活动次数”",
            "请填写“服务时长（小时）”",
            "请填写“主要事迹”",
            "请填写“联系人”",
            "请填写“联系电话”",
            "请填写“申报单位意见”",
            "请填写“申报单位负责人”",
            "请填写“申报单位意见日期”",
            "工作照片须 3–5 张（现为 0 张）",
            "请上传一张二寸证件照",
            "请上传申报单位盖章意见（PDF）",
        ],
    )
    assert errors(act(users, "applicant_csf_br1", two_photos, "submit")) == (400, ["工作照片须 3–5 张（现为 2 张）"])
    assert errors(act(users, "applicant_csf_br1", project, "submit")) == (
        400,
        # The term of the highest severity in the deeds flags the record, refuses nothing.
        ["项目结束日期不能早于开始日期"],
    )
    assert errors(act(users, "applicant_csf_br1", long_deeds, "submit")) == (
        400,
        ["主要事迹不得超过 2000 字（现为 2001 字）"],
    )
    assert fingerprint() == before

    # After the submission window closed.
    closed = make_round(
        kind="selection",
        submission_opens=timezone.now() - dt.timedelta(days=30),
        submission_closes=timezone.now() - dt.timedelta(days=1),
    )
    late = create_draft(users, closed.pk, "site", "applicant_xuwen")
    when = timezone.localtime(closed.submission_closes).strftime("%Y-%m-%d %H:%M")
    assert errors(act(users, "applicant_xuwen", late, "submit")) == (400, [f"申报窗口已于 {when} 关闭"])
    assert Nomination.objects.get(pk=late).state == "draft"


def test_resubmission_needs_a_change(users, round_):
    nid = nomination_in(users, round_.pk, "site", "returned", "applicant_xuwen")
    before = fingerprint()
    assert errors(act(users, "applicant_xuwen", nid, "resubmit")) == (
        400,
        ["自退回以来内容没有任何修改，请修改后再提交"],
    )
    assert fingerprint() == before
    ok(as_(users, "applicant_xuwen").patch(f"{URL}{nid}/", {"activities": 44}, format="json"))
    assert ok(act(users, "applicant_xuwen", nid, "resubmit", "已补充服务记录。"))["state"] == "submitted"


def test_the_recommending_unit_must_state_no_violation_and_give_reasons(users, round_):
    nid = nomination_in(users, round_.pk, "volunteer", "submitted")
    ok(review(users, "content_csf", nid, "recommender"), 201)
    ok(upload(as_(users, "reviewer_csf"), nid, "recommender_opinion"), 201)
    statement = f"推荐意见须包含“{NO_VIOLATION_STATEMENT}”的表述"
    before = fingerprint()
    assert errors(act(users, "reviewer_csf", nid, "recommend")) == (400, ["请填写意见", statement])
    assert errors(act(users, "reviewer_csf", nid, "recommend", "同意推荐，事迹突出。")) == (400, [statement])
    assert errors(act(users, "reviewer_csf", nid, "return_for_revision", "  ")) == (400, ["请填写意见"])
    assert errors(act(users, "reviewer_csf", nid, "decline")) == (400, ["请填写意见"])
    response = as_(users, "reviewer_csf").post(f"{URL}{nid}/transitions/fly/", {}, format="json")
    assert errors(response) == (404, ["不存在名为“fly”的操作"])
    response = as_(users, "reviewer_csf").post(
        f"{URL}{nid}/transitions/recommend/", {"opinion": "同" * 5001}, format="json"
    )
    assert errors(response) == (400, ["opinion: 请确保这个字段不能超过 5000 个字符。"])
    assert fingerprint() == before
    # The statement is found whatever the line breaks and spaces in it.
    recommended = ok(act(users, "reviewer_csf", nid, "recommend", "同意推荐。经核查，近两年未发现\n违法 违纪行为。"))
    assert recommended["state"] == "recommended"


def test_content_reviews_assignments_and_scores_refuse_bad_input(users, round_):
    nid = nomination_in(users, round_.pk, "team", "expert_review", "applicant_gd_fish")
    staff = as_(users, "cast_staff")
    before = fingerprint()
    response = as_(users, "content_cast").post(
        f"{URL}{nid}/content-reviews/", {"stage": "cast", "verdict": "maybe", "opinion": ""}, format="json"
    )
    assert errors(response) == (400, ["verdict: “maybe” 不是合法选项。", "opinion: 该字段不能为空。"])
    assert errors(review(users, "content_cast", nid, "publication")) == (
        409,
        ["记录当前状态“专家评审”不需要“发布前内容审核”"],
    )
    # CSF's content reviewer passed it at its own stage and still reads it, but cannot judge CAST's.
    assert errors(review(users, "content_csf", nid, "cast")) == (403, ["只有负责该环节的内容审核员可以作出审核结论"])
    assert errors(review(users, "content_gd_cast", nid, "cast")) == (404, ["记录不存在或您无权查看"])

    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = staff.post(
        f"{URL}{nid}/assignments/",
        {"stage": "expert", "assignee": "applicant_xuwen", "due_date": yesterday},
        format="json",
    )
    assert errors(response) == (400, ["王海（徐闻县科协） 不是评审专家", "截止日期不能早于今天"])
    response = staff.post(f"{URL}{nid}/assignments/", {"stage": "expert", "assignee": "nobody"}, format="json")
    assert errors(response) == (400, ["用户“nobody”不存在"])
    assert errors(assign(users, nid, "expert_5")) == (400, ["专家五：利益冲突：专家所在单位即该记录的推荐单位"])
    response = as_(users, "reviewer_csf").post(
        f"{URL}{nid}/assignments/", {"stage": "expert", "assignee": "expert_1"}, format="json"
    )
    assert errors(response) == (403, ["只有中国科协工作人员可以分配评审任务"])
    assert fingerprint() == before

    ok(assign(users, nid, "expert_1"), 201)
    assert errors(assign(users, nid, "expert_1")) == (400, ["专家一 已被分配该记录的此项任务"])
    before = fingerprint()
    bad = {"deeds": 101, "impact": "x", "foo": 1, "continuity": True}
    assert errors(score(users, "expert_1", nid, bad, comment="")) == (
        400,
        [
            "未知的评分指标：foo",
            "“先进事迹”的分数必须是 0–100 的整数",
            "“服务成效与影响”的分数必须是 0–100 的整数",
            "请为“创新与示范性”打分",
            "“持续性”的分数必须是 0–100 的整数",
            "请填写评审意见",
        ],
    )
    response = as_(users, "expert_1").post(f"{URL}{nid}/scores/", {"scores": [90, 80], "comment": "好"}, format="json")
    assert errors(response) == (400, ["评分必须按评分指标给出"])
    # An expert not assigned does not even see the record.
    assert errors(score(users, "expert_2", nid)) == (404, ["记录不存在或您无权查看"])
    assert fingerprint() == before


def test_shortlisting_beyond_the_number_needs_a_reason(users):
    round_ = make_round(kind="selection", settings={"winners_per_category": {"volunteer": 1}})
    first = nomination_in(users, round_.pk, "volunteer", "scored", totals=(90, 90, 90))
    second = nomination_in(users, round_.pk, "volunteer", "scored", "applicant_xuwen", totals=(80, 80, 80))
    for nid in (first, second):
        ok(review(users, "content_cast", nid, "cast"), 201)
    ok(act(users, "cast_staff", first, "shortlist"))
    before = fingerprint()
    message = "“十佳科技志愿者”类别已选定 1 名（名额 1 名），超出须填写理由"
    assert errors(act(users, "cast_staff", second, "shortlist")) == (400, [message])
    assert errors(bulk(users, "shortlist", [second], "  ")) == (400, [f"《{FORM_NAME}》：{message}"])
    assert fingerprint() == before
    reason = "该同志在抗台救灾中事迹特别突出，经评审委员会研究同意增列。"
    shortlisted = ok(act(users, "cast_staff", second, "shortlist", reason))
    assert (shortlisted["state"], shortlisted["shortlist_reason"]) == ("shortlisted", reason)


FORM_NAME = form("volunteer")["nominee_name"]


def test_bulk_and_notice_forms_refuse_bad_input(users, round_):
    nid = nomination_in(users, round_.pk, "project", "expert_review", "applicant_xuwen")
    staff = as_(users, "cast_staff")
    before = fingerprint()
    response = staff.post(f"{URL}bulk-transition/", {"name": "shortlist", "ids": []}, format="json")
    assert errors(response) == (400, ["ids: 该字段必须包含至少 1 个元素。"])
    response = staff.post(f"{URL}bulk-transition/", {"name": "fly", "ids": [nid]}, format="json")
    assert errors(response) == (400, ["《对虾健康养殖技术进村入户》：不存在名为“fly”的操作"])

    body = {"round": round_.pk, "record_type": "nominations.nomination", "record_ids": [], "title": ""}
    assert errors(staff.post("/api/v1/notices/", body, format="json")) == (
        400,
        ["请填写公示标题", "请至少选择一条记录"],
    )
    body = {**body, "record_ids": [nid], "title": "拟入选名单公示"}
    assert errors(staff.post("/api/v1/notices/", body, format="json")) == (
        400,
        ["《对虾健康养殖技术进村入户》：当前状态为“专家评审”，只有“未入选、拟入选”的记录可以列入公示"],
    )
    assert fingerprint() == before


# -- the public objection form ------------------------------------------------------------------


@pytest.fixture
def published(users, round_) -> dict[str, Any]:
    nid = nomination_in(users, round_.pk, "site", "shortlisted", "applicant_xuwen")
    notice = notice_for(users, round_.pk, [nid])
    return {"notice": notice, "entry": entry_of(notice, nid), "nid": nid}


def objection_multipart(notice_id: int, data: dict[str, Any], files: list[io.BytesIO], ip: str = "203.0.113.9"):
    body: dict[str, Any] = {**data}
    if files:
        body["evidence"] = files
    return APIClient().post(f"/api/v1/public/notices/{notice_id}/objections/", body, format="multipart", REMOTE_ADDR=ip)


def test_the_public_objection_form_refuses_bad_input_and_stores_nothing(users, published):
    notice_id, entry = published["notice"]["id"], published["entry"]
    valid = {"entry": entry, **OBJECTOR}
    before, files_before = fingerprint(), stored_files()
    missing = [
        "请选择异议对象（公示名单中的一项）",
        "请填写姓名",
        "请填写工作单位",
        "请填写联系电话",
        "请填写异议内容",
    ]
    assert errors(APIClient().post(f"/api/v1/public/notices/{notice_id}/objections/", {}, format="json")) == (
        400,
        missing,
    )
    assert errors(objection_multipart(notice_id, {}, [])) == (400, missing)
    bad = {**valid, "name": "陈" * 51, "phone": "call me", "email": "not-an-email", "content": "不实"}
    assert errors(objection_multipart(notice_id, bad, [])) == (
        400,
        [
            "姓名不得超过 50 个字符",
            "联系电话只能包含数字、“+”和“-”，长度为 7 至 20 位",
            "电子邮箱格式不正确",
            "异议内容不得少于 10 个字符",
        ],
    )
    assert errors(objection_multipart(notice_id, {**valid, "content": "异" * 2001}, [])) == (
        400,
        ["异议内容不得超过 2000 个字符"],
    )
    assert errors(objection_multipart(notice_id, {**valid, "entry": entry + 999}, [])) == (
        400,
        ["请选择异议对象（公示名单中的一项）"],
    )
    big = file(b"%PDF-1.4\n" + b"0" * (11 * MB - 9), "evidence.pdf")
    assert errors(objection_multipart(notice_id, valid, [big])) == (
        400,
        ["证明材料：文件“evidence.pdf”大小为 11.0 MB，超过上限 10.0 MB"],
    )
    exe = file(b"MZ\x90\x00" + b"\x00" * 2048, "evidence.pdf")
    empty = file(b"", "blank.png")
    assert errors(objection_multipart(notice_id, valid, [exe, empty])) == (
        400,
        [
            "证明材料：文件“evidence.pdf”的内容不是 PDF、JPG、PNG 格式（按文件内容识别，与扩展名无关）",
            "证明材料：文件“blank.png”是空文件",
        ],
    )
    six = [file(PDF_BYTES, f"{i}.pdf") for i in range(6)]
    assert errors(objection_multipart(notice_id, valid, six)) == (400, ["证明材料最多 5 个文件，您选择了 6 个"])
    # The same, through the public page's form: the page again, with the errors, and nothing stored.
    big = file(b"%PDF-1.4\n" + b"0" * (11 * MB - 9), "evidence.pdf")
    page = APIClient().post(f"/public/notices/{notice_id}/", {"entry": "", "name": "", "evidence": [big]})
    assert page.status_code == 400
    text = page.content.decode()
    for message in [*missing[:5], "请填写异议内容", "证明材料：文件“evidence.pdf”大小为 11.0 MB，超过上限 10.0 MB"]:
        assert message in text, message
    assert fingerprint() == before
    assert stored_files() == files_before

    # A good one is taken, with its evidence.
    good = objection_multipart(
        notice_id, valid, [file(PDF_BYTES, "证明.pdf"), file(PNG_HEAD + b"\x00" * 64, "截图.png")]
    )
    assert good.status_code == 201, good.json()
    objection = Objection.objects.get(reference=good.json()["reference"])
    assert sorted(objection.evidence.values_list("original_name", "content_type")) == [
        ("截图.png", "image/png"),
        ("证明.pdf", "application/pdf"),
    ]


def test_a_flood_from_one_address_is_stopped(users, published):
    notice_id, entry = published["notice"]["id"], published["entry"]
    for i in range(5):
        ok(
            file_objection(
                notice_id, entry, ip="203.0.113.50", content=f"第{i + 1}条异议：服务记录与实际不符，请核实。"
            ),
            201,
        )
    before = fingerprint()
    flood = "同一网络地址一小时内最多提交 5 条异议，请稍后再试"
    assert errors(file_objection(notice_id, entry, ip="203.0.113.50")) == (429, [flood])
    # Even a bad filing is answered the same, and the page's form is held back too.
    assert errors(file_objection(notice_id, entry, ip="203.0.113.50", name="")) == (429, [flood])
    page = APIClient().post(f"/public/notices/{notice_id}/", {"entry": entry, **OBJECTOR}, REMOTE_ADDR="203.0.113.50")
    assert page.status_code == 429 and flood in page.content.decode()
    assert fingerprint() == before
    # Another address is not affected.
    ok(file_objection(notice_id, entry, ip="198.51.100.77"), 201)
    assert Objection.objects.count() == 6


def test_objections_only_during_the_period_and_decisions_need_reasons(users, published):
    notice_id, entry, nid = published["notice"]["id"], published["entry"], published["nid"]
    reference = ok(file_objection(notice_id, entry), 201)["reference"]
    objection = Objection.objects.get(reference=reference)
    staff = as_(users, "cast_staff")
    before = fingerprint()
    response = staff.post(
        f"/api/v1/objections/{objection.pk}/decide/", {"decision": "maybe", "reason": " "}, format="json"
    )
    assert errors(response) == (
        400,
        ["处理结论必须是 uphold（异议成立）、partly（异议部分成立）或 dismiss（异议不成立）", "请填写处理理由"],
    )
    response = as_(users, "content_cast").post(
        f"/api/v1/objections/{objection.pk}/decide/", {"decision": "uphold", "reason": "成立"}, format="json"
    )
    assert response.status_code == 403
    assert fingerprint() == before
    ok(
        staff.post(
            f"/api/v1/objections/{objection.pk}/decide/",
            {"decision": "dismiss", "reason": "经核实不成立。"},
            format="json",
        )
    )
    response = staff.post(
        f"/api/v1/objections/{objection.pk}/decide/", {"decision": "uphold", "reason": "再议"}, format="json"
    )
    assert errors(response) == (409, [f"异议 {reference} 已处理（异议不成立），不能重复处理"])
    assert Nomination.objects.get(pk=nid).state == "public_notice"

    end_notice_period(notice_id)
    notice = PublicNotice.objects.get(pk=notice_id)
    before = fingerprint()
    assert errors(file_objection(notice_id, entry)) == (
        400,
        [f"公示期为 {notice.starts_on.isoformat()} 至 {notice.ends_on.isoformat()}，现已不在公示期内，不接受异议"],
    )
    assert fingerprint() == before


def test_a_nomination_in_the_flow_is_not_changed_by_refused_steps(users, round_):
    """Transitions taken from the wrong state answer 409 and change nothing."""
    nid = nomination_in(users, round_.pk, "team", "recommended", "applicant_gd_fish")
    before = fingerprint()
    assert errors(act(users, "applicant_gd_fish", nid, "withdraw")) == (
        409,
        ["记录当前状态为“已推荐（待中国科协审核）”，无法执行“撤回”：可能已被他人处理，请刷新后重试"],
    )
    assert errors(act(users, "reviewer_csf", nid, "recommend", RECOMMEND_OPINION)) == (
        409,
        ["记录当前状态为“已推荐（待中国科协审核）”，无法执行“推荐”：可能已被他人处理，请刷新后重试"],
    )
    assert errors(act(users, "reviewer_csf", nid, "confirm_eligible")) == (403, ["您没有权限执行“资格审查通过”"])
    assert errors(act(users, "cast_staff", nid, "declare_ineligible")) == (400, ["请填写意见"])
    assert errors(upload(as_(users, "applicant_gd_fish"), nid, "photo")) == (
        409,
        ["记录当前状态为“已推荐（待中国科协审核）”，不能更改“工作照片（JPG，1–3 MB）”"],
    )
    assert fingerprint() == before
    advance(users, nid, "applicant_gd_fish", "expert_review", start="recommended")
    assert Nomination.objects.get(pk=nid).state == "expert_review"
