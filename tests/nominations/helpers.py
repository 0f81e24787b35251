"""Build Four Top-Ten nominations and move them through the flow over HTTP, as the demo users
of docs/api.md. Every step goes through ``/api/v1/…`` and asserts its status, so a test that builds
records also proves the path it took."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

from django.utils import timezone

from nominations.flows import NO_VIOLATION_STATEMENT
from nominations.models import Nomination
from tests.conftest import api_as
from tests.decisions import decided

URL = "/api/v1/nominations/"
RECORD_TYPE = "nominations.nomination"
MB = 1024 * 1024

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_HEAD = b"\x89PNG\r\n\x1a\n"


def jpeg(size: int = MB) -> bytes:
    """A file whose bytes say JPG, of ``size`` bytes (photos must be 1–3 MB)."""
    return b"\xff\xd8\xff\xe0" + b"\x00" * (size - 4)


# applicant → (organization, recommending unit, its society reviewer, its content reviewer)
PARTIES = {
    "applicant_csf_br1": ("CSF-BR1", "CSF", "reviewer_csf", "content_csf"),
    "applicant_gd_fish": ("GD-FISH", "CSF", "reviewer_csf", "content_csf"),
    "applicant_xuwen": ("GD-XW-CAST", "GD-CAST", "reviewer_gd_cast", "content_gd_cast"),
}

# The recommending unit's opinion with the statement docs/domain.md requires.
RECOMMEND_OPINION = f"经审核，被推荐对象事迹真实，{NO_VIOLATION_STATEMENT}，同意推荐。"

DEEDS = {
    "volunteer": "林海燕同志自2015年起扎根湛江沿海渔村，组织对虾健康养殖培训和塘头技术指导，"
    "累计开展科技志愿服务活动36次，服务时长186小时，带动养殖户减少病害损失，事迹真实，适合公开宣传。",
    "team": "服务队由县农技推广中心、县人民医院等单位的56名注册志愿者组成，常年在13个镇开展菠萝种植技术"
    "指导、健康义诊和科普讲座，累计服务活动120次，服务时长2240小时。",
    "project": "项目面向雷州半岛对虾养殖户，开展健康养殖培训、病害诊断和示范塘建设，三年累计开展活动48次，"
    "服务时长960小时，示范塘成活率提高10个百分点。",
    "site": "服务站依托村新时代文明实践站设立，组织科技志愿者开展菠萝种植、冬种马铃薯和防灾减灾科普，"
    "年均开展活动40次，服务时长620小时，惠及村民3000余人次。",
}

FORMS: dict[str, dict[str, Any]] = {
    "volunteer": {
        "nominee_name": "林海燕",
        "gender": "female",
        "birth_date": "1978-05-12",
        "person_org": "中国水产学会科普工作委员会",
        "person_title": "高级工程师",
        "volunteer_number": "44080019780512",
        "activities": 36,
        "service_hours": "186.5",
    },
    "team": {
        "nominee_name": "菠萝之乡科技志愿服务队",
        "founded_on": "2016-04-20",
        "registered_volunteers": 56,
        "activities": 120,
        "service_hours": "2240.0",
    },
    "project": {
        "nominee_name": "对虾健康养殖技术进村入户",
        "period_start": "2023-01-01",
        "period_end": "2025-12-31",
        "organizer": "广东省水产学会",
        "activities": 48,
        "service_hours": "960.0",
    },
    "site": {
        "nominee_name": "下洋镇东园村科技志愿服务站",
        "site_region": "广东省湛江市徐闻县下洋镇",
        "site_kind": "村",
        "activities": 40,
        "service_hours": "620.0",
    },
}

CONTACT_PHONE = "13800138000"
_names = itertools.count(1)


def unique(name: str) -> str:
    """The name with a number no other nomination of the test has."""
    return f"{name}{next(_names)}号"


def form(category: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "category": category,
        **FORMS[category],
        "deeds": DEEDS[category],
        "contact_name": "李明",
        "contact_phone": CONTACT_PHONE,
        "unit_opinion": "经本单位审核，推荐材料真实准确，同意推荐。",
        "unit_opinion_signer": "王建国",
        "unit_opinion_date": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
    }
    data.update(overrides)
    return data


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.json())
    return response.json()


def errors(response: Any) -> tuple[int, list[str]]:
    return response.status_code, response.json()["errors"]


def upload(client: Any, nid: int, kind: str, content: bytes | None = None, name: str | None = None) -> Any:
    if content is None:
        content = PDF_BYTES if kind in ("unit_opinion", "recommender_opinion") else jpeg()
    f = io.BytesIO(content)
    f.name = name or ("意见（盖章）.pdf" if content.startswith(b"%PDF") else "照片.jpg")
    return client.post(f"{URL}{nid}/attachments/", {"kind": kind, "file": f}, format="multipart")


def attach_all(client: Any, nid: int, category: str, photos: int = 3) -> None:
    """The photos (and the ID photo of a volunteer) and the applicant unit's sealed opinion."""
    for i in range(photos):
        ok(upload(client, nid, "photo", name=f"工作照{i + 1}.jpg"), 201)
    if category == "volunteer":
        ok(upload(client, nid, "id_photo", name="证件照.jpg"), 201)
    ok(upload(client, nid, "unit_opinion", name="申报单位意见（盖章）.pdf"), 201)


