"""Pages of the engine: the generic record page, its action fragment, and "my tasks".

Record-type apps include ``workflows/_actions.html`` and ``workflows/_history.html`` in their
own pages with ``workflow_context(record, user)``; the POST views below serve them all.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import permissions as perms
from common.http import client_ip, safe_next

from . import selectors, services
from .diagram import flow_diagram
from .exceptions import WorkflowError
from .flows import ASSIGNMENT_STAGE_LABELS
from .models import AssignmentStatus, WorkflowRecord
from .registry import get_record_model, record_type_of
from .revision import open_return_of, proposed_due


def _visible_or_404(record_type: str, pk: int, user: Any) -> WorkflowRecord:
    model = get_record_model(record_type)
    if model is None:
        raise Http404
    record = selectors.get_visible_record(model, pk, user=user)
    if record is None:
        raise Http404
    return record


def panel_from_post(request: HttpRequest) -> tuple[list[Any], Any, list[str]]:
    """The experts (``experts``, user ids) and due date (``due_date``, YYYY-MM-DD) of an
    assignment form: (experts, due date or None, the errors in what was sent)."""
    import datetime as dt

    from accounts.models import Role, User

    errors: list[str] = []
    from common.http import parse_id

    ids = [parse_id(i) for i in request.POST.getlist("experts") if parse_id(i) is not None]
    experts = list(User.objects.filter(pk__in=ids, memberships__role=Role.EXPERT).distinct().order_by("username"))
    if not experts:
        errors.append(_("请选择评审专家"))
    due_raw = request.POST.get("due_date", "").strip()
    due_date = None
    if due_raw:
        try:
            due_date = dt.date.fromisoformat(due_raw)
        except ValueError:
            errors.append(_("截止日期必须是日期（YYYY-MM-DD）"))
    return experts, due_date, errors


def _assign_posted_panel(request: HttpRequest, records: list[Any], experts: list[Any], due_date: Any) -> list[str]:
    """Assign the panel to every record, all or nothing; the refusals (empty when done)."""
    try:
        services.assign_panel(
            records,
            stage="expert",
            assignees=experts,
            actor=request.user,
            due_date=due_date,
            client_ip=client_ip(request),
        )
    except WorkflowError as exc:
        return exc.errors
    return []


def assign_panel_page(request: HttpRequest, record: Any) -> None:
    """The expert-panel form of one record's page (applications and nominations): assigns the
    posted panel, all or nothing, and puts the outcome in the messages."""
    experts, due_date, errors = panel_from_post(request)
    if not errors:
        errors = _assign_posted_panel(request, [record], experts, due_date)
    if errors:
        messages.error(request, _("未分配任何专家，请处理以下问题后重试："))
        for error in errors:
            messages.error(request, error)
        return
    messages.success(request, _("已分配 %(n)s 位评审专家") % {"n": len(experts)})


def bulk_assign_page(
    request: HttpRequest,
    records: list[Any],
    back: str,
    *,
    template: str,
    done: Any,
    refused: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The same panel of experts for every selected record (the lists' bulk action): first a
    confirmation naming the records and the experts, then all or nothing. ``done(n records,
    m experts)`` and ``refused`` are the record type's own messages."""
    experts, due_date, errors = panel_from_post(request)
    if not errors and request.POST.get("confirm") == "yes":
        errors = _assign_posted_panel(request, records, experts, due_date)
        if not errors:
            messages.success(request, done(len(records), len(experts)))
            return redirect(back)
    if errors:
        messages.error(request, refused)
        for error in errors:
            messages.error(request, error)
        return redirect(back)
    shown = {"records": records, "experts": experts, "due_date": due_date, "count": len(records), "next": back}
    return render(request, template, {**(context or {}), **shown})


def expert_users() -> list[Any]:
    from accounts.models import Role, User

    return list(User.objects.filter(memberships__role=Role.EXPERT).distinct().order_by("username"))


