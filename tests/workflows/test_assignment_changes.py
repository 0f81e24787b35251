"""CAST staff withdraw an expert's open task, or give it to another expert, with a reason:
audited, the expert told, both halves of a replacement or neither — over the API, the pages
and the service."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from notifications.models import Notification
from tests.conftest import api_as
from tests.workflows.helpers import dossier_in
from workflows import services
from workflows.exceptions import InvalidInput, TransitionConflict, TransitionForbidden
from workflows.models import AuditEvent, ReviewAssignment


def in_review(users, orgs, open_round, *experts: str):
    record = dossier_in("recommended", users=users, orgs=orgs, round=open_round)
    staff = users["cast_staff"]
    services.transition(record, "start_expert_review", actor=staff)
    due = timezone.localdate() + dt.timedelta(days=7)
    tasks = [
        services.assignment_create(record, stage="expert", assignee=users[e], actor=staff, due_date=due)
        for e in experts
    ]
    record.refresh_from_db()
    return record, tasks


def events(record, action):
    return list(
        AuditEvent.objects.filter(record_type=record.record_type(), record_id=record.pk, action=action).order_by(
            "record_seq"
        )
    )


def test_withdraw_over_the_api_is_audited_and_tells_the_expert(users, orgs, open_round):
    record, [task] = in_review(users, orgs, open_round, "expert_2")
    url = f"/api/v1/dossiers/{record.pk}/assignments/{task.pk}/withdraw/"
    staff = api_as(users["cast_staff"])

    response = staff.post(url, {"reason": "  "}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["reason: 该字段不能为空。"])
    response = staff.post(url, {"reason": "x", "why": "?"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["未知的字段：why"])
    response = api_as(users["reviewer_csf"]).post(url, {"reason": "不合适"}, format="json")
    assert response.status_code == 404  # the reviewer does not see the record in expert review
    response = api_as(users["expert_2"]).post(url, {"reason": "我不评了"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (403, ["只有中国科协工作人员可以撤回评审任务"])
    assert ReviewAssignment.objects.get(pk=task.pk).status == "open"

    response = staff.post(url, {"reason": "专家因病无法评审"}, format="json")
    assert response.status_code == 200
    assert (response.json()["assignee"], response.json()["status"]) == ("expert_2", "withdrawn")
    [event] = events(record, "assignment_withdrawn")
    assert (event.opinion, event.data, event.actor_role, event.from_state, event.to_state) == (
        "专家因病无法评审",
        {"stage": "expert", "assignee": "expert_2"},
        "cast_staff",
        "expert_review",
        "expert_review",
    )
    told = Notification.objects.filter(recipient=users["expert_2"], message_key="assignment_withdrawn")
    assert told.count() >= 1
    # The expert no longer has the task, nor sees the record.
    assert api_as(users["expert_2"]).get("/api/v1/assignments/?status=open").json()["results"] == []
    assert api_as(users["expert_2"]).get(f"/api/v1/dossiers/{record.pk}/").status_code == 404

    again = staff.post(url, {"reason": "再撤一次"}, format="json")
    assert (again.status_code, again.json()["errors"]) == (409, ["该任务已不在待办状态，不能撤回"])
    assert len(events(record, "assignment_withdrawn")) == 1


def test_replace_moves_the_task_both_halves_or_neither(users, orgs, open_round):
    record, [task] = in_review(users, orgs, open_round, "expert_2")
    url = f"/api/v1/dossiers/{record.pk}/assignments/{task.pk}/replace/"
    staff = api_as(users["cast_staff"])

    # A conflicted expert: refused, and the old task is still open (nothing half-written).
    response = staff.post(url, {"assignee": "expert_5", "reason": "改派"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        ["专家五：利益冲突：专家所在单位即该记录的推荐单位"],
    )
    assert ReviewAssignment.objects.get(pk=task.pk).status == "open"
    assert events(record, "assignment_withdrawn") == []
    response = staff.post(url, {"assignee": "expert_2", "reason": "改派"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["请选择另一位评审专家"])
    response = staff.post(url, {"assignee": "nobody", "reason": "改派"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["用户“nobody”不存在"])
    response = staff.post(url, {"assignee": "expert_3"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0].startswith("reason: ")

    response = staff.post(url, {"assignee": "expert_3", "reason": "原专家逾期未评"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["assignee"], body["status"], body["due_date"]) == ("expert_3", "open", task.due_date.isoformat())
    rows = list(
        ReviewAssignment.objects.filter(record_type=record.record_type(), record_id=record.pk)
        .order_by("pk")
        .values_list("assignee__username", "status")
    )
    assert rows == [("expert_2", "withdrawn"), ("expert_3", "open")]
    actions = [e.action for e in AuditEvent.objects.filter(record_type=record.record_type(), record_id=record.pk)]
    assert actions[-2:] == ["assignment_withdrawn", "assign"]
    assert Notification.objects.filter(recipient=users["expert_3"], message_key="assigned").exists()
    assert Notification.objects.filter(recipient=users["expert_2"], message_key="assignment_withdrawn").exists()


def test_a_done_task_and_a_record_past_review_cannot_change(users, orgs, open_round):
    record, [done, open_task] = in_review(users, orgs, open_round, "expert_2", "expert_3")
    ReviewAssignment.objects.filter(pk=done.pk).update(status="done")
    staff = users["cast_staff"]
    try:
        services.assignment_withdraw(ReviewAssignment.objects.get(pk=done.pk), actor=staff, reason="x")
    except TransitionConflict as exc:
        assert exc.errors == ["该任务已不在待办状态，不能撤回"]
    else:
        raise AssertionError("a done task was withdrawn")
    services.transition(record, "reject", actor=staff, opinion="不予立项。")
    try:
        services.assignment_withdraw(open_task, actor=staff, reason="x")
    except TransitionConflict as exc:
        assert exc.errors == ["记录当前状态为“不予立项”，评审任务已不能变更"]
    else:
        raise AssertionError("a task of a closed record was withdrawn")
    try:
        services.assignment_withdraw(open_task, actor=users["reviewer_csf"], reason="x")
    except TransitionForbidden as exc:
        assert exc.errors == ["只有中国科协工作人员可以撤回评审任务"]
    else:
        raise AssertionError("a reviewer withdrew a task")
    try:
        services.assignment_withdraw(open_task, actor=staff, reason="长" * 5001)
    except InvalidInput as exc:
        assert exc.errors == ["意见不得超过 5000 个字符"]
    else:
        raise AssertionError("an over-long reason was taken")


def test_the_record_page_offers_withdraw_and_replace_to_cast_staff(client, users, orgs, open_round):
    from django.urls import reverse

    from workflows.registry import record_type_of

    record, [task] = in_review(users, orgs, open_round, "expert_2")
    rt = record_type_of(record)
    page = reverse(f"{rt.slug}:detail", args=[record.pk])
    change = reverse(f"{rt.slug}:assignment-change", args=[record.pk, task.pk])

    client.force_login(users["auditor"])
    assert change not in client.get(page).content.decode()
    assert client.post(change, {"action": "withdraw", "reason": "x"}).status_code == 404

    client.force_login(users["cast_staff"])
    body = client.get(page).content.decode()
    assert f'action="{change}"' in body and "撤回任务" in body and "改派" in body
    response = client.post(change, {"action": "replace", "reason": "改派", "assignee": ""})
    assert response.status_code == 302
    assert "请选择替换的评审专家" in client.get(page).content.decode()
    response = client.post(
        change, {"action": "replace", "reason": "原专家出差", "assignee": users["expert_3"].pk, "due_date": "x"}
    )
    assert "截止日期格式不正确（YYYY-MM-DD）" in client.get(page).content.decode()
    assert ReviewAssignment.objects.get(pk=task.pk).status == "open"
    response = client.post(change, {"action": "replace", "reason": "原专家出差", "assignee": users["expert_3"].pk})
    assert response.status_code == 302 and response["Location"].endswith("#experts")
    assert "已将专家二的评审任务改派给专家三" in client.get(page).content.decode()
    assert ReviewAssignment.objects.get(pk=task.pk).status == "withdrawn"
