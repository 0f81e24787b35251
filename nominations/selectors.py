"""Reads of nominations, scoped to the user through the engine's selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts import permissions as perms
from workflows.models import Attachment
from workflows.scoring import rank
from workflows.selectors import parse_id, visible_records

from .models import Nomination

ORDERINGS = {
    "created": "created_at",
    "-created": "-created_at",
    "name": "nominee_name",
    "-name": "-nominee_name",
    "state": "state",
    "-state": "-state",
    "updated": "updated_at",
    "-updated": "-updated_at",
}
RANKED_STATES = ("expert_review", "shortlisted", "not_selected", "public_notice", "awarded", "disqualified")


def nomination_list(
    *,
    user: Any,
    state: str | None = None,
    round_id: str | None = None,
    category: str | None = None,
    q: str | None = None,
    ordering: str | None = None,
) -> QuerySet:
    qs = visible_records(Nomination, user=user).select_related("round", "organization", "recommending_unit")
    if state:
        qs = qs.filter(state__in=[s for s in state.split(",") if s])
    if round_id and parse_id(round_id) is not None:
        qs = qs.filter(round_id=parse_id(round_id))
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(Q(nominee_name__icontains=q) | Q(organization__name__icontains=q))
    return qs.order_by(ORDERINGS.get(ordering or "", "-created_at"), "-pk")


def nomination_get(pk: Any, *, user: Any) -> Nomination | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return nomination_list(user=user).filter(pk=pk).first()


def attachments_of(nomination: Nomination, *, user: Any) -> QuerySet:
    return Attachment.objects.filter(record_type=nomination.record_type(), record_id=nomination.pk).order_by(
        "kind", "pk"
    )


def scores_of(nomination: Nomination, *, user: Any) -> QuerySet:
    qs = nomination.scores.select_related("expert").order_by("pk")
    if perms.is_cast_staff(user) or perms.is_auditor(user):
        return qs
    return qs.filter(expert_id=user.pk)


def category_ranking(*, round_id: int, category: str) -> list[dict[str, Any]]:
    """The ranking of a category (no scoping: used by flow conditions and by staff views)."""
    records = list(
        Nomination.objects.filter(round_id=round_id, category=category, state__in=RANKED_STATES)
        .select_related("organization")
        .prefetch_related("scores")
    )
    return rank(records, lambda n: [s.total for s in n.scores.all()])


def ranking(*, user: Any, round_id: int, category: str) -> list[dict[str, Any]]:
    if not (perms.is_cast_staff(user) or perms.is_auditor(user)):
        return []
    return category_ranking(round_id=round_id, category=category)


def winners(*, round_id: int) -> QuerySet:
    """The announced winners (public)."""
    return (
        Nomination.objects.filter(round_id=round_id, state="awarded")
        .select_related("organization")
        .order_by("category", "certificate_number")
    )
