"""The application form (申报书) of one revision of a Zhihui Action application: every field,
the team and budget tables, the unit's commitment, each level's opinion with signer and date,
the content-review verdicts, and the verification code on every page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .base import Verification, build_pdf, cn_date, frame_width, iso_date, period, resolve_font, table, text, wan

TITLE = "科技志愿服务“智惠行动”项目申报书"
COMMITMENT_TEXT = (
    "本单位承诺：申报材料真实、准确；申报内容已经本单位审核，符合导向性、真实性、合法性要求；"
    "自觉接受有关部门的监督、审计和绩效评估。"
)


@dataclass(frozen=True)
class TeamRow:
    name: str
    education: str = ""
    qualification: str = ""
    role: str = ""
    phone: str = ""


@dataclass(frozen=True)
class BudgetRow:
    item: str
    amount: Decimal
    note: str = ""
    category: str = ""  # the category's label (支出科目)


@dataclass(frozen=True)
class TargetRow:
    """A row of the 绩效目标表, in words."""

    level1: str
    level2: str
    name: str
    value: str


@dataclass(frozen=True)
class OpinionRow:
    """One level's opinion: who (unit and role), what they did, what they wrote, when."""

    level: str
    action: str
    text: str
    signer: str
    date: dt.date | None


@dataclass(frozen=True)
class ReviewRow:
    """A content-review verdict (内容审核) on this revision."""

    stage: str
    verdict: str
    reviewer: str
    organization: str
    opinion: str
    date: dt.date | None


@dataclass(frozen=True)
class ApplicationFormData:
    round_title: str
    subproject: str
    name: str
    organization: str
    recommending_unit: str
    leader_name: str
    leader_title: str
    leader_phone: str
    leader_mobile: str
    leader_email: str
    region: str
    pilot_county: bool
    target_groups: str
    period_start: dt.date | None
    period_end: dt.date | None
    basis: str
    content: str
    targets: str
    outcomes: str
    conditions: str
    requested_amount: Decimal | None
    commitment: bool
    commitment_signer: str
    commitment_date: dt.date | None
    revision_label: str
    state_label: str
    verification: Verification | None
    team: tuple[TeamRow, ...] = field(default_factory=tuple)
    budget: tuple[BudgetRow, ...] = field(default_factory=tuple)
    # The sub-project's own section (its title, then (label, value) rows), the common section,
    # the schedule ((when, activity) rows) and the 绩效目标表.
    section_title: str = ""
    section: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    common: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    schedule: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    performance: tuple[TargetRow, ...] = field(default_factory=tuple)
    opinions: tuple[OpinionRow, ...] = field(default_factory=tuple)
    reviews: tuple[ReviewRow, ...] = field(default_factory=tuple)
    # 具体实施部门: the applicant when it is not a legal person (a society's branch); the
    # 承担单位 (``organization``) is then its legal-person society.
    department: str = ""

    @property
    def budget_total(self) -> Decimal:
        return sum((row.amount for row in self.budget), Decimal("0"))


SECTIONS = (
    ("一、立项依据与目的", "basis"),
    ("二、主要内容", "content"),
    ("三、预期成果", "outcomes"),
    ("四、实施条件", "conditions"),
)


