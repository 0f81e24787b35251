"""The application pages for every role: list, form, detail with the engine fragments,
attachments, expert scoring and assignment, propose, ranking and bulk actions."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application, SubprojectType
from tests.applications.helpers import PDF_BYTES, SECTIONS, act, create_ready, form, review, upload
from tests.conftest import api_as
from tests.decisions import agreed
from workflows.models import Attachment, ReviewAssignment, Round, SensitiveTerm


@pytest.fixture
def round_id(demo) -> int:
    return Round.objects.get(kind="application").pk


def page(client, url: str, **kwargs: Any) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text_of(response) -> str:
    """The page with HTML entities resolved, for comparing messages as the user reads them."""
    return html.unescape(response.content.decode())


def submitted(users, round_id: int, applicant: str = "applicant_csf_br1", **overrides: Any) -> int:
    app_id = create_ready(users, round_id, applicant, **overrides)
    response = act(users, applicant, app_id, "submit")
    assert response.status_code == 200, response.json()
    return app_id


def recommended(users, round_id: int, applicant: str = "applicant_csf_br1", **overrides: Any) -> int:
    app_id = submitted(users, round_id, applicant, **overrides)
    assert review(users, "content_csf", app_id, "recommender").status_code == 201
    assert upload(api_as(users["reviewer_csf"]), app_id, "recommender_opinion").status_code == 201
    response = act(users, "reviewer_csf", app_id, "recommend", opinion="同意推荐")
    assert response.status_code == 200, response.json()
    return app_id


def in_expert_review(users, round_id: int, **overrides: Any) -> int:
    app_id = recommended(users, round_id, **overrides)
    response = act(users, "cast_staff", app_id, "pass_formal_review")
    assert response.status_code == 200, response.json()
    return app_id


def form_post(subproject: SubprojectType | None, **overrides: Any) -> dict[str, Any]:
    """The browser's POST of the application form, with the values of helpers.form() (the
    section of the sub-project posted under its kind's prefix)."""
    if subproject is not None:
        overrides.setdefault("section", dict(SECTIONS.get(subproject.section_kind, {})))
    values = form(**overrides)
    data: dict[str, Any] = {"subproject": str(subproject.pk) if subproject else ""}
    for key, value in values.items():
        if key in ("team", "budget", "schedule", "performance", "section", "common"):
            continue
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        else:
            data[key] = str(value)
    for prefix, group in (
        (f"section-{subproject.section_kind if subproject else ''}", "section"),
        ("common", "common"),
    ):
        for key, value in values[group].items():
            if value is True:
                data[f"{prefix}-{key}"] = "on"
            elif isinstance(value, list):
                data[f"{prefix}-{key}"] = value
            else:
                data[f"{prefix}-{key}"] = str(value)
    performance = [{k: v for k, v in row.items() if k != "level1"} for row in values["performance"]]
    for prefix, rows, total in (
        ("team", values["team"], 10),
        ("budget", values["budget"], 15),
        ("schedule", values["schedule"], 8),
        ("targets", performance, 8),
    ):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(max(total, len(rows) + 2)),
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "50",
            }
        )
        for i, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{i}-{key}"] = str(value)
    return data


def grassroots(round_id: int) -> SubprojectType:
    return SubprojectType.objects.get(round_id=round_id, code="grassroots")


# -- scope: each page answers 200 for the right role and 404 outside scope ------------------


