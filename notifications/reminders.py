"""Reminders and escalations, run daily by Celery beat. Each is written once per record and
occasion: its de-duplication key names both, so a second run the same day writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, OrgType, Role, User
from workflows.models import AssignmentStatus, ReviewAssignment, Round
from workflows.registry import get_record_model, record_models

from .services import audience_users, outbox_write, record_context

WINDOW_DAYS = (7, 3, 1)


def _escalation_days() -> int:
    return int(getattr(settings, "ASSIGNMENT_ESCALATION_DAYS", 3))


def window_closing(today: dt.date) -> int:
    """Units with drafts hear that the submission window closes in 7, 3 or 1 days."""
    written = 0
    for round_ in Round.objects.all():
        days = (timezone.localtime(round_.submission_closes).date() - today).days
        if days not in WINDOW_DAYS:
            continue
        for model in record_models().values():
            draft = model.flow_class.States.DRAFT
            for record in model.objects.filter(round=round_, state=draft).select_related("organization"):
                context = {
                    **record_context(record),
                    "round": round_.title,
                    "days": days,
                    "closes": timezone.localtime(round_.submission_closes).strftime("%Y-%m-%d %H:%M"),
                }
                written += len(
                    outbox_write(
                        users=audience_users(record, "applicants"),
                        message_key="window_closing",
                        context=context,
                        dedup_base=f"reminder:window:{record.record_type()}:{record.pk}:{days}",
                    )
                )
    return written


# A returned record's applicants are reminded when this many working days of its 补正期限 are
# left after today (the deadline day included): 2, then 1 (on the last working day before it).
REVISION_REMINDER_WORKING_DAYS = (2, 1)


def revisions_due(today: dt.date) -> int:
    """Applicants of a returned record hear that its 补正期限 is about to lapse: once per record,
    deadline and occasion (an extended deadline is a new one, reminded again)."""
    from workflows.calendar import official_calendar

    calendar = official_calendar()
    written = 0
    for model in record_models().values():
        returned = getattr(model.flow_class.States, "RETURNED", None)
        if returned is None:  # a flow without returns
            continue
        for record in model.objects.filter(state=returned, revision_due__gte=today).select_related("organization"):
            due = record.revision_due
            left = sum(
                1 for n in range(1, (due - today).days + 1) if calendar.is_working_day(today + dt.timedelta(days=n))
            )
            if left not in REVISION_REMINDER_WORKING_DAYS:
                continue
            context = {
                **record_context(record),
                "revision_due": due.isoformat(),
                "working_days_left": left,
                "opinion": record.return_opinion,
            }
            written += len(
                outbox_write(
                    users=audience_users(record, "applicants"),
                    message_key="revision_due_soon",
                    context=context,
                    dedup_base=f"reminder:revision:{record.record_type()}:{record.pk}:{due.isoformat()}:{left}",
                )
            )
    return written


def assignments_overdue(today: dt.date) -> int:
    """An overdue task reminds its assignee; N days later it escalates to the record's
    recommending-unit reviewers and CAST staff."""
    written = 0
    overdue = ReviewAssignment.objects.filter(status=AssignmentStatus.OPEN, due_date__lt=today).select_related(
        "assignee"
    )
    cast_staff = list(
        User.objects.filter(
            pk__in=Membership.objects.filter(organization__type=OrgType.CAST, role=Role.CAST_STAFF).values("user_id"),
            is_active=True,
        )
    )
    for assignment in overdue:
        model = get_record_model(assignment.record_type)
        record = model.objects.filter(pk=assignment.record_id).first() if model else None
        if record is None:
            continue
        context = {
            **record_context(record),
            "assignee": assignment.assignee.display_name or assignment.assignee.username,
            "due_date": assignment.due_date.isoformat(),
            "days_overdue": (today - assignment.due_date).days,
        }
        written += len(
            outbox_write(
                users=[assignment.assignee],
                message_key="assignment_overdue",
                context=context,
                dedup_base=f"reminder:overdue:{assignment.pk}",
            )
        )
        if (today - assignment.due_date).days >= _escalation_days():
            users = {u.pk: u for u in [*audience_users(record, "recommender_reviewers"), *cast_staff]}
            written += len(
                outbox_write(
                    users=list(users.values()),
                    message_key="assignment_escalated",
                    context=context,
                    dedup_base=f"escalation:overdue:{assignment.pk}",
                )
            )
    return written


def notices_ended(today: dt.date) -> int:
    """CAST staff hear when a public notice has ended: its results can be issued."""
    try:
        from notices.models import PublicNotice
    except ImportError:  # the notices app is optional for the engine
        return 0
    written = 0
    cast_staff = list(
        User.objects.filter(
            pk__in=Membership.objects.filter(organization__type=OrgType.CAST, role=Role.CAST_STAFF).values("user_id"),
            is_active=True,
        )
    )
    for notice in PublicNotice.objects.filter(status="published", ends_on__lt=today):
        context = {
            "title": notice.title,
            "ends_on": notice.ends_on.isoformat(),
            "url": f"{settings.SITE_URL.rstrip('/')}/public/manage/notices/{notice.pk}/",
        }
        written += len(
            outbox_write(
                users=cast_staff,
                message_key="notice_ended",
                context=context,
                dedup_base=f"reminder:notice_ended:{notice.pk}",
            )
        )
    return written


def run_reminders(today: dt.date | None = None) -> dict[str, Any]:
    """All reminders for ``today`` (local date), in one transaction."""
    today = today or timezone.localdate()
    with transaction.atomic():
        return {
            "window_closing": window_closing(today),
            "revision_due": revisions_due(today),
            "assignment_overdue": assignments_overdue(today),
            "notice_ended": notices_ended(today),
        }
