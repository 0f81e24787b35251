"""Pages of rounds: CAST staff's (``/manage/rounds/``: create, copy, change, close; sub-projects,
documents), the recommending units' internal deadline, and everyone's round page
(``/rounds/``: windows, contacts, the guide and templates to download, what the user's unit
may apply for). HTTP only: reads through the selectors, writes through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.http import client_ip, parse_id
from workflows.exceptions import WorkflowError
from workflows.models import RoundDocumentKind, RoundKind

from . import selectors, services
from .forms import RoundPageForm, SubprojectPageForm


def _round_or_404(pk: Any, user: Any) -> Any:
    found = selectors.round_get(pk, user=user)
    if found is None:
        raise Http404
    return found


def _staff_or_404(user: Any) -> None:
    if not selectors.manages_rounds(user):
        raise Http404


def _manage_url(round_: Any, anchor: str = "") -> str:
    return reverse("administration:round", args=[round_.pk]) + anchor


def _errors(request: HttpRequest, exc: WorkflowError) -> None:
    for error in exc.errors:
        messages.error(request, error)


def _calendar_warning(round_: Any) -> str | None:
    from workflows import calendar

    warn = getattr(calendar, "coverage_warning", None)
    if warn is None:
        return None
    return warn(round_.submission_opens.date(), round_.cast_review_due.date())


# -- CAST staff --------------------------------------------------------------------------------


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not selectors.sees_all_rounds(user):
        raise Http404
    rows = [{"round": r, "status": selectors.status_of(r)} for r in selectors.rounds_for(user)]
    return render(
        request,
        "administration/rounds/list.html",
        {"rows": rows, "can_manage": selectors.manages_rounds(user), "kinds": RoundKind.choices},
    )


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    _staff_or_404(user)
    kind = request.POST.get("kind") or request.GET.get("kind") or RoundKind.APPLICATION
    if kind not in RoundKind.values:
        kind = RoundKind.APPLICATION
    if request.method != "POST":
        form = RoundPageForm(initial=RoundPageForm.defaults_of(kind), kind=kind, with_kind=True)
        return render(request, "administration/rounds/form.html", {"form": form, "kind": kind, "errors": []})
    form = RoundPageForm(request.POST, kind=kind, with_kind=True)
    try:
        created = services.round_create(actor=user, data=form.service_data(), client_ip=client_ip(request))
    except WorkflowError as exc:
        context = {"form": form, "kind": kind, "errors": exc.errors}
        return render(request, "administration/rounds/form.html", context, status=exc.status_code)
    messages.success(request, _("批次已创建：%(title)s") % {"title": created.title})
    return redirect(_manage_url(created))


@login_required
@require_POST
def round_copy(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _staff_or_404(user)
    source = _round_or_404(pk, user)
    try:
        created = services.round_copy(
            source,
            actor=user,
            year=request.POST.get("year", ""),
            title=request.POST.get("title", ""),
            client_ip=client_ip(request),
        )
    except WorkflowError as exc:
        _errors(request, exc)
        return redirect(_manage_url(source, "#copy"))
    messages.success(request, _("已按“%(source)s”创建新批次，请核对时间和设置") % {"source": source.title})
    return redirect(_manage_url(created))


@login_required
def round_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """A round's page for CAST staff (its form) and the auditor (read only)."""
    user = request.user
    if not selectors.sees_all_rounds(user):
        raise Http404
    round_ = _round_or_404(pk, user)
    can_manage = selectors.manages_rounds(user) and round_.closed_at is None
    errors: list[str] = []
    confirm_needed: list[str] = []
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise Http404
        form = RoundPageForm(request.POST, kind=round_.kind)
        try:
            services.round_update(
                round_,
                actor=user,
                data=form.changed_from(round_),
                confirm=request.POST.get("confirm") == "yes",
                client_ip=client_ip(request),
            )
        except services.NeedsConfirmation as exc:
            confirm_needed, status = exc.errors, 409
        except WorkflowError as exc:
            errors, status = exc.errors, exc.status_code
        else:
            messages.success(request, _("批次设置已保存"))
            return redirect(_manage_url(round_))
    else:
        form = RoundPageForm(initial=RoundPageForm.initial_of(round_), kind=round_.kind)
    context = {
        "round": round_,
        "status": selectors.status_of(round_),
        "form": form,
        "errors": errors,
        "confirm_needed": confirm_needed,
        "can_manage": can_manage,
        "affected": services.affected(round_),
        "subprojects": selectors.subprojects_for(round_, None),
        "documents": list(round_.documents.all()),
        "document_kinds": RoundDocumentKind.choices,
        "deadlines": list(selectors.deadlines_of(round_)),
        "calendar_warning": _calendar_warning(round_),
    }
    return render(request, "administration/rounds/manage.html", context, status=status)


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _staff_or_404(user)
    round_ = _round_or_404(pk, user)
    try:
        services.round_close(round_, actor=user, reason=request.POST.get("reason", ""), client_ip=client_ip(request))
    except WorkflowError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("批次已关闭"))
    return redirect(_manage_url(round_))


@login_required
def subproject_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _subproject_page(request, pk, None)


