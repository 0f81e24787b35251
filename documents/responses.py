"""HTTP responses for downloads, shared by the pages and the API: every one of them reads its
records through the selectors first (out of scope: 404, as if the record did not exist)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from applications.models import Application
from nominations.models import Nomination
from workflows.registry import record_type_of

from . import exports, services
from .services import RenderedDocument

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def file_response(content: bytes, *, filename: str, content_type: str, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Content-Length"] = str(len(content))
    # Private documents: not to be kept by shared caches or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_response(rendered: RenderedDocument, *, inline: bool = False) -> HttpResponse:
    response = file_response(
        rendered.content, filename=rendered.filename, content_type="application/pdf", inline=inline
    )
    response["X-Document-Code"] = rendered.document.code
    return response


def visible_application(pk: Any, user: Any) -> Any:
    application = record_type_of(Application).get(pk, user)
    if application is None:
        raise Http404
    return application


def application_form(pk: Any, user: Any, *, revision: Any = None) -> HttpResponse:
    application = visible_application(pk, user)
    return pdf_response(services.application_form_document(application, actor=user, revision_number=revision))


def approval_notice(pk: Any, user: Any) -> HttpResponse:
    application = visible_application(pk, user)
    return pdf_response(services.approval_notice_document(application, actor=user))


def audit_history(pk: Any, user: Any) -> HttpResponse:
    application = visible_application(pk, user)
    return pdf_response(services.audit_history_document(application, actor=user))


def visible_nomination(pk: Any, user: Any) -> Any:
    nomination = record_type_of(Nomination).get(pk, user)
    if nomination is None:
        raise Http404
    return nomination


def nomination_form(pk: Any, user: Any, *, revision: Any = None) -> HttpResponse:
    nomination = visible_nomination(pk, user)
    return pdf_response(services.nomination_form_document(nomination, actor=user, revision_number=revision))


def certificate(pk: Any, user: Any) -> HttpResponse:
    nomination = visible_nomination(pk, user)
    return pdf_response(services.certificate_document(nomination, actor=user))


def nomination_history(pk: Any, user: Any) -> HttpResponse:
    nomination = visible_nomination(pk, user)
    return pdf_response(services.audit_history_document(nomination, actor=user))


def _round(round_id: Any, kind: str) -> Any:
    from workflows.models import Round

    round_ = Round.objects.filter(pk=round_id, kind=kind).first() if str(round_id).isdigit() else None
    if round_ is None:
        raise Http404
    return round_


def winners_list(round_id: Any, user: Any) -> HttpResponse:
    """The list of winners is public once announced, like the winners page."""
    round_ = _round(round_id, "selection")
    return pdf_response(services.winners_list_document(round=round_, actor=user))


def result_list(round_id: Any, user: Any) -> HttpResponse:
    round_ = _round(round_id, "application")
    return pdf_response(services.result_list_document(round=round_, actor=user))


def notice_list(pk: Any, user: Any) -> HttpResponse:
    from notices import selectors as notice_selectors

    notice = notice_selectors.get_public_notice(pk)
    if notice is None:
        raise Http404
    return pdf_response(services.notice_list_document(notice=notice, actor=user))


def applications_export(params: Any, user: Any, *, fmt: str) -> HttpResponse:
    """The applications the user may see, filtered as the list is (``state``, ``round``,
    ``subproject``, ``province``, ``q``, ``ordering``), as .xlsx or .csv."""
    applications = record_type_of(Application).listing(user, params)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        content = exports.xlsx(
            applications.iterator(chunk_size=500), columns=exports.APPLICATION_COLUMNS, title="申报列表"
        )
        return file_response(content, filename=f"申报列表-{stamp}.xlsx", content_type=XLSX)
    if fmt == "csv":
        content = exports.csv_bytes(applications.iterator(chunk_size=500), columns=exports.APPLICATION_COLUMNS)
        return file_response(content, filename=f"申报列表-{stamp}.csv", content_type=CSV)
    raise Http404


def nominations_export(params: Any, user: Any, *, fmt: str) -> HttpResponse:
    """The nominations the user may see, filtered as the list is (``state``, ``round``,
    ``category``, ``q``, ``ordering``), as .xlsx or .csv."""
    nominations = record_type_of(Nomination).listing(user, params)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    columns = exports.NOMINATION_COLUMNS
    if fmt == "xlsx":
        content = exports.xlsx(nominations.iterator(chunk_size=500), columns=columns, title="推荐列表")
        return file_response(content, filename=f"推荐列表-{stamp}.xlsx", content_type=XLSX)
    if fmt == "csv":
        content = exports.csv_bytes(nominations.iterator(chunk_size=500), columns=columns)
        return file_response(content, filename=f"推荐列表-{stamp}.csv", content_type=CSV)
    raise Http404
