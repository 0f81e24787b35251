"""Reads for the dashboards, each scoped to the user and each a fixed number of queries
whatever the number of records (aggregates in the database, never a loop of queries).

Who acts next is read from the flow definitions: a state is in a user's queue when one of
its outgoing transitions is granted to a role the user holds (the same ``RolePermission``
the engine checks), and a record waiting for content review is in the queue of its content
reviewers. So the dashboards cannot disagree with what the record pages offer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions as perms
from accounts.models import OrgType, Role
from applications.models import Application
from common.http import parse_id
from nominations.models import Nomination
from workflows.conditions import not_own_recommender
from workflows.flows import BaseFlow, ReturnerPermission, RolePermission, is_own_recommender
from workflows.models import (
    AssignmentStatus,
    AuditEvent,
    Checkpoint,
    CheckpointStage,
    ReviewAssignment,
    Round,
    RoundKind,
)
from workflows.selectors import visible_records

RECORD_MODELS: tuple[type, ...] = (Application, Nomination)
MY_RECORDS_LIMIT = 50


def _join(items: Any) -> str:
    # The list separator of the language: 、 in Chinese, ", " in English.
    return _("、").join(str(i) for i in items)


def _moves_on(permission: Any) -> bool:
    """A permission of the one who moves the record on. The returner's extension or decision on
    a returned record's 补正期限 (``ReturnerPermission``) is a fallback, not the next step: the
    applicant's resubmission is."""
    return isinstance(permission, RolePermission) and not isinstance(permission, ReturnerPermission)


def _roles(flow: type[BaseFlow], state: str) -> list[str]:
    """The roles that may move a record on from ``state``, in the order of its transitions."""
    roles: list[str] = []
    for transition in flow.outgoing(state):
        permission = transition.permission
        if _moves_on(permission) and permission.role not in roles:
            roles.append(permission.role)
    return roles


def _action_labels(flow: type[BaseFlow], record: Any, role: str) -> list[str]:
    """The labels of what ``role`` may do on the record now: a unit that is its own recommending
    unit submits to CAST (submit_to_cast), any other through its recommending unit (submit)."""
    own = is_own_recommender(record)
    labels: list[str] = []
    for transition in flow.outgoing(record.state):
        permission = transition.permission
        if not _moves_on(permission) or permission.role != role:
            continue
        if (permission.scope == "own_recommender" and not own) or (
            own and not_own_recommender in flow.checks_of(transition)
        ):
            continue
        if str(transition.label) not in labels:
            labels.append(str(transition.label))
    return labels


# -- the applicant ---------------------------------------------------------------------------


@dataclass
class MyRecord:
    record: Any
    kind: str
    title: str
    state_label: str
    next_step: str
    yours: bool  # the next step is the applicant's own
    deadline: dt.datetime | None
    overdue: bool


def _deadline(record: Any, flow: type[BaseFlow], roles: list[str]) -> dt.datetime | None:
    """The date the next step is due by: the round's submission deadline while the applicant
    holds the record, its review deadlines while a reviewer or CAST does."""
    round_ = record.round
    if record.state in flow.editable_states:
        if getattr(record, "revision_due", None) is not None:  # returned: its 补正期限, to the day's end
            end = dt.datetime.combine(record.revision_due, dt.time(23, 59, 59))
            return timezone.make_aware(end)
        return round_.submission_closes
    if Role.SOCIETY_REVIEWER in roles:
        return round_.recommender_review_due
    if Role.CAST_STAFF in roles and record.state in flow.cast_visible_states:
        return round_.cast_review_due
    return None


def my_records(*, user: Any) -> list[MyRecord]:
    """The records of the user's own organizations (as applicant), most recently changed
    first: state, next step (and whose), deadline. One query per record type."""
    orgs = perms.org_ids_with_role(user, Role.APPLICANT)
    if not orgs:
        return []
    role_labels = dict(Role.choices)
    now = timezone.now()
    rows: list[MyRecord] = []
    for model in RECORD_MODELS:
        flow = model.flow_class
        for record in (
            model.objects.filter(organization_id__in=orgs)
            .select_related("round")
            .order_by("-updated_at")[:MY_RECORDS_LIMIT]
        ):
            roles = _roles(flow, record.state)
            if record.state in flow.final_states or not roles:
                step, yours = _("已办结"), False
            elif roles == [Role.APPLICANT]:
                step = _("请您办理：%(actions)s") % {"actions": _join(_action_labels(flow, record, Role.APPLICANT))}
                yours = True
            else:
                # Someone else moves it on; that the applicant may still withdraw is no next step.
                who = _join(str(role_labels[r]) for r in roles if r != Role.APPLICANT)
                step, yours = _("等待%(who)s办理") % {"who": who}, False
            deadline = None if step == _("已办结") else _deadline(record, flow, roles)
            rows.append(
                MyRecord(
                    record=record,
                    kind=str(model._meta.verbose_name),
                    title=str(record),
                    state_label=flow.state_label(record.state),
                    next_step=step,
                    yours=yours,
                    deadline=deadline,
                    overdue=bool(deadline and deadline < now and yours),
                )
            )
    rows.sort(key=lambda r: (not r.yours, r.record.updated_at.timestamp() * -1))
    return rows[:MY_RECORDS_LIMIT]


