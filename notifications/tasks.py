"""Delivery of e-mail notifications: idempotent, late-acknowledged, retried with back-off."""

from __future__ import annotations

import datetime as dt
import random

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .messages import render
from .models import Channel, Notification, Status

MAX_ATTEMPTS = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS)
def deliver_notification(self, notification_id: int) -> str:
    """Send one e-mail row. A redelivered task finds the row no longer pending: a no-op."""
    claimed = Notification.objects.filter(pk=notification_id, status=Status.PENDING, channel=Channel.EMAIL).update(
        status=Status.SENDING, attempts=F("attempts") + 1, attempted_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    row = Notification.objects.select_related("recipient").get(pk=notification_id)
    try:
        if row.recipient is None:  # someone without an account: the text was written with the row
            subject, text, html = row.context["subject"], row.context["text"], ""
            to = row.address
        else:
            subject, text, html = render(row.message_key, row.context, row.recipient.language)
            to = row.recipient.email
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers={"X-Zhihui-Notification": row.dedup_key},
        )
        if html:
            message.attach_alternative(html, "text/html")
        message.send()
    except Exception as exc:
        final = row.attempts >= MAX_ATTEMPTS
        # Exponential back-off with jitter, so a flapping mail server is not hammered in step.
        countdown = min(3600, 2**row.attempts * 10) + random.uniform(0, 5)
        Notification.objects.filter(pk=row.pk).update(
            status=Status.FAILED if final else Status.PENDING,
            last_error=repr(exc)[:2000],
            next_attempt_at=None if final else timezone.now() + dt.timedelta(seconds=countdown),
        )
        if final:
            return "failed"
        raise self.retry(exc=exc, countdown=countdown) from exc
    Notification.objects.filter(pk=row.pk).update(status=Status.SENT, sent_at=timezone.now())
    return "sent"


@shared_task
def relay_pending(older_than_seconds: int = 60, stuck_after_seconds: int = 900) -> int:
    """Re-enqueue e-mail rows left pending (broker down at commit) or stuck sending (worker
    killed). Rows are claimed with SKIP LOCKED on PostgreSQL so two relays never share one.

    "Stuck" counts from the worker's claim (``attempted_at``), not from the row's creation, so
    a retry that is still being sent is left alone; a row waiting out its back-off
    (``next_attempt_at``) is not enqueued before its time."""
    now = timezone.now()
    with transaction.atomic():
        stuck = Notification.objects.select_for_update(skip_locked=True).filter(
            Q(attempted_at__lt=now - dt.timedelta(seconds=stuck_after_seconds))
            | Q(attempted_at__isnull=True, created_at__lt=now - dt.timedelta(seconds=stuck_after_seconds)),
            channel=Channel.EMAIL,
            status=Status.SENDING,
        )
        Notification.objects.filter(pk__in=list(stuck.values_list("pk", flat=True))).update(status=Status.PENDING)
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
                channel=Channel.EMAIL,
                status=Status.PENDING,
                created_at__lt=now - dt.timedelta(seconds=older_than_seconds),
            )
            .values_list("pk", flat=True)[:1000]
        )
    for notification_id in ids:
        deliver_notification.delay(notification_id)
    return len(ids)


@shared_task
def send_reminders() -> dict:
    """Daily: window-closing reminders, 补正期限 about to lapse, overdue tasks and escalations, ended notices."""
    from .reminders import run_reminders

    return run_reminders()


@shared_task
def send_digests() -> int:
    """Daily: one e-mail per user who chose a digest, listing their waiting messages."""
    from collections import defaultdict

    from django.template.loader import render_to_string
    from django.utils import translation

    rows = list(
        Notification.objects.filter(channel=Channel.EMAIL, status=Status.PENDING, digest=True)
        .select_related("recipient")
        .order_by("recipient_id", "created_at")
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        by_user[row.recipient_id].append(row)
    sent = 0
    for items in by_user.values():
        user = items[0].recipient
        ids = [r.pk for r in items]
        claimed = Notification.objects.filter(pk__in=ids, status=Status.PENDING).update(
            status=Status.SENDING, attempts=F("attempts") + 1
        )
        if claimed != len(ids):
            Notification.objects.filter(pk__in=ids, status=Status.SENDING).update(status=Status.PENDING)
            continue
        with translation.override(user.language):
            entries = [render(r.message_key, r.context, user.language) for r in items]
            subject = translation.gettext("【每日汇总】您有 %(n)s 条待处理消息") % {"n": len(items)}
            body = render_to_string("notifications/digest.txt", {"entries": entries, "subject": subject})
        try:
            EmailMultiAlternatives(
                subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
            ).send()
        except Exception as exc:
            Notification.objects.filter(pk__in=ids).update(status=Status.PENDING, last_error=repr(exc)[:2000])
            continue
        Notification.objects.filter(pk__in=ids).update(status=Status.SENT, sent_at=timezone.now())
        sent += 1
    return sent
