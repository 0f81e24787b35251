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
