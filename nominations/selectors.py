"""Reads of nominations besides the engine's: the public winners."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Nomination


def winners(*, round_id: int) -> QuerySet:
    """The announced winners (public)."""
    return (
        Nomination.objects.filter(round_id=round_id, state="awarded")
        .select_related("organization")
        .order_by("category", "certificate_number")
    )
