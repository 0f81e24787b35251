"""What every document shares: A4 pages (portrait, or landscape for certificates and wide
tables), the Chinese font, paragraph and table styles, and the footer that prints the
verification code on every page.

A document kind is a module with a frozen dataclass of plain values (no models, no
database) and a ``render_<kind>(data, *, font_path=None) -> bytes`` function that builds a
list of flowables and hands it to :func:`build_pdf`. Adding a kind (the nomination form, a
certificate) means adding such a module; a certificate passes ``landscape=True``.

ReportLab is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from common.money import grouped

from .fonts import font_name

MARGIN_MM = 18
FOOTER_SIZE = 8
PRODUCER = "Zhihui Workflow"
AUTHOR = "中国科协 科技志愿服务申报评审系统"


@dataclass(frozen=True)
class Verification:
    """The code printed on every page of an issued document, and where to check it."""

    code: str
    url: str
    note: str = ""


# -- formatting ------------------------------------------------------------------------------


def cn_date(value: dt.date | dt.datetime | None) -> str:
    """2026年5月20日 (the form of dates on official documents)."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def iso_date(value: dt.date | dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else ""


def yuan(amount: Decimal | int | float | str | None) -> str:
    """60,000.00 (common.money.grouped, as pages show amounts)."""
    return grouped(amount)


def wan(amount: Decimal | int | float | str | None) -> str:
    """4.5 for 45,000.00 元: CAST's forms give amounts in 万元 (common.money.wan)."""
    from common.money import wan as in_wan

    return in_wan(amount)


def period(start: dt.date | None, end: dt.date | None) -> str:
    if start is None and end is None:
        return ""
    return f"{cn_date(start)}至{cn_date(end)}"


def display_code(code: str) -> str:
    """ABCD-EFGH-JKMN-PQRS: the code in groups of four, as printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# -- styles ----------------------------------------------------------------------------------

# Text styles (documents.renderer.flowables.Style): size, leading, alignment, first-line
# indent, space before and after; a heading keeps two lines of what follows on its page.
STYLES: dict[str, dict[str, Any]] = {
    "title": {"size": 20, "leading": 28, "align": "CENTER", "space_after": 4},
    "subtitle": {"size": 11, "leading": 16, "align": "CENTER"},
    "number": {"size": 12, "leading": 18, "align": "CENTER", "space_after": 8},
    "heading": {"size": 12.5, "leading": 18, "space_before": 8, "space_after": 3, "heading": True},
    "body": {"size": 10.5, "leading": 15},
    "indent": {"size": 10.5, "leading": 15, "first_indent": 21},
    "right": {"size": 10.5, "leading": 15, "align": "RIGHT"},
    "small": {"size": 8.5, "leading": 12},
    # Certificates (landscape).
    "display": {"size": 40, "leading": 56, "align": "CENTER", "space_after": 10},
    "recipient": {"size": 26, "leading": 40, "align": "CENTER", "space_after": 6},
    "citation": {"size": 15, "leading": 26, "first_indent": 30},
    "center": {"size": 11, "leading": 18, "align": "CENTER"},
    "signature": {"size": 14, "leading": 22, "align": "RIGHT"},
}
_style_objects: dict[str, Any] = {}


def style(name: str) -> Any:
    found = _style_objects.get(name)
    if found is None:
        from .flowables import Style

        found = _style_objects[name] = Style(**STYLES[name])
    return found


def text(*parts: tuple[Any, str], font: str) -> Any:
    """One block of text made of ``(value, style name)`` parts: a heading and its body, a
    title and its subtitles. One flowable, however many parts."""
    from .flowables import TextBlock

    return TextBlock([("" if value is None else str(value), style(name)) for value, name in parts], font=font)


def table(
    rows: list[list[Any]],
    col_widths: list[float],
    *,
    font: str,
    header: bool = True,
    aligns: tuple[str, ...] | None = None,
    label_columns: tuple[int, ...] = (),
    caption: str | None = None,
) -> Any:
    """A ruled table of plain values; the first row shaded as the header (repeated on every
    page), ``label_columns`` shaded as labels, ``aligns`` (LEFT, RIGHT, CENTER) per column;
    ``caption``: the heading above it, kept with its first row."""
    from .flowables import Grid

    values = [["" if v is None else str(v) for v in row] for row in rows]
    return Grid(
        values,
        col_widths,
        font=font,
        header=header,
        aligns=aligns,
        shaded_columns=label_columns,
        caption=(caption, style("heading")) if caption else None,
    )


# -- the page --------------------------------------------------------------------------------


def page_size(landscape: bool = False) -> tuple[float, float]:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape as turn

    return turn(A4) if landscape else A4


def frame_width(landscape: bool = False, margin_mm: float = MARGIN_MM) -> float:
    from reportlab.lib.units import mm

    return page_size(landscape)[0] - 2 * margin_mm * mm


def build_pdf(
    flowables: list[Any],
    *,
    title: str,
    verification: Verification | None,
    font: str,
    landscape: bool = False,
    subject: str = "",
    background: Callable[[Any, tuple[float, float]], None] | None = None,
    margin_mm: float = MARGIN_MM,
) -> bytes:
    """Lay ``flowables`` out on A4 pages with the footer; return the PDF bytes.
    ``background(canvas, page_size)`` draws under every page (a certificate's border).

    The output is invariant (no creation time, a fixed document id): the same data gives the
    same bytes, so the SHA-256 kept with an issued document identifies it.
    """
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    size = page_size(landscape)
    margin = margin_mm * mm
    footer_y = 9 * mm

    lines = []
    if verification is not None:
        lines.append(f"验证码：{display_code(verification.code)}　核验网址：{verification.url}")
        if verification.note:
            lines.append(verification.note)

    def decorate(canvas: Any, doc: Any) -> None:
        from .flowables import TextWriter, text_width

        canvas.saveState()
        if background is not None:
            background(canvas, size)
        canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
        canvas.setLineWidth(0.4)
        canvas.line(margin, footer_y + 10, size[0] - margin, footer_y + 10)
        footer = TextWriter(canvas, font)
        footer.set_size(FOOTER_SIZE)
        for number, line in enumerate(lines):
            footer.line(margin, footer_y - 10 * number, line)
        page = f"第 {doc.page} 页"
        footer.line(size[0] - margin - text_width(page, font, FOOTER_SIZE), footer_y, page)
        footer.finish()
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 6 * mm,
        title=title,
        author=AUTHOR,
        subject=subject or title,
        creator=PRODUCER,
        producer=PRODUCER,
        invariant=1,
        lang="zh-CN",
        # Otherwise every page would reference Helvetica, the canvas's initial font.
        initialFontName=font,
        initialFontSize=10.5,
        initialLeading=15,
    )
    doc.build(flowables, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def resolve_font(font_path: str | None) -> str:
    return font_name(font_path)
