"""Row locking of the notice services, proven on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from notices import services
from notices.models import NoticeEntry, Objection
from tests.conftest import verify_chain
from tests.notices.helpers import bulletin, file_objection, published_notice
from workflows.exceptions import InvalidInput, TransitionConflict
from workflows.models import AuditEvent

THREADS = 8


def race(fire: Callable[[int], str]) -> list[str]:
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = fire(i)
        except Exception as exc:  # anything unexpected is a failure of the test
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_record_lands_on_one_notice_only(users, orgs, open_round):
    record = bulletin(users, orgs, open_round, title="甲项目")

    def fire(i: int) -> str:
        try:
            services.notice_create(
                round=open_round,
                record_type="testapp.bulletin",
                records=[record.pk],
                title=f"公示 {i}",
                intro="",
                actor=users["cast_staff"],
            )
        except InvalidInput as exc:
            return "refused" if exc.errors[0].startswith("《甲项目》：已在公示") else f"error: {exc.errors}"
        return "ok"

    assert race(fire) == ["ok"] + ["refused"] * (THREADS - 1)
    assert NoticeEntry.objects.filter(record_id=record.pk).count() == 1
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_objection_is_decided_once(users, orgs, open_round):
    record = bulletin(users, orgs, open_round, title="甲项目")
    notice = published_notice(users, open_round, [record])
    objection = file_objection(notice, notice.entries.get().pk)

    def fire(i: int) -> str:
        try:
            services.objection_decide(
                objection=Objection.objects.get(pk=objection.pk),
                decision="uphold" if i % 2 else "dismiss",
                reason=f"理由 {i}",
                actor=users["cast_staff"],
            )
        except TransitionConflict:
            return "conflict"
        return "ok"

    assert race(fire) == ["conflict"] * (THREADS - 1) + ["ok"]
    decided = Objection.objects.get(pk=objection.pk)
    actions = list(
        AuditEvent.objects.filter(record_id=record.pk, action__startswith="objection_").values_list("action", flat=True)
    )
    assert actions == ["objection_filed", f"objection_{decided.status}"]
    assert verify_chain() == (AuditEvent.objects.count(), None)
