"""Rounds: their windows in words, their validation, and their typed settings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from workflows.models import Round, RoundKind
from workflows.round_settings import (
    ApplicationRoundSettings,
    Criterion,
    RoundSettingsError,
    SelectionRoundSettings,
    parse_round_settings,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def a_round(**overrides) -> Round:
    values = {
        "year": 2026,
        "kind": RoundKind.APPLICATION,
        "title": "2026年度科技志愿服务“智惠行动”项目",
        "submission_opens": local(2026, 3, 1, 9, 0),
        # 16:30 UTC is 00:30 the next day in Beijing: messages show local time.
        "submission_closes": dt.datetime(2026, 4, 30, 16, 30, tzinfo=UTC),
        "recommender_review_due": local(2026, 5, 31, 17, 0),
        "cast_review_due": local(2026, 6, 30, 17, 0),
        "notice_working_days": 5,
    }
    values.update(overrides)
    return Round(**values)


# --- windows --------------------------------------------------------------------------------

WINDOW_CASES = [
    # (window, now, problem)
    ("submission", local(2026, 3, 1, 8, 59), "申报窗口尚未开放（2026-03-01 09:00 开始）"),
    ("submission", local(2026, 3, 1, 9, 0), None),
    ("submission", local(2026, 5, 1, 0, 30), None),
    ("submission", local(2026, 5, 1, 0, 31), "申报窗口已于 2026-05-01 00:30 关闭"),
    (
        "recommender_review",
        local(2026, 2, 28, 23, 0),
        "推荐单位审核窗口尚未开放（2026-03-01 09:00 开始）",
    ),
    ("recommender_review", local(2026, 5, 15, 12, 0), None),
    ("recommender_review", local(2026, 5, 31, 17, 0), None),
    (
        "recommender_review",
        local(2026, 5, 31, 17, 1),
        "推荐单位审核窗口已于 2026-05-31 17:00 关闭",
    ),
    (
        "cast_review",
        local(2026, 1, 1, 0, 0),
        "中国科协审核窗口尚未开放（2026-03-01 09:00 开始）",
    ),
    ("cast_review", local(2026, 6, 1, 9, 0), None),
    ("cast_review", local(2026, 7, 1, 9, 0), "中国科协审核窗口已于 2026-06-30 17:00 关闭"),
]


@pytest.mark.parametrize(("window", "now", "problem"), WINDOW_CASES)
def test_window_problem(window, now, problem):
    assert a_round().window_problem(window, now=now) == problem


def test_window_problem_without_now_uses_the_current_time(open_round):
    assert [open_round.window_problem(w) for w in Round.WINDOWS] == [None, None, None]


def test_window_problem_of_an_unknown_window():
    with pytest.raises(KeyError):
        a_round().window_problem("publication", now=local(2026, 4, 1, 9, 0))


# --- validation -----------------------------------------------------------------------------


def clean_errors(**overrides) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        a_round(**overrides).clean()
    return exc.value.message_dict


def test_a_good_round_is_clean():
    assert a_round().clean() is None
    assert a_round(notice_working_days=1).clean() is None
    assert a_round(notice_working_days=30).clean() is None
    assert a_round(recommender_review_due=a_round().submission_closes).clean() is None


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"submission_closes": local(2026, 2, 1, 17, 0)},
            {"submission_closes": ["申报截止时间必须晚于开始时间"]},
        ),
        (
            {"submission_closes": local(2026, 3, 1, 9, 0)},
            {"submission_closes": ["申报截止时间必须晚于开始时间"]},
        ),
        (
            {"recommender_review_due": local(2026, 4, 30, 17, 0)},
            {"recommender_review_due": ["推荐单位审核截止不得早于申报截止"]},
        ),
        (
            {"cast_review_due": local(2026, 5, 30, 17, 0)},
            {"cast_review_due": ["中国科协审核截止不得早于推荐单位审核截止"]},
        ),
        ({"notice_working_days": 0}, {"notice_working_days": ["公示期应为 1 至 30 个工作日"]}),
        ({"notice_working_days": 31}, {"notice_working_days": ["公示期应为 1 至 30 个工作日"]}),
        (
            {"settings": {"name_max_lenght": 30, "attachment_max_mb": 500}},
            {
                "settings": [
                    "未知的设置项：name_max_lenght",
                    "设置项 attachment_max_mb 必须在 1 到 200 之间",
                ]
            },
        ),
        (
            {"kind": RoundKind.SELECTION, "settings": {"funding_max_yuan": 100000}},
            {"settings": ["未知的设置项：funding_max_yuan"]},
        ),
        (
            {
                "submission_closes": local(2026, 2, 1, 17, 0),
                "recommender_review_due": local(2026, 1, 31, 17, 0),
                "cast_review_due": local(2026, 1, 30, 17, 0),
                "notice_working_days": 0,
                "settings": {"min_experts": 0},
            },
            {
                "submission_closes": ["申报截止时间必须晚于开始时间"],
                "recommender_review_due": ["推荐单位审核截止不得早于申报截止"],
                "cast_review_due": ["中国科协审核截止不得早于推荐单位审核截止"],
                "notice_working_days": ["公示期应为 1 至 30 个工作日"],
                "settings": ["设置项 min_experts 必须在 1 到 50 之间"],
            },
        ),
    ],
)
def test_clean_errors(overrides, errors):
    assert clean_errors(**overrides) == errors


# --- typed settings -------------------------------------------------------------------------

APPLICATION_CRITERIA = [
    Criterion("necessity", "必要性", 25),
    Criterion("feasibility", "可行性", 25),
    Criterion("targets", "绩效目标可衡量", 20),
    Criterion("team", "团队与实施条件", 15),
    Criterion("budget", "预算合理性", 15),
]
SELECTION_CRITERIA = [
    Criterion("deeds", "先进事迹", 40),
    Criterion("impact", "服务成效与影响", 30),
    Criterion("innovation", "创新与示范性", 20),
    Criterion("continuity", "持续性", 10),
]
THRESHOLDS = {
    "volunteer": {"min_activities": 10, "min_hours": 20},
    "team": {
        "min_registered_volunteers": 20,
        "min_activities": 50,
        "min_hours_per_person": 5,
        "min_hours": 100,
    },
    "project": {"min_activities": 10, "min_hours": 100},
    "site": {"min_activities": 10, "min_hours": 50},
}


def test_application_defaults():
    parsed = parse_round_settings("application", {})

    assert parsed == ApplicationRoundSettings(
        name_max_length=20,
        attachment_max_mb=20,
        per_unit_limit=1,
        recommender_quota=None,  # no quota unless the round sets one
        min_experts=3,
        funding_min_yuan=40000,
        funding_max_yuan=100000,
        criteria=APPLICATION_CRITERIA,
    )
    assert sum(c.weight for c in parsed.criteria) == 100


def test_selection_defaults():
    parsed = parse_round_settings("selection", {})

    assert parsed == SelectionRoundSettings(
        winners_per_category={"volunteer": 10, "team": 10, "project": 10, "site": 10},
        quota_per_category=2,
        thresholds=THRESHOLDS,
        past_winner_years=3,
        min_experts=3,
        attachment_max_mb=20,
        criteria={c: SELECTION_CRITERIA for c in ("volunteer", "team", "project", "site")},
    )
    assert [sum(c.weight for c in crit) for crit in parsed.criteria.values()] == [100] * 4


def test_defaults_are_not_shared_between_rounds():
    first = parse_round_settings("selection", {})
    first.thresholds["team"]["min_hours"] = 1

    assert parse_round_settings("selection", {}).thresholds == THRESHOLDS


def test_typed_settings_of_a_round():
    round_ = a_round(settings={"name_max_length": 30})

    assert round_.typed_settings.name_max_length == 30
    assert round_.typed_settings.criteria == APPLICATION_CRITERIA


def test_application_overrides():
    parsed = parse_round_settings(
        "application",
        {
            "name_max_length": 30,
            "funding_max_yuan": 80000,
            "criteria": [
                {"key": "necessity", "label": "必要性", "weight": 60},
                {"key": "budget", "label": "预算", "weight": 40},
            ],
        },
    )

    assert parsed == ApplicationRoundSettings(
        name_max_length=30,
        funding_max_yuan=80000,
        criteria=[Criterion("necessity", "必要性", 60), Criterion("budget", "预算", 40)],
    )


def test_selection_overrides_merge_with_the_defaults():
    parsed = parse_round_settings(
        "selection",
        {
            "winners_per_category": {"site": 30},
            "thresholds": {"team": {"min_hours": 120}},
            "criteria": {
                "site": [
                    {"key": "deeds", "label": "先进事迹", "weight": 50},
                    {"key": "impact", "label": "服务成效", "weight": 50},
                ]
            },
        },
    )

    assert parsed.winners_per_category == {"volunteer": 10, "team": 10, "project": 10, "site": 30}
    assert parsed.thresholds == {**THRESHOLDS, "team": {**THRESHOLDS["team"], "min_hours": 120}}
    assert parsed.criteria == {
        "volunteer": SELECTION_CRITERIA,
        "team": SELECTION_CRITERIA,
        "project": SELECTION_CRITERIA,
        "site": [Criterion("deeds", "先进事迹", 50), Criterion("impact", "服务成效", 50)],
    }


CATS = "volunteer, team, project, site"


def weights(*ws: int, key: str = "c") -> list[dict]:
    return [{"key": f"{key}{i}", "label": f"指标{i}", "weight": w} for i, w in enumerate(ws)]


BAD_SETTINGS = [
    ("application", ["name_max_length"], ["批次设置必须是 JSON 对象"]),
    ("application", {"foo": 1, "bar": 2}, ["未知的设置项：bar", "未知的设置项：foo"]),
    ("application", {"winners_per_category": {}}, ["未知的设置项：winners_per_category"]),
    ("application", {"name_max_length": "20"}, ["设置项 name_max_length 必须是整数"]),
    ("application", {"name_max_length": 20.0}, ["设置项 name_max_length 必须是整数"]),
    ("application", {"min_experts": True}, ["设置项 min_experts 必须是整数"]),
    ("application", {"name_max_length": 4}, ["设置项 name_max_length 必须在 5 到 200 之间"]),
    ("application", {"attachment_max_mb": 0}, ["设置项 attachment_max_mb 必须在 1 到 200 之间"]),
    (
        "application",
        {"funding_min_yuan": 200000},
        ["资助下限不得高于资助上限"],
    ),
    ("application", {"criteria": []}, ["设置项 criteria 必须是非空的评分指标列表"]),
    ("application", {"criteria": weights(50, 40)}, ["设置项 criteria 的权重之和必须为 100"]),
    (
        "application",
        {"criteria": [*weights(60), {"key": "c0", "label": "重复", "weight": 40}]},
        ["设置项 criteria[1] 的 key 为空或重复"],
    ),
    (
        "application",
        {"criteria": [{"key": "a", "weight": 100}]},
        ["设置项 criteria[0] 须包含且仅包含 key、label、weight"],
    ),
    (
        "application",
        {"criteria": weights(0, 100)},
        ["设置项 criteria[0].weight 必须在 1 到 100 之间"],
    ),
    (
        "application",
        {"criteria": [{"key": "c0", "label": "指标", "weight": "100"}]},
        ["设置项 criteria[0].weight 必须是整数"],
    ),
    (
        # Every problem at once, the weights included.
        "application",
        {"foo": 1, "min_experts": 0, "name_max_length": "x", "criteria": weights(50, 40)},
        [
            "未知的设置项：foo",
            "设置项 min_experts 必须在 1 到 50 之间",
            "设置项 name_max_length 必须是整数",
            "设置项 criteria 的权重之和必须为 100",
        ],
    ),
    ("selection", {"recommender_quota": 3}, ["未知的设置项：recommender_quota"]),
    ("selection", {"quota_per_category": 0}, ["设置项 quota_per_category 必须在 1 到 1000 之间"]),
    (
        "selection",
        {"winners_per_category": {"teams": 5}},
        [f"设置项 winners_per_category 必须按类别（{CATS}）给出"],
    ),
    (
        "selection",
        {"winners_per_category": {"volunteer": 0}},
        ["设置项 winners_per_category.volunteer 必须在 1 到 1000 之间"],
    ),
    ("selection", {"thresholds": [10]}, [f"设置项 thresholds 必须按类别（{CATS}）给出"]),
    ("selection", {"thresholds": {"team": 5}}, ["设置项 thresholds.team 必须是对象"]),
    (
        "selection",
        {"thresholds": {"team": {"min_hours": -1}}},
        ["设置项 thresholds.team.min_hours 必须在 0 到 1000000 之间"],
    ),
    (
        "selection",
        {"thresholds": {"team": {"min_hourz": 100}}},
        ["未知的设置项：thresholds.team.min_hourz"],
    ),
    ("selection", {"criteria": weights(100)}, [f"设置项 criteria 必须按类别（{CATS}）给出"]),
    (
        "selection",
        {"criteria": {"team": weights(50, 40)}},
        ["设置项 criteria.team 的权重之和必须为 100"],
    ),
    (
        "selection",
        {"criteria": {"volunteer": weights(60, 60), "team": weights(50, 50, key="d")}},
        ["设置项 criteria.volunteer 的权重之和必须为 100"],
    ),
    (
        # A problem in one category hides nothing in another.
        "selection",
        {"criteria": {"volunteer": [{"key": ""}], "site": weights(10)}},
        [
            "设置项 criteria.volunteer[0] 须包含且仅包含 key、label、weight",
            "设置项 criteria.site 的权重之和必须为 100",
        ],
    ),
]


@pytest.mark.parametrize(("kind", "raw", "errors"), BAD_SETTINGS)
def test_bad_settings(kind, raw, errors):
    with pytest.raises(RoundSettingsError) as exc:
        parse_round_settings(kind, raw)

    assert exc.value.messages == errors
    assert str(exc.value) == "; ".join(errors)