def test_list_page_for_every_role(client, users, round_id):
    app_id = submitted(users, round_id, name="水产养殖技术进村入户")
    api_as(users["applicant_gd_fish"]).post(
        "/api/v1/applications/", form(round=round_id, subproject="grassroots", name="广东渔业科普"), format="json"
    )
    client.force_login(users["applicant_csf_br1"])
    body = page(client, "/applications/")
    assert "水产养殖技术进村入户" in body
    assert "已提交（待推荐单位审核）" in body
    assert "撤回" in body  # the applicant's next step on a submitted application
    assert "广东渔业科普" not in body  # another unit's draft
    assert 'href="/applications/new/"' in body

    client.force_login(users["reviewer_csf"])
    body = page(client, "/applications/")
    assert "水产养殖技术进村入户" in body
    assert "不予推荐、推荐、退回修改" in body
    assert "广东渔业科普" not in body  # drafts never reach the reviewer

    client.force_login(users["content_csf"])
    assert "水产养殖技术进村入户" in page(client, "/applications/")

    for username in ("cast_staff", "expert_1", "reviewer_gd_cast"):
        client.force_login(users[username])
        assert "水产养殖技术进村入户" not in page(client, "/applications/")

    client.force_login(users["auditor"])
    body = page(client, "/applications/")
    assert "水产养殖技术进村入户" in body and "广东渔业科普" in body
    assert 'name="ids"' not in body  # bulk actions are CAST staff's

    client.logout()
    assert client.get("/applications/")["Location"] == "/login/?next=/applications/"
    assert client.get(f"/applications/{app_id}/")["Location"] == f"/login/?next=/applications/{app_id}/"


def test_list_filters_and_pagination_keep_the_query(client, users, round_id):
    api = api_as(users["applicant_csf_br1"])
    for i in range(23):
        region = "广东省" if i % 2 else "海南省"
        data = form(round=round_id, subproject="grassroots", name=f"科普项目{i:02d}", region_province=region)
        assert api.post("/api/v1/applications/", data, format="json").status_code == 201
    client.force_login(users["applicant_csf_br1"])
    body = page(client, "/applications/?ordering=name")
    assert "共 23 条申报" in body
    assert "科普项目00" in body and "科普项目19" in body and "科普项目20" not in body
    assert "第 1 / 2 页" in body
    assert 'href="?ordering=name&amp;page=2"' in body
    body = page(client, "/applications/?ordering=name&page=2")
    assert "科普项目20" in body and "科普项目19" not in body
    body = page(client, "/applications/?province=海南省&q=项目0&state=draft")
    assert "共 5 条申报" in body  # 00, 02, 04, 06, 08
    assert "科普项目01" not in body
    assert "暂无符合条件的申报。" in page(client, "/applications/?state=approved")


def test_detail_and_downloads_are_404_outside_scope(client, users, round_id):
    app_id = submitted(users, round_id)
    attachment = Attachment.objects.get(record_id=app_id, kind="sealed_application")
    urls = [f"/applications/{app_id}/", f"/applications/{app_id}/attachments/{attachment.pk}/"]
    for username in ("applicant_gd_fish", "reviewer_gd_cast", "content_gd_cast", "cast_staff", "expert_1"):
        client.force_login(users[username])
        for url in urls:
            assert client.get(url).status_code == 404, (username, url)
        assert client.post(f"/applications/{app_id}/propose/", {"funding_amount": "1"}).status_code == 404
        assert client.post(f"/applications/{app_id}/score/", {}).status_code == 404
    for username in ("applicant_csf_br1", "reviewer_csf", "content_csf", "auditor"):
        client.force_login(users[username])
        assert "水产养殖技术进村入户" in page(client, urls[0])
        response = client.get(urls[1])
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Disposition"].startswith("attachment;")
    client.force_login(users["reviewer_csf"])
    assert client.get(f"/applications/{app_id}/edit/").status_code == 404
    assert client.get("/applications/new/").status_code == 404
    assert client.get(f"/applications/{app_id}/attachments/{attachment.pk + 999}/").status_code == 404
    assert client.get("/applications/999999/").status_code == 404


