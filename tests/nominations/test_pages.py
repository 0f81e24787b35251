"""The Four Top-Ten nomination pages for every role: list, form, detail with photos, opinions
and the engine fragments, eligibility report, expert scoring and assignment, ranking, bulk
actions and the public winners list."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nominations import services
from nominations.flows import NO_VIOLATION_STATEMENT
from nominations.models import Nomination
from notices import services as notice_services
from notices.models import PublicNotice
from tests.decisions import agreed
from workflows import services as engine
from workflows.attachments import attachment_add
from workflows.models import Attachment, ReviewAssignment, Round, SensitiveTerm
from workflows.scoring import score_submit

MB = 1024 * 1024
JPEG = b"\xff\xd8\xff" + b"0" * (MB + 10)
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * (MB + 10)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SCORES = {"deeds": 90, "impact": 85, "innovation": 80, "continuity": 88}
EXPERTS = ("expert_1", "expert_2", "expert_3")

COMMON = {
    "activities": "36",
    "service_hours": "420.5",
    "deeds": "常年深入湛江、徐闻等地渔村，开展对虾健康养殖技术培训和现场指导。",
    "contact_name": "王芳",
    "contact_phone": "13912345678",
    "unit_opinion": "情况属实，同意推荐。",
    "unit_opinion_signer": "王建国",
    "unit_opinion_date": "2026-03-01",
}
BY_CATEGORY: dict[str, dict[str, str]] = {
    "volunteer": {
        "nominee_name": "李明",
        "gender": "male",
        "birth_date": "1978-05-20",
        "person_org": "中国水产科学研究院南海水产研究所",
        "person_title": "研究员",
        "volunteer_number": "KJZY2026000123",
    },
    "team": {"nominee_name": "南海渔业科技志愿服务队", "founded_on": "2015-06-01", "registered_volunteers": "48"},
    "project": {
        "nominee_name": "对虾健康养殖进村入户",
        "period_start": "2024-01-01",
        "period_end": "2025-12-31",
        "organizer": "中国水产学会科普工作委员会",
    },
    "site": {"nominee_name": "徐闻县和安镇北莉村", "site_region": "广东省湛江市徐闻县", "site_kind": "村"},
}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def round_(demo) -> Round:
    return Round.objects.get(kind="selection")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def text_of(response) -> str:
    """The page with HTML entities resolved, for comparing messages as the user reads them."""
    return html.unescape(response.content.decode())


def jpg(name: str = "x.jpg", content: bytes = JPEG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def pdf(name: str = "盖章意见.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def data_for(category: str, **overrides: Any) -> dict[str, str]:
    return {**BY_CATEGORY[category], **COMMON, **overrides}


# -- records built through the services, as the real users ---------------------------------


def draft(users, round_: Round, category: str = "volunteer", applicant: str = "applicant_csf_br1", **fields: Any):
    data = {"round": round_.pk, "category": category, **data_for(category, **fields)}
    return services.nomination_create(actor=users[applicant], data=data)


def complete(users, nomination: Nomination, applicant: str = "applicant_csf_br1") -> None:
    for i in range(3):
        attachment_add(nomination, kind="photo", upload=jpg(f"work{i}.jpg"), actor=users[applicant])
    if nomination.category == "volunteer":
        attachment_add(nomination, kind="id_photo", upload=jpg("id.jpg"), actor=users[applicant])
    attachment_add(nomination, kind="unit_opinion", upload=pdf(), actor=users[applicant])


def submitted(users, round_: Round, category: str = "volunteer", **fields: Any) -> Nomination:
    nomination = draft(users, round_, category, **fields)
    complete(users, nomination)
    return engine.transition(nomination, "submit", actor=users["applicant_csf_br1"])


def recommended(users, round_: Round, category: str = "volunteer", **fields: Any) -> Nomination:
    nomination = submitted(users, round_, category, **fields)
    engine.checkpoint_record(
        nomination, stage="recommender", verdict="pass", opinion="导向正确，内容真实。", actor=users["content_csf"]
    )
    attachment_add(nomination, kind="recommender_opinion", upload=pdf("推荐意见.pdf"), actor=users["reviewer_csf"])
    opinion = f"同意推荐。经核查，该同志{NO_VIOLATION_STATEMENT}。"
    return engine.transition(nomination, "recommend", actor=users["reviewer_csf"], opinion=opinion)


def in_expert_review(users, round_: Round, category: str = "volunteer", **fields: Any) -> Nomination:
    nomination = recommended(users, round_, category, **fields)
    return engine.transition(nomination, "confirm_eligible", actor=users["cast_staff"], opinion="符合条件。")


def scored(users, round_: Round, shift: int = 0, **fields: Any) -> Nomination:
    nomination = in_expert_review(users, round_, **fields)
    for name in EXPERTS:
        engine.assignment_create(nomination, stage="expert", assignee=users[name], actor=users["cast_staff"])
        scores = {k: min(100, v + shift) for k, v in SCORES.items()}
        score_submit(nomination, actor=users[name], scores=scores, comment="事迹突出。")
    engine.checkpoint_record(
        nomination, stage="cast", verdict="pass", opinion="内容无问题。", actor=users["content_cast"]
    )
    agreed(nomination, users["cast_staff"])  # 审定: a decision meeting agreed
    return Nomination.objects.get(pk=nomination.pk)


def awarded(users, round_: Round, nomination: Nomination) -> Nomination:
    nomination = engine.transition(nomination, "shortlist", actor=users["cast_staff"])
    notice = notice_services.notice_create(
        round=round_,
        record_type=nomination.record_type(),
        records=[nomination],
        title="四个十佳拟入选名单公示",
        intro="现予公示。",
        actor=users["cast_staff"],
    )
    notice_services.notice_review(notice=notice, verdict="pass", opinion="名单无问题。", actor=users["content_cast"])
    notice = notice_services.notice_publish(notice=notice, actor=users["cast_staff"])
    today = dt.date.today()
    PublicNotice.objects.filter(pk=notice.pk).update(
        starts_on=today - dt.timedelta(days=10), ends_on=today - dt.timedelta(days=1)
    )
    notice_services.notice_finish(notice=PublicNotice.objects.get(pk=notice.pk), actor=users["cast_staff"])
    return Nomination.objects.get(pk=nomination.pk)


def form_post(round_: Round | None, category: str, **overrides: Any) -> dict[str, str]:
    """The browser's POST of the nomination form (all groups are on the page; the other
    categories' fields come empty)."""
    from nominations.forms import FORM_FIELDS

    values = data_for(category, **overrides)
    data = dict.fromkeys(FORM_FIELDS, "")
    data.update(values)
    if round_ is not None:
        data["round"] = str(round_.pk)
        data["category"] = category
    return data


