"""Who hears of what, preferences and digests, delivery, the relay, reminders, the inbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Notification, Preference
from notifications.reminders import run_reminders
from notifications.tasks import MAX_ATTEMPTS, deliver_notification, relay_pending, send_digests
from tests.conftest import api_as, make_dossier, make_round
from tests.workflows.helpers import dossier_in
from workflows import services


def rows(key):
    return sorted(
        (n.recipient.username, n.channel, n.status, n.digest)
        for n in Notification.objects.filter(message_key=key).select_related("recipient")
    )


def test_submit_tells_the_recommending_units_reviewers_not_the_actor(users, orgs, open_round):
    dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    assert rows("submit") == [
        ("content_csf", "email", "pending", False),
        ("content_csf", "in_app", "sent", False),
        ("reviewer_csf", "email", "pending", False),
        ("reviewer_csf", "in_app", "sent", False),
    ]


def test_muted_kind_and_digest(users, orgs, open_round, django_capture_on_commit_callbacks, mailoutbox):
    api_as(users["reviewer_csf"]).put(
        "/api/v1/inbox/preferences/", {"email_muted": ["submit"], "daily_digest": False}, format="json"
    )
    api_as(users["content_csf"]).put(
        "/api/v1/inbox/preferences/", {"email_muted": [], "daily_digest": True}, format="json"
    )
    with django_capture_on_commit_callbacks(execute=True):
        dossier_in("submitted", users=users, orgs=orgs, round=open_round, title="乡村科普讲座一")
        dossier_in("submitted", users=users, orgs=orgs, round=open_round, title="乡村科普讲座二")
    assert rows("submit") == [
        ("content_csf", "email", "pending", True),
        ("content_csf", "email", "pending", True),
        ("content_csf", "in_app", "sent", False),
        ("content_csf", "in_app", "sent", False),
        ("reviewer_csf", "in_app", "sent", False),
        ("reviewer_csf", "in_app", "sent", False),
    ]
    assert mailoutbox == []
    assert send_digests() == 1
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["content_csf@demo.zhihui.local"], "【每日汇总】您有 2 条待处理消息")
    ]
    assert "【待审核】乡村科普讲座一 已提交" in mailoutbox[0].body
    assert "【待审核】乡村科普讲座二 已提交" in mailoutbox[0].body
    assert send_digests() == 0
    assert Notification.objects.filter(digest=True, status="sent").count() == 2


def test_preferences_api_refuses_bad_input(users):
    client = api_as(users["reviewer_csf"])
    response = client.put(
        "/api/v1/inbox/preferences/", {"email_muted": ["nonsense"], "daily_digest": "yes"}, format="json"
    )
    assert (response.status_code, response.json()["errors"]) == (
        400,
        ["未知的消息类型：nonsense", "daily_digest 必须是 true 或 false"],
    )
    response = client.put("/api/v1/inbox/preferences/", {"email_muted": "submit", "daily_digest": True}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["email_muted 必须是消息类型的列表"])
    assert Preference.objects.count() == 0
    assert client.get("/api/v1/inbox/preferences/").json()["daily_digest"] is False


def test_delivery_is_idempotent(users, orgs, open_round, mailoutbox):
    dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    row = Notification.objects.filter(message_key="submit", channel="email", recipient=users["reviewer_csf"]).get()
    assert deliver_notification.apply(args=[row.pk]).get() == "sent"
    assert deliver_notification.apply(args=[row.pk]).get() == "skipped"
    assert len(mailoutbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert mailoutbox[0].alternatives[0][1] == "text/html"


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def test_delivery_gives_up_after_max_attempts(users, orgs, open_round, settings):
    dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    row = Notification.objects.filter(message_key="submit", channel="email", recipient=users["reviewer_csf"]).get()
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.BrokenBackend"
    deliver_notification.apply(args=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (
        "failed",
        MAX_ATTEMPTS,
        "ConnectionRefusedError('smtp down')",
    )


def test_relay_sends_rows_left_pending_once(users, orgs, open_round, mailoutbox):
    dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    Notification.objects.filter(channel="email").update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert relay_pending() == 2
    assert relay_pending() == 0
    assert sorted(m.to[0] for m in mailoutbox) == ["content_csf@demo.zhihui.local", "reviewer_csf@demo.zhihui.local"]


def test_window_closing_reminders_once_per_record_and_occasion(users, orgs):
    today = timezone.localdate()
    closes = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=3), dt.time(17, 0)))
    round_ = make_round(
        submission_closes=closes,
        recommender_review_due=closes + dt.timedelta(days=10),
        cast_review_due=closes + dt.timedelta(days=20),
    )
    make_dossier(org=orgs["CSF-BR1"], user=users["applicant_csf_br1"], round=round_, title="未提交的草稿")
    first = run_reminders(today)
    assert first == {"window_closing": 2, "revision_due": 0, "assignment_overdue": 0, "notice_ended": 0}
    assert rows("window_closing") == [
        ("applicant_csf_br1", "email", "pending", False),
        ("applicant_csf_br1", "in_app", "sent", False),
    ]
    assert run_reminders(today) == {"window_closing": 0, "revision_due": 0, "assignment_overdue": 0, "notice_ended": 0}
    assert run_reminders(today + dt.timedelta(days=1)) == {
        "window_closing": 0,
        "revision_due": 0,
        "assignment_overdue": 0,
        "notice_ended": 0,
    }
    assert run_reminders(today + dt.timedelta(days=2))["window_closing"] == 2  # the 1-day reminder


def test_overdue_assignment_reminds_then_escalates(users, orgs, open_round):
    record = dossier_in("recommended", users=users, orgs=orgs, round=open_round)
    services.transition(record, "start_expert_review", actor=users["cast_staff"])
    due = timezone.localdate() + dt.timedelta(days=1)
    services.assignment_create(
        record, stage="expert", assignee=users["expert_2"], actor=users["cast_staff"], due_date=due
    )
    assert run_reminders(due)["assignment_overdue"] == 0
    assert run_reminders(due + dt.timedelta(days=1))["assignment_overdue"] == 2
    assert rows("assignment_overdue") == [
        ("expert_2", "email", "pending", False),
        ("expert_2", "in_app", "sent", False),
    ]
    assert run_reminders(due + dt.timedelta(days=2))["assignment_overdue"] == 0
    assert run_reminders(due + dt.timedelta(days=3))["assignment_overdue"] == 4
    assert rows("assignment_escalated") == [
        ("cast_staff", "email", "pending", False),
        ("cast_staff", "in_app", "sent", False),
        ("reviewer_csf", "email", "pending", False),
        ("reviewer_csf", "in_app", "sent", False),
    ]
    assert run_reminders(due + dt.timedelta(days=3))["assignment_overdue"] == 0


def test_inbox_pages(client, users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    services.transition(record, "return_for_revision", actor=users["reviewer_csf"], opinion="请补充绩效目标")
    client.force_login(users["applicant_csf_br1"])
    page = client.get("/notifications/").content.decode()
    assert "乡村科普讲座：退回修改" in page
    assert "请补充绩效目标" in page
    item = Notification.objects.get(recipient=users["applicant_csf_br1"], channel="in_app")
    response = client.post(f"/notifications/{item.pk}/read/", {"open": "1"})
    assert response["Location"] == f"/workflow/testapp.dossier/{record.pk}/"
    item.refresh_from_db()
    assert item.read_at is not None
    client.force_login(users["reviewer_csf"])
    client.post("/notifications/read-all/")
    assert Notification.objects.filter(recipient=users["reviewer_csf"], channel="in_app", read_at=None).count() == 0
    response = client.post("/notifications/preferences/", {"daily_digest": "on", "email_submit": "on"})
    pref = Preference.objects.get(user=users["reviewer_csf"])
    assert pref.daily_digest is True
    assert "submit" not in pref.email_muted
    assert "recommend" in pref.email_muted


@pytest.mark.parametrize("language,subject", [("zh-hans", "【请修改】乡村科普讲座 被退回修改"), ("en", None)])
def test_messages_in_the_recipients_language(users, orgs, open_round, mailoutbox, language, subject):
    from notifications.messages import render

    users["applicant_csf_br1"].language = language
    users["applicant_csf_br1"].save()
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round, title="<b>讲座</b>")
    services.transition(record, "return_for_revision", actor=users["reviewer_csf"], opinion="<script>x</script>")
    row = Notification.objects.get(recipient=users["applicant_csf_br1"], channel="email")
    got_subject, text, html = render(row.message_key, row.context, language)
    if language == "en":
        assert got_subject == "[Please revise] <b>讲座</b> returned for revision"
    else:
        assert got_subject == subject.replace("乡村科普讲座", "<b>讲座</b>")
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "<script>x</script>" in text
    assert mail.outbox == mailoutbox


def test_relay_leaves_a_retry_being_sent_and_one_waiting_out_its_back_off(users, orgs, open_round, mailoutbox):
    """Found by the reliability suite: "stuck" used to count from the row's creation and the
    back-off was not respected, so a late retry could be sent twice."""
    dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    now = timezone.now()
    old = now - dt.timedelta(hours=2)
    sending, waiting = Notification.objects.filter(channel="email").order_by("pk")
    # A retry claimed a minute ago on a row created two hours ago: still being sent.
    Notification.objects.filter(pk=sending.pk).update(
        created_at=old, status="sending", attempts=2, attempted_at=now - dt.timedelta(minutes=1)
    )
    # A failed attempt waiting out its back-off for another ten minutes.
    Notification.objects.filter(pk=waiting.pk).update(
        created_at=old, status="pending", attempts=1, next_attempt_at=now + dt.timedelta(minutes=10)
    )
    assert relay_pending() == 0
    assert Notification.objects.get(pk=sending.pk).status == "sending" and mailoutbox == []

    # Twenty minutes on: the claim is stuck (worker gone) and the back-off is over.
    Notification.objects.filter(pk=sending.pk).update(attempted_at=now - dt.timedelta(minutes=20))
    Notification.objects.filter(pk=waiting.pk).update(next_attempt_at=now - dt.timedelta(seconds=1))
    assert relay_pending() == 2
    assert Notification.objects.filter(channel="email", status="sent").count() == 2
    assert len(mailoutbox) == 2