def create_draft(
    users: dict[str, Any],
    round_id: int,
    category: str,
    applicant: str = "applicant_csf_br1",
    *,
    attachments: bool = True,
    **overrides: Any,
) -> int:
    """A complete draft (photos and the unit's opinion attached unless told). Returns its id."""
    client = api_as(users[applicant])
    data = form(category, round=round_id, **overrides)
    created = ok(client.post(URL, data, format="json"), 201)
    if attachments:
        attach_all(client, created["id"], category)
    return created["id"]


def act(users: dict[str, Any], username: str, nid: int, name: str, opinion: str = "", **data: Any) -> Any:
    body: dict[str, Any] = {"opinion": opinion}
    if data:
        body["data"] = data
    return api_as(users[username]).post(f"{URL}{nid}/transitions/{name}/", body, format="json")


def review(users: dict[str, Any], username: str, nid: int, stage: str, verdict: str = "pass") -> Any:
    return api_as(users[username]).post(
        f"{URL}{nid}/content-reviews/",
        {"stage": stage, "verdict": verdict, "opinion": "导向正确，内容真实合法。"},
        format="json",
    )


def assign(users: dict[str, Any], nid: int, expert: str) -> Any:
    return api_as(users["cast_staff"]).post(
        f"{URL}{nid}/assignments/", {"stage": "expert", "assignee": expert}, format="json"
    )


def uniform(value: int) -> dict[str, int]:
    """The same score on every criterion of the default selection criteria: the total is ``value``."""
    return {"deeds": value, "impact": value, "innovation": value, "continuity": value}


def score(users: dict[str, Any], expert: str, nid: int, value: int | dict[str, Any] = 85, comment: str = "事迹突出。"):
    scores = uniform(value) if isinstance(value, int) else value
    return api_as(users[expert]).post(f"{URL}{nid}/scores/", {"scores": scores, "comment": comment}, format="json")


def bulk(users: dict[str, Any], name: str, ids: list[int], opinion: str = "", username: str = "cast_staff") -> Any:
    return api_as(users[username]).post(
        f"{URL}bulk-transition/", {"name": name, "ids": ids, "opinion": opinion}, format="json"
    )


EXPERTS = ("expert_1", "expert_2", "expert_3")

# The steps from a complete draft to each state, run by ``advance``.
STEPS: dict[str, list[tuple[str, ...]]] = {
    "draft": [],
    "submitted": [("A", "submit")],
    "withdrawn": [("A", "withdraw")],
    "withdrawn_after_submit": [("A", "submit"), ("A", "withdraw")],
    "returned": [("A", "submit"), ("R", "return_for_revision")],
    "not_recommended": [("A", "submit"), ("R", "decline")],
    "recommended": [("A", "submit"), ("CR",), ("R-upload",), ("R", "recommend")],
}
STEPS["ineligible"] = [*STEPS["recommended"], ("C", "declare_ineligible")]
STEPS["expert_review"] = [*STEPS["recommended"], ("C", "confirm_eligible")]
# Scored, and decided (审定: a meeting with minutes agreed) so that it may be shortlisted.
STEPS["scored"] = [*STEPS["expert_review"], ("experts",), ("decide",)]
STEPS["shortlisted"] = [*STEPS["scored"], ("cast-review",), ("C", "shortlist")]
STEPS["not_selected"] = [*STEPS["scored"], ("C", "not_select")]

OPINIONS = {
    "return_for_revision": "请补充近两年服务活动的具体记录。",
    "decline": "事迹材料与推荐条件不符，不予推荐。",
    "recommend": RECOMMEND_OPINION,
    "declare_ineligible": "服务时长未达到推荐条件。",
    "confirm_eligible": "资格审查通过。",
    "shortlist": "",
    "not_select": "",
}


