"""Bar charts as inline SVG: no chart library, no script, readable without colour.

Each bar carries its number beside it in text (the figure is the point, the bar only a
picture of it), a ``<title>`` for a tooltip, and the chart a title and description for
screen readers; the pages show the same numbers in a table as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ROW_H, BAR_H = 26, 16
LABEL_W, BAR_W, VALUE_W = 190, 260, 120
PAD = 6


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | int | Decimal
    text: str  # the number as shown beside the bar, e.g. "12" or "1,200,000.00 元"
    key: str = ""  # a machine name (a state, a category) for tests and styling


def _fit(text: str, width: float) -> str:
    """Cut a label that would not fit (CJK characters count as square, Latin as half)."""
    used, out = 0.0, []
    for ch in text:
        used += 13 if ord(ch) > 0x2E80 else 7
        if used > width - 14:
            return "".join(out) + "…"
        out.append(ch)
    return text


def bar_chart(bars: list[Bar], *, title: str, chart_id: str) -> SafeString:
    """A horizontal bar chart of ``bars`` (in the given order), scaled to the largest value."""
    top = max((float(b.value) for b in bars), default=0) or 1
    height = PAD * 2 + ROW_H * max(len(bars), 1)
    width = LABEL_W + BAR_W + VALUE_W
    summary = "；".join(f"{b.label} {b.text}" for b in bars)
    parts = [
        f'<svg class="bar-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(summary)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = PAD + i * ROW_H
        length = max(float(bar.value) / top * (BAR_W - 8), 2 if float(bar.value) > 0 else 0)
        parts.append(
            f'<g class="bar" data-key="{escape(bar.key)}"><title>{escape(bar.label)}：{escape(bar.text)}</title>'
            f'<text class="bar-label" x="{LABEL_W - 8}" y="{y + ROW_H / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(_fit(bar.label, LABEL_W))}</text>"
            f'<rect x="{LABEL_W}" y="{y + (ROW_H - BAR_H) / 2:.1f}" width="{length:.1f}" height="{BAR_H}" rx="2"/>'
            f'<text class="bar-value" x="{LABEL_W + length + 6:.1f}" y="{y + ROW_H / 2 + 4:.1f}">'
            f"{escape(bar.text)}</text></g>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every value interpolated above is escaped
