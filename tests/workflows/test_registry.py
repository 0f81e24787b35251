"""A third record type needs nothing but its declaration: the test-only ``DossierType``
(tests/testapp/records.py) brings a model, a flow and a Django form, and the registry gives it
its pages under ``/dossiers/`` and its API under ``/api/v1/dossiers/`` — proved over HTTP, as
each role would use them, in Chinese by default and in English when chosen."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import api_as, make_dossier, make_round
from tests.testapp.models import Dossier, DossierFlow
from tests.testapp.records import DossierForm, DossierType
from tests.workflows.helpers import dossier_in
from workflows.models import AuditEvent, Round
from workflows.registry import record_type_by_slug, record_type_of, record_types

API = "/api/v1/dossiers/"
LABEL = "testapp.dossier"
APPLICANT = "applicant_csf_br1"
LONG_TITLE = "长" * 101
TOO_LONG = "标题：确保该变量包含不超过 100 字符 (目前字符数 101)。"
TOO_LONG_EN = "Title: Ensure this value has at most 100 characters (it has 101)."


# -- helpers -----------------------------------------------------------------------------------


def page_client(user: Any = None, *, language: str | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    if language:
        client.cookies["django_language"] = language  # as the language switch sets it
    return client


def text_of(html: str) -> str:
    """The page's text, tags dropped and whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def refused(response: Any, status: int = 400) -> list[str]:
    """The error list of a refused API request (its detail is the first of them)."""
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert body["detail"] == body["errors"][0]
    return body["errors"]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content)
    return response.json()


def form_errors_on_page(html: str) -> list[str]:
    summary = re.search(r'<div class="card error-summary".*?</div>', html, re.S)
    assert summary is not None, html
    return [unescape(e) for e in re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)]


def messages_on_page(html: str) -> list[str]:
    block = re.search(r'<ul class="messages".*?</ul>', html, re.S)
    return [] if block is None else [unescape(m) for m in re.findall(r"<li[^>]*>(.*?)</li>", block.group(0), re.S)]


def state_of(pk: int) -> str:
    return Dossier.objects.get(pk=pk).state


def counts() -> tuple[int, int]:
    return Dossier.objects.count(), AuditEvent.objects.filter(record_type=LABEL).count()


def without_times(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in {"created_at", "updated_at", "current_revision_hash"}}


@pytest.fixture
def seed_round(users) -> Round:
    """The demo's open application round (seed_demo)."""
    return Round.objects.get(kind="application", title__endswith="年度科技志愿服务“智惠行动”项目")


@pytest.fixture
def applicant(users) -> Any:
    return users[APPLICANT]


# -- the registry ------------------------------------------------------------------------------


def test_the_registry_returns_the_declaration(db):
    rt = record_type_by_slug("dossiers")
    assert isinstance(rt, DossierType)
    assert record_type_of(Dossier) is rt
    assert record_type_of(Dossier(title="x")) is rt
    assert record_type_of(LABEL) is rt
    assert rt in record_types()
    assert record_type_by_slug("no-such-type") is None
    assert record_type_of("testapp.nosuch") is None
    assert (rt.label, rt.model_name, rt.slug, rt.flow_class, rt.form_class) == (
        LABEL,
        "dossier",
        "dossiers",
        DossierFlow,
        DossierForm,
    )
    # The declaration brings the model, the flow (through the model) and the form; the
    # serializers were made by ``register`` from the model's content fields and the form.
    declared = {k for k in vars(DossierType) if not k.startswith("__")}
    assert declared == {
        "model",
        "slug",
        "noun",
        "noun_plural",
        "title",
        "menu_title",
        "name_field",
        "search_fields",
        "form_class",
        "serializer",
        "list_serializer",
        "write_serializer",
    }
    assert (rt.serializer.__name__, rt.list_serializer.__name__, rt.write_serializer.__name__) == (
        "DossierSerializer",
        "DossierListSerializer",
        "DossierWriteSerializer",
    )
    assert list(rt.write_serializer().fields) == ["round", "organization", "title", "body"]
    assert rt.filter_names() == ["state", "round", "q", "ordering"]
    # Its page URLs, in its own namespace.
    assert [reverse(f"dossiers:{name}") for name in ("list", "new", "ranking", "bulk")] == [
        "/dossiers/",
        "/dossiers/new/",
        "/dossiers/ranking/",
        "/dossiers/bulk/",
    ]
    assert [reverse(f"dossiers:{name}", args=[7]) for name in ("detail", "edit", "score", "assign")] == [
        "/dossiers/7/",
        "/dossiers/7/edit/",
        "/dossiers/7/score/",
        "/dossiers/7/assign/",
    ]


# -- pages: the applicant ----------------------------------------------------------------------


