"""seed_demo --with-records: realistic nominations of all four categories in every state,
moved by the real services as the demo users."""

from __future__ import annotations

import io
from collections import defaultdict

from django.core.management import call_command
from django.utils import timezone

from devtools.demo.nominations import CURRENT_DEMOS, DEMOS, PREVIOUS_DEMOS, expected_states, seed_demo_records
from nominations.checks import eligibility_report
from nominations.flows import NO_VIOLATION_STATEMENT
from nominations.models import Nomination
from notices.models import Objection, PublicNotice
from tests.conftest import verify_chain
from workflows.models import Attachment, AuditEvent, Checkpoint, ReviewAssignment, Round
from workflows.scoring import scores_query

ALL_STATES = {
    "draft",
    "submitted",
    "returned",
    "not_recommended",
    "withdrawn",
    "recommended",
    "ineligible",
    "expert_review",
    "shortlisted",
    "not_selected",
    "public_notice",
    "awarded",
    "disqualified",
}
MB = 1024 * 1024


def seed_with_records() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--with-records", stdout=out)
    return out.getvalue()


def actions(record: Nomination) -> list[str]:
    return list(
        AuditEvent.objects.filter(record_type=record.record_type(), record_id=record.pk)
        .order_by("record_seq")
        .values_list("action", flat=True)
    )


def snapshot() -> tuple:
    return (
        sorted(Nomination.objects.values_list("pk", "round_id", "category", "nominee_name", "state")),
        AuditEvent.objects.count(),
        Attachment.objects.count(),
        Round.objects.count(),
        PublicNotice.objects.count(),
        Objection.objects.count(),
    )


def test_every_state_of_every_category_is_filled(demo):
    output = seed_with_records()

    assert "nominations.nomination：演示记录 22 条（demo records: 22）" in output
    records = list(Nomination.objects.select_related("organization", "round"))
    assert len(records) == len(DEMOS) == 22
    assert {n.state for n in records} == ALL_STATES
    by_category: dict[str, set[str]] = defaultdict(set)
    for n in records:
        by_category[n.category].add(n.state)
    assert (
        dict(by_category)
        == expected_states()
        == {
            "volunteer": {"draft", "submitted", "ineligible", "awarded", "disqualified", "not_selected"},
            "team": {"recommended", "returned", "withdrawn", "awarded", "not_selected"},
            "project": {"not_recommended", "submitted", "public_notice", "expert_review"},
            "site": {"draft", "recommended", "shortlisted"},
        }
    )
    assert {n.organization.code for n in records} == {"CSF-BR1", "GD-FISH", "GD-XW-CAST"}
    # Every record was created by its applicant's service and its last event left it in its state.
    for n in records:
        events = list(AuditEvent.objects.filter(record_type=n.record_type(), record_id=n.pk).order_by("record_seq"))
        assert (events[0].action, events[0].actor.username) == ("create", n.created_by.username), n
        assert events[-1].to_state == n.state, n

    count, problem = verify_chain()
    assert problem is None
    assert count == AuditEvent.objects.count() > 300


