"""Scheduled notices (定时发布): publishing with a later start day keeps the notice scheduled
(its records where they are); the beat task publishes it on its day through the same service,
once, as the staff member who scheduled it; a notice that cannot go public stays scheduled with
its reasons, and CAST staff are told once. Pages and API carry the day."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership, Role
from notices import services
from notices.models import NoticeStatus, PublicNotice
from notices.tasks import publish_due_notices, publish_scheduled_notice
from notifications.models import Channel, Notification
from tests.conftest import api_as
from tests.notices.helpers import bulletin, draft_notice, file_objection, reviewed_notice, row_counts, states
from workflows import services as workflow_services
from workflows.calendar import notice_end
from workflows.exceptions import InvalidInput, TransitionBlocked, TransitionConflict, TransitionForbidden
from workflows.models import AuditEvent

TITLE = "2026年度拟立项项目公示"


@pytest.fixture
def world(users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    b = bulletin(users, orgs, open_round, title="乙项目", org="GD-FISH")
    return SimpleNamespace(a=a, b=b, round=open_round, notice=reviewed_notice(users, open_round, [a, b]))


def today() -> dt.date:
    return timezone.localdate()


def later(days: int) -> dt.date:
    return today() + dt.timedelta(days=days)


def notice_events(notice: PublicNotice) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(record_type="notices.publicnotice", record_id=notice.pk).order_by("pk"))


def record_actions(record) -> list[str]:
    return list(
        AuditEvent.objects.filter(record_type="testapp.bulletin", record_id=record.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )


def scheduled(users, world, days: int = 3) -> PublicNotice:
    return services.notice_publish(notice=world.notice, actor=users["cast_staff"], starts_on=later(days).isoformat())


def come_due(notice: PublicNotice, day: dt.date | None = None) -> None:
    """Let the days pass until the notice's day (test setup only)."""
    PublicNotice.objects.filter(pk=notice.pk).update(scheduled_for=day or today())


def failure_notes() -> list[tuple[str, str, str]]:
    return list(
        Notification.objects.filter(message_key="notice_schedule_failed")
        .order_by("recipient__username", "channel")
        .values_list("recipient__username", "channel", "context__opinion")
    )


# -- scheduling ------------------------------------------------------------------------------


def test_a_later_start_day_schedules_the_notice_and_moves_nothing(users, world):
    notice = scheduled(users, world, days=3)
    assert (notice.status, notice.scheduled_for, notice.scheduled_by, notice.starts_on, notice.ends_on) == (
        NoticeStatus.SCHEDULED,
        later(3),
        users["cast_staff"],
        None,
        None,
    )
    assert (notice.published_at, notice.schedule_problems, notice.just_published) == (None, [], False)
    assert states(world.a, world.b) == ["proposed", "proposed"]
    assert record_actions(world.a) == ["propose", "checkpoint_pass"]
    event = notice_events(notice)[-1]
    assert (event.action, event.actor, event.actor_org, event.actor_role, event.from_state, event.to_state) == (
        "notice_scheduled",
        users["cast_staff"],
        "CAST",
        "cast_staff",
        "passed_review",
        "scheduled",
    )
    assert event.data == {
        "scheduled_for": later(3).isoformat(),
        "ends_on": notice_end(later(3), 5).isoformat(),
        "day_kind": "working",
    }
    # Not public yet: neither shown nor open for objections.
    assert APIClient().get(f"/api/v1/public/notices/{notice.pk}/").status_code == 404
    assert Client().get(f"/public/notices/{notice.pk}/").status_code == 404
    assert APIClient().get("/api/v1/public/notices/").json()["count"] == 0
    with pytest.raises(InvalidInput) as exc:
        file_objection(notice, notice.entries.first().pk)
    assert exc.value.errors[0] == "该公示不在公示期内，不接受异议"


def test_a_record_on_a_scheduled_notice_goes_on_no_other(users, orgs, world):
    scheduled(users, world)
    with pytest.raises(InvalidInput) as exc:
        draft_notice(users, world.round, [world.a], title="另一则公示")
    assert exc.value.errors == [f"《甲项目》：已在公示“{TITLE}”中"]