def test_anonymous_pages_redirect_to_login(users, orgs, open_round):
    record = make_dossier(org=orgs["CSF-BR1"], user=users[APPLICANT], round=open_round)
    client = page_client()
    for url in ("/dossiers/", "/dossiers/new/", f"/dossiers/{record.pk}/", f"/dossiers/{record.pk}/edit/"):
        response = client.get(url)
        assert (url, response.status_code, response["Location"]) == (url, 302, f"/login/?next={url}")
    response = client.post("/dossiers/new/", {"round": open_round.pk, "title": "匿名"})
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/dossiers/new/")
    assert Dossier.objects.count() == 1


def test_list_page_shows_the_applicants_records_and_scope_note(users, orgs, open_round, applicant):
    own = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round, title="本单位卷宗")
    make_dossier(org=orgs["GD-FISH"], user=users["applicant_gd_fish"], round=open_round, title="别的单位卷宗")
    response = page_client(applicant).get("/dossiers/")
    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == ["workflows/records/list.html", "base.html"]
    html = response.content.decode()
    assert "<h1>卷宗</h1>" in html
    assert '<p class="scope-note">本单位的卷宗，含状态和下一步可办理的操作。</p>' in html
    assert '<a class="button-link" href="/dossiers/new/">新建卷宗</a>' in html
    assert [r["record"].pk for r in response.context["rows"]] == [own.pk]
    assert f'<a href="/dossiers/{own.pk}/">本单位卷宗</a>' in html
    assert "别的单位卷宗" not in html
    assert '<p class="count">共 1 条卷宗</p>' in html
    row = response.context["rows"][0]
    assert (row["state_label"], row["next_steps"]) == ("草稿", ["提交", "撤回"])


