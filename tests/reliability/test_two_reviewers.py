"""Two reviewers of the same recommending unit decide one record at the same moment, through
the HTTP API, each in their own thread with their own database connection: one recommends, the
other returns it for revision. Exactly one wins (200); the other is answered 409 with the
conflict message in the request's language; the record's history holds the winner's decision
only, and its state is the winner's.

tests/workflows/test_concurrency.py already races 20 identical service calls by one user; this
goes through HTTP (views, selector, error handler, language) with two users and two different
transitions, and proves each race was real: the winner, inside its transaction, waits until
PostgreSQL shows the loser's SELECT … FOR UPDATE queued behind its row lock before committing.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models.signals import post_save
from rest_framework.test import APIClient

from accounts.models import Membership, Role, User
from notifications.models import Notification
from tests.conftest import make_dossier
from tests.reliability.helpers import assert_audit_intact, wait_for
from tests.testapp.models import Dossier
from tests.workflows.helpers import PATHS, drive
from workflows.models import AuditEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 8
OPINIONS = {"recommend": "同意推荐。", "return_for_revision": "请补充预算明细。"}
TARGETS = {"recommend": "recommended", "return_for_revision": "returned"}
# The loser's message, by request language and the loser's transition (the state it names is
# the one the winner moved the record to).
CONFLICTS = {
    ("zh-hans", "recommend"): "记录当前状态为“退回修改”，无法执行“推荐”：可能已被他人处理，请刷新后重试",
    ("zh-hans", "return_for_revision"): (
        "记录当前状态为“已推荐（待中国科协审核）”，无法执行“退回修改”：可能已被他人处理，请刷新后重试"
    ),
    ("en", "recommend"): (
        "The record is now “Returned for revision”, so “Recommend” cannot be performed: "
        "someone may have acted on it meanwhile; please reload and try again"
    ),
    ("en", "return_for_revision"): (
        "The record is now “Recommended (awaiting CAST review)”, so “Return for revision” cannot be "
        "performed: someone may have acted on it meanwhile; please reload and try again"
    ),
}


def blocked_behind_me() -> int:
    """Sessions waiting for a lock this session's transaction holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )
        return cursor.fetchone()[0]


class HoldUntilContended:
    """post_save receiver for the race's record. Only the winner saves it, inside the
    transition's transaction with the row locked: it waits there (at most 10 s) until the other
    request is queued behind that lock, and notes whether it saw it."""

    def __init__(self) -> None:
        self.record_pk: int | None = None
        self.contended: dict[int, bool] = {}

    def __call__(self, sender: Any, instance: Dossier, **kwargs: Any) -> None:
        if instance.pk == self.record_pk:
            self.contended[instance.pk] = wait_for(lambda: blocked_behind_me() > 0, timeout=10, interval=0.02)


@pytest.fixture
def hold_until_contended():
    hook = HoldUntilContended()
    post_save.connect(hook, sender=Dossier, weak=False)
    try:
        yield hook
    finally:
        post_save.disconnect(hook, sender=Dossier)


@pytest.fixture
def second_reviewer(orgs) -> User:
    user = User.objects.create_user(
        username="reviewer_csf_2", email="reviewer_csf_2@demo.zhihui.local", display_name="王磊（中国水产学会）"
    )
    Membership.objects.create(user=user, organization=orgs["CSF"], role=Role.SOCIETY_REVIEWER)
    return user


def race(record: Dossier, moves: list[tuple[User, str]], language: str) -> list[tuple[User, str, int, dict]]:
    """Both requests released together by a barrier; each thread has its own client and
    connection. Returns (user, transition, status, body) per request."""
    barrier = threading.Barrier(len(moves))
    results: list[tuple[User, str, int, dict]] = []
    lock = threading.Lock()
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language != "zh-hans" else {}

    def post(user: User, name: str) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user)
            url = f"/api/v1/dossiers/{record.pk}/transitions/{name}/"
            barrier.wait(timeout=30)
            response = client.post(url, {"opinion": OPINIONS[name]}, format="json", **headers)
            outcome = (user, name, response.status_code, response.json())
        except Exception as exc:  # anything else is a failure of the test
            outcome = (user, name, 0, {"exception": repr(exc)})
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=post, args=move) for move in moves]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_reviewers_decide_one_record_at_once_exactly_one_wins(
    users, orgs, open_round, second_reviewer, hold_until_contended
):
    reviewers = [users["reviewer_csf"], second_reviewer]
    winners: Counter[str] = Counter()
    for i in range(ROUNDS):
        # submitted, with the recommender's content review passed: both decisions are open.
        record = make_dossier(org=orgs["CSF-BR1"], user=users["applicant_csf_br1"], round=open_round)
        record = drive(record, PATHS["recommended"][:-1], users)
        assert record.state == "submitted"
        hold_until_contended.record_pk = record.pk
        first, second = reviewers if i % 2 == 0 else reviewers[::-1]
        language = "en" if (i // 2) % 2 else "zh-hans"

        results = race(record, [(first, "recommend"), (second, "return_for_revision")], language)

        assert sorted(status for _, _, status, _ in results) == [200, 409], results
        ((winner, won, _, body),) = [r for r in results if r[2] == 200]
        ((_, lost, _, refusal),) = [r for r in results if r[2] == 409]
        message = CONFLICTS[(language, lost)]
        assert refusal == {"detail": message, "errors": [message]}
        assert body["state"] == TARGETS[won]
        assert hold_until_contended.contended.get(record.pk) is True, "the loser never queued behind the lock"
        record.refresh_from_db()
        assert record.state == TARGETS[won]
        history = AuditEvent.objects.filter(record_type=record.record_type(), record_id=record.pk).order_by(
            "record_seq"
        )
        assert [(e.action, e.actor_id, e.from_state, e.to_state, e.opinion) for e in history] == [
            ("submit", users["applicant_csf_br1"].pk, "draft", "submitted", ""),
            ("checkpoint_pass", users["content_csf"].pk, "submitted", "submitted", "内容无问题"),
            (won, winner.pk, "submitted", TARGETS[won], OPINIONS[won]),
        ]
        # Whoever was told of a decision was told of the winner's, and of nothing else.
        decision = history.last()
        told = Notification.objects.filter(context__record_id=record.pk, context__action__in=list(OPINIONS))
        assert told.exists()
        assert set(told.values_list("context__action", "context__event_id")) == {(won, decision.pk)}
        winners[won] += 1

    assert sum(winners.values()) == ROUNDS
    assert hold_until_contended.contended == dict.fromkeys(hold_until_contended.contended, True)
    assert len(hold_until_contended.contended) == ROUNDS
    print(f"\n{ROUNDS} races, all contended; winners: {dict(winners)}")
    assert_audit_intact()
