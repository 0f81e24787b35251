""" "My tasks" (我的任务): the expert's assignments with the record's name, filtered by status
and stage, sorted by due date, 20 a page, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import api_as
from tests.nominations.helpers import nomination_in
from workflows.models import AssignmentStatus, ReviewAssignment, Round


def names(html: str) -> list[str]:
    body = re.search(r'<table id="tasks">.*?<tbody>(.*?)</tbody>', html, re.S)
    return (
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<th scope="row">(.*?)</th>', body.group(1), re.S)]
        if body
        else []
    )


def test_tasks_show_the_records_filtered_and_sorted(client, users):
    round_id = Round.objects.get(kind="selection").pk
    today = timezone.localdate()
    staff = api_as(users["cast_staff"])
    ids = []
    for category, days in (("volunteer", 5), ("team", 1)):
        nid = nomination_in(users, round_id, category, "expert_review")
        due = (today + dt.timedelta(days=days)).isoformat()
        body = {"stage": "expert", "assignee": "expert_1", "due_date": due}
        assert staff.post(f"/api/v1/nominations/{nid}/assignments/", body, format="json").status_code == 201
        ids.append(nid)
    # Test setup: time passes, the team's task is now two days overdue (a past date is refused).
    ReviewAssignment.objects.filter(record_id=ids[1]).update(due_date=today - dt.timedelta(days=2))
    client.force_login(users["expert_1"])

    html = client.get("/workflow/tasks/").content.decode()
    # Open tasks, soonest due first: the overdue one on top, marked.
    assert names(html) == ["菠萝之乡科技志愿服务队", "林海燕"]
    assert html.count("已逾期") == 1 and "专家评审" in html
    assert names(client.get("/workflow/tasks/", {"ordering": "-due"}).content.decode()) == [
        "林海燕",
        "菠萝之乡科技志愿服务队",
    ]
    assert names(client.get("/workflow/tasks/", {"status": "done"}).content.decode()) == []
    assert "暂无任务。" in client.get("/workflow/tasks/", {"status": "done"}).content.decode()
    # Another expert sees none of them.
    client.force_login(users["expert_2"])
    assert names(client.get("/workflow/tasks/", {"status": "all"}).content.decode()) == []


def _queries(client) -> int:
    client.get("/workflow/tasks/?status=all")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/workflow/tasks/?status=all").status_code == 200
    return len(captured)


def test_tasks_page_runs_the_same_queries_for_10_and_100_tasks(client, users):
    expert = users["expert_1"]

    def add(n: int, start: int) -> None:
        ReviewAssignment.objects.bulk_create(
            ReviewAssignment(
                record_type="nominations.nomination",
                record_id=100000 + i,
                stage="expert",
                assignee=expert,
                assigned_by=users["cast_staff"],
                status=AssignmentStatus.DONE,
            )
            for i in range(start, start + n)
        )

    add(10, 0)
    client.force_login(expert)
    ten = _queries(client)
    add(90, 10)
    html = client.get("/workflow/tasks/?status=all").content.decode()
    assert "共 100 项任务。" in html and "第 1 / 5 页" in html
    assert _queries(client) == ten