def test_list_page_of_cast_staff_offers_bulk_actions(users, orgs, open_round):
    make_dossier(org=orgs["CSF-BR1"], user=users[APPLICANT], round=open_round, title="草稿不给科协看")
    recommended = dossier_in("recommended", users=users, orgs=orgs, round=open_round, title="已推荐卷宗")
    response = page_client(users["cast_staff"]).get("/dossiers/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="scope-note">已推荐（待中国科协审核）及之后各阶段的全部卷宗。</p>' in html
    assert [r["record"].pk for r in response.context["rows"]] == [recommended.pk]
    assert "草稿不给科协看" not in html
    assert response.context["bulk_choices"] == [
        ("approve", "批准立项"),
        ("reject", "不予立项"),
        ("start_expert_review", "送专家评审"),
        ("assign_experts", "分配评审专家"),
    ]
    assert '<form method="post" action="/dossiers/bulk/">' in html
    assert f'<input type="checkbox" name="ids" value="{recommended.pk}" id="sel-{recommended.pk}">' in html
    assert "新建卷宗" not in html  # CAST staff do not create


def test_list_page_filters(users, orgs, open_round, applicant):
    org = orgs["CSF-BR1"]
    first = make_dossier(org=org, user=applicant, round=open_round, title="鱼苗养殖培训")
    second = make_dossier(org=org, user=applicant, round=open_round, title="防汛科普讲座")
    third = make_dossier(org=org, user=applicant, round=open_round, title="鱼病防治")
    api_as(applicant).post(f"{API}{third.pk}/transitions/submit/", {}, format="json")
    assert state_of(third.pk) == "submitted"
    client = page_client(applicant)

    def rows(query: str) -> list[int]:
        response = client.get(f"/dossiers/?{query}")
        assert response.status_code == 200
        return [r["record"].pk for r in response.context["rows"]]

    assert rows("") == [third.pk, second.pk, first.pk]
    assert rows("state=draft") == [second.pk, first.pk]
    assert rows("state=submitted") == [third.pk]
    assert rows("q=鱼") == [third.pk, first.pk]
    assert rows("q=鱼&state=draft") == [first.pk]
    assert rows("ordering=created") == [first.pk, second.pk, third.pk]
    assert rows(f"round={open_round.pk}&ordering=created") == [first.pk, second.pk, third.pk]
    html = client.get("/dossiers/?state=submitted&q=鱼").content.decode()
    assert '<option value="submitted" selected>已提交（待推荐单位审核）</option>' in html
    assert 'name="q" value="鱼"' in html


def test_new_page_offers_the_open_rounds(users, open_round, seed_round, applicant):
    now = timezone.now()
    closed = make_round(
        title="已截止批次", submission_opens=now - dt.timedelta(days=30), submission_closes=now - dt.timedelta(days=1)
    )
    response = page_client(applicant).get("/dossiers/new/")
    assert response.status_code == 200
    assert response.templates[0].name == "workflows/records/form.html"
    choose = response.context["choose"]
    assert list(choose.fields) == ["round"]  # one unit: nothing to choose there
    assert [(str(v), str(label)) for v, label in choose.fields["round"].choices] == [
        ("", "— 请选择 —"),
        (str(open_round.pk), open_round.title),
        (str(seed_round.pk), seed_round.title),
    ]
    html = response.content.decode()
    assert "<h1>新建卷宗</h1>" in html
    assert f'<option value="{closed.pk}"' not in html
    assert '<select name="round" id="id_round">' in html
    assert '<input type="text" name="title" maxlength="100" id="id_title">' in html
    assert '<textarea name="body" cols="40" rows="10" id="id_body">' in html
    assert "<legend>批次</legend>" in html
    assert "<legend>卷宗</legend>" in html


def test_new_page_refuses_bad_input_listing_every_error(users, open_round, applicant):
    before = counts()
    response = page_client(applicant).post("/dossiers/new/", {"round": "", "title": LONG_TITLE, "body": "正文"})
    assert response.status_code == 400
    html = response.content.decode()
    assert form_errors_on_page(html) == ["请选择有效的批次", TOO_LONG]
    assert "有 2 处需要修改，卷宗尚未保存：" in html
    # What was typed is kept.
    assert f'value="{LONG_TITLE}"' in html
    assert ">\n正文</textarea>" in html
    assert counts() == before
    # A round the page does not offer (the demo's selection round) is not taken either.
    selection = Round.objects.get(kind="selection")
    response = page_client(applicant).post("/dossiers/new/", {"round": selection.pk, "title": "标题"})
    assert (response.status_code, form_errors_on_page(response.content.decode())) == (
        400,
        [f"批次：选择一个有效的选项。 {selection.pk} 不在可用的选项中。"],
    )
    assert counts() == before


def test_new_page_creates_a_draft_and_shows_it(users, orgs, open_round, applicant):
    client = page_client(applicant)
    response = client.post("/dossiers/new/", {"round": open_round.pk, "title": "乡村科普讲座", "body": "水产培训"})
    record = Dossier.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/dossiers/{record.pk}/")
    assert (record.title, record.body, record.state, record.round, record.organization, record.created_by) == (
        "乡村科普讲座",
        "水产培训",
        "draft",
        open_round,
        orgs["CSF-BR1"],
        applicant,
    )
    assert record.recommending_unit == orgs["CSF"]
    event = AuditEvent.objects.get(record_type=LABEL, record_id=record.pk)
    assert (event.action, event.actor_id, event.to_state, event.data) == (
        "create",
        applicant.pk,
        "draft",
        {"name": "乡村科普讲座"},
    )

    response = client.get(f"/dossiers/{record.pk}/")
    assert response.status_code == 200
    assert response.templates[0].name == "workflows/records/detail.html"
    html = response.content.decode()
    assert messages_on_page(html) == ["卷宗已保存为草稿。"]
    assert "<h1>乡村科普讲座</h1>" in html
    text = text_of(html)
    assert "当前状态 草稿" in text
    assert f"批次 {open_round.title}" in text
    assert "申报单位 中国水产学会科普工作委员会" in text
    assert "推荐单位 中国水产学会" in text
    assert "卷宗内容 标题 乡村科普讲座 正文 水产培训" in text
    assert f'<a class="button-link" href="/dossiers/{record.pk}/edit/">修改卷宗</a>' in html


def test_edit_page_changes_the_draft_and_records_the_fields(users, orgs, open_round, applicant):
    record = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round, title="旧标题", body="正文不变")
    client = page_client(applicant)
    url = f"/dossiers/{record.pk}/edit/"

    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>修改卷宗：旧标题</h1>" in html
    assert 'name="title" value="旧标题"' in html
    assert ">\n正文不变</textarea>" in html
    assert 'name="round"' not in html  # the round is chosen once

    before = counts()
    response = client.post(url, {"title": LONG_TITLE, "body": "正文不变"})
    assert response.status_code == 400
    assert form_errors_on_page(response.content.decode()) == [TOO_LONG]
    assert counts() == before
    assert Dossier.objects.get(pk=record.pk).title == "旧标题"

    response = client.post(url, {"title": "新标题", "body": "正文不变"})
    assert (response.status_code, response["Location"]) == (302, f"/dossiers/{record.pk}/")
    record.refresh_from_db()
    assert (record.title, record.body, record.state) == ("新标题", "正文不变", "draft")
    edit = AuditEvent.objects.get(record_type=LABEL, record_id=record.pk, action="edit")
    assert (edit.actor_id, edit.from_state, edit.to_state, edit.data) == (
        applicant.pk,
        "draft",
        "draft",
        {"fields": ["title"]},
    )
    html = client.get(f"/dossiers/{record.pk}/").content.decode()
    assert messages_on_page(html) == ["卷宗已保存"]
    assert "<h1>新标题</h1>" in html

    # Both fields at once are both named.
    client.post(url, {"title": "第三个标题", "body": "新的正文"})
    edits = AuditEvent.objects.filter(record_type=LABEL, record_id=record.pk, action="edit").order_by("pk")
    assert [e.data for e in edits] == [{"fields": ["title"]}, {"fields": ["body", "title"]}]


