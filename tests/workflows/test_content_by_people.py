"""Content review by people (issue #15, part 4): the automatic scan only flags; a finding of the
highest severity makes the responsible content reviewer's decision explicit, with a written
reason; CAST's context exceptions (防范传销, 反赌博) keep campaign wording from being flagged.

Applications of the demo round, driven over the API and the pages as the demo users.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from notifications.models import Notification
from tests.applications.builders import URL, create_draft, ok
from tests.applications.helpers import act, upload
from tests.conftest import api_as
from workflows.models import AuditEvent, Checkpoint, Round, SensitiveTerm

REASON = "项目旨在普及识别和防范传销的知识，属于科普宣传，导向正确，同意通过。"
# The demo term list (seed_demo): 传销 is of the highest severity, excepted in 防范传销, 打击传销, 反传销.
CONTENT = "讲解传销的识别方法，开展防范传销知识讲座 12 场。"
NAME = "防范传销科普进社区"
FINDING = {
    "field": "主要内容",
    "term": "传销",
    "category": "illegal",
    "severity": "block",
    "start": 2,
    "end": 4,
    "excerpt": "讲解传销的识别方法，开展防范",
    "excerpt_start": 2,
    "excerpt_end": 4,
    "highest": True,
}
STORED = {k: v for k, v in FINDING.items() if k not in ("excerpt_start", "excerpt_end", "highest")}
REFUSAL = "内容含有最高严重程度的词语“传销”（主要内容）：通过或不通过都须由内容审核员填写审核意见，写明理由"


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


def submitted(users: dict[str, Any], round_id: int, applicant: str = "applicant_csf_br1", **overrides: Any) -> int:
    """A submitted application of ``applicant`` (both demo applicants used here are recommended
    by 中国水产学会, whose content reviewer is content_csf)."""
    app_id = create_draft(users, round_id, applicant, **{"name": NAME, "content": CONTENT, **overrides})
    body = ok(act(users, applicant, app_id, "submit"))
    assert body["state"] == "submitted"
    return app_id


def reviews(users: dict[str, Any], username: str, app_id: int) -> dict[str, dict[str, Any]]:
    return {r["stage"]: r for r in ok(api_as(users[username]).get(f"{URL}{app_id}/content-reviews/"))}


def decide(users: dict[str, Any], username: str, app_id: int, verdict: str, opinion: Any, stage: str = "recommender"):
    return api_as(users[username]).post(
        f"{URL}{app_id}/content-reviews/", {"stage": stage, "verdict": verdict, "opinion": opinion}, format="json"
    )


def test_a_fanghuan_chuanxiao_project_is_submitted_flagged_and_passed_with_a_reason(users, round_id):
    app_id = submitted(users, round_id)

    # Flagged, not refused: the submission's scan stored the finding of the highest severity.
    scan = Checkpoint.objects.get(record_id=app_id, stage="submission")
    assert (scan.verdict, scan.reviewer, scan.findings) == ("pass", None, [STORED])
    assert scan.opinion == (
        "自动扫描：发现 1 处需关注的词语，其中 1 处为最高严重程度（“传销”（主要内容）），"
        "须由内容审核员作出结论并写明理由"
    )
    # The recommending unit's content reviewer sees it, the term marked in its excerpt.
    shown = reviews(users, "content_csf", app_id)
    assert shown["submission"]["status"] == "flagged"
    assert shown["submission"]["findings"] == [FINDING]
    assert shown["recommender"]["status"] == "required"
    assert shown["recommender"]["decision_required"] is True
    assert shown["recommender"]["findings"] == [FINDING]
    assert (shown["cast"]["status"], shown["cast"]["findings"]) == ("not_yet", [])

    # Nothing passes the stage on its own: recommending still needs the reviewer's verdict.
    ok(upload(api_as(users["reviewer_csf"]), app_id, "recommender_opinion", name="推荐意见.pdf"), 201)
    refused = act(users, "reviewer_csf", app_id, "recommend", opinion="同意推荐。")
    assert (refused.status_code, refused.json()["errors"]) == (400, ["推荐单位内容审核尚未完成（当前版本）"])

    before = (Checkpoint.objects.count(), AuditEvent.objects.count())
    for empty in ("", "   ", "\n"):
        response = decide(users, "content_csf", app_id, "pass", empty)
        assert (response.status_code, response.json()["errors"]) == (400, [REFUSAL])
    assert (Checkpoint.objects.count(), AuditEvent.objects.count()) == before

    passed = decide(users, "content_csf", app_id, "pass", REASON)
    rows = {r["stage"]: r for r in ok(passed, 201)}
    assert rows["recommender"]["status"] == "passed"
    assert rows["recommender"]["opinion"] == REASON
    assert rows["recommender"]["addressed"] == [FINDING]
    assert rows["recommender"]["decision_required"] is False
    checkpoint = Checkpoint.objects.get(record_id=app_id, stage="recommender")
    assert (checkpoint.verdict, checkpoint.reviewer, checkpoint.opinion) == ("pass", users["content_csf"], REASON)
    assert (checkpoint.findings, checkpoint.addressed) == ([STORED], [STORED])
    event = AuditEvent.objects.filter(record_id=app_id, action="checkpoint_pass").get()
    assert (event.actor_id, event.actor_role, event.actor_org, event.opinion) == (
        users["content_csf"].pk,
        "content_reviewer",
        "CSF",
        REASON,
    )
    assert event.data == {
        "stage": "recommender",
        "findings": 1,
        "addressed": [{"term": "传销", "field": "主要内容", "start": 2}],
    }

    body = ok(act(users, "reviewer_csf", app_id, "recommend", opinion="同意推荐。"))
    assert body["state"] == "recommended"


def test_failing_a_flagged_record_keeps_it_from_moving_on_and_tells_the_applicant(users, round_id):
    app_id = submitted(users, round_id)
    response = decide(users, "content_csf", app_id, "fail", "   ")
    assert (response.status_code, response.json()["errors"]) == (400, [REFUSAL])

    opinion = "“讲解传销”的表述易生歧义，请改为防范传销的具体内容。"
    rows = {r["stage"]: r for r in ok(decide(users, "content_csf", app_id, "fail", opinion), 201)}
    assert (rows["recommender"]["status"], rows["recommender"]["opinion"]) == ("failed", opinion)
    assert rows["recommender"]["addressed"] == [FINDING]
    # Still awaiting a verdict written out: the stage is not passed.
    assert rows["recommender"]["decision_required"] is True
    checkpoint = Checkpoint.objects.get(record_id=app_id, stage="recommender")
    assert (checkpoint.verdict, checkpoint.addressed) == ("fail", [STORED])
    assert Notification.objects.filter(recipient=users["applicant_csf_br1"], message_key="checkpoint_fail").exists()

    ok(upload(api_as(users["reviewer_csf"]), app_id, "recommender_opinion", name="推荐意见.pdf"), 201)
    refused = act(users, "reviewer_csf", app_id, "recommend", opinion="同意推荐。")
    assert (refused.status_code, refused.json()["errors"]) == (400, [f"推荐单位内容审核未通过：{opinion}"])
    # Returned, changed and resubmitted, it is flagged no more.
    ok(act(users, "reviewer_csf", app_id, "return_for_revision", opinion="请按内容审核意见修改。"))
    ok(
        api_as(users["applicant_csf_br1"]).patch(
            f"{URL}{app_id}/", {"content": "开展防范传销知识讲座 12 场。"}, format="json"
        )
    )
    ok(act(users, "applicant_csf_br1", app_id, "resubmit", opinion="已按意见修改。"))
    shown = reviews(users, "content_csf", app_id)
    assert (shown["submission"]["status"], shown["submission"]["findings"]) == ("passed", [])
    assert (shown["recommender"]["status"], shown["recommender"]["decision_required"]) == ("required", False)


def test_exceptions_stop_findings_and_without_them_the_same_wording_is_flagged(users, round_id):
    wording = "打击传销、反传销，开展防范传销知识讲座 12 场。"
    excepted = submitted(users, round_id, content=wording)
    shown = reviews(users, "content_csf", excepted)
    assert (shown["submission"]["status"], shown["submission"]["findings"]) == ("passed", [])
    assert (shown["recommender"]["findings"], shown["recommender"]["decision_required"]) == ([], False)
    # Without a finding of the highest severity the verdict stays as it was: an opinion, any.
    response = decide(users, "content_csf", excepted, "pass", "")
    assert (response.status_code, response.json()["errors"]) == (400, ["请填写审核意见"])
    rows = {r["stage"]: r for r in ok(decide(users, "content_csf", excepted, "pass", "同意。"), 201)}
    assert (rows["recommender"]["status"], rows["recommender"]["addressed"]) == ("passed", [])
    assert Checkpoint.objects.get(record_id=excepted, stage="recommender").addressed == []

    # CAST removes the exceptions: the same wording is flagged, each occurrence.
    term = SensitiveTerm.objects.get(term="传销")
    term.exceptions = []
    term.save()
    flagged = submitted(users, round_id, "applicant_gd_fish", content=wording, name="打击传销宣传进渔村")
    shown = reviews(users, "content_csf", flagged)
    assert shown["submission"]["status"] == "flagged"
    assert [(f["field"], f["start"], f["end"]) for f in shown["submission"]["findings"]] == [
        ("项目名称", 2, 4),
        ("主要内容", 2, 4),
        ("主要内容", 6, 8),
        ("主要内容", 13, 15),
    ]
    assert shown["recommender"]["decision_required"] is True


def test_every_role_on_the_decision(users, round_id):
    app_id = submitted(users, round_id)
    expected = {
        "applicant_csf_br1": (200, 403),
        "applicant_gd_fish": (404, 404),
        "applicant_xuwen": (404, 404),
        "reviewer_csf": (200, 403),
        "content_csf": (200, 201),
        "reviewer_gd_cast": (404, 404),
        "content_gd_cast": (404, 404),
        "cast_staff": (404, 404),
        "content_cast": (404, 404),
        "auditor": (200, 403),
        **{f"expert_{n}": (404, 404) for n in range(1, 6)},
        # Units of other channels (and CSF's own applicants: the branch's record is not theirs).
        **{
            name: (404, 404)
            for name in (
                "applicant_csf",
                "applicant_gd_agri",
                "applicant_sz_cast",
                "reviewer_sz_cast",
                "content_sz_cast",
                "applicant_xjbt",
            )
        },
    }
    assert set(expected) == set(users)
    found = {}
    for username in sorted(users):
        client = api_as(users[username])
        seen = client.get(f"{URL}{app_id}/content-reviews/").status_code
        posted = decide(users, username, app_id, "pass", REASON)
        found[username] = (seen, posted.status_code)
        if posted.status_code == 403:
            assert posted.json()["errors"] == ["只有负责该环节的内容审核员可以作出审核结论"]
    assert found == expected
    anonymous = api_as(None)
    assert anonymous.get(f"{URL}{app_id}/content-reviews/").status_code in (401, 403)
    assert anonymous.post(f"{URL}{app_id}/content-reviews/", {}, format="json").status_code in (401, 403)
    assert Checkpoint.objects.filter(record_id=app_id, stage="recommender").count() == 1


def test_bad_decisions_are_refused_with_every_problem(users, round_id):
    app_id = submitted(users, round_id)
    # Every problem at once: a wrong verdict and a missing reason.
    response = decide(users, "content_csf", app_id, "maybe", "")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        ["verdict: “maybe” 不是合法选项。", "opinion: 该字段不能为空。"],
    )
    response = api_as(users["content_csf"]).post(
        f"{URL}{app_id}/content-reviews/", {"stage": "recommender", "verdict": "pass"}, format="json"
    )
    assert (response.status_code, response.json()["errors"]) == (400, [REFUSAL])
    response = decide(users, "content_csf", app_id, "pass", "理" * 5001)
    assert (response.status_code, response.json()["errors"]) == (400, ["opinion: 请确保这个字段不能超过 5000 个字符。"])
    # The wrong stage for the record's state.
    response = decide(users, "content_csf", app_id, "pass", REASON, stage="cast")
    assert (response.status_code, response.json()["errors"]) == (
        409,
        ["记录当前状态“已提交（待推荐单位审核）”不需要“中国科协内容审核”"],
    )
    assert not Checkpoint.objects.filter(record_id=app_id).exclude(stage="submission").exists()


def test_the_record_page_shows_the_finding_and_takes_the_decision(users, round_id):
    app_id = submitted(users, round_id)
    page = Client()
    page.force_login(users["content_csf"])
    html = page.get(f"/applications/{app_id}/").content.decode()
    assert "已标记，待内容审核员决定" in html
    assert (
        '<li class="finding finding-highest"><strong>主要内容</strong> <span class="badge">最高严重程度</span>: '
        '讲解<mark title="传销 (illegal / block)">传销</mark>的识别方法，开展防范</li>'
    ) in html
    assert "内容含有最高严重程度的词语：自动扫描不作决定，请由您明确通过或不通过，并在审核意见中写明理由。" in html
    # The text itself, marked where the term stands (the 防范传销 occurrence is excepted).
    assert (
        '讲解<mark class="finding" title="传销（illegal / block）">传销</mark>的识别方法，开展防范传销知识讲座' in html
    )

    action = f"/workflow/applications.application/{app_id}/content-review/"
    back = f"/applications/{app_id}/"
    response = page.post(action, {"stage": "recommender", "verdict": "pass", "opinion": "", "next": back}, follow=True)
    assert REFUSAL in response.content.decode()
    assert not Checkpoint.objects.filter(record_id=app_id, stage="recommender").exists()
    response = page.post(
        action, {"stage": "recommender", "verdict": "pass", "opinion": REASON, "next": back}, follow=True
    )
    html = response.content.decode()
    assert "内容审核结论已记录" in html
    assert "该结论处理的最高严重程度发现：<mark>传销</mark> (主要内容)" in html
    assert Checkpoint.objects.get(record_id=app_id, stage="recommender").addressed == [STORED]

    # Someone else's decision through the page is refused and stores nothing.
    other = Client()
    other.force_login(users["reviewer_csf"])
    response = other.post(
        action, {"stage": "recommender", "verdict": "fail", "opinion": "不同意", "next": back}, follow=True
    )
    assert "只有负责该环节的内容审核员可以作出审核结论" in response.content.decode()
    assert Checkpoint.objects.filter(record_id=app_id, stage="recommender").count() == 1
    # Only the responsible reviewer gets the form.
    assert "作出审核结论（内容审核员）" not in other.get(back).content.decode()