def _with_proposed_due(record: WorkflowRecord, options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each option with the 补正期限 its form proposes (a return or an extension; else None)."""
    flow = record.get_flow()
    for option in options:
        found = flow.find(option["name"], record.state)
        option["revision_due"] = proposed_due(flow, found, record) if found is not None else None
    return options


def workflow_context(record: WorkflowRecord, user: Any) -> dict[str, Any]:
    """What the action, content-review and history fragments need."""
    flow = record.get_flow()
    needed_stage = flow.stage_for_state(record.state)
    return {
        "record": record,
        "record_type": record.record_type(),
        "state_label": flow.state_label(record.state),
        "transitions": _with_proposed_due(record, services.available_transitions(record, user)),
        "content_reviews": selectors.content_reviews(record, user=user),
        "needed_stage": needed_stage,
        # Only the content reviewers of the organization answering for the stage see the form.
        "can_review": bool(needed_stage)
        and record.current_revision_hash != ""
        and perms.is_content_reviewer_in(user, flow.responsible_org_id(needed_stage, record)),
        "history": selectors.history_entries(record, user=user),
        "state_labels": {value: str(label) for value, label in flow.States.choices},
        "fields": [
            (record._meta.get_field(name).verbose_name, getattr(record, name)) for name in record.content_fields
        ],
        "diagram": flow_diagram(type(flow), record.state),
        "open_return": open_return_of(record),
    }


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A background bulk action: its progress while it runs (the page reloads itself every two
    seconds, no script needed), then its outcome."""
    job = selectors.job_for(pk, user=request.user)
    if job is None:
        raise Http404
    return render(request, "workflows/job.html", {"job": job, "progress": job.progress(), "percent": job.percent()})


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The user's tasks: filter by status and stage, sort by due date or assignment date,
    20 a page."""
    status = request.GET.get("status", "open")
    stage = request.GET.get("stage", "")
    ordering = request.GET.get("ordering", "due")
    qs = selectors.my_assignments(
        user=request.user,
        status=status if status in AssignmentStatus.values else None,
        stage=stage or None,
        ordering=ordering,
    )
    page_obj = Paginator(qs, 20).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "tasks": selectors.with_records(list(page_obj.object_list)),
        "filters": {"status": status, "stage": stage, "ordering": ordering},
        "statuses": AssignmentStatus.choices,
        "stages": [(value, str(label)) for value, label in ASSIGNMENT_STAGE_LABELS.items()],
        "orderings": [
            ("due", _("截止日期（最早在前）")),
            ("-due", _("截止日期（最晚在前）")),
            ("-created", _("分配时间（最新在前）")),
            ("created", _("分配时间（最早在前）")),
        ],
    }
    return render(request, "workflows/tasks.html", context)


@login_required
def record_detail(request: HttpRequest, record_type: str, pk: int) -> HttpResponse:
    record = _visible_or_404(record_type, pk, request.user)
    if record_type_of(record) is not None:  # a declared type has pages of its own
        return redirect(record.get_absolute_url())
    return render(request, "workflows/record.html", workflow_context(record, request.user))


@login_required
@require_POST
def record_transition(request: HttpRequest, record_type: str, pk: int, name: str) -> HttpResponse:
    record = _visible_or_404(record_type, pk, request.user)
    try:
        services.transition(
            record,
            name,
            actor=request.user,
            opinion=request.POST.get("opinion", ""),
            data=_transition_data(request),
            client_ip=client_ip(request),
        )
    except WorkflowError as exc:
        for error in exc.errors:
            messages.error(request, error)
    else:
        messages.success(request, _("操作已完成"))
    return _back(request, record_type, pk)


# What a page's action form may send with a transition besides the opinion (the flow's input
# checks judge it): the 补正期限 of a return or an extension (empty: its default).
TRANSITION_INPUTS = ("revision_due",)


def _transition_data(request: HttpRequest) -> dict[str, str]:
    return {key: request.POST[key].strip() for key in TRANSITION_INPUTS if request.POST.get(key, "").strip()}


def _back(request: HttpRequest, record_type: str, pk: int) -> HttpResponse:
    """Back to the page the form was on (same host only), else the generic record page."""
    from django.urls import reverse

    return redirect(safe_next(request, reverse("workflows:record", kwargs={"record_type": record_type, "pk": pk})))


@login_required
@require_POST
def record_content_review(request: HttpRequest, record_type: str, pk: int) -> HttpResponse:
    record = _visible_or_404(record_type, pk, request.user)
    try:
        services.checkpoint_record(
            record,
            stage=request.POST.get("stage", ""),
            verdict=request.POST.get("verdict", ""),
            opinion=request.POST.get("opinion", ""),
            actor=request.user,
            client_ip=client_ip(request),
        )
    except WorkflowError as exc:
        for error in exc.errors:
            messages.error(request, error)
    else:
        messages.success(request, _("内容审核结论已记录"))
    return _back(request, record_type, pk)
