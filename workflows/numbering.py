"""Official numbers (智惠〔2026〕001号, 科志〔2026〕001号) run on per YEAR across all rounds of
that year and kind: the number names the year, not the round, so two rounds of one year
must not both hand out 001. Each series has one ``NumberSequence`` row per year, locked by the
transition that takes the next number (``workflows.locks.next_number``)."""

from __future__ import annotations

from typing import Any

from .locks import next_number, reserve_numbers


def issued_in_year(model: Any, field: str, *, year: int, kind: str) -> int:
    """How many records of ``model`` already carry a ``field`` number of ``year``."""
    return model.objects.filter(round__year=year, round__kind=kind, **{f"{field}__isnull": False}).count()


def series_name(model: Any, field: str) -> str:
    return f"{model._meta.label_lower}.{field}"


def next_in_year(model: Any, field: str, *, year: int, kind: str) -> int:
    """The next sequence number of ``field`` for ``year``, from the year's series row (started
    after the numbers already issued when it is first used)."""
    return next_number(
        series_name(model, field), year, start=lambda: issued_in_year(model, field, year=year, kind=kind)
    )


def reserve_in_year(model: Any, field: str, *, year: int, kind: str, count: int) -> int:
    """The first of ``count`` consecutive numbers of ``field`` for ``year``, all taken at once."""
    return reserve_numbers(
        series_name(model, field),
        year,
        count=count,
        start=lambda: issued_in_year(model, field, year=year, kind=kind),
    )


def take_official_number(record: Any, field: str, pattern: str) -> str:
    """Give ``record`` the next number of ``field`` in its round's year, written by ``pattern``
    (``"智惠〔{year}〕{number:03d}号"``), and return it. Called by the transition that issues it,
    under the record's lock; the series row is locked last (docs/design.md, "Locks")."""
    from .models import Round

    round_ = Round.objects.get(pk=record.round_id)
    number = next_in_year(type(record), field, year=round_.year, kind=round_.kind)
    value = pattern.format(year=round_.year, number=number)
    setattr(record, field, value)
    return value
