"""seed_demo --with-records: realistic applications in every state, moved by the real services."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from applications.models import Application
from devtools.demo.applications import DEMOS, demo_names, expected_states
from tests.conftest import verify_chain
from workflows.models import AuditEvent, Checkpoint, ReviewAssignment, Round
from workflows.scoring import scores_query

ALL_STATES = {
    "draft",
    "submitted",
    "returned",
    "not_recommended",
    "withdrawn",
    "recommended",
    "expert_review",
    "proposed",
    "public_notice",
    "approved",
    "rejected",
}


def seed_with_records() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--with-records", stdout=out)
    return out.getvalue()


def events(app: Application) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(record_type=app.record_type(), record_id=app.pk).order_by("record_seq"))


def actions(app: Application) -> list[str]:
    return [e.action for e in events(app)]


def test_every_state_of_every_sub_project_is_filled(demo):
    output = seed_with_records()

    apps = list(Application.objects.select_related("subproject", "organization", "round"))
    assert len(apps) == len(DEMOS) == 13
    assert f"applications.application：演示记录 {len(DEMOS)} 条" in output
    assert {a.state for a in apps} == ALL_STATES
    by_subproject: dict[str, set[str]] = defaultdict(set)
    for app in apps:
        by_subproject[app.subproject.code].add(app.state)
    assert (
        dict(by_subproject)
        == expected_states()
        == {
            "grassroots": {"draft", "withdrawn", "submitted", "recommended", "rejected", "public_notice", "approved"},
            "civilization_centre": {"not_recommended", "returned", "proposed"},
            # CAE applies for itself: straight to CAST, never "submitted".
            "integrate": {"recommended", "expert_review", "rejected"},
        }
    )
    assert {a.organization.code for a in apps} == {"CSF-BR1", "GD-FISH", "GD-XW-CAST", "CAE"}

    ok, problem = verify_chain()
    assert problem is None
    assert ok > 100


def test_records_are_realistic_and_moved_by_the_services(demo):
    seed_with_records()

    for app in Application.objects.all():
        assert len(app.name) <= 20, app.name
        history = events(app)
        # Created by the applicant's service, and the last event leaves it in its state.
        assert history[0].action == "create"
        assert history[-1].to_state == app.state, app.name
        if app.state == "draft":
            continue
        assert app.team.exists()
        assert app.budget_total() == app.requested_amount, app.name
        assert Decimal("40000") <= app.requested_amount <= Decimal("100000")
        # A unit that is its own recommending unit (CAE) submits straight to CAST.
        direct = app.organization_id == app.recommending_unit_id
        assert ("submit_to_cast" if direct else "submit") in actions(app), app.name
        if app.funding_amount is not None:
            assert app.funding_amount <= app.requested_amount

    by_name = {a.name: a for a in Application.objects.all()}
    returned = by_name["徐闻县文明实践科普大篷车"]
    assert returned.state == "returned"
    event = [e for e in events(returned) if e.action == "return_for_revision"][-1]
    assert event.actor.username == "reviewer_gd_cast" and "对接机制" in event.opinion

    resubmitted = by_name["梅州山区稻鱼共生技术推广"]
    assert resubmitted.state == "submitted"
    assert [a for a in actions(resubmitted) if a in {"submit", "return_for_revision", "edit", "resubmit"}] == [
        "submit",
        "return_for_revision",
        "edit",
        "resubmit",
    ]
    assert "1500元" in resubmitted.performance[0]["name"]

    rejected = {a.name: actions(a) for a in Application.objects.filter(state="rejected")}
    assert "reject_formal_review" in rejected["长江退捕渔民转产技能培训"]
    assert "reject" in rejected["农业科技志愿者数字化平台"]

    in_review = Application.objects.get(state="expert_review")
    assigned = ReviewAssignment.objects.filter(record_type=in_review.record_type(), record_id=in_review.pk)
    assert assigned.filter(stage="expert").count() == 3
    assert 0 < scores_query(in_review).count() < 3

    for app in Application.objects.filter(state__in=["proposed", "public_notice", "approved"]):
        assert scores_query(app).count() == 3
        assert app.funding_amount is not None
        assert Checkpoint.objects.filter(
            record_type=app.record_type(), record_id=app.pk, stage="cast", verdict="pass"
        ).exists()

    approved = Application.objects.get(state="approved")
    assert approved.approval_number == f"智惠〔{approved.round.year}〕001号"
    assert "issue" in actions(approved)
    on_notice = Application.objects.get(state="public_notice")
    assert "publish_notice" in actions(on_notice) and on_notice.approval_number is None


def test_rounds_the_current_one_stays_open_the_previous_one_is_past(demo):
    seed_with_records()
    year = timezone.localdate().year

    current = Round.objects.get(kind="application", year=year)
    previous = Round.objects.get(kind="application", year=year - 1)
    assert [current.window_problem(w) for w in Round.WINDOWS] == [None, None, None]
    assert all(previous.window_problem(w) for w in Round.WINDOWS)
    previous.full_clean()
    late = {"expert_review", "proposed", "public_notice", "approved"}
    assert set(Application.objects.filter(state__in=late).values_list("round__year", flat=True)) == {year - 1}


def test_running_it_again_creates_nothing(demo):
    seed_with_records()
    before = (
        sorted(Application.objects.values_list("pk", "name", "state")),
        AuditEvent.objects.count(),
        Round.objects.count(),
    )

    output = seed_with_records()

    assert "applications.application：演示记录 0 条" in output
    after = (
        sorted(Application.objects.values_list("pk", "name", "state")),
        AuditEvent.objects.count(),
        Round.objects.count(),
    )
    assert after == before
    assert verify_chain()[1] is None


def test_a_missing_demo_record_is_topped_up(demo):
    seed_with_records()
    Application.objects.filter(name="黄土高原旱作农业科普行").delete()

    output = seed_with_records()

    assert "applications.application：演示记录 1 条" in output
    assert sorted(Application.objects.values_list("name", flat=True)) == sorted(demo_names())
    assert Application.objects.get(name="黄土高原旱作农业科普行").state == "draft"