def test_detail_page_shows_fields_tables_and_engine_fragments(client, users, round_id):
    app_id = submitted(users, round_id)
    client.force_login(users["reviewer_csf"])
    body = page(client, f"/applications/{app_id}/")
    for text in (
        "中国水产学会科普工作委员会",
        "学会科技志愿服务基层行",
        "徐闻县养殖户、基层农技人员",
        "培训资料印制",
        "申请金额（万元）",  # the requested amount, in 万元 (80,000.00 元)
        '<td class="num">8</td>',  # the budget total, in 万元
        "加盖公章的申报书（PDF）",
        "可执行的操作",
        f'action="/workflow/applications.application/{app_id}/transition/return_for_revision/"',
        f'name="next" value="/applications/{app_id}/"',
        "内容审核",
        "提交：草稿 → 已提交（待推荐单位审核）",
    ):
        assert text in body, text
    assert "上传附件" in body  # the recommender's sealed opinion may be added now
    assert '<option value="recommender_opinion">' in body
    assert '<option value="sealed_application">' not in body
    assert "修改申报" not in body


# -- the form ---------------------------------------------------------------------------------


def test_create_through_the_form_makes_a_draft_with_team_and_budget(client, users, round_id):
    client.force_login(users["applicant_csf_br1"])
    body = page(client, "/applications/new/")
    assert "本单位承诺：申报材料真实，内容经过审核把关，接受监督检查和绩效评价" in body
    assert '<label for="id_name">项目名称</label>' in body
    assert body.count('name="team-') >= 10 * 5 and 'name="budget-14-amount"' in body
    response = client.post("/applications/new/", form_post(grassroots(round_id)))
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/applications/{application.pk}/"
    assert (application.state, application.name, application.requested_amount) == (
        "draft",
        "水产养殖技术进村入户",
        Decimal("80000.00"),
    )
    assert application.commitment is True
    assert [m.name for m in application.team.all()] == ["李明", "张华"]
    assert [(b.item, b.amount) for b in application.budget_lines.all()] == [
        ("培训资料印制", Decimal("20000.00")),
        ("专家差旅", Decimal("60000.00")),
    ]
    assert application.period_start == dt.date(2027, 1, 1)


def test_bad_form_input_shows_every_service_message_and_creates_nothing(client, users, round_id):
    client.force_login(users["applicant_csf_br1"])
    data = form_post(grassroots(round_id), name="")
    data["budget-0-amount"] = "-500"
    data["team-1-name"] = ""
    response = client.post("/applications/new/", data)
    assert response.status_code == 400
    body = text_of(response)
    for message in (
        "预算明细第 1 行金额不能为负数",
        "团队成员第 2 行：请填写姓名",
        "请填写“项目名称”",
    ):
        assert message in body, message
    assert Application.objects.count() == 0
    # What was typed is kept.
    assert 'value="-500"' in response.content.decode()
    assert 'value="徐闻县"' in response.content.decode()
    assert 'value="高级工程师"' in response.content.decode()
    response = client.post("/applications/new/", {**form_post(None)})
    assert "请选择有效的项目申报批次" in text_of(response)
    assert Application.objects.count() == 0


def test_edit_only_by_the_applicant_in_an_editable_state(client, users, round_id):
    client.force_login(users["applicant_csf_br1"])
    client.post("/applications/new/", form_post(grassroots(round_id)))
    application = Application.objects.get()
    body = page(client, f"/applications/{application.pk}/edit/")
    assert 'value="李明"' in body and 'value="60000.00"' in body
    data = form_post(grassroots(round_id), name="海水养殖技术服务", requested_amount="90000")
    data["budget-2-category"] = "other"
    data["budget-2-item"] = "场地租用"
    data["budget-2-amount"] = "10000"
    response = client.post(f"/applications/{application.pk}/edit/", data)
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.name, application.requested_amount) == ("海水养殖技术服务", Decimal("90000.00"))
    assert application.budget_lines.count() == 3

    client.force_login(users["applicant_gd_fish"])
    assert client.get(f"/applications/{application.pk}/edit/").status_code == 404

    app_id = submitted(users, round_id, name="已提交的项目")
    client.force_login(users["applicant_csf_br1"])
    response = client.get(f"/applications/{app_id}/edit/", follow=True)
    assert response.redirect_chain[-1][0] == f"/applications/{app_id}/"
    assert "申报当前状态为“已提交（待推荐单位审核）”，不能修改" in text_of(response)


