"""Transition conditions of flows that go through a public notice.

A flow that uses notices declares ``notice_transitions`` (``publish``, ``finish``, ``uphold``)
and puts these on the matching transitions. Each returns the unmet reasons, in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _


def _entries(record: Any) -> Any:
    from .models import NoticeEntry

    return NoticeEntry.objects.filter(record_type=record.record_type(), record_id=record.pk)


def _today(ctx: Any) -> Any:
    now = getattr(ctx, "now", None)
    return timezone.localdate(now) if now is not None else timezone.localdate()


def on_reviewed_notice(flow: Any, ctx: Any) -> Iterable[str]:
    """The record is on a notice that passed its content review and is not yet published."""
    from .models import PUBLISHABLE_NOTICE_STATUSES

    if not _entries(flow.record).filter(notice__status__in=PUBLISHABLE_NOTICE_STATUSES).exists():
        yield _("该记录不在已通过发布前内容审核、待发布的公示名单上")


def notice_period_over(flow: Any, ctx: Any) -> Iterable[str]:
    """The record's published notice has ended: today is after its last day."""
    from .models import NoticeStatus

    entry = (
        _entries(flow.record)
        .filter(notice__status=NoticeStatus.PUBLISHED)
        .select_related("notice")
        .order_by("-notice__published_at", "-pk")
        .first()
    )
    if entry is None:
        yield _("该记录不在公示中的公示上")
        return
    ends_on = entry.notice.ends_on
    if ends_on is None or _today(ctx) <= ends_on:
        yield _("公示期至 %(date)s 结束，尚未期满") % {"date": ends_on.isoformat() if ends_on else "—"}


def no_open_objection(flow: Any, ctx: Any) -> Iterable[str]:
    """No objection to the record is waiting for a decision."""
    from .models import OPEN_OBJECTION_STATUSES, Objection

    record = flow.record
    count = Objection.objects.filter(
        entry__record_type=record.record_type(), entry__record_id=record.pk, status__in=OPEN_OBJECTION_STATUSES
    ).count()
    if count:
        yield _("该记录有 %(n)s 条异议尚未处理") % {"n": count}


def objection_upheld(flow: Any, ctx: Any) -> Iterable[str]:
    """An objection to the record has been upheld."""
    from .models import Objection, ObjectionStatus

    record = flow.record
    if not Objection.objects.filter(
        entry__record_type=record.record_type(), entry__record_id=record.pk, status=ObjectionStatus.UPHELD
    ).exists():
        yield _("该记录没有成立的异议")
