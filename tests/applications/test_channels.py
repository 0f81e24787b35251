"""Each channel over the API (docs/domain.md, "Channels"): a branch applies under its society,
which the documents name 承担单位; a provincial society is recommended by its provincial CAST;
a 副省级城市科协 and the 兵团科协 are their own recommending units; a unit that is its own
recommending unit submits straight to CAST with its sealed 申报单位意见 (submit_to_cast)."""

from __future__ import annotations

import pytest

from accounts.services import member_create
from applications.models import Application, SubprojectType
from documents.data import approval_notice_data, undertaking_text
from documents.models import IssuedDocument
from documents.renderer.approval_notice import render_approval_notice
from tests.applications.helpers import act, form, review, upload
from tests.conftest import api_as
from tests.documents.helpers import pdf_text, seeded_approved, squash
from workflows.models import AuditEvent, Round

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"
DIRECT = (
    "本单位即推荐单位，不经推荐环节：请上传加盖公章的申报单位意见，使用“（本单位即推荐单位）”的提交操作直接报送中国科协"
)
NO_UNIT_OPINION = "请上传加盖公章的申报单位意见（PDF）"
NO_SEALED_FORM = "请上传加盖公章的申报书（PDF）"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The demo records file objections, counted per address in the cache (the notices app's rate
    # limit): leave none behind for the next test that seeds them.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


def create(users, round_id: int, applicant: str, subproject: str, *, sealed: bool = True, **overrides) -> dict:
    client = api_as(users[applicant])
    response = client.post(URL, form(round=round_id, subproject=subproject, **overrides), format="json")
    assert response.status_code == 201, response.json()
    if sealed:
        assert upload(client, response.json()["id"], "sealed_application").status_code == 201
    return response.json()


def transitions(users, username: str, app_id: int) -> dict[str, tuple[bool, list[str]]]:
    response = api_as(users[username]).get(f"{URL}{app_id}/transitions/")
    assert response.status_code == 200, response.json()
    return {t["name"]: (t["allowed"], t["blocked_reasons"]) for t in response.json()}


def refused(response, status: int) -> list[str]:
    assert response.status_code == status, response.json()
    return response.json()["errors"]


def events(app_id: int) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (e.action, e.from_state, e.to_state, e.actor.username if e.actor else "", e.actor_org, e.actor_role)
        for e in AuditEvent.objects.filter(record_type="applications.application", record_id=app_id).order_by("pk")
        if e.from_state and e.from_state != e.to_state
    ]


def recommend_through(users, app_id: int, reviewer: str, content: str) -> None:
    assert review(users, content, app_id, "recommender").status_code == 201
    assert upload(api_as(users[reviewer]), app_id, "recommender_opinion", name="推荐意见.pdf").status_code == 201
    response = act(users, reviewer, app_id, "recommend", opinion="同意推荐。")
    assert (response.status_code, response.json().get("state")) == (200, "recommended"), response.json()


# -- a branch: 具体实施部门 under its society, the 承担单位 ----------------------------------------


def test_a_branch_applies_its_society_is_named_undertaking_unit(users, orgs, round_id, settings):
    settings.PDF_FONT_PATH = ""
    created = create(users, round_id, "applicant_csf_br1", "grassroots", name="渔业科普进万家")
    app_id = created["id"]
    assert (created["organization"], created["recommending_unit"]) == ("CSF-BR1", "CSF")
    assert act(users, "applicant_csf_br1", app_id, "submit").status_code == 200
    recommend_through(users, app_id, "reviewer_csf", "content_csf")

    # the 申报书 (application form) PDF: the society is the 承担单位, the branch its 具体实施部门
    response = api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/pdf/")
    assert response.status_code == 200
    text = squash(pdf_text(response.content))
    assert "承担单位中国水产学会推荐单位中国水产学会" in text
    assert "具体实施部门中国水产学会科普工作委员会" in text

    # the 立项通知书's data and its PDF
    app = Application.objects.get(pk=app_id)
    document = IssuedDocument(key="test", code="TESTCODE", title="立项通知书")
    data = approval_notice_data(app, document=document)
    assert (data.organization, data.department) == ("中国水产学会", "中国水产学会科普工作委员会")
    notice = squash(pdf_text(render_approval_notice(data, font_path="")))
    assert "中国水产学会：" in notice
    assert "承担单位中国水产学会" in notice and "具体实施部门中国水产学会科普工作委员会" in notice
    assert undertaking_text(app) == "中国水产学会（具体实施部门：中国水产学会科普工作委员会）"

    # the record page shows both
    from django.test import Client

    client = Client()
    client.force_login(users["applicant_csf_br1"])
    page = squash(client.get(f"/applications/{app_id}/").content.decode())
    assert "<dt>承担单位</dt><dd>中国水产学会</dd>" in page
    assert "<dt>具体实施部门</dt><dd>中国水产学会科普工作委员会</dd>" in page


