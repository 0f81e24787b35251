"""The official calendar on the notice pages: a period running into a year whose holidays
nobody knows (2027: beyond chinese-calendar 1.11, no entry of CAST's) carries the warning on the
manage and public pages and in the staff API, until CAST enters that year; a round counted in
calendar days has no such warning."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notices import services
from notices.models import PublicNotice
from tests.conftest import api_as
from tests.notices.helpers import bulletin, published_notice, reviewed_notice
from workflows.calendar import add_working_days, notice_end, package_covers
from workflows.models import CalendarDay, CalendarDayKind

D = dt.date.fromisoformat
WARNING = (
    "2027 年的法定节假日和调休安排尚未收录（日历数据未覆盖该年，中国科协也未录入），"
    "公示期暂按周一至周五为工作日计算，可能与实际安排不符。"
)


@pytest.fixture
def notice_in_2027(users, orgs, open_round):
    """A published notice whose period (as stored) runs into 2027 (test setup moves it)."""
    assert not package_covers(2027)
    notice = published_notice(users, open_round, [bulletin(users, orgs, open_round, title="甲项目")])
    PublicNotice.objects.filter(pk=notice.pk).update(starts_on=D("2026-12-30"), ends_on=D("2027-01-06"))
    notice.refresh_from_db()
    return notice


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_warning_is_shown_where_the_period_is(client, users, notice_in_2027):
    notice = notice_in_2027
    assert WARNING in html(client, f"/public/notices/{notice.pk}/")
    client.force_login(users["auditor"])
    assert WARNING in html(client, f"/public/manage/notices/{notice.pk}/")
    assert api_as(users["auditor"]).get(f"/api/v1/notices/{notice.pk}/").json()["calendar_warning"] == WARNING

    CalendarDay.objects.create(date=D("2027-01-01"), kind=CalendarDayKind.HOLIDAY, note="元旦")
    assert WARNING not in html(client, f"/public/manage/notices/{notice.pk}/")
    assert WARNING not in html(client, f"/public/notices/{notice.pk}/")
    assert api_as(users["auditor"]).get(f"/api/v1/notices/{notice.pk}/").json()["calendar_warning"] is None


def test_no_warning_for_a_period_the_calendar_knows(client, users, orgs, open_round):
    notice = published_notice(users, open_round, [bulletin(users, orgs, open_round, title="甲项目")])
    PublicNotice.objects.filter(pk=notice.pk).update(starts_on=D("2026-09-30"), ends_on=D("2026-10-12"))
    assert "尚未收录" not in html(client, f"/public/notices/{notice.pk}/")


def test_no_warning_when_the_round_counts_calendar_days(client, users, notice_in_2027):
    notice = notice_in_2027
    notice.round.notice_day_kind = "calendar"
    notice.round.save()
    assert WARNING not in html(client, f"/public/notices/{notice.pk}/")
    assert api_as(users["auditor"]).get(f"/api/v1/notices/{notice.pk}/").json()["calendar_warning"] is None


def test_a_notice_scheduled_into_2027_warns_and_counts_cast_entries(client, users, orgs, open_round):
    """Scheduled for 5 January next year, whose holidays the package does not know."""
    today = timezone.localdate()
    year = today.year + 1
    assert not package_covers(year)
    day = dt.date(year, 1, 5)
    notice = reviewed_notice(users, open_round, [bulletin(users, orgs, open_round, title="甲项目")])
    notice = services.notice_publish(notice=notice, actor=users["cast_staff"], starts_on=day)
    client.force_login(users["cast_staff"])
    page = html(client, f"/public/manage/notices/{notice.pk}/")
    warning = WARNING.replace("2027", str(year))
    assert warning in page
    weekend_only = notice_end(day, 5)
    assert f"按当前日历，公示期将为 {day:%Y-%m-%d} 至 {weekend_only:%Y-%m-%d}（5 个工作日）。" in page
    assert api_as(users["cast_staff"]).get(f"/api/v1/notices/{notice.pk}/").json()["calendar_warning"] == warning

    # CAST enters a day off on the period's first day: the plan follows at once.
    CalendarDay.objects.create(date=day, kind=CalendarDayKind.HOLIDAY, note="调整")
    page = html(client, f"/public/manage/notices/{notice.pk}/")
    assert warning not in page
    moved = add_working_days(day + dt.timedelta(days=1), 5)
    assert f"按当前日历，公示期将为 {day:%Y-%m-%d} 至 {moved:%Y-%m-%d}（5 个工作日）。" in page
    assert moved != weekend_only
