"""Two beat runs at once publish a scheduled notice once, proven on PostgreSQL: the service
takes the notice's row lock and the second run finds it published."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from notices import services
from notices.models import NoticeStatus, PublicNotice
from notices.tasks import publish_due_notices
from tests.conftest import verify_chain
from tests.notices.helpers import bulletin, reviewed_notice, states
from tests.notices.test_concurrency import THREADS, race
from workflows.models import AuditEvent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_publish_a_scheduled_notice_once(users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    b = bulletin(users, orgs, open_round, title="乙项目", org="GD-FISH")
    notice = reviewed_notice(users, open_round, [a, b])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    services.notice_publish(notice=notice, actor=users["cast_staff"], starts_on=tomorrow)
    PublicNotice.objects.filter(pk=notice.pk).update(scheduled_for=timezone.localdate())  # its day has come

    def fire(i: int) -> str:
        outcome = publish_due_notices()
        return f"published {outcome.get('published', 0)}"

    outcomes = race(fire)
    assert outcomes == ["published 0"] * (THREADS - 1) + ["published 1"]
    notice.refresh_from_db()
    assert (notice.status, notice.starts_on) == (NoticeStatus.PUBLISHED, timezone.localdate())
    assert states(a, b) == ["public_notice", "public_notice"]
    published = AuditEvent.objects.filter(action="publish_notice").values_list("record_id", flat=True)
    assert sorted(published) == sorted([a.pk, b.pk])
    assert AuditEvent.objects.filter(record_type="notices.publicnotice", action="notice_published").count() == 1
    assert verify_chain() == (AuditEvent.objects.count(), None)
    assert connection.vendor == "postgresql"