# -- the reviewers' queues -------------------------------------------------------------------


@dataclass
class QueueRow:
    kind: str
    state: str
    state_label: str
    count: int
    url: str
    stage: str  # what is awaited: a transition by a role, or a content review


def _user_roles(user: Any) -> set[str]:
    return {g.role for g in perms.grants(user)}


def _review_stages(user: Any) -> set[str]:
    """The content-review stages the user answers for: a society's (or provincial CAST's)
    content reviewer the recommending unit's stage, CAST's content reviewer CAST's stages."""
    stages: set[str] = set()
    for grant in perms.grants(user):
        if grant.role == Role.CONTENT_REVIEWER:
            stages |= {"cast", "publication"} if grant.org_type == OrgType.CAST else {"recommender"}
    return stages


def queues(*, user: Any) -> list[QueueRow]:
    """For each record type and state: how many records the user may see that wait for the
    user — a transition granted to a role the user holds, or a content review of a stage the
    user answers for that the current revision has not had yet. Two aggregate queries per
    record type."""
    roles = _user_roles(user)
    review_stages = _review_stages(user)
    rows: list[QueueRow] = []
    role_labels = dict(Role.choices)
    for model in RECORD_MODELS:
        flow = model.flow_class
        acting: dict[str, str] = {}
        reviewing: dict[str, str] = {}
        for state in flow.States.values:
            mine = [r for r in _roles(flow, state) if r in roles and r != Role.APPLICANT]
            if mine:
                acting[state] = _("待%(role)s办理") % {"role": _join(str(role_labels[r]) for r in mine)}
            stage = flow.stage_for_state(state)
            if stage in review_stages:
                reviewing[state] = stage
        visible = visible_records(model, user=user)
        list_url = _list_url(model)

        if acting:
            counts = _count_by_state(visible.filter(state__in=list(acting)))
            rows.extend(_queue_rows(model, list_url, counts, acting))
        if reviewing:
            label = model.record_type()
            pending = Q(pk__in=[])
            for stage in set(reviewing.values()):
                reviewed = Checkpoint.objects.filter(
                    record_type=label,
                    record_id=OuterRef("pk"),
                    stage=stage,
                    revision_hash=OuterRef("current_revision_hash"),
                )
                states = [state for state, s in reviewing.items() if s == stage]
                pending |= Q(state__in=states) & ~Exists(reviewed)
            stage_labels = dict(CheckpointStage.choices)
            waiting = {
                state: _("待内容审核（%(stage)s）") % {"stage": stage_labels.get(stage, stage)}
                for state, stage in reviewing.items()
            }
            rows.extend(_queue_rows(model, list_url, _count_by_state(visible.filter(pending)), waiting))
    return rows


def _queue_rows(model: type, list_url: str, counts: dict[str, int], waiting: dict[str, str]) -> list[QueueRow]:
    return [
        QueueRow(
            kind=str(model._meta.verbose_name),
            state=state,
            state_label=model.flow_class.state_label(state),
            count=counts.get(state, 0),
            url=f"{list_url}?state={state}",
            stage=stage,
        )
        for state, stage in waiting.items()
    ]


def _count_by_state(qs: QuerySet) -> dict[str, int]:
    return dict(qs.order_by().values_list("state").annotate(n=Count("pk")).values_list("state", "n"))


def _list_url(model: type) -> str:
    from django.urls import reverse

    return reverse("applications:list" if model is Application else "nominations:list")


def overdue_assignments(*, user: Any, limit: int = 20) -> tuple[int, list[ReviewAssignment]]:
    """Open review assignments past their due date: the user's own, or every one for CAST
    staff and the auditor. (count, the most overdue first)."""
    qs = ReviewAssignment.objects.filter(status=AssignmentStatus.OPEN, due_date__lt=timezone.localdate())
    if not (perms.is_cast_staff(user) or perms.is_auditor(user)):
        qs = qs.filter(assignee_id=user.pk)
    qs = qs.select_related("assignee").order_by("due_date", "pk")
    return qs.count(), list(qs[:limit])


