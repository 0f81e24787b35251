"""Every read of notices and objections that depends on who is asking.

The public sees published and closed notices, and of their entries only the public fields.
CAST staff, content reviewers of CAST and the auditor see every notice; only CAST staff and
the auditor see objections (they hold the objector's identity and contact data). Anyone else
sees none: answered 404, as if nothing existed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts import permissions as perms
from accounts.models import Organization, OrgType
from workflows import selectors as workflow_selectors
from workflows.calendar import WORKING, coverage_warning, day_kind_label, notice_end
from workflows.models import WorkflowRecord
from workflows.registry import record_models

from .models import (
    ACTIVE_NOTICE_STATUSES,
    OPEN_OBJECTION_STATUSES,
    PUBLIC_NOTICE_STATUSES,
    NoticeEntry,
    NoticeStatus,
    Objection,
    PublicNotice,
)
from .transitions import declared, publish_sources


def cast_root_id() -> int | None:
    """The CAST organization at the root of the tree."""
    return (
        Organization.objects.filter(type=OrgType.CAST, parent__isnull=True).order_by("pk").values_list("pk", flat=True)
    ).first()


def is_cast_content_reviewer(user: Any) -> bool:
    return perms.is_content_reviewer_in(user, cast_root_id())


def can_see_notices(user: Any) -> bool:
    return perms.is_cast_staff(user) or perms.is_auditor(user) or is_cast_content_reviewer(user)


def can_see_objections(user: Any) -> bool:
    return perms.is_cast_staff(user) or perms.is_auditor(user)


def notice_record_types() -> dict[str, type[WorkflowRecord]]:
    """The record types whose flow goes through a public notice."""
    return {label: model for label, model in sorted(record_models().items()) if declared(model.flow_class)}


# -- the period ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A notice's period as a page shows it: the real one once published, else the one it
    would have if published now (reviewed) or on its scheduled day (``planned``)."""

    starts_on: dt.date
    ends_on: dt.date
    days: int
    unit: str  # 工作日 / 自然日
    planned: bool
    # The official calendar does not know some year's holidays (working days only).
    warning: str | None


def period_of(notice: PublicNotice, *, planned: bool = True) -> Period | None:
    """The period of ``notice`` (see ``Period``), or None for a draft or failed notice (or
    a planned one, unless ``planned``). Computing a planned end reads the calendar."""
    round_ = notice.round
    kind = round_.notice_day_kind
    if notice.status in PUBLIC_NOTICE_STATUSES and notice.starts_on and notice.ends_on:
        start, end, is_plan = notice.starts_on, notice.ends_on, False
    elif not planned or notice.status not in (NoticeStatus.PASSED_REVIEW, NoticeStatus.SCHEDULED):
        return None
    else:
        scheduled = notice.status == NoticeStatus.SCHEDULED and notice.scheduled_for is not None
        start = notice.scheduled_for if scheduled else timezone.localdate()
        try:
            end = notice_end(start, round_.notice_working_days, kind)
        except ValueError:
            return None
        is_plan = True
    warning = coverage_warning(start, end) if kind == WORKING else None
    return Period(start, end, round_.notice_working_days, day_kind_label(kind), is_plan, warning)


# -- the public ----------------------------------------------------------------------------


def public_notices() -> QuerySet:
    """Published and closed notices, newest first."""
    return (
        PublicNotice.objects.filter(status__in=PUBLIC_NOTICE_STATUSES)
        .select_related("round")
        .order_by("-published_at", "-pk")
    )


def get_public_notice(pk: Any) -> PublicNotice | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return public_notices().select_related("round").filter(pk=pk).first()


def public_entries(notice: PublicNotice) -> list[dict[str, Any]]:
    """The entries of a public notice: what was published about each record, nothing else."""
    if notice.status not in PUBLIC_NOTICE_STATUSES:
        return []
    return [
        {"id": row["id"], "position": row["position"], "title": row["public_title"], "summary": row["public_summary"]}
        for row in NoticeEntry.objects.filter(notice=notice)
        .order_by("position")
        .values("id", "position", "public_title", "public_summary")
    ]