def test_publishing_today_or_with_no_day_publishes_at_once(users, world):
    notice = services.notice_publish(notice=world.notice, actor=users["cast_staff"], starts_on=today())
    assert (notice.status, notice.starts_on, notice.ends_on, notice.scheduled_for, notice.just_published) == (
        NoticeStatus.PUBLISHED,
        today(),
        notice_end(today(), 5),
        None,
        True,
    )
    assert states(world.a, world.b) == ["public_notice", "public_notice"]


def test_the_start_day_is_checked(users, world):
    before = row_counts()
    cases = {
        "2026-13-01": "“公示开始日期”必须是日期（YYYY-MM-DD）",
        "下周一": "“公示开始日期”必须是日期（YYYY-MM-DD）",
        (today() - dt.timedelta(days=1)).isoformat(): f"公示开始日期不得早于今天（{today().isoformat()}）",
        later(367).isoformat(): f"公示开始日期最晚为 {later(366).isoformat()}（366 天内）",
    }
    for value, message in cases.items():
        with pytest.raises(InvalidInput) as exc:
            services.notice_publish(notice=world.notice, actor=users["cast_staff"], starts_on=value)
        assert exc.value.errors == [message]
    assert row_counts() == before
    assert scheduled(users, world, days=366).scheduled_for == later(366)


def test_only_cast_staff_schedule(users, world):
    before = row_counts()
    for username in ("auditor", "content_cast", "applicant_csf_br1"):
        with pytest.raises(TransitionForbidden) as exc:
            services.notice_publish(notice=world.notice, actor=users[username], starts_on=later(2))
        assert exc.value.errors == ["只有中国科协工作人员可以发布公示"]
    assert row_counts() == before


def test_scheduling_checks_every_record_as_publishing_would(users, world):
    workflow_services.checkpoint_record(
        world.b, stage="publication", verdict="fail", opinion="摘要含不宜公开的信息", actor=users["content_cast"]
    )
    before = row_counts()
    with pytest.raises(TransitionBlocked) as exc:
        scheduled(users, world)
    assert exc.value.errors == ["《乙项目》：发布前内容审核未通过：摘要含不宜公开的信息"]
    assert row_counts() == before
    world.notice.refresh_from_db()
    assert (world.notice.status, world.notice.scheduled_for) == (NoticeStatus.PASSED_REVIEW, None)


def test_a_draft_cannot_be_scheduled(users, orgs, world):
    draft = draft_notice(users, world.round, [bulletin(users, orgs, world.round, title="丙项目")], title="草稿")
    with pytest.raises(TransitionConflict) as exc:
        services.notice_publish(notice=draft, actor=users["cast_staff"], starts_on=later(2))
    assert exc.value.errors == ["公示当前状态为“待发布前内容审核”，只有内容审核通过的公示可以发布"]


def test_a_scheduled_notice_is_moved_or_published_early(users, world):
    notice = scheduled(users, world, days=3)
    notice = services.notice_publish(notice=notice, actor=users["cast_staff"], starts_on=later(10))
    assert (notice.status, notice.scheduled_for) == (NoticeStatus.SCHEDULED, later(10))
    notice = services.notice_publish(notice=notice, actor=users["cast_staff"])
    assert (notice.status, notice.starts_on, notice.ends_on, notice.scheduled_for) == (
        NoticeStatus.PUBLISHED,
        today(),
        notice_end(today(), 5),
        later(10),
    )
    assert [(e.action, e.from_state, e.to_state) for e in notice_events(notice)] == [
        ("notice_created", "", "draft"),
        ("notice_review_pass", "draft", "passed_review"),
        ("notice_scheduled", "passed_review", "scheduled"),
        ("notice_scheduled", "scheduled", "scheduled"),
        ("notice_published", "scheduled", "published"),
    ]
    assert states(world.a, world.b) == ["public_notice", "public_notice"]
    # The task finds nothing left to do.
    come_due(notice)
    assert publish_due_notices() == {}
    assert publish_scheduled_notice(notice.pk) == "skipped"


def test_the_period_is_counted_by_the_rounds_day_kind(users, world):
    world.round.notice_day_kind = "calendar"
    world.round.notice_working_days = 10
    world.round.save()
    notice = scheduled(users, world, days=3)
    assert notice_events(notice)[-1].data == {
        "scheduled_for": later(3).isoformat(),
        "ends_on": later(12).isoformat(),
        "day_kind": "calendar",
    }
    notice = services.notice_publish(notice=notice, actor=users["cast_staff"])
    assert (notice.starts_on, notice.ends_on) == (today(), later(9))


