"""Scheduled notices (定时发布): Celery beat runs ``publish_due_notices`` every ten minutes, so a
notice scheduled for a day goes public shortly after that day's midnight (local time)."""

from __future__ import annotations

import logging
from collections import Counter

from celery import shared_task
from django.utils import timezone

from workflows.exceptions import WorkflowError

from .models import NoticeStatus, PublicNotice

logger = logging.getLogger(__name__)


@shared_task
def publish_due_notices() -> dict[str, int]:
    """Publish every scheduled notice whose day has come, each on its own (one that cannot go
    public does not hold up the others). Counts the outcomes: published, still scheduled
    (its problems kept on it and told to CAST staff), left as another run or a person had
    already published it, or refused by the database (tried again next run)."""
    due = list(
        PublicNotice.objects.filter(status=NoticeStatus.SCHEDULED, scheduled_for__lte=timezone.localdate())
        .order_by("scheduled_for", "pk")
        .values_list("pk", flat=True)
    )
    outcomes: Counter[str] = Counter()
    for notice_id in due:
        outcomes[publish_scheduled_notice(notice_id)] += 1
    return dict(outcomes)


@shared_task
def publish_scheduled_notice(notice_id: int) -> str:
    """Publish one scheduled notice if it is still scheduled and due, through
    ``services.notice_publish`` as the staff member who scheduled it. Idempotent: the service
    takes the notice's lock and leaves a notice that is no longer scheduled as it is."""
    from .services import notice_publish

    notice = PublicNotice.objects.select_related("scheduled_by").filter(pk=notice_id).first()
    if notice is None or notice.status != NoticeStatus.SCHEDULED:
        return "skipped"
    try:
        result = notice_publish(notice=notice, actor=notice.scheduled_by, scheduled_run=True)
    except WorkflowError as exc:  # contention twice over: the next run tries again
        logger.warning("scheduled notice %s: %s", notice_id, "; ".join(exc.errors))
        return "retry"
    if result.just_published:
        return "published"
    return "failed" if result.status == NoticeStatus.SCHEDULED and result.schedule_problems else "skipped"


@shared_task
def remind_objection_verifications() -> int:
    """Remind recommending units of the objections they are asked to verify (核查) whose due
    date is within a day, once per objection and due date."""
    from .services import objection_verify_reminders

    return objection_verify_reminders()
