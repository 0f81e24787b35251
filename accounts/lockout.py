"""Login lockout (django-axes): the backend that refuses a locked-out (username, address) and
the 429 answer, JSON under /api/ and the login page elsewhere, in the request's language."""

from __future__ import annotations

import math
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _


class LockoutBackend(AxesStandaloneBackend):
    """Axes' backend, first in AUTHENTICATION_BACKENDS: refuses a locked-out (username,
    address) before the password is checked.

    A call without a request (a management command, the shell, a test's ``authenticate()``)
    has no client address to count against; axes would raise, so it is left to the next
    backend. Every login over HTTP passes its request: the login page (Django's
    AuthenticationForm) and the API token (workflows.api.views.TokenView).
    """

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def cool_off_minutes_left(request: HttpRequest, credentials: dict | None) -> int:
    """Whole minutes until the (username, address) may try again."""
    from axes.helpers import get_client_username, get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off(request)
    if cool_off is None:
        return 0
    last = (
        AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=getattr(request, "axes_ip_address", None),
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    left = cool_off if last is None else last + cool_off - timezone.now()
    return max(1, math.ceil(left.total_seconds() / 60))


def lockout_message(minutes: int) -> str:
    return _("登录失败次数过多，该账号在此地址已被暂时锁定，请 %(minutes)s 分钟后再试。") % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """settings.AXES_LOCKOUT_CALLABLE: 429 with the message in the request's language — JSON
    in the API's error shape under /api/, otherwise the login page again, showing it."""
    from django.contrib.auth.forms import AuthenticationForm
    from django.shortcuts import render

    minutes = cool_off_minutes_left(request, credentials)
    message = lockout_message(minutes)
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message, "errors": [message]}, status=429)
    else:
        username = (credentials or {}).get("username") or request.POST.get("username", "")
        form = AuthenticationForm(request, initial={"username": username})
        context = {"form": form, "lockout_message": message, "next": request.POST.get("next", "")}
        response = render(request, "accounts/login.html", context, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
