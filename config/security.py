"""Site-wide protections that belong to no app: the Content-Security-Policy header and the
login lockout (django-axes) — its authentication backend and the answer a locked-out client gets.

Why a middleware of our own rather than django-csp: the site needs one fixed policy and one
exception for a third-party view (the Swagger UI of drf-spectacular, whose template carries an
inline script and style). An exception keyed by URL name lives in the settings, so neither that
view nor ``config/urls.py`` has to be decorated; it is some forty lines without a dependency,
and its setting ``SECURE_CSP`` has the shape of Django 6.0's built-in one, whose
``ContentSecurityPolicyMiddleware`` can replace this class on that upgrade.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

# -- Content-Security-Policy -------------------------------------------------------------------

INLINE_BLOCK = {
    "script-src": re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I),
    "style-src": re.compile(rb"<style[^>]*>(.*?)</style>", re.S | re.I),
}


def build_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *values]) for name, values in directives.items() if values is not None)


def inline_hashes(content: bytes, directive: str) -> list[str]:
    """CSP source expressions for the inline blocks of ``content`` that ``directive`` governs."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(block).digest()).decode()}'"
        for block in INLINE_BLOCK[directive].findall(content)
    ]


class ContentSecurityPolicyMiddleware:
    """Send ``settings.SECURE_CSP`` as the Content-Security-Policy of every response.

    ``settings.SECURE_CSP_INLINE_VIEWS`` names the views (by URL name) whose own template has
    inline ``<script>``/``<style>`` blocks: their policy additionally allows exactly those
    blocks, by their SHA-256 — never ``'unsafe-inline'``, so inline event handlers and
    ``javascript:`` URLs stay refused there too.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        directives = getattr(settings, "SECURE_CSP", None)
        if not directives or "Content-Security-Policy" in response:
            return response
        match = getattr(request, "resolver_match", None)
        inline_views = getattr(settings, "SECURE_CSP_INLINE_VIEWS", ())
        if match is not None and match.view_name in inline_views and not response.streaming:
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            directives = {name: list(values) for name, values in directives.items()}
            for name in INLINE_BLOCK:
                directives[name] = [*directives.get(name, ["'self'"]), *inline_hashes(response.content, name)]
        response["Content-Security-Policy"] = build_policy(directives)
        return response


# -- Login lockout (django-axes) ---------------------------------------------------------------


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
