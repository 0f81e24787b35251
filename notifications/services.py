"""Writes of notifications: outbox rows in the caller's transaction, delivery on commit."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, OrgType, Role
from workflows.flows import Tell

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
        if audience == Tell.APPLICANTS:
            wanted |= Q(organization_id=record.organization_id, role=Role.APPLICANT)
        elif audience in (Tell.RECOMMENDER_REVIEWERS, Tell.RECOMMENDER_UNIT):
            wanted |= Q(organization_id=record.recommending_unit_id, role=Role.SOCIETY_REVIEWER)
        elif audience == Tell.RECOMMENDER_CONTENT:
            wanted |= Q(organization_id=record.recommending_unit_id, role=Role.CONTENT_REVIEWER)
        elif audience == Tell.CAST_STAFF:
            wanted |= Q(organization__type=OrgType.CAST, role=Role.CAST_STAFF)
        elif audience == Tell.CAST_CONTENT:
            wanted |= Q(organization__type=OrgType.CAST, role=Role.CONTENT_REVIEWER)
        else:
            raise ValueError(f"unknown audience {audience}")
    memberships = Membership.objects.filter(wanted).values("user_id")
    # Their preferences come along (one query): the outbox needs them for every recipient.
    users = User.objects.filter(pk__in=memberships, is_active=True).select_related("notification_preference")
    return list(users.order_by("pk"))


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to, with the choices that decide its e-mail row."""

    pk: int
    email: str
    email_muted: tuple[str, ...]
    daily_digest: bool


# The membership each audience names, as SQL over accounts_membership m joined to its
# organization o: (clause, the record's attribute giving the organization or None, role).
IN_ORG = "m.organization_id = %s AND m.role = %s"
OF_TYPE = "o.type = %s AND m.role = %s"
AUDIENCE_SQL = {
    Tell.APPLICANTS: (IN_ORG, "organization_id", Role.APPLICANT),
    Tell.RECOMMENDER_REVIEWERS: (IN_ORG, "recommending_unit_id", Role.SOCIETY_REVIEWER),
    Tell.RECOMMENDER_UNIT: (IN_ORG, "recommending_unit_id", Role.SOCIETY_REVIEWER),
    Tell.RECOMMENDER_CONTENT: (IN_ORG, "recommending_unit_id", Role.CONTENT_REVIEWER),
    Tell.CAST_STAFF: (OF_TYPE, None, Role.CAST_STAFF),
    Tell.CAST_CONTENT: (OF_TYPE, None, Role.CONTENT_REVIEWER),
}


def audience_recipients(record: Any, audiences: Any) -> list[Recipient]:
    """``audiences_users`` as the outbox needs them — address and e-mail choices — in one
    plain statement: every transition asks, before it locks the record, and the ORM's building
    of this query cost more than the database's answering it."""
    from django.db import connection

    from accounts.models import Organization, User

    clauses: list[str] = []
    params: list[Any] = []
    for audience in dict.fromkeys(audiences):
        if audience not in AUDIENCE_SQL:
            raise ValueError(f"unknown audience {audience}")
        clause, attribute, role = AUDIENCE_SQL[audience]
        clauses.append(f"({clause})")
        params += [getattr(record, attribute) if attribute else OrgType.CAST, role]
    if not clauses:
        return []
    statement = (
        f"SELECT u.id, u.email, p.email_muted, p.daily_digest FROM {User._meta.db_table} u "
        f"LEFT JOIN {Preference._meta.db_table} p ON p.user_id = u.id "
        f"WHERE u.is_active AND u.id IN (SELECT m.user_id FROM {Membership._meta.db_table} m "
        f"JOIN {Organization._meta.db_table} o ON o.id = m.organization_id WHERE {' OR '.join(clauses)}) "
        "ORDER BY u.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    found = []
    for pk, email, muted, digest in rows:
        if isinstance(muted, str):
            muted = json.loads(muted)
        found.append(Recipient(pk, email or "", tuple(muted or ()), bool(digest)))
    return found


def _preference(user: Any) -> Preference | None:
    try:
        return user.notification_preference
    except Preference.DoesNotExist:
        return None


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
    *,
    users: list[Any],
    message_key: str,
    context: dict[str, Any],
    dedup_base: str,
    actor: Any = None,
    fresh: bool = False,
) -> list[Notification]:
    """Write one in-app row and, where the user has an address and wants it, one e-mail row
    per user, in the caller's transaction.

    Side effects, in order: skips the actor and keys already written (the de-duplication
    key makes a repeated call a no-op); inserts the rows; registers the e-mail delivery with
    ``transaction.on_commit`` (digest rows wait for the daily digest), so a rolled-back
    change sends nothing. ``fresh``: the keys derive from an event written in this very
    transaction, so none can exist yet — the look-up and the guarded insert are skipped.
    """
    recipients = [u for u in users if actor is None or u.pk != actor.pk]
    if not recipients:
        return []
    choices = _choices(recipients)
    now = timezone.now()
    wanted: list[Notification] = []
    for user in recipients:
        muted, digest = choices[user.pk]
        wanted.append(
            Notification(
                recipient_id=user.pk,
                channel=Channel.IN_APP,
                message_key=message_key,
                context=context,
                dedup_key=f"{dedup_base}:{user.pk}:{Channel.IN_APP}"[:200],
                status=Status.SENT,  # in-app rows are delivered by being stored
                sent_at=now,
            )
        )
        if user.email and message_key not in muted:
            wanted.append(
                Notification(
                    recipient_id=user.pk,
                    channel=Channel.EMAIL,
                    message_key=message_key,
                    context=context,
                    dedup_key=f"{dedup_base}:{user.pk}:{Channel.EMAIL}"[:200],
                    status=Status.PENDING,
                    digest=digest,
                )
            )
    if fresh:
        created = _insert_fresh(wanted)
        _enqueue_on_commit(created)
        return created
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
    _enqueue_on_commit(created)
    return created


