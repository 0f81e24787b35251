"""Working days for notice periods: weekends, holidays and weekend days worked (调休), counted
from the lists given. The official calendar (the chinese-calendar package and CAST's own
entries) is tested in tests/workflows/test_calendar_official.py."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows.calendar import add_working_days, is_working_day

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-11-27", 5, "2026-12-03"),  # Friday → next Thursday
        ("2026-11-28", 5, "2026-12-04"),  # Saturday: counting starts Monday → Friday
        ("2026-11-29", 1, "2026-11-30"),  # Sunday, 1 day → Monday
        ("2026-11-30", 5, "2026-12-04"),  # Monday → Friday of the same week
        ("2026-11-30", 1, "2026-11-30"),  # a working day counts itself
        ("2026-11-27", 7, "2026-12-07"),  # Friday, 7 days → Monday after next
        ("2026-11-30", 10, "2026-12-11"),
    ],
)
def test_add_working_days_weekends(start, days, expected):
    assert add_working_days(D(start), days) == D(expected)


def test_holidays_are_skipped():
    # Friday start; the Monday and Tuesday after are holidays.
    holidays = [D("2026-11-30"), D("2026-12-01")]
    assert add_working_days(D("2026-11-27"), 5, holidays) == D("2026-12-07")
    # A holiday on the start day: counting begins at the next working day.
    assert add_working_days(D("2026-11-27"), 1, [D("2026-11-27")]) == D("2026-11-30")


def test_golden_week_with_a_weekend_day_worked():
    holidays = [D("2026-10-01") + dt.timedelta(days=i) for i in range(7)]  # 1–7 October
    worked = [D("2026-10-10")]  # a Saturday worked instead (调休上班)
    # Wed 30 Sep (1), Thu 8 Oct (2), Fri 9 Oct (3), Sat 10 Oct (4), Mon 12 Oct (5).
    assert add_working_days(D("2026-09-30"), 5, holidays, extra_workdays=worked) == D("2026-10-12")
    assert add_working_days(D("2026-09-30"), 5, holidays) == D("2026-10-13")
    assert is_working_day(D("2026-10-10"), holidays, extra_workdays=worked) is True
    assert is_working_day(D("2026-10-10"), holidays) is False
    assert is_working_day(D("2026-10-02"), holidays) is False
    assert is_working_day(D("2026-10-08"), holidays) is True


@pytest.mark.parametrize("days", [0, -1, True, 1.5])
def test_days_must_be_a_positive_integer(days):
    with pytest.raises(ValueError, match="days must be a positive integer"):
        add_working_days(D("2026-11-27"), days)
