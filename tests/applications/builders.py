"""Drive Zhihui Action applications over HTTP, as the demo users, to any state.

Every step goes through the public API (``/api/v1/applications/…``) and asserts its status,
so a test that builds records also proves the path it took.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.core.management import call_command

from accounts.models import User
from applications.models import Application
from tests.applications.helpers import PDF_BYTES, act, form, review, upload
from tests.conftest import api_as
from tests.decisions import decided

# Who reviews for each applicant: (sub-project, reviewer, content reviewer of the recommending unit).
PARTIES = {
    "applicant_csf_br1": ("grassroots", "reviewer_csf", "content_csf"),
    "applicant_gd_fish": ("grassroots", "reviewer_csf", "content_csf"),
    "applicant_xuwen": ("civilization_centre", "reviewer_gd_cast", "content_gd_cast"),
    "applicant_gd_cast": ("integrate", "reviewer_gd_cast", "content_gd_cast"),
}
# Applicants whose unit is its own recommending unit: they submit straight to CAST with their
# sealed 申报单位意见 (workflows.flows.StandardFlow.submit_to_cast), never through "submitted".
DIRECT = {"applicant_gd_cast"}
# Scores of the demo round's default criteria (workflows.round_settings).
GOOD_SCORES = {"necessity": 90, "feasibility": 85, "targets": 80, "team": 88, "budget": 75}
EXPERTS = ("expert_1", "expert_2", "expert_3")
URL = "/api/v1/applications/"
_names = itertools.count(1)


def unique_name() -> str:
    """A project name no other application of the test uses (the same name twice is 多头申报)."""
    return f"科技志愿服务项目{next(_names)}号"


def make_gd_cast_applicant(users: dict[str, Any]) -> User:
    """An applicant of 广东省科协 (provincial CAST): eligible for “integrate”; no demo user is."""
    call_command(
        "create_member",
        username="applicant_gd_cast",
        org="GD-CAST",
        role="applicant",
        password="zhihui-demo-1",
        name="吴敏（广东省科协）",
        stdout=open("/dev/null", "w"),
    )
    user = User.objects.get(username="applicant_gd_cast")
    users["applicant_gd_cast"] = user
    return user


def create_draft(users: dict[str, Any], round_id: int, applicant: str, *, sealed: bool = True, **overrides: Any) -> int:
    """A complete draft of the applicant's sub-project (its sealed PDF attached unless told)."""
    client = api_as(users[applicant])
    data = form(round=round_id, subproject=PARTIES[applicant][0], name=unique_name())
    data.update(overrides)
    response = client.post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    app_id = response.json()["id"]
    if sealed:
        r = upload(client, app_id, "sealed_application")
        assert r.status_code == 201, r.json()
        record = Application.objects.get(pk=app_id)
        if record.recommending_unit_id == record.organization_id:
            # Its own recommending unit: it submits straight to CAST with its sealed opinion.
            r = upload(client, app_id, "unit_opinion")
            assert r.status_code == 201, r.json()
    return app_id


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.json())
    return response.json()


def assign(users: dict[str, Any], app_id: int, expert: str) -> Any:
    return api_as(users["cast_staff"]).post(
        f"{URL}{app_id}/assignments/", {"stage": "expert", "assignee": expert}, format="json"
    )


def score(users: dict[str, Any], expert: str, app_id: int, scores: Any = None, comment: Any = "论证充分，目标明确。"):
    body: dict[str, Any] = {"scores": GOOD_SCORES if scores is None else scores}
    if comment is not None:
        body["comment"] = comment
    return api_as(users[expert]).post(f"{URL}{app_id}/scores/", body, format="json")


# The steps from a complete draft to each state, as (kind, …) tuples run by ``advance``.
STEPS: dict[str, list[tuple[str, ...]]] = {
    "draft": [],
    "submitted": [("A", "submit")],
    "withdrawn": [("A", "withdraw")],
    "withdrawn_after_submit": [("A", "submit"), ("A", "withdraw")],
    "returned": [("A", "submit"), ("R", "return_for_revision")],
    "not_recommended": [("A", "submit"), ("R", "decline")],
    "recommended": [("A", "submit"), ("CR", "recommender"), ("R-upload",), ("R", "recommend")],
}
STEPS["expert_review"] = [*STEPS["recommended"], ("C", "pass_formal_review")]
STEPS["rejected"] = [*STEPS["recommended"], ("C", "reject_formal_review")]
STEPS["proposed"] = [
    *STEPS["expert_review"],
    *[("assign", e) for e in EXPERTS],
    *[("score", e) for e in EXPERTS],
    ("content_cast", "cast"),
    ("decide",),
    ("C", "propose"),
]
# The same states for a DIRECT applicant: "recommended" is reached by submit_to_cast.
_RECOMMENDED = len(STEPS["recommended"])
DIRECT_STEPS: dict[str, list[tuple[str, ...]]] = {
    "draft": [],
    "withdrawn": [("A", "withdraw")],
    "recommended": [("A-upload",), ("A", "submit_to_cast")],
}
for _state in ("expert_review", "rejected", "proposed"):
    DIRECT_STEPS[_state] = [*DIRECT_STEPS["recommended"], *STEPS[_state][_RECOMMENDED:]]


