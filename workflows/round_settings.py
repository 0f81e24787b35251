"""Typed settings of a round: thresholds, quotas and scoring criteria.

A round stores its settings as JSON; these dataclasses give them types and defaults (the
values of docs/domain.md) and refuse anything malformed with a message that names the key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class RoundSettingsError(ValueError):
    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: int

    @property
    def display(self) -> str:
        """The label in the reader's language: the default criteria are translated; a label
        CAST staff wrote into a round's settings is shown as written."""
        return str(DEFAULT_CRITERION_LABELS.get(self.label, self.label))


# The labels of the default criteria below, for translation.
DEFAULT_CRITERION_LABELS = {
    "必要性": gettext_lazy("必要性"),
    "可行性": gettext_lazy("可行性"),
    "绩效目标可衡量": gettext_lazy("绩效目标可衡量"),
    "团队与实施条件": gettext_lazy("团队与实施条件"),
    "预算合理性": gettext_lazy("预算合理性"),
    "先进事迹": gettext_lazy("先进事迹"),
    "服务成效与影响": gettext_lazy("服务成效与影响"),
    "创新与示范性": gettext_lazy("创新与示范性"),
    "持续性": gettext_lazy("持续性"),
}


def _default_application_criteria() -> list[Criterion]:
    return [
        Criterion("necessity", "必要性", 25),
        Criterion("feasibility", "可行性", 25),
        Criterion("targets", "绩效目标可衡量", 20),
        Criterion("team", "团队与实施条件", 15),
        Criterion("budget", "预算合理性", 15),
    ]


def _default_selection_criteria() -> list[Criterion]:
    return [
        Criterion("deeds", "先进事迹", 40),
        Criterion("impact", "服务成效与影响", 30),
        Criterion("innovation", "创新与示范性", 20),
        Criterion("continuity", "持续性", 10),
    ]


CATEGORIES = ("volunteer", "team", "project", "site")


@dataclass(frozen=True)
class ApplicationRoundSettings:
    name_max_length: int = 20
    attachment_max_mb: int = 20
    # 限项: how many live applications one unit may have in one sub-project of the round (a
    # sub-project's own per_unit_limit overrides it).
    per_unit_limit: int = 1
    # The recommending unit's quota per sub-project, only where the round sets one: the notice
    # sets none, so None means no quota (a sub-project's own quota still applies).
    recommender_quota: int | None = None
    min_experts: int = 3
    funding_min_yuan: int = 40000
    funding_max_yuan: int = 100000
    criteria: list[Criterion] = field(default_factory=_default_application_criteria)


def _default_thresholds() -> dict[str, dict[str, int]]:
    return {
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


@dataclass(frozen=True)
class SelectionRoundSettings:
    winners_per_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 10))
    quota_per_category: int = 2
    thresholds: dict[str, dict[str, int]] = field(default_factory=_default_thresholds)
    past_winner_years: int = 3
    min_experts: int = 3
    attachment_max_mb: int = 20
    criteria: dict[str, list[Criterion]] = field(
        default_factory=lambda: {c: _default_selection_criteria() for c in CATEGORIES}
    )


