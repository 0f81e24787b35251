"""Reusable transition conditions. Each returns the unmet reasons (empty when met)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy


def required_fields(*names: str) -> Any:
    """Every named field has a value."""

    def check(flow: Any, ctx: Any) -> Iterable[str]:
        record = flow.record
        for name in names:
            value = getattr(record, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                yield _("请填写“%(field)s”") % {"field": record._meta.get_field(name).verbose_name}

    check.__name__ = "required_fields"
    return check


def changed_since_last_revision(flow: Any, ctx: Any) -> Iterable[str]:
    """A resubmission must change something since the revision that was returned."""
    from .services import content_hash

    record = flow.record
    if record.current_revision_hash and content_hash(record.content_snapshot()) == record.current_revision_hash:
        yield _("自退回以来内容没有任何修改，请修改后再提交")


def experts_scored(flow: Any, ctx: Any) -> Iterable[str]:
    """Every assigned expert scored, and at least the round's minimum of experts assigned."""
    from .models import AssignmentStatus, ReviewAssignment

    record = flow.record
    minimum = record.round.typed_settings.min_experts
    assigned = set(
        ReviewAssignment.objects.filter(record_type=record.record_type(), record_id=record.pk, stage="expert")
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .values_list("assignee_id", flat=True)
    )
    if len(assigned) < minimum:
        yield _("至少需要 %(n)s 位评审专家（已分配 %(m)s 位）") % {"n": minimum, "m": len(assigned)}
    from .scoring import scores_query

    missing = len(assigned - set(scores_query(record).values_list("expert_id", flat=True)))
    if missing:
        yield _("还有 %(n)s 位专家未提交评分") % {"n": missing}


def attached(kind: str, message: Any, doc: str = "") -> Any:
    """The record has an attachment of ``kind`` (a sealed form, a sealed opinion)."""

    def check(flow: Any, ctx: Any) -> Iterable[str]:
        from .models import Attachment

        record = flow.record
        if not Attachment.objects.filter(record_type=record.record_type(), record_id=record.pk, kind=kind).exists():
            yield str(message)

    check.__name__ = f"attached_{kind}"
    check.__doc__ = doc or f"An attachment of kind {kind} is uploaded"
    return check


def quota(
    *,
    group: str,
    limit: Callable[[Any], int | None],
    states: Iterable[str],
    message: Callable[[Any, int], str],
    doc: str = "",
) -> Any:
    """The recommending unit has a place left in its quota for the record's group of the round
    (a sub-project, a category): fewer than ``limit(record)`` of its records of the group are in
    ``states`` (``limit`` None: no quota). Counted: two recommendations of the unit's group take
    turns (one scope lock)."""
    from .flows import counted

    held = tuple(states)

    def scopes(record: Any) -> list[str]:
        return [
            f"quota:{record.record_type()}:{record.round_id}:{record.recommending_unit_id}:{getattr(record, group)}"
        ]

    @counted(scopes)
    def check(flow: Any, ctx: Any) -> Iterable[str]:
        record = flow.record
        allowed = limit(record)
        if allowed is None:  # the round sets no quota for the group
            return
        used = (
            type(record)
            .objects.filter(
                round_id=record.round_id,
                recommending_unit_id=record.recommending_unit_id,
                state__in=held,
                **{group: getattr(record, group)},
            )
            .count()
        )
        if used >= allowed:
            yield message(record, allowed)

    check.__name__ = "quota_left"
    check.__doc__ = doc or "The recommending unit's quota has a place left"
    return check


def before_unit_deadline(flow: Any, ctx: Any) -> Iterable[str]:
    """Submitted before the recommending unit's own deadline for its units, if it set one."""
    from django.utils import timezone

    from .models import UnitDeadline

    record = flow.record
    if record.recommending_unit_id is None or record.recommending_unit_id == record.organization_id:
        return
    closes = (
        UnitDeadline.objects.filter(round_id=record.round_id, unit_id=record.recommending_unit_id)
        .values_list("closes_at", flat=True)
        .first()
    )
    if closes is not None and ctx.now > closes:
        yield _("推荐单位要求所属单位于 %(when)s 前提交，内部截止时间已过") % {
            "when": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M")
        }


def decided_in_meeting(flow: Any, ctx: Any) -> Iterable[str]:
    """审定: a decision meeting with its minutes uploaded decided the record (同意)"""
    from .decisions import decision_problems

    yield from decision_problems(flow.record)


def not_own_recommender(flow: Any, ctx: Any) -> Iterable[str]:
    """The record's organization is not its own recommending unit (else it submits to CAST)."""
    record = flow.record
    if record.recommending_unit_id is not None and record.recommending_unit_id == record.organization_id:
        yield _(
            "本单位即推荐单位，不经推荐环节：请上传加盖公章的申报单位意见，"
            "使用“（本单位即推荐单位）”的提交操作直接报送中国科协"
        )


unit_opinion_attached = attached(
    "unit_opinion",
    _lazy("请上传加盖公章的申报单位意见（PDF）"),
    "The unit's own sealed opinion (申报单位意见) is uploaded",
)