# -- staff, content reviewers of CAST, the auditor ------------------------------------------


def notices_for(*, user: Any) -> QuerySet:
    """Every notice for those who run, review or audit them; none for anyone else."""
    qs = PublicNotice.objects.select_related("round", "created_by", "reviewer")
    if not can_see_notices(user):
        return qs.none()
    open_objections = Count("objections", filter=Q(objections__status__in=OPEN_OBJECTION_STATUSES), distinct=True)
    return qs.annotate(entry_count=Count("entries", distinct=True), open_objections=open_objections).order_by(
        "-created_at", "-pk"
    )


def get_notice_for(pk: Any, *, user: Any) -> PublicNotice | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return notices_for(user=user).filter(pk=pk).first()


def objections_for(*, user: Any, notice: PublicNotice | None = None) -> QuerySet:
    """Objections with the objector's data: CAST staff and the auditor only."""
    qs = Objection.objects.select_related("notice", "entry", "decided_by").prefetch_related("evidence")
    if not can_see_objections(user):
        return qs.none()
    if notice is not None:
        qs = qs.filter(notice=notice)
    return qs.order_by("-created_at", "-pk")


def get_objection_for(pk: Any, *, user: Any) -> Objection | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return objections_for(user=user).filter(pk=pk).first()


def verifications_for(*, user: Any) -> QuerySet:
    """Objections a recommending unit was asked to verify (核查), for its society reviewers:
    those referred to a unit where the user is one, newest first. The page shows what to verify
    and the objection's content, not who objected."""
    from accounts.models import Membership, Role

    orgs = Membership.objects.filter(user=user, role=Role.SOCIETY_REVIEWER).values("organization_id")
    if not getattr(user, "is_authenticated", False):
        return Objection.objects.none()
    return (
        Objection.objects.filter(verify_org_id__in=orgs)
        .select_related("notice", "entry", "verify_org", "verified_by")
        .prefetch_related("evidence")
        .order_by("-created_at", "-pk")
    )


def get_verification_for(pk: Any, *, user: Any) -> Objection | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return verifications_for(user=user).filter(pk=pk).first()


def candidate_rows(*, user: Any, record_type: str, round_id: int | None, q: str = "") -> list[WorkflowRecord]:
    """The records of one type and round that the user may put on a notice (in the source
    state of the publish transition, on no active notice), filtered by name or unit."""
    model = notice_record_types().get(record_type)
    if model is None or round_id is None:
        return []
    sources = publish_sources(model.flow_class)
    listed = NoticeEntry.objects.filter(record_type=record_type, notice__status__in=ACTIVE_NOTICE_STATUSES).values(
        "record_id"
    )
    qs = (
        workflow_selectors.visible_records(model, user=user)
        .filter(state__in=sources, round_id=round_id)
        .exclude(pk__in=listed)
        .select_related("organization", "round")
    )
    if q:
        from workflows.registry import record_type_of

        declaration = record_type_of(model)
        found = Q(organization__name__icontains=q)
        if declaration is not None:
            found |= Q(**{f"{declaration.name_field}__icontains": q})
        qs = qs.filter(found)
    return list(qs.order_by("state", "pk"))


def default_notice_title(record_type: str, round_: Any) -> str:
    """ "关于…的公示": the round and what its records are waiting for (拟立项, 拟入选)."""
    from django.utils.translation import gettext as _

    model = notice_record_types().get(record_type)
    if model is None or round_ is None:
        return ""
    from .transitions import publish_names

    # The first publish transition is the notice's own (nominations' second is 递补).
    first = model.flow_class.all_transitions().get(publish_names(model.flow_class)[0], [])
    what = model.flow_class.state_label(first[0].source) if first else ""
    return _("关于%(round)s%(what)s名单的公示") % {"round": round_.title, "what": what}
