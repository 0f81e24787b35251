"""The dashboard (工作台) per role: the applicant's records with next step and deadline, the
reviewers' queues (by transition and by content review), overdue tasks, and CAST's figures
of a round as charts with the numbers beside them — each scoped to the user, each in a
fixed number of queries whatever the number of records."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import Application
from tests.applications.helpers import act, create_ready, review
from workflows.models import Round


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


def page(client, user, **params) -> str:
    client.force_login(user)
    response = client.get("/", params)
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str, table_id: str) -> list[list[str]]:
    """The text of each cell of each body row of the table ``table_id``."""
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, table_id
    out = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        out.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return out


def test_applicant_sees_own_records_with_next_step_and_deadline(client, users, round_id):
    draft = create_ready(users, round_id, name="我的草稿项目")
    sent = create_ready(users, round_id, name="已提交项目")
    assert act(users, "applicant_csf_br1", sent, "submit").status_code == 200
    create_ready(users, round_id, "applicant_xuwen", name="别人的项目")
    round_ = Round.objects.get(pk=round_id)

    html = page(client, users["applicant_csf_br1"])

    closes = timezone.localtime(round_.submission_closes).strftime("%Y-%m-%d %H:%M")
    review_due = timezone.localtime(round_.recommender_review_due).strftime("%Y-%m-%d %H:%M")
    assert rows(html, "my-records") == [
        ["项目申报", "我的草稿项目", "草稿", "请您办理：提交、撤回", closes],
        ["项目申报", "已提交项目", "已提交（待推荐单位审核）", "等待推荐单位审核人办理", review_due],
    ]
    assert f'href="/applications/{draft}/"' in html
    assert "别人的项目" not in html
    assert 'id="queues"' not in html and "批次统计" not in html  # no queue, no figures for an applicant


def test_reviewers_queues_count_what_waits_for_them(client, users, round_id):
    # One application per unit and sub-project (多头申报 is refused): two units of 中国水产学会.
    applicants = ("applicant_csf_br1", "applicant_gd_fish")
    ids = [create_ready(users, round_id, applicant, name=f"待审项目{i}") for i, applicant in enumerate(applicants)]
    for applicant, app_id in zip(applicants, ids, strict=True):
        assert act(users, applicant, app_id, "submit").status_code == 200
    assert review(users, "content_csf", ids[0], "recommender").status_code == 201

    reviewer = rows(page(client, users["reviewer_csf"]), "queues")
    assert ["项目申报", "已提交（待推荐单位审核）", "待推荐单位审核人办理", "2"] in reviewer
    content = rows(page(client, users["content_csf"]), "queues")
    # Content review: only the one whose current revision has not been reviewed yet.
    assert ["项目申报", "已提交（待推荐单位审核）", "待内容审核（推荐单位内容审核）", "1"] in content
    # Another society's reviewer has nothing of this society's.
    other = rows(page(client, users["reviewer_gd_cast"]), "queues")
    assert ["项目申报", "已提交（待推荐单位审核）", "待推荐单位审核人办理", "0"] in other
    # CAST sees them only once recommended.
    assert act(users, "reviewer_csf", ids[0], "recommend", opinion="同意推荐。").status_code in (200, 400)
    staff = rows(page(client, users["cast_staff"]), "queues")
    recommended = Application.objects.filter(state="recommended").count()
    assert ["项目申报", "已推荐（待中国科协审核）", "待中国科协工作人员办理", str(recommended)] in staff


def test_cast_figures_of_a_round(client, users, round_id):
    amounts = {"applicant_csf_br1": "80000.00", "applicant_gd_fish": "50000.00", "applicant_xuwen": "30000.00"}
    ids = {
        u: create_ready(
            users,
            round_id,
            u,
            name=f"统计项目{u[-4:]}",
            requested_amount=a,
            budget=[{"category": "training", "item": "培训资料与专家差旅", "amount": a, "note": ""}],
        )
        for u, a in amounts.items()
    }
    for applicant in ("applicant_csf_br1", "applicant_gd_fish"):
        response = act(users, applicant, ids[applicant], "submit")
        assert response.status_code == 200, response.json()
    assert (
        act(users, "applicant_gd_fish", ids["applicant_gd_fish"], "withdraw", opinion="不再申报。").status_code == 200
    )

    html = page(client, users["cast_staff"], round=round_id)

    assert re.search(r"<dt>记录总数</dt><dd>3</dd>", html)
    assert "<dt>申请金额合计（万元）</dt><dd>16</dd>" in html
    state_bars = dict(
        re.findall(r'<g class="bar" data-key="([a-z_]+)"><title>[^<]*：(\d+)</title>', html.split('id="reached"')[0])
    )
    assert state_bars["draft"] == "1" and state_bars["submitted"] == "1" and state_bars["withdrawn"] == "1"
    assert state_bars["approved"] == "0"
    reached = html.split('id="reached"')[1].split("</figure>")[0]
    reached_bars = dict(re.findall(r'data-key="([a-z_]+)"><title>[^<]*：(\d+)</title>', reached))
    # From the audit trail: all three were drafts, two were ever submitted, one withdrawn.
    assert (reached_bars["draft"], reached_bars["submitted"], reached_bars["withdrawn"]) == ("3", "2", "1")
    funding = html.split('id="funding"')[1].split("</figure>")[0]
    assert sorted(re.findall(r"<td class=\"num\">([0-9,.]+)</td>", funding)) == [
        "0",
        "0",
        "13",  # 万元: the two units of 中国水产学会 apply to the same sub-project
        "3",
    ]
    # The numbers are in the page's text as well, not only in the picture.
    assert '<td>草稿</td><td class="num">1</td>' in html
    # The auditor reads the same figures; an applicant or a reviewer gets none, whatever the URL.
    assert "批次统计" in page(client, users["auditor"], round=round_id)
    for username in ("applicant_csf_br1", "reviewer_csf", "expert_1"):
        assert "批次统计" not in page(client, users[username], round=round_id), username


def test_dashboard_answers_in_english(client, users, round_id):
    create_ready(users, round_id, name="英文界面项目")
    client.force_login(users["applicant_csf_br1"])
    client.cookies["django_language"] = "en"  # the language switch's cookie
    response = client.get("/")
    html = response.content.decode()
    assert "My applications and nominations" in html and "Draft" in html
    assert "我的申报与推荐" not in html


def _queries(client, user, url: str = "/") -> int:
    client.force_login(user)
    client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_dashboard_runs_the_same_queries_for_10_and_100_records(client, users, round_id):
    template = Application.objects.get(pk=create_ready(users, round_id, name="模板项目"))
    assert act(users, "applicant_csf_br1", template.pk, "submit").status_code == 200
    template.refresh_from_db()

    def clone(n: int) -> None:
        copies = []
        for i in range(n):
            copy = Application.objects.get(pk=template.pk)
            copy.pk = None
            copy.name = f"克隆项目{Application.objects.count() + i}"
            copies.append(copy)
        Application.objects.bulk_create(copies)

    clone(9)
    who = ("applicant_csf_br1", "reviewer_csf", "content_csf", "cast_staff", "auditor")
    before = {u: _queries(client, users[u], f"/?round={round_id}") for u in who}
    clone(90)
    assert Application.objects.count() == 100
    after = {u: _queries(client, users[u], f"/?round={round_id}") for u in who}
    assert after == before


def test_a_malformed_round_falls_back_to_the_default(client, users):
    for value in ("²", "99999999999999999999999", "x"):
        html = page(client, users["cast_staff"], round=value)
        assert "批次统计" in html, value