def test_edit_page_once_submitted_says_why_not(users, orgs, open_round, applicant):
    record = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round)
    ok(api_as(applicant).post(f"{API}{record.pk}/transitions/submit/", {}, format="json"))
    client = page_client(applicant)
    for response in (
        client.get(f"/dossiers/{record.pk}/edit/"),
        client.post(f"/dossiers/{record.pk}/edit/", {"title": "改", "body": "改"}),
    ):
        assert (response.status_code, response["Location"]) == (302, f"/dossiers/{record.pk}/")
    html = client.get(f"/dossiers/{record.pk}/").content.decode()
    assert messages_on_page(html) == ["卷宗当前状态为“已提交（待推荐单位审核）”，不能修改"] * 2
    assert "修改卷宗</a>" not in html
    assert Dossier.objects.get(pk=record.pk).title == "乡村科普讲座"


def test_pages_are_404_outside_scope(users, orgs, open_round, applicant):
    draft = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round, title="草稿卷宗")
    for username in ("applicant_gd_fish", "reviewer_csf", "reviewer_gd_cast", "cast_staff", "expert_1"):
        client = page_client(users[username])
        for url in (f"/dossiers/{draft.pk}/", f"/dossiers/{draft.pk}/edit/"):
            assert (username, url, client.get(url).status_code) == (username, url, 404)
        response = client.post(f"/dossiers/{draft.pk}/edit/", {"title": "改", "body": "改"})
        assert (username, response.status_code) == (username, 404)
        assert "草稿卷宗" not in client.get("/dossiers/").content.decode()
    # Only an applicant may create.
    assert page_client(users["reviewer_csf"]).get("/dossiers/new/").status_code == 404
    assert page_client(applicant).get("/dossiers/999999/").status_code == 404
    assert Dossier.objects.get(pk=draft.pk).title == "草稿卷宗"


# -- the API -----------------------------------------------------------------------------------


def test_api_anonymous_is_401(users, orgs, open_round):
    record = make_dossier(org=orgs["CSF-BR1"], user=users[APPLICANT], round=open_round)
    client = api_as(None)
    for method, url in (
        ("get", API),
        ("post", API),
        ("get", f"{API}{record.pk}/"),
        ("patch", f"{API}{record.pk}/"),
        ("get", f"{API}{record.pk}/transitions/"),
        ("post", f"{API}{record.pk}/transitions/submit/"),
        ("get", f"{API}{record.pk}/history/"),
    ):
        response = getattr(client, method)(url, {}, format="json")
        assert (method, url, response.status_code) == (method, url, 401)
        assert response.json() == {
            "detail": "身份认证信息未提供。",
            "errors": ["身份认证信息未提供。"],
        }
        assert response["WWW-Authenticate"] == "Token"
    assert state_of(record.pk) == "draft"


def test_api_create(users, orgs, open_round, applicant):
    response = api_as(applicant).post(
        API, {"round": open_round.pk, "title": "乡村科普讲座", "body": "水产培训"}, format="json"
    )
    body = ok(response, 201)
    record = Dossier.objects.get()
    assert without_times(body) == {
        "id": record.pk,
        "round": open_round.pk,
        "organization": "CSF-BR1",
        "organization_name": "中国水产学会科普工作委员会",
        "recommending_unit": "CSF",
        "state": "draft",
        "state_label": "草稿",
        "title": "乡村科普讲座",
        "body": "水产培训",
        # every record type shows its open return (none for a draft)
        "revision_due": None,
        "returned_by_stage": "",
        "open_return": None,
    }
    assert set(body) - set(without_times(body)) == {"created_at", "updated_at", "current_revision_hash"}
    assert (record.title, record.body, record.created_by, record.round) == (
        "乡村科普讲座",
        "水产培训",
        applicant,
        open_round,
    )
    assert list(AuditEvent.objects.filter(record_type=LABEL).values_list("action", "data")) == [
        ("create", {"name": "乡村科普讲座"})
    ]
    # Read back, alone and in the list; no attachments yet.
    assert ok(api_as(applicant).get(f"{API}{record.pk}/")) == body
    assert ok(api_as(applicant).get(f"{API}{record.pk}/attachments/")) == []
    listed = ok(api_as(applicant).get(API))
    assert (listed["count"], listed["next"], listed["previous"]) == (1, None, None)
    assert without_times(listed["results"][0]) == {
        "id": record.pk,
        "round": open_round.pk,
        "organization": "CSF-BR1",
        "organization_name": "中国水产学会科普工作委员会",
        "recommending_unit": "CSF",
        "state": "draft",
        "state_label": "草稿",
        "title": "乡村科普讲座",
        "revision_due": None,
        "returned_by_stage": "",
        "open_return": None,
    }