def test_the_records_are_complete_and_realistic(demo):
    assert seed_demo_records() == len(DEMOS)
    year = timezone.localdate().year

    for n in Nomination.objects.exclude(state="draft"):
        assert 0 < len(n.deeds) <= 2000, n
        photos = Attachment.objects.filter(record_type=n.record_type(), record_id=n.pk, kind__in=["photo", "id_photo"])
        assert photos.filter(kind="photo").count() == 3, n
        assert photos.filter(kind="id_photo").count() == (1 if n.category == "volunteer" else 0), n
        for photo in photos:
            assert photo.content_type == "image/jpeg" and MB <= photo.size <= 3 * MB
            with photo.file.open("rb") as f:
                assert f.read(3) == b"\xff\xd8\xff"
        assert "submit" in actions(n)
    for n in Nomination.objects.filter(
        state__in=[
            "recommended",
            "expert_review",
            "shortlisted",
            "not_selected",
            "public_notice",
            "awarded",
            "disqualified",
            "ineligible",
        ]
    ):
        assert NO_VIOLATION_STATEMENT in n.recommender_opinion, n
        assert Attachment.objects.filter(record_type=n.record_type(), record_id=n.pk, kind="recommender_opinion")
    for n in Nomination.objects.filter(state__in=["shortlisted", "public_notice", "awarded", "disqualified"]):
        assert scores_query(n).count() == 3
        # Shortlisted after CAST's content review; a promoted candidate came from “not selected”.
        stage = "publication" if n.promoted else "cast"
        assert Checkpoint.objects.filter(record_type=n.record_type(), record_id=n.pk, stage=stage).exists()

    by_name = {(n.round.year, n.nominee_name): n for n in Nomination.objects.select_related("round")}
    previous = year - 1
    # Last year's winners, numbered in the order they were announced.
    winners = Nomination.objects.filter(state="awarded").order_by("certificate_number")
    assert [(w.nominee_name, w.certificate_number) for w in winners] == [
        ("林海燕", f"科志〔{previous}〕001号"),
        ("菠萝之乡科技志愿服务队", f"科志〔{previous}〕002号"),
        ("南海渔业安全科技志愿服务队", f"科志〔{previous}〕003号"),
        ("陈秀英", f"科志〔{previous}〕004号"),
    ]
    # The upheld objection disqualified one; the next in the ranking was promoted in its place.
    disqualified = by_name[(previous, "梁振华")]
    assert disqualified.state == "disqualified"
    assert actions(disqualified)[-3:] == ["objection_filed", "objection_upheld", "disqualify"]
    promoted = by_name[(previous, "陈秀英")]
    assert promoted.promoted and {"not_select", "promote", "award"} <= set(actions(promoted))
    dismissed = by_name[(previous, "菠萝之乡科技志愿服务队")]
    assert {"objection_filed", "objection_dismissed", "award"} <= set(actions(dismissed))
    assert sorted(Objection.objects.values_list("status", flat=True)) == ["dismissed", "filed", "upheld"]
    assert sorted(PublicNotice.objects.values_list("status", flat=True)) == ["closed", "closed", "published"]
    running = PublicNotice.objects.get(status="published")
    assert running.starts_on <= timezone.localdate() <= running.ends_on
    assert Objection.objects.get(status="filed").entry.notice == running
    for notice in PublicNotice.objects.filter(status="closed"):
        assert notice.ends_on < timezone.localdate()

    in_review = Nomination.objects.get(state="expert_review")
    assert ReviewAssignment.objects.filter(record_type=in_review.record_type(), record_id=in_review.pk).count() == 3
    assert scores_query(in_review).count() == 2

    # Last year's winner nominated again fails the past-winner rule and was declared ineligible.
    again = by_name[(year, "林海燕")]
    assert again.state == "ineligible"
    assert [r["passed"] for r in eligibility_report(again) if r["rule"] == "past_winner"] == [False]
    resubmitted = by_name[(year, "菠萝产业科技志愿服务进万家")]
    assert [a for a in actions(resubmitted) if a in {"submit", "return_for_revision", "edit", "resubmit"}] == [
        "submit",
        "return_for_revision",
        "edit",
        "resubmit",
    ]
    assert "8个镇" in resubmitted.deeds


def test_rounds_the_current_one_stays_open_the_previous_one_is_past(demo):
    seed_demo_records()
    year = timezone.localdate().year
    current = Round.objects.get(kind="selection", year=year)
    previous = Round.objects.get(kind="selection", year=year - 1)
    assert [current.window_problem(w) for w in Round.WINDOWS] == [None, None, None]
    assert all(previous.window_problem(w) for w in Round.WINDOWS)
    previous.full_clean()
    assert previous.typed_settings.winners_per_category == {"volunteer": 2, "team": 2, "project": 2, "site": 2}
    assert set(Nomination.objects.filter(round=previous).values_list("nominee_name", flat=True)) == {
        d.name for d in PREVIOUS_DEMOS
    }
    assert set(Nomination.objects.filter(round=current).values_list("nominee_name", flat=True)) == {
        d.name for d in CURRENT_DEMOS
    }
    late = {"expert_review", "shortlisted", "not_selected", "public_notice", "awarded", "disqualified"}
    assert set(Nomination.objects.filter(state__in=late).values_list("round__year", flat=True)) == {year - 1}


def test_running_it_again_creates_nothing(demo):
    seed_with_records()
    before = snapshot()

    assert seed_demo_records() == 0
    seed_with_records()

    assert snapshot() == before
    assert verify_chain()[1] is None


def test_a_missing_current_record_is_topped_up(demo):
    seed_demo_records()
    Nomination.objects.filter(nominee_name="黄志明").delete()

    assert seed_demo_records() == 1
    assert Nomination.objects.get(nominee_name="黄志明").state == "submitted"
    assert Nomination.objects.count() == len(DEMOS)
    assert verify_chain()[1] is None