def test_the_issued_approval_notice_names_the_society(users):
    # The demo's approved application is the branch CSF-BR1's (issued by the real services).
    app = seeded_approved()
    assert app.organization.code == "CSF-BR1"
    response = api_as(users["applicant_csf_br1"]).get(f"{URL}{app.pk}/approval-notice.pdf")
    assert response.status_code == 200
    text = squash(pdf_text(response.content))
    assert text.count("中国水产学会：") == 1
    assert "承担单位中国水产学会具体实施部门中国水产学会科普工作委员会" in text
    # the round's result list (立项名单)
    result = api_as(users["cast_staff"]).get(f"/api/v1/rounds/{app.round_id}/results.pdf")
    assert result.status_code == 200
    assert "中国水产学会（具体实施部门：中国水产学会科普工作委员会）" in squash(pdf_text(result.content))


def test_a_legal_person_names_itself(users, round_id):
    created = create(users, round_id, "applicant_xuwen", "civilization_centre")
    data = approval_notice_data(
        Application.objects.get(pk=created["id"]), document=IssuedDocument(key="k", code="C", title="t")
    )
    assert (data.organization, data.department) == ("徐闻县科协", "")


# -- a provincial society: its provincial CAST recommends ----------------------------------------


def test_a_provincial_society_is_recommended_by_its_provincial_cast(users, orgs, round_id):
    member_create(username="reviewer_cae", org_code="CAE", role="society_reviewer")
    users["reviewer_cae"] = type(users["cast_staff"]).objects.get(username="reviewer_cae")
    created = create(users, round_id, "applicant_gd_agri", "grassroots", name="岭南农技志愿服务")
    app_id = created["id"]
    # GD-AGRI sits under CAE in the tree; its channel is its provincial CAST
    assert (created["organization"], created["recommending_unit"]) == ("GD-AGRI", "GD-CAST")
    assert sorted(transitions(users, "applicant_gd_agri", app_id)) == ["submit", "withdraw"]
    assert act(users, "applicant_gd_agri", app_id, "submit").status_code == 200

    # the national society above it in the tree neither sees nor acts
    for outsider in ("reviewer_cae", "reviewer_csf"):
        client = api_as(users[outsider])
        assert client.get(f"{URL}{app_id}/").status_code == 404
        assert app_id not in [r["id"] for r in client.get(URL).json()["results"]]
        assert refused(act(users, outsider, app_id, "recommend", opinion="同意推荐。"), 404) == [
            "记录不存在或您无权查看"
        ]

    # the provincial CAST's reviewer does
    assert app_id in [r["id"] for r in api_as(users["reviewer_gd_cast"]).get(URL).json()["results"]]
    assert sorted(transitions(users, "reviewer_gd_cast", app_id)) == ["decline", "recommend", "return_for_revision"]
    recommend_through(users, app_id, "reviewer_gd_cast", "content_gd_cast")
    assert events(app_id) == [
        ("submit", "draft", "submitted", "applicant_gd_agri", "GD-AGRI", "applicant"),
        ("recommend", "submitted", "recommended", "reviewer_gd_cast", "GD-CAST", "society_reviewer"),
    ]


# -- directly to CAST: 副省级城市科协, 兵团科协, a national society applying for itself -----------


