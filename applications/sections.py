"""Sections of the application form declared in code: each sub-project's own section (its
``SubprojectType.section_kind``) and the common section every application fills.

A section kind is a list of typed fields (text, long text, a count, an amount, a yes/no, one or
several of fixed choices with an "other"). Next year's sub-project brings its kind by adding one
``SectionKind`` to ``KINDS`` and choosing it on the sub-project editor (administration/rounds).
The values are kept on the application as one JSON object per section (``Application.section``,
``Application.common``); ``clean`` checks their types when they are saved (a draft may be
incomplete) and ``missing`` what must be filled at submission — both return every problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TEXT, LONG, COUNT, AMOUNT, FLAG, CHOICES = "text", "long", "count", "amount", "flag", "choices"
LIMITS = {TEXT: 200, LONG: 3000}
MAX_COUNT = 10_000_000


@dataclass(frozen=True)
class SectionField:
    """One field of a section. ``choices`` (CHOICES): the values offered, several may be
    chosen; ``other``: a free-text "其他" is accepted beside them (kept in ``<name>_other``)."""

    name: str
    label: Any
    type: str = TEXT
    required: bool = True
    choices: tuple[Any, ...] = ()
    other: bool = False
    help: Any = ""

    @property
    def other_key(self) -> str:
        return f"{self.name}_other"


@dataclass(frozen=True)
class SectionKind:
    code: str
    label: Any
    fields: tuple[SectionField, ...] = field(default_factory=tuple)

    def keys(self) -> set[str]:
        keys = {f.name for f in self.fields}
        keys.update(f.other_key for f in self.fields if f.other)
        return keys

    def clean(self, data: Any) -> tuple[dict[str, Any], list[str]]:
        """(the values in their stored form, every problem of type or length). Empty values
        are kept out; unknown keys are problems."""
        if data in (None, ""):
            data = {}
        if not isinstance(data, dict):
            return {}, [_("“%(label)s”必须是对象（字段名: 值）") % {"label": self.label}]
        problems = [
            _("“%(label)s”中未知的字段：%(field)s") % {"label": self.label, "field": key}
            for key in sorted(set(data) - self.keys())
        ]
        clean: dict[str, Any] = {}
        for f in self.fields:
            try:
                value = _clean_value(f, data.get(f.name))
            except ValidationError as exc:
                problems.extend(exc.messages)
                continue
            if value not in (None, "", []):
                clean[f.name] = value
            if f.other:
                other = data.get(f.other_key)
                if other not in (None, ""):
                    if not isinstance(other, str) or len(other.strip()) > LIMITS[TEXT]:
                        problems.append(_("“%(label)s（其他）”必须是不超过 200 字的文本") % {"label": f.label})
                    elif other.strip():
                        clean[f.other_key] = other.strip()
        return clean, problems

    def missing(self, values: dict[str, Any] | None) -> list[str]:
        """What must still be filled before submission, every item named."""
        values = values or {}
        problems = []
        for f in self.fields:
            if not f.required:
                continue
            value = values.get(f.name)
            filled = value not in (None, "", [])
            if f.other and not filled:
                filled = bool(values.get(f.other_key))
            if f.type == FLAG:
                filled = value is True
            if not filled:
                if f.type == FLAG:
                    problems.append(_("请确认“%(label)s”") % {"label": f.label})
                else:
                    problems.append(_("请填写“%(section)s · %(label)s”") % {"section": self.label, "label": f.label})
        return problems

    def display(self, values: dict[str, Any] | None) -> list[tuple[str, str]]:
        """(label, value as read) of every field, "—" for what is empty."""
        values = values or {}
        rows = []
        for f in self.fields:
            rows.append((str(f.label), display_value(f, values)))
        return rows


def display_value(f: SectionField, values: dict[str, Any]) -> str:
    value = values.get(f.name)
    if f.type == CHOICES:
        items = [str(v) for v in value or []]
        if f.other and values.get(f.other_key):
            items.append(_("其他：%(text)s") % {"text": values[f.other_key]})
        return "、".join(items) or "—"
    if f.type == FLAG:
        return "—" if value is None else (_("是") if value else _("否"))
    if f.type == AMOUNT and value not in (None, ""):
        from common.money import wan

        return _("%(amount)s 万元") % {"amount": wan(value)}
    if value in (None, ""):
        return "—"
    return str(value)


def _clean_value(f: SectionField, value: Any) -> Any:
    def refuse(message: Any) -> ValidationError:
        return ValidationError(str(message) % {"label": f.label})

    if value in (None, ""):
        return None if f.type in (COUNT, AMOUNT, FLAG) else ([] if f.type == CHOICES else "")
    if f.type in (TEXT, LONG):
        if not isinstance(value, str):
            raise refuse(gettext_lazy("“%(label)s”必须是文本"))
        value = value.strip()
        if len(value) > LIMITS[f.type]:
            raise ValidationError(_("“%(label)s”不得超过 %(n)s 个字符") % {"label": f.label, "n": LIMITS[f.type]})
        return value
    if f.type == COUNT:
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or int(text) > MAX_COUNT:
            raise refuse(gettext_lazy("“%(label)s”必须是非负整数"))
        return int(text)
    if f.type == AMOUNT:
        from workflows.inputs import parse_amount

        amount = parse_amount(value, f.label)
        return None if amount is None else str(amount)
    if f.type == FLAG:
        from workflows.inputs import FALSE, TRUE

        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return None
        raise refuse(gettext_lazy("“%(label)s”必须是是/否"))
    if f.type == CHOICES:
        if isinstance(value, str):
            value = [value]
        allowed = [str(c) for c in f.choices]
        if not isinstance(value, list) or any(not isinstance(v, str) or v not in allowed for v in value):
            raise ValidationError(
                _("“%(label)s”只能从以下选项中选择：%(choices)s") % {"label": f.label, "choices": "、".join(allowed)}
            )
        # In the declared order, each once.
        return [c for c in allowed if c in value]
    raise ValueError(f.type)


# -- the three sub-projects of the 2020 notice ------------------------------------------------

TARGET_AREAS = (gettext_lazy("边远贫困地区"), gettext_lazy("边疆民族地区"), gettext_lazy("革命老区"))
RESOURCES = (
    gettext_lazy("科技馆"),
    gettext_lazy("流动科技馆"),
    gettext_lazy("科普大篷车"),
    gettext_lazy("农村中学科技馆"),
    gettext_lazy("科普活动室（站）"),
    gettext_lazy("科普教育（示范）基地"),
    gettext_lazy("科技竞赛"),
    gettext_lazy("基层科普行动计划"),
)

GRASSROOTS = SectionKind(
    "grassroots",
    gettext_lazy("学会科技志愿服务基层行"),
    (
        SectionField(
            "target_areas",
            gettext_lazy("服务的老少边贫地区"),
            CHOICES,
            choices=TARGET_AREAS,
            help=gettext_lazy("可多选：边远贫困地区、边疆民族地区、革命老区"),
        ),
        SectionField("members_count", gettext_lazy("参加服务的学会会员人数"), COUNT),
        SectionField("members_description", gettext_lazy("学会会员志愿服务队伍情况"), LONG),
    ),
)
CIVILIZATION_CENTRE = SectionKind(
    "civilization_centre",
    gettext_lazy("助力新时代文明实践中心建设"),
    (
        SectionField("county_team", gettext_lazy("所属县级志愿服务总队下的科技志愿服务队伍")),
        SectionField("leader_principal", gettext_lazy("担任队长的“三长”：学校校长")),
        SectionField("leader_hospital", gettext_lazy("担任队长的“三长”：医院院长")),
        SectionField("leader_station", gettext_lazy("担任队长的“三长”：农技站站长")),
        SectionField("centres_served", gettext_lazy("服务的新时代文明实践中心（所、站）"), LONG),
    ),
)
INTEGRATE = SectionKind(
    "integrate",
    gettext_lazy("整合资源创新推进科技志愿服务"),
    (
        SectionField("provincial_team", gettext_lazy("省级科技志愿服务总队")),
        SectionField("local_teams", gettext_lazy("建立的市、县级科技志愿服务队伍"), LONG),
        SectionField("local_teams_count", gettext_lazy("市、县级队伍数量"), COUNT),
        SectionField(
            "resources",
            gettext_lazy("整合的资源"),
            CHOICES,
            choices=RESOURCES,
            other=True,
            help=gettext_lazy("可多选；其他资源请填在“其他”中"),
        ),
    ),
)

# The common section of every application.
COMMON = SectionKind(
    "common",
    gettext_lazy("共同信息"),
    (
        SectionField("platform_org_number", gettext_lazy("科技志愿服务信息平台组织编号")),
        SectionField("platform_volunteers", gettext_lazy("信息平台注册志愿者人数"), COUNT),
        SectionField("safety_plan", gettext_lazy("活动安全预案"), LONG),
        SectionField("insurance", gettext_lazy("已为科技志愿者购买保险"), FLAG),
        SectionField("insurance_note", gettext_lazy("保险情况说明（险种、人数、保额）"), LONG),
        SectionField("matching_funds", gettext_lazy("配套资金（元）"), AMOUNT, required=False),
        SectionField("local_funds", gettext_lazy("地方财政资金（元）"), AMOUNT, required=False),
    ),
)

KINDS: dict[str, SectionKind] = {k.code: k for k in (GRASSROOTS, CIVILIZATION_CENTRE, INTEGRATE)}
# No section of its own (a sub-project of a later year that declares none).
NONE = SectionKind("", gettext_lazy("无"), ())


def kind_choices() -> list[tuple[str, Any]]:
    return [("", gettext_lazy("无本子项目专门内容"))] + [(k.code, k.label) for k in KINDS.values()]


def kind_of(code: str | None) -> SectionKind:
    return KINDS.get(code or "", NONE)


# -- the schedule (实施进度安排) -----------------------------------------------------------------

KEY_DATES = (
    gettext_lazy("学雷锋纪念日（3月5日）"),
    gettext_lazy("科技活动周（5月）"),
    gettext_lazy("三下乡"),
    gettext_lazy("全国科普日（9月）"),
    gettext_lazy("国际志愿者日（12月5日）"),
)
SCHEDULE_LIMITS = {"when": 50, "activity": 300}


# -- the 绩效目标表 -----------------------------------------------------------------------------

LEVEL1 = {
    "output": gettext_lazy("产出指标"),
    "effect": gettext_lazy("效益指标"),
    "satisfaction": gettext_lazy("满意度指标"),
}
LEVEL2 = {
    "quantity": ("output", gettext_lazy("数量指标")),
    "quality": ("output", gettext_lazy("质量指标")),
    "timeliness": ("output", gettext_lazy("时效指标")),
    "cost": ("output", gettext_lazy("成本指标")),
    "social": ("effect", gettext_lazy("社会效益指标")),
    "economic": ("effect", gettext_lazy("经济效益指标")),
    "ecological": ("effect", gettext_lazy("生态效益指标")),
    "sustainable": ("effect", gettext_lazy("可持续影响指标")),
    "served": ("satisfaction", gettext_lazy("服务对象满意度指标")),
}
TARGET_LIMITS = {"name": 200, "value": 100}


def level2_choices() -> list[tuple[str, str]]:
    return [(code, f"{LEVEL1[parent]} · {label}") for code, (parent, label) in LEVEL2.items()]


def target_rows(value: Any, label: Any) -> list[dict[str, str]]:
    """The 绩效目标表's rows, each {level2, name, value} (the 一级指标 follows from the 二级);
    ValidationError listing every problem, each named by its row."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationError(_("%(label)s必须是列表") % {"label": label})
    if len(value) > 50:
        raise ValidationError(_("%(label)s最多 50 行") % {"label": label})
    problems: list[str] = []
    rows = []
    for number, row in enumerate(value, start=1):
        where = _("%(label)s第 %(n)s 行") % {"label": label, "n": number}
        if not isinstance(row, dict):
            problems.append(_("%(where)s格式不正确") % {"where": where})
            continue
        unknown = sorted(set(row) - {"level1", "level2", "name", "value"})
        if unknown:
            problems.append(_("%(where)s：未知的字段 %(fields)s") % {"where": where, "fields": ", ".join(unknown)})
        level2 = row.get("level2") or ""
        if level2 not in LEVEL2:
            problems.append(
                _("%(where)s：二级指标必须是 %(choices)s 之一") % {"where": where, "choices": ", ".join(LEVEL2)}
            )
        elif row.get("level1") not in (None, "", LEVEL2[level2][0]):
            problems.append(
                _("%(where)s：二级指标“%(level2)s”不属于一级指标“%(level1)s”")
                % {"where": where, "level2": LEVEL2[level2][1], "level1": row.get("level1")}
            )
        item = {"level1": LEVEL2[level2][0] if level2 in LEVEL2 else "", "level2": level2}
        for key, limit in TARGET_LIMITS.items():
            text = row.get(key)
            text = "" if text is None else text
            if not isinstance(text, str):
                problems.append(_("%(where)s：%(field)s 必须是文本") % {"where": where, "field": key})
                continue
            text = text.strip()
            if not text:
                problems.append(
                    _("%(where)s：请填写%(field)s")
                    % {"where": where, "field": _("指标名称") if key == "name" else _("指标值")}
                )
            elif len(text) > limit:
                problems.append(
                    _("%(where)s：%(field)s 不得超过 %(n)s 个字符") % {"where": where, "field": key, "n": limit}
                )
            item[key] = text
        rows.append(item)
    if problems:
        raise ValidationError(problems)
    return rows


