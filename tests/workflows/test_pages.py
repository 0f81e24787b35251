"""The engine's pages: login, home, the generic record page with its action fragment,
content-review form and history; Chinese by default, English when chosen."""

from __future__ import annotations

import re

from tests.workflows.helpers import dossier_in
from workflows.models import AuditEvent, Checkpoint


def login(client, user):
    client.force_login(user)
    return client


def test_login_page_and_demo_login(client, users):
    response = client.get("/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()
    response = client.post("/login/", {"username": "reviewer_csf", "password": "zhihui-demo"})
    assert (response.status_code, response["Location"]) == (302, "/")
    response = client.post("/login/", {"username": "reviewer_csf", "password": "wrong"})
    assert "用户名或密码不正确，请重试。" in response.content.decode()


def test_home_requires_login_and_shows_role(client, users):
    assert client.get("/")["Location"] == "/login/?next=/"
    page = login(client, users["reviewer_csf"]).get("/").content.decode()
    assert "推荐单位审核人（中国水产学会）" in page


def test_record_page_shows_actions_blocked_reasons_and_history(client, users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    response = login(client, users["reviewer_csf"]).get(f"/workflow/testapp.dossier/{record.pk}/", follow=True)
    # A declared record type has a page of its own (the registry's): the engine's sends there.
    assert response.redirect_chain == [(f"/dossiers/{record.pk}/", 302)]
    page = response.content.decode()
    assert "已提交（待推荐单位审核）" in page
    assert "推荐单位内容审核尚未完成（当前版本）" in page  # recommend greyed with its reason
    assert re.search(r"<button type=\"submit\" disabled aria-disabled=\"true\">推荐 →", page)
    assert "退回修改 → 退回修改" in page
    assert "提交：草稿 → 已提交（待推荐单位审核）" in page


def test_record_page_is_404_outside_scope(client, users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    for username in ("applicant_gd_fish", "reviewer_gd_cast", "cast_staff", "expert_1"):
        client.force_login(users[username])
        assert client.get(f"/workflow/testapp.dossier/{record.pk}/").status_code == 404
        assert (
            client.post(f"/workflow/testapp.dossier/{record.pk}/transition/decline/", {"opinion": "x"}).status_code
            == 404
        )
    assert client.get("/workflow/accounts.user/1/").status_code == 404
    record.refresh_from_db()
    assert record.state == "submitted"


def test_transition_form_performs_and_reports(client, users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    login(client, users["reviewer_csf"])
    url = f"/workflow/testapp.dossier/{record.pk}/transition/return_for_revision/"
    response = client.post(url, {"opinion": ""}, follow=True)
    assert "请填写意见" in response.content.decode()
    record.refresh_from_db()
    assert record.state == "submitted"
    response = client.post(url, {"opinion": "请补充服务对象", "next": "https://evil.example/"}, follow=True)
    # Not to another host: back to the record (the engine's address, which sends to its page).
    assert [url for url, _status in response.redirect_chain] == [
        f"/workflow/testapp.dossier/{record.pk}/",
        f"/dossiers/{record.pk}/",
    ]
    assert "操作已完成" in response.content.decode()
    record.refresh_from_db()
    assert record.state == "returned"
    assert (
        AuditEvent.objects.filter(record_id=record.pk, action="return_for_revision").get().opinion == "请补充服务对象"
    )


def test_content_review_form(client, users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    login(client, users["content_csf"])
    url = f"/workflow/testapp.dossier/{record.pk}/content-review/"
    response = client.post(url, {"stage": "recommender", "verdict": "pass", "opinion": ""}, follow=True)
    assert "请填写审核意见" in response.content.decode()
    response = client.post(url, {"stage": "recommender", "verdict": "pass", "opinion": "无问题"}, follow=True)
    assert "内容审核结论已记录" in response.content.decode()
    assert Checkpoint.objects.filter(stage="recommender", verdict="pass", record_id=record.pk).count() == 1


def test_csrf_is_enforced_on_forms(users, orgs, open_round):
    from django.test import Client

    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["reviewer_csf"])
    response = client.post(f"/workflow/testapp.dossier/{record.pk}/transition/decline/", {"opinion": "x"})
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.state == "submitted"


def test_language_switch_to_english(client, users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    login(client, users["reviewer_csf"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/workflow/testapp.dossier/{record.pk}/", follow=True).content.decode()
    assert "Recommending unit content review not yet done (current revision)" in page
    assert 'lang="en"' in page


def test_openapi_schema_and_docs(client, users):
    login(client, users["auditor"])
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/rounds/",
        "/api/v1/inbox/",
        "/api/v1/inbox/read-all/",
        "/api/v1/inbox/{id}/read/",
        "/api/v1/assignments/",
    ):
        assert path in paths
    docs = client.get("/api/docs/").content.decode()
    assert "static/drf_spectacular_sidecar/swagger-ui-dist" in docs
    assert "cdn" not in docs.lower()
