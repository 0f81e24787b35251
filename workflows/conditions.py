"""Reusable transition conditions. Each returns the unmet reasons (empty when met)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _


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
    missing = len(assigned - set(record.scores.values_list("expert_id", flat=True)))
    if missing:
        yield _("还有 %(n)s 位专家未提交评分") % {"n": missing}
