"""The rules by their right names, as settings of the round: 限项 (a unit's applications per
sub-project, default from the round, a sub-project's own overriding), the recommending unit's
quota only where the round sets one, and 多头申报 (the same project from more than one unit or
channel) flagged to CAST staff at formal review, passing it with a written opinion."""

from __future__ import annotations

from typing import Any

import pytest

from applications.models import Application
from tests.applications.builders import application_in, create_draft, ok
from tests.applications.helpers import act, review, upload
from tests.conftest import api_as, make_round
from workflows.models import AuditEvent
from workflows.round_settings import ApplicationRoundSettings, RoundSettingsError, parse_round_settings

URL = "/api/v1/applications/"
LIMIT = "本单位在本批次“学会科技志愿服务基层行”已有 {n} 项申报，达到限报数（{n} 项）"


def errors(response: Any, status: int = 400) -> list[str]:
    assert response.status_code == status, (response.status_code, response.content)
    return response.json()["errors"]


def recommend(users, app_id: int) -> Any:
    assert review(users, "content_csf", app_id, "recommender").status_code == 201
    assert upload(api_as(users["reviewer_csf"]), app_id, "recommender_opinion").status_code == 201
    return act(users, "reviewer_csf", app_id, "recommend", opinion="同意推荐。")


# -- 限项 ------------------------------------------------------------------------------------------


def test_the_round_settings_name_the_rules_with_their_defaults():
    defaults = ApplicationRoundSettings()
    assert (defaults.per_unit_limit, defaults.recommender_quota) == (1, None)
    assert parse_round_settings("application", {"recommender_quota": None}).recommender_quota is None
    assert parse_round_settings("application", {"per_unit_limit": 3, "recommender_quota": 5}).per_unit_limit == 3
    with pytest.raises(RoundSettingsError) as refused:
        parse_round_settings("application", {"per_unit_limit": 0, "recommender_quota": "many"})
    assert refused.value.messages == [
        "设置项 per_unit_limit 必须在 1 到 100 之间",
        "设置项 recommender_quota 必须是整数",
    ]


def test_the_per_unit_limit_comes_from_the_round(users):
    round_ = make_round()
    grassroots = round_.subprojects.get(code="grassroots")
    assert (grassroots.per_unit_limit, grassroots.limit_for_round()) == (None, 1)
    application_in(users, round_.pk, "submitted")
    second = create_draft(users, round_.pk, "applicant_csf_br1")
    assert errors(act(users, "applicant_csf_br1", second, "submit", opinion="")) == [LIMIT.format(n=1)]

    # The round allows two: the second goes, a third does not.
    round_.settings = {"per_unit_limit": 2}
    round_.save()
    assert ok(act(users, "applicant_csf_br1", second, "submit", opinion=""))["state"] == "submitted"
    third = create_draft(users, round_.pk, "applicant_csf_br1")
    assert errors(act(users, "applicant_csf_br1", third, "submit", opinion="")) == [LIMIT.format(n=2)]

    # The sub-project's own limit overrides the round's.
    grassroots.per_unit_limit = 3
    grassroots.save()
    assert ok(act(users, "applicant_csf_br1", third, "submit", opinion=""))["state"] == "submitted"
    grassroots.per_unit_limit = 1
    grassroots.save()
    fourth = create_draft(users, round_.pk, "applicant_csf_br1")
    assert errors(act(users, "applicant_csf_br1", fourth, "submit", opinion="")) == [
        "本单位在本批次“学会科技志愿服务基层行”已有 3 项申报，达到限报数（1 项）"
    ]


def test_the_round_editor_offers_the_rules(client, users):
    round_ = make_round()
    client.force_login(users["cast_staff"])
    page = client.get(f"/manage/rounds/{round_.pk}/").content.decode()
    assert 'name="s_per_unit_limit"' in page and "限项：每个单位每个子项目限报数（子项目未设时）" in page
    assert 'name="s_recommender_quota"' in page and "不填：不限名额" in page
    assert "不限" in page  # the sub-projects' quota column: no quota


# -- the recommending unit's quota ------------------------------------------------------------------


def test_no_quota_unless_the_round_sets_one(users):
    round_ = make_round(settings={"per_unit_limit": 3})
    # Five recommendations of one recommending unit to one sub-project: no quota stops them.
    ids = [application_in(users, round_.pk, "submitted", a) for a in ("applicant_csf_br1",) * 3]
    ids += [application_in(users, round_.pk, "submitted", "applicant_gd_fish") for _ in range(2)]
    for app_id in ids:
        assert ok(recommend(users, app_id))["state"] == "recommended"
    assert Application.objects.filter(round=round_, state="recommended").count() == 5


