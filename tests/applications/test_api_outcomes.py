"""The other ends of the application flow, over HTTP: decline, formal-review rejection and
return, rejection after expert review, withdrawal, and the public notice's outcomes — issue
with sequential approval numbers, an objection dismissed, an objection upheld (revoked)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from applications.models import Application
from notices.models import Objection
from tests.applications.builders import (
    URL,
    application_in,
    end_notice_period,
    file_objection,
    make_gd_cast_applicant,
    notice_for,
    ok,
)
from tests.applications.helpers import act
from tests.conftest import api_as, make_round
from workflows.models import AuditEvent, Round


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


@pytest.fixture(autouse=True)
def _no_objection_rate_limit_carry_over():
    # Objections are rate-limited per client address in the cache; tests must not share it.
    cache.clear()
    yield
    cache.clear()


def state_of(app_id: int) -> str:
    return Application.objects.get(pk=app_id).state


def events(app_id: int) -> int:
    return AuditEvent.objects.filter(record_type="applications.application", record_id=app_id).count()


def options(users, username: str, app_id: int) -> list[str]:
    response = api_as(users[username]).get(f"{URL}{app_id}/transitions/")
    assert response.status_code == 200
    return [t["name"] for t in response.json()]


def test_decline(users, round_id):
    app_id = application_in(users, round_id, "submitted")
    before = events(app_id)
    response = act(users, "reviewer_csf", app_id, "decline", opinion="")
    assert (response.status_code, response.json()["errors"]) == (400, ["请填写意见"])
    assert (state_of(app_id), events(app_id)) == ("submitted", before)

    declined = ok(act(users, "reviewer_csf", app_id, "decline", opinion="服务对象与本子项目不符。"))
    assert (declined["state"], declined["state_label"]) == ("not_recommended", "不予推荐")
    # Final: nobody has anything left to do, and a late recommend is answered 409.
    assert options(users, "applicant_csf_br1", app_id) == []
    assert options(users, "reviewer_csf", app_id) == []
    response = act(users, "reviewer_csf", app_id, "recommend", opinion="同意推荐。")
    assert (response.status_code, response.json()["errors"]) == (
        409,
        ["记录当前状态为“不予推荐”，无法执行“推荐”：可能已被他人处理，请刷新后重试"],
    )
    # The applicant reads the reason; CAST never sees a record that was not recommended.
    history = api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/history/").json()
    assert (history[-1]["action"], history[-1]["opinion"], history[-1]["actor_org"]) == (
        "decline",
        "服务对象与本子项目不符。",
        "CSF",
    )
    assert api_as(users["cast_staff"]).get(f"{URL}{app_id}/").status_code == 404


def test_formal_review_rejection_frees_the_quota(users):
    round_ = make_round(settings={"recommender_quota": 1})
    app_id = application_in(users, round_.pk, "recommended")
    response = act(users, "cast_staff", app_id, "reject_formal_review", opinion="  ")
    assert (response.status_code, response.json()["errors"]) == (400, ["请填写意见"])
    assert state_of(app_id) == "recommended"

    rejected = ok(act(users, "cast_staff", app_id, "reject_formal_review", opinion="缺少主管单位推荐意见。"))
    assert (rejected["state"], rejected["state_label"]) == ("rejected", "不予立项")
    assert options(users, "cast_staff", app_id) == []
    history = api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/history/").json()
    assert (history[-1]["action"], history[-1]["opinion"]) == ("reject_formal_review", "缺少主管单位推荐意见。")
    # A rejected application no longer holds the unit's only recommendation of the sub-project.
    other = application_in(users, round_.pk, "recommended", applicant="applicant_gd_fish")
    assert state_of(other) == "recommended"


def test_return_from_formal_review_then_resubmit(users, round_id):
    app_id = application_in(users, round_id, "recommended")
    returned = ok(act(users, "cast_staff", app_id, "return_from_formal_review", opinion="请补充主管单位意见。"))
    assert returned["state"] == "returned"
    # CAST staff keep it in sight while it is returned: its 补正期限 is theirs to extend.
    assert api_as(users["cast_staff"]).get(f"{URL}{app_id}/").status_code == 200
    client = api_as(users["applicant_csf_br1"])
    assert client.patch(f"{URL}{app_id}/", {"conditions": "团队 10 人。"}, format="json").status_code == 200
    assert ok(act(users, "applicant_csf_br1", app_id, "resubmit"))["state"] == "submitted"
    # Resubmitted, it is back with the recommending unit and out of CAST's sight.
    assert api_as(users["cast_staff"]).get(f"{URL}{app_id}/").status_code == 404
    diff = client.get(f"{URL}{app_id}/diff/").json()
    assert (diff["since"], [c["field"] for c in diff["changes"]]) == (1, ["conditions"])


def test_reject_after_expert_review(users, round_id):
    app_id = application_in(users, round_id, "expert_review", experts=("expert_1",))
    rejected = ok(act(users, "cast_staff", app_id, "reject", opinion="专家评审未通过。"))
    assert rejected["state"] == "rejected"
    # The assigned expert can no longer score it.
    response = api_as(users["expert_1"]).post(
        f"{URL}{app_id}/scores/",
        {"scores": {"necessity": 1, "feasibility": 1, "targets": 1, "team": 1, "budget": 1}, "comment": "迟到"},
        format="json",
    )
    assert (response.status_code, response.json()["errors"]) == (409, ["申报已不在专家评审阶段，不能评分"])


@pytest.mark.parametrize("state", ["draft", "submitted", "returned"])
def test_withdrawal(users, round_id, state):
    app_id = application_in(users, round_id, state)
    # Only the applicant withdraws: the reviewer holds no such permission.
    if state != "draft":
        response = act(users, "reviewer_csf", app_id, "withdraw", opinion="")
        assert (response.status_code, response.json()["errors"]) == (403, ["您没有权限执行“撤回”"])
    withdrawn = ok(act(users, "applicant_csf_br1", app_id, "withdraw", opinion="另行申报。"))
    assert (withdrawn["state"], withdrawn["state_label"]) == ("withdrawn", "已撤回")
    assert options(users, "applicant_csf_br1", app_id) == []
    # A withdrawn application can no longer be edited, nor its files changed.
    client = api_as(users["applicant_csf_br1"])
    response = client.patch(f"{URL}{app_id}/", {"outcomes": "新成果"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (409, ["申报当前状态为“已撤回”，不能修改"])
    # … and it is no duplicate: the unit may apply again in the same sub-project.
    again = application_in(users, round_id, "submitted")
    assert state_of(again) == "submitted"


def test_sequential_approval_numbers(users, round_id):
    year = Round.objects.get(pk=round_id).year
    ids = [
        application_in(users, round_id, "proposed", applicant=a)
        for a in ("applicant_csf_br1", "applicant_gd_fish", "applicant_xuwen")
    ]
    notice = notice_for(users, round_id, ids)
    end_notice_period(notice["id"])
    ok(api_as(users["cast_staff"]).post(f"/api/v1/notices/{notice['id']}/finish/", {}, format="json"))
    numbers = [Application.objects.get(pk=i).approval_number for i in ids]
    assert numbers == [f"智惠〔{year}〕001号", f"智惠〔{year}〕002号", f"智惠〔{year}〕003号"]

    # A later notice of the same round continues the sequence; its record issued on its own.
    make_gd_cast_applicant(users)
    fourth = application_in(users, round_id, "proposed", applicant="applicant_gd_cast")
    later = notice_for(users, round_id, [fourth], title="智惠行动拟立项项目公示（第二批）")
    end_notice_period(later["id"])
    issued = ok(act(users, "cast_staff", fourth, "issue", opinion=""))
    assert (issued["state"], issued["approval_number"]) == ("approved", f"智惠〔{year}〕004号")
    listed = api_as(users["auditor"]).get(URL, {"state": "approved", "ordering": "name"}).json()["results"]
    assert sorted(r["approval_number"] for r in listed) == [f"智惠〔{year}〕{n:03d}号" for n in range(1, 5)]


def test_objection_open_blocks_issue_then_dismissed(users, round_id):
    app_id = application_in(users, round_id, "proposed")
    notice = notice_for(users, round_id, [app_id])
    entry_id = notice["entries"][0]["id"]
    filed = file_objection(notice["id"], entry_id)
    assert filed.status_code == 201, filed.json()
    reference = filed.json()["reference"]
    objection = Objection.objects.get(reference=reference)

    end_notice_period(notice["id"])
    staff = api_as(users["cast_staff"])
    response = staff.post(f"/api/v1/notices/{notice['id']}/finish/", {}, format="json")
    name = Application.objects.get(pk=app_id).name
    assert (response.status_code, response.json()["errors"]) == (400, [f"《{name}》：该记录有 1 条异议尚未处理"])
    assert state_of(app_id) == "public_notice"

    decided = ok(
        staff.post(
            f"/api/v1/objections/{objection.pk}/decide/",
            {"decision": "dismiss", "reason": "经核实，培训场次与计划一致。"},
            format="json",
        )
    )
    assert (decided["status"], decided["reference"]) == ("dismissed", reference)
    assert state_of(app_id) == "public_notice"
    ok(staff.post(f"/api/v1/notices/{notice['id']}/finish/", {}, format="json"))
    assert state_of(app_id) == "approved"


def test_upheld_objection_revokes(users, round_id):
    year = Round.objects.get(pk=round_id).year
    objected = application_in(users, round_id, "proposed")
    other = application_in(users, round_id, "proposed", applicant="applicant_xuwen")
    notice = notice_for(users, round_id, [objected, other])
    entry_id = next(e["id"] for e in notice["entries"] if e["record_id"] == objected)
    staff = api_as(users["cast_staff"])

    # Revoking needs an upheld objection.
    response = act(users, "cast_staff", objected, "revoke", opinion="异议成立。")
    assert (response.status_code, response.json()["errors"]) == (400, ["该记录没有成立的异议"])

    filed = file_objection(notice["id"], entry_id)
    assert filed.status_code == 201, filed.json()
    objection = Objection.objects.get(reference=filed.json()["reference"])
    response = staff.post(f"/api/v1/objections/{objection.pk}/decide/", {"decision": "uphold"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, ["请填写处理理由"])
    assert state_of(objected) == "public_notice"

    decided = ok(
        staff.post(
            f"/api/v1/objections/{objection.pk}/decide/",
            {"decision": "uphold", "reason": "经核实，去年同类项目未按计划实施。"},
            format="json",
        )
    )
    assert decided["status"] == "upheld"
    revoked = api_as(users["applicant_csf_br1"]).get(f"{URL}{objected}/").json()
    assert (revoked["state"], revoked["state_label"], revoked["approval_number"]) == ("rejected", "不予立项", None)
    history = api_as(users["auditor"]).get(f"{URL}{objected}/history/").json()
    assert [e["action"] for e in history][-3:] == ["objection_filed", "objection_upheld", "revoke"]
    assert history[-1]["opinion"] == "经核实，去年同类项目未按计划实施。"

    # The period ends: the notice closes, issuing the other record only, numbered 001.
    end_notice_period(notice["id"])
    closed = ok(staff.post(f"/api/v1/notices/{notice['id']}/finish/", {}, format="json"))
    assert closed["status"] == "closed"
    assert (state_of(objected), state_of(other)) == ("rejected", "approved")
    assert Application.objects.get(pk=other).approval_number == f"智惠〔{year}〕001号"
