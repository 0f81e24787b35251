"""Amounts as people read them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def grouped(amount: Decimal | int | float | str | None) -> str:
    """60,000.00 (empty for no amount)."""
    if amount is None or amount == "":
        return ""
    return f"{Decimal(str(amount)):,.2f}"


def two_places(value: Any) -> str | None:
    """A decimal as the API documents amounts: a string with two places (None stays None)."""
    return None if value is None else f"{Decimal(str(value)):.2f}"


def wan(amount: Decimal | int | float | str | None) -> str:
    """An amount in 元 shown in 万元, as CAST's forms and lists give it: 45000.00 → "4.5",
    80000 → "8", 12345.67 → "1.234567" cut to four places ("1.2346"); empty for no amount.
    The stored amount stays exact in 元; this is only how it reads."""
    if amount is None or amount == "":
        return ""
    value = (Decimal(str(amount)) / Decimal(10000)).quantize(Decimal("0.0001"))
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