# -- the beat task ---------------------------------------------------------------------------


def test_the_task_publishes_a_due_notice_once_as_its_scheduler(users, world):
    notice = scheduled(users, world, days=2)
    assert publish_due_notices() == {}  # not yet its day
    assert states(world.a, world.b) == ["proposed", "proposed"]
    come_due(notice)
    assert publish_due_notices() == {"published": 1}
    notice.refresh_from_db()
    assert (notice.status, notice.starts_on, notice.ends_on, notice.scheduled_for, notice.scheduled_by) == (
        NoticeStatus.PUBLISHED,
        today(),
        notice_end(today(), 5),
        today(),
        users["cast_staff"],
    )
    assert states(world.a, world.b) == ["public_notice", "public_notice"]
    published = AuditEvent.objects.get(record_type="testapp.bulletin", record_id=world.a.pk, action="publish_notice")
    assert (published.actor, published.actor_role, published.opinion) == (
        users["cast_staff"],
        "cast_staff",
        f"列入公示《{TITLE}》，公示期 {today().isoformat()} 至 {notice.ends_on.isoformat()}",
    )
    last = notice_events(notice)[-1]
    assert (last.action, last.actor, last.data) == (
        "notice_published",
        users["cast_staff"],
        {"starts_on": today().isoformat(), "ends_on": notice.ends_on.isoformat()},
    )
    # Again, and its single-notice task directly: nothing more happens.
    before = row_counts()
    assert publish_due_notices() == {}
    assert publish_scheduled_notice(notice.pk) == "skipped"
    assert row_counts() == before
    assert record_actions(world.a).count("publish_notice") == 1
    assert [e.action for e in notice_events(notice)].count("notice_published") == 1


def test_a_late_run_starts_the_period_on_the_day_it_publishes(users, world):
    notice = scheduled(users, world, days=2)
    come_due(notice, today() - dt.timedelta(days=3))  # the workers were down for three days
    assert publish_due_notices() == {"published": 1}
    notice.refresh_from_db()
    assert (notice.starts_on, notice.ends_on) == (today(), notice_end(today(), 5))


def test_a_notice_that_cannot_go_public_stays_scheduled_and_staff_are_told_once(users, world):
    notice = scheduled(users, world, days=2)
    workflow_services.checkpoint_record(
        world.b, stage="publication", verdict="fail", opinion="摘要含不宜公开的信息", actor=users["content_cast"]
    )
    come_due(notice)
    assert publish_due_notices() == {"failed": 1}
    notice.refresh_from_db()
    problem = "《乙项目》：发布前内容审核未通过：摘要含不宜公开的信息"
    assert (notice.status, notice.schedule_problems, notice.starts_on) == (NoticeStatus.SCHEDULED, [problem], None)
    assert states(world.a, world.b) == ["proposed", "proposed"]
    assert [e.action for e in notice_events(notice)][-1] == "notice_scheduled"
    # Every CAST staff member (the demo has one), in-app and by e-mail.
    assert failure_notes() == [
        ("cast_staff", Channel.EMAIL, problem),
        ("cast_staff", Channel.IN_APP, problem),
    ]
    note = Notification.objects.get(message_key="notice_schedule_failed", channel=Channel.IN_APP)
    assert note.context == {
        "title": TITLE,
        "action_label": "定时发布未成功",
        "opinion": problem,
        "url": f"{settings.SITE_URL.rstrip('/')}/public/manage/notices/{notice.pk}/",
    }
    # The next runs try again, tell no one twice.
    assert publish_due_notices() == {"failed": 1}
    assert len(failure_notes()) == 2
    # Fixed (a new passing verdict), the next run publishes and clears the problems.
    workflow_services.checkpoint_record(
        world.b, stage="publication", verdict="pass", opinion="已修改", actor=users["content_cast"]
    )
    assert publish_due_notices() == {"published": 1}
    notice.refresh_from_db()
    assert (notice.status, notice.schedule_problems) == (NoticeStatus.PUBLISHED, [])
    assert states(world.a, world.b) == ["public_notice", "public_notice"]