def test_api_create_refuses_unknown_fields_and_bad_values(users, open_round, applicant):
    client = api_as(applicant)
    before = counts()
    data = {"title": LONG_TITLE, "colour": "red", "state": "approved", "organization_name": "x"}
    assert refused(client.post(API, data, format="json")) == [
        "请选择有效的批次",
        "未知的字段：colour",
        "未知的字段：organization_name",
        "未知的字段：state",
        TOO_LONG,
    ]
    assert refused(client.post(API, {"round": "第一批", "title": "标题"}, format="json")) == ["请选择有效的批次"]
    assert refused(client.post(API, {"round": 999999, "title": "标题"}, format="json")) == ["请选择有效的批次"]
    selection = Round.objects.get(kind="selection")
    assert refused(client.post(API, {"round": selection.pk, "title": "标题"}, format="json")) == ["请选择有效的批次"]
    # Another unit than the applicant's own.
    assert refused(client.post(API, {"round": open_round.pk, "organization": "GD-FISH"}, format="json"), 403) == [
        "只有申报单位的申报人可以创建卷宗"
    ]
    # Not an applicant at all.
    assert refused(api_as(users["reviewer_csf"]).post(API, {"round": open_round.pk}, format="json"), 403) == [
        "只有申报单位的申报人可以创建卷宗"
    ]
    # Malformed JSON, and JSON that is not an object.
    response = client.post(API, '{"title": "水产', content_type="application/json")
    assert refused(response) == ["请求内容不是有效的 JSON"]
    assert refused(client.post(API, "[1, 2]", content_type="application/json")) == ["请求内容必须是 JSON 对象"]
    assert counts() == before


def test_api_refuses_values_that_are_not_text(users, open_round, applicant):
    """A JSON list or object for a text field is bad input (the schema documents strings), not
    a title spelt "['a', 'b']"."""
    before = counts()
    data = {"round": open_round.pk, "title": ["a", "b"], "body": {"k": 1}}
    response = api_as(applicant).post(API, data, format="json")
    assert response.status_code == 400, (response.status_code, response.content)
    errors = refused(response)
    assert errors == ["“标题”格式不正确", "“正文”格式不正确"]
    assert counts() == before


def test_api_creates_from_a_form_encoded_body(users, orgs, open_round, applicant):
    """The viewset parses forms and multipart as well as JSON (``parser_classes``); a field's
    value is its text, not the list a QueryDict holds it in."""
    client = api_as(applicant)
    response = client.post(API, {"round": open_round.pk, "title": "表单", "body": "表单正文"}, format="multipart")
    body = ok(response, 201)
    assert (body["round"], body["title"], body["body"]) == (open_round.pk, "表单", "表单正文")
    response = client.post(
        API, f"round={open_round.pk}&title=urlencoded", content_type="application/x-www-form-urlencoded"
    )
    assert ok(response, 201)["title"] == "urlencoded"


def test_api_patch_with_a_form_encoded_body_stores_the_text(users, orgs, open_round, applicant):
    client = api_as(applicant)
    record = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round, title="旧标题")
    body = ok(client.patch(f"{API}{record.pk}/", {"title": "表单改"}, format="multipart"))
    assert body["title"] == "表单改"
    assert Dossier.objects.get(pk=record.pk).title == "表单改"


