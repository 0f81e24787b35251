"""`manage.py seed_scale`: a round at scale in every state, written in bulk, that the rest of
the system cannot tell from one made by the services.

Small numbers here (60 applications, 40 nominations); bench/bench_queue.py seeds 100,000.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from accounts.models import Membership, Organization, Role, User
from applications.flows import ApplicationFlow, ApplicationState
from applications.models import Application
from nominations.checks import eligibility_report
from nominations.flows import NominationFlow, NominationState
from nominations.models import Nomination
from notices.models import NoticeStatus, PublicNotice
from tests.conftest import api_as, verify_chain
from workflows.audit import audit_append
from workflows.models import AuditEvent, Checkpoint, LedgerCheckpoint, LedgerLeaf, LedgerPending, Revision
from workflows.scanner import scan_fields
from workflows.services import available_transitions, content_hash, transition

APPLICATION_COUNTS = {
    "draft": 5,
    "submitted": 12,
    "returned": 3,
    "withdrawn": 2,
    "not_recommended": 4,
    "recommended": 9,
    "rejected": 4,
    "expert_review": 7,
    "proposed": 3,
    "public_notice": 5,
    "approved": 6,
}
NOMINATION_COUNTS = {
    "draft": 3,
    "submitted": 6,
    "returned": 2,
    "withdrawn": 1,
    "not_recommended": 3,
    "recommended": 5,
    "ineligible": 2,
    "expert_review": 4,
    "not_selected": 5,
    "shortlisted": 2,
    "public_notice": 2,
    "awarded": 3,
    "disqualified": 2,
}
APPROVED_HISTORY = [
    "create",
    "attachment_added",
    "submit",
    "checkpoint_pass",
    "attachment_added",
    "recommend",
    "pass_formal_review",
    "assign",
    "assign",
    "assign",
    "score",
    "score",
    "score",
    "checkpoint_pass",
    "propose",
    "checkpoint_pass",
    "publish_notice",
    "issue",
]
DISQUALIFIED_HISTORY = [
    "submit",
    "checkpoint_pass",
    "attachment_added",
    "recommend",
    "confirm_eligible",
    "assign",
    "assign",
    "assign",
    "score",
    "score",
    "score",
    "checkpoint_pass",
    "shortlist",
    "checkpoint_pass",
    "publish_notice",
    "objection_filed",
    "objection_upheld",
    "disqualify",
]


def seed(label: str = "测试", **options) -> str:
    out = io.StringIO()
    call_command("seed_scale", applications=60, nominations=40, round=label, stdout=out, **options)
    return out.getvalue()


def counts(model) -> dict[str, int]:
    found: dict[str, int] = {}
    for state in model.objects.values_list("state", flat=True):
        found[state] = found.get(state, 0) + 1
    return found


@pytest.fixture
def seeded(db):
    # An event already in the trail (and queued for the ledger): the seed's events join it.
    with transaction.atomic():
        audit_append(record_type="tests.before", record_id=1, action="before")
    output = seed()
    return output


def user(username: str) -> User:
    return User.objects.get(username=username)


def test_every_state_of_both_flows_in_exact_numbers_and_the_chain_intact(seeded):
    assert counts(Application) == APPLICATION_COUNTS
    assert counts(Nomination) == NOMINATION_COUNTS
    assert set(APPLICATION_COUNTS) == set(ApplicationState.values)
    assert set(NOMINATION_COUNTS) == set(NominationState.values)
    assert "applications: 60" in seeded and "nominations: 40" in seeded

    checked, problem = verify_chain()
    assert problem is None
    # Every event, the earlier one included, is in a record's chain and in the signed log.
    assert checked == AuditEvent.objects.count() == LedgerLeaf.objects.count()
    assert LedgerPending.objects.count() == 0
    assert LedgerCheckpoint.objects.get().tree_size == checked
    assert f"ledger size {checked}" in seeded
    assert AuditEvent.objects.order_by("pk").first().action == "before"
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert f"audit ledger intact: {checked} events" in out.getvalue()
    # Events come in time order, as appended by the services.
    times = list(AuditEvent.objects.exclude(action="before").order_by("pk").values_list("created_at", flat=True))
    assert times == sorted(times)

    # Spread over the organizations of the tree: both kinds of recommending unit, their members.
    types = set(Organization.objects.filter(code__startswith="SC-").values_list("type", flat=True))
    assert types == {
        "provincial_cast",
        "city_cast",
        "county_cast",
        "national_society",
        "society_branch",
        "provincial_society",
    }
    applicant_orgs = Application.objects.values("organization").distinct().count()
    assert applicant_orgs >= 30
    units = set(Application.objects.values_list("recommending_unit__type", flat=True))
    assert units == {"provincial_cast", "national_society"}


def test_the_history_is_what_the_services_would_have_written(seeded):
    for model in (Application, Nomination):
        flow = model.flow_class
        for record in model.objects.all():
            events = list(AuditEvent.objects.filter(record_type=record.record_type(), record_id=record.pk))
            moves = [e for e in events if e.action in flow.all_transitions()]
            state = "draft"
            for event in moves:
                assert event.from_state == state, (record, event)
                assert flow.find(event.action, state) is not None, (record, event)
                state = event.to_state
            assert state == record.state, record
            assert events[0].action == "create"
            if not record.current_revision_hash:
                assert record.state in ("draft", "withdrawn")
                continue
            # The revision is the record's content now, its scan the scanner's.
            assert content_hash(record.content_snapshot()) == record.current_revision_hash, record
            revision = Revision.objects.filter(record_type=record.record_type(), record_id=record.pk).last()
            assert revision.content_hash == record.current_revision_hash
            submission = Checkpoint.objects.filter(
                record_type=record.record_type(), record_id=record.pk, stage="submission"
            ).last()
            assert submission.revision_hash == record.current_revision_hash
            assert submission.findings == scan_fields(record.scan_text())

    approved = Application.objects.filter(state="approved").order_by("pk").first()
    actions = list(
        AuditEvent.objects.filter(record_type="applications.application", record_id=approved.pk)
        .order_by("record_seq")
        .values_list("action", flat=True)
    )
    assert actions == APPROVED_HISTORY
    numbers = sorted(Application.objects.filter(state="approved").values_list("approval_number", flat=True))
    year = approved.round.year
    assert numbers == [f"智惠〔{year}〕{n:03d}号" for n in range(1, 7)]

    out = Nomination.objects.filter(state="disqualified").order_by("pk").first()
    actions = list(
        AuditEvent.objects.filter(record_type="nominations.nomination", record_id=out.pk)
        .order_by("record_seq")
        .values_list("action", flat=True)
    )
    assert [a for a in actions if a not in ("create", "attachment_added")][:2] == ["submit", "checkpoint_pass"]
    assert actions[-len(DISQUALIFIED_HISTORY) :] == DISQUALIFIED_HISTORY
    for nomination in Nomination.objects.filter(state__in=["expert_review", "awarded", "not_selected"]):
        event = AuditEvent.objects.get(
            record_type="nominations.nomination", record_id=nomination.pk, action="confirm_eligible"
        )
        assert event.data["eligibility"] == [
            {"rule": r["rule"], "passed": r["passed"]} for r in eligibility_report(nomination)
        ]
    assert sorted(Nomination.objects.filter(state="awarded").values_list("certificate_number", flat=True)) == [
        f"科志〔{year}〕{n:03d}号" for n in range(1, 4)
    ]
    # Notices: the issued ones closed, the running ones published with their period over.
    assert set(PublicNotice.objects.values_list("status", flat=True)) == {NoticeStatus.CLOSED, NoticeStatus.PUBLISHED}


def test_each_record_can_take_its_next_transition_today(seeded):
    staff = user("sc-cast-staff1")
    waiting = Application.objects.filter(state="public_notice").order_by("pk").first()
    offered = {t["name"]: t for t in available_transitions(waiting, staff)}
    assert offered["issue"]["allowed"], offered["issue"]["blocked_reasons"]
    issued = transition(waiting, "issue", actor=staff)
    assert issued.state == "approved"
    assert issued.approval_number == f"智惠〔{issued.round.year}〕007号"

    nomination = Nomination.objects.filter(state="public_notice").first()
    assert {t["name"]: t["allowed"] for t in available_transitions(nomination, staff)}["award"]
    recommended = Application.objects.filter(state="recommended").first()
    assert {t["name"]: t["allowed"] for t in available_transitions(recommended, staff)}["pass_formal_review"]
    submitted = Application.objects.filter(state="submitted").first()
    reviewer = User.objects.filter(
        memberships__organization_id=submitted.recommending_unit_id, memberships__role=Role.SOCIETY_REVIEWER
    ).first()
    assert {t["name"]: t["allowed"] for t in available_transitions(submitted, reviewer)}["return_for_revision"]

    # The records' chains go on from the seeded events.
    assert verify_chain()[1] is None


def _api_ids(client, url: str) -> set[int]:
    ids: set[int] = set()
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        ids.update(row["id"] for row in body["results"])
        url = body["next"]
    return ids


def test_lists_and_pages_show_each_user_what_their_scope_allows(seeded):
    staff = user("sc-cast-staff1")
    cast_states = ApplicationFlow.cast_visible_states
    expected = set(Application.objects.filter(state__in=cast_states).values_list("pk", flat=True))
    # and those CAST returned at formal review, while they are returned (their 补正期限 is CAST's)
    cast_returned = set(
        Application.objects.filter(state="returned", returned_by_stage="cast").values_list("pk", flat=True)
    )
    assert cast_returned
    assert _api_ids(api_as(staff), "/api/v1/applications/") == expected | cast_returned

    unit = Application.objects.filter(state="submitted").first().recommending_unit
    reviewer = user(f"{unit.code.lower()}-reviewer1")
    expected = set(
        Application.objects.filter(recommending_unit=unit)
        .exclude(state="draft")
        .exclude(current_revision_hash="")
        .values_list("pk", flat=True)
    )
    assert _api_ids(api_as(reviewer), "/api/v1/applications/") == expected
    submitted = set(Application.objects.filter(recommending_unit=unit, state="submitted").values_list("pk", flat=True))
    assert _api_ids(api_as(reviewer), "/api/v1/applications/?state=submitted") == submitted

    applicant_org = Application.objects.filter(state="approved").first().organization
    applicant = user(f"{applicant_org.code.lower()}-applicant")
    own = set(Application.objects.filter(organization=applicant_org).values_list("pk", flat=True))
    assert _api_ids(api_as(applicant), "/api/v1/applications/") == own
    assert own and not (own & set(Application.objects.exclude(organization=applicant_org).values_list("pk", flat=True)))

    expert = Membership.objects.filter(role=Role.EXPERT, user__username__startswith="sc-expert").first().user
    assigned = set(
        Application.objects.filter(
            pk__in=expert.review_assignments.filter(record_type="applications.application").values("record_id")
        ).values_list("pk", flat=True)
    )
    assert assigned and _api_ids(api_as(expert), "/api/v1/applications/") == assigned

    nomination_ids = set(
        Nomination.objects.filter(state__in=NominationFlow.cast_visible_states).values_list("pk", flat=True)
    )
    assert _api_ids(api_as(staff), "/api/v1/nominations/") == nomination_ids

    # The pages: a reviewer's queue, CAST's list, a record with its history, the public notices.
    browser = Client()
    browser.force_login(reviewer)
    page = browser.get("/applications/?state=submitted")
    assert page.status_code == 200
    shown = {int(pk) for pk in re.findall(r'href="/applications/(\d+)/"', page.content.decode())}
    assert shown and shown <= submitted
    browser.force_login(staff)
    for url in ("/applications/?state=recommended", "/nominations/?state=public_notice", "/public/manage/notices/"):
        assert browser.get(url).status_code == 200, url
    approved = Application.objects.filter(state="approved").first()
    detail = browser.get(f"/applications/{approved.pk}/")
    assert detail.status_code == 200
    assert approved.approval_number in detail.content.decode()
    disqualified = Nomination.objects.filter(state="disqualified").first()
    assert browser.get(f"/nominations/{disqualified.pk}/").status_code == 200
    assert Client().get("/public/notices/").status_code == 200


def test_refuses_a_round_that_holds_records_and_reuses_the_tree(seeded):
    organizations = Organization.objects.count()
    with pytest.raises(CommandError, match="already holds"):
        seed()
    assert counts(Application) == APPLICATION_COUNTS
    # Another label: new rounds, the same organizations and people (another year: the
    # approval numbers of one year are unique across its rounds).
    year = Application.objects.first().round.year - 1
    seed("第二次", year=year)
    assert Application.objects.count() == 120
    assert Organization.objects.count() == organizations
    assert verify_chain()[1] is None


def test_numbers_run_on_per_year_across_rounds(users):
    """Two application (and selection) rounds of one year: the second continues the year's
    approval and certificate numbers, and a record issued today takes the next free one (the
    number names the year, so per-round counting would hand out 001 twice)."""
    seed("甲", year=2031)
    seed("乙", year=2031)
    numbers = list(Application.objects.filter(approval_number__isnull=False).values_list("approval_number", flat=True))
    certificates = list(
        Nomination.objects.filter(certificate_number__isnull=False).values_list("certificate_number", flat=True)
    )
    assert len(numbers) == 2 * APPLICATION_COUNTS["approved"] and len(set(numbers)) == len(numbers)
    assert len(set(certificates)) == len(certificates) > 0
    assert sorted(numbers)[-1] == f"智惠〔2031〕{len(numbers):03d}号"

    waiting = Application.objects.filter(state="public_notice", round__title__contains="乙").first()
    transition(waiting, "issue", actor=User.objects.get(username="cast_staff"), opinion="公示期满，予以立项。")
    waiting.refresh_from_db()
    assert waiting.approval_number == f"智惠〔2031〕{len(numbers) + 1:03d}号"
