"""The three faults of the write path under contention, reproduced with certain interleavings on
PostgreSQL, and gone:

1. a transition used to lock its round too (FOR UPDATE without OF), so two transitions on
   different records of one round waited for each other;
2. a bulk action held the global audit-chain head while it went on locking records, and a single
   transition on one of those records held the record and waited for the head: deadlock, 500;
3. two ``issue`` transitions in two rounds of one year each held their round and then locked all
   the year's rounds to number the approval: deadlock, 500.

Each test makes its interleaving certain: one side stops inside its transaction (a post_save
receiver on the record it is moving) until PostgreSQL shows the other side waiting for a lock it
holds (``pg_blocking_pids``), or, for the fault that must not wait at all, until the other side
has finished. The records come from ``seed_scale`` (real rounds of applications in the right
states, numbers already issued that the year's series continues).
"""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.models.signals import post_save

from accounts.models import Membership, Role, User
from applications.models import Application
from tests.reliability.helpers import assert_audit_intact, wait_for
from workflows import services
from workflows.exceptions import TransitionConflict, WorkflowError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def seed(label: str, states: str, year: int = 2026, n: int = 24) -> list[Application]:
    call_command("seed_scale", applications=n, round=label, year=year, states=states, stdout=io.StringIO())
    return list(
        Application.objects.filter(round__title__contains=f"（{label}）", state=states.split(",")[0]).order_by("pk")
    )


def staff(n: int = 1) -> User:
    """A CAST staff member of the seeded tree (each thread acts as its own person)."""
    return User.objects.filter(memberships__role=Role.CAST_STAFF, username__startswith="sc-cast-staff").order_by("pk")[
        n - 1
    ]


