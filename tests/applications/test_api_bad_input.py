"""Bad input to ``/api/v1/applications/`` gets a clear error — the exact list of messages, in
Chinese by default — and leaves the record and the database as they were."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone

from applications.models import Application, BudgetLine, TeamMember
from applications.serializers import ApplicationSerializer
from tests.applications.builders import (
    GOOD_SCORES,
    URL,
    application_in,
    assign,
    create_draft,
    ok,
    score,
    unique_name,
)
from tests.applications.helpers import act, form, review, upload
from tests.conftest import api_as, make_round
from tests.decisions import decided
from workflows.models import Attachment, AuditEvent, Checkpoint, ReviewAssignment, Revision, Round, Score

RECORD_TYPE = "applications.application"


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


def snapshot(app_id: int) -> dict[str, Any]:
    """Everything about one application a refused request must leave as it was."""
    app = Application.objects.get(pk=app_id)
    where = {"record_type": RECORD_TYPE, "record_id": app_id}
    return {
        "record": dict(ApplicationSerializer(app).data),
        "attachments": sorted(Attachment.objects.filter(**where).values_list("pk", "kind", "sha256", "file")),
        "events": list(AuditEvent.objects.filter(**where).values_list("pk", flat=True)),
        "revisions": Revision.objects.filter(**where).count(),
        "checkpoints": Checkpoint.objects.filter(**where).count(),
        "assignments": sorted(ReviewAssignment.objects.filter(**where).values_list("pk", "assignee_id", "status")),
        "scores": sorted(
            Score.objects.filter(record_type="applications.application", record_id=app_id).values_list(
                "pk", "expert_id", "total"
            )
        ),
    }


def counts() -> tuple[int, ...]:
    return (
        Application.objects.count(),
        TeamMember.objects.count(),
        BudgetLine.objects.count(),
        Attachment.objects.count(),
        AuditEvent.objects.count(),
    )


def refused(response: Any, status: int = 400) -> list[str]:
    """The error list of a refused request (and its detail is the first of them)."""
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert body["detail"] == body["errors"][0]
    return body["errors"]


def file(content: bytes, name: str) -> io.BytesIO:
    f = io.BytesIO(content)
    f.name = name
    return f


# -- the form ------------------------------------------------------------------------------


def test_budget_not_summing_to_the_request_blocks_submit(users, round_id):
    app_id = create_draft(
        users,
        round_id,
        "applicant_csf_br1",
        budget=[
            {"category": "other", "item": "培训资料印制", "amount": "20000.00", "note": ""},
            {"category": "other", "item": "专家差旅", "amount": "50000.00", "note": ""},
        ],
    )
    before = snapshot(app_id)
    assert refused(act(users, "applicant_csf_br1", app_id, "submit")) == [
        "预算明细合计 70,000.00 元，与申请金额 80,000.00 元不一致"
    ]
    assert snapshot(app_id) == before
    options = api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/transitions/").json()
    submit = next(t for t in options if t["name"] == "submit")
    assert (submit["allowed"], submit["blocked_reasons"]) == (
        False,
        ["预算明细合计 70,000.00 元，与申请金额 80,000.00 元不一致"],
    )


def test_negative_amounts(users, round_id):
    client = api_as(users["applicant_csf_br1"])
    before = counts()
    data = form(round=round_id, subproject="grassroots", requested_amount="-80000.00")
    assert refused(client.post(URL, data, format="json")) == ["申请金额（元）不能为负数"]
    assert counts() == before

    app_id = create_draft(users, round_id, "applicant_csf_br1")
    before = snapshot(app_id)
    body = {
        "requested_amount": "-1",
        "budget": [
            {"category": "other", "item": "培训资料印制", "amount": "-20000.00"},
            {"category": "other", "item": "专家差旅", "amount": "60000.00"},
        ],
    }
    assert refused(client.patch(f"{URL}{app_id}/", body, format="json")) == [
        "申请金额（元）不能为负数",
        "预算明细第 1 行金额不能为负数",
    ]
    assert snapshot(app_id) == before


def test_amounts_that_are_not_money(users, round_id):
    app_id = create_draft(users, round_id, "applicant_csf_br1")
    before = snapshot(app_id)
    body = {
        "requested_amount": "八万元",
        "budget": [
            {"category": "travel", "item": "", "amount": "1.234"},
            {"category": "travel", "item": "差旅"},
            "not a row",
        ],
        "team": "李明",
    }
    assert refused(api_as(users["applicant_csf_br1"]).patch(f"{URL}{app_id}/", body, format="json")) == [
        "申请金额（元）必须是金额数字（如 50000.00）",
        "团队成员必须是列表",
        "预算明细第 1 行：请填写支出内容",
        "预算明细第 1 行金额最多保留两位小数（单位：元）",
        "预算明细第 2 行：请填写金额",
        "预算明细第 3 行格式不正确",
    ]
    assert snapshot(app_id) == before


def test_missing_required_fields_on_submit(users, round_id):
    client = api_as(users["applicant_csf_br1"])
    created = ok(
        client.post(URL, {"round": round_id, "subproject": "grassroots", "name": "水产科普进村"}, format="json"), 201
    )
    before = snapshot(created["id"])
    assert refused(act(users, "applicant_csf_br1", created["id"], "submit")) == [
        "请填写“项目负责人”",
        "请填写“负责人手机”",
        "请填写“服务地区（省）”",
        "请填写“服务对象”",
        "请填写“实施开始日期”",
        "请填写“实施结束日期”",
        "请填写“立项依据与目的”",
        "请填写“主要内容”",
        "请填写“预期成果”",
        "请填写“实施条件”",
        "请填写“申请金额（元）”",
        "请填写“承诺人（单位负责人）”",
        "请至少填写一名团队成员",
        "请填写预算明细",
        "请勾选内容承诺（材料真实、内容经过审核、接受监督检查和评估）",
        "请上传加盖公章的申报书（PDF）",
        "请填写“学会科技志愿服务基层行 · 服务的老少边贫地区”",
        "请填写“学会科技志愿服务基层行 · 参加服务的学会会员人数”",
        "请填写“学会科技志愿服务基层行 · 学会会员志愿服务队伍情况”",
        "请填写“共同信息 · 科技志愿服务信息平台组织编号”",
        "请填写“共同信息 · 信息平台注册志愿者人数”",
        "请填写“共同信息 · 活动安全预案”",
        "请确认“已为科技志愿者购买保险”",
        "请填写“共同信息 · 保险情况说明（险种、人数、保额）”",
        "请填写实施进度安排（至少一行）",
        "绩效目标表：请至少填写一项产出指标中的数量指标",
        "绩效目标表：请至少填写一项产出指标中的质量指标或时效指标",
        "绩效目标表：请至少填写一项效益指标",
        "绩效目标表：请至少填写一项满意度指标",
    ]
    assert snapshot(created["id"]) == before
    # Creating needs the round, the sub-project and the name, all reported at once.
    before = counts()
    assert refused(client.post(URL, {"subproject": "nonsense"}, format="json")) == [
        "请选择有效的项目申报批次",
        "请填写“项目名称”",
    ]
    assert refused(client.post(URL, {"round": round_id, "subproject": "nonsense"}, format="json")) == [
        "请选择本批次的子项目",
        "请填写“项目名称”",
    ]
    assert counts() == before


def test_the_form_rules_of_the_round(users, round_id):
    """Name longer than the round allows, period reversed, request above the round's maximum,
    an organization type the sub-project does not accept."""
    app_id = create_draft(
        users,
        round_id,
        "applicant_csf_br1",
        name="学会科技志愿服务基层行水产养殖技术培训与现场指导项目",
        period_start="2027-12-31",
        period_end="2027-01-01",
        requested_amount="120000.00",
        budget=[{"category": "training", "item": "培训", "amount": "120000.00"}],
    )
    client = api_as(users["applicant_csf_br1"])
    assert ok(client.patch(f"{URL}{app_id}/", {"subproject": "civilization_centre"}, format="json"))
    before = snapshot(app_id)
    assert refused(act(users, "applicant_csf_br1", app_id, "submit")) == [
        "项目名称不得超过 20 个字（现为 26 个）",
        "实施结束日期必须晚于开始日期",
        "申请金额 12 万元不在本批次资助额度 4～10 万元之内",
        "本单位类型（学会分支机构）不能申报“助力新时代文明实践中心建设”",
        # The grassroots section did not carry over to the other sub-project.
        "请填写“助力新时代文明实践中心建设 · 所属县级志愿服务总队下的科技志愿服务队伍”",
        "请填写“助力新时代文明实践中心建设 · 担任队长的“三长”：学校校长”",
        "请填写“助力新时代文明实践中心建设 · 担任队长的“三长”：医院院长”",
        "请填写“助力新时代文明实践中心建设 · 担任队长的“三长”：农技站站长”",
        "请填写“助力新时代文明实践中心建设 · 服务的新时代文明实践中心（所、站）”",
    ]
    assert snapshot(app_id) == before


def test_unknown_fields_are_named_not_dropped(users, round_id):
    client = api_as(users["applicant_csf_br1"])
    before = counts()
    data = form(round=round_id, subproject="grassroots", leader_nmae="李明", state="approved")
    data["team"] = [{"name": "李明", "age": 45}]
    assert refused(client.post(URL, data, format="json")) == [
        "未知的字段：leader_nmae",
        "未知的字段：state",
        "团队成员第 1 行：未知的字段 age",
    ]
    assert counts() == before

    # Read-only fields cannot be written either: the state, the funding, the approval number.
    app_id = create_draft(users, round_id, "applicant_csf_br1")
    before = snapshot(app_id)
    body = {"state": "approved", "funding_amount": "100000", "approval_number": "智惠〔2026〕999号", "round": 1}
    assert refused(client.patch(f"{URL}{app_id}/", body, format="json")) == [
        "申报批次和申报单位创建后不能更改",
        "未知的字段：approval_number",
        "未知的字段：funding_amount",
        "未知的字段：state",
    ]
    assert snapshot(app_id) == before

    # The workflow endpoints name unknown fields too: a misspelt opinion is not silently lost.
    assert refused(client.post(f"{URL}{app_id}/transitions/submit/", {"opinon": "请审核"}, format="json")) == [
        "未知的字段：opinon"
    ]
    assert snapshot(app_id) == before


def test_malformed_json(users, round_id):
    client = api_as(users["applicant_csf_br1"])
    app_id = create_draft(users, round_id, "applicant_csf_br1")
    before, total = snapshot(app_id), counts()
    for method, path in [
        ("post", URL),
        ("patch", f"{URL}{app_id}/"),
        ("post", f"{URL}{app_id}/transitions/submit/"),
        ("post", f"{URL}{app_id}/content-reviews/"),
        ("post", f"{URL}{app_id}/scores/"),
        ("post", f"{URL}{app_id}/assignments/"),
    ]:
        response = getattr(client, method)(path, '{"name": "水产', content_type="application/json")
        assert (path, refused(response)) == (path, ["请求内容不是有效的 JSON"])
    # Valid JSON that is not an object.
    assert refused(client.post(URL, "[1, 2]", content_type="application/json")) == ["请求内容必须是 JSON 对象"]
    assert refused(client.patch(f"{URL}{app_id}/", '"text"', content_type="application/json")) == [
        "请求内容必须是 JSON 对象"
    ]
    assert refused(client.post(f"{URL}{app_id}/transitions/submit/", "[1]", content_type="application/json")) == [
        "无效数据。期待为字典类型，得到的是 list 。"
    ]
    assert refused(client.post(f"{URL}{app_id}/transitions/submit/", {"data": [1]}, format="json")) == [
        "data: 期望是包含类目的字典，得到类型为 “list”。"
    ]
    assert snapshot(app_id) == before
    assert counts() == total


# -- files ---------------------------------------------------------------------------------


def test_a_text_file_renamed_pdf_is_refused_and_the_sealed_pdf_kept(users, round_id):
    app_id = create_draft(users, round_id, "applicant_csf_br1")
    before = snapshot(app_id)
    client = api_as(users["applicant_csf_br1"])
    response = upload(client, app_id, "sealed_application", content="申报书正文\n".encode(), name="申报书.pdf")
    assert refused(response) == [
        "加盖公章的申报书（PDF）：文件“申报书.pdf”的内容不是 PDF 格式（按文件内容识别，与扩展名无关）"
    ]
    # An image is no PDF either, nor an empty file, nor a missing one, nor an unknown kind.
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    assert refused(upload(client, app_id, "sealed_application", content=png, name="seal.pdf")) == [
        "加盖公章的申报书（PDF）：文件“seal.pdf”的内容不是 PDF 格式（按文件内容识别，与扩展名无关）"
    ]
    assert refused(upload(client, app_id, "sealed_application", content=b"", name="empty.pdf")) == [
        "加盖公章的申报书（PDF）：文件“empty.pdf”是空文件"
    ]
    response = client.post(f"{URL}{app_id}/attachments/", {"kind": "sealed_application"}, format="multipart")
    assert refused(response) == ["加盖公章的申报书（PDF）：请选择要上传的文件"]
    assert refused(upload(client, app_id, "photo")) == [
        "未知的附件类型“photo”"
        "（可选：sealed_application, unit_opinion, supervisor_opinion, other, recommender_opinion）"
    ]
    # The recommending unit's opinion is not the applicant's to upload.
    assert refused(upload(client, app_id, "recommender_opinion"), 403) == [
        "您不能上传此类附件：推荐单位盖章意见（PDF）"
    ]
    assert snapshot(app_id) == before


def test_a_file_over_the_rounds_limit(users):
    round_ = make_round(settings={"attachment_max_mb": 1})
    app_id = create_draft(users, round_.pk, "applicant_csf_br1", sealed=False)
    before = snapshot(app_id)
    content = b"%PDF-1.4\n" + b"0" * (int(1.1 * 1024 * 1024) - 9)
    response = upload(api_as(users["applicant_csf_br1"]), app_id, "sealed_application", content=content, name="大.pdf")
    assert refused(response) == ["加盖公章的申报书（PDF）：文件“大.pdf”大小为 1.1 MB，超过上限 1.0 MB"]
    assert snapshot(app_id) == before
    # Exactly at the limit is fine.
    exact = b"%PDF-1.4\n" + b"0" * (1024 * 1024 - 9)
    response = upload(api_as(users["applicant_csf_br1"]), app_id, "sealed_application", content=exact, name="满.pdf")
    assert (response.status_code, response.json()["size"]) == (201, 1024 * 1024)


# -- windows, quotas, duplicates -----------------------------------------------------------


def test_a_closed_submission_window(users):
    now = timezone.now()
    round_ = make_round(submission_opens=now - dt.timedelta(days=30), submission_closes=now - dt.timedelta(days=1))
    app_id = create_draft(users, round_.pk, "applicant_csf_br1")
    before = snapshot(app_id)
    closed = timezone.localtime(round_.submission_closes).strftime("%Y-%m-%d %H:%M")
    assert refused(act(users, "applicant_csf_br1", app_id, "submit")) == [f"申报窗口已于 {closed} 关闭"]
    assert snapshot(app_id) == before


def test_a_window_not_yet_open(users):
    now = timezone.now()
    round_ = make_round(submission_opens=now + dt.timedelta(days=2), submission_closes=now + dt.timedelta(days=20))
    app_id = create_draft(users, round_.pk, "applicant_csf_br1")
    before = snapshot(app_id)
    opens = timezone.localtime(round_.submission_opens).strftime("%Y-%m-%d %H:%M")
    assert refused(act(users, "applicant_csf_br1", app_id, "submit")) == [f"申报窗口尚未开放（{opens} 开始）"]
    assert snapshot(app_id) == before


def test_an_exceeded_recommender_quota(users):
    round_ = make_round(settings={"recommender_quota": 1})
    first = application_in(users, round_.pk, "submitted", "applicant_csf_br1")
    second = application_in(users, round_.pk, "submitted", "applicant_gd_fish")
    for app_id in (first, second):
        ok(review(users, "content_csf", app_id, "recommender"), 201)
        ok(upload(api_as(users["reviewer_csf"]), app_id, "recommender_opinion"), 201)
    ok(act(users, "reviewer_csf", first, "recommend", opinion="同意推荐。"))
    before = snapshot(second)
    assert refused(act(users, "reviewer_csf", second, "recommend", opinion="同意推荐。")) == [
        "本单位“学会科技志愿服务基层行”的推荐名额（1 个）已用完"
    ]
    assert snapshot(second) == before
    # Another sub-project of the same unit has its own quota.
    other = application_in(users, round_.pk, "submitted", "applicant_xuwen")
    ok(review(users, "content_gd_cast", other, "recommender"), 201)
    ok(upload(api_as(users["reviewer_gd_cast"]), other, "recommender_opinion"), 201)
    assert ok(act(users, "reviewer_gd_cast", other, "recommend", opinion="同意推荐。"))["state"] == "recommended"


def test_a_second_application_of_the_same_unit_and_sub_project(users, round_id):
    first = application_in(users, round_id, "submitted", "applicant_csf_br1")
    second = create_draft(users, round_id, "applicant_csf_br1")
    before = snapshot(second)
    assert refused(act(users, "applicant_csf_br1", second, "submit")) == [
        "本单位在本批次“学会科技志愿服务基层行”已有 1 项申报，达到限报数（1 项）"
    ]
    assert snapshot(second) == before
    # Once the first is withdrawn, the second may go.
    ok(act(users, "applicant_csf_br1", first, "withdraw", opinion=""))
    assert ok(act(users, "applicant_csf_br1", second, "submit"))["state"] == "submitted"


def test_the_same_project_name_from_two_units_is_shown_at_formal_review(users, round_id):
    name = unique_name()
    csf = application_in(users, round_id, "recommended", "applicant_csf_br1", name=name)
    xuwen = application_in(users, round_id, "recommended", "applicant_xuwen", name=name)
    before = snapshot(csf), snapshot(xuwen)
    # Flagged, not refused: passing without an opinion lists every suspected duplicate.
    assert refused(act(users, "cast_staff", csf, "pass_formal_review", opinion="")) == [
        f"疑似多头申报：与《{name}》（徐闻县科协，状态：已推荐（待中国科协审核）；项目名称相同）相似，通过形式审查须填写意见"
    ]
    assert refused(act(users, "cast_staff", xuwen, "pass_formal_review", opinion="")) == [
        f"疑似多头申报：与《{name}》（中国水产学会科普工作委员会，状态：已推荐（待中国科协审核）；项目名称相同）相似，"
        "通过形式审查须填写意见"
    ]
    assert (snapshot(csf), snapshot(xuwen)) == before
    # Resolved by rejecting one of them, the other passes without a word.
    ok(act(users, "cast_staff", xuwen, "reject_formal_review", opinion="与其他单位项目重复（多头申报）。"))
    assert ok(act(users, "cast_staff", csf, "pass_formal_review", opinion=""))["state"] == "expert_review"


def test_resubmitting_unchanged_after_the_recommender_opinion_was_uploaded(users, round_id):
    """The recommending unit's opinion PDF is not a change of the applicant's content."""
    app_id = application_in(users, round_id, "submitted")
    ok(upload(api_as(users["reviewer_csf"]), app_id, "recommender_opinion"), 201)
    ok(act(users, "reviewer_csf", app_id, "return_for_revision", opinion="请量化绩效目标。"))
    before = snapshot(app_id)
    assert refused(act(users, "applicant_csf_br1", app_id, "resubmit")) == [
        "自退回以来内容没有任何修改，请修改后再提交"
    ]
    assert snapshot(app_id) == before
    diff = api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/diff/").json()
    assert diff == {"since": 1, "changes": []}


# -- experts and the proposal --------------------------------------------------------------


def test_an_expert_with_a_conflict_of_interest(users, round_id):
    app_id = application_in(users, round_id, "expert_review")
    before = snapshot(app_id)
    assert refused(assign(users, app_id, "expert_5")) == ["专家五：利益冲突：专家所在单位即该记录的推荐单位"]
    # Not an expert at all (and of the recommending unit); nobody by that name.
    assert refused(assign(users, app_id, "reviewer_csf")) == [
        "张翔（中国水产学会） 不是评审专家",
        "张翔（中国水产学会）：利益冲突：专家所在单位即该记录的推荐单位",
    ]
    assert refused(assign(users, app_id, "expert_99")) == ["用户“expert_99”不存在"]
    response = api_as(users["cast_staff"]).post(
        f"{URL}{app_id}/assignments/", {"stage": "expert", "assignee": "expert_1", "due": "2027-01-01"}, format="json"
    )
    assert refused(response) == ["未知的字段：due"]
    assert snapshot(app_id) == before
    # expert_5 reviews records of other recommending units; an expert is assigned only once.
    other = application_in(users, round_id, "expert_review", "applicant_xuwen")
    ok(assign(users, other, "expert_5"), 201)
    before = snapshot(other)
    assert refused(assign(users, other, "expert_5")) == ["专家五 已被分配该记录的此项任务"]
    assert snapshot(other) == before


@pytest.mark.parametrize(
    ("funding", "message"),
    [
        ("90000.00", "拟资助金额 90,000.00 元超过申请金额 80,000.00 元"),
        ("-1", "拟资助金额必须大于 0"),
        ("0", "拟资助金额必须大于 0"),
        ("六万", "拟资助金额必须是数字"),
        ("60000.005", "拟资助金额最多保留两位小数"),
        ("", "请填写拟资助金额"),
    ],
)
def test_a_funding_amount_that_is_not_right(users, round_id, funding, message):
    app_id = application_in(users, round_id, "expert_review", experts=("expert_1", "expert_2", "expert_3"))
    for expert in ("expert_1", "expert_2", "expert_3"):
        ok(score(users, expert, app_id), 201)
    ok(review(users, "content_cast", app_id, "cast"), 201)
    decided(users, "applications.application", round_id, app_id)
    before = snapshot(app_id)
    assert refused(act(users, "cast_staff", app_id, "propose", opinion="拟立项。", funding_amount=funding)) == [message]
    assert snapshot(app_id) == before
    assert Application.objects.get(pk=app_id).funding_amount is None


def test_propose_lists_every_unmet_condition(users, round_id):
    app_id = application_in(users, round_id, "expert_review", experts=("expert_1",))
    before = snapshot(app_id)
    assert refused(act(users, "cast_staff", app_id, "propose", opinion="", funding_amount="90000")) == [
        "请填写意见",
        "至少需要 3 位评审专家（已分配 1 位）",
        "还有 1 位专家未提交评分",
        "尚未经审定会议决定：请先登记审定会议（部务会或专题会）、上传会议纪要并添加本记录",
        "拟资助金额 90,000.00 元超过申请金额 80,000.00 元",
        "中国科协内容审核尚未完成（当前版本）",
    ]
    assert snapshot(app_id) == before


@pytest.mark.parametrize(
    ("scores", "comment", "errors"),
    [
        ({**GOOD_SCORES, "necessity": 101}, "好", ["“必要性”的分数必须是 0–100 的整数"]),
        ({**GOOD_SCORES, "feasibility": -1}, "好", ["“可行性”的分数必须是 0–100 的整数"]),
        ({**GOOD_SCORES, "targets": 85.5}, "好", ["“绩效目标可衡量”的分数必须是 0–100 的整数"]),
        ({**GOOD_SCORES, "team": True}, "好", ["“团队与实施条件”的分数必须是 0–100 的整数"]),
        ({k: v for k, v in GOOD_SCORES.items() if k != "budget"}, "好", ["请为“预算合理性”打分"]),
        (GOOD_SCORES, None, ["请填写评审意见"]),
        (GOOD_SCORES, "   ", ["请填写评审意见"]),
        (GOOD_SCORES, "好" * 5001, ["评审意见不得超过 5000 个字符"]),
        ({**GOOD_SCORES, "impact": 90}, "好", ["未知的评分指标：impact"]),
        (
            {"necessity": 200, "feasibility": "高"},
            "",
            [
                "“必要性”的分数必须是 0–100 的整数",
                "“可行性”的分数必须是 0–100 的整数",
                "请为“绩效目标可衡量”打分",
                "请为“团队与实施条件”打分",
                "请为“预算合理性”打分",
                "请填写评审意见",
            ],
        ),
        ([90, 85, 80, 88, 75], "好", ["评分必须按评分指标给出"]),
    ],
)
def test_bad_scores(users, round_id, scores, comment, errors):
    app_id = application_in(users, round_id, "expert_review", experts=("expert_1",))
    before = snapshot(app_id)
    assert refused(score(users, "expert_1", app_id, scores=scores, comment=comment)) == errors
    assert snapshot(app_id) == before


def test_scores_with_an_unknown_field(users, round_id):
    app_id = application_in(users, round_id, "expert_review", experts=("expert_1",))
    before = snapshot(app_id)
    response = api_as(users["expert_1"]).post(
        f"{URL}{app_id}/scores/", {"scores": GOOD_SCORES, "coment": "论证充分。"}, format="json"
    )
    assert refused(response) == ["未知的字段：coment"]
    assert snapshot(app_id) == before


def test_content_review_input(users, round_id):
    app_id = application_in(users, round_id, "submitted")
    client = api_as(users["content_csf"])
    before = snapshot(app_id)
    url = f"{URL}{app_id}/content-reviews/"
    assert refused(client.post(url, {"stage": "recommender", "verdict": "ok"}, format="json")) == [
        "verdict: “ok” 不是合法选项。",
        "opinion: 该字段是必填项。",
    ]
    assert refused(client.post(url, {"stage": "cast", "verdict": "pass", "opinion": "通过"}, format="json"), 409) == [
        "记录当前状态“已提交（待推荐单位审核）”不需要“中国科协内容审核”"
    ]
    response = client.post(
        url, {"stage": "recommender", "verdict": "pass", "opinion": "通过", "by": "x"}, format="json"
    )
    assert refused(response) == ["未知的字段：by"]
    assert snapshot(app_id) == before
