"""What pages and the API read from a request, the same way everywhere."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme

# The largest id a database integer column holds (PostgreSQL bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1


def parse_id(value: Any) -> int | None:
    """An id sent in a request (a query parameter, a form or JSON field): ASCII digits that fit
    a database integer, else None. ``str.isdigit`` alone is not enough: "²" is a digit to it
    but no int, and a 20-digit number overflows the query."""
    text = "" if value is None else str(value)
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def client_ip(request: Any) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the hop of
    X-Forwarded-For that the outermost trusted proxy saw (earlier hops can be forged)."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if proxies > 0 and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def safe_next(request: Any, default: str) -> str:
    """The ``next`` the form or query names, if it stays on this site; else ``default``."""
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