def waiting_behind(pid: int) -> int:
    """Sessions waiting for a lock that backend ``pid`` holds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND %s = ANY(pg_blocking_pids(pid))", [pid])
        return cursor.fetchone()[0]


class Pause:
    """Stops the thread that saves record ``pk`` (inside its transaction, its locks held) until
    ``release`` is set; notes its backend pid."""

    def __init__(self, pk: int):
        self.pk = pk
        self.reached = threading.Event()
        self.release = threading.Event()
        self.pid: int | None = None
        self.thread: threading.Thread | None = None

    def __call__(self, sender: Any, instance: Any, **kwargs: Any) -> None:
        if instance.pk == self.pk and threading.current_thread() is self.thread and not self.reached.is_set():
            self.pid = connection.connection.info.backend_pid
            self.reached.set()
            self.release.wait(timeout=30)


def run(target: Any, *args: Any) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def body() -> None:
        started = time.monotonic()
        try:
            outcome["result"] = target(*args)
        except WorkflowError as exc:
            outcome["error"] = exc
        except Exception as exc:  # anything else (a deadlock's 500) fails the test
            outcome["unexpected"] = repr(exc)
        finally:
            outcome["seconds"] = time.monotonic() - started
            connections.close_all()

    thread = threading.Thread(target=body)
    return thread, outcome


def test_two_transitions_on_different_records_of_one_round_do_not_wait_for_each_other(db):
    records = seed("同批次并行", "recommended")
    first, second = records[0], records[-1]
    assert first.round_id == second.round_id and first.recommending_unit_id != second.recommending_unit_id
    pause = Pause(first.pk)
    a, a_out = run(lambda: services.transition(first, "pass_formal_review", actor=staff(1), opinion="材料齐全。"))
    b, b_out = run(lambda: services.transition(second, "pass_formal_review", actor=staff(2), opinion="材料齐全。"))
    pause.thread = a
    post_save.connect(pause, sender=Application, weak=False)
    try:
        a.start()
        assert pause.reached.wait(timeout=20)
        # A holds its record (and, before, its round) inside its transaction: B goes through.
        b.start()
        b.join(timeout=20)
        assert not b.is_alive(), "the second transition waited for the first one's transaction"
        assert b_out.get("result") is not None, b_out
        assert waiting_behind(pause.pid) == 0
    finally:
        pause.release.set()
        post_save.disconnect(pause, sender=Application)
        a.join(timeout=30)
    assert a_out.get("result") is not None, a_out
    assert sorted(Application.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)) == [
        "expert_review",
        "expert_review",
    ]
    assert_audit_intact()


@pytest.mark.parametrize("first_mover", ["bulk", "single"])
def test_a_bulk_issue_and_a_single_issue_of_one_of_its_records_one_wins_the_other_409(db, first_mover):
    records = seed(f"批量与单个{first_mover}", "public_notice")[:10]
    single_record = records[6]
    bulk = lambda: services.transition_many(records, "issue", actor=staff(1), opinion="公示期满。")  # noqa: E731
    single = lambda: services.transition(single_record, "issue", actor=staff(2), opinion="公示期满。")  # noqa: E731
    # The first mover stops inside its transaction (the bulk after locking all ten records, at its
    # first save; the single at its save), until the other is seen waiting for one of its locks.
    pause = Pause(records[0].pk if first_mover == "bulk" else single_record.pk)
    first, first_out = run(bulk if first_mover == "bulk" else single)
    second, second_out = run(single if first_mover == "bulk" else bulk)
    pause.thread = first
    post_save.connect(pause, sender=Application, weak=False)
    try:
        first.start()
        assert pause.reached.wait(timeout=20)
        second.start()
        assert wait_for(lambda: waiting_behind(pause.pid) > 0, timeout=20), "the second never queued behind the first"
    finally:
        pause.release.set()
        post_save.disconnect(pause, sender=Application)
        first.join(timeout=60)
        second.join(timeout=60)
    assert "unexpected" not in first_out and "unexpected" not in second_out, (first_out, second_out)
    # The first mover wins; the other finds the record moved on: a conflict (409), no deadlock.
    assert first_out.get("result") is not None, first_out
    assert isinstance(second_out.get("error"), TransitionConflict), second_out
    assert second_out["error"].status_code == 409
    states = dict(Application.objects.filter(pk__in=[r.pk for r in records]).values_list("pk", "state"))
    if first_mover == "bulk":
        assert set(states.values()) == {"approved"}
    else:
        assert states == {r.pk: "approved" if r.pk == single_record.pk else "public_notice" for r in records}
        assert second_out["error"].errors[0].startswith(f"《{single_record}》：记录当前状态为“已立项”")
    numbers = list(
        Application.objects.filter(pk__in=[r.pk for r in records], approval_number__isnull=False).values_list(
            "approval_number", flat=True
        )
    )
    assert len(numbers) == len(set(numbers)) == (10 if first_mover == "bulk" else 1)
    assert_audit_intact()


class MeetBeforeNumbering:
    """A database execute wrapper (one per thread): the statement that takes the year's number
    waits until the other thread has come to its own, so both hold their record (and, in the
    old design, their round) when either asks for the number: the interleaving that deadlocked."""

    def __init__(self, barrier: threading.Barrier):
        self.barrier = barrier
        self.met = False

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        numbering = "workflows_numbersequence" in sql or (
            '"workflows_round"' in sql and '"year"' in sql and "FOR UPDATE" in sql
        )
        if numbering and not self.met:
            self.met = True
            self.barrier.wait(timeout=20)
        return execute(sql, params, many, context)


def test_two_issues_in_two_rounds_of_one_year_both_succeed_with_distinct_numbers(db):
    one = seed("同年第一批", "public_notice", year=2027)[0]
    two = seed("同年第二批", "public_notice", year=2027)[0]
    assert one.round_id != two.round_id and one.round.year == two.round.year == 2027
    issued_before = Application.objects.filter(round__year=2027, approval_number__isnull=False).count()
    barrier = threading.Barrier(2)

    def issue(record: Application, n: int) -> Any:
        with connection.execute_wrapper(MeetBeforeNumbering(barrier)):
            return services.transition(record, "issue", actor=staff(n), opinion="公示期满。")

    a, a_out = run(issue, one, 1)
    b, b_out = run(issue, two, 2)
    a.start()
    b.start()
    a.join(timeout=30)
    b.join(timeout=30)
    assert "result" in a_out and "result" in b_out, (a_out, b_out)
    one.refresh_from_db()
    two.refresh_from_db()
    assert sorted([one.approval_number, two.approval_number]) == [
        f"智惠〔2027〕{issued_before + 1:03d}号",
        f"智惠〔2027〕{issued_before + 2:03d}号",
    ]
    assert_audit_intact()


def test_two_bulk_issues_in_two_rounds_of_one_year_at_once(db):
    """Bulk against bulk across rounds: both wait their turn for the year's numbers, none fails."""
    first = seed("同年批量一", "public_notice", year=2028)[:6]
    second = seed("同年批量二", "public_notice", year=2028)[:6]
    barrier = threading.Barrier(2)

    def issue(records: list[Application], n: int) -> Any:
        barrier.wait(timeout=20)
        return services.transition_many(records, "issue", actor=staff(n), opinion="公示期满。")

    a, a_out = run(issue, first, 1)
    b, b_out = run(issue, second, 2)
    a.start()
    b.start()
    a.join(timeout=60)
    b.join(timeout=60)
    assert "result" in a_out and "result" in b_out, (a_out, b_out)
    numbers = list(
        Application.objects.filter(pk__in=[r.pk for r in first + second]).values_list("approval_number", flat=True)
    )
    assert len(set(numbers)) == 12 and all(numbers)
    assert_audit_intact()


