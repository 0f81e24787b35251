"""Writes of notifications: outbox rows in the caller's transaction, delivery on commit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, OrgType, Role

from . import rules
from .models import Channel, Notification, Status


def _audience_users(record: Any, audience: str) -> list[Any]:
    from accounts.models import User

    memberships = Membership.objects.all()
    if audience == rules.APPLICANTS:
        memberships = memberships.filter(organization_id=record.organization_id, role=Role.APPLICANT)
    elif audience in (rules.RECOMMENDER_REVIEWERS, rules.RECOMMENDER_UNIT):
        memberships = memberships.filter(organization_id=record.recommending_unit_id, role=Role.SOCIETY_REVIEWER)
    elif audience == rules.RECOMMENDER_CONTENT:
        memberships = memberships.filter(organization_id=record.recommending_unit_id, role=Role.CONTENT_REVIEWER)
    elif audience == rules.CAST_STAFF:
        memberships = memberships.filter(organization__type=OrgType.CAST, role=Role.CAST_STAFF)
    elif audience == rules.CAST_CONTENT:
        memberships = memberships.filter(organization__type=OrgType.CAST, role=Role.CONTENT_REVIEWER)
    else:
        raise ValueError(f"unknown audience {audience}")
    return list(User.objects.filter(pk__in=memberships.values("user_id"), is_active=True))


def _record_url(record: Any) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/workflow/{record.record_type()}/{record.pk}/"


def notify_transition(*, record: Any, event: Any, event_name: str, actor: Any) -> list[Notification]:
    """Outbox rows for everyone the table in ``rules`` says hears of this event."""
    users: dict[int, Any] = {}
    for audience in rules.WHO_HEARS.get(event_name, ()):
        for user in _audience_users(record, audience):
            users.setdefault(user.pk, user)
    return notify_users(record=record, event=event, event_name=event_name, users=list(users.values()), actor=actor)


def notify_users(*, record: Any, event: Any, event_name: str, users: list[Any], actor: Any) -> list[Notification]:
    """Write one in-app row and (where the user has an address) one e-mail row per user.

    Side effects, in order: inserts the rows in the caller's transaction; registers their
    delivery with ``transaction.on_commit`` so a rolled-back change sends nothing.
    The actor is not told of their own action.
    """
    flow = record.get_flow()
    transitions = flow.all_transitions().get(event.action) or []
    action_label = str(transitions[0].label) if transitions else event_name
    context = {
        "record_type": record.record_type(),
        "record_id": record.pk,
        "title": str(record),
        "action": event.action,
        "action_label": action_label,
        "state": record.state,
        "state_label": str(flow.state_label(record.state)),
        "opinion": event.opinion,
        "actor_name": event.actor_name,
        "url": _record_url(record),
        "event_seq": event.seq,
    }
    rows: list[Notification] = []
    now = timezone.now()
    for user in users:
        if actor is not None and user.pk == actor.pk:
            continue
        channels = [Channel.IN_APP] + ([Channel.EMAIL] if user.email else [])
        for channel in channels:
            rows.append(
                Notification(
                    recipient=user,
                    channel=channel,
                    message_key=event_name,
                    context=context,
                    dedup_key=f"event:{event.hash[:32]}:{event_name}:{user.pk}:{channel}",
                    # In-app rows are delivered by being stored.
                    status=Status.SENT if channel == Channel.IN_APP else Status.PENDING,
                    sent_at=now if channel == Channel.IN_APP else None,
                )
            )
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    if any(r.pk is None for r in created):  # backends that return no ids (none of ours)
        created = list(Notification.objects.filter(dedup_key__in=[r.dedup_key for r in rows]))
    email_ids = [r.pk for r in created if r.channel == Channel.EMAIL]
    if email_ids:
        transaction.on_commit(lambda: enqueue_delivery(email_ids))
    return created


def enqueue_delivery(ids: list[int]) -> None:
    """Hand the rows to Celery; if the broker is down they stay pending for the relay."""
    import logging

    from .tasks import deliver_notification

    for notification_id in ids:
        try:
            deliver_notification.delay(notification_id)
        except Exception:  # broker unreachable: the periodic relay re-enqueues pending rows
            logging.getLogger(__name__).warning(
                "could not enqueue notification %s; left pending for the relay", notification_id
            )


def inbox_mark_read(*, user: Any, notification_id: int) -> int:
    """Mark one of the user's in-app notifications read. Returns rows changed (0 or 1)."""
    return Notification.objects.filter(
        pk=notification_id, recipient=user, channel=Channel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())


def inbox_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).update(
        read_at=timezone.now()
    )
