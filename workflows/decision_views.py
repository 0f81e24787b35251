"""The pages of 审定 decision meetings (``/workflow/decisions/``): CAST staff record a meeting,
upload its minutes and attach the records it decided; the auditor reads; anyone else: 404.
Thin: every check and the audit are the services' (``workflows.decisions``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import permissions as perms
from common.http import client_ip

from . import decisions
from .exceptions import WorkflowError
from .models import Decision, DecisionMeeting, MeetingKind, Round
from .pages import error_messages

MEETING_KEYS = ("round", "kind", "name", "held_on", "participants")


def _readable(request: HttpRequest) -> None:
    if not decisions.can_read(request.user):
        raise Http404


def _meeting(request: HttpRequest, pk: int) -> DecisionMeeting:
    found = decisions.visible_meetings(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _detail_url(meeting: DecisionMeeting) -> str:
    return reverse("workflows:decision", kwargs={"pk": meeting.pk})


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    _readable(request)
    errors: list[str] = []
    posted: dict[str, Any] = {}
    if request.method == "POST":
        posted = {key: request.POST.get(key, "") for key in MEETING_KEYS}
        try:
            meeting = decisions.meeting_create(
                actor=request.user, data=posted, minutes=request.FILES.get("minutes"), client_ip=client_ip(request)
            )
        except WorkflowError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("审定会议已登记"))
            return redirect(_detail_url(meeting))
    meetings = list(decisions.visible_meetings(request.user).prefetch_related("items"))
    return render(
        request,
        "workflows/decisions/list.html",
        {
            "meetings": meetings,
            "can_manage": perms.is_cast_staff(request.user),
            "rounds": Round.objects.order_by("-year", "-pk"),
            "kinds": MeetingKind.choices,
            "posted": posted,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


def _candidates(meeting: DecisionMeeting) -> list[dict[str, Any]]:
    """The records of the meeting's round awaiting the decision, not yet on the meeting."""
    from .registry import record_types

    taken = set(meeting.items.values_list("record_type", "record_id"))
    found = []
    for rt in record_types():
        if rt.round_kind != meeting.round.kind:
            continue
        for record in rt.model.objects.filter(round_id=meeting.round_id, state__in=decisions.DECIDABLE_STATES):
            label = record.record_type()
            if (label, record.pk) not in taken:
                found.append(
                    {
                        "value": f"{label}:{record.pk}",
                        "label": f"{rt.display_name(record)}（{record.organization.name}）",
                    }
                )
    return found


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _readable(request)
    meeting = _meeting(request, pk)
    can_manage = perms.is_cast_staff(request.user)
    return render(
        request,
        "workflows/decisions/detail.html",
        {
            "meeting": meeting,
            "items": decisions.meeting_items(meeting),
            "can_manage": can_manage,
            "candidates": _candidates(meeting) if can_manage else [],
            "decisions": Decision.choices,
            "kinds": MeetingKind.choices,
            "rounds": Round.objects.order_by("-year", "-pk"),
            "meeting_values": {
                "round": meeting.round_id,
                "kind": meeting.kind,
                "name": meeting.name,
                "held_on": meeting.held_on.isoformat(),
                "participants": meeting.participants,
            },
        },
    )


def _act(request: HttpRequest, meeting: DecisionMeeting, write: Any, done: str) -> HttpResponse:
    try:
        write()
    except WorkflowError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, done)
    return redirect(_detail_url(meeting))


@login_required
@require_POST
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _readable(request)
    meeting = _meeting(request, pk)
    data = {key: request.POST.get(key, "") for key in MEETING_KEYS if key in request.POST}
    return _act(
        request,
        meeting,
        lambda: decisions.meeting_update(meeting, actor=request.user, data=data, client_ip=client_ip(request)),
        _("审定会议已修改"),
    )


@login_required
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    _readable(request)
    meeting = _meeting(request, pk)
    if request.method == "POST":
        return _act(
            request,
            meeting,
            lambda: decisions.minutes_upload(
                meeting, actor=request.user, upload=request.FILES.get("minutes"), client_ip=client_ip(request)
            ),
            _("会议纪要已上传"),
        )
    if not meeting.has_minutes:
        raise Http404
    return FileResponse(
        meeting.minutes.open("rb"), as_attachment=True, filename=meeting.minutes_name, content_type="application/pdf"
    )


@login_required
@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    _readable(request)
    meeting = _meeting(request, pk)
    record_type, _sep, record_id = request.POST.get("record", "").partition(":")
    data = {
        "record_type": record_type,
        "record_id": record_id,
        "decision": request.POST.get("decision", ""),
        "amount": request.POST.get("amount", "").strip().replace(",", ""),
    }
    return _act(
        request,
        meeting,
        lambda: decisions.item_attach(meeting, actor=request.user, data=data, client_ip=client_ip(request)),
        _("审定事项已添加"),
    )


@login_required
@require_POST
def item_remove(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    _readable(request)
    meeting = _meeting(request, pk)
    return _act(
        request,
        meeting,
        lambda: decisions.item_detach(
            meeting,
            actor=request.user,
            item_id=item_id,
            reason=request.POST.get("reason", ""),
            client_ip=client_ip(request),
        ),
        _("审定事项已移除"),
    )
