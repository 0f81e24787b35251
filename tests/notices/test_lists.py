"""The notice lists: the public one searched by title, the staff one filtered by status and
title, both 20 a page and in a fixed number of queries however many notices there are."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notices.models import PublicNotice
from workflows.models import Round


def make(n: int, start: int, users, status: str = "published") -> None:
    """Test setup: notices as the services would have left them (published, with a period)."""
    round_ = Round.objects.get(kind="application")
    today = timezone.localdate()
    PublicNotice.objects.bulk_create(
        PublicNotice(
            round=round_,
            record_type="applications.application",
            title=f"{'拟立项' if i % 2 else '拟入选'}名单公示第{i:03d}号",
            status=status,
            created_by=users["cast_staff"],
            published_at=timezone.now() - dt.timedelta(minutes=i),
            starts_on=today,
            ends_on=today + dt.timedelta(days=7),
        )
        for i in range(start, start + n)
    )


def links(html: str, prefix: str) -> int:
    """Links to notices in the list's table (the navigation links elsewhere on the page aside)."""
    return html.split("<tbody>")[1].split("</tbody>")[0].count(f'href="{prefix}')


def queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_public_list_search_and_pages(client, users):
    make(25, 0, users)
    html = client.get("/public/notices/").content.decode()
    assert links(html, "/public/notices/") == 20 and "第 1 / 2 页" in html
    assert "拟入选名单公示第000号" in html  # newest first
    second = client.get("/public/notices/", {"page": 2}).content.decode()
    assert links(second, "/public/notices/") == 5 and "拟入选名单公示第024号" in second
    found = client.get("/public/notices/", {"q": "拟立项"}).content.decode()
    assert links(found, "/public/notices/") == 12 and "拟入选" not in found.split("<tbody>")[1]


def test_staff_list_filters_by_status(client, users):
    make(3, 0, users)
    make(2, 100, users, status="draft")
    client.force_login(users["cast_staff"])
    drafts = client.get("/public/manage/notices/", {"status": "draft"}).content.decode()
    assert links(drafts, "/public/manage/notices/") == 2
    titled = client.get("/public/manage/notices/", {"q": "第100号"}).content.decode()
    assert links(titled, "/public/manage/notices/") == 1


def test_lists_run_the_same_queries_for_10_and_100_notices(client, users):
    make(10, 0, users)
    client.force_login(users["cast_staff"])
    before = (queries(client, "/public/notices/"), queries(client, "/public/manage/notices/"))
    make(90, 10, users)
    assert (queries(client, "/public/notices/"), queries(client, "/public/manage/notices/")) == before
