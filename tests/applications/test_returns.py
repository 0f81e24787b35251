"""Returns carry a 补正期限 (workflows/revision.py), over the API and the pages: the submission
window closes after a return; the applicant resubmits within the deadline; after it lapses the
resubmission is refused and the returner — the recommending unit, or CAST staff for a formal-
review return — extends it or declines the record. Nominations have the recommending unit's
return too."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from applications.models import Application
from nominations.models import Nomination
from notifications.messages import render
from notifications.models import Channel, Notification
from tests.applications.builders import URL, application_in, ok
from tests.applications.helpers import act
from tests.conftest import api_as
from tests.nominations import helpers as nom
from workflows.models import AuditEvent, Round
from workflows.revision import default_due

RETURN_OPINION = "预算明细中劳务费比例偏高，请调整后重新提交。"
EDIT = {"outcomes": "培训养殖户 900 人次，指导面积 2600 亩，满意度不低于 90%。"}


@pytest.fixture
def round_id(demo) -> int:
    return Round.objects.get(kind="application").pk


def today() -> dt.date:
    return timezone.localdate()


def close_submission_window(round_id: int) -> None:
    """The window closed an hour ago: returns and resubmissions happen after it by design."""
    Round.objects.filter(pk=round_id).update(submission_closes=timezone.now() - dt.timedelta(hours=1))


def lapse(model: Any, pk: int) -> dt.date:
    """The 补正期限 ended yesterday (days are not waited for in a test)."""
    yesterday = today() - dt.timedelta(days=1)
    model.objects.filter(pk=pk).update(revision_due=yesterday)
    return yesterday


def returned(users, round_id, **data) -> int:
    app_id = application_in(users, round_id, "submitted")
    ok(act(users, "reviewer_csf", app_id, "return_for_revision", RETURN_OPINION, **data))
    return app_id


def returned_by_cast(users, round_id, applicant="applicant_csf_br1", **data) -> int:
    app_id = application_in(users, round_id, "recommended", applicant)
    ok(act(users, "cast_staff", app_id, "return_from_formal_review", RETURN_OPINION, **data))
    return app_id


def next_working_day_after(day: dt.date, n: int = 1) -> dt.date:
    from workflows.calendar import official_calendar

    return official_calendar().add_working_days(day + dt.timedelta(days=1), n)


def edit(users, app_id, username="applicant_csf_br1"):
    return ok(api_as(users[username]).patch(f"{URL}{app_id}/", EDIT, format="json"))


def last_event(app_id: int) -> AuditEvent:
    return AuditEvent.objects.filter(record_type="applications.application", record_id=app_id).order_by("-pk").first()


# -- the must-show: the window closes after a return --------------------------------------------


def test_resubmit_within_the_deadline_after_the_window_closed(users, round_id):
    app_id = returned(users, round_id)
    close_submission_window(round_id)
    due = default_due(today())
    body = ok(api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/"))
    assert (body["state"], body["revision_due"], body["returned_by_stage"]) == (
        "returned",
        due.isoformat(),
        "recommender",
    )
    assert body["open_return"] == {
        "due": due.isoformat(),
        "days_left": (due - today()).days,
        "lapsed": False,
        "days_overdue": 0,
        "returned_by_stage": "recommender",
        "returned_by_label": "推荐单位审核",
        "opinion": RETURN_OPINION,
    }
    event = last_event(app_id)
    assert (event.action, event.opinion, event.data) == (
        "return_for_revision",
        RETURN_OPINION,
        {"revision_due": due.isoformat(), "returned_by_stage": "recommender"},
    )

    edit(users, app_id)
    body = ok(act(users, "applicant_csf_br1", app_id, "resubmit", ""))
    assert (body["state"], body["revision_due"], body["returned_by_stage"], body["open_return"]) == (
        "submitted",
        None,
        "",
        None,
    )
    assert last_event(app_id).data["closed_due"] == due.isoformat()
    # a first submission still needs the window
    other = application_in(users, round_id, "draft", "applicant_gd_fish")
    response = act(users, "applicant_gd_fish", other, "submit", "")
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("申报窗口已于 ")


def test_after_the_deadline_resubmit_is_refused_then_the_reviewer_extends(users, round_id):
    app_id = returned(users, round_id)
    close_submission_window(round_id)
    edit(users, app_id)
    yesterday = lapse(Application, app_id)
    response = act(users, "applicant_csf_br1", app_id, "resubmit", "")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        [f"补正期限已于 {yesterday.isoformat()} 届满，不能再提交；如需延期，请联系推荐单位"],
    )
    assert Application.objects.get(pk=app_id).state == "returned"
    listed = {t["name"]: t for t in ok(api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/transitions/"))}
    assert listed["resubmit"]["allowed"] is False

    new_due = next_working_day_after(today(), 3)
    body = ok(
        act(users, "reviewer_csf", app_id, "extend_revision", "同意延期三个工作日。", revision_due=new_due.isoformat())
    )
    assert (body["state"], body["revision_due"]) == ("returned", new_due.isoformat())
    event = last_event(app_id)
    assert (event.action, event.from_state, event.to_state, event.opinion, event.data) == (
        "extend_revision",
        "returned",
        "returned",
        "同意延期三个工作日。",
        {
            "previous_due": yesterday.isoformat(),
            "revision_due": new_due.isoformat(),
            "returned_by_stage": "recommender",
        },
    )
    # the applicant is told, with the new date
    row = Notification.objects.get(
        recipient=users["applicant_csf_br1"], message_key="extend_revision", channel=Channel.EMAIL
    )
    subject, text, _html = render(row.message_key, row.context, "zh-hans")
    assert subject.endswith("的补正期限已延长")
    assert f"补正期限：{new_due.isoformat()}（原期限 {yesterday.isoformat()}）" in text
    assert "同意延期三个工作日。" in text

    assert ok(act(users, "applicant_csf_br1", app_id, "resubmit", ""))["state"] == "submitted"


def test_after_the_deadline_the_reviewer_declines(users, round_id):
    app_id = returned(users, round_id)
    close_submission_window(round_id)
    # not before it lapsed
    response = act(users, "reviewer_csf", app_id, "decline_lapsed", "逾期未补正。")
    due = default_due(today())
    assert (response.status_code, response.json()["errors"]) == (
        400,
        [f"补正期限 {due.isoformat()} 尚未届满，届满后方可作出决定"],
    )
    lapse(Application, app_id)
    response = act(users, "reviewer_csf", app_id, "decline_lapsed", "  ")
    assert (response.status_code, response.json()["errors"]) == (400, ["请填写意见"])
    body = ok(act(users, "reviewer_csf", app_id, "decline_lapsed", "逾期未补正，不予推荐。"))
    assert (body["state"], body["revision_due"]) == ("not_recommended", None)
    event = last_event(app_id)
    assert (event.action, event.to_state, event.opinion) == (
        "decline_lapsed",
        "not_recommended",
        "逾期未补正，不予推荐。",
    )
    assert Notification.objects.filter(recipient=users["applicant_csf_br1"], message_key="decline_lapsed").count() == 2


# -- CAST's formal-review return -------------------------------------------------------------


def test_cast_return_resubmitted_within_its_deadline_goes_back_to_the_recommending_unit(users, round_id):
    due = next_working_day_after(today(), 10)
    app_id = returned_by_cast(users, round_id, revision_due=due.isoformat())
    close_submission_window(round_id)
    Round.objects.filter(pk=round_id).update(recommender_review_due=timezone.now() - dt.timedelta(minutes=5))
    body = ok(api_as(users["cast_staff"]).get(f"{URL}{app_id}/"))  # CAST staff see what they returned
    assert (body["state"], body["revision_due"], body["returned_by_stage"]) == ("returned", due.isoformat(), "cast")
    assert body["open_return"]["returned_by_label"] == "中国科协形式审查"
    edit(users, app_id)
    assert ok(act(users, "applicant_csf_br1", app_id, "resubmit", ""))["state"] == "submitted"
    # back with the recommending unit, as before; no longer CAST's
    assert api_as(users["cast_staff"]).get(f"{URL}{app_id}/").status_code == 404


def test_cast_return_lapsed_extended_or_rejected_by_cast_staff_only(users, round_id):
    app_id = returned_by_cast(users, round_id)
    other = returned_by_cast(users, round_id, applicant="applicant_gd_fish")
    close_submission_window(round_id)
    edit(users, app_id)
    yesterday = lapse(Application, app_id)
    response = act(users, "applicant_csf_br1", app_id, "resubmit", "")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        [f"补正期限已于 {yesterday.isoformat()} 届满，不能再提交；如需延期，请联系中国科协"],
    )
    # the recommending unit did not return it: its reviewer holds neither decision
    for name in ("extend_revision", "decline_lapsed", "extend_cast_revision", "reject_lapsed"):
        response = act(users, "reviewer_csf", app_id, name, "意见。")
        assert (response.status_code, response.json()["detail"][:8]) == (403, "您没有权限执行“"), name
    lapse(Application, other)
    body = ok(act(users, "cast_staff", other, "reject_lapsed", "逾期未补正，形式审查不通过。"))
    assert body["state"] == "rejected"
    new_due = next_working_day_after(today())
    body = ok(act(users, "cast_staff", app_id, "extend_cast_revision", "延期。", revision_due=new_due.isoformat()))
    assert body["revision_due"] == new_due.isoformat()
    assert ok(act(users, "applicant_csf_br1", app_id, "resubmit", ""))["state"] == "submitted"


# -- the default and bad dates ---------------------------------------------------------------


@pytest.mark.django_db
def test_default_is_the_fifth_working_day_after_the_return():
    # Counting starts the day after the return: 10-01..10-07 are the National Day holiday and
    # Saturday 10-10 is worked (调休), so 10-08, 10-09, 10-10, 10-12, 10-13.
    assert default_due(dt.date(2026, 9, 30)) == dt.date(2026, 10, 13)
    # a Friday's return: Mon to Fri of the next week
    assert default_due(dt.date(2026, 12, 4)) == dt.date(2026, 12, 11)


@pytest.mark.django_db
def test_default_follows_casts_calendar_entries():
    from workflows.models import CalendarDay, CalendarDayKind

    CalendarDay.objects.create(date=dt.date(2026, 12, 8), kind=CalendarDayKind.HOLIDAY, note="测试")
    assert default_due(dt.date(2026, 12, 4)) == dt.date(2026, 12, 14)


def past_weekend_day() -> dt.date:
    day = today() - dt.timedelta(days=1)
    while day.weekday() < 5:
        day -= dt.timedelta(days=1)
    return day


def far_weekend_day() -> dt.date:
    day = today() + dt.timedelta(days=61)
    while day.weekday() < 5:
        day += dt.timedelta(days=1)
    return day


def test_bad_dates_are_refused_with_every_problem(users, round_id):
    app_id = application_in(users, round_id, "submitted")
    past, far = past_weekend_day(), far_weekend_day()
    latest = today() + dt.timedelta(days=60)
    cases = [
        ("2026/12/10", RETURN_OPINION, ["补正期限“2026/12/10”不是有效日期，格式应为 YYYY-MM-DD"]),
        (
            past.isoformat(),
            RETURN_OPINION,
            [f"补正期限不得早于今天（{today().isoformat()}）", f"补正期限 {past.isoformat()} 不是工作日，请选择工作日"],
        ),
        (
            far.isoformat(),
            "",
            [
                "请填写意见",
                f"补正期限不得晚于 {latest.isoformat()}（自今天起 60 天内）",
                f"补正期限 {far.isoformat()} 不是工作日，请选择工作日",
            ],
        ),
        (20261210, RETURN_OPINION, ["补正期限“20261210”不是有效日期，格式应为 YYYY-MM-DD"]),
    ]
    before = AuditEvent.objects.count()
    for value, opinion, reasons in cases:
        response = act(users, "reviewer_csf", app_id, "return_for_revision", opinion, revision_due=value)
        assert (response.status_code, response.json()["errors"]) == (400, reasons), value
    assert AuditEvent.objects.count() == before
    assert Application.objects.get(pk=app_id).state == "submitted"
    # today itself is accepted when it is a working day
    from workflows.calendar import official_calendar

    if official_calendar().is_working_day(today()):
        body = ok(
            act(users, "reviewer_csf", app_id, "return_for_revision", RETURN_OPINION, revision_due=today().isoformat())
        )
        assert body["revision_due"] == today().isoformat()
        # an extension must move it later
        response = act(users, "reviewer_csf", app_id, "extend_revision", "延期。", revision_due=today().isoformat())
        assert (response.status_code, response.json()["errors"]) == (
            400,
            [f"延长后的补正期限须晚于原期限 {today().isoformat()}"],
        )


def test_the_extension_default_counts_from_the_current_deadline(users, round_id):
    app_id = returned(users, round_id)
    due = default_due(today())
    body = ok(act(users, "reviewer_csf", app_id, "extend_revision", "再给五个工作日。"))
    assert body["revision_due"] == default_due(due).isoformat()


# -- who may extend and decline --------------------------------------------------------------

EVERY_USER = [
    "applicant_csf_br1",
    "applicant_gd_fish",
    "applicant_xuwen",
    "reviewer_csf",
    "reviewer_gd_cast",
    "content_csf",
    "content_gd_cast",
    "content_cast",
    "cast_staff",
    "expert_1",
    "auditor",
]


@pytest.mark.parametrize(
    ("by", "name", "allowed", "sees"),
    [
        ("recommender", "extend_revision", "reviewer_csf", {"applicant_csf_br1", "reviewer_csf", "auditor"}),
        ("recommender", "decline_lapsed", "reviewer_csf", {"applicant_csf_br1", "reviewer_csf", "auditor"}),
        (
            "cast",
            "extend_cast_revision",
            "cast_staff",
            {"applicant_csf_br1", "reviewer_csf", "content_csf", "cast_staff", "auditor"},
        ),
        (
            "cast",
            "reject_lapsed",
            "cast_staff",
            {"applicant_csf_br1", "reviewer_csf", "content_csf", "cast_staff", "auditor"},
        ),
    ],
)
def test_only_the_returner_extends_or_declines(users, round_id, by, name, allowed, sees):
    app_id = returned(users, round_id) if by == "recommender" else returned_by_cast(users, round_id)
    lapse(Application, app_id)
    got = {}
    before = AuditEvent.objects.count()
    for username in [u for u in EVERY_USER if u != allowed]:  # the returner last: it moves the record
        got[username] = act(users, username, app_id, name, "意见。").status_code
    assert AuditEvent.objects.count() == before
    got[allowed] = act(users, allowed, app_id, name, "意见。").status_code
    assert got == {u: (200 if u == allowed else 403 if u in sees else 404) for u in EVERY_USER}


# -- the reminder ----------------------------------------------------------------------------


def test_reminder_sent_once_two_and_one_working_days_before(users, round_id):
    from notifications.reminders import revisions_due

    app_id = returned(users, round_id)
    # Due on Monday 2027-01-11 (the days are counted on the calendar, whatever today is).
    Application.objects.filter(pk=app_id).update(revision_due=dt.date(2027, 1, 11))

    def rows() -> list[tuple[str, str, int]]:
        return sorted(
            (n.recipient.username, n.channel, n.context["working_days_left"])
            for n in Notification.objects.filter(message_key="revision_due_soon")
        )

    assert revisions_due(dt.date(2027, 1, 6)) == 0  # Wednesday: 3 working days left (Thu, Fri, Mon)
    assert revisions_due(dt.date(2027, 1, 7)) == 2  # Thursday: 2 left (Fri, Mon)
    assert revisions_due(dt.date(2027, 1, 7)) == 0  # the task runs twice: nothing more
    assert revisions_due(dt.date(2027, 1, 8)) == 2  # Friday: 1 left (Monday)
    assert revisions_due(dt.date(2027, 1, 8)) == 0
    assert revisions_due(dt.date(2027, 1, 9)) == 0  # Saturday: still 1, already told
    assert revisions_due(dt.date(2027, 1, 11)) == 0  # the last day itself: 0 left
    assert rows() == [
        ("applicant_csf_br1", "email", 1),
        ("applicant_csf_br1", "email", 2),
        ("applicant_csf_br1", "in_app", 1),
        ("applicant_csf_br1", "in_app", 2),
    ]
    # a new deadline is a new occasion
    Application.objects.filter(pk=app_id).update(revision_due=dt.date(2027, 1, 13))
    assert revisions_due(dt.date(2027, 1, 11)) == 2  # Monday: Tue, Wed left
    assert revisions_due(dt.date(2027, 1, 11)) == 0
    row = Notification.objects.filter(message_key="revision_due_soon", channel=Channel.EMAIL).order_by("-pk").first()
    subject, text, _html = render(row.message_key, row.context, "zh-hans")
    assert "补正期限 2027-01-13 即将届满" in subject
    assert "补正期限：2027-01-13（还剩 2 个工作日）" in text
    assert RETURN_OPINION in text
    # resubmitted or declined records are not reminded
    Application.objects.filter(pk=app_id).update(state="submitted")
    assert revisions_due(dt.date(2027, 1, 12)) == 0


def test_the_reminder_runs_in_the_daily_task(users, round_id):
    from notifications.tasks import send_reminders

    app_id = returned(users, round_id)
    due = next_working_day_after(today())
    Application.objects.filter(pk=app_id).update(revision_due=due)
    assert send_reminders()["revision_due"] == 2
    assert send_reminders()["revision_due"] == 0


def test_the_return_email_names_the_deadline(users, round_id):
    app_id = returned(users, round_id)
    due = default_due(today())
    row = Notification.objects.get(
        recipient=users["applicant_csf_br1"], message_key="return_for_revision", channel=Channel.EMAIL
    )
    assert row.context["revision_due"] == due.isoformat()
    _subject, text, html = render(row.message_key, row.context, "zh-hans")
    assert f"补正期限：{due.isoformat()}" in text
    assert RETURN_OPINION in text
    assert f"补正期限：{due.isoformat()}" in html
    assert app_id


# -- the pages -------------------------------------------------------------------------------


def test_the_box_on_the_record_and_the_edit_form(client, users, round_id):
    app_id = returned(users, round_id)
    due = default_due(today())
    client.force_login(users["applicant_csf_br1"])
    for url in (f"/applications/{app_id}/", f"/applications/{app_id}/edit/"):
        body = client.get(url).content.decode()
        box = body[body.index('id="open-return"') :]
        box = box[: box.index("</section>")]
        assert f'<time datetime="{due.isoformat()}">{due.isoformat()}</time>' in box, url
        assert RETURN_OPINION in box
        assert f"还剩 {(due - today()).days} 天" in box
        # at the top: before the record's content, before the form's fields
        assert body.index('id="open-return"') < body.index(
            'id="content-h"' if "edit" not in url else "novalidate class="
        )
    lapse(Application, app_id)
    body = client.get(f"/applications/{app_id}/").content.decode()
    assert "已逾期 1 天" in body
    assert "补正期限已过，不能再提交" in body


def test_the_reviewer_extends_on_the_page(client, users, round_id):
    app_id = returned(users, round_id)
    lapse(Application, app_id)
    client.force_login(users["reviewer_csf"])
    body = client.get(f"/applications/{app_id}/").content.decode()
    # the extension's date field proposes 5 working days from today (the deadline lapsed)
    assert f'name="revision_due" value="{default_due(today()).isoformat()}"' in body
    new_due = next_working_day_after(today(), 2)
    response = client.post(
        f"/workflow/applications.application/{app_id}/transition/extend_revision/",
        {"opinion": "同意延期。", "revision_due": new_due.isoformat(), "next": f"/applications/{app_id}/"},
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=app_id).revision_due == new_due
    # a bad date from the page: every problem shown, nothing changed
    response = client.post(
        f"/workflow/applications.application/{app_id}/transition/extend_revision/",
        {"opinion": "", "revision_due": "明天", "next": f"/applications/{app_id}/"},
        follow=True,
    )
    text = response.content.decode()
    assert "请填写意见" in text and "补正期限“明天”不是有效日期，格式应为 YYYY-MM-DD" in text
    assert Application.objects.get(pk=app_id).revision_due == new_due


# -- nominations -----------------------------------------------------------------------------


def test_nomination_returned_lapsed_declined_or_resubmitted(users, demo):
    round_id = Round.objects.get(kind="selection").pk
    nid = nom.nomination_in(users, round_id, "team", "returned")
    other = nom.nomination_in(users, round_id, "team", "returned")
    close_submission_window(round_id)
    nom.ok(
        api_as(users["applicant_csf_br1"]).patch(
            f"/api/v1/nominations/{nid}/", {"deeds": nom.DEEDS["team"] + "补充：新增服务 12 次。"}, format="json"
        )
    )
    yesterday = lapse(Nomination, nid)
    response = nom.act(users, "applicant_csf_br1", nid, "resubmit")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        [f"补正期限已于 {yesterday.isoformat()} 届满，不能再提交；如需延期，请联系推荐单位"],
    )
    assert nom.act(users, "cast_staff", nid, "decline_lapsed", "逾期。").status_code == 404
    body = nom.ok(nom.act(users, "reviewer_csf", nid, "extend_revision", "延期。"))
    assert body["revision_due"] == default_due(today()).isoformat()
    assert nom.ok(nom.act(users, "applicant_csf_br1", nid, "resubmit"))["state"] == "submitted"

    lapse(Nomination, other)
    assert nom.ok(nom.act(users, "reviewer_csf", other, "decline_lapsed", "逾期未补正，不予推荐。"))["state"] == (
        "not_recommended"
    )
