"""The official calendar: the chinese-calendar package (1.11: holidays and 调休 workdays to
2026), CAST's own entries over it, the week beyond both; notice periods in working or calendar
days; the warning for years whose holidays nobody knows."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows.calendar import (
    coverage_warning,
    notice_end,
    official_calendar,
    package_covers,
    package_days,
    package_years,
    unknown_years,
)
from workflows.models import CalendarDay, CalendarDayKind

D = dt.date.fromisoformat
WARNING_2027 = (
    "2027 年的法定节假日和调休安排尚未收录（日历数据未覆盖该年，中国科协也未录入），"
    "公示期暂按周一至周五为工作日计算，可能与实际安排不符。"
)


def entry(day: str, kind: str, note: str = "") -> CalendarDay:
    return CalendarDay.objects.create(date=D(day), kind=kind, note=note)


def spring_festival_2027() -> None:
    """CAST's entries for a 春节 holiday of 2027 (the package does not know 2027): Saturday 6
    to Sunday 14 February off except Sunday 14, worked instead (调休)."""
    for day in range(6, 14):
        entry(f"2027-02-{day:02d}", CalendarDayKind.HOLIDAY, "春节")
    entry("2027-02-14", CalendarDayKind.WORKDAY, "春节调休上班")


def test_the_package_covers_2004_to_2026():
    assert package_years() == range(2004, 2027)
    assert (package_covers(2026), package_covers(2027), package_covers(2003)) == (True, False, False)
    holidays, workdays = package_days(2026)
    assert [d for d in holidays if d.month == 10] == [D(f"2026-10-0{n}") for n in range(1, 8)]
    assert workdays == [
        D(d) for d in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
    ]
    assert package_days(2027) == ([], [])


@pytest.mark.django_db
def test_golden_week_2026_ends_on_the_twelfth():
    # Wed 30 Sep (1), 1–7 Oct off, Thu 8 (2), Fri 9 (3), Sat 10 worked (4), Sun 11 off, Mon 12 (5).
    assert notice_end(D("2026-09-30"), 5) == D("2026-10-12")
    assert notice_end(D("2026-09-30"), 5, "working") == D("2026-10-12")
    calendar = official_calendar()
    assert [calendar.is_working_day(D(d)) for d in ("2026-10-01", "2026-10-08", "2026-10-10", "2026-10-11")] == [
        False,
        True,
        True,
        False,
    ]
    # Mid-Autumn 2026 is Friday 25 September; Sunday 20 was worked instead.
    assert notice_end(D("2026-09-24"), 2) == D("2026-09-28")
    assert notice_end(D("2026-09-19"), 1) == D("2026-09-20")
    assert coverage_warning(D("2026-09-30"), D("2026-10-12")) is None


@pytest.mark.django_db
def test_calendar_days_count_every_day():
    assert notice_end(D("2026-09-30"), 5, "calendar") == D("2026-10-04")
    assert notice_end(D("2026-10-01"), 1, "calendar") == D("2026-10-01")
    assert notice_end(D("2027-02-05"), 10, "calendar") == D("2027-02-14")
    spring_festival_2027()
    assert notice_end(D("2027-02-05"), 10, "calendar") == D("2027-02-14")


@pytest.mark.django_db
def test_2027_counts_the_week_alone_and_warns_until_cast_enters_it():
    # Fri 5 Feb (1), Mon 8 (2), Tue 9 (3), Wed 10 (4), Thu 11 (5).
    assert notice_end(D("2027-02-05"), 5) == D("2027-02-11")
    assert unknown_years(D("2027-02-05"), D("2027-02-11")) == [2027]
    assert coverage_warning(D("2027-02-05"), D("2027-02-11")) == WARNING_2027

    spring_festival_2027()
    # Fri 5 (1), 6–13 off, Sun 14 worked (2), Mon 15 (3), Tue 16 (4), Wed 17 (5).
    assert notice_end(D("2027-02-05"), 5) == D("2027-02-17")
    assert notice_end(D("2027-02-05"), 1) == D("2027-02-05")
    assert notice_end(D("2027-02-06"), 1) == D("2027-02-14")
    assert unknown_years(D("2027-02-05"), D("2027-02-17")) == []
    assert coverage_warning(D("2027-02-05"), D("2027-02-17")) is None


@pytest.mark.django_db
def test_a_period_across_new_year_names_every_unknown_year():
    assert coverage_warning(D("2026-12-28"), D("2026-12-31")) is None
    assert coverage_warning(D("2026-12-28"), D("2027-01-05")) == WARNING_2027
    assert coverage_warning(D("2026-12-28"), D("2028-01-05")) == (
        "2027、2028 年的法定节假日和调休安排尚未收录（日历数据未覆盖这些年份，中国科协也未录入），"
        "公示期暂按周一至周五为工作日计算，可能与实际安排不符。"
    )
    # One entry makes a year known, whatever it is.
    entry("2028-01-01", CalendarDayKind.HOLIDAY, "元旦")
    assert unknown_years(D("2026-12-28"), D("2028-01-05")) == [2027]
    assert coverage_warning(D("2027-12-28"), D("2028-01-05")) == WARNING_2027
    assert coverage_warning(D("2028-01-01"), D("2028-12-31")) is None


@pytest.mark.django_db
def test_cast_entries_override_the_package():
    # A day off the package does not know (Friday 9 October), and a package holiday worked.
    entry("2026-10-09", CalendarDayKind.HOLIDAY, "更正")
    # Wed 30 Sep (1), Thu 8 (2), Fri 9 off, Sat 10 worked (3), Mon 12 (4), Tue 13 (5).
    assert notice_end(D("2026-09-30"), 5) == D("2026-10-13")
    entry("2026-10-07", CalendarDayKind.WORKDAY, "更正")
    # Wed 30 Sep (1), Wed 7 Oct worked (2), Thu 8 (3), Sat 10 (4), Mon 12 (5).
    assert notice_end(D("2026-09-30"), 5) == D("2026-10-12")
    # A package workday (Saturday 10 October) entered as a day off.
    CalendarDay.objects.filter(date=D("2026-10-07")).delete()
    entry("2026-10-10", CalendarDayKind.HOLIDAY, "更正")
    # Wed 30 Sep (1), Thu 8 (2), Mon 12 (3), Tue 13 (4), Wed 14 (5).
    assert notice_end(D("2026-09-30"), 5) == D("2026-10-14")
    calendar = official_calendar()
    assert (calendar.is_working_day(D("2026-10-09")), calendar.is_working_day(D("2026-10-10"))) == (False, False)


@pytest.mark.django_db
def test_the_removed_settings_are_not_read(settings):
    settings.PUBLIC_HOLIDAYS = ["2026-12-07"]
    settings.PUBLIC_WORKDAYS = ["2026-12-05"]
    # Fri 4 Dec (1), Mon 7 (2): the settings are gone; CAST's entries replace them.
    assert notice_end(D("2026-12-04"), 2) == D("2026-12-07")


@pytest.mark.parametrize(("days", "kind"), [(0, "working"), (-1, "calendar"), (True, "working"), (1.5, "calendar")])
def test_days_must_be_a_positive_integer(days, kind):
    with pytest.raises(ValueError, match="days must be a positive integer"):
        notice_end(D("2026-11-27"), days, kind)


def test_an_unknown_day_kind_is_refused():
    with pytest.raises(ValueError, match="unknown notice day kind 'weekly'"):
        notice_end(D("2026-11-27"), 5, "weekly")