def advance(users: dict[str, Any], app_id: int, applicant: str, state: str, *, experts: tuple[str, ...] = ()) -> None:
    """Move a complete draft of ``applicant`` to ``state`` over HTTP; then assign ``experts``."""
    _sub, reviewer, content = PARTIES[applicant]
    for step in (DIRECT_STEPS if applicant in DIRECT else STEPS)[state]:
        kind = step[0]
        if kind == "A-upload":
            ok(upload(api_as(users[applicant]), app_id, "unit_opinion", name="申报单位意见（盖章）.pdf"), 201)
        elif kind == "A":
            ok(act(users, applicant, app_id, step[1]))
        elif kind == "R":
            ok(act(users, reviewer, app_id, step[1], opinion="同意推荐。"))
        elif kind == "C":
            extra = {"funding_amount": "60000.00"} if step[1] == "propose" else {}
            ok(act(users, "cast_staff", app_id, step[1], opinion="同意。", **extra))
        elif kind == "CR":
            ok(review(users, content, app_id, step[1]), 201)
        elif kind == "content_cast":
            ok(review(users, "content_cast", app_id, step[1]), 201)
        elif kind == "decide":
            # 审定: a decision meeting with minutes decided it before 拟立项.
            decided(users, "applications.application", Application.objects.get(pk=app_id).round_id, app_id)
        elif kind == "R-upload":
            ok(upload(api_as(users[reviewer]), app_id, "recommender_opinion", name="推荐意见.pdf"), 201)
        elif kind == "assign":
            ok(assign(users, app_id, step[1]), 201)
        elif kind == "score":
            ok(score(users, step[1], app_id), 201)
    for expert in experts:
        ok(assign(users, app_id, expert), 201)


def application_in(
    users: dict[str, Any],
    round_id: int,
    state: str,
    applicant: str = "applicant_csf_br1",
    *,
    experts: tuple[str, ...] = (),
    **overrides: Any,
) -> int:
    """A new application of ``applicant`` moved to ``state`` over HTTP. Returns its id."""
    app_id = create_draft(users, round_id, applicant, **overrides)
    advance(users, app_id, applicant, state, experts=experts)
    return app_id


__all__ = [
    "DIRECT",
    "EXPERTS",
    "GOOD_SCORES",
    "PARTIES",
    "PDF_BYTES",
    "URL",
    "advance",
    "application_in",
    "assign",
    "create_draft",
    "make_gd_cast_applicant",
    "ok",
    "score",
    "unique_name",
]


# -- public notices (notices app) -------------------------------------------------------------

RECORD_TYPE = "applications.application"


def notice_for(users: dict[str, Any], round_id: int, ids: list[int], title: str = "智惠行动拟立项项目公示") -> dict:
    """A notice listing the proposed applications ``ids``: created by CAST staff, passed by
    CAST's content reviewer and published, over HTTP. Returns the published notice."""
    staff = api_as(users["cast_staff"])
    body = {"round": round_id, "record_type": RECORD_TYPE, "record_ids": ids, "title": title, "intro": "现予公示。"}
    notice = ok(staff.post("/api/v1/notices/", body, format="json"), 201)
    ok(
        api_as(users["content_cast"]).post(
            f"/api/v1/notices/{notice['id']}/review/", {"verdict": "pass", "opinion": "名单内容无问题。"}, format="json"
        )
    )
    return ok(staff.post(f"/api/v1/notices/{notice['id']}/publish/", {}, format="json"))


def end_notice_period(notice_id: int) -> None:
    """Test setup: the notice period is over (its last day was yesterday)."""
    import datetime as dt

    from django.utils import timezone

    from notices.models import PublicNotice

    today = timezone.localdate()
    PublicNotice.objects.filter(pk=notice_id).update(
        starts_on=today - dt.timedelta(days=10), ends_on=today - dt.timedelta(days=1)
    )


OBJECTION = {
    "name": "陈晓东",
    "identity": "湛江市某养殖合作社社员",
    "unit": "湛江市某养殖合作社",
    "phone": "13900139000",
    "email": "chenxd@example.org",
    "content": "该项目申报的培训场次与实际情况不符，去年同类项目未按计划实施。",
}


def file_objection(notice_id: int, entry_id: int, **overrides: Any) -> Any:
    """A member of the public (no login) objects to one entry of a published notice."""
    return api_as(None).post(
        f"/api/v1/public/notices/{notice_id}/objections/", {"entry": entry_id, **OBJECTION, **overrides}, format="json"
    )
