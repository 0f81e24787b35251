"""The approval notice (立项通知书) of an issued application: its number, the project, the
funding amount, the implementation period, the issuer and the date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .base import Verification, build_pdf, cn_date, frame_width, period, resolve_font, table, text, wan

TITLE = "立项通知书"


@dataclass(frozen=True)
class ApprovalNoticeData:
    number: str
    organization: str
    name: str
    subproject: str
    round_title: str
    leader_name: str
    funding_amount: Decimal | None
    period_start: dt.date | None
    period_end: dt.date | None
    issuer: str
    issued_on: dt.date
    verification: Verification | None
    # 具体实施部门: the applicant when it is not a legal person; ``organization`` is the 承担单位.
    department: str = ""


def render_approval_notice(data: ApprovalNoticeData, *, font_path: str | None = None) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    font = resolve_font(font_path)
    width = frame_width()
    facts = [
        ["立项编号", data.number],
        ["项目名称", data.name],
        ["子项目", data.subproject],
        ["承担单位", data.organization],
        *([["具体实施部门", data.department]] if data.department else []),
        ["项目负责人", data.leader_name],
        ["资助金额（万元）", wan(data.funding_amount)],
        ["实施期限", period(data.period_start, data.period_end)],
    ]
    story: list[Any] = [
        text(
            (TITLE, "title"),
            (data.number, "number"),
            (f"{data.organization}：", "body"),
            (
                f"经申报、推荐、形式审查、专家评审和公示，你单位申报的“{data.name}”项目"
                f"列入{data.round_title}（{data.subproject}）立项项目，现将有关事项通知如下。",
                "indent",
            ),
            font=font,
        ),
        Spacer(1, 3 * mm),
        table(facts, [width * 0.22, width * 0.78], font=font, header=False, label_columns=(0,)),
        Spacer(1, 3 * mm),
        text(
            (
                "请按照申报书确定的内容、绩效目标和经费预算组织实施，专款专用；实施中如需调整，应报经同意。"
                "项目结束后一个月内报送总结材料，接受监督检查和绩效评估。",
                "indent",
            ),
            font=font,
        ),
        Spacer(1, 14 * mm),
        text((data.issuer, "right"), (cn_date(data.issued_on), "right"), font=font),
    ]
    return build_pdf(story, title=f"{TITLE} {data.number}", verification=data.verification, font=font)