def test_the_quota_applies_where_the_round_sets_one(users):
    round_ = make_round(settings={"per_unit_limit": 3, "recommender_quota": 2})
    ids = [application_in(users, round_.pk, "submitted") for _ in range(3)]
    for app_id in ids[:2]:
        assert ok(recommend(users, app_id))["state"] == "recommended"
    assert errors(recommend(users, ids[2])) == ["本单位“学会科技志愿服务基层行”的推荐名额（2 个）已用完"]
    # The API shows the round's settings: the quota set, or null.
    body = ok(api_as(users["cast_staff"]).get(f"/api/v1/rounds/{round_.pk}/"))
    settings = body["settings"]
    assert (settings["per_unit_limit"], settings["recommender_quota"]) == (3, 2)
    default = ok(api_as(users["cast_staff"]).get(f"/api/v1/rounds/{make_round().pk}/"))["settings"]
    assert (default["per_unit_limit"], default["recommender_quota"]) == (1, None)


# -- 多头申报 ---------------------------------------------------------------------------------------


def test_the_same_name_from_another_unit_is_shown_to_cast_staff(client, users):
    round_ = make_round()
    csf = application_in(users, round_.pk, "recommended", name="水产养殖科技志愿服务")
    # The same name (spaces are not kept in a project name).
    gd = application_in(users, round_.pk, "recommended", "applicant_gd_fish", name="水产养殖 科技志愿服务")
    gd_app = Application.objects.select_related("recommending_unit").get(pk=gd)
    expected = [
        {
            "id": gd,
            "name": "水产养殖科技志愿服务",
            "organization": "广东省水产学会",
            "recommending_unit": gd_app.recommending_unit.name,
            "state": "recommended",
            "state_label": "已推荐（待中国科协审核）",
            "reasons": ["name"],
        }
    ]
    for username in ("cast_staff", "auditor"):
        assert ok(api_as(users[username]).get(f"{URL}{csf}/"))["suspected_duplicates"] == expected
    for username in ("applicant_csf_br1", "reviewer_csf"):
        assert ok(api_as(users[username]).get(f"{URL}{csf}/"))["suspected_duplicates"] is None
    client.force_login(users["cast_staff"])
    page = client.get(f"/applications/{csf}/").content.decode()
    assert "疑似多头申报" in page and "广东省水产学会" in page and "项目名称相同" in page
    client.force_login(users["applicant_csf_br1"])
    assert "疑似多头申报" not in client.get(f"/applications/{csf}/").content.decode()

    # Passing formal review needs an opinion, and the event keeps what was flagged.
    message = (
        "疑似多头申报：与《水产养殖科技志愿服务》（广东省水产学会，状态：已推荐（待中国科协审核）；项目名称相同）"
        "相似，通过形式审查须填写意见"
    )
    assert errors(act(users, "cast_staff", csf, "pass_formal_review", opinion="")) == [message]
    assert Application.objects.get(pk=csf).state == "recommended"
    passed = ok(act(users, "cast_staff", csf, "pass_formal_review", opinion="经核实为两单位分别实施的不同项目。"))
    assert passed["state"] == "expert_review"
    event = AuditEvent.objects.get(record_type="applications.application", record_id=csf, action="pass_formal_review")
    assert (event.opinion, event.data["suspected_duplicates"]) == (
        "经核实为两单位分别实施的不同项目。",
        [{"id": gd, "reasons": ["name"]}],
    )
    # Once past formal review it is no longer flagged on the page or the API.
    assert ok(api_as(users["cast_staff"]).get(f"{URL}{csf}/"))["suspected_duplicates"] is None


def test_the_same_leader_with_similar_content_is_flagged(users):
    round_ = make_round()
    content = "组织水产专家深入徐闻县开展养殖技术培训和现场指导，举办培训班十期，培训养殖户八百人次。"
    leader = {"leader_name": "王海", "leader_mobile": "13912345678"}
    first = application_in(users, round_.pk, "recommended", name="徐闻水产养殖培训", content=content, **leader)
    similar = application_in(
        users,
        round_.pk,
        "recommended",
        "applicant_gd_fish",
        name="湛江渔业技术服务行",
        content=content.replace("十期", "十二期"),
        **leader,
    )
    # The same leader with different content, or similar content under another leader: no flag.
    application_in(
        users, round_.pk, "recommended", "applicant_xuwen", name="文明实践科普", content="开展科普讲座。", **leader
    )
    body = ok(api_as(users["cast_staff"]).get(f"{URL}{first}/"))
    assert [(d["id"], d["reasons"]) for d in body["suspected_duplicates"]] == [(similar, ["leader"])]
    assert errors(act(users, "cast_staff", first, "pass_formal_review", opinion="")) == [
        "疑似多头申报：与《湛江渔业技术服务行》（广东省水产学会，状态：已推荐（待中国科协审核）；"
        "负责人（姓名和手机）相同且主要内容相近）相似，通过形式审查须填写意见"
    ]
    # Rejecting the other one settles it: the first passes without an opinion.
    ok(
        act(
            users,
            "cast_staff",
            similar,
            "reject_formal_review",
            opinion="与《徐闻水产养殖培训》为同一项目（多头申报）。",
        )
    )
    assert ok(act(users, "cast_staff", first, "pass_formal_review", opinion=""))["state"] == "expert_review"