# -- attachments ------------------------------------------------------------------------------


def test_upload_refuses_a_text_file_named_pdf_and_stores_nothing(client, users, round_id):
    client.force_login(users["applicant_csf_br1"])
    client.post("/applications/new/", form_post(grassroots(round_id)))
    application = Application.objects.get()
    fake = SimpleUploadedFile("盖章申报书.pdf", "这不是 PDF".encode(), content_type="application/pdf")
    response = client.post(
        f"/applications/{application.pk}/attachments/", {"kind": "sealed_application", "file": fake}, follow=True
    )
    assert (
        "加盖公章的申报书（PDF）：文件“盖章申报书.pdf”的内容不是 PDF 格式（按文件内容识别，与扩展名无关）"
        in text_of(response)
    )
    assert Attachment.objects.count() == 0

    real = SimpleUploadedFile("sealed.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(
        f"/applications/{application.pk}/attachments/", {"kind": "sealed_application", "file": real}, follow=True
    )
    assert "附件已上传：sealed.pdf" in text_of(response)
    attachment = Attachment.objects.get()
    assert f'href="/applications/{application.pk}/attachments/{attachment.pk}/"' in response.content.decode()
    response = client.post(f"/applications/{application.pk}/attachments/{attachment.pk}/delete/", follow=True)
    assert "附件已删除：sealed.pdf" in text_of(response)
    assert Attachment.objects.count() == 0


# -- content review: findings highlighted in the text ---------------------------------------


def test_reviewer_sees_scan_findings_marked_in_the_text(client, users, round_id):
    SensitiveTerm.objects.update_or_create(term="灵丹妙药", defaults={"category": "harmful", "severity": "review"})
    app_id = submitted(
        users,
        round_id,
        content="宣传<b>灵丹妙药</b>不可信，开展科普讲座 12 场。",
        outcomes="揭穿“灵 丹 妙 药”说法，培训 600 人次。",
    )
    client.force_login(users["reviewer_csf"])
    body = page(client, f"/applications/{app_id}/")
    assert (
        '宣传&lt;b&gt;<mark class="finding" title="灵丹妙药（harmful / review）">灵丹妙药</mark>&lt;/b&gt;不可信'
        in body
    )
    assert '揭穿“<mark class="finding" title="灵丹妙药（harmful / review）">灵 丹 妙 药</mark>”说法' in body
    assert "内容扫描发现 2 处需关注的词语，已在正文中高亮标出。" in body
    client.force_login(users["content_csf"])
    assert body.count('<mark class="finding"') == page(client, f"/applications/{app_id}/").count(
        '<mark class="finding"'
    )
    client.force_login(users["applicant_csf_br1"])
    assert '<mark class="finding"' not in page(client, f"/applications/{app_id}/")


def test_reviewer_sees_what_changed_since_the_return(client, users, round_id):
    app_id = submitted(users, round_id)
    assert act(users, "reviewer_csf", app_id, "return_for_revision", opinion="请细化绩效目标").status_code == 200
    client.force_login(users["applicant_csf_br1"])
    data = form_post(grassroots(round_id), outcomes="培训养殖户 800 人次。")
    assert client.post(f"/applications/{app_id}/edit/", data).status_code == 302
    assert act(users, "applicant_csf_br1", app_id, "resubmit").status_code == 200
    client.force_login(users["reviewer_csf"])
    body = page(client, f"/applications/{app_id}/")
    assert "自退回修改时的版本（第 1 版）以来的修改" in body
    assert '<th scope="row">预期成果</th>' in body
    assert "<ins>培训养殖户 800 人次。</ins>" in body
    assert "<del>形成培训教材 1 套，典型案例 3 个。</del>" in body


# -- CAST staff and experts -------------------------------------------------------------------