def _insert_fresh(rows: list[Notification]) -> list[Notification]:
    """Insert rows no other can conflict with, in one statement that returns their ids (every
    transition writes some: on PostgreSQL a plain INSERT … RETURNING, which costs a fraction of
    the ORM's bulk_create)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return Notification.objects.bulk_create(rows)
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for row in rows:
        for f in fields:
            value = f.pre_save(row, add=True) if getattr(f, "auto_now_add", False) else getattr(row, f.attname)
            params.append(f.get_db_prep_save(value, connection))
    statement = (
        f"INSERT INTO {Notification._meta.db_table} ({columns}) VALUES {', '.join([one] * len(rows))} RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        ids = [r[0] for r in cursor.fetchall()]
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False
    return rows


def _choices(recipients: list[Any]) -> dict[int, tuple[tuple[str, ...], bool]]:
    """(kinds muted for e-mail, daily digest) of each recipient: carried by a Recipient, or read
    (once for all) for users."""
    found = {r.pk: (r.email_muted, r.daily_digest) for r in recipients if isinstance(r, Recipient)}
    users = [u for u in recipients if not isinstance(u, Recipient)]
    if users:
        if all("notification_preference" in getattr(u._state, "fields_cache", {}) for u in users):
            prefs = {u.pk: _preference(u) for u in users}
        else:
            prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=[u.pk for u in users])}
        for user in users:
            pref = prefs.get(user.pk)
            found[user.pk] = (tuple(pref.email_muted) if pref else (), bool(pref and pref.daily_digest))
    return found


def _enqueue_on_commit(created: list[Notification]) -> None:
    email_ids = [r.pk for r in created if r.channel == Channel.EMAIL and not r.digest]
    if email_ids:
        transaction.on_commit(lambda: enqueue_delivery(email_ids))


def notify_users(
    *, record: Any, event: Any, event_name: str, users: list[Any], actor: Any, fresh: bool = True
) -> list[Notification]:
    """Outbox rows telling ``users`` of the audit ``event`` on ``record`` (see outbox_write);
    the event is new, so its rows cannot exist yet."""
    from workflows.flows import action_label

    context = {
        **record_context(record),
        "action": event.action,
        "action_label": action_label(record.flow_class, event.action),
        "opinion": event.opinion,
        "actor_name": event.actor_name,
        "event_id": event.pk,
    }
    if (event.data or {}).get("revision_due"):  # a return or an extension: until when (补正期限)
        context["revision_due"] = event.data["revision_due"]
        context["previous_due"] = event.data.get("previous_due") or ""
    return outbox_write(
        users=users,
        message_key=event_name,
        context=context,
        dedup_base=f"event:{event.hash[:32]}:{event_name}",
        actor=actor,
        fresh=fresh,
    )


def outbox_address(*, address: str, message_key: str, subject: str, text: str, dedup_key: str) -> Notification | None:
    """An e-mail row for someone without an account (an objector), written in the caller's
    transaction and delivered like every other (retries, the relay); None if the key exists."""
    if Notification.objects.filter(dedup_key=dedup_key[:200]).exists():
        return None
    row = Notification.objects.create(
        recipient=None,
        address=address,
        channel=Channel.EMAIL,
        message_key=message_key,
        context={"subject": subject, "text": text},
        dedup_key=dedup_key[:200],
        status=Status.PENDING,
    )
    _enqueue_on_commit([row])
    return row


class NotificationListener:
    """Subscribed to the engine's record events (``workflows.hooks``): who hears of what the
    record's flow declares (``BaseFlow.audiences``), read before the record is locked when the
    engine prepares."""

    def prepare(self, *, record: Any, event_name: str, memo: dict[Any, Any] | None = None) -> list[Any] | None:
        audiences = record.flow_class.audiences(event_name)
        if not audiences:
            return []
        key = ("notifications", event_name, record.organization_id, record.recommending_unit_id)
        if memo is not None and key in memo:
            return memo[key]
        found = audience_recipients(record, audiences)
        if memo is not None:
            memo[key] = found
        return found

    def done(
        self,
        *,
        record: Any,
        event: Any,
        event_name: str,
        actor: Any,
        recipients: Any,
        prepared: list[Any] | None,
    ) -> None:
        if recipients is not None:
            users = list(recipients)
        elif prepared is not None:
            users = prepared
        else:
            users = self.prepare(record=record, event_name=event_name) or []
        if users:
            notify_users(record=record, event=event, event_name=event_name, users=users, actor=actor)

    def tell(
        self,
        *,
        message_key: str,
        context: dict[str, Any],
        dedup_base: str,
        users: list[Any] | None = None,
        address: str = "",
        subject: str = "",
        text: str = "",
    ) -> None:
        if users:
            outbox_write(users=users, message_key=message_key, context=context, dedup_base=dedup_base)
        if address:
            outbox_address(
                address=address, message_key=message_key, subject=subject, text=text, dedup_key=f"{dedup_base}:address"
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