def render_application_form(data: ApplicationFormData, *, font_path: str | None = None) -> bytes:
    """The PDF bytes of the form. ``font_path``: None for ``settings.PDF_FONT_PATH``, "" for
    the built-in CID font, or a TrueType file."""
    font = resolve_font(font_path)
    width = frame_width()

    story: list[Any] = [
        text(
            (TITLE, "title"),
            (f"{data.round_title} · {data.subproject}", "subtitle"),
            (f"{data.revision_label}（{data.state_label}）", "subtitle"),
            ("", "body"),
            font=font,
        )
    ]

    # The basic facts, two label/value pairs a row.
    facts = [
        ["项目名称", data.name, "子项目", data.subproject],
        ["承担单位", data.organization, "推荐单位", data.recommending_unit],
        *([["具体实施部门", data.department, "", ""]] if data.department else []),
        ["项目负责人", data.leader_name, "职务/职称", data.leader_title],
        ["电话", data.leader_phone, "手机", data.leader_mobile],
        ["电子邮箱", data.leader_email, "是否试点县", "是" if data.pilot_county else "否"],
        ["服务地区", data.region, "实施期限", period(data.period_start, data.period_end)],
        ["服务对象", data.target_groups, "申请金额（万元）", wan(data.requested_amount)],
    ]
    story.append(table(facts, _widths(width, (0.17, 0.33, 0.17, 0.33)), font=font, header=False, label_columns=(0, 2)))

    for title, attribute in SECTIONS:
        story.append(text((title, "heading"), (getattr(data, attribute) or "—", "indent"), font=font))

    # 五、the sub-project's own section; 六、the common section.
    own = [[label, value] for label, value in data.section] or [["—", "（本子项目无专门内容）"]]
    story.append(
        table(
            own,
            _widths(width, (0.34, 0.66)),
            font=font,
            header=False,
            label_columns=(0,),
            caption=f"五、子项目专门内容：{data.section_title or data.subproject}",
        )
    )
    common = [[label, value] for label, value in data.common] or [["—", "—"]]
    story.append(
        table(
            common,
            _widths(width, (0.34, 0.66)),
            font=font,
            header=False,
            label_columns=(0,),
            caption="六、信息平台、安全预案、保险与配套资金",
        )
    )
    schedule_rows: list[list[Any]] = [["序号", "时间或时段", "活动安排"]]
    schedule_rows.extend([number, when, activity] for number, (when, activity) in enumerate(data.schedule, start=1))
    story.append(
        table(
            schedule_rows,
            _widths(width, (0.07, 0.28, 0.65)),
            font=font,
            aligns=("CENTER", "LEFT", "LEFT"),
            caption="七、实施进度安排",
        )
    )
    target_rows: list[list[Any]] = [["一级指标", "二级指标", "指标名称", "指标值"]]
    target_rows.extend([t.level1, t.level2, t.name, t.value] for t in data.performance)
    if data.targets:
        # A record made before the 绩效目标表: its free-text targets.
        target_rows.append(["（原绩效目标）", "", data.targets, ""])
    story.append(table(target_rows, _widths(width, (0.16, 0.22, 0.40, 0.22)), font=font, caption="八、绩效目标表"))

    team_rows: list[list[Any]] = [["序号", "姓名", "学历", "职称/资质", "项目分工", "电话"]]
    for number, m in enumerate(data.team, start=1):
        team_rows.append([number, m.name, m.education, m.qualification, m.role, m.phone])
    story.append(
        table(
            team_rows,
            _widths(width, (0.07, 0.15, 0.12, 0.22, 0.24, 0.20)),
            font=font,
            aligns=("CENTER", "LEFT", "LEFT", "LEFT", "LEFT", "LEFT"),
            caption="九、项目团队",
        )
    )

    budget_rows: list[list[Any]] = [["序号", "支出科目", "支出内容", "金额（万元）", "测算依据"]]
    for number, line in enumerate(data.budget, start=1):
        budget_rows.append([number, line.category, line.item, wan(line.amount), line.note])
    budget_rows.append(["", "合计", "", wan(data.budget_total), ""])
    story.append(
        table(
            budget_rows,
            _widths(width, (0.07, 0.16, 0.30, 0.15, 0.32)),
            font=font,
            aligns=("CENTER", "LEFT", "LEFT", "RIGHT", "LEFT"),
            caption="十、经费预算",
        )
    )

    story.append(
        text(
            ("十一、内容承诺", "heading"),
            (COMMITMENT_TEXT if data.commitment else "（未作出承诺）", "indent"),
            (f"单位负责人（承诺人）：{data.commitment_signer or '—'}", "right"),
            (f"日期：{cn_date(data.commitment_date) or '—'}", "right"),
            font=font,
        )
    )

    if data.opinions:
        rows: list[list[Any]] = [["审核单位", "环节", "意见", "签署人", "日期"]]
        rows.extend([o.level, o.action, o.text, o.signer, iso_date(o.date)] for o in data.opinions)
        story.append(table(rows, _widths(width, (0.22, 0.13, 0.37, 0.13, 0.15)), font=font, caption="十二、审核意见"))
    else:
        story.append(text(("十二、审核意见", "heading"), ("（尚无审核意见）", "body"), font=font))

    if data.reviews:
        rows = [["审核环节", "结论", "审核人", "审核单位", "审核意见", "日期"]]
        rows.extend([r.stage, r.verdict, r.reviewer, r.organization, r.opinion, iso_date(r.date)] for r in data.reviews)
        story.append(
            table(rows, _widths(width, (0.19, 0.08, 0.14, 0.17, 0.28, 0.14)), font=font, caption="十三、内容审核")
        )
    else:
        story.append(text(("十三、内容审核", "heading"), ("（尚无内容审核记录）", "body"), font=font))

    return build_pdf(story, title=f"{TITLE}：{data.name}", verification=data.verification, font=font)


def _widths(total: float, shares: tuple[float, ...]) -> list[float]:
    return [total * share for share in shares]