# -- scope: each page answers 200 for the right role and 404 outside scope ------------------


def test_list_page_for_every_role(client, users, round_):
    mine = submitted(users, round_, nominee_name="李明")
    draft(users, round_, "team", applicant="applicant_gd_fish", nominee_name="广东渔业服务队")
    client.force_login(users["applicant_csf_br1"])
    body = page(client, "/nominations/")
    assert "李明" in body and "已提交（待推荐单位审核）" in body
    assert "撤回" in body  # the applicant's next step
    assert "广东渔业服务队" not in body
    assert 'href="/nominations/new/"' in body

    client.force_login(users["reviewer_csf"])
    body = page(client, "/nominations/")
    assert "李明" in body and "不予推荐、推荐、退回修改" in body
    assert "广东渔业服务队" not in body  # drafts never reach the reviewer

    for username in ("cast_staff", "expert_1", "reviewer_gd_cast"):
        client.force_login(users[username])
        assert "李明" not in page(client, "/nominations/"), username

    client.force_login(users["auditor"])
    body = page(client, "/nominations/")
    assert "李明" in body and "广东渔业服务队" in body
    assert 'name="ids"' not in body
    body = page(client, f"/nominations/?category=team&round={round_.pk}&q=广东")
    assert "广东渔业服务队" in body and "李明" not in body and "共 1 条推荐" in body
    assert "暂无符合条件的推荐。" in page(client, "/nominations/?state=awarded")

    client.logout()
    assert client.get("/nominations/")["Location"] == "/login/?next=/nominations/"
    assert client.get(f"/nominations/{mine.pk}/")["Location"] == f"/login/?next=/nominations/{mine.pk}/"