def test_a_scheduler_who_left_cannot_publish(users, world):
    notice = scheduled(users, world, days=2)
    Membership.objects.filter(user=users["cast_staff"], role=Role.CAST_STAFF).delete()
    come_due(notice)
    assert publish_scheduled_notice(notice.pk) == "failed"
    notice.refresh_from_db()
    assert notice.schedule_problems == [
        "设置定时发布的“赵强（中国科协）”已不是在岗的中国科协工作人员（角色已撤销或账号已停用），"
        "请由其他工作人员发布或重新设定日期"
    ]
    assert states(world.a, world.b) == ["proposed", "proposed"]


def test_the_beat_schedule_runs_the_task_every_ten_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["publish-scheduled-notices"]
    assert entry["task"] == "notices.tasks.publish_due_notices"
    assert (entry["schedule"].minute, entry["schedule"].hour) == (set(range(0, 60, 10)), set(range(24)))


# -- pages and API ---------------------------------------------------------------------------


def page(response) -> str:
    return response.content.decode()


def test_staff_schedule_on_the_page(client, users, world):
    client.force_login(users["cast_staff"])
    url = f"/public/manage/notices/{world.notice.pk}/"
    html = page(client.get(url))
    assert f'name="starts_on" type="date" required min="{later(1):%Y-%m-%d}" max="{later(366):%Y-%m-%d}">' in html
    assert "立即发布（今日开始公示）" in html and ">定时发布</button>" in html
    response = client.post(f"{url}publish/", {"starts_on": later(4).isoformat()}, follow=True)
    html = page(response)
    assert f"公示已定时，将于 {later(4).isoformat()} 自动发布" in html
    assert (
        f"定时发布：{later(4):%Y-%m-%d}（由 赵强（中国科协） 设置），届时系统自动发布，名单中的记录同时进入公示。"
        in html
    )
    end = notice_end(later(4), 5)
    assert f"按当前日历，公示期将为 {later(4):%Y-%m-%d} 至 {end:%Y-%m-%d}（5 个工作日）。" in html
    assert f'max="{later(366):%Y-%m-%d}" value="{later(4):%Y-%m-%d}">' in html and ">更改定时日期</button>" in html
    listing = page(client.get("/public/manage/notices/?status=scheduled"))
    assert f"定时 {later(4):%Y-%m-%d} 发布" in listing
    response = client.post(f"{url}publish/", {"starts_on": "2026-02-30"}, follow=True)
    assert "“公示开始日期”必须是日期（YYYY-MM-DD）" in page(response)
    assert PublicNotice.objects.get(pk=world.notice.pk).scheduled_for == later(4)


def test_the_page_shows_why_a_scheduled_notice_is_not_public(client, users, world):
    notice = scheduled(users, world, days=2)
    workflow_services.checkpoint_record(
        world.a, stage="publication", verdict="fail", opinion="名称有误", actor=users["content_cast"]
    )
    come_due(notice)
    publish_due_notices()
    client.force_login(users["auditor"])
    html = page(client.get(f"/public/manage/notices/{notice.pk}/"))
    assert "定时发布未成功" in html
    assert '<li class="error">《甲项目》：发布前内容审核未通过：名称有误</li>' in html
    assert 'name="starts_on"' not in html  # the auditor reads only


def test_the_api_schedules_and_shows_the_day(users, world):
    staff = api_as(users["cast_staff"])
    response = staff.post(
        f"/api/v1/notices/{world.notice.pk}/publish/", {"starts_on": later(5).isoformat()}, format="json"
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["scheduled_for"], body["scheduled_by"], body["schedule_problems"]) == (
        "scheduled",
        later(5).isoformat(),
        "cast_staff",
        [],
    )
    assert (body["starts_on"], body["ends_on"], body["day_kind"], body["calendar_warning"]) == (
        None,
        None,
        "working",
        None,
    )
    response = staff.post(f"/api/v1/notices/{world.notice.pk}/publish/", {"starts_on": "明天"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["“公示开始日期”必须是日期（YYYY-MM-DD）"])
    listing = api_as(users["auditor"]).get("/api/v1/notices/?").json()
    assert [(n["status"], n["scheduled_for"]) for n in listing["results"]] == [("scheduled", later(5).isoformat())]
    response = staff.post(f"/api/v1/notices/{world.notice.pk}/publish/", {}, format="json")
    assert (response.status_code, response.json()["status"], response.json()["starts_on"]) == (
        200,
        "published",
        today().isoformat(),
    )
