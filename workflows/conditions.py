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
