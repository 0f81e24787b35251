"""The whole path of a Zhihui Action application, one per sub-project, over HTTP as the demo
users of docs/api.md (token auth): create → sealed PDF → submit → return → PATCH → resubmit →
recommending unit's content review → recommender opinion PDF → recommend → formal review →
experts assigned and scoring → CAST content review → propose → public notice (created,
content-reviewed, published) → the period over → issued with its approval number."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from applications.models import Application
from tests.applications.builders import GOOD_SCORES, PARTIES, URL, end_notice_period, make_gd_cast_applicant
from tests.applications.helpers import PDF_BYTES, form, upload
from tests.decisions import decided
from workflows.calendar import notice_end
from workflows.models import Attachment, AuditEvent, Checkpoint, Revision, Round

EXPERTS = ("expert_1", "expert_2", "expert_3", "expert_4")

NOT_DECIDED = "尚未经审定会议决定：请先登记审定会议（部务会或专题会）、上传会议纪要并添加本记录"


def login(username: str, password: str | None = None) -> APIClient:
    """A client signed in with a token, as an integrator would (POST /api/v1/auth/token/)."""
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password or settings.DEMO_PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def post(client: APIClient, path: str, body: dict, status: int = 200) -> dict:
    response = client.post(path, body, format="json")
    assert response.status_code == status, (response.status_code, response.json())
    return response.json()


def transitions_of(client: APIClient, app_id: int) -> dict[str, dict]:
    response = client.get(f"{URL}{app_id}/transitions/")
    assert response.status_code == 200
    return {t["name"]: t for t in response.json()}


CASES = [
    pytest.param("applicant_csf_br1", "CSF-BR1", "CSF", id="grassroots-csf_br1"),
    pytest.param("applicant_gd_fish", "GD-FISH", "CSF", id="grassroots-gd_fish"),
    pytest.param("applicant_xuwen", "GD-XW-CAST", "GD-CAST", id="civilization_centre-xuwen"),
    # GD-CAST applying for itself ("integrate") is its own recommending unit: it submits straight
    # to CAST (tests/applications/test_channels.py).
]


def drive_to_proposed(users, applicant: str, org: str, recommender: str) -> int:
    """The path up to “proposed”, every step asserted. Returns the application id."""
    round_ = Round.objects.get(kind="application")
    subproject, reviewer_name, content_name = PARTIES[applicant]
    password = None
    if applicant == "applicant_gd_cast":
        make_gd_cast_applicant(users)
        password = "zhihui-demo-1"
    applicant_c = login(applicant, password)
    reviewer = login(reviewer_name)
    content = login(content_name)
    staff = login("cast_staff")
    content_cast = login("content_cast")

    # 1. Create the draft.
    created = post(applicant_c, URL, form(round=round_.pk, subproject=subproject), 201)
    app_id = created["id"]
    assert (created["state"], created["organization"], created["recommending_unit"], created["subproject"]) == (
        "draft",
        org,
        recommender,
        subproject,
    )
    assert created["state_label"] == "草稿"
    assert [m["name"] for m in created["team"]] == ["李明", "张华"]
    assert [b["amount"] for b in created["budget"]] == ["20000.00", "60000.00"]

    # Without the sealed PDF the applicant sees exactly why submit is blocked.
    options = transitions_of(applicant_c, app_id)
    assert sorted(options) == ["submit", "withdraw"]
    assert (options["submit"]["allowed"], options["submit"]["blocked_reasons"]) == (
        False,
        ["请上传加盖公章的申报书（PDF）"],
    )

    # 2. Upload the sealed application PDF.
    response = upload(applicant_c, app_id, "sealed_application", name="申报书（盖章）.pdf")
    assert response.status_code == 201, response.json()
    attachment = response.json()
    assert (attachment["kind"], attachment["original_name"], attachment["content_type"], attachment["size"]) == (
        "sealed_application",
        "申报书（盖章）.pdf",
        "application/pdf",
        len(PDF_BYTES),
    )
    download = applicant_c.get(f"{URL}{app_id}/attachments/{attachment['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert transitions_of(applicant_c, app_id)["submit"] == {
        "name": "submit",
        "label": "提交",
        "target": "submitted",
        "target_label": "已提交（待推荐单位审核）",
        "allowed": True,
        "blocked_reasons": [],
        "opinion": "none",
        "bulk": False,
    }

    # 3. Submit.
    assert post(applicant_c, f"{URL}{app_id}/transitions/submit/", {})["state"] == "submitted"
    assert Revision.objects.filter(record_type="applications.application", record_id=app_id).count() == 1

    # 4. The reviewer returns it for revision: an opinion is required.
    response = reviewer.post(f"{URL}{app_id}/transitions/return_for_revision/", {"opinion": " "}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["请填写意见"])
    returned = post(reviewer, f"{URL}{app_id}/transitions/return_for_revision/", {"opinion": "绩效目标请量化到县。"})
    assert (returned["state"], returned["state_label"]) == ("returned", "退回修改")

    # 5. Resubmission needs a change; PATCH one, then resubmit.
    response = applicant_c.post(f"{URL}{app_id}/transitions/resubmit/", {}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        ["自退回以来内容没有任何修改，请修改后再提交"],
    )
    new_targets = "形成培训教材 1 套，典型案例 5 个（徐闻县 3、雷州市 2）。"
    response = applicant_c.patch(f"{URL}{app_id}/", {"outcomes": new_targets}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["outcomes"] == new_targets
    resubmitted = post(applicant_c, f"{URL}{app_id}/transitions/resubmit/", {"opinion": "已按意见修改绩效目标。"})
    assert resubmitted["state"] == "submitted"
    diff = reviewer.get(f"{URL}{app_id}/diff/").json()
    assert diff["since"] == 1
    assert [(c["field"], c["label"], c["after"]) for c in diff["changes"]] == [("outcomes", "预期成果", new_targets)]

    # 6. Before the content review and the opinion PDF, recommend is blocked with both reasons.
    options = transitions_of(reviewer, app_id)
    assert sorted(options) == ["decline", "recommend", "return_for_revision"]
    assert options["recommend"]["blocked_reasons"] == [
        "请上传推荐单位盖章意见（PDF）",
        "推荐单位内容审核尚未完成（当前版本）",
    ]
    reviews = {r["stage"]: r for r in content.get(f"{URL}{app_id}/content-reviews/").json()}
    assert [(s, r["status"]) for s, r in reviews.items()] == [
        ("submission", "passed"),
        ("recommender", "required"),
        ("cast", "not_yet"),
        ("publication", "not_yet"),
    ]
    after_review = post(
        content,
        f"{URL}{app_id}/content-reviews/",
        {"stage": "recommender", "verdict": "pass", "opinion": "导向正确，内容真实合法。"},
        201,
    )
    recommender_row = next(r for r in after_review if r["stage"] == "recommender")
    assert (recommender_row["status"], recommender_row["organization"], recommender_row["opinion"]) == (
        "passed",
        recommender,
        "导向正确，内容真实合法。",
    )

    # 7. The reviewer uploads the recommending unit's sealed opinion and recommends.
    response = upload(reviewer, app_id, "recommender_opinion", name="推荐意见（盖章）.pdf")
    assert response.status_code == 201, response.json()
    response = reviewer.post(f"{URL}{app_id}/transitions/recommend/", {}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["请填写意见"])
    recommended = post(reviewer, f"{URL}{app_id}/transitions/recommend/", {"opinion": "同意推荐。"})
    assert (recommended["state"], recommended["state_label"]) == ("recommended", "已推荐（待中国科协审核）")

    # 8. CAST staff pass the formal review.
    assert sorted(transitions_of(staff, app_id)) == [
        "pass_formal_review",
        "reject_formal_review",
        "return_from_formal_review",
    ]
    assert post(staff, f"{URL}{app_id}/transitions/pass_formal_review/", {})["state"] == "expert_review"

    # 9. Experts: propose is blocked until the minimum are assigned and every one has scored.
    blocked = transitions_of(staff, app_id)["propose"]["blocked_reasons"]
    assert blocked == [
        "至少需要 3 位评审专家（已分配 0 位）",
        NOT_DECIDED,
        "中国科协内容审核尚未完成（当前版本）",
    ]
    for expert in EXPERTS:
        row = post(staff, f"{URL}{app_id}/assignments/", {"stage": "expert", "assignee": expert}, 201)
        assert (row["assignee"], row["stage"], row["status"]) == (expert, "expert", "open")
    assert transitions_of(staff, app_id)["propose"]["blocked_reasons"] == [
        "还有 4 位专家未提交评分",
        NOT_DECIDED,
        "中国科协内容审核尚未完成（当前版本）",
    ]
    totals = []
    for i, expert in enumerate(EXPERTS):
        expert_c = login(expert)
        scores = {k: v - i for k, v in GOOD_SCORES.items()}
        saved = post(expert_c, f"{URL}{app_id}/scores/", {"scores": scores, "comment": f"专家{i + 1}：目标明确。"}, 201)
        assert (saved["expert"], saved["scores"]) == (expert, scores)
        totals.append(Decimal(saved["total"]))
        # An expert reads only their own score.
        assert [s["expert"] for s in expert_c.get(f"{URL}{app_id}/scores/").json()] == [expert]
    # Weighted total of GOOD_SCORES: (90·25 + 85·25 + 80·20 + 88·15 + 75·15) / 100 = 84.20.
    assert totals == [Decimal("84.20"), Decimal("83.20"), Decimal("82.20"), Decimal("81.20")]
    assert [s["expert"] for s in staff.get(f"{URL}{app_id}/scores/").json()] == list(EXPERTS)
    ranking = staff.get(f"{URL}ranking/", {"round": round_.pk}).json()
    assert [(r["id"], r["mean"], r["count"], r["rank"]) for r in ranking] == [(app_id, "82.70", 4, 1)]

    # 10. 审定: the decision meeting with its minutes decides it (see tests/workflows/test_decisions.py).
    assert transitions_of(staff, app_id)["propose"]["blocked_reasons"] == [
        NOT_DECIDED,
        "中国科协内容审核尚未完成（当前版本）",
    ]
    meeting = decided(users, "applications.application", round_.pk, app_id)

    # 11. CAST content review, then propose with the funding amount.
    assert transitions_of(staff, app_id)["propose"]["blocked_reasons"] == ["中国科协内容审核尚未完成（当前版本）"]
    post(
        content_cast, f"{URL}{app_id}/content-reviews/", {"stage": "cast", "verdict": "pass", "opinion": "同意。"}, 201
    )
    response = staff.post(f"{URL}{app_id}/transitions/propose/", {"opinion": "拟立项。"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["请填写拟资助金额"])
    proposed = post(
        staff,
        f"{URL}{app_id}/transitions/propose/",
        {"opinion": "拟立项，资助 6 万元。", "data": {"funding_amount": "60000.00"}},
    )
    assert (proposed["state"], proposed["state_label"], proposed["funding_amount"]) == (
        "proposed",
        "拟立项",
        "60000.00",
    )

    # The history, oldest first, tells the whole story with the opinions kept …
    history = login("auditor").get(f"{URL}{app_id}/history/").json()
    assert [(e["action"], e["to_state"]) for e in history] == [
        ("create", "draft"),
        ("attachment_added", "draft"),
        ("submit", "submitted"),
        ("return_for_revision", "returned"),
        ("edit", "returned"),
        ("resubmit", "submitted"),
        ("checkpoint_pass", "submitted"),
        ("attachment_added", "submitted"),
        ("recommend", "recommended"),
        ("pass_formal_review", "expert_review"),
        *[("assign", "expert_review")] * 4,
        *[("score", "expert_review")] * 4,
        ("checkpoint_pass", "expert_review"),
        ("propose", "proposed"),
    ]
    opinions = {e["action"]: e["opinion"] for e in history}
    assert opinions["return_for_revision"] == "绩效目标请量化到县。"
    assert opinions["recommend"] == "同意推荐。"
    # … and the propose event names the meeting that decided it.
    assert history[-1]["data"] == {
        "funding_amount": "60000.00",
        "decision_meeting": {
            "id": meeting["id"],
            "kind": "ministerial",
            "name": "中国科协书记处专题会议",
            "held_on": meeting["held_on"],
            "minutes_sha256": meeting["minutes_sha256"],
            "decision": "approve",
            "amount": None,
        },
    }
    assert AuditEvent.objects.filter(record_type="applications.application", record_id=app_id).count() == len(history)
    # … but who the experts were and how they scored is not the applicant's to read.
    own = applicant_c.get(f"{URL}{app_id}/history/").json()
    assert [e["seq"] for e in own] == [e["seq"] for e in history if e["action"] not in ("assign", "score")]
    assert applicant_c.get(f"{URL}{app_id}/scores/").json() == []
    assert applicant_c.get(f"{URL}{app_id}/assignments/").json() == []
    assert Checkpoint.objects.filter(record_id=app_id, record_type="applications.application").count() == 4
    assert Attachment.objects.filter(record_id=app_id, record_type="applications.application").count() == 2
    app = Application.objects.get(pk=app_id)
    assert (app.state, app.funding_amount, app.approval_number) == ("proposed", Decimal("60000.00"), None)
    return app_id


@pytest.mark.parametrize(("applicant", "org", "recommender"), CASES)
def test_whole_path(users, applicant, org, recommender):
    """… → propose → notice (created, content-reviewed, published) → period over → issued."""
    app_id = drive_to_proposed(users, applicant, org, recommender)
    round_ = Round.objects.get(kind="application")
    app = Application.objects.get(pk=app_id)
    staff = login("cast_staff")
    content_cast = login("content_cast")

    # The notice: created by CAST staff, it lists only the public text of the record.
    notice = post(
        staff,
        "/api/v1/notices/",
        {
            "round": round_.pk,
            "record_type": "applications.application",
            "record_ids": [app_id],
            "title": f"{round_.year}年度“智惠行动”拟立项项目公示",
            "intro": "现将拟立项项目予以公示。",
        },
        201,
    )
    assert (notice["status"], notice["created_by"]) == ("draft", "cast_staff")
    summary = f"{app.organization.name} · {app.subproject.name} · 拟资助金额 6 万元"
    assert [(e["record_id"], e["position"], e["public_title"], e["public_summary"]) for e in notice["entries"]] == [
        (app_id, 1, app.name, summary)
    ]
    # Publishing before the content review of the list is refused; nothing moves.
    response = staff.post(f"/api/v1/notices/{notice['id']}/publish/", {}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        409,
        ["公示当前状态为“待发布前内容审核”，只有内容审核通过的公示可以发布"],
    )
    assert Application.objects.get(pk=app_id).state == "proposed"
    # The record's own publish transition says why it cannot be taken yet.
    assert transitions_of(staff, app_id)["publish_notice"]["blocked_reasons"] == [
        "该操作随公示的发布执行：请在公示管理中发布该记录所在的公示",
        "该记录不在已通过发布前内容审核、待发布的公示名单上",
        "发布前内容审核尚未完成（当前版本）",
    ]

    reviewed = post(
        content_cast, f"/api/v1/notices/{notice['id']}/review/", {"verdict": "pass", "opinion": "名单内容无问题。"}
    )
    assert (reviewed["status"], reviewed["reviewer"]) == ("passed_review", "content_cast")
    published = post(staff, f"/api/v1/notices/{notice['id']}/publish/", {})
    today = timezone.localdate()
    assert (published["status"], published["starts_on"]) == ("published", today.isoformat())
    assert published["ends_on"] == notice_end(today, round_.notice_working_days).isoformat()
    assert Application.objects.get(pk=app_id).state == "public_notice"

    # The public reads the notice without signing in: titles and summaries only.
    public = APIClient().get(f"/api/v1/public/notices/{notice['id']}/")
    assert public.status_code == 200
    assert public.json()["entries"] == [
        {"id": notice["entries"][0]["id"], "position": 1, "title": app.name, "summary": summary}
    ]

    # Issuing during the period is refused, naming its last day.
    response = staff.post(f"{URL}{app_id}/transitions/issue/", {}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        [f"公示期至 {published['ends_on']} 结束，尚未期满"],
    )
    assert Application.objects.get(pk=app_id).approval_number is None

    # The period ends (test setup); finishing the notice issues the record with its number.
    end_notice_period(notice["id"])
    closed = post(staff, f"/api/v1/notices/{notice['id']}/finish/", {"opinion": "公示期满无异议。"})
    assert closed["status"] == "closed"
    issued = staff.get(f"{URL}{app_id}/").json()
    assert (issued["state"], issued["state_label"], issued["approval_number"]) == (
        "approved",
        "已立项",
        f"智惠〔{round_.year}〕001号",
    )
    assert issued["issued_at"] is not None
    history = login(applicant, "zhihui-demo-1" if applicant == "applicant_gd_cast" else None).get(
        f"{URL}{app_id}/history/"
    )
    assert [e["action"] for e in history.json()][-3:] == ["checkpoint_pass", "publish_notice", "issue"]
    assert history.json()[-1]["data"] == {"approval_number": f"智惠〔{round_.year}〕001号"}