def test_assign_score_propose_and_rank(client, users, round_id):
    app_id = in_expert_review(users, round_id)
    experts = {name: users[name].pk for name in ("expert_1", "expert_2", "expert_3", "expert_5")}
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    client.force_login(users["cast_staff"])
    body = page(client, f"/applications/{app_id}/")
    assert f'action="/applications/{app_id}/assign/"' in body
    assert f'action="/applications/{app_id}/propose/"' in body
    assert "还有 3 位专家未提交评分" not in body  # none assigned yet: the minimum is reported instead
    assert "至少需要 3 位评审专家（已分配 0 位）" in body

    response = client.post(f"/applications/{app_id}/assign/", {"experts": list(experts.values()), "due_date": due})
    body = text_of(client.get(response["Location"]))
    assert "利益冲突：专家所在单位即该记录的推荐单位" in body
    assert ReviewAssignment.objects.count() == 0  # all or nothing
    response = client.post(
        f"/applications/{app_id}/assign/",
        {"experts": [experts["expert_1"], experts["expert_2"], experts["expert_3"]], "due_date": due},
        follow=True,
    )
    assert "已分配 3 位评审专家" in text_of(response)
    assert ReviewAssignment.objects.filter(status="open").count() == 3

    client.force_login(users["expert_4"])
    assert client.get(f"/applications/{app_id}/").status_code == 404
    client.force_login(users["expert_1"])
    body = page(client, f"/applications/{app_id}/")
    assert '<label for="score-necessity">必要性（权重 25%）</label>' in body
    values = {"necessity": 90, "feasibility": 80, "targets": 70, "team": 80, "budget": 90}
    bad = {f"score-{k}": v for k, v in values.items()} | {"score-necessity": "101", "comment": ""}
    response = client.post(f"/applications/{app_id}/score/", bad, follow=True)
    assert "“必要性”的分数必须是 0–100 的整数" in text_of(response)
    assert "请填写评审意见" in text_of(response)
    for name, shift in (("expert_1", 0), ("expert_2", -10), ("expert_3", 5)):
        client.force_login(users[name])
        posted = {f"score-{k}": min(100, v + shift) for k, v in values.items()} | {"comment": "目标明确，可行。"}
        response = client.post(f"/applications/{app_id}/score/", posted, follow=True)
        assert "评分已提交" in text_of(response)
    assert "加权总分 87.00" in text_of(response)  # expert_3 sees their own score
    assert "专家一" not in text_of(response).split("办理记录")[0]  # but not the others'

    assert review(users, "content_cast", app_id, "cast").status_code == 201
    client.force_login(users["cast_staff"])
    body = text_of(client.get(f"/applications/{app_id}/"))
    assert "专家一" in body and "专家二" in body and "加权总分" in body
    response = client.post(
        f"/applications/{app_id}/propose/", {"funding_amount": "90000", "opinion": "建议立项"}, follow=True
    )
    assert "拟资助金额 90,000.00 元超过申请金额 80,000.00 元" in text_of(response)
    # The decision meeting is missing too; the propose box says so.
    assert "尚未经审定会议决定" in text_of(response)
    assert Application.objects.get(pk=app_id).state == "expert_review"
    agreed(Application.objects.get(pk=app_id), users["cast_staff"])

    body = text_of(client.get(f"/applications/ranking/?round={round_id}"))
    assert (
        "均分相同者为并列，名次相同（标“=”），由评审组或审定会议决定，不按离散度或提交先后排定；并列者之间按名称排列，仅为便于阅读，不代表先后"
        in body
    )
    assert "水产养殖技术进村入户" in body
    assert "80.33" in body and "15.00" in body  # mean of 82, 72 and 87; spread 87 − 72

    response = client.post(
        f"/applications/{app_id}/propose/", {"funding_amount": "70,000", "opinion": "建议立项"}, follow=True
    )
    assert "操作已完成" in text_of(response)
    application = Application.objects.get(pk=app_id)
    assert (application.state, application.funding_amount) == ("proposed", Decimal("70000.00"))


