"""The selection over HTTP: quotas, thresholds, conflicts of interest, the ranking and its
ties, shortlisting within the number of winners, the public notice with an objection
upheld (the candidate disqualified, the next one promoted through a notice of its own) and one
dismissed, and exactly the configured number of winners per category announced."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from nominations.models import Nomination
from notices.models import Objection
from tests.conftest import api_as, make_round
from tests.nominations.helpers import (
    FORMS,
    RECOMMEND_OPINION,
    URL,
    act,
    advance,
    assign,
    bulk,
    decide,
    end_notice_period,
    entry_of,
    errors,
    file_objection,
    nomination_in,
    notice_draft,
    notice_finish,
    notice_for,
    notice_publish,
    notice_review,
    ok,
    score,
    unique,
    upload,
)
from workflows.models import AuditEvent

CATEGORIES = ("volunteer", "team", "project", "site")
LABELS = {
    "volunteer": "十佳科技志愿者",
    "team": "十佳科技志愿服务队",
    "project": "十佳科技志愿服务项目",
    "site": "十佳科技志愿服务点（社区或村）",
}


def selection_round(**settings):
    return make_round(kind="selection", settings=settings)


def state(nid: int) -> str:
    return Nomination.objects.get(pk=nid).state


def ranking(users, round_id: int, category: str) -> list[tuple]:
    rows = ok(api_as(users["cast_staff"]).get(f"{URL}ranking/", {"round": round_id, "category": category}))
    return [(r["id"], r["rank"], r["mean"], r["spread"], r["count"]) for r in rows]


def test_a_unit_cannot_recommend_beyond_its_quota_per_category(users):
    round_ = selection_round(quota_per_category=1)
    first = nomination_in(users, round_.pk, "volunteer", "submitted", "applicant_csf_br1")
    second = nomination_in(users, round_.pk, "volunteer", "submitted", "applicant_gd_fish")
    other_category = nomination_in(users, round_.pk, "team", "submitted", "applicant_gd_fish")
    other_unit = nomination_in(users, round_.pk, "volunteer", "submitted", "applicant_xuwen")
    advance(users, first, "applicant_csf_br1", "recommended", start="submitted")
    # Same unit (CSF recommends both CSF-BR1 and GD-FISH), same category: the quota of 1 is used.
    ok(
        api_as(users["content_csf"]).post(
            f"{URL}{second}/content-reviews/",
            {"stage": "recommender", "verdict": "pass", "opinion": "通过。"},
            format="json",
        ),
        201,
    )
    ok(upload(api_as(users["reviewer_csf"]), second, "recommender_opinion"), 201)
    message = "本单位“十佳科技志愿者”类别的推荐名额（1 个）已用完"
    options = {t["name"]: t for t in ok(api_as(users["reviewer_csf"]).get(f"{URL}{second}/transitions/"))}
    assert options["recommend"]["blocked_reasons"] == [message]
    before = AuditEvent.objects.count()
    assert errors(act(users, "reviewer_csf", second, "recommend", RECOMMEND_OPINION)) == (400, [message])
    assert (state(second), AuditEvent.objects.count()) == ("submitted", before)
    # Another category of the same unit, and the same category of another unit, are not affected.
    advance(users, other_category, "applicant_gd_fish", "recommended", start="submitted")
    advance(users, other_unit, "applicant_xuwen", "recommended", start="submitted")
    # A recommended nomination declared ineligible frees the place.
    ok(act(users, "cast_staff", first, "declare_ineligible", "服务时长证明材料不足。"))
    ok(act(users, "reviewer_csf", second, "recommend", RECOMMEND_OPINION))
    assert [state(n) for n in (first, second, other_category, other_unit)] == [
        "ineligible",
        "recommended",
        "recommended",
        "recommended",
    ]


def test_a_failed_threshold_needs_a_written_reason_to_confirm(users):
    round_ = selection_round()
    nid = nomination_in(users, round_.pk, "volunteer", "recommended", activities=5)
    staff = api_as(users["cast_staff"])
    report = ok(staff.get(f"{URL}{nid}/eligibility/"))
    assert [(r["rule"], r["label"], r["required"], r["actual"], r["passed"]) for r in report] == [
        ("registered", "已在科技志愿服务平台注册", "✓", "44080019780512", True),
        ("min_activities", "开展服务活动不少于 10 次", "10", "5", False),
        ("min_hours", "服务时长不少于 20 小时", "20", "186.5", True),
        ("past_winner", "近 3 年未获评同类称号", "3", "—", True),
    ]
    message = "资格条件未满足（开展服务活动不少于 10 次），如确认通过须填写理由"
    before = AuditEvent.objects.count()
    assert errors(act(users, "cast_staff", nid, "confirm_eligible")) == (400, [message])
    assert errors(act(users, "cast_staff", nid, "confirm_eligible", "   ")) == (400, [message])
    assert (state(nid), AuditEvent.objects.count()) == ("recommended", before)

    reason = "该同志2023年因台风灾后救援集中服务，活动次数少但服务时长远超要求，经研究同意破格。"
    confirmed = ok(act(users, "cast_staff", nid, "confirm_eligible", reason))
    assert (confirmed["state"], confirmed["eligibility_override_reason"]) == ("expert_review", reason)
    event = AuditEvent.objects.filter(record_id=nid, record_type="nominations.nomination").last()
    assert (event.action, event.opinion, event.data["eligibility"][1]) == (
        "confirm_eligible",
        reason,
        {"rule": "min_activities", "passed": False},
    )


def test_a_team_failing_several_rules_is_told_each(users):
    round_ = selection_round()
    nid = nomination_in(
        users, round_.pk, "team", "recommended", "applicant_xuwen", registered_volunteers=12, service_hours="48.0"
    )
    assert errors(act(users, "cast_staff", nid, "confirm_eligible")) == (
        400,
        [
            "资格条件未满足（注册志愿者不少于 20 人；人均服务时长不少于 5 小时；服务时长不少于 100 小时），"
            "如确认通过须填写理由"
        ],
    )
    ok(act(users, "cast_staff", nid, "declare_ineligible", "注册志愿者人数和服务时长均未达到推荐条件。"))
    assert state(nid) == "ineligible"


def test_an_expert_with_a_conflict_of_interest_is_refused(users):
    round_ = selection_round()
    csf = nomination_in(users, round_.pk, "site", "expert_review", "applicant_gd_fish")
    xuwen = nomination_in(users, round_.pk, "site", "expert_review", "applicant_xuwen")
    before = AuditEvent.objects.count()
    assert errors(assign(users, csf, "expert_5")) == (400, ["专家五：利益冲突：专家所在单位即该记录的推荐单位"])
    assert AuditEvent.objects.count() == before
    # Nor can the expert reach the record to score it: it is not visible to them.
    assert score(users, "expert_5", csf).status_code == 404
    # A record recommended by another unit is no conflict.
    ok(assign(users, xuwen, "expert_5"), 201)
    ok(score(users, "expert_5", xuwen, 88), 201)
    assert [s["expert"] for s in ok(api_as(users["cast_staff"]).get(f"{URL}{xuwen}/scores/"))] == ["expert_5"]


def test_equal_means_are_a_tie_whatever_the_spread_or_the_order_of_creation(users):
    round_ = selection_round()
    # Equal means of 80.00: one with scores 70/80/90 (spread 20), created first (lowest id);
    # then two with 80/80/80 (spread 0). All three share rank 2; listed by name (丙 乙 甲),
    # which decides nothing.
    wide = nomination_in(users, round_.pk, "volunteer", "scored", nominee_name="甲", totals=(70, 80, 90))
    even_1 = nomination_in(users, round_.pk, "volunteer", "scored", nominee_name="乙", totals=(80, 80, 80))
    even_2 = nomination_in(
        users, round_.pk, "volunteer", "scored", "applicant_xuwen", nominee_name="丙", totals=(80, 80, 80)
    )
    top = nomination_in(
        users, round_.pk, "volunteer", "scored", "applicant_xuwen", nominee_name="丁", totals=(81, 81, 81)
    )
    assert wide < even_1 < even_2
    assert ranking(users, round_.pk, "volunteer") == [
        (top, 1, "81.00", "0.00", 3),
        (even_2, 2, "80.00", "0.00", 3),
        (even_1, 2, "80.00", "0.00", 3),
        (wide, 2, "80.00", "20.00", 3),
    ]
    # Other categories of the round are ranked apart.
    assert ranking(users, round_.pk, "team") == []


@pytest.fixture
def selection(users):
    """A round with two winners per category and three candidates in each, scored so that the
    ranking is known: per category [first, second, third]."""
    round_ = selection_round(winners_per_category=dict.fromkeys(CATEGORIES, 2))
    candidates: dict[str, list[int]] = {}
    applicants = ("applicant_csf_br1", "applicant_gd_fish", "applicant_xuwen")
    for category in CATEGORIES:
        ids = []
        for applicant, value in zip(applicants, (92, 88, 84), strict=True):
            name = unique(FORMS[category]["nominee_name"])
            ids.append(
                nomination_in(users, round_.pk, category, "scored", applicant, nominee_name=name, totals=(value,) * 3)
            )
            ok(
                api_as(users["content_cast"]).post(
                    f"{URL}{ids[-1]}/content-reviews/",
                    {"stage": "cast", "verdict": "pass", "opinion": "同意。"},
                    format="json",
                ),
                201,
            )
        candidates[category] = ids
    return {"round": round_, "candidates": candidates}


def test_the_selection_announces_exactly_the_number_of_winners(users, selection):
    round_id = selection["round"].pk
    candidates = selection["candidates"]
    for category, ids in candidates.items():
        assert [r[0] for r in ranking(users, round_id, category)] == ids

    # Shortlisting beyond the number, or out of ranking order, needs a reason: all or nothing.
    first, second, third = candidates["volunteer"]
    names = {n.pk: n.nominee_name for n in Nomination.objects.all()}
    before = AuditEvent.objects.count()
    assert errors(bulk(users, "shortlist", [first, second, third])) == (
        400,
        [f"《{names[third]}》：“十佳科技志愿者”类别已选定 2 名（名额 2 名），超出须填写理由"],
    )
    assert errors(act(users, "cast_staff", third, "shortlist")) == (
        400,
        ["该推荐在排名中位列第 3，不在前 2 名，选定须填写理由"],
    )
    assert [state(n) for n in (first, second, third)] == ["expert_review"] * 3
    assert AuditEvent.objects.count() == before

    shortlisted, not_selected = [], []
    for ids in candidates.values():
        shortlisted += ids[:2]
        not_selected.append(ids[2])
    ok(bulk(users, "shortlist", shortlisted, "按专家评审排名选定。"))
    ok(bulk(users, "not_select", not_selected))

    # The notice of all eight; the public objects to two entries.
    notice = notice_for(users, round_id, shortlisted)
    assert [state(n) for n in shortlisted] == ["public_notice"] * 8
    upheld_id = candidates["volunteer"][0]
    dismissed_id = candidates["team"][1]
    reference_1 = ok(file_objection(notice["id"], entry_of(notice, upheld_id)), 201)["reference"]
    reference_2 = ok(
        file_objection(
            notice["id"],
            entry_of(notice, dismissed_id),
            content="该服务队部分注册志愿者为挂名人员，未实际参加服务活动。",
            ip="198.51.100.20",
        ),
        201,
    )["reference"]
    objection_1 = Objection.objects.get(reference=reference_1)
    objection_2 = Objection.objects.get(reference=reference_2)

    # Upheld: the candidate is disqualified.
    decided = ok(decide(users, objection_1.pk, "uphold", "经核实，被推荐对象服务记录存在重复登记，异议成立。"))
    assert (decided["status"], decided["status_label"]) == ("upheld", "异议成立")
    assert state(upheld_id) == "disqualified"
    history = [e["action"] for e in ok(api_as(users["cast_staff"]).get(f"{URL}{upheld_id}/history/"))]
    assert history[-3:] == ["objection_filed", "objection_upheld", "disqualify"]

    # Promotion (递补) goes by the ranking and only where a candidate was disqualified:
    # the team's third has nothing to fill.
    team_third = candidates["team"][2]
    wrong = notice_draft(users, round_id, [team_third], title="“四个十佳”递补人选公示（服务队）")
    notice_review(users, wrong["id"])
    assert errors(notice_publish(users, wrong["id"])) == (
        400,
        [f"《{names[team_third]}》：本类别没有被取消拟入选资格、需要递补的名额"],
    )
    assert state(team_third) == "not_selected"
    # The volunteers' third, next in the ranking, is promoted through a notice of its own.
    promoted_id = candidates["volunteer"][2]
    options = {t["name"]: t for t in ok(api_as(users["cast_staff"]).get(f"{URL}{promoted_id}/transitions/"))}
    assert options["promote"]["blocked_reasons"] == [
        "该操作随公示的发布执行：请在公示管理中发布该记录所在的公示",
        "该记录不在已通过发布前内容审核、待发布的公示名单上",
        "发布前内容审核尚未完成（当前版本）",
    ]
    second_notice = notice_for(users, round_id, [promoted_id], title="“四个十佳”递补人选公示")
    promoted = Nomination.objects.get(pk=promoted_id)
    assert (promoted.state, promoted.promoted) == ("public_notice", True)

    # The period ends; an objection still open blocks the whole notice, nothing changes.
    end_notice_period(notice["id"])
    before = AuditEvent.objects.count()
    assert errors(notice_finish(users, notice["id"])) == (
        400,
        [f"《{names[dismissed_id]}》：该记录有 1 条异议尚未处理"],
    )
    assert AuditEvent.objects.count() == before
    assert Nomination.objects.filter(state="awarded").count() == 0

    # Dismissed: the candidate stays; then the notice is finished and the seven are awarded.
    decided = ok(decide(users, objection_2.pk, "dismiss", "经核实，所列志愿者均有服务记录，异议不成立。"))
    assert (decided["status"], state(dismissed_id)) == ("dismissed", "public_notice")
    assert ok(notice_finish(users, notice["id"]))["status"] == "closed"
    end_notice_period(second_notice["id"])
    assert ok(notice_finish(users, second_notice["id"]))["status"] == "closed"

    winners = ok(APIClient().get("/api/v1/public/winners/", {"round": round_id}))
    by_category: dict[str, list[int]] = {}
    for row in winners:
        by_category.setdefault(row["category"], []).append(row["id"])
    assert {c: sorted(ids) for c, ids in by_category.items()} == {
        "volunteer": sorted([candidates["volunteer"][1], promoted_id]),
        "team": sorted(candidates["team"][:2]),
        "project": sorted(candidates["project"][:2]),
        "site": sorted(candidates["site"][:2]),
    }
    assert all(len(ids) == 2 for ids in by_category.values())
    year = selection["round"].year
    assert sorted(r["certificate_number"] for r in winners) == [f"科志〔{year}〕{i:03d}号" for i in range(1, 9)]
    assert upheld_id not in [r["id"] for r in winners]
    assert sorted(Nomination.objects.filter(round_id=round_id).values_list("state", flat=True)) == sorted(
        ["awarded"] * 8 + ["disqualified"] + ["not_selected"] * 3
    )