@pytest.mark.parametrize(
    ("applicant", "org", "reviewer"),
    [
        pytest.param("applicant_sz_cast", "SZ-CAST", "reviewer_sz_cast", id="subprovincial_city"),
        pytest.param("applicant_xjbt", "XJBT-CAST", None, id="corps"),
    ],
)
def test_a_direct_channel_submits_straight_to_cast(users, round_id, applicant, org, reviewer):
    created = create(users, round_id, applicant, "integrate", name=f"{org}科技志愿服务资源整合")
    app_id = created["id"]
    assert (created["organization"], created["recommending_unit"]) == (org, org)
    assert transitions(users, applicant, app_id) == {
        "submit": (False, [DIRECT]),
        "submit_to_cast": (False, [NO_UNIT_OPINION]),
        "withdraw": (True, []),
    }
    assert refused(act(users, applicant, app_id, "submit"), 400) == [DIRECT]
    assert upload(api_as(users[applicant]), app_id, "unit_opinion", name="申报单位意见.pdf").status_code == 201

    response = act(users, applicant, app_id, "submit_to_cast", opinion="")
    assert (response.status_code, response.json()["state"]) == (200, "recommended")
    assert events(app_id) == [("submit_to_cast", "draft", "recommended", applicant, org, "applicant")]
    # CAST staff take it from there
    assert sorted(transitions(users, "cast_staff", app_id)) == [
        "pass_formal_review",
        "reject_formal_review",
        "return_from_formal_review",
    ]
    if reviewer:  # its own reviewer has nothing to recommend
        assert transitions(users, reviewer, app_id) == {}
        assert refused(act(users, reviewer, app_id, "recommend", opinion="同意推荐。"), 409)[0].startswith(
            "记录当前状态为“已推荐（待中国科协审核）”"
        )


def test_a_national_society_applying_for_itself(users, orgs, round_id):
    created = create(
        users, round_id, "applicant_csf", "grassroots", sealed=False, name="中国水产学会渔业科普行", leader_name=""
    )
    app_id = created["id"]
    assert (created["organization"], created["recommending_unit"]) == ("CSF", "CSF")

    # refused without its sealed unit opinion, every problem listed; nothing written
    before = AuditEvent.objects.count()
    assert refused(act(users, "applicant_csf", app_id, "submit_to_cast"), 400) == [
        "请填写“项目负责人”",
        NO_SEALED_FORM,
        NO_UNIT_OPINION,
    ]
    assert refused(act(users, "applicant_csf", app_id, "submit"), 400) == [DIRECT, "请填写“项目负责人”", NO_SEALED_FORM]
    assert (AuditEvent.objects.count(), Application.objects.get(pk=app_id).state) == (before, "draft")

    client = api_as(users["applicant_csf"])
    assert client.patch(f"{URL}{app_id}/", {"leader_name": "李明"}, format="json").status_code == 200
    assert upload(client, app_id, "sealed_application").status_code == 201
    assert refused(act(users, "applicant_csf", app_id, "submit_to_cast"), 400) == [NO_UNIT_OPINION]
    # the unit opinion is the applicant's to upload, not its reviewer's
    assert upload(api_as(users["reviewer_csf"]), app_id, "unit_opinion").status_code in (403, 404)
    assert upload(client, app_id, "unit_opinion", name="申报单位意见（盖章）.pdf").status_code == 201
    assert act(users, "applicant_csf", app_id, "submit_to_cast").status_code == 200

    # its own reviewer cannot "recommend" it: it never waits for a recommendation
    assert transitions(users, "reviewer_csf", app_id) == {}
    assert refused(act(users, "reviewer_csf", app_id, "recommend", opinion="同意推荐。"), 409)[0].startswith(
        "记录当前状态为“已推荐（待中国科协审核）”"
    )

    # CAST returns it; it goes straight back to CAST (resubmit is not for it)
    response = act(users, "cast_staff", app_id, "return_from_formal_review", opinion="请补充服务地区。")
    assert response.status_code == 200
    assert client.patch(f"{URL}{app_id}/", {"region_county": "雷州市"}, format="json").status_code == 200
    assert transitions(users, "applicant_csf", app_id) == {
        "resubmit": (False, [DIRECT]),
        "resubmit_to_cast": (True, []),
        "withdraw": (True, []),
    }
    assert refused(act(users, "applicant_csf", app_id, "resubmit"), 400) == [DIRECT]
    response = act(users, "applicant_csf", app_id, "resubmit_to_cast", opinion="已补充。")
    assert (response.status_code, response.json()["state"]) == (200, "recommended")
    assert events(app_id) == [
        ("submit_to_cast", "draft", "recommended", "applicant_csf", "CSF", "applicant"),
        ("return_from_formal_review", "recommended", "returned", "cast_staff", "CAST", "cast_staff"),
        ("resubmit_to_cast", "returned", "recommended", "applicant_csf", "CSF", "applicant"),
    ]
    event = AuditEvent.objects.filter(record_type="applications.application", record_id=app_id).order_by("pk").last()
    assert event.data["own_recommender"] is True


