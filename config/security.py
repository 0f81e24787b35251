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
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