def test_a_unit_quota_holds_under_two_concurrent_recommendations(db):
    """Two reviewers of one unit recommend two records of one sub-project at the same moment with
    one place left: one is recommended, the other refused with the quota's reason (the counted
    scope is locked, so both cannot see room for one more)."""
    records = seed("名额并发", "submitted", n=60)
    by_unit: dict[tuple[int, int], list[Application]] = {}
    for record in records:
        by_unit.setdefault((record.recommending_unit_id, record.subproject_id), []).append(record)
    pair = next(group[:2] for group in by_unit.values() if len(group) >= 2)
    unit_round = pair[0].round
    used = Application.objects.filter(
        round=unit_round,
        recommending_unit_id=pair[0].recommending_unit_id,
        subproject_id=pair[0].subproject_id,
        state__in=["recommended", "expert_review", "proposed", "public_notice", "approved"],
    ).count()
    settings = dict(unit_round.settings)
    settings["recommender_quota"] = used + 1
    type(unit_round).objects.filter(pk=unit_round.pk).update(settings=settings)
    reviewers = list(
        User.objects.filter(
            pk__in=Membership.objects.filter(
                organization_id=pair[0].recommending_unit_id, role=Role.SOCIETY_REVIEWER
            ).values("user_id")
        ).order_by("pk")
    )[:2]
    content = User.objects.filter(
        memberships__organization_id=pair[0].recommending_unit_id, memberships__role=Role.CONTENT_REVIEWER
    ).first()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from devtools.demo.nominations import PDF_BYTES
    from workflows.attachments import attachment_add

    for record in pair:
        services.checkpoint_record(record, stage="recommender", verdict="pass", opinion="内容无问题。", actor=content)
        attachment_add(
            record,
            kind="recommender_opinion",
            upload=SimpleUploadedFile("意见.pdf", PDF_BYTES, content_type="application/pdf"),
            actor=reviewers[0],
        )
    barrier = threading.Barrier(2)

    def recommend(record: Application, reviewer: User) -> Any:
        barrier.wait(timeout=20)
        return services.transition(record, "recommend", actor=reviewer, opinion="同意推荐。")

    a, a_out = run(recommend, pair[0], reviewers[0])
    b, b_out = run(recommend, pair[1], reviewers[-1])
    a.start()
    b.start()
    a.join(timeout=30)
    b.join(timeout=30)
    outcomes = sorted(["ok" if "result" in o else str(o.get("error") or o) for o in (a_out, b_out)])
    sub = pair[0].subproject.name
    assert outcomes == ["ok", f"本单位“{sub}”的推荐名额（{used + 1} 个）已用完"], outcomes
    assert_audit_intact()
