"""Pages of notices: the public list, notice and objection form (no login), and the staff
pages that create, review, publish and finish notices and decide objections.

Staff pages answer 404 to anyone who may not see notices (ids must not be probed); the
services refuse actions the viewer may not take, and their messages are shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import permissions as perms
from common.http import client_ip, parse_id
from workflows.exceptions import WorkflowError
from workflows.models import Round

from . import forms, selectors, services
from .models import PUBLISHABLE_NOTICE_STATUSES, NoticeStatus, ObjectionChannel, ObjectionStatus

OBJECTION_FIELDS = ("entry", "name", "identity", "unit", "phone", "email", "content")
REGISTERED_FIELDS = (*OBJECTION_FIELDS, "channel", "received_on")
SESSION_REFERENCE = "notices_objection_reference"


# -- the public ------------------------------------------------------------------------------


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """Published and closed notices, newest first; search by title; 20 a page."""
    q = request.GET.get("q", "").strip()
    qs = selectors.public_notices()
    if q:
        qs = qs.filter(title__icontains=q)
    page_obj = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(
        request, "notices/public_list.html", {"notices": list(page_obj.object_list), "page_obj": page_obj, "q": q}
    )


def _public_context(notice: Any, values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    today = timezone.localdate()
    accepting = (
        notice.status == NoticeStatus.PUBLISHED
        and notice.starts_on is not None
        and notice.ends_on is not None
        and notice.starts_on <= today <= notice.ends_on
    )
    return {
        "notice": notice,
        "period": selectors.period_of(notice, planned=False),
        "entries": selectors.public_entries(notice),
        "accepting": accepting,
        "values": values,
        "errors": errors,
        "max_files": forms.EVIDENCE_MAX_FILES,
        "content_min": forms.CONTENT_MIN_LENGTH,
        "content_max": forms.CONTENT_MAX_LENGTH,
    }


@require_http_methods(["GET", "POST"])
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.get_public_notice(pk)
    if notice is None:
        raise Http404
    if request.method == "GET":
        return render(request, "notices/public_detail.html", _public_context(notice, {}, []))
    values = {name: request.POST.get(name, "") for name in OBJECTION_FIELDS}
    try:
        objection = services.objection_file(
            notice=notice,
            entry_id=values["entry"],
            name=values["name"],
            identity=values["identity"],
            unit=values["unit"],
            phone=values["phone"],
            email=values["email"],
            content=values["content"],
            files=request.FILES.getlist("evidence"),
            client_ip=client_ip(request),
        )
    except WorkflowError as exc:
        context = _public_context(notice, values, exc.errors)
        return render(request, "notices/public_detail.html", context, status=exc.status_code)
    request.session[SESSION_REFERENCE] = objection.reference
    return redirect("notices:objection-filed", pk=notice.pk)


@require_GET
def objection_filed(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.get_public_notice(pk)
    if notice is None:
        raise Http404
    reference = request.session.pop(SESSION_REFERENCE, None)
    if not reference:
        return redirect("notices:public-detail", pk=notice.pk)
    return render(request, "notices/objection_filed.html", {"notice": notice, "reference": reference})


@require_http_methods(["GET", "POST"])
def objection_lookup(request: HttpRequest) -> HttpResponse:
    """The objector looks up their objection's progress by reference and phone (no login)."""
    values = {"reference": request.POST.get("reference", ""), "phone": request.POST.get("phone", "")}
    found, errors, status = None, [], 200
    if request.method == "POST":
        try:
            found = services.objection_lookup(
                reference=values["reference"], phone=values["phone"], client_ip=client_ip(request)
            )
        except WorkflowError as exc:
            errors, status = exc.errors, exc.status_code
    return render(
        request,
        "notices/objection_lookup.html",
        {"values": values, "found": found, "errors": errors},
        status=status,
    )


# -- recommending units: 核查 ----------------------------------------------------------------


@login_required
@require_GET
def verifications(request: HttpRequest) -> HttpResponse:
    """The objections the reviewer's unit is asked to verify; 404 for anyone who is not a
    recommending unit's reviewer."""
    if not perms.has_role(request.user, "society_reviewer"):
        raise Http404
    rows = list(selectors.verifications_for(user=request.user))
    return render(request, "notices/verifications.html", {"rows": rows, "verifying": ObjectionStatus.VERIFYING})


@login_required
@require_POST
def verification_report(request: HttpRequest, pk: int) -> HttpResponse:
    objection = selectors.get_verification_for(pk, user=request.user)
    if objection is None:
        raise Http404
    _run(
        request,
        lambda: services.objection_verify(
            objection=objection,
            actor=request.user,
            findings=request.POST.get("findings", ""),
            client_ip=client_ip(request),
        ),
        _("核查情况已报送：%(ref)s") % {"ref": objection.reference},
    )
    return redirect("notices:verifications")


# -- staff -----------------------------------------------------------------------------------


