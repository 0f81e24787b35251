"""The log of rule changes for the auditor: the page ``/manage/rules/log/`` and
``GET /api/v1/audit/rule-changes/`` list every rule-change event (rounds, sub-projects, units,
accounts and roles, terms, calendar entries) newest first, with what changed before and after
and the reason, filtered by subject type, action, actor and days; the auditor and CAST staff
only (others 404, the visitor to the login page or 401); bad filters all named at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from administration.audit import record_change, snapshot
from administration.rules import services
from tests.administration.rules.conftest import OUTSIDERS
from tests.conftest import api_as
from workflows.models import AuditEvent, Round, SensitiveTerm

URL = "/manage/rules/log/"
API = "/api/v1/audit/rule-changes/"


@pytest.fixture
def log(users, open_round):
    """Rule changes of four kinds: a round (appended as the rounds' services append theirs),
    a term created and changed, a calendar entry added and removed."""
    staff = users["cast_staff"]
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=open_round.pk)
        before = snapshot(locked, ["notice_working_days"])
        locked.notice_working_days = 7
        locked.save()
        record_change(
            locked, action="changed", actor=staff, before=before, after=snapshot(locked, ["notice_working_days"]),
            reason="延长公示期",
        )  # fmt: skip
    term = services.sensitive_term_create(
        actor=staff, data={"term": "神药", "severity": "block"}, client_ip="192.0.2.1"
    )
    services.sensitive_term_change(
        term=term, actor=staff, data={"term": "神药", "severity": "review", "reason": "误报较多，降级"}
    )
    entry = services.calendar_day_add(actor=staff, data={"date": "2027-02-08", "kind": "holiday", "note": "春节"})
    services.calendar_day_remove(entry=entry, actor=staff, reason="录错")
    return {"round": open_round, "term": term}


def page(response) -> str:
    return response.content.decode()


def ids(body: dict) -> list[tuple[str, str]]:
    return [(row["subject_type"], row["action"]) for row in body["results"]]


def test_who_sees_the_log(as_user, users, log):
    response = as_user(None).get(URL)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={URL}")
    for username in OUTSIDERS:
        assert as_user(username).get(URL).status_code == 404
    for username in ("auditor", "cast_staff"):
        assert as_user(username).get(URL).status_code == 200
    assert APIClient().get(API).status_code == 401
    for username in OUTSIDERS:
        response = api_as(users[username]).get(API)
        assert (response.status_code, response.json()["detail"]) == (404, "记录不存在或您无权查看")
    for username in ("auditor", "cast_staff"):
        assert api_as(users[username]).get(API).status_code == 200


def test_the_page_lists_every_change_with_before_after_and_reason(as_user, log):
    html = page(as_user("auditor").get(URL))
    assert "共 5 条记录。" in html
    order = [html.index(s) for s in ("日历调整：2027-02-08", "敏感词：神药", "批次：")]
    assert order == sorted(order)  # newest first
    assert "<li>严重程度：<del>须人工决定</del> → <ins>需人工审核</ins></li>" in html
    assert "误报较多，降级" in html
    assert "<li>公示期（天数）：<del>5</del> → <ins>7</ins></li>" in html and "延长公示期" in html
    # A removed entry is named by what its event said it was.
    assert "<li>日期：<del>2027-02-08</del> → —</li>" in html
    assert "<li>类型：<del>放假</del> → —</li>" in html
    assert "<td>删除</td>" in html and "<td>创建</td>" in html and "<td>修改</td>" in html


def test_the_page_filters(as_user, users, log):
    auditor = as_user("auditor")
    assert "共 2 条记录。" in page(auditor.get(f"{URL}?subject=workflows.sensitiveterm"))
    assert "共 1 条记录。" in page(auditor.get(f"{URL}?subject=workflows.calendarday&action=deleted"))
    html = page(auditor.get(f"{URL}?actor={users['cast_staff'].pk}&action=changed"))
    assert "共 2 条记录。" in html
    assert f'<option value="{users["cast_staff"].pk}" selected>' in html
    today = timezone.localdate()
    assert "共 5 条记录。" in page(auditor.get(f"{URL}?since={today}&until={today}"))
    assert "共 0 条记录。" in page(auditor.get(f"{URL}?until={today - dt.timedelta(days=1)}"))
    assert "共 0 条记录。" in page(auditor.get(f"{URL}?actor={users['auditor'].pk}"))


def test_bad_filters_are_all_named(as_user, users, log):
    response = as_user("auditor").get(f"{URL}?subject=workflows.job&action=fly&actor=me&since=2026-02-30&until=x")
    assert response.status_code == 400
    html = page(response)
    for message in (
        "未知的对象类型",
        "未知的操作",
        "“操作人”必须是非负整数",
        "“起始日期”必须是日期（YYYY-MM-DD）",
        "“截止日期”必须是日期（YYYY-MM-DD）",
    ):
        assert f"<li>{message}</li>" in html
    response = api_as(users["auditor"]).get(f"{API}?subject=workflows.job&action=fly&actor=me&since=2026-02-30&until=x")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        [
            "未知的对象类型",
            "未知的操作",
            "“操作人”必须是非负整数",
            "“起始日期”必须是日期（YYYY-MM-DD）",
            "“截止日期”必须是日期（YYYY-MM-DD）",
        ],
    )
    response = api_as(users["auditor"]).get(f"{API}?since=2026-12-02&until=2026-12-01")
    assert (response.status_code, response.json()["errors"]) == (400, ["起始日期不得晚于截止日期"])


def test_the_api_lists_and_filters(users, log):
    auditor = api_as(users["auditor"])
    body = auditor.get(API).json()
    assert body["count"] == 5
    assert ids(body) == [
        ("workflows.calendarday", "deleted"),
        ("workflows.calendarday", "created"),
        ("workflows.sensitiveterm", "changed"),
        ("workflows.sensitiveterm", "created"),
        ("workflows.round", "changed"),
    ]
    changed = body["results"][2]
    event = AuditEvent.objects.get(pk=changed["id"])
    assert changed == {
        "id": event.pk,
        "at": timezone.localtime(event.created_at).isoformat(),
        "subject_type": "workflows.sensitiveterm",
        "subject_type_label": "敏感词",
        "subject_id": log["term"].pk,
        "subject": "神药",
        "action": "changed",
        "action_label": "修改",
        "actor": "cast_staff",
        "actor_name": "赵强（中国科协）",
        "actor_org": "CAST",
        "actor_role": "cast_staff",
        "changes": {"severity": {"label": "严重程度", "before": "block", "after": "review"}},
        "reason": "误报较多，降级",
        "extra": {},
    }
    assert body["results"][0]["subject"] == "2027-02-08"
    filtered = auditor.get(API, {"subject": "workflows.sensitiveterm", "action": "created"}).json()
    assert ids(filtered) == [("workflows.sensitiveterm", "created")]
    assert auditor.get(API, {"actor": users["auditor"].pk}).json()["count"] == 0


def test_the_api_pages_by_twenty(users, log):
    for n in range(20):
        SensitiveTerm.objects.create(term=f"批量词{n:02d}")
        term = SensitiveTerm.objects.get(term=f"批量词{n:02d}")
        services.sensitive_term_disable(term=term, actor=users["cast_staff"], reason="批量停用")
    auditor = api_as(users["auditor"])
    first = auditor.get(API).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (25, 20, None)
    assert first["next"] == "http://testserver/api/v1/audit/rule-changes/?page=2"
    assert ids(first) == [("workflows.sensitiveterm", "disabled")] * 20
    second = auditor.get(first["next"]).json()
    assert ids(second) == [
        ("workflows.calendarday", "deleted"),
        ("workflows.calendarday", "created"),
        ("workflows.sensitiveterm", "changed"),
        ("workflows.sensitiveterm", "created"),
        ("workflows.round", "changed"),
    ]


def test_the_schema_documents_the_endpoint(users):
    schema = api_as(users["auditor"]).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/audit/rule-changes/"]["get"]
    assert sorted(p["name"] for p in operation["parameters"]) == [
        "action",
        "actor",
        "page",
        "since",
        "subject",
        "until",
    ]
    subject = next(p for p in operation["parameters"] if p["name"] == "subject")
    assert (
        "workflows.sensitiveterm" in subject["schema"]["enum"] and "workflows.calendarday" in subject["schema"]["enum"]
    )
    assert sorted(operation["responses"]) == ["200", "400", "401", "404"]
    page_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page_schema == "#/components/schemas/PaginatedRuleChangeList"
    fields = schema["components"]["schemas"]["RuleChange"]["properties"]
    assert {"subject", "action_label", "changes", "reason", "actor"} <= set(fields)
