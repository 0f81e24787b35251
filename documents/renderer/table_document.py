"""Documents that are one titled table: the result list (立项名单), the public-notice list
(公示名单) and the audit history of a record (审计记录, landscape)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Verification, build_pdf, frame_width, resolve_font, table, text


@dataclass(frozen=True)
class Column:
    title: str
    share: float  # of the frame width
    align: str = "LEFT"  # LEFT, RIGHT or CENTER


@dataclass(frozen=True)
class TableDocumentData:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    verification: Verification | None
    subtitle: tuple[str, ...] = ()
    intro: str = ""
    totals: tuple[str, ...] | None = None
    empty_text: str = "（无）"
    closing: tuple[str, ...] = ()  # right-aligned lines after the table: issuer, date
    landscape: bool = False
    subject: str = ""
    header_lines: tuple[str, ...] = field(default_factory=tuple)  # left-aligned facts above the table
    after_lines: tuple[str, ...] = field(default_factory=tuple)  # left-aligned text below the table


def render_table_document(data: TableDocumentData, *, font_path: str | None = None) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    font = resolve_font(font_path)
    width = frame_width(data.landscape)

    parts: list[tuple[str, str]] = [(data.title, "title")]
    parts.extend((line, "subtitle") for line in data.subtitle)
    parts.append(("", "body"))
    parts.extend((line, "body") for line in data.header_lines)
    if data.intro:
        parts.append((data.intro, "indent"))
    story: list[Any] = [text(*parts, font=font), Spacer(1, 2 * mm)]
    if data.rows:
        rows: list[list[Any]] = [[c.title for c in data.columns], *[list(row) for row in data.rows]]
        if data.totals is not None:
            rows.append(list(data.totals))
        widths = [width * c.share for c in data.columns]
        story.append(table(rows, widths, font=font, aligns=tuple(c.align for c in data.columns)))
    else:
        story.append(text((data.empty_text, "body"), font=font))
    if data.after_lines:
        story.append(Spacer(1, 4 * mm))
        story.append(text(*[(line, "body") for line in data.after_lines], font=font))
    if data.closing:
        story.append(Spacer(1, 12 * mm))
        story.append(text(*[(line, "right") for line in data.closing], font=font))
    return build_pdf(
        story,
        title=data.title,
        verification=data.verification,
        font=font,
        landscape=data.landscape,
        subject=data.subject,
    )
