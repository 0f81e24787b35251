"""The whole path of a Four Top-Ten nomination, one per category, over HTTP as the demo users
of docs/api.md (token auth): create → photos and the unit's sealed opinion → submit → recommending
unit's content review → recommender opinion PDF → recommend with the no-violation statement →
eligibility confirmed → experts assigned (a conflict of interest refused) and scoring → CAST
content review → shortlist → public notice (created, content-reviewed, published) → the period
over → awarded with its certificate number, and shown in the public winners list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organization
from nominations.flows import NO_VIOLATION_STATEMENT
from nominations.models import Nomination
from tests.decisions import decided
from tests.nominations.helpers import (
    CONTACT_PHONE,
    DEEDS,
    PARTIES,
    PDF_BYTES,
    RECOMMEND_OPINION,
    URL,
    end_notice_period,
    form,
    jpeg,
    upload,
)
from workflows.calendar import notice_end
from workflows.models import Attachment, AuditEvent, Checkpoint, Revision, Round

EXPERTS = ("expert_1", "expert_2", "expert_3", "expert_4")

NOT_DECIDED = "尚未经审定会议决定：请先登记审定会议（部务会或专题会）、上传会议纪要并添加本记录"


def login(username: str) -> APIClient:
    """A client signed in with a token, as an integrator would (POST /api/v1/auth/token/)."""
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": username, "password": settings.DEMO_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def post(client: APIClient, path: str, body: dict, status: int = 200) -> dict:
    response = client.post(path, body, format="json")
    assert response.status_code == status, (response.status_code, response.json())
    return response.json()


def transitions_of(client: APIClient, nid: int) -> dict[str, dict]:
    response = client.get(f"{URL}{nid}/transitions/")
    assert response.status_code == 200
    return {t["name"]: t for t in response.json()}


CASES = [
    pytest.param("volunteer", "applicant_csf_br1", "十佳科技志愿者", id="volunteer-csf_br1"),
    pytest.param("team", "applicant_gd_fish", "十佳科技志愿服务队", id="team-gd_fish"),
    pytest.param("project", "applicant_xuwen", "十佳科技志愿服务项目", id="project-xuwen"),
    pytest.param("site", "applicant_xuwen", "十佳科技志愿服务点（社区或村）", id="site-xuwen"),
]


@pytest.mark.parametrize(("category", "applicant", "category_label"), CASES)
def test_whole_path(users, category, applicant, category_label):
    round_ = Round.objects.get(kind="selection")
    org, unit, reviewer_name, content_name = PARTIES[applicant]
    applicant_c = login(applicant)
    reviewer = login(reviewer_name)
    content = login(content_name)
    staff = login("cast_staff")
    content_cast = login("content_cast")
    data = form(category, round=round_.pk)
    name = data["nominee_name"]
    org_name = Organization.objects.get(code=org).name

    # 1. Create the draft.
    created = post(applicant_c, URL, data, 201)
    nid = created["id"]
    assert (
        created["state"],
        created["state_label"],
        created["category"],
        created["category_label"],
        created["organization"],
        created["recommending_unit"],
        created["nominee_name"],
    ) == ("draft", "草稿", category, category_label, org, unit, name)

    # Without photos and the unit's opinion the applicant sees exactly why submit is blocked.
    options = transitions_of(applicant_c, nid)
    assert sorted(options) == ["submit", "withdraw"]
    missing = ["工作照片须 3–5 张（现为 0 张）"]
    if category == "volunteer":
        missing.append("请上传一张二寸证件照")
    missing.append("请上传申报单位盖章意见（PDF）")
    assert (options["submit"]["allowed"], options["submit"]["blocked_reasons"]) == (False, missing)

    # 2. Photos (JPG by their bytes, 1–3 MB), the ID photo of a volunteer, the sealed opinion.
    photos = []
    for i in range(3):
        response = upload(applicant_c, nid, "photo", jpeg(1024 * 1024 + i), name=f"服务现场{i + 1}.jpg")
        assert response.status_code == 201, response.json()
        photos.append(response.json())
    assert [(p["kind"], p["content_type"], p["size"]) for p in photos] == [
        ("photo", "image/jpeg", 1024 * 1024 + i) for i in range(3)
    ]
    if category == "volunteer":
        assert upload(applicant_c, nid, "id_photo", name="二寸照.jpg").status_code == 201
    response = upload(applicant_c, nid, "unit_opinion", name="申报单位意见（盖章）.pdf")
    assert response.status_code == 201, response.json()
    opinion_pdf = response.json()
    assert (opinion_pdf["kind"], opinion_pdf["content_type"], opinion_pdf["size"]) == (
        "unit_opinion",
        "application/pdf",
        len(PDF_BYTES),
    )
    download = applicant_c.get(f"{URL}{nid}/attachments/{opinion_pdf['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert transitions_of(applicant_c, nid)["submit"] == {
        "name": "submit",
        "label": "提交",
        "target": "submitted",
        "target_label": "已提交（待推荐单位审核）",
        "allowed": True,
        "blocked_reasons": [],
        "opinion": "none",
        "bulk": False,
    }

    # 3. Submit: a revision with the photos' digests.
    assert post(applicant_c, f"{URL}{nid}/transitions/submit/", {})["state"] == "submitted"
    revisions = Revision.objects.filter(record_type="nominations.nomination", record_id=nid)
    assert revisions.count() == 1
    kinds = sorted(k for k, _digest in revisions.get().content["attachments"])
    assert kinds == sorted(["photo"] * 3 + ["unit_opinion"] + (["id_photo"] if category == "volunteer" else []))

    # 4. The recommending unit: before the content review and its opinion PDF, recommend is blocked.
    options = transitions_of(reviewer, nid)
    assert sorted(options) == ["decline", "recommend", "return_for_revision"]
    assert options["recommend"]["blocked_reasons"] == [
        "请上传推荐单位盖章意见（PDF）",
        "推荐单位内容审核尚未完成（当前版本）",
    ]
    reviews = {r["stage"]: r for r in content.get(f"{URL}{nid}/content-reviews/").json()}
    assert [(s, r["status"]) for s, r in reviews.items()] == [
        ("submission", "passed"),
        ("recommender", "required"),
        ("cast", "not_yet"),
        ("publication", "not_yet"),
    ]
    after = post(
        content,
        f"{URL}{nid}/content-reviews/",
        {"stage": "recommender", "verdict": "pass", "opinion": "事迹导向正确，内容真实合法。"},
        201,
    )
    row = next(r for r in after if r["stage"] == "recommender")
    assert (row["status"], row["organization"], row["opinion"]) == ("passed", unit, "事迹导向正确，内容真实合法。")

    # 5. The sealed opinion PDF, then recommend: the opinion must carry the no-violation statement.
    response = upload(reviewer, nid, "recommender_opinion", name="推荐单位意见（盖章）.pdf")
    assert response.status_code == 201, response.json()
    response = reviewer.post(f"{URL}{nid}/transitions/recommend/", {"opinion": "同意推荐。"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        [f"推荐意见须包含“{NO_VIOLATION_STATEMENT}”的表述"],
    )
    assert Nomination.objects.get(pk=nid).state == "submitted"
    recommended = post(reviewer, f"{URL}{nid}/transitions/recommend/", {"opinion": RECOMMEND_OPINION})
    assert (recommended["state"], recommended["state_label"], recommended["recommender_opinion"]) == (
        "recommended",
        "已推荐（待中国科协审核）",
        RECOMMEND_OPINION,
    )
    assert recommended["recommender_signer"] == users[reviewer_name].display_name

    # 6. CAST staff read the threshold report and confirm eligibility.
    report = staff.get(f"{URL}{nid}/eligibility/").json()
    assert report and all(r["passed"] for r in report)
    assert sorted(transitions_of(staff, nid)) == ["confirm_eligible", "declare_ineligible"]
    confirmed = post(staff, f"{URL}{nid}/transitions/confirm_eligible/", {})
    assert (confirmed["state"], confirmed["state_label"], confirmed["eligibility_override_reason"]) == (
        "expert_review",
        "专家评审",
        "",
    )

    # 7. Experts: expert_5 (a member of CSF) is refused on a record CSF recommends.
    blocked = transitions_of(staff, nid)["shortlist"]["blocked_reasons"]
    assert blocked == ["至少需要 3 位评审专家（已分配 0 位）", NOT_DECIDED, "中国科协内容审核尚未完成（当前版本）"]
    response = staff.post(f"{URL}{nid}/assignments/", {"stage": "expert", "assignee": "expert_5"}, format="json")
    if unit == "CSF":
        assert (response.status_code, response.json()["errors"]) == (
            400,
            ["专家五：利益冲突：专家所在单位即该记录的推荐单位"],
        )
        experts = EXPERTS
    else:
        assert response.status_code == 201, response.json()
        experts = (*EXPERTS, "expert_5")
    for expert in EXPERTS:
        row = post(staff, f"{URL}{nid}/assignments/", {"stage": "expert", "assignee": expert}, 201)
        assert (row["assignee"], row["stage"], row["status"]) == (expert, "expert", "open")
    assert transitions_of(staff, nid)["shortlist"]["blocked_reasons"] == [
        f"还有 {len(experts)} 位专家未提交评分",
        NOT_DECIDED,
        "中国科协内容审核尚未完成（当前版本）",
    ]
    totals = []
    for i, expert in enumerate(experts):
        expert_c = login(expert)
        scores = {"deeds": 90 - i, "impact": 85, "innovation": 80, "continuity": 75}
        saved = post(expert_c, f"{URL}{nid}/scores/", {"scores": scores, "comment": f"专家{i + 1}：事迹突出。"}, 201)
        assert (saved["expert"], saved["scores"]) == (expert, scores)
        totals.append(Decimal(saved["total"]))
        # An expert reads only their own score.
        assert [s["expert"] for s in expert_c.get(f"{URL}{nid}/scores/").json()] == [expert]
    # (90·40 + 85·30 + 80·20 + 75·10) / 100 = 85.00, then 0.40 less for each expert after the first.
    assert totals == [Decimal("85.00") - Decimal("0.40") * i for i in range(len(experts))]
    assert [s["expert"] for s in staff.get(f"{URL}{nid}/scores/").json()] == list(experts)
    ranking = staff.get(f"{URL}ranking/", {"round": round_.pk, "category": category}).json()
    mean = (sum(totals) / len(totals)).quantize(Decimal("0.01"))
    assert [(r["id"], r["rank"], r["mean"], r["spread"], r["count"]) for r in ranking] == [
        (nid, 1, str(mean), f"{totals[0] - totals[-1]:.2f}", len(experts))
    ]

    # 8. 审定: a decision meeting with its minutes agrees (tests/workflows/test_decisions.py).
    assert transitions_of(staff, nid)["shortlist"]["blocked_reasons"] == [
        NOT_DECIDED,
        "中国科协内容审核尚未完成（当前版本）",
    ]
    decided(users, "nominations.nomination", round_.pk, nid)

    # 9. CAST content review, then shortlist.
    assert transitions_of(staff, nid)["shortlist"]["blocked_reasons"] == ["中国科协内容审核尚未完成（当前版本）"]
    post(content_cast, f"{URL}{nid}/content-reviews/", {"stage": "cast", "verdict": "pass", "opinion": "同意。"}, 201)
    shortlisted = post(staff, f"{URL}{nid}/transitions/shortlist/", {})
    assert (shortlisted["state"], shortlisted["state_label"], shortlisted["shortlist_reason"]) == (
        "shortlisted",
        "拟入选",
        "",
    )

    # 9. The notice: it lists only the public text — category, unit and the deeds.
    notice = post(
        staff,
        "/api/v1/notices/",
        {
            "round": round_.pk,
            "record_type": "nominations.nomination",
            "record_ids": [nid],
            "title": f"{round_.year}年度“四个十佳”拟入选名单公示",
            "intro": "现将拟入选名单予以公示。",
        },
        201,
    )
    summary = f"{category_label} · {org_name} · {DEEDS[category]}"
    assert [(e["record_id"], e["public_title"], e["public_summary"]) for e in notice["entries"]] == [
        (nid, name, summary)
    ]
    assert CONTACT_PHONE not in notice["body"]
    assert transitions_of(staff, nid)["publish_notice"]["blocked_reasons"] == [
        "该操作随公示的发布执行：请在公示管理中发布该记录所在的公示",
        "该记录不在已通过发布前内容审核、待发布的公示名单上",
        "发布前内容审核尚未完成（当前版本）",
    ]
    reviewed = post(
        content_cast, f"/api/v1/notices/{notice['id']}/review/", {"verdict": "pass", "opinion": "名单内容无问题。"}
    )
    assert reviewed["status"] == "passed_review"
    published = post(staff, f"/api/v1/notices/{notice['id']}/publish/", {})
    assert published["status"] == "published"
    today = timezone.localdate()
    assert (published["starts_on"], published["ends_on"]) == (
        today.isoformat(),
        notice_end(today, round_.notice_working_days).isoformat(),
    )
    assert Nomination.objects.get(pk=nid).state == "public_notice"

    # 10. Awarding during the period is refused, naming its last day.
    response = staff.post(f"{URL}{nid}/transitions/award/", {}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        [f"公示期至 {published['ends_on']} 结束，尚未期满"],
    )
    # The period ends (test setup); the award gives the certificate number.
    end_notice_period(notice["id"])
    awarded = post(staff, f"{URL}{nid}/transitions/award/", {"opinion": "经评审、公示，同意入选。"})
    number = f"科志〔{round_.year}〕001号"
    assert (awarded["state"], awarded["state_label"], awarded["certificate_number"]) == ("awarded", "已公布", number)
    assert (awarded["cast_opinion"], awarded["cast_signer"]) == ("经评审、公示，同意入选。", "赵强（中国科协）")
    assert awarded["awarded_at"] is not None
    closed = post(staff, f"/api/v1/notices/{notice['id']}/finish/", {"opinion": "公示期满无异议。"})
    assert closed["status"] == "closed"

    # 11. The public winners list: only what was published.
    winners = APIClient().get("/api/v1/public/winners/", {"round": round_.pk})
    assert winners.status_code == 200
    assert winners.json() == [
        {
            "id": nid,
            "category": category,
            "category_label": category_label,
            "nominee_name": name,
            "organization_name": org_name,
            "certificate_number": number,
        }
    ]

    # 12. The history tells the whole story, oldest first, with the opinions kept.
    history = staff.get(f"{URL}{nid}/history/").json()
    uploads = 5 if category == "volunteer" else 4
    assert [(e["action"], e["to_state"]) for e in history] == [
        ("create", "draft"),
        *[("attachment_added", "draft")] * uploads,
        ("submit", "submitted"),
        ("checkpoint_pass", "submitted"),
        ("attachment_added", "submitted"),
        ("recommend", "recommended"),
        ("confirm_eligible", "expert_review"),
        *[("assign", "expert_review")] * len(experts),
        *[("score", "expert_review")] * len(experts),
        ("checkpoint_pass", "expert_review"),
        ("shortlist", "shortlisted"),
        ("checkpoint_pass", "shortlisted"),
        ("publish_notice", "public_notice"),
        ("award", "awarded"),
    ]
    opinions = {e["action"]: e["opinion"] for e in history}
    assert opinions["recommend"] == RECOMMEND_OPINION
    assert opinions["award"] == "经评审、公示，同意入选。"
    assert next(e for e in history if e["action"] == "confirm_eligible")["data"]["eligibility"] == [
        {"rule": r["rule"], "passed": True} for r in report
    ]
    assert history[-1]["data"] == {"certificate_number": number}
    assert AuditEvent.objects.filter(record_type="nominations.nomination", record_id=nid).count() == len(history)
    assert Checkpoint.objects.filter(record_type="nominations.nomination", record_id=nid).count() == 4
    assert Attachment.objects.filter(record_type="nominations.nomination", record_id=nid).count() == uploads + 1
