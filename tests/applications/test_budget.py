"""Money: standard budget categories, the round's funding range on the request, the
sub-project's budget envelope on the decision (拟立项) with the total proposed shown against
it, and amounts shown in 万元 while stored exactly in 元."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections

from applications.models import Application, SubprojectType
from common.money import wan
from tests.applications.builders import application_in, create_draft, ok
from tests.applications.helpers import act
from tests.conftest import api_as
from workflows import services
from workflows.exceptions import TransitionBlocked
from workflows.models import AuditEvent, Round

URL = "/api/v1/applications/"


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


def refused(response) -> list[str]:
    assert response.status_code == 400, (response.status_code, response.json())
    return response.json()["errors"]


def set_envelope(round_id: int, amount: str | None, code: str = "grassroots") -> SubprojectType:
    SubprojectType.objects.filter(round_id=round_id, code=code).update(
        envelope_yuan=None if amount is None else Decimal(amount)
    )
    return SubprojectType.objects.get(round_id=round_id, code=code)


# -- 万元 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("45000.00"), "4.5"),
        (Decimal("80000"), "8"),
        (Decimal("12345.67"), "1.2346"),
        (Decimal("0.01"), "0"),
        (Decimal("1.00"), "0.0001"),
        (Decimal("1234567890.00"), "123,456.789"),
        ("60000.00", "6"),
        (100000, "10"),
        (None, ""),
        ("", ""),
    ],
)
def test_wan(amount, shown):
    assert wan(amount) == shown


def test_api_keeps_yuan_and_adds_wan_for_display(users, round_id):
    app_id = create_draft(
        users,
        round_id,
        "applicant_csf_br1",
        requested_amount="45000.00",
        budget=[{"category": "training", "item": "培训", "amount": "45000.00"}],
    )
    body = ok(api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/"))
    assert (body["requested_amount"], body["requested_amount_wan"]) == ("45000.00", "4.5")
    assert (body["funding_amount"], body["funding_amount_wan"]) == (None, None)
    assert body["budget"] == [
        {"category": "training", "category_label": "培训费", "item": "培训", "amount": "45000.00", "note": ""}
    ]
    assert Application.objects.get(pk=app_id).requested_amount == Decimal("45000.00")


# -- budget categories -------------------------------------------------------------------------


def test_budget_lines_need_a_standard_category(users, round_id):
    app_id = create_draft(users, round_id, "applicant_csf_br1")
    client = api_as(users["applicant_csf_br1"])
    before = list(Application.objects.get(pk=app_id).budget_lines.values_list("category", "item", "amount"))
    rows = [
        {"item": "资料", "amount": "20000.00"},
        {"category": "snacks", "item": "茶歇", "amount": "60000.00"},
        {"category": "printing", "item": "", "amount": "1"},
    ]
    choices = "劳务费、专家咨询费、差旅费、会议费、培训费、印刷费、宣传费、材料费、保险费、其他"
    assert refused(client.patch(f"{URL}{app_id}/", {"budget": rows}, format="json")) == [
        f"预算明细第 1 行：请选择支出科目（{choices}）",
        f"预算明细第 2 行：请选择支出科目（{choices}）",
        "预算明细第 3 行：请填写支出内容",
    ]
    after = list(Application.objects.get(pk=app_id).budget_lines.values_list("category", "item", "amount"))
    assert after == before


# -- the funding range ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "allowed"),
    [("39999.99", False), ("40000.00", True), ("100000.00", True), ("100000.01", False)],
)
def test_request_within_the_rounds_funding_range(users, round_id, amount, allowed):
    budget = [{"category": "training", "item": "培训", "amount": amount}]
    app_id = create_draft(users, round_id, "applicant_csf_br1", requested_amount=amount, budget=budget)
    response = act(users, "applicant_csf_br1", app_id, "submit")
    if allowed:
        assert ok(response)["state"] == "submitted"
    else:
        assert refused(response) == [f"申请金额 {wan(amount)} 万元不在本批次资助额度 4～10 万元之内"]
        assert Application.objects.get(pk=app_id).state == "draft"


def test_funding_range_follows_the_round_settings(users, round_id):
    round_ = Round.objects.get(pk=round_id)
    round_.settings = {**(round_.settings or {}), "funding_min_yuan": 50000, "funding_max_yuan": 60000}
    round_.save(update_fields=["settings"])
    budget = [{"category": "training", "item": "培训", "amount": "45000.00"}]
    app_id = create_draft(users, round_id, "applicant_csf_br1", requested_amount="45000.00", budget=budget)
    assert refused(act(users, "applicant_csf_br1", app_id, "submit")) == [
        "申请金额 4.5 万元不在本批次资助额度 5～6 万元之内"
    ]


# -- the envelope -----------------------------------------------------------------------------


def propose(users, app_id: int, amount: str):
    return act(users, "cast_staff", app_id, "propose", opinion="同意拟立项。", funding_amount=amount)


def test_envelope_enforced_on_propose_and_shown(client, users, round_id):
    sub = set_envelope(round_id, "100000.00")
    first = application_in(users, round_id, "proposed", name="第一个项目")  # proposes 60,000.00
    second = application_in(
        users, round_id, "expert_review", "applicant_gd_fish", experts=("expert_1", "expert_2", "expert_3")
    )
    for expert in ("expert_1", "expert_2", "expert_3"):
        from tests.applications.builders import score

        ok(score(users, expert, second), 201)
    from tests.applications.helpers import review

    ok(review(users, "content_cast", second, "cast"), 201)
    from tests.decisions import decided

    decided(users, "applications.application", round_id, second)

    message = "“学会科技志愿服务基层行”拟资助合计将达 11 万元，超过预算额度 10 万元（已拟资助 6 万元，尚余 4 万元）"
    assert refused(propose(users, second, "50000.00")) == [message]
    assert Application.objects.get(pk=second).state == "expert_review"
    assert not AuditEvent.objects.filter(record_id=second, action="propose").exists()

    # Shown: the API's envelopes, the ranking page, the propose box.
    staff = api_as(users["cast_staff"])
    envelopes = ok(staff.get(f"{URL}envelopes/?round={round_id}"))
    grassroots = next(e for e in envelopes if e["subproject"] == "grassroots")
    assert grassroots == {
        "subproject": "grassroots",
        "subproject_id": sub.pk,
        "name": "学会科技志愿服务基层行",
        "envelope_yuan": "100000.00",
        "proposed_yuan": "60000.00",
        "remaining_yuan": "40000.00",
        "count": 1,
        "envelope_wan": "10",
        "proposed_wan": "6",
    }
    others = [e for e in envelopes if e["subproject"] != "grassroots"]
    assert {(e["envelope_yuan"], e["proposed_yuan"], e["remaining_yuan"], e["count"]) for e in others} == {
        (None, "0.00", None, 0)
    }
    client.force_login(users["cast_staff"])
    ranking = client.get(f"/applications/ranking/?round={round_id}").content.decode()
    assert "已拟资助合计 6 万元 / 预算额度 10 万元（尚余 4 万元）" in ranking
    detail = client.get(f"/applications/{second}/").content.decode()
    assert "“学会科技志愿服务基层行”已拟资助合计 6 万元 / 预算额度 10 万元" in detail

    # What fits is proposed; then nothing more fits.
    assert ok(propose(users, second, "40000.00"))["state"] == "proposed"
    assert (
        ok(staff.get(f"{URL}envelopes/?round={round_id}"))[[e["subproject"] for e in envelopes].index("grassroots")][
            "remaining_yuan"
        ]
        == "0.00"
    )
    assert Application.objects.get(pk=first).funding_amount == Decimal("60000.00")


def test_envelopes_for_cast_staff_and_auditors_only(users, round_id):
    assert api_as(users["auditor"]).get(f"{URL}envelopes/?round={round_id}").status_code == 200
    for name in ("applicant_csf_br1", "reviewer_csf", "expert_1"):
        assert api_as(users[name]).get(f"{URL}envelopes/?round={round_id}").status_code == 403, name
    assert refused(api_as(users["cast_staff"]).get(f"{URL}envelopes/?round=abc")) == ["请指定批次编号 round"]


def test_no_envelope_no_limit(users, round_id):
    set_envelope(round_id, None)
    application_in(users, round_id, "proposed", name="甲项目")
    application_in(users, round_id, "proposed", "applicant_gd_fish", name="乙项目")
    assert Application.objects.filter(state="proposed").count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_proposals_do_not_both_fit(users, round_id):
    """Envelope 100,000: two proposals of 60,000 at once: one is made, the other refused
    (the envelope's scope lock makes them take turns; without it both saw 100,000 free)."""
    set_envelope(round_id, "100000.00")
    ids = []
    for name, applicant in (("甲项目", "applicant_csf_br1"), ("乙项目", "applicant_gd_fish")):
        app_id = application_in(
            users, round_id, "expert_review", applicant, name=name, experts=("expert_1", "expert_2", "expert_3")
        )
        from tests.applications.builders import score
        from tests.applications.helpers import review

        for expert in ("expert_1", "expert_2", "expert_3"):
            ok(score(users, expert, app_id), 201)
        ok(review(users, "content_cast", app_id, "cast"), 201)
        ids.append(app_id)
    from tests.decisions import decided

    decided(users, "applications.application", round_id, *ids)
    staff = users["cast_staff"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def fire(app_id: int) -> None:
        try:
            record = Application.objects.get(pk=app_id)
            barrier.wait(timeout=30)
            services.transition(record, "propose", actor=staff, opinion="同意。", data={"funding_amount": "60000.00"})
            result = "ok"
        except TransitionBlocked as exc:
            result = "blocked: " + "；".join(exc.errors)
        except Exception as exc:  # anything else is a failure of the test
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=fire, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == [
        "blocked: “学会科技志愿服务基层行”拟资助合计将达 12 万元，超过预算额度 10 万元（已拟资助 6 万元，尚余 4 万元）",
        "ok",
    ]
    assert Application.objects.filter(state="proposed").count() == 1
    total = sum(a.funding_amount for a in Application.objects.filter(state="proposed"))
    assert total == Decimal("60000.00")