def staff_area(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and one of CAST staff, a content reviewer of CAST or the auditor; else 404."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.can_see_notices(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _parse_ids(text: str) -> tuple[list[int], list[str]]:
    ids: list[int] = []
    errors: list[str] = []
    for part in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if parse_id(part) is not None:
            ids.append(parse_id(part))
        else:
            errors.append(_("记录编号“%(value)s”不是数字") % {"value": part})
    return ids, errors


def _manage_list_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    is_staff = perms.is_cast_staff(user)
    qs = selectors.notices_for(user=user)
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()
    if status in NoticeStatus.values:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(title__icontains=q)
    page_obj = Paginator(qs, 20).get_page(request.GET.get("page"))
    return {
        "notices": list(page_obj.object_list),
        "page_obj": page_obj,
        "filters": {"status": status, "q": q},
        "statuses": NoticeStatus.choices,
        "is_staff": is_staff,
    }


@staff_area
@require_http_methods(["GET", "POST"])
def manage_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "notices/manage_list.html", _manage_list_context(request))
    values = {name: request.POST.get(name, "") for name in ("round", "record_type", "record_ids", "title", "intro")}
    picked = request.POST.getlist("records")
    ids, id_errors = _parse_ids(",".join([*picked, values["record_ids"]]))
    round_id = parse_id(values["round"])
    round_obj = Round.objects.filter(pk=round_id).first() if round_id is not None else None
    try:
        if id_errors:
            raise WorkflowError(id_errors)
        notice = services.notice_create(
            round=round_obj,
            record_type=values["record_type"],
            records=ids,
            title=values["title"],
            intro=values["intro"],
            actor=request.user,
            client_ip=client_ip(request),
        )
    except WorkflowError as exc:
        for error in exc.errors:
            messages.error(request, error)
        context = _picker_context(request, values["record_type"], values["round"], "", set(ids), values)
        return render(request, "notices/manage_new.html", context, status=exc.status_code)
    messages.success(request, _("公示草稿已创建，请中国科协内容审核员审核"))
    return redirect("notices:manage-detail", pk=notice.pk)


def _picker_context(
    request: HttpRequest, record_type: str, round_value: str, q: str, checked: set[int] | None, values: dict[str, str]
) -> dict[str, Any]:
    from workflows.registry import record_type_of

    types = selectors.notice_record_types()
    if record_type not in types:
        record_type = next(iter(types), "")
    declaration = record_type_of(record_type)
    kind = declaration.round_kind if declaration is not None else None
    rounds = list(Round.objects.filter(**({"kind": kind} if kind else {})).order_by("-year", "-pk"))
    round_id = parse_id(round_value)
    round_ = next((r for r in rounds if r.pk == round_id), rounds[0] if rounds else None)
    rows = selectors.candidate_rows(
        user=request.user, record_type=record_type, round_id=round_.pk if round_ else None, q=q
    )
    return {
        "types": [(label, record_type_of(label).title if record_type_of(label) else label) for label in types],
        "record_type": record_type,
        "rounds": rounds,
        "round": round_,
        "q": q,
        "rows": rows,
        # Everything found is ticked at first: a notice usually lists all of a round's 拟立项.
        "checked": checked if checked is not None else {r.pk for r in rows},
        "title": values.get("title") or selectors.default_notice_title(record_type, round_),
        "intro": values.get("intro", ""),
    }


@staff_area
@require_GET
def manage_new(request: HttpRequest) -> HttpResponse:
    """Pick a notice's records from the round's candidates (checkboxes, filtered), with the
    default title "关于…的公示"; the form posts to ``manage_list``. CAST staff only."""
    if not perms.is_cast_staff(request.user):
        raise Http404
    context = _picker_context(
        request,
        request.GET.get("record_type", ""),
        request.GET.get("round", ""),
        request.GET.get("q", "").strip(),
        None,
        {},
    )
    return render(request, "notices/manage_new.html", context)


def _notice_or_404(pk: int, user: Any) -> Any:
    notice = selectors.get_notice_for(pk, user=user)
    if notice is None:
        raise Http404
    return notice