def test_its_quota_still_counts(users, orgs, round_id):
    SubprojectType.objects.filter(round_id=round_id, code="grassroots").update(quota=1)
    branch = create(users, round_id, "applicant_csf_br1", "grassroots", name="分会科普项目")["id"]
    assert act(users, "applicant_csf_br1", branch, "submit").status_code == 200
    recommend_through(users, branch, "reviewer_csf", "content_csf")

    own = create(users, round_id, "applicant_csf", "grassroots", name="学会本级科普项目")["id"]
    assert upload(api_as(users["applicant_csf"]), own, "unit_opinion").status_code == 201
    assert refused(act(users, "applicant_csf", own, "submit_to_cast"), 400) == [
        "本单位“学会科技志愿服务基层行”的推荐名额（1 个）已用完"
    ]
    assert Application.objects.get(pk=own).state == "draft"


def test_other_units_never_hold_submit_to_cast(users, round_id):
    app_id = create(users, round_id, "applicant_csf_br1", "grassroots", name="分会另一项目")["id"]
    assert sorted(transitions(users, "applicant_csf_br1", app_id)) == ["submit", "withdraw"]
    assert refused(act(users, "applicant_csf_br1", app_id, "submit_to_cast"), 403) == [
        "您没有权限执行“提交（本单位即推荐单位）”"
    ]


# -- nominations take the same path (StandardFlow) ---------------------------------------------------


def test_a_national_society_nominates_straight_to_cast(users):
    from tests.nominations.helpers import act as nominate_act
    from tests.nominations.helpers import create_draft as nomination_draft

    selection = Round.objects.get(kind="selection").pk
    incomplete = nomination_draft(users, selection, "team", "applicant_csf", attachments=False)
    # its sealed 申报单位意见 is required of every nomination already (nominations.checks)
    assert refused(nominate_act(users, "applicant_csf", incomplete, "submit_to_cast"), 400) == [
        "工作照片须 3–5 张（现为 0 张）",
        "请上传申报单位盖章意见（PDF）",
    ]

    nid = nomination_draft(users, selection, "team", "applicant_csf")
    assert refused(nominate_act(users, "applicant_csf", nid, "submit"), 400) == [DIRECT]
    response = nominate_act(users, "applicant_csf", nid, "submit_to_cast")
    assert (response.status_code, response.json()["state"]) == (200, "recommended")
    assert refused(nominate_act(users, "reviewer_csf", nid, "recommend", "同意推荐。"), 409)[0].startswith(
        "记录当前状态为“已推荐（待中国科协审核）”"
    )
    event = AuditEvent.objects.filter(record_type="nominations.nomination", record_id=nid).order_by("pk").last()
    assert (event.action, event.actor.username, event.actor_org, event.actor_role) == (
        "submit_to_cast",
        "applicant_csf",
        "CSF",
        "applicant",
    )


def test_the_dashboard_names_the_submit_the_unit_may_take(client, users, round_id):
    from tests.dashboards.test_dashboard import page, rows

    create(users, round_id, "applicant_csf", "grassroots", name="学会本级草稿")
    create(users, round_id, "applicant_csf_br1", "grassroots", name="分会草稿")
    own = rows(page(client, users["applicant_csf"]), "my-records")
    assert [r[:4] for r in own] == [["项目申报", "学会本级草稿", "草稿", "请您办理：提交（本单位即推荐单位）、撤回"]]
    branch = rows(page(client, users["applicant_csf_br1"]), "my-records")
    assert [r[:4] for r in branch] == [["项目申报", "分会草稿", "草稿", "请您办理：提交、撤回"]]
