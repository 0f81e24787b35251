"""Reads of applications, always scoped to the user through the engine's selectors."""

from __future__ import annotations

import statistics
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts import permissions as perms
from workflows.models import Attachment, AuditEvent, Revision
from workflows.selectors import parse_id, visible_records

from .models import Application

ORDERINGS = {
    "created": "created_at",
    "-created": "-created_at",
    "name": "name",
    "-name": "-name",
    "state": "state",
    "-state": "-state",
    "requested": "requested_amount",
    "-requested": "-requested_amount",
    "updated": "updated_at",
    "-updated": "-updated_at",
}


def application_list(
    *,
    user: Any,
    state: str | None = None,
    round_id: str | None = None,
    subproject: str | None = None,
    q: str | None = None,
    province: str | None = None,
    ordering: str | None = None,
) -> QuerySet:
    """The applications the user may see, filtered; related rows fetched in the same query."""
    qs = visible_records(Application, user=user).select_related(
        "round", "subproject", "organization", "recommending_unit"
    )
    if state:
        qs = qs.filter(state__in=[s for s in state.split(",") if s])
    if round_id and parse_id(round_id) is not None:
        qs = qs.filter(round_id=parse_id(round_id))
    if subproject:
        qs = qs.filter(Q(subproject__code=subproject) | Q(subproject_id=parse_id(subproject)))
    if province:
        qs = qs.filter(region_province=province)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(organization__name__icontains=q) | Q(leader_name__icontains=q))
    return qs.order_by(ORDERINGS.get(ordering or "", "-created_at"), "-pk")


def application_get(pk: Any, *, user: Any) -> Application | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return application_list(user=user).filter(pk=pk).first()


def attachments_of(application: Application, *, user: Any) -> QuerySet:
    return Attachment.objects.filter(record_type=application.record_type(), record_id=application.pk).order_by(
        "kind", "pk"
    )


def scores_of(application: Application, *, user: Any) -> QuerySet:
    """Experts' scores: CAST staff and the auditor see all; an expert only their own."""
    qs = application.scores.select_related("expert").order_by("pk")
    if perms.is_cast_staff(user) or perms.is_auditor(user):
        return qs
    return qs.filter(expert_id=user.pk)


def ranking(*, user: Any, round_id: int, subproject_id: int | None = None) -> list[dict[str, Any]]:
    """Applications in expert review or later, ranked by mean weighted score.

    Each row: the application, mean, spread (max − min), standard deviation and count of
    scores. Ties on the mean are broken by the smaller spread, then by the earlier
    submission (lower id): the rule is shown on the ranking page.
    """
    if not (perms.is_cast_staff(user) or perms.is_auditor(user)):
        return []
    qs = (
        Application.objects.filter(
            round_id=round_id, state__in=["expert_review", "proposed", "public_notice", "approved"]
        )
        .select_related("organization", "subproject")
        .prefetch_related("scores")
    )
    if subproject_id:
        qs = qs.filter(subproject_id=subproject_id)
    rows = []
    for app in qs:
        totals = [s.total for s in app.scores.all()]
        mean = (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01")) if totals else None
        rows.append(
            {
                "application": app,
                "mean": mean,
                "spread": (max(totals) - min(totals)) if totals else None,
                "stdev": Decimal(str(round(statistics.pstdev([float(t) for t in totals]), 2))) if totals else None,
                "count": len(totals),
            }
        )
    rows.sort(
        key=lambda r: (
            r["mean"] is None,
            -(r["mean"] or 0),
            r["spread"] if r["spread"] is not None else Decimal(1000),
            r["application"].pk,
        )
    )
    for position, row in enumerate(rows, start=1):
        row["rank"] = position
    return rows


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
    labels.update({"team": _("团队成员"), "budget": _("预算明细"), "attachments": _("附件"), "subproject": _("子项目")})
    changes = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes.append(
                {"field": key, "label": labels.get(key, key), "before": before.get(key), "after": after.get(key)}
            )
    return {"since": before_rev.number, "changes": changes}
