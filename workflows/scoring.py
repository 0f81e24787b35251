"""Weighted expert scoring and rankings, shared by applications and nominations.

The tie-break rule (shown on every ranking page): a higher mean first; on equal means the
smaller spread (highest minus lowest score) first; then the earlier record (lower id).
"""

from __future__ import annotations

import statistics
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .round_settings import Criterion

TIE_BREAK_RULE = gettext_lazy("均分相同时，评分离散度（最高分与最低分之差）小者在前；仍相同时，提交在先者在前")


def weigh(criteria: list[Criterion], scores: Any, comment: Any) -> tuple[dict[str, int], Decimal, str]:
    """Check 0–100 integer scores for every criterion and a comment; return (scores, weighted
    total, comment) or raise InvalidInput listing every problem."""
    from .exceptions import InvalidInput

    if not isinstance(scores, dict):
        raise InvalidInput(_("评分必须按评分指标给出"))
    errors = [_("未知的评分指标：%(key)s") % {"key": key} for key in sorted(set(scores) - {c.key for c in criteria})]
    values: dict[str, int] = {}
    for c in criteria:
        raw = scores.get(c.key)
        if raw in (None, ""):
            errors.append(_("请为“%(label)s”打分") % {"label": c.label})
            continue
        try:
            value = int(str(raw))
        except ValueError:
            value = None
        if value is None or isinstance(raw, bool) or not 0 <= value <= 100 or str(raw).strip() != str(value):
            errors.append(_("“%(label)s”的分数必须是 0–100 的整数") % {"label": c.label})
            continue
        values[c.key] = value
    comment = comment.strip() if isinstance(comment, str) else ""
    if not comment:
        errors.append(_("请填写评审意见"))
    elif len(comment) > 5000:
        errors.append(_("评审意见不得超过 5000 个字符"))
    if errors:
        raise InvalidInput(errors)
    total = sum(Decimal(values[c.key]) * c.weight for c in criteria) / Decimal(100)
    return values, total.quantize(Decimal("0.01")), comment


def rank(records: list[Any], totals_of: Any) -> list[dict[str, Any]]:
    """Rows {record, mean, spread, stdev, count, rank} in ranking order (TIE_BREAK_RULE)."""
    rows = []
    for record in records:
        totals = list(totals_of(record))
        rows.append(
            {
                "record": record,
                "mean": (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01")) if totals else None,
                "spread": (max(totals) - min(totals)) if totals else None,
                "stdev": Decimal(str(round(statistics.pstdev([float(t) for t in totals]), 2))) if totals else None,
                "count": len(totals),
            }
        )
    rows.sort(
        key=lambda r: (
            r["mean"] is None,
            -(r["mean"] or 0),
            r["spread"] if r["spread"] is not None else Decimal(1000),
            r["record"].pk,
        )
    )
    for position, row in enumerate(rows, start=1):
        row["rank"] = position
    return rows
