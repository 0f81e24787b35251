"""The official calendar (官方日历) and the length of public-notice periods (公示期).

Whether a day is a working day is decided, first rule first:

1. CAST's own entries (``workflows.models.CalendarDay``: a holiday, or a weekend day worked,
   调休上班), which CAST staff keep on the calendar page (/manage/rules/calendar/) for the years
   the package below does not cover yet, or to correct it;
2. the ``chinese-calendar`` package: the State Council's statutory holidays and 调休 workdays
   of the years it covers (1.11: 2004–2026; it raises NotImplementedError beyond);
3. the week: Monday to Friday are working days.

A year that neither the package covers nor any of CAST's entries names has unknown holidays:
its days count by the week alone, and ``coverage_warning`` says so wherever a period running
into it is shown.

A round counts its notice period in working days or in calendar days
(``workflows.models.Round.notice_day_kind``); ``notice_end`` does both.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

WORKING = "working"
CALENDAR = "calendar"


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
    _check_days(days)
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


def _check_days(days: object) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError("days must be a positive integer")


# -- the package -----------------------------------------------------------------------------


@functools.cache
def _package() -> tuple[frozenset[dt.date], frozenset[dt.date], range]:
    """(holidays, worked weekend days, years covered) of the chinese-calendar package."""
    from chinese_calendar.constants import holidays, workdays

    years = {d.year for d in holidays}
    return frozenset(holidays), frozenset(workdays), range(min(years), max(years) + 1)


def package_years() -> range:
    """The years the chinese-calendar package knows the holidays of."""
    return _package()[2]


def package_covers(year: int) -> bool:
    return year in package_years()


def package_days(year: int) -> tuple[list[dt.date], list[dt.date]]:
    """(holidays, worked weekend days) the package gives for ``year``, in date order (both
    empty for a year it does not cover)."""
    holidays, workdays, _years = _package()
    return sorted(d for d in holidays if d.year == year), sorted(d for d in workdays if d.year == year)


# -- the official calendar -------------------------------------------------------------------


@dataclass(frozen=True)
class OfficialCalendar:
    """The package's days with CAST's entries laid over them."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]

    def is_working_day(self, day: dt.date) -> bool:
        return is_working_day(day, self.holidays, extra_workdays=self.workdays)

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        return add_working_days(start, days, self.holidays, extra_workdays=self.workdays)


def official_calendar() -> OfficialCalendar:
    """The calendar as it stands now: one query for CAST's entries (a few dozen a year)."""
    from workflows.models import CalendarDay, CalendarDayKind

    holidays, workdays, _years = _package()
    entries = dict(CalendarDay.objects.values_list("date", "kind"))
    cast_holidays = {day for day, kind in entries.items() if kind == CalendarDayKind.HOLIDAY}
    cast_workdays = {day for day, kind in entries.items() if kind == CalendarDayKind.WORKDAY}
    # An entry overrides the package's word on its day, either way.
    return OfficialCalendar(
        holidays=frozenset((holidays - cast_workdays) | cast_holidays),
        workdays=frozenset((workdays - cast_holidays) | cast_workdays),
    )


def notice_end(start: dt.date, days: int, kind: str = WORKING) -> dt.date:
    """The last day of a notice period of ``days`` starting on ``start``.

    ``kind`` is the round's ``notice_day_kind``: "working" counts working days of the official
    calendar (``start`` counts when it is one); "calendar" counts every day, ``start`` first.
    ValueError for a day count that is not a positive integer or an unknown kind.
    """
    _check_days(days)
    if kind == CALENDAR:
        return start + dt.timedelta(days=days - 1)
    if kind != WORKING:
        raise ValueError(f"unknown notice day kind {kind!r}")
    return official_calendar().add_working_days(start, days)


def unknown_years(start: dt.date, end: dt.date) -> list[int]:
    """The years from ``start`` to ``end`` (inclusive) whose holidays nobody knows: the package
    does not cover them and CAST has no entry in them."""
    from workflows.models import CalendarDay

    uncovered = [year for year in range(start.year, end.year + 1) if not package_covers(year)]
    if not uncovered:
        return []
    entered = set(
        CalendarDay.objects.filter(date__gte=dt.date(uncovered[0], 1, 1), date__lte=dt.date(uncovered[-1], 12, 31))
        .values_list("date__year", flat=True)
        .distinct()
    )
    return [year for year in uncovered if year not in entered]


def coverage_warning(start: dt.date, end: dt.date) -> str | None:
    """A message, in the active language, naming the years from ``start`` to ``end`` whose
    holidays are unknown (see ``unknown_years``); None when every year is known."""
    years = unknown_years(start, end)
    if not years:
        return None
    names = pgettext("a list of years", "、").join(str(year) for year in years)
    return ngettext(
        "%(years)s 年的法定节假日和调休安排尚未收录（日历数据未覆盖该年，中国科协也未录入），"
        "公示期暂按周一至周五为工作日计算，可能与实际安排不符。",
        "%(years)s 年的法定节假日和调休安排尚未收录（日历数据未覆盖这些年份，中国科协也未录入），"
        "公示期暂按周一至周五为工作日计算，可能与实际安排不符。",
        len(years),
    ) % {"years": names}


def day_kind_label(kind: str) -> str:
    """The unit a period of this kind counts in, for sentences like "5 个工作日"."""
    return _("自然日") if kind == CALENDAR else _("工作日")
