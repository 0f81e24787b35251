"""``{% load money %}``: amounts as people read them (stored in 元, shown in 万元)."""

from __future__ import annotations

from typing import Any

from django import template

from common import money

register = template.Library()


@register.filter
def wan(amount: Any) -> str:
    """45000.00 → 4.5 (万元; up to four decimals); "—" for no amount."""
    return money.wan(amount) or "—"