def test_detail_and_downloads_are_404_outside_scope(client, users, round_):
    nomination = submitted(users, round_)
    photo = Attachment.objects.filter(record_id=nomination.pk, kind="photo").first()
    opinion = Attachment.objects.get(record_id=nomination.pk, kind="unit_opinion")
    detail = f"/nominations/{nomination.pk}/"
    urls = [detail, f"{detail}attachments/{photo.pk}/", f"{detail}attachments/{opinion.pk}/"]
    for username in ("applicant_gd_fish", "reviewer_gd_cast", "content_gd_cast", "cast_staff", "expert_1"):
        client.force_login(users[username])
        for url in urls:
            assert client.get(url).status_code == 404, (username, url)
        assert client.post(f"{detail}score/", {}).status_code == 404
        assert client.post(f"{detail}assign/", {}).status_code == 404
        assert client.post(f"{detail}attachments/", {"kind": "photo"}).status_code == 404
    for username in ("applicant_csf_br1", "reviewer_csf", "content_csf", "auditor"):
        client.force_login(users[username])
        assert "中国水产科学研究院南海水产研究所" in page(client, detail)
        response = client.get(urls[1])
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content) == JPEG
        assert response["Content-Disposition"].startswith("inline;")  # a thumbnail
        response = client.get(urls[2])
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
    client.force_login(users["reviewer_csf"])
    assert client.get(f"{detail}edit/").status_code == 404
    assert client.get("/nominations/new/").status_code == 404
    assert client.post(f"{detail}assign/", {}).status_code == 404  # visible, but not CAST staff's
    assert client.get(f"{detail}attachments/{photo.pk + 999}/").status_code == 404
    assert client.get("/nominations/999999/").status_code == 404


def test_detail_page_shows_fields_photos_opinions_and_engine_fragments(client, users, round_):
    nomination = submitted(users, round_)
    photo = Attachment.objects.filter(record_id=nomination.pk, kind="photo").first()
    client.force_login(users["reviewer_csf"])
    body = page(client, f"/nominations/{nomination.pk}/")
    for text in (
        "十佳科技志愿者",
        "KJZY2026000123",  # the platform number
        "1978-05-20",
        "420.5",
        "常年深入湛江、徐闻等地渔村",
        f'<img src="/nominations/{nomination.pk}/attachments/{photo.pk}/"',
        "申报单位意见",
        "情况属实，同意推荐。",
        "王建国",
        "2026-03-01",
        "推荐单位意见",
        "中国科协意见",
        "可执行的操作",
        f'action="/workflow/nominations.nomination/{nomination.pk}/transition/recommend/"',
        f'name="next" value="/nominations/{nomination.pk}/"',
        "内容审核",
        "办理记录",
        f"推荐意见须包含“{NO_VIOLATION_STATEMENT}”的表述",
    ):
        assert text in body, text
    assert '<option value="recommender_opinion">' in body  # the reviewer's sealed opinion
    assert '<option value="photo">' not in body
    assert "修改推荐" not in body

    client.force_login(users["applicant_csf_br1"])
    body = page(client, f"/nominations/{nomination.pk}/")
    assert NO_VIOLATION_STATEMENT not in body  # the hint is the reviewer's
    assert f'action="/nominations/{nomination.pk}/attachments/"' not in body  # submitted: files are fixed


