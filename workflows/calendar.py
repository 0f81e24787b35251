"""Working days for notice periods (公示期按工作日计算).

Weekends and public holidays are not working days. China also moves some working days onto
weekends around the long holidays (调休上班); those dates are given as ``extra_workdays`` and
count as working days even on a Saturday or Sunday.

Settings (both optional, lists of ISO date strings, e.g. ``["2026-10-01", "2026-10-02"]``):
``PUBLIC_HOLIDAYS`` the holidays; ``PUBLIC_WORKDAYS`` the weekend days worked instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def is_working_day(day: dt.date, holidays: Iterable[dt.date] = (), *, extra_workdays: Iterable[dt.date] = ()) -> bool:
    """Whether ``day`` is a working day: a weekday that is not a holiday, or a worked weekend day."""
    if day in set(extra_workdays):
        return True
    return day.weekday() < 5 and day not in set(holidays)


def add_working_days(
    start: dt.date, days: int, holidays: Iterable[dt.date] = (), *, extra_workdays: Iterable[dt.date] = ()
) -> dt.date:
    """The date of the ``days``-th working day of a period that starts on ``start``.

    ``start`` counts as the first day when it is a working day; otherwise counting begins at
    the next working day. So a 5-working-day period starting on a Friday ends on the next
    Thursday, and one starting on a Saturday ends on the next Friday.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError("days must be a positive integer")
    off = frozenset(holidays)
    worked = frozenset(extra_workdays)
    day = start
    counted = 0
    while True:
        if day in worked or (day.weekday() < 5 and day not in off):
            counted += 1
            if counted == days:
                return day
        day += dt.timedelta(days=1)


def _parse_dates(name: str) -> frozenset[dt.date]:
    values = getattr(settings, name, []) or []
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    parsed: set[dt.date] = set()
    for value in values:
        if isinstance(value, dt.date):
            parsed.add(value)
            continue
        try:
            parsed.add(dt.date.fromisoformat(str(value).strip()))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc
    return frozenset(parsed)


def configured_holidays() -> frozenset[dt.date]:
    """``settings.PUBLIC_HOLIDAYS`` as dates (empty when the setting is absent)."""
    return _parse_dates("PUBLIC_HOLIDAYS")


def configured_workdays() -> frozenset[dt.date]:
    """``settings.PUBLIC_WORKDAYS`` (weekend days worked, 调休上班) as dates."""
    return _parse_dates("PUBLIC_WORKDAYS")


def notice_end(start: dt.date, working_days: int) -> dt.date:
    """The last day of a notice period of ``working_days`` starting on ``start``, per the settings."""
    return add_working_days(start, working_days, configured_holidays(), extra_workdays=configured_workdays())