@staff_area
@require_GET
def manage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    notice = _notice_or_404(pk, user)
    is_staff = perms.is_cast_staff(user)
    return render(
        request,
        "notices/manage_detail.html",
        {
            "notice": notice,
            "entries": list(notice.entries.order_by("position")),
            "objections": list(selectors.objections_for(user=user, notice=notice)),
            "can_see_objections": selectors.can_see_objections(user),
            "period": selectors.period_of(notice),
            "tomorrow": timezone.localdate() + dt.timedelta(days=1),
            "latest_start": timezone.localdate() + dt.timedelta(days=forms.SCHEDULE_MAX_DAYS),
            "can_review": notice.status == NoticeStatus.DRAFT and selectors.is_cast_content_reviewer(user),
            "can_publish": notice.status in PUBLISHABLE_NOTICE_STATUSES and is_staff,
            "can_finish": notice.status == NoticeStatus.PUBLISHED and is_staff,
            "can_decide": is_staff,
            "open_statuses": [ObjectionStatus.FILED, ObjectionStatus.VERIFYING],
            "can_edit_contacts": is_staff and notice.status != NoticeStatus.CLOSED,
            "can_register": is_staff and notice.status == NoticeStatus.PUBLISHED,
            "channels": [c for c in ObjectionChannel.choices if c[0] != ObjectionChannel.ONLINE],
            "contacts_missing": forms.contacts_missing(notice) if notice.status != NoticeStatus.CLOSED else [],
            "entries_public": selectors.public_entries(notice),
            "today": timezone.localdate(),
        },
    )


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> None:
    try:
        action()
    except WorkflowError as exc:
        for error in exc.errors:
            messages.error(request, error)
    else:
        messages.success(request, success)


@staff_area
@require_POST
def manage_review(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice_or_404(pk, request.user)
    _run(
        request,
        lambda: services.notice_review(
            notice=notice,
            verdict=request.POST.get("verdict", ""),
            opinion=request.POST.get("opinion", ""),
            actor=request.user,
            client_ip=client_ip(request),
        ),
        _("审核结论已记录"),
    )
    return redirect("notices:manage-detail", pk=notice.pk)


@staff_area
@require_POST
def manage_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish now, or on the day chosen (``starts_on``, empty for today)."""
    notice = _notice_or_404(pk, request.user)
    try:
        result = services.notice_publish(
            notice=notice,
            actor=request.user,
            starts_on=request.POST.get("starts_on", ""),
            client_ip=client_ip(request),
        )
    except WorkflowError as exc:
        for error in exc.errors:
            messages.error(request, error)
    else:
        if result.status == NoticeStatus.SCHEDULED:
            messages.success(
                request,
                _("公示已定时，将于 %(date)s 自动发布") % {"date": result.scheduled_for.isoformat()},
            )
        else:
            messages.success(request, _("公示已发布"))
    return redirect("notices:manage-detail", pk=notice.pk)


@staff_area
@require_POST
def manage_finish(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice_or_404(pk, request.user)
    _run(
        request,
        lambda: services.notice_finish(
            notice=notice, actor=request.user, opinion=request.POST.get("opinion", ""), client_ip=client_ip(request)
        ),
        _("公示已结束，名单中的记录已办结"),
    )
    return redirect("notices:manage-detail", pk=notice.pk)


def _objection_or_404(pk: int, user: Any) -> Any:
    objection = selectors.get_objection_for(pk, user=user)
    if objection is None:
        raise Http404
    return objection


@staff_area
@require_POST
def manage_decide(request: HttpRequest, pk: int) -> HttpResponse:
    objection = _objection_or_404(pk, request.user)
    _run(
        request,
        lambda: services.objection_decide(
            objection=objection,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            public_title=request.POST.get("public_title", ""),
            public_summary=request.POST.get("public_summary") if request.POST.get("public_summary") else None,
            actor=request.user,
            client_ip=client_ip(request),
        ),
        _("异议 %(ref)s 已处理") % {"ref": objection.reference},
    )
    return redirect("notices:manage-detail", pk=objection.notice_id)


@staff_area
@require_POST
def manage_contacts(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice_or_404(pk, request.user)
    _run(
        request,
        lambda: services.notice_contacts_update(
            notice=notice,
            actor=request.user,
            data={name: request.POST.get(name, "") for name in forms.CONTACT_FIELDS},
            client_ip=client_ip(request),
        ),
        _("受理信息已保存"),
    )
    return redirect("notices:manage-detail", pk=notice.pk)


@staff_area
@require_POST
def manage_register(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice_or_404(pk, request.user)
    _run(
        request,
        lambda: services.objection_register(
            notice=notice,
            actor=request.user,
            data={name: request.POST.get(name, "") for name in REGISTERED_FIELDS},
            files=request.FILES.getlist("evidence"),
            client_ip=client_ip(request),
        ),
        _("异议已登记"),
    )
    return redirect("notices:manage-detail", pk=notice.pk)


@staff_area
@require_POST
def manage_refer(request: HttpRequest, pk: int) -> HttpResponse:
    objection = _objection_or_404(pk, request.user)
    _run(
        request,
        lambda: services.objection_refer(
            objection=objection,
            actor=request.user,
            request=request.POST.get("request", ""),
            due=request.POST.get("due") or None,
            client_ip=client_ip(request),
        ),
        _("已请推荐单位核查异议 %(ref)s") % {"ref": objection.reference},
    )
    return redirect("notices:manage-detail", pk=objection.notice_id)


@staff_area
@require_GET
def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
    objection = _objection_or_404(pk, request.user)
    evidence = objection.evidence.filter(pk=evidence_id).first()
    if evidence is None:
        raise Http404
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
