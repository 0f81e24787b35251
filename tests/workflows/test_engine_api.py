"""Engine-wide endpoints: token, rounds, assignments, inbox — and their bad input."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from notifications.models import Notification
from tests.conftest import api_as, make_round
from tests.workflows.helpers import dossier_in
from workflows.models import ReviewAssignment


def test_token_auth(users):
    client = api_as(None)
    response = client.post("/api/v1/auth/token/", {"username": "cast_staff", "password": "zhihui-demo"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/rounds/").status_code == 200
    bad = api_as(None).post("/api/v1/auth/token/", {"username": "cast_staff", "password": "x"}, format="json")
    assert (bad.status_code, bad.json()["errors"]) == (400, ["无法使用提供的认证信息登录。"])
    missing = api_as(None).post("/api/v1/auth/token/", {}, format="json")
    assert (missing.status_code, missing.json()["errors"]) == (
        400,
        ["username: 该字段是必填项。", "password: 该字段是必填项。"],
    )
    assert api_as(None).get("/api/v1/rounds/").status_code == 401


def test_rounds_lists_open_and_past_not_future(users):
    now = timezone.now()
    make_round(
        title="未来批次",
        submission_opens=now + dt.timedelta(days=5),
        submission_closes=now + dt.timedelta(days=10),
        recommender_review_due=now + dt.timedelta(days=11),
        cast_review_due=now + dt.timedelta(days=12),
    )
    data = api_as(users["applicant_xuwen"]).get("/api/v1/rounds/").json()
    titles = [r["title"] for r in data["results"]]
    assert "未来批次" not in titles
    year = timezone.localdate().year
    assert sorted(titles) == sorted([f"{year}年度科技志愿服务“智惠行动”项目", f"{year}年度科技志愿服务“四个十佳”选树"])
    application_round = next(r for r in data["results"] if r["kind"] == "application")
    assert application_round["is_open"] is True
    assert application_round["settings"]["name_max_length"] == 20


def test_assignments_endpoint(users, orgs, open_round):
    record = dossier_in("recommended", users=users, orgs=orgs, round=open_round)
    staff = api_as(users["cast_staff"])
    staff.post(f"/api/v1/dossiers/{record.pk}/transitions/start_expert_review/", {}, format="json")
    url = f"/api/v1/dossiers/{record.pk}/assignments/"
    response = staff.post(url, {"stage": "expert", "assignee": "expert_5"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        ["专家五：利益冲突：专家所在单位即该记录的推荐单位"],
    )
    response = staff.post(url, {"stage": "expert", "assignee": "nobody"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["用户“nobody”不存在"])
    response = staff.post(url, {"stage": "expert", "assignee": "expert_2", "due_date": "not a date"}, format="json")
    assert response.status_code == 400
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = staff.post(url, {"stage": "expert", "assignee": "expert_2", "due_date": past}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["截止日期不能早于今天"])
    assert ReviewAssignment.objects.count() == 0
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    response = staff.post(url, {"stage": "expert", "assignee": "expert_2", "due_date": due}, format="json")
    assert response.status_code == 201
    assert (response.json()["assignee"], response.json()["status"], response.json()["due_date"]) == (
        "expert_2",
        "open",
        due,
    )
    # the expert sees it as a task and can now see the record
    mine = api_as(users["expert_2"]).get("/api/v1/assignments/").json()["results"]
    assert [(a["record_id"], a["stage"]) for a in mine] == [(record.pk, "expert")]
    assert api_as(users["expert_2"]).get(f"/api/v1/dossiers/{record.pk}/").status_code == 200
    assert api_as(users["expert_3"]).get(f"/api/v1/dossiers/{record.pk}/").status_code == 404
    # a reviewer may not assign
    response = api_as(users["reviewer_csf"]).post(url, {"stage": "expert", "assignee": "expert_3"}, format="json")
    assert response.status_code == 403
    assert ReviewAssignment.objects.count() == 1


def test_inbox(users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    api_as(users["reviewer_csf"]).post(
        f"/api/v1/dossiers/{record.pk}/transitions/return_for_revision/", {"opinion": "请补充预算"}, format="json"
    )
    client = api_as(users["applicant_csf_br1"])
    inbox = client.get("/api/v1/inbox/").json()
    assert inbox["unread_count"] == 1
    item = inbox["results"][0]
    assert (item["message_key"], item["context"]["opinion"], item["read"]) == (
        "return_for_revision",
        "请补充预算",
        False,
    )
    assert api_as(users["applicant_gd_fish"]).post(f"/api/v1/inbox/{item['id']}/read/").status_code == 404
    assert client.post(f"/api/v1/inbox/{item['id']}/read/").json() == {"updated": 1}
    assert client.post(f"/api/v1/inbox/{item['id']}/read/").json() == {"updated": 0}
    assert client.get("/api/v1/inbox/").json()["unread_count"] == 0
    reviewer = api_as(users["reviewer_csf"])
    unread = reviewer.get("/api/v1/inbox/").json()["unread_count"]
    assert unread == Notification.objects.filter(recipient=users["reviewer_csf"], channel="in_app").count()
    assert reviewer.post("/api/v1/inbox/read-all/").json() == {"updated": unread}
    assert reviewer.get("/api/v1/inbox/").json()["unread_count"] == 0


def test_client_ip_behind_trusted_proxies(rf, settings):
    from common.http import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.2", REMOTE_ADDR="10.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 5
    assert client_ip(request) == "10.0.0.1"
