"""Template helpers of the record pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def noun_for(record_type: Any, count: Any) -> Any:
    """The type's noun for ``count`` records (a number, or the records themselves): one
    ("application") or several ("applications"); Chinese has one word for both, English not."""
    if isinstance(count, list | tuple):
        count = len(count)
    try:
        one = int(count) == 1
    except (TypeError, ValueError):
        one = False
    return record_type.noun if one else record_type.noun_plural
