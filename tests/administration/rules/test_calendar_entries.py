"""CAST's calendar entries from the site: the page per year (what the package covers, CAST's
entries), adding and removing entries with their exact audit events, every refusal listing
every problem and writing nothing, and the entries counting in notice periods at once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from administration.rules import services
from tests.administration.rules.conftest import OUTSIDERS, events_of, shape
from workflows.calendar import coverage_warning, notice_end, package_covers
from workflows.exceptions import InvalidInput, TransitionForbidden
from workflows.models import AuditEvent, CalendarDay

D = dt.date.fromisoformat
IP = "192.0.2.44"
URL = "/manage/rules/calendar/"


def add(users, **data) -> CalendarDay:
    return services.calendar_day_add(actor=users["cast_staff"], data=data, client_ip=IP)


def counts() -> tuple[int, int]:
    return CalendarDay.objects.count(), AuditEvent.objects.count()


def page(response) -> str:
    return response.content.decode()


def test_an_entry_is_stored_audited_and_counted_at_once(users):
    assert notice_end(D("2027-02-05"), 5) == D("2027-02-11")
    entry = add(users, date="2027-02-08", kind="holiday", note="春节", reason="国办发明电〔2026〕X号")
    assert (entry.date, entry.kind, entry.note, entry.created_by) == (
        D("2027-02-08"),
        "holiday",
        "春节",
        users["cast_staff"],
    )
    assert [shape(e) for e in events_of(entry)] == [
        {
            "action": "created",
            "actor": "cast_staff",
            "actor_org": "CAST",
            "actor_role": "cast_staff",
            "reason": "国办发明电〔2026〕X号",
            "data": {
                "changes": {
                    "date": {"before": None, "after": "2027-02-08"},
                    "kind": {"before": None, "after": "holiday"},
                    "note": {"before": None, "after": "春节"},
                }
            },
            "client_ip": IP,
        }
    ]
    # Fri 5 (1), Mon 8 off, Tue 9 (2) … Fri 12 (5).
    assert notice_end(D("2027-02-05"), 5) == D("2027-02-12")
    assert coverage_warning(D("2027-02-05"), D("2027-02-12")) is None


def test_removing_an_entry_is_audited_with_what_it_was(users):
    entry = add(users, date="2027-02-20", kind="workday", note="调休上班")
    pk = entry.pk
    with pytest.raises(InvalidInput) as exc:
        services.calendar_day_remove(entry=entry, actor=users["cast_staff"], reason=" ")
    assert exc.value.errors == ["请填写“修改理由”"]
    services.calendar_day_remove(entry=entry, actor=users["cast_staff"], reason="录错了日期", client_ip=IP)
    assert not CalendarDay.objects.filter(pk=pk).exists()
    events = AuditEvent.objects.filter(record_type="workflows.calendarday", record_id=pk).order_by("record_seq")
    assert [shape(e) for e in events][1] == {
        "action": "deleted",
        "actor": "cast_staff",
        "actor_org": "CAST",
        "actor_role": "cast_staff",
        "reason": "录错了日期",
        "data": {
            "changes": {
                "date": {"before": "2027-02-20", "after": None},
                "kind": {"before": "workday", "after": None},
                "note": {"before": "调休上班", "after": None},
            }
        },
        "client_ip": IP,
    }
    with pytest.raises(InvalidInput) as exc:
        services.calendar_day_remove(entry=entry, actor=users["cast_staff"], reason="再删")
    assert exc.value.errors == ["该日历调整已被删除"]


def test_every_problem_of_an_entry_at_once(users):
    add(users, date="2027-10-01", kind="holiday", note="国庆节")
    before = counts()
    cases = [
        (
            {"date": "", "kind": "", "note": "n" * 101, "reason": "r" * 2001, "color": "red"},
            [
                "未知的字段：color",
                "请填写“日期”",
                "请选择“类型”",
                "“说明”不得超过 100 个字符",
                "“修改理由”不得超过 2000 个字符",
            ],
        ),
        (
            {"date": "2027-02-30", "kind": "rest"},
            ["“日期”必须是日期（YYYY-MM-DD）", "“类型”必须是 holiday（放假）或 workday（调休上班）"],
        ),
        ({"date": "2207-02-01", "kind": "holiday"}, ["“日期”须在 2000 年至 2099 年之间"]),
        ({"date": "2027-10-01", "kind": "workday"}, ["2027-10-01 已有日历调整（放假），如需修改请先删除"]),
    ]
    for data, errors in cases:
        with pytest.raises(InvalidInput) as exc:
            add(users, **data)
        assert exc.value.errors == errors
    assert counts() == before


def test_only_cast_staff_keep_the_calendar(users):
    entry = add(users, date="2027-05-03", kind="holiday")
    before = counts()
    for username in ("auditor", "content_cast", "reviewer_csf", "expert_1"):
        with pytest.raises(TransitionForbidden) as exc:
            services.calendar_day_add(actor=users[username], data={"date": "2027-05-04", "kind": "holiday"})
        assert exc.value.errors == ["只有中国科协工作人员可以维护日历"]
        with pytest.raises(TransitionForbidden) as exc:
            services.calendar_day_remove(entry=entry, actor=users[username], reason="删")
        assert exc.value.errors == ["只有中国科协工作人员可以维护日历"]
    assert counts() == before


# -- the page --------------------------------------------------------------------------------


def test_who_sees_the_calendar(as_user):
    response = as_user(None).get(URL)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={URL}")
    for username in OUTSIDERS:
        assert as_user(username).get(URL).status_code == 404
        assert (
            as_user(username).post(URL, {"action": "add", "date": "2027-01-01", "kind": "holiday"}).status_code == 404
        )
    auditor = page(as_user("auditor").get(URL))
    assert "中国科协录入的日期" in auditor and 'name="action" value="add"' not in auditor
    staff = page(as_user("cast_staff").get(URL))
    assert 'name="action" value="add"' in staff
    assert CalendarDay.objects.count() == 0


def test_the_year_view(as_user, users):
    add(users, date="2027-01-01", kind="holiday", note="元旦")
    staff = as_user("cast_staff")
    html = page(staff.get(f"{URL}?year=2026"))
    assert '<h2 id="year-h">2026 年</h2>' in html
    assert "10-01, 10-02, 10-03, 10-04, 10-05, 10-06, 10-07" in html  # the package's golden week
    assert "01-04, 02-14, 02-28, 05-09, 09-20, 10-10" in html  # its worked weekend days
    html = page(staff.get(f"{URL}?year=2027"))
    assert "日历数据包尚未收录 2027 年。" in html
    assert '<th scope="row">2027-01-01（' in html and "<td>元旦</td>" in html
    html = page(staff.get(f"{URL}?year=2028"))
    assert "暂无录入。" in html
    # The years table: last year to two years ahead (2025 to 2028 in 2026), and 2027 for its
    # entry; 2027 known by that entry, a year neither covered nor entered unknown.
    rows = re.findall(
        r'<th scope="row"><a href="\?year=(\d+)"[^>]*>\d+</a></th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>',
        html,
    )
    this_year = timezone.localdate().year
    known, unknown = '<span class="ok">已知</span>', '<span class="bad">未知：仅按周末计算，请录入</span>'
    assert rows == [
        (
            str(year),
            "已收录" if package_covers(year) else "未收录",
            "1 天" if year == 2027 else "0 天",
            known if package_covers(year) or year == 2027 else unknown,
        )
        for year in sorted({*range(this_year - 1, this_year + 3), 2027})
    ]
    assert ("2028", "未收录", "0 天", unknown) in rows


def test_staff_add_and_remove_entries_on_the_page(as_user, users):
    staff = as_user("cast_staff")
    response = staff.post(URL, {"action": "add", "date": "2027-02-30", "kind": "", "note": ""})
    assert response.status_code == 400
    html = page(response)
    assert "<li>“日期”必须是日期（YYYY-MM-DD）</li>" in html and "<li>请选择“类型”</li>" in html
    response = staff.post(
        URL,
        {"action": "add", "date": "2027-02-08", "kind": "holiday", "note": "春节", "reason": ""},
        REMOTE_ADDR=IP,
    )
    assert (response.status_code, response["Location"]) == (302, f"{URL}?year=2027")
    entry = CalendarDay.objects.get()
    assert [(e.action, e.client_ip) for e in events_of(entry)] == [("created", IP)]
    html = page(staff.get(response["Location"]))
    assert "已添加 2027-02-08 的日历调整" in html and "<td>春节</td>" in html

    response = staff.post(URL, {"action": "remove", "entry": str(entry.pk), "reason": ""})
    assert (response.status_code, "<li>请填写“修改理由”</li>" in page(response)) == (400, True)
    auditor = as_user("auditor").post(URL, {"action": "remove", "entry": str(entry.pk), "reason": "删"})
    assert (auditor.status_code, "<li>只有中国科协工作人员可以维护日历</li>" in page(auditor)) == (403, True)
    response = staff.post(URL, {"action": "remove", "entry": str(entry.pk), "reason": "春节安排有误"}, follow=True)
    assert "已删除 2027-02-08 的日历调整" in page(response)
    assert CalendarDay.objects.count() == 0
    assert staff.post(URL, {"action": "remove", "entry": str(entry.pk), "reason": "再删"}).status_code == 404
    assert staff.post(URL, {"action": "remove", "entry": "abc", "reason": "删"}).status_code == 404