def targets_missing(rows: list[dict[str, Any]] | None) -> list[str]:
    """What the 绩效目标表 still lacks at submission: one 数量, one 质量 or 时效, one 效益
    and one 满意度 indicator, each with its value (rows were checked when saved)."""
    level2 = {row.get("level2") for row in rows or [] if row.get("value")}
    level1 = {LEVEL2[c][0] for c in level2 if c in LEVEL2}
    problems = []
    if "quantity" not in level2:
        problems.append(_("绩效目标表：请至少填写一项产出指标中的数量指标"))
    if not level2 & {"quality", "timeliness"}:
        problems.append(_("绩效目标表：请至少填写一项产出指标中的质量指标或时效指标"))
    if "effect" not in level1:
        problems.append(_("绩效目标表：请至少填写一项效益指标"))
    if "satisfaction" not in level1:
        problems.append(_("绩效目标表：请至少填写一项满意度指标"))
    return problems


def target_label(row: dict[str, Any]) -> tuple[str, str]:
    """(一级指标, 二级指标) of a row, in words."""
    parent, label = LEVEL2.get(row.get("level2") or "", ("", ""))
    return str(LEVEL1.get(parent, "")), str(label)


def scan_pairs(
    kind: SectionKind, section: dict[str, Any], common: dict[str, Any], schedule: list, performance: list
) -> list[tuple[str, str]]:
    """The texts of the sections the content scan reads, (label, text) each: the free-text
    fields of the sub-project's own and the common section, each "other", the schedule's rows
    and the 绩效目标表's (``Application.scan_text``; the scale generator's too)."""
    pairs: list[tuple[str, str]] = []
    for k, values in ((kind, section or {}), (COMMON, common or {})):
        for f in k.fields:
            if f.type in (TEXT, LONG) and values.get(f.name):
                pairs.append((str(f.label), values[f.name]))
        for f in k.fields:
            if f.other and values.get(f.other_key):
                pairs.append((str(f.label), values[f.other_key]))
    for row in schedule or []:
        pairs.append((_("实施进度安排"), f"{row.get('when', '')} {row.get('activity', '')}"))
    for row in performance or []:
        pairs.append((_("绩效目标表"), f"{row.get('name', '')} {row.get('value', '')}"))
    return pairs


# -- budget categories (支出科目) ---------------------------------------------------------------

BUDGET_CATEGORIES = {
    "labour": gettext_lazy("劳务费"),
    "expert": gettext_lazy("专家咨询费"),
    "travel": gettext_lazy("差旅费"),
    "meeting": gettext_lazy("会议费"),
    "training": gettext_lazy("培训费"),
    "printing": gettext_lazy("印刷费"),
    "publicity": gettext_lazy("宣传费"),
    "materials": gettext_lazy("材料费"),
    "insurance": gettext_lazy("保险费"),
    "other": gettext_lazy("其他"),
}
# For the data migration of free-text budget lines: a word of the old item → its category.
CATEGORY_WORDS = (
    ("劳务", "labour"),
    ("专家咨询", "expert"),
    ("咨询", "expert"),
    ("差旅", "travel"),
    ("交通", "travel"),
    ("会议", "meeting"),
    ("培训", "training"),
    ("印", "printing"),
    ("宣传", "publicity"),
    ("材料", "materials"),
    ("耗材", "materials"),
    ("保险", "insurance"),
)


def category_of_text(text: str) -> str:
    for word, code in CATEGORY_WORDS:
        if word in (text or ""):
            return code
    return "other"


def as_decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))