def test_api_patch_updates_a_draft_and_is_refused_once_submitted(users, orgs, open_round, applicant):
    record = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round, title="旧标题", body="旧正文")
    client = api_as(applicant)
    url = f"{API}{record.pk}/"

    body = ok(client.patch(url, {"body": "新正文"}, format="json"))
    assert (body["id"], body["title"], body["body"], body["state"]) == (record.pk, "旧标题", "新正文", "draft")
    assert list(
        AuditEvent.objects.filter(record_type=LABEL, record_id=record.pk, action="edit").values_list("data", flat=True)
    ) == [{"fields": ["body"]}]

    before = counts()
    other = make_round(title="另一批次")
    assert refused(client.patch(url, {"title": LONG_TITLE, "round": other.pk, "state": "approved"}, format="json")) == [
        "批次和申报单位创建后不能更改",
        "未知的字段：state",
        TOO_LONG,
    ]
    assert refused(client.patch(url, {"organization": "GD-FISH"}, format="json")) == ["批次和申报单位创建后不能更改"]
    assert counts() == before
    record.refresh_from_db()
    assert (record.title, record.body, record.round) == ("旧标题", "新正文", open_round)

    # Someone who may see it but is not its applicant: 403; someone who may not: 404.
    ok(client.post(f"{url}transitions/submit/", {}, format="json"))
    assert refused(api_as(users["reviewer_csf"]).patch(url, {"title": "改"}, format="json"), 403) == [
        "只有本单位申报人可以修改卷宗"
    ]
    assert refused(api_as(users["applicant_gd_fish"]).patch(url, {"title": "改"}, format="json"), 404) == [
        "记录不存在或您无权查看"
    ]
    # Submitted: no longer a draft.
    events = AuditEvent.objects.filter(record_type=LABEL).count()
    assert refused(client.patch(url, {"title": "改"}, format="json"), 409) == [
        "卷宗当前状态为“已提交（待推荐单位审核）”，不能修改"
    ]
    assert AuditEvent.objects.filter(record_type=LABEL).count() == events
    assert Dossier.objects.get(pk=record.pk).title == "旧标题"
    # There is no PUT nor DELETE.
    assert client.put(url, {"title": "改"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert Dossier.objects.filter(pk=record.pk).exists()


def test_api_list_filters(users, orgs, open_round, applicant):
    org = orgs["CSF-BR1"]
    first = make_dossier(org=org, user=applicant, round=open_round, title="鱼苗养殖培训")
    second = make_dossier(org=org, user=applicant, round=open_round, title="防汛科普讲座")
    third = make_dossier(org=org, user=applicant, round=open_round, title="鱼病防治")
    other_round = make_round(title="第二批")
    fourth = make_dossier(org=org, user=applicant, round=other_round, title="科普大篷车")
    make_dossier(org=orgs["GD-FISH"], user=users["applicant_gd_fish"], round=open_round, title="鱼苗别家")
    client = api_as(applicant)
    ok(client.post(f"{API}{third.pk}/transitions/submit/", {}, format="json"))
    ok(client.post(f"{API}{second.pk}/transitions/withdraw/", {}, format="json"))

    def ids(query: str) -> list[int]:
        return [r["id"] for r in ok(client.get(f"{API}?{query}"))["results"]]

    assert ids("") == [fourth.pk, third.pk, second.pk, first.pk]
    assert ids("state=draft") == [fourth.pk, first.pk]
    assert ids("state=submitted,withdrawn") == [third.pk, second.pk]
    assert ids("state=approved") == []
    assert ids("q=鱼") == [third.pk, first.pk]
    assert ids("q=科普工作委员会") == [fourth.pk, third.pk, second.pk, first.pk]
    assert ids("q=鱼&state=draft") == [first.pk]
    assert ids(f"round={other_round.pk}") == [fourth.pk]
    assert ids("ordering=created") == [first.pk, second.pk, third.pk, fourth.pk]
    assert ids("ordering=state") == [fourth.pk, first.pk, third.pk, second.pk]
    # Lenient like a search form: what does not parse filters nothing.
    assert ids("round=abc&ordering=nonsense") == [fourth.pk, third.pk, second.pk, first.pk]
    results = ok(client.get(f"{API}?state=submitted"))["results"]
    assert [(r["state"], r["state_label"]) for r in results] == [("submitted", "已提交（待推荐单位审核）")]


def test_api_is_404_outside_scope(users, orgs, open_round, applicant):
    draft = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round)
    for username in ("applicant_gd_fish", "reviewer_csf", "cast_staff", "expert_1"):
        client = api_as(users[username])
        assert ok(client.get(API))["results"] == []
        for method, url in (
            ("get", f"{API}{draft.pk}/"),
            ("patch", f"{API}{draft.pk}/"),
            ("get", f"{API}{draft.pk}/transitions/"),
            ("post", f"{API}{draft.pk}/transitions/submit/"),
            ("get", f"{API}{draft.pk}/history/"),
            ("get", f"{API}{draft.pk}/attachments/"),
        ):
            response = getattr(client, method)(url, {}, format="json")
            assert (username, method, url, refused(response, 404)) == (
                username,
                method,
                url,
                ["记录不存在或您无权查看"],
            )
    assert state_of(draft.pk) == "draft"
    # The auditor sees everything, read-only.
    assert [r["id"] for r in ok(api_as(users["auditor"]).get(API))["results"]] == [draft.pk]


def test_api_transitions_from_submit_to_approval(users, orgs, open_round, applicant):
    created = ok(
        api_as(applicant).post(
            API, {"round": open_round.pk, "title": "乡村科普讲座", "body": "水产培训"}, format="json"
        ),
        201,
    )
    pk = created["id"]
    url = f"{API}{pk}/"

    def act(username: str, name: str, opinion: str = "") -> Any:
        return api_as(users[username]).post(f"{url}transitions/{name}/", {"opinion": opinion}, format="json")

    options = ok(api_as(applicant).get(f"{url}transitions/"))
    assert [(o["name"], o["target"], o["allowed"]) for o in options] == [
        ("submit", "submitted", True),
        ("withdraw", "withdrawn", True),
    ]
    # The submit checks of the flow: every missing content field is named.
    empty = ok(api_as(applicant).post(API, {"round": open_round.pk}, format="json"), 201)
    response = api_as(applicant).post(f"{API}{empty['id']}/transitions/submit/", {}, format="json")
    assert refused(response) == ["请填写“标题”", "请填写“正文”"]
    assert state_of(empty["id"]) == "draft"

    submitted = ok(act(APPLICANT, "submit"))
    assert (submitted["state"], submitted["state_label"]) == ("submitted", "已提交（待推荐单位审核）")
    # A misspelt field of the transition is named, not dropped.
    response = api_as(users["reviewer_csf"]).post(f"{url}transitions/recommend/", {"opinon": "同意"}, format="json")
    assert refused(response) == ["未知的字段：opinon"]
    # Recommending waits for the recommending unit's content review.
    assert refused(act("reviewer_csf", "recommend", "同意推荐。")) == ["推荐单位内容审核尚未完成（当前版本）"]
    assert state_of(pk) == "submitted"
    reviews = api_as(users["content_csf"]).post(
        f"{url}content-reviews/", {"stage": "recommender", "verdict": "pass", "opinion": "内容无问题"}, format="json"
    )
    assert [(r["stage"], r["status"]) for r in ok(reviews, 201) if r["stage"] == "recommender"] == [
        ("recommender", "passed")
    ]
    assert refused(act("reviewer_csf", "recommend")) == ["请填写意见"]
    assert ok(act("reviewer_csf", "recommend", "同意推荐。"))["state"] == "recommended"
    # The applicant cannot take the CAST's step.
    assert refused(act(APPLICANT, "start_expert_review"), 403)
    assert ok(act("cast_staff", "start_expert_review"))["state"] == "expert_review"
    assigned = api_as(users["cast_staff"]).post(
        f"{url}assignments/", {"stage": "expert", "assignee": "expert_1"}, format="json"
    )
    assert ok(assigned, 201)["assignee"] == "expert_1"
    assert ok(act("expert_1", "complete_review", "建议立项。"))["state"] == "reviewed"
    ok(
        api_as(users["content_cast"]).post(
            f"{url}content-reviews/", {"stage": "cast", "verdict": "pass", "opinion": "无问题"}, format="json"
        ),
        201,
    )
    approved = ok(act("cast_staff", "approve", "同意立项。"))
    assert (approved["state"], approved["state_label"]) == ("approved", "已立项")
    # Final: nothing further.
    assert refused(act("cast_staff", "reject", "x"), 409) == [
        "记录当前状态为“已立项”，无法执行“不予立项”：可能已被他人处理，请刷新后重试"
    ]

    history = ok(api_as(applicant).get(f"{url}history/"))
    assert [(e["action"], e["from_state"], e["to_state"]) for e in history] == [
        ("create", "", "draft"),
        ("submit", "draft", "submitted"),
        ("checkpoint_pass", "submitted", "submitted"),
        ("recommend", "submitted", "recommended"),
        ("start_expert_review", "recommended", "expert_review"),
        ("checkpoint_pass", "reviewed", "reviewed"),
        ("approve", "reviewed", "approved"),
    ]
    # Who the expert is — the assignment (event 6) and the expert's own review (event 7) — is
    # for CAST staff and the auditor to see.
    assert [e["seq"] for e in history] == [1, 2, 3, 4, 5, 8, 9]
    full = ok(api_as(users["auditor"]).get(f"{url}history/"))
    assert [(e["seq"], e["action"], e["actor"]) for e in full if e["seq"] == 6] == [(6, "assign", "赵强（中国科协）")]
    assert [e["seq"] for e in full] == list(range(1, 10))


def test_api_bulk_transition(users, orgs, open_round):
    first = make_dossier(org=orgs["CSF-BR1"], user=users[APPLICANT], round=open_round)
    second = make_dossier(org=orgs["CSF-BR1"], user=users[APPLICANT], round=open_round)
    client = api_as(users[APPLICANT])
    for record in (first, second):
        ok(client.post(f"{API}{record.pk}/transitions/submit/", {}, format="json"))
    staff = api_as(users["cast_staff"])
    body = {"name": "start_expert_review", "ids": [first.pk, second.pk]}
    # Submitted dossiers are not the CAST's to see yet.
    assert refused(staff.post(f"{API}bulk-transition/", body, format="json")) == [
        f"以下卷宗不存在或您无权查看：{first.pk}, {second.pk}"
    ]
    assert (state_of(first.pk), state_of(second.pk)) == ("submitted", "submitted")

    # Recommended, they are; both go to expert review at once.
    third = dossier_in("recommended", users=users, orgs=orgs, round=open_round, title="甲")
    fourth = dossier_in("recommended", users=users, orgs=orgs, round=open_round, title="乙")
    body = {"name": "start_expert_review", "ids": [third.pk, fourth.pk], "opinion": "进入评审。"}
    done = ok(staff.post(f"{API}bulk-transition/", body, format="json"))
    assert [(r["id"], r["title"], r["state"]) for r in done] == [
        (third.pk, "甲", "expert_review"),
        (fourth.pk, "乙", "expert_review"),
    ]
    assert (state_of(third.pk), state_of(fourth.pk)) == ("expert_review", "expert_review")
    # Not CAST staff: every record refused, nothing changed.
    body = {"name": "reject", "ids": [third.pk], "opinion": "不予立项。"}
    response = api_as(users["reviewer_csf"]).post(f"{API}bulk-transition/", body, format="json")
    assert refused(response) == ["《甲》：您没有权限执行“不予立项”"]
    assert state_of(third.pk) == "expert_review"


def test_openapi_schema_documents_the_dossier_api(users):
    response = page_client(users["auditor"]).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    documented = {
        path: sorted(m for m in methods if m in {"get", "post", "patch", "put", "delete"})
        for path, methods in paths.items()
        if path.startswith(API)
    }
    assert documented == {
        "/api/v1/dossiers/": ["get", "post"],
        "/api/v1/dossiers/{id}/": ["get", "patch"],
        "/api/v1/dossiers/{id}/assignments/": ["get", "post"],
        "/api/v1/dossiers/{id}/assignments/{aid}/replace/": ["post"],
        "/api/v1/dossiers/{id}/assignments/{aid}/withdraw/": ["post"],
        "/api/v1/dossiers/{id}/attachments/": ["get", "post"],
        "/api/v1/dossiers/{id}/attachments/{aid}/": ["get"],
        "/api/v1/dossiers/{id}/content-reviews/": ["get", "post"],
        "/api/v1/dossiers/{id}/history/": ["get"],
        "/api/v1/dossiers/{id}/history/proof/": ["get"],
        "/api/v1/dossiers/{id}/scores/": ["get", "post"],
        "/api/v1/dossiers/{id}/transitions/": ["get"],
        "/api/v1/dossiers/{id}/transitions/{name}/": ["post"],
        "/api/v1/dossiers/bulk-transition/": ["post"],
        "/api/v1/dossiers/ranking/": ["get"],
    }
    listing = paths[API]["get"]
    assert sorted(p["name"] for p in listing["parameters"]) == ["ordering", "page", "q", "round", "state"]
    components = schema["components"]["schemas"]

    def ref_of(content: dict[str, Any]) -> str:
        return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]

    create = paths[API]["post"]
    assert ref_of(create["requestBody"]["content"]) == "DossierWriteRequest"
    assert ref_of(create["responses"]["201"]["content"]) == "Dossier"
    assert sorted(create["responses"]) == ["201", "400", "403", "404", "409"]
    assert list(components["DossierWriteRequest"]["properties"]) == ["round", "organization", "title", "body"]
    assert list(components["Dossier"]["properties"]) == [
        "id",
        "round",
        "organization",
        "organization_name",
        "recommending_unit",
        "state",
        "state_label",
        "title",
        "body",
        "current_revision_hash",
        "created_at",
        "updated_at",
        "revision_due",
        "returned_by_stage",
        "open_return",
    ]
    patch = paths[f"{API}{{id}}/"]["patch"]
    assert ref_of(patch["requestBody"]["content"]) == "PatchedDossierWriteRequest"
    assert ref_of(patch["responses"]["200"]["content"]) == "Dossier"
    row = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert list(components[row]["properties"]) == ["count", "next", "previous", "results"]
    assert components[row]["properties"]["results"]["items"]["$ref"].endswith("/DossierList")


