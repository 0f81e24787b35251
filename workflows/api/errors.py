"""JSON errors in the request's language: ``{"detail": "...", "errors": ["..."]}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workflows.exceptions import WorkflowError


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            label = "" if key in ("non_field_errors", "detail") else f"{key}: "
            out.extend(_flatten(value, prefix + label))
        return out
    if isinstance(detail, list):
        out = []
        for item in detail:
            out.extend(_flatten(item, prefix))
        return out
    return [f"{prefix}{detail}"]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, WorkflowError):
        response = Response(
            {"detail": exc.errors[0] if exc.errors else "", "errors": exc.errors},
            status=exc.status_code,
        )
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    contention = _contention(exc)
    if contention is not None:
        return exception_handler(contention, context)
    if isinstance(exc, DjangoValidationError):
        messages = exc.messages
        return Response({"detail": messages[0], "errors": messages}, status=400)
    if isinstance(exc, exceptions.ParseError):
        # DRF words this one in English only; say it in the request's language.
        exc = exceptions.ParseError(_("请求内容不是有效的 JSON"))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("记录不存在或您无权查看"))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(_("您没有执行该操作的权限"))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.NotFound) and str(exc.detail) == str(exceptions.NotFound.default_detail):
        response.data = {"detail": _("记录不存在或您无权查看")}
    errors = _flatten(response.data)
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    response.data = {"detail": str(detail) if detail else (errors[0] if errors else ""), "errors": errors}
    if isinstance(exc, exceptions.ValidationError):
        response.status_code = status.HTTP_400_BAD_REQUEST
    return response


def _contention(exc: Exception) -> WorkflowError | None:
    """A lock given up on outside any service (which would have answered it itself): 409 or
    503, never a 500."""
    from django.db import IntegrityError, OperationalError

    from workflows.exceptions import Busy, Contention
    from workflows.locks import contention_kind

    if not isinstance(exc, (OperationalError, IntegrityError)):
        return None
    kind = contention_kind(exc)
    if kind is None:
        return None
    return Busy() if kind == "busy" else Contention()
