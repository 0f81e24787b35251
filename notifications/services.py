"""Writes of notifications: outbox rows in the caller's transaction, delivery on commit."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, OrgType, Role

from . import rules
from .models import Channel, Notification, Preference, Status

logger = logging.getLogger(__name__)


def audience_users(record: Any, audience: str) -> list[Any]:
    """The active users an audience of ``rules`` names for this record."""
    return audiences_users(record, [audience])


def audiences_users(record: Any, audiences: Any) -> list[Any]:
    """The active users any of the audiences names for this record, each once, in one query
    (a transition told to two or three audiences used to cost a query each)."""
    from django.db.models import Q

    from accounts.models import User

    wanted = Q(pk__in=[])
    for audience in audiences:
        if audience == rules.APPLICANTS:
            wanted |= Q(organization_id=record.organization_id, role=Role.APPLICANT)
        elif audience in (rules.RECOMMENDER_REVIEWERS, rules.RECOMMENDER_UNIT):
            wanted |= Q(organization_id=record.recommending_unit_id, role=Role.SOCIETY_REVIEWER)
        elif audience == rules.RECOMMENDER_CONTENT:
            wanted |= Q(organization_id=record.recommending_unit_id, role=Role.CONTENT_REVIEWER)
        elif audience == rules.CAST_STAFF:
            wanted |= Q(organization__type=OrgType.CAST, role=Role.CAST_STAFF)
        elif audience == rules.CAST_CONTENT:
            wanted |= Q(organization__type=OrgType.CAST, role=Role.CONTENT_REVIEWER)
        else:
            raise ValueError(f"unknown audience {audience}")
    memberships = Membership.objects.filter(wanted).values("user_id")
    return list(User.objects.filter(pk__in=memberships, is_active=True).order_by("pk"))


def record_url(record: Any) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/workflow/{record.record_type()}/{record.pk}/"


def record_context(record: Any) -> dict[str, Any]:
    flow = record.get_flow()
    return {
        "record_type": record.record_type(),
        "record_id": record.pk,
        "title": str(record),
        "state": record.state,
        "state_label": str(flow.state_label(record.state)),
        "url": record_url(record),
    }


def outbox_write(
    *, users: list[Any], message_key: str, context: dict[str, Any], dedup_base: str, actor: Any = None
) -> list[Notification]:
    """Write one in-app row and, where the user has an address and wants it, one e-mail row
    per user, in the caller's transaction.

    Side effects, in order: skips the actor and keys already written (the de-duplication
    key makes a repeated call a no-op); inserts the rows; registers the e-mail delivery with
    ``transaction.on_commit`` (digest rows wait for the daily digest), so a rolled-back
    change sends nothing.
    """
    recipients = [u for u in users if actor is None or u.pk != actor.pk]
    if not recipients:
        return []
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=[u.pk for u in recipients])}
    now = timezone.now()
    wanted: list[Notification] = []
    for user in recipients:
        pref = prefs.get(user.pk)
        wanted.append(
            Notification(
                recipient=user,
                channel=Channel.IN_APP,
                message_key=message_key,
                context=context,
                dedup_key=f"{dedup_base}:{user.pk}:{Channel.IN_APP}"[:200],
                status=Status.SENT,  # in-app rows are delivered by being stored
                sent_at=now,
            )
        )
        if user.email and not (pref and message_key in pref.email_muted):
            wanted.append(
                Notification(
                    recipient=user,
                    channel=Channel.EMAIL,
                    message_key=message_key,
                    context=context,
                    dedup_key=f"{dedup_base}:{user.pk}:{Channel.EMAIL}"[:200],
                    status=Status.PENDING,
                    digest=bool(pref and pref.daily_digest),
                )
            )
    existing = set(
        Notification.objects.filter(dedup_key__in=[n.dedup_key for n in wanted]).values_list("dedup_key", flat=True)
    )
    rows = [n for n in wanted if n.dedup_key not in existing]
    if not rows:
        return []
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(rows)
    except IntegrityError:
        # A concurrent writer got there first: write the rest one by one.
        created = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
                created.append(row)
            except IntegrityError:
                continue
    email_ids = [r.pk for r in created if r.channel == Channel.EMAIL and not r.digest]
    if email_ids:
        transaction.on_commit(lambda: enqueue_delivery(email_ids))
    return created


def notify_transition(*, record: Any, event: Any, event_name: str, actor: Any) -> list[Notification]:
    """Outbox rows for everyone the table in ``rules`` says hears of this event."""
    audiences = rules.WHO_HEARS.get(event_name, ())
    users = audiences_users(record, audiences) if audiences else []
    return notify_users(record=record, event=event, event_name=event_name, users=users, actor=actor)


def notify_users(*, record: Any, event: Any, event_name: str, users: list[Any], actor: Any) -> list[Notification]:
    """Outbox rows telling ``users`` of the audit ``event`` on ``record`` (see outbox_write)."""
    from workflows.flows import action_label

    context = {
        **record_context(record),
        "action": event.action,
        "action_label": action_label(record.flow_class, event.action),
        "opinion": event.opinion,
        "actor_name": event.actor_name,
        "event_id": event.pk,
    }
    return outbox_write(
        users=users,
        message_key=event_name,
        context=context,
        dedup_base=f"event:{event.hash[:32]}:{event_name}",
        actor=actor,
    )


def enqueue_delivery(ids: list[int]) -> None:
    """Hand the rows to Celery; if the broker is down they stay pending for the relay."""
    from .tasks import deliver_notification

    for notification_id in ids:
        try:
            deliver_notification.delay(notification_id)
        except Exception:  # broker unreachable: the periodic relay re-enqueues pending rows
            logger.warning(
                "could not enqueue notification %s; left pending for the relay", notification_id, exc_info=True
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


def preference_update(*, user: Any, email_muted: Any, daily_digest: Any) -> Preference:
    """Set the user's e-mail choices. Side effects: creates or updates their preference row."""
    from workflows.exceptions import InvalidInput

    errors = []
    if not isinstance(email_muted, list) or not all(isinstance(k, str) for k in email_muted):
        errors.append(_("email_muted 必须是消息类型的列表"))
    else:
        unknown = sorted(set(email_muted) - set(rules.EVENT_KINDS))
        if unknown:
            errors.append(_("未知的消息类型：%(keys)s") % {"keys": ", ".join(unknown)})
    if not isinstance(daily_digest, bool):
        errors.append(_("daily_digest 必须是 true 或 false"))
    if errors:
        raise InvalidInput(errors)
    pref, _created = Preference.objects.update_or_create(
        user=user, defaults={"email_muted": sorted(set(email_muted)), "daily_digest": daily_digest}
    )
    return pref
