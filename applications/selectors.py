"""Reads of applications besides the engine's (lists, the ranking and scores come from the
registry: ``workflows.registry``, ``workflows.scoring``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from workflows.models import AuditEvent, Revision

from .models import Application


def revision_diff(application: Application, *, user: Any) -> dict[str, Any]:
    """What changed between the revision last returned for revision and the current content.

    Returns {"since": revision number or None, "changes": [{"field", "label", "before", "after"}]}.
    """
    returned = (
        AuditEvent.objects.filter(
            record_type=application.record_type(),
            record_id=application.pk,
            action__in=["return_for_revision", "return_from_formal_review"],
        )
        .order_by("-record_seq")
        .first()
    )
    if returned is None or not returned.revision_hash:
        return {"since": None, "changes": []}
    before_rev = (
        Revision.objects.filter(
            record_type=application.record_type(), record_id=application.pk, content_hash=returned.revision_hash
        )
        .order_by("-number")
        .first()
    )
    if before_rev is None:
        return {"since": None, "changes": []}
    before = before_rev.content
    after = application.content_snapshot()
    labels = {f.name: str(f.verbose_name) for f in Application._meta.get_fields() if hasattr(f, "verbose_name")}
    labels.update(
        {
            "team": _("团队成员"),
            "budget": _("预算明细"),
            "attachments": _("附件"),
            "subproject": _("子项目"),
            "section_kind": _("本子项目专门内容"),
        }
    )
    changes = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes.append(
                {"field": key, "label": labels.get(key, key), "before": before.get(key), "after": after.get(key)}
            )
    return {"since": before_rev.number, "changes": changes}


def envelopes(round_: Any) -> list[dict[str, Any]]:
    """Each sub-project of the round with its budget envelope (预算额度, None when it has
    none), the funding proposed against it (拟立项, 公示中 and 已立项), how much is left and how
    many applications count: for CAST staff's ranking and proposal pages."""
    from decimal import Decimal

    from django.db.models import Count, Sum

    from .flows import FUNDED_STATES
    from .models import Application

    totals = {
        row["subproject_id"]: row
        for row in Application.objects.filter(round=round_, state__in=FUNDED_STATES)
        .values("subproject_id")
        .annotate(total=Sum("funding_amount"), n=Count("pk"))
    }
    result = []
    for sub in round_.subprojects.all():
        row = totals.get(sub.pk, {})
        proposed = row.get("total") or Decimal("0")
        envelope = sub.envelope_yuan
        result.append(
            {
                "subproject": sub.code,
                "subproject_id": sub.pk,
                "name": sub.name,
                "envelope_yuan": envelope,
                "proposed_yuan": proposed,
                "remaining_yuan": None if envelope is None else envelope - proposed,
                "count": row.get("n", 0),
            }
        )
    return result