def advance(
    users: dict[str, Any],
    nid: int,
    applicant: str,
    state: str,
    *,
    experts: tuple[str, ...] = EXPERTS,
    totals: tuple[int, ...] = (),
    start: str = "draft",
) -> None:
    """Move a nomination of ``applicant`` from ``start`` (a complete draft by default) to
    ``state`` over HTTP. "scored": in expert review, ``experts`` assigned, each scoring the
    matching value of ``totals`` (85 when not given)."""
    _org, _unit, reviewer, content = PARTIES[applicant]
    steps = STEPS[state]
    assert steps[: len(STEPS[start])] == STEPS[start], (start, state)
    for step in steps[len(STEPS[start]) :]:
        kind = step[0]
        if kind == "A":
            ok(act(users, applicant, nid, step[1], "本单位决定撤回。" if step[1] == "withdraw" else ""))
        elif kind == "R":
            ok(act(users, reviewer, nid, step[1], OPINIONS[step[1]]))
        elif kind == "C":
            ok(act(users, "cast_staff", nid, step[1], OPINIONS[step[1]]))
        elif kind == "CR":
            ok(review(users, content, nid, "recommender"), 201)
        elif kind == "R-upload":
            ok(upload(api_as(users[reviewer]), nid, "recommender_opinion", name="推荐单位意见（盖章）.pdf"), 201)
        elif kind == "experts":
            for expert in experts:
                ok(assign(users, nid, expert), 201)
            for i, expert in enumerate(experts):
                ok(score(users, expert, nid, totals[i] if totals else 85), 201)
        elif kind == "decide":
            decided(users, RECORD_TYPE, Nomination.objects.get(pk=nid).round_id, nid)
        elif kind == "cast-review":
            ok(review(users, "content_cast", nid, "cast"), 201)


def nomination_in(
    users: dict[str, Any],
    round_id: int,
    category: str,
    state: str,
    applicant: str = "applicant_csf_br1",
    *,
    experts: tuple[str, ...] = EXPERTS,
    totals: tuple[int, ...] = (),
    **overrides: Any,
) -> int:
    """A new nomination of ``applicant`` moved to ``state`` over HTTP. Returns its id."""
    nid = create_draft(users, round_id, category, applicant, **overrides)
    advance(users, nid, applicant, state, experts=experts, totals=totals)
    return nid


# -- public notices ----------------------------------------------------------------------------


def notice_draft(users: dict[str, Any], round_id: int, ids: list[int], title: str = "“四个十佳”拟入选名单公示") -> dict:
    body = {"round": round_id, "record_type": RECORD_TYPE, "record_ids": ids, "title": title, "intro": "现予公示。"}
    return ok(api_as(users["cast_staff"]).post("/api/v1/notices/", body, format="json"), 201)


def notice_review(users: dict[str, Any], notice_id: int) -> dict:
    return ok(
        api_as(users["content_cast"]).post(
            f"/api/v1/notices/{notice_id}/review/",
            {"verdict": "pass", "opinion": "名单内容准确，不含个人隐私信息。"},
            format="json",
        )
    )


def notice_publish(users: dict[str, Any], notice_id: int) -> Any:
    return api_as(users["cast_staff"]).post(f"/api/v1/notices/{notice_id}/publish/", {}, format="json")


def notice_for(users: dict[str, Any], round_id: int, ids: list[int], title: str = "“四个十佳”拟入选名单公示") -> dict:
    """A notice of ``ids``: created by CAST staff, passed by CAST's content reviewer, published."""
    notice = notice_draft(users, round_id, ids, title)
    notice_review(users, notice["id"])
    return ok(notice_publish(users, notice["id"]))


def notice_finish(users: dict[str, Any], notice_id: int, opinion: str = "公示期满，予以公布。") -> Any:
    return api_as(users["cast_staff"]).post(f"/api/v1/notices/{notice_id}/finish/", {"opinion": opinion}, format="json")


def end_notice_period(notice_id: int) -> None:
    """Test setup: the notice period is over (its last day was yesterday)."""
    from notices.models import PublicNotice

    today = timezone.localdate()
    PublicNotice.objects.filter(pk=notice_id).update(
        starts_on=today - dt.timedelta(days=10), ends_on=today - dt.timedelta(days=1)
    )


def entry_of(notice: dict, nid: int) -> int:
    return next(e["id"] for e in notice["entries"] if e["record_id"] == nid)


OBJECTOR = {
    "name": "陈晓东",
    "identity": "渔业技术推广站站长",
    "unit": "湛江市某养殖合作社",
    "phone": "13900139000",
    "email": "chenxd@example.org",
    "content": "被推荐对象材料中所列的服务活动次数与实际情况不符，请予核实。",
}


def file_objection(notice_id: int, entry_id: Any, *, ip: str = "203.0.113.7", **overrides: Any) -> Any:
    """A member of the public (no login) objects to one entry of a published notice."""
    return api_as(None).post(
        f"/api/v1/public/notices/{notice_id}/objections/",
        {"entry": entry_id, **OBJECTOR, **overrides},
        format="json",
        REMOTE_ADDR=ip,
    )


def decide(users: dict[str, Any], objection_id: int, decision: str, reason: str) -> Any:
    return api_as(users["cast_staff"]).post(
        f"/api/v1/objections/{objection_id}/decide/", {"decision": decision, "reason": reason}, format="json"
    )