# -- in English --------------------------------------------------------------------------------


def test_pages_in_english(users, open_round, applicant):
    client = page_client(applicant, language="en")
    html = client.get("/dossiers/").content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Dossiers</h1>" in html
    assert '<p class="scope-note">Your unit&#x27;s dossiers, with their status and next available actions.</p>' in html
    assert '<a class="button-link" href="/dossiers/new/">New dossier</a>' in html

    response = client.post("/dossiers/new/", {"round": "", "title": LONG_TITLE})
    assert response.status_code == 400
    html = response.content.decode()
    assert form_errors_on_page(html) == ["Round: please choose a valid one", TOO_LONG_EN]
    assert "2 items need correcting; the dossier has not been saved:" in html
    assert Dossier.objects.count() == 0


def test_api_errors_in_english(users, orgs, open_round, applicant):
    client = api_as(applicant)
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    assert refused(client.post(API, {"title": LONG_TITLE, "colour": "red"}, format="json", **en)) == [
        "Round: please choose a valid one",
        "Unknown field: colour",
        TOO_LONG_EN,
    ]
    record = make_dossier(org=orgs["CSF-BR1"], user=applicant, round=open_round)
    ok(client.post(f"{API}{record.pk}/transitions/submit/", {}, format="json"))
    assert refused(client.patch(f"{API}{record.pk}/", {"title": "x"}, format="json", **en), 409) == [
        "The dossier is currently “Submitted (awaiting recommending unit review)” and cannot be edited"
    ]
    body = ok(client.get(f"{API}{record.pk}/", **en))
    assert body["state_label"] == "Submitted (awaiting recommending unit review)"
    assert refused(api_as(users["applicant_gd_fish"]).get(f"{API}{record.pk}/", **en), 404) == [
        "Not found, or you may not see it"
    ]
    assert Dossier.objects.count() == 1