@login_required
def subproject_edit(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    return _subproject_page(request, pk, sid)


def _subproject_page(request: HttpRequest, pk: int, sid: int | None) -> HttpResponse:
    user = request.user
    _staff_or_404(user)
    round_ = _round_or_404(pk, user)
    sub = None
    if sid is not None:
        sub = selectors.subproject_get(round_, sid)
        if sub is None:
            raise Http404
    errors: list[str] = []
    confirm_needed: list[str] = []
    status = 200
    if request.method == "POST":
        form = SubprojectPageForm(request.POST)
        try:
            if sub is None:
                services.subproject_create(round_, actor=user, data=form.service_data(), client_ip=client_ip(request))
            else:
                services.subproject_update(
                    sub,
                    actor=user,
                    data=form.service_data(),
                    confirm=request.POST.get("confirm") == "yes",
                    client_ip=client_ip(request),
                )
        except services.NeedsConfirmation as exc:
            confirm_needed, status = exc.errors, 409
        except WorkflowError as exc:
            errors, status = exc.errors, exc.status_code
        else:
            messages.success(request, _("子项目已保存"))
            return redirect(_manage_url(round_, "#subprojects"))
    else:
        form = SubprojectPageForm(initial=SubprojectPageForm.initial_of(sub) if sub else {})
    context = {
        "round": round_,
        "sub": sub,
        "form": form,
        "errors": errors,
        "confirm_needed": confirm_needed,
        "affected": services.affected(round_, subproject=sub) if sub else [],
    }
    return render(request, "administration/rounds/subproject.html", context, status=status)


@login_required
@require_POST
def subproject_delete(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    user = request.user
    _staff_or_404(user)
    round_ = _round_or_404(pk, user)
    sub = selectors.subproject_get(round_, sid)
    if sub is None:
        raise Http404
    try:
        services.subproject_delete(sub, actor=user, reason=request.POST.get("reason", ""), client_ip=client_ip(request))
    except WorkflowError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("子项目已删除：%(name)s") % {"name": sub.name})
    return redirect(_manage_url(round_, "#subprojects"))


@login_required
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _staff_or_404(user)
    round_ = _round_or_404(pk, user)
    try:
        document = services.round_document_add(
            round_,
            actor=user,
            data={"kind": request.POST.get("kind", ""), "title": request.POST.get("title", "")},
            upload=request.FILES.get("file"),
            client_ip=client_ip(request),
        )
    except WorkflowError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("文件已上传：%(title)s") % {"title": document.title})
    return redirect(_manage_url(round_, "#documents"))


@login_required
@require_POST
def document_remove(request: HttpRequest, pk: int, did: int) -> HttpResponse:
    user = request.user
    _staff_or_404(user)
    round_ = _round_or_404(pk, user)
    document = round_.documents.filter(pk=did).first()
    if document is None:
        raise Http404
    try:
        services.round_document_remove(
            document, actor=user, reason=request.POST.get("reason", ""), client_ip=client_ip(request)
        )
    except WorkflowError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("文件已删除：%(title)s") % {"title": document.title})
    return redirect(_manage_url(round_, "#documents"))


# -- a recommending unit's internal deadline ------------------------------------------------------


@login_required
def unit_deadline(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    units = services.deadline_units(user)
    if not units:
        raise Http404
    round_ = _round_or_404(pk, user)
    chosen_raw = request.POST.get("unit") or request.GET.get("unit") or str(units[0].pk)
    unit = next((u for u in units if str(u.pk) == chosen_raw), None)
    if unit is None:
        raise Http404
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            services.unit_deadline_set(
                round_,
                unit,
                actor=user,
                data={"closes_at": request.POST.get("closes_at", "")},
                client_ip=client_ip(request),
            )
        except WorkflowError as exc:
            errors, status = exc.errors, exc.status_code
        else:
            messages.success(request, _("本单位的内部申报截止时间已保存"))
            return redirect(reverse("rounds:detail", args=[round_.pk]))
    current = selectors.deadlines_of(round_).filter(unit=unit).first()
    context = {
        "round": round_,
        "units": units,
        "unit": unit,
        "current": current,
        "errors": errors,
        "posted": request.POST.get("closes_at", ""),
    }
    return render(request, "administration/rounds/deadline.html", context, status=status)


# -- everyone's round page --------------------------------------------------------------------------


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    rows = [{"round": r, "status": selectors.status_of(r)} for r in selectors.rounds_for(user)]
    return render(request, "administration/rounds/public_list.html", {"rows": rows})


@require_GET
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    round_ = _round_or_404(pk, user)
    units = selectors.applicant_units(user) if user else []
    eligibility = [
        {
            "unit": unit,
            "subprojects": selectors.subprojects_for(round_, unit),
            "deadline": selectors.deadline_for(round_, unit),
        }
        for unit in units
    ]
    context = {
        "round": round_,
        "status": selectors.status_of(round_),
        "subprojects": selectors.subprojects_for(round_, None),
        "eligibility": eligibility,
        "documents": list(round_.documents.all()),
        "can_set_deadline": bool(user and services.deadline_units(user)),
        "can_manage": bool(user and selectors.sees_all_rounds(user)),
        "calendar_warning": _calendar_warning(round_),
        "is_applicant": bool(units),
    }
    return render(request, "administration/rounds/public_detail.html", context)


@require_GET
def document_download(request: HttpRequest, pk: int, did: int) -> FileResponse:
    user = request.user if request.user.is_authenticated else None
    round_ = _round_or_404(pk, user)
    number = parse_id(did)
    document = round_.documents.filter(pk=number).first() if number is not None else None
    if document is None:
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
