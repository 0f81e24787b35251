"""The recommendation form (推荐表) of one revision of a Four Top-Ten nomination: the facts of
its category, the deeds, the three opinion blocks (申报单位, 推荐单位, 中国科协) with signer and
date, each level's written opinion, the content-review verdicts, and the verification code
on every page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .application_form import OpinionRow, ReviewRow
from .base import Verification, build_pdf, cn_date, frame_width, iso_date, resolve_font, table, text

TITLE = "科技志愿服务“四个十佳”推荐表"


@dataclass(frozen=True)
class OpinionBlock:
    """One of the form's signed opinion blocks."""

    title: str
    text: str
    signer: str
    date: dt.date | None


@dataclass(frozen=True)
class NominationFormData:
    round_title: str
    category: str
    nominee_name: str
    organization: str
    recommending_unit: str
    # (label, value) pairs: the fields of this category, in the order of the paper form
    facts: tuple[tuple[str, str], ...]
    deeds: str
    blocks: tuple[OpinionBlock, ...]
    revision_label: str
    state_label: str
    verification: Verification | None
    opinions: tuple[OpinionRow, ...] = field(default_factory=tuple)
    reviews: tuple[ReviewRow, ...] = field(default_factory=tuple)
    # 具体实施部门: the applicant when it is not a legal person; ``organization`` is the legal person.
    department: str = ""


def render_nomination_form(data: NominationFormData, *, font_path: str | None = None) -> bytes:
    """The PDF bytes of the form. ``font_path``: None for ``settings.PDF_FONT_PATH``, "" for
    the built-in CID font, or a TrueType file."""
    font = resolve_font(font_path)
    width = frame_width()

    story: list[Any] = [
        text(
            (TITLE, "title"),
            (f"{data.round_title} · {data.category}", "subtitle"),
            (f"{data.revision_label}（{data.state_label}）", "subtitle"),
            ("", "body"),
            font=font,
        )
    ]
    pairs = [
        ("被推荐对象", data.nominee_name),
        ("推荐类别", data.category),
        ("申报单位", data.organization),
        ("推荐单位", data.recommending_unit),
        *([("具体实施部门", data.department), ("", "")] if data.department else []),
        *data.facts,
    ]
    if len(pairs) % 2:
        pairs.append(("", ""))
    facts = [[a, va, b, vb] for (a, va), (b, vb) in zip(pairs[::2], pairs[1::2], strict=True)]
    story.append(
        table(facts, [width * s for s in (0.18, 0.32, 0.18, 0.32)], font=font, header=False, label_columns=(0, 2))
    )
    story.append(text(("一、主要事迹", "heading"), (data.deeds or "—", "indent"), font=font))

    for number, block in enumerate(data.blocks, start=2):
        story.append(
            text(
                (f"{_numeral(number)}、{block.title}", "heading"),
                (block.text or "（尚未签署）", "indent"),
                (f"签署人：{block.signer or '—'}", "right"),
                (f"日期：{cn_date(block.date) or '—'}", "right"),
                font=font,
            )
        )

    next_number = len(data.blocks) + 2
    caption = f"{_numeral(next_number)}、审核意见"
    if data.opinions:
        rows: list[list[Any]] = [["审核单位", "环节", "意见", "签署人", "日期"]]
        rows.extend([o.level, o.action, o.text, o.signer, iso_date(o.date)] for o in data.opinions)
        story.append(table(rows, [width * s for s in (0.22, 0.13, 0.37, 0.13, 0.15)], font=font, caption=caption))
    else:
        story.append(text((caption, "heading"), ("（尚无审核意见）", "body"), font=font))

    caption = f"{_numeral(next_number + 1)}、内容审核"
    if data.reviews:
        rows = [["审核环节", "结论", "审核人", "审核单位", "审核意见", "日期"]]
        rows.extend([r.stage, r.verdict, r.reviewer, r.organization, r.opinion, iso_date(r.date)] for r in data.reviews)
        story.append(table(rows, [width * s for s in (0.19, 0.08, 0.14, 0.17, 0.28, 0.14)], font=font, caption=caption))
    else:
        story.append(text((caption, "heading"), ("（尚无内容审核记录）", "body"), font=font))

    return build_pdf(story, title=f"{TITLE}：{data.nominee_name}", verification=data.verification, font=font)


NUMERALS = "〇一二三四五六七八九十"


def _numeral(n: int) -> str:
    if n <= 10:
        return NUMERALS[n]
    return "十" + NUMERALS[n - 10]