def test_recommend_without_the_statement_is_refused_with_the_reason(client, users, round_):
    nomination = submitted(users, round_)
    engine.checkpoint_record(
        nomination, stage="recommender", verdict="pass", opinion="同意。", actor=users["content_csf"]
    )
    client.force_login(users["reviewer_csf"])
    response = client.post(
        f"/nominations/{nomination.pk}/attachments/",
        {"kind": "recommender_opinion", "file": pdf("推荐意见.pdf")},
        follow=True,
    )
    assert "附件已上传：推荐意见.pdf" in text_of(response)
    url = f"/workflow/nominations.nomination/{nomination.pk}/transition/recommend/"
    response = client.post(url, {"opinion": "同意推荐。", "next": f"/nominations/{nomination.pk}/"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/nominations/{nomination.pk}/"
    assert f"推荐意见须包含“{NO_VIOLATION_STATEMENT}”的表述" in text_of(response)
    assert Nomination.objects.get(pk=nomination.pk).state == "submitted"
    response = client.post(url, {"opinion": f"同意推荐，{NO_VIOLATION_STATEMENT}。"}, follow=True)
    nomination.refresh_from_db()
    assert nomination.state == "recommended"
    body = text_of(client.get(f"/nominations/{nomination.pk}/"))
    assert f"同意推荐，{NO_VIOLATION_STATEMENT}。" in body.split("推荐单位意见", 1)[1]
    assert nomination.recommender_signer in body


# -- the form ---------------------------------------------------------------------------------


@pytest.mark.parametrize("category", ["volunteer", "team", "project", "site"])
def test_create_through_the_form_makes_a_draft_of_each_category(client, users, round_, category):
    client.force_login(users["applicant_csf_br1"])
    body = page(client, "/nominations/new/")
    for heading in ("十佳科技志愿者", "十佳科技志愿服务队", "十佳科技志愿服务项目", "十佳科技志愿服务点（社区或村）"):
        assert f"<legend>{heading}</legend>" in body
    assert '<label for="id_nominee_name">被推荐对象名称</label>' in body
    assert 'maxlength="2000"' in body and "不超过 2000 字" in body
    assert '<label for="id_unit_opinion_signer">申报单位负责人</label>' in body
    response = client.post("/nominations/new/", form_post(round_, category))
    nomination = Nomination.objects.get()
    assert response.status_code == 302, text_of(response)
    assert response["Location"] == f"/nominations/{nomination.pk}/"
    assert (nomination.state, nomination.category, nomination.round_id) == ("draft", category, round_.pk)
    assert nomination.nominee_name == BY_CATEGORY[category]["nominee_name"]
    assert nomination.activities == 36 and str(nomination.service_hours) == "420.5"
    assert nomination.unit_opinion_date == dt.date(2026, 3, 1)
    for name, value in BY_CATEGORY[category].items():
        stored = getattr(nomination, name)
        assert str(stored.isoformat() if isinstance(stored, dt.date) else stored) == value, name


def test_bad_form_input_shows_every_message_keeps_values_and_creates_nothing(client, users, round_):
    client.force_login(users["applicant_csf_br1"])
    data = form_post(round_, "team", deeds="事" * 2001, activities="-3", service_hours="-1.5")
    response = client.post("/nominations/new/", data)
    assert response.status_code == 400
    body = text_of(response)
    for message in (
        "“主要事迹”不得超过 2000 个字（现为 2001 个）",
        "“开展服务活动次数”必须是非负整数",
        "“服务时长（小时）”必须是非负数",
        "有 3 处需要修改，推荐尚未保存：",
    ):
        assert message in body, message
    assert Nomination.objects.count() == 0
    raw = response.content.decode()
    assert 'value="-3"' in raw and 'value="南海渔业科技志愿服务队"' in raw and 'value="2015-06-01"' in raw
    assert f'<option value="{round_.pk}" selected>' in raw and '<option value="team" selected>' in raw
    assert "（已填写 2001 字）" in raw

    response = client.post("/nominations/new/", form_post(None, "team"))
    body = text_of(response)
    assert "请选择有效的选树批次" in body and "请选择类别" in body
    assert Nomination.objects.count() == 0

    # Line breaks posted as CRLF count one character each, as the textarea counts them.
    deeds = "\r\n".join(["事" * 99] * 20)  # 1,980 characters + 19 line breaks
    response = client.post("/nominations/new/", form_post(round_, "team", deeds=deeds))
    assert response.status_code == 302
    assert len(Nomination.objects.get().deeds) == 1999


def test_edit_only_by_the_applicant_in_an_editable_state(client, users, round_):
    nomination = draft(users, round_, "project")
    client.force_login(users["applicant_csf_br1"])
    body = page(client, f"/nominations/{nomination.pk}/edit/")
    assert 'value="对虾健康养殖进村入户"' in body and 'value="2024-01-01"' in body
    assert "本推荐的类别，提交前须填写" in body
    data = form_post(None, "project", organizer="中国水产学会", activities="40")
    response = client.post(f"/nominations/{nomination.pk}/edit/", data)
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert (nomination.organizer, nomination.activities, nomination.category) == ("中国水产学会", 40, "project")
    response = client.post(f"/nominations/{nomination.pk}/edit/", {**data, "registered_volunteers": "-1"})
    assert "“注册志愿者人数”必须是非负整数" in text_of(response)

    client.force_login(users["applicant_gd_fish"])
    assert client.get(f"/nominations/{nomination.pk}/edit/").status_code == 404

    sent = submitted(users, round_, nominee_name="张华")
    client.force_login(users["applicant_csf_br1"])
    response = client.get(f"/nominations/{sent.pk}/edit/", follow=True)
    assert response.redirect_chain[-1][0] == f"/nominations/{sent.pk}/"
    assert "推荐当前状态为“已提交（待推荐单位审核）”，不能修改" in text_of(response)


# -- photos -----------------------------------------------------------------------------------


def test_photo_upload_refuses_a_png_named_jpg_and_a_too_small_jpg(client, users, round_):
    nomination = draft(users, round_)
    url = f"/nominations/{nomination.pk}/attachments/"
    client.force_login(users["applicant_csf_br1"])
    body = page(client, f"/nominations/{nomination.pk}/")
    assert '<option value="photo">工作照片（JPG，1–3 MB）</option>' in body
    assert '<option value="recommender_opinion">' not in body

    response = client.post(url, {"kind": "photo", "file": jpg("风采.jpg", PNG)}, follow=True)
    assert "工作照片（JPG，1–3 MB）：文件“风采.jpg”的内容不是 JPG 格式（按文件内容识别，与扩展名无关）" in text_of(
        response
    )
    small = b"\xff\xd8\xff" + b"0" * (512 * 1024)
    response = client.post(url, {"kind": "photo", "file": jpg("small.jpg", small)}, follow=True)
    assert "工作照片（JPG，1–3 MB）：文件“small.jpg”大小为 512 KB，不足下限 1.0 MB" in text_of(response)
    assert Attachment.objects.count() == 0

    response = client.post(url, {"kind": "photo", "file": jpg()}, follow=True)
    assert "附件已上传：x.jpg" in text_of(response)
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg"
    assert f'<img src="/nominations/{nomination.pk}/attachments/{attachment.pk}/"' in response.content.decode()
    response = client.post(f"{url}{attachment.pk}/delete/", follow=True)
    assert "附件已删除：x.jpg" in text_of(response)
    assert Attachment.objects.count() == 0


# -- content review: findings highlighted in the deeds ----------------------------------------


def test_reviewer_sees_scan_findings_marked_in_the_deeds(client, users, round_):
    SensitiveTerm.objects.update_or_create(term="灵丹妙药", defaults={"category": "harmful", "severity": "review"})
    nomination = submitted(users, round_, deeds="揭穿<b>灵丹妙药</b>骗局，开展科普讲座 30 场。")
    client.force_login(users["reviewer_csf"])
    body = page(client, f"/nominations/{nomination.pk}/")
    assert (
        '揭穿&lt;b&gt;<mark class="finding" title="灵丹妙药（harmful / review）">灵丹妙药</mark>&lt;/b&gt;骗局' in body
    )
    assert "内容扫描发现 1 处需关注的词语，已在正文中高亮标出。" in body
    assert "<b>灵丹妙药</b>" not in body
    client.force_login(users["applicant_csf_br1"])
    assert '<mark class="finding"' not in page(client, f"/nominations/{nomination.pk}/")


# -- CAST staff: eligibility, experts, ranking, bulk ------------------------------------------


def test_cast_staff_sees_the_eligibility_report_and_a_failed_rule_needs_a_reason(client, users, round_):
    nomination = recommended(users, round_, activities="5")
    client.force_login(users["cast_staff"])
    body = page(client, f"/nominations/{nomination.pk}/")
    assert "资格条件检查" in body
    assert "开展服务活动不少于 10 次" in body and "✗" in body and "✓" in body
    assert "须在“资格审查通过”的意见中写明理由" in body
    client.force_login(users["reviewer_csf"])
    assert "资格条件检查" not in page(client, f"/nominations/{nomination.pk}/")

    client.force_login(users["cast_staff"])
    url = f"/workflow/nominations.nomination/{nomination.pk}/transition/confirm_eligible/"
    response = client.post(url, {"opinion": "", "next": f"/nominations/{nomination.pk}/"}, follow=True)
    assert "资格条件未满足（开展服务活动不少于 10 次），如确认通过须填写理由" in text_of(response)
    response = client.post(
        url, {"opinion": "疫情期间活动受限，服务时长突出。", "next": f"/nominations/{nomination.pk}/"}
    )
    nomination.refresh_from_db()
    assert nomination.state == "expert_review"
    assert nomination.eligibility_override_reason == "疫情期间活动受限，服务时长突出。"


def test_assign_experts_score_and_rank(client, users, round_):
    nomination = in_expert_review(users, round_)
    ids = {name: users[name].pk for name in ("expert_1", "expert_2", "expert_3", "expert_5")}
    detail = f"/nominations/{nomination.pk}/"
    client.force_login(users["cast_staff"])
    body = text_of(client.get(detail))
    assert f'action="/nominations/{nomination.pk}/assign/"' in body
    assert "专家五（expert_5） — 利益冲突：专家所在单位即该记录的推荐单位" in body

    response = client.post(f"{detail}assign/", {"experts": list(ids.values())}, follow=True)
    assert "专家五：利益冲突：专家所在单位即该记录的推荐单位" in text_of(response)
    assert ReviewAssignment.objects.count() == 0  # all or nothing
    response = client.post(f"{detail}assign/", {"experts": [ids[n] for n in EXPERTS]}, follow=True)
    assert "已分配 3 位评审专家" in text_of(response)

    client.force_login(users["expert_4"])
    assert client.get(detail).status_code == 404
    client.force_login(users["expert_1"])
    body = page(client, detail)
    assert '<label for="score-deeds">先进事迹（权重 40%）</label>' in body
    assert f'action="/nominations/{nomination.pk}/score/"' in body
    bad = {"score-deeds": "101", "score-impact": "80", "score-innovation": "80", "score-continuity": "", "comment": ""}
    response = client.post(f"{detail}score/", bad, follow=True)
    body = text_of(response)
    assert "“先进事迹”的分数必须是 0–100 的整数" in body and "请为“持续性”打分" in body and "请填写评审意见" in body
    for name, shift in (("expert_1", 0), ("expert_2", -10), ("expert_3", 5)):
        client.force_login(users[name])
        posted = {f"score-{k}": min(100, v + shift) for k, v in SCORES.items()} | {"comment": "事迹突出。"}
        response = client.post(f"{detail}score/", posted, follow=True)
        assert "评分已提交" in text_of(response)
    assert "专家一" not in text_of(response).split("办理记录")[0]  # an expert sees only their own score

    client.force_login(users["cast_staff"])
    body = text_of(client.get(detail))
    assert "专家一" in body and "专家二" in body and "加权总分" in body
    body = text_of(client.get(f"/nominations/ranking/?round={round_.pk}&category=volunteer"))
    assert (
        "均分相同者为并列，名次相同（标“=”），由评审组或审定会议决定，不按离散度或提交先后排定；并列者之间按名称排列，仅为便于阅读，不代表先后"
        in body
    )
    assert "李明" in body and "本类别入选名额：10 名" in body
    # Weighted totals 86.30, 76.30 and 91.30: mean 84.63, spread 15.00.
    assert "84.63" in body and "15.00" in body


def test_ranking_marks_the_number_of_winners_and_is_for_cast_staff_and_auditor(client, users, round_):
    round_.settings = {"winners_per_category": {"volunteer": 1}}
    round_.save()
    scored(users, round_, nominee_name="李明")
    scored(users, round_, shift=-20, nominee_name="张华", activities="30")
    for username in ("cast_staff", "auditor"):
        client.force_login(users[username])
        body = text_of(client.get(f"/nominations/ranking/?round={round_.pk}&category=volunteer"))
        assert (
            "均分相同者为并列，名次相同（标“=”），由评审组或审定会议决定，不按离散度或提交先后排定；并列者之间按名称排列，仅为便于阅读，不代表先后"
            in body
        )
        assert "本类别入选名额：1 名" in body
        assert body.index("李明") < body.index("以上为前 1 名（入选名额）") < body.index("张华")
    client.force_login(users["cast_staff"])
    body = text_of(client.get("/nominations/ranking/"))
    for heading in ("十佳科技志愿者", "十佳科技志愿服务队", "该类别暂无进入专家评审的推荐。"):
        assert heading in body
    for username in ("applicant_csf_br1", "reviewer_csf", "expert_1", "content_cast"):
        client.force_login(users[username])
        assert client.get("/nominations/ranking/").status_code == 404


def test_bulk_shortlist_beyond_the_number_needs_a_reason_and_is_all_or_nothing(client, users, round_):
    round_.settings = {"winners_per_category": {"volunteer": 1}}
    round_.save()
    first = scored(users, round_, nominee_name="李明")
    second = scored(users, round_, shift=-20, nominee_name="张华")
    client.force_login(users["cast_staff"])
    body = page(client, "/nominations/")
    assert f'name="ids" value="{first.pk}"' in body and f'name="ids" value="{second.pk}"' in body
    assert '<option value="shortlist">拟入选</option>' in body

    ids = [first.pk, second.pk]
    response = client.post("/nominations/bulk/", {"name": "shortlist", "ids": ids, "next": "/nominations/"})
    body = text_of(response)
    assert response.status_code == 200
    assert "将对以下 2 条推荐执行“拟入选”：" in body
    assert "《李明》" in body and "《张华》" in body
    assert "超出名额，须填写理由" in body
    assert '<textarea id="confirm-opinion" name="opinion"' in response.content.decode()
    assert Nomination.objects.filter(state="expert_review").count() == 2  # nothing done yet

    confirm = {"name": "shortlist", "ids": ids, "confirm": "yes", "next": "/nominations/"}
    response = client.post("/nominations/bulk/", confirm, follow=True)
    body = text_of(response)
    assert "操作未执行，所选推荐均保持不变。" in body
    assert "《张华》：“十佳科技志愿者”类别已选定 1 名（名额 1 名），超出须填写理由" in body
    assert Nomination.objects.filter(state="expert_review").count() == 2

    response = client.post(
        "/nominations/bulk/", {**confirm, "opinion": "两位事迹同样突出，经研究一并拟入选。"}, follow=True
    )
    assert "已对 2 条推荐执行“拟入选”" in text_of(response)
    assert Nomination.objects.filter(state="shortlisted").count() == 2
    assert Nomination.objects.get(pk=second.pk).shortlist_reason == "两位事迹同样突出，经研究一并拟入选。"

    client.force_login(users["reviewer_csf"])
    assert client.post("/nominations/bulk/", confirm).status_code == 404


def test_bulk_refuses_records_outside_scope(client, users, round_):
    nomination = draft(users, round_)
    client.force_login(users["cast_staff"])
    response = client.post("/nominations/bulk/", {"name": "not_select", "ids": [nomination.pk]}, follow=True)
    assert f"以下推荐不存在或您无权查看：{nomination.pk}" in text_of(response)
    response = client.post("/nominations/bulk/", {"name": "confirm_eligible", "ids": [nomination.pk]}, follow=True)
    assert "请选择要执行的操作" in text_of(response)  # not a bulk transition of the flow


# -- the public winners list ------------------------------------------------------------------


def test_public_winners_page_shows_the_awarded_and_nothing_private(client, users, round_):
    winner = awarded(users, round_, scored(users, round_, nominee_name="李明", contact_phone="13912345678"))
    assert winner.state == "awarded" and winner.certificate_number
    other = scored(users, round_, shift=-20, nominee_name="张华", contact_phone="13800001111")
    engine.transition(other, "shortlist", actor=users["cast_staff"], opinion="名额内递补候选。")
    assert Nomination.objects.get(pk=other.pk).state == "shortlisted"

    client.logout()
    response = client.get(f"/nominations/winners/{round_.pk}/")
    assert response.status_code == 200
    body = text_of(response)
    assert "李明" in body and winner.certificate_number in body
    assert "十佳科技志愿者" in body and "中国水产学会科普工作委员会" in body
    assert "张华" not in body  # shortlisted, not announced
    for private in ("13912345678", "13800001111", "1978-05-20", "KJZY2026000123", "王芳", "常年深入"):
        assert private not in body, private
    application_round = Round.objects.get(kind="application")
    assert client.get(f"/nominations/winners/{application_round.pk}/").status_code == 404
    assert client.get("/nominations/winners/999999/").status_code == 404


def test_public_winners_page_before_any_award(client, users, round_):
    scored(users, round_, nominee_name="李明")
    client.logout()
    body = text_of(client.get(f"/nominations/winners/{round_.pk}/"))
    assert "本批次的入选名单尚未公布。" in body and "李明" not in body


# -- queries stay constant as the list grows --------------------------------------------------


def _list_queries(client) -> int:
    client.get("/nominations/")  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/nominations/").status_code == 200
    return len(queries)


def test_list_runs_the_same_number_of_queries_for_10_and_30_nominations(client, users, round_):
    categories = ("volunteer", "team", "project", "site")

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            draft(users, round_, categories[i % 4], nominee_name=f"推荐对象{i:02d}")

    add(10, 0)
    counts = {}
    for username in ("applicant_csf_br1", "auditor"):
        client.force_login(users[username])
        counts[username] = _list_queries(client)
    add(20, 10)
    for username in ("applicant_csf_br1", "auditor"):
        client.force_login(users[username])
        assert _list_queries(client) == counts[username], username
        assert "共 30 条推荐" in page(client, "/nominations/")


def test_bulk_assignment_of_a_panel_names_records_and_experts_and_is_all_or_nothing(client, users, round_):
    from tests.nominations.helpers import nomination_in
    from workflows.models import ReviewAssignment

    ids = [
        nomination_in(users, round_.pk, "volunteer", "expert_review", nominee_name="王小明"),
        nomination_in(users, round_.pk, "team", "expert_review", applicant="applicant_xuwen"),
    ]
    client.force_login(users["cast_staff"])
    assert '<option value="assign_experts">分配评审专家</option>' in page(client, "/nominations/")
    experts = [users["expert_1"].pk, users["expert_2"].pk]
    body = {"name": "assign_experts", "ids": ids, "experts": experts, "due_date": "2099-01-31", "next": "/nominations/"}

    confirm = client.post("/nominations/bulk/", body)
    text = text_of(confirm)
    assert confirm.status_code == 200
    assert "为以下 2 条推荐分配评审专家：" in text
    assert "王小明" in text and "菠萝之乡科技志愿服务队" in text
    assert str(users["expert_1"]) in text and str(users["expert_2"]) in text and "2099-01-31" in text
    assert not ReviewAssignment.objects.exists()  # nothing before the confirmation

    done = client.post("/nominations/bulk/", {**body, "confirm": "yes"}, follow=True)
    assert "已为 2 条推荐各分配 2 位评审专家" in text_of(done)
    assert sorted(ReviewAssignment.objects.values_list("record_id", "assignee__username")) == sorted(
        (i, e) for i in ids for e in ("expert_1", "expert_2")
    )

    # Again with expert_3 added: expert_1 already has these tasks, so nothing at all is stored.
    again = {**body, "experts": [*experts, users["expert_3"].pk], "confirm": "yes"}
    refused = text_of(client.post("/nominations/bulk/", again, follow=True))
    assert "未分配任何专家，所选推荐均保持不变。" in refused
    assert "王小明：" in refused
    assert ReviewAssignment.objects.count() == 4
    assert not ReviewAssignment.objects.filter(assignee=users["expert_3"]).exists()

    # No expert chosen, a bad date: told, nothing stored; a reviewer may not do this at all.
    empty = text_of(client.post("/nominations/bulk/", {**body, "experts": [], "due_date": "31/01"}, follow=True))
    assert "请选择评审专家" in empty and "截止日期必须是日期（YYYY-MM-DD）" in empty
    client.force_login(users["reviewer_csf"])
    assert client.post("/nominations/bulk/", {**body, "confirm": "yes"}).status_code == 404