# -- CAST staff: a round in figures ----------------------------------------------------------


@dataclass
class Figure:
    key: str
    label: str
    count: int
    requested: Decimal | None = None
    proposed: Decimal | None = None


@dataclass
class RoundFigures:
    round: Round
    total: int
    by_state: list[Figure]
    reached: list[Figure]  # how many records ever entered each state (from the audit trail)
    by_group: list[Figure]  # sub-project or category
    by_region: list[Figure]  # province of service, or recommending unit
    group_title: str
    region_title: str
    requested: Decimal | None = None
    proposed: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def can_see_round_figures(user: Any) -> bool:
    return perms.is_cast_staff(user) or perms.is_auditor(user)


def figure_rounds(*, user: Any) -> QuerySet:
    if not can_see_round_figures(user):
        return Round.objects.none()
    return Round.objects.order_by("-year", "kind", "pk")


def round_figures(*, user: Any, round_id: Any) -> RoundFigures | None:
    """The funnel of a round (CAST staff and the auditor): records by state, how many ever
    reached each state, by sub-project or category, by province or recommending unit, and
    requested and proposed funding. Five aggregate queries whatever the size of the round."""
    pk = parse_id(round_id)
    round_ = figure_rounds(user=user).filter(pk=pk).first() if pk is not None else None
    if round_ is None:
        return None
    model = Application if round_.kind == RoundKind.APPLICATION else Nomination
    flow = model.flow_class
    records = model.objects.filter(round=round_)
    money = model is Application
    aggregates: dict[str, Any] = {"n": Count("pk")}
    if money:
        aggregates.update(requested=Sum("requested_amount"), proposed=Sum("funding_amount"))

    def figures(values: QuerySet, key: str, labels: dict[str, str] | None = None) -> list[Figure]:
        out = []
        for row in values:
            value = row[key] or ""
            out.append(
                Figure(
                    key=str(value),
                    label=(labels or {}).get(value, value) or _("（未填写）"),
                    count=row["n"],
                    requested=row.get("requested"),
                    proposed=row.get("proposed"),
                )
            )
        return out

    states = dict(flow.States.choices)
    by_state_raw = {f.key: f for f in figures(records.values("state").annotate(**aggregates).order_by(), "state")}
    by_state = [
        by_state_raw.get(value) or Figure(value, str(label), 0, Decimal("0") if money else None, None)
        for value, label in states.items()
    ]
    for figure in by_state:
        figure.label = str(states.get(figure.key, figure.key))
    reached_counts = dict(
        AuditEvent.objects.filter(record_type=model.record_type(), record_id__in=records.values("pk"))
        .exclude(to_state="")
        .values_list("to_state")
        .annotate(n=Count("record_id", distinct=True))
        .values_list("to_state", "n")
    )
    reached = [Figure(value, str(label), reached_counts.get(value, 0)) for value, label in states.items()]
    if money:
        group_title, region_title = _("按子项目"), _("按服务地区（省）")
        by_group = figures(
            records.values("subproject__name").annotate(**aggregates).order_by("-n", "subproject__name"),
            "subproject__name",
        )
        by_region = figures(
            records.values("region_province").annotate(**aggregates).order_by("-n", "region_province"),
            "region_province",
        )
    else:
        group_title, region_title = _("按类别"), _("按推荐单位")
        categories = {value: str(label) for value, label in model._meta.get_field("category").choices}
        by_group = figures(
            records.values("category").annotate(**aggregates).order_by("-n", "category"), "category", categories
        )
        by_region = figures(
            records.values("recommending_unit__name").annotate(**aggregates).order_by("-n", "recommending_unit__name"),
            "recommending_unit__name",
        )
    total = sum(f.count for f in by_state)
    requested = sum((f.requested or Decimal("0") for f in by_state), Decimal("0")) if money else None
    proposed = sum((f.proposed or Decimal("0") for f in by_state), Decimal("0")) if money else None
    return RoundFigures(
        round=round_,
        total=total,
        by_state=by_state,
        reached=reached,
        by_group=by_group,
        by_region=by_region,
        group_title=group_title,
        region_title=region_title,
        requested=requested,
        proposed=proposed,
    )


def default_round(*, user: Any) -> Round | None:
    """The round a staff dashboard opens on: the newest with records, else the newest."""
    rounds = figure_rounds(user=user)
    busy = rounds.filter(
        Exists(Application.objects.filter(round_id=OuterRef("pk")))
        | Exists(Nomination.objects.filter(round_id=OuterRef("pk")))
    ).first()
    return busy or rounds.first()