def _check_int(errors: list[str], key: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(_("设置项 %(key)s 必须是整数") % {"key": key})
    elif not low <= value <= high:
        errors.append(_("设置项 %(key)s 必须在 %(low)s 到 %(high)s 之间") % {"key": key, "low": low, "high": high})


def _parse_criteria(errors: list[str], key: str, value: Any) -> list[Criterion]:
    if not isinstance(value, list) or not value:
        errors.append(_("设置项 %(key)s 必须是非空的评分指标列表") % {"key": key})
        return []
    criteria: list[Criterion] = []
    seen: set[str] = set()
    errors_before = len(errors)
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(item, dict) or set(item) != {"key", "label", "weight"}:
            errors.append(_("设置项 %(key)s 须包含且仅包含 key、label、weight") % {"key": where})
            continue
        if not isinstance(item["key"], str) or not item["key"] or item["key"] in seen:
            errors.append(_("设置项 %(key)s 的 key 为空或重复") % {"key": where})
            continue
        seen.add(item["key"])
        _check_int(errors, f"{where}.weight", item["weight"], 1, 100)
        criteria.append(Criterion(item["key"], str(item["label"]), item["weight"]))
    if criteria and len(errors) == errors_before and sum(c.weight for c in criteria) != 100:
        errors.append(_("设置项 %(key)s 的权重之和必须为 100") % {"key": key})
    return criteria


# Whole-number settings that may be left unset (null: the rule does not apply in the round).
OPTIONAL_INT_SETTINGS = frozenset({"recommender_quota"})

_INT_LIMITS = {
    "name_max_length": (5, 200),
    "attachment_max_mb": (1, 200),
    "recommender_quota": (1, 1000),
    "per_unit_limit": (1, 100),
    "min_experts": (1, 50),
    "funding_min_yuan": (0, 100_000_000),
    "funding_max_yuan": (0, 100_000_000),
    "quota_per_category": (1, 1000),
    "past_winner_years": (0, 50),
}


def parse_round_settings(kind: str, raw: dict[str, Any]) -> Any:
    """Parse a round's JSON settings into the dataclass of its kind; raise on any problem."""
    cls = ApplicationRoundSettings if kind == "application" else SelectionRoundSettings
    if not isinstance(raw, dict):
        raise RoundSettingsError([_("批次设置必须是 JSON 对象")])
    known = {f.name for f in dataclasses.fields(cls)}
    errors: list[str] = [_("未知的设置项：%(key)s") % {"key": key} for key in sorted(set(raw) - known)]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            continue
        if key in OPTIONAL_INT_SETTINGS and value is None:
            values[key] = None
        elif key in _INT_LIMITS:
            _check_int(errors, key, value, *_INT_LIMITS[key])
            values[key] = value
        elif key == "criteria" and cls is ApplicationRoundSettings:
            values[key] = _parse_criteria(errors, key, value)
        elif key == "criteria":
            if not isinstance(value, dict) or set(value) - set(CATEGORIES):
                errors.append(_("设置项 criteria 必须按类别（%s）给出") % ", ".join(CATEGORIES))
                continue
            merged = _default_selection_criteria_map()
            for cat, crit in value.items():
                merged[cat] = _parse_criteria(errors, f"criteria.{cat}", crit)
            values[key] = merged
        elif key == "winners_per_category":
            if not isinstance(value, dict) or set(value) - set(CATEGORIES):
                errors.append(_("设置项 winners_per_category 必须按类别（%s）给出") % ", ".join(CATEGORIES))
                continue
            for cat, n in value.items():
                _check_int(errors, f"winners_per_category.{cat}", n, 1, 1000)
            values[key] = {**dict.fromkeys(CATEGORIES, 10), **value}
        elif key == "thresholds":
            if not isinstance(value, dict) or set(value) - set(CATEGORIES):
                errors.append(_("设置项 thresholds 必须按类别（%s）给出") % ", ".join(CATEGORIES))
                continue
            merged_t = _default_thresholds()
            for cat, rules in value.items():
                if not isinstance(rules, dict):
                    errors.append(_("设置项 thresholds.%(cat)s 必须是对象") % {"cat": cat})
                    continue
                for rule, n in rules.items():
                    if rule not in merged_t[cat]:
                        errors.append(_("未知的设置项：%(key)s") % {"key": f"thresholds.{cat}.{rule}"})
                        continue
                    _check_int(errors, f"thresholds.{cat}.{rule}", n, 0, 1_000_000)
                merged_t[cat] = {**merged_t.get(cat, {}), **rules}
            values[key] = merged_t
    if errors:
        raise RoundSettingsError(errors)
    parsed = cls(**values)
    if isinstance(parsed, ApplicationRoundSettings) and parsed.funding_min_yuan > parsed.funding_max_yuan:
        raise RoundSettingsError([_("资助下限不得高于资助上限")])
    return parsed


def _default_selection_criteria_map() -> dict[str, list[Criterion]]:
    return {c: _default_selection_criteria() for c in CATEGORIES}
