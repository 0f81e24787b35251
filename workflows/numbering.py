"""Official numbers (智惠〔2026〕001号, 科志〔2026〕001号) run on per YEAR across all rounds of
that year and kind: the number names the year, not the round, so two rounds of one year
must not both hand out 001."""

from __future__ import annotations

from typing import Any


def issued_in_year(model: Any, field: str, *, year: int, kind: str) -> int:
    """How many records of ``model`` already carry a ``field`` number of ``year``."""
    return model.objects.filter(round__year=year, round__kind=kind, **{f"{field}__isnull": False}).count()


def next_in_year(model: Any, field: str, *, year: int, kind: str) -> int:
    """The next sequence number of ``field`` for ``year``. Locks the year's rounds of ``kind``
    (in id order, so two callers never deadlock) until the caller's transaction ends, so two
    transitions — or two bulk actions — never take the same number."""
    from .models import Round

    list(Round.objects.select_for_update().filter(year=year, kind=kind).order_by("pk").values_list("pk", flat=True))
    return issued_in_year(model, field, year=year, kind=kind) + 1