def test_ranking_page_for_cast_staff_and_auditor_only(client, users, round_id):
    for username in ("cast_staff", "auditor"):
        client.force_login(users[username])
        body = text_of(client.get("/applications/ranking/"))
        assert (
            "均分相同者为并列，名次相同（标“=”），由评审组或审定会议决定，不按离散度或提交先后排定；并列者之间按名称排列，仅为便于阅读，不代表先后"
            in body
        )
        assert "学会科技志愿服务基层行" in body
    for username in ("applicant_csf_br1", "reviewer_csf", "expert_1", "content_cast"):
        client.force_login(users[username])
        assert client.get("/applications/ranking/").status_code == 404


# -- bulk actions -----------------------------------------------------------------------------


def test_bulk_confirmation_names_the_records_and_is_all_or_nothing(client, users, round_id):
    first = recommended(users, round_id, name="水产养殖技术进村入户")
    second = recommended(users, round_id, "applicant_gd_fish", name="广东渔业科普行")
    client.force_login(users["cast_staff"])
    body = page(client, "/applications/")
    assert f'name="ids" value="{first}"' in body and f'name="ids" value="{second}"' in body
    # Issuing is a bulk action; going on notice is not (publishing the notice does it).
    assert '<option value="issue">正式立项</option>' in body
    assert 'value="publish_notice"' not in body

    response = client.post(
        "/applications/bulk/", {"name": "pass_formal_review", "ids": [first, second], "next": "/applications/"}
    )
    body = text_of(response)
    assert response.status_code == 200
    assert "将对以下 2 条申报执行“形式审查通过”：" in body
    assert "《水产养殖技术进村入户》" in body and "《广东渔业科普行》" in body
    assert Application.objects.filter(state="recommended").count() == 2  # nothing done yet

    assert act(users, "cast_staff", second, "pass_formal_review").status_code == 200
    confirm = {"name": "pass_formal_review", "ids": [first, second], "confirm": "yes", "next": "/applications/"}
    response = client.post("/applications/bulk/", confirm, follow=True)
    body = text_of(response)
    assert "操作未执行，所选申报均保持不变。" in body
    assert "《广东渔业科普行》：记录当前状态为“专家评审”，无法执行“形式审查通过”" in body
    assert Application.objects.get(pk=first).state == "recommended"

    response = client.post("/applications/bulk/", {**confirm, "ids": [first]}, follow=True)
    assert "已对 1 条申报执行“形式审查通过”" in text_of(response)
    assert Application.objects.get(pk=first).state == "expert_review"

    client.force_login(users["reviewer_csf"])
    assert client.post("/applications/bulk/", confirm).status_code == 404


def test_bulk_refuses_records_outside_scope(client, users, round_id):
    draft = create_ready(users, round_id)
    client.force_login(users["cast_staff"])
    response = client.post("/applications/bulk/", {"name": "reject_formal_review", "ids": [draft]}, follow=True)
    assert f"以下申报不存在或您无权查看：{draft}" in text_of(response)


# -- queries stay constant as the list grows --------------------------------------------------


def _list_queries(client) -> int:
    client.get("/applications/")  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/applications/").status_code == 200
    return len(queries)


def test_list_runs_the_same_number_of_queries_for_10_and_30_applications(client, users, round_id):
    api = api_as(users["applicant_csf_br1"])

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            data = form(round=round_id, subproject="grassroots", name=f"科普项目{i:02d}")
            assert api.post("/api/v1/applications/", data, format="json").status_code == 201

    add(10, 0)
    counts = {}
    for username in ("applicant_csf_br1", "auditor"):
        client.force_login(users[username])
        counts[username] = _list_queries(client)
    add(20, 10)
    for username in ("applicant_csf_br1", "auditor"):
        client.force_login(users[username])
        assert _list_queries(client) == counts[username], username
