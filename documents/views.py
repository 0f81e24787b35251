"""Pages: the public verification page (no login), the batches page of CAST staff, and the
browser's downloads (PDFs and spreadsheets), each read through the selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from common.http import parse_id
from workflows.exceptions import WorkflowError
from workflows.models import Round

from . import responses, selectors, services
from .models import normalize_code

# -- the public ------------------------------------------------------------------------------


@require_GET
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """A form to type a code; a typed code goes to its page."""
    code = normalize_code(request.GET.get("code", ""))
    if code:
        return redirect("documents-public:verify", code=code)
    return render(request, "documents/verify.html", {"lookup": True})


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Whether a document with this code was issued here: its kind, title, number and date
    ("真实有效"), or "未找到该文件" with status 404. Nothing private is shown."""
    document = selectors.verified_document(code)
    context = {"document": document, "code": code}
    return render(request, "documents/verify.html", context, status=200 if document else 404)


# -- downloads -------------------------------------------------------------------------------


def download(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in; a refused document answers as the API would (404 when out of scope)."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except WorkflowError as exc:
            if exc.status_code == 404:
                raise Http404(exc.errors[0] if exc.errors else "") from exc
            if exc.status_code == 403:
                raise PermissionDenied(exc.errors[0] if exc.errors else "") from exc
            return HttpResponse("\n".join(exc.errors), status=exc.status_code, content_type="text/plain; charset=utf-8")

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_GET
@download
def application_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return responses.application_form(pk, request.user, revision=request.GET.get("revision"))


@require_GET
@download
def approval_notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return responses.approval_notice(pk, request.user)


@require_GET
@download
def audit_history_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return responses.audit_history(pk, request.user)


@require_GET
@download
def result_list_pdf(request: HttpRequest, round_id: int) -> HttpResponse:
    return responses.result_list(round_id, request.user)


@require_GET
@download
def applications_export(request: HttpRequest, fmt: str) -> HttpResponse:
    return responses.applications_export(request.GET, request.user, fmt=fmt)


@require_GET
@download
def nomination_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return responses.nomination_form(pk, request.user, revision=request.GET.get("revision"))


@require_GET
@download
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return responses.certificate(pk, request.user)


@require_GET
@download
def nomination_history_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return responses.nomination_history(pk, request.user)


@require_GET
@download
def nominations_export(request: HttpRequest, fmt: str) -> HttpResponse:
    return responses.nominations_export(request.GET, request.user, fmt=fmt)


@require_GET
def winners_list_pdf(request: HttpRequest, round_id: int) -> HttpResponse:
    """The list of winners is public once announced, like the winners page."""
    try:
        return responses.winners_list(round_id, None)
    except WorkflowError as exc:
        raise Http404 from exc


@require_GET
def notice_list_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The list of a published notice is public, like the notice itself."""
    try:
        return responses.notice_list(pk, request.user if request.user.is_authenticated else None)
    except WorkflowError as exc:
        raise Http404 from exc


# -- batches (CAST staff; the auditor reads) --------------------------------------------------


def batches_area(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.can_see_batches(request.user) and not selectors.batches_for(user=request.user).exists():
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_http_methods(["GET", "POST"])
@batches_area
def batch_list(request: HttpRequest) -> HttpResponse:
    can_start = selectors.can_start_batches(request.user)
    if request.method == "POST":
        if not can_start:
            raise Http404
        raw = request.POST.get("round") or ""
        round_ = Round.objects.filter(pk=parse_id(raw)).first() if parse_id(raw) is not None else None
        if round_ is None:
            messages.error(request, _("请选择批次"))
            return redirect("documents:batches")
        try:
            job = services.batch_start(round=round_, actor=request.user)
        except WorkflowError as exc:
            for error in exc.errors:
                messages.error(request, error)
            return redirect("documents:batches")
        return redirect("documents:batch", pk=job.pk)
    rounds = []
    if can_start:
        # Each round with what its batch would hold: approval notices or certificates.
        for round_ in Round.objects.order_by("-year", "kind", "pk"):
            plan = services.BATCH_PLANS[services.batch_kind_of(round_)]
            rounds.append((round_, plan, plan.items(request.user, round_.pk).count()))
    context = {"batches": list(selectors.batches_for(user=request.user)[:50]), "rounds": rounds, "can_start": can_start}
    return render(request, "documents/batch_list.html", context)


@require_GET
@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.batch_get(pk, user=request.user)
    if job is None:
        raise Http404
    refresh = 2
    response = render(request, "documents/batch_detail.html", {"job": job, "refresh_seconds": refresh})
    if job.running:
        response["Refresh"] = str(refresh)  # the page (and its meta tag) reload until the ZIP is ready
    return response


@require_GET
@login_required
def batch_download(request: HttpRequest, pk: int) -> FileResponse:
    job = selectors.batch_get(pk, user=request.user)
    if job is None:
        raise Http404
    try:
        services.ensure_batch_ready(job)
    except WorkflowError as exc:
        raise Http404 from exc
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=services.batch_download_name(job),
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response
