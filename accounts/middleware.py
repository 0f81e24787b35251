"""The interface language, and the second factor some roles owe before any page.

The language: Chinese first, English when chosen.

Pages answer in the language the user chose with the switch in the header (its cookie),
else the language saved in the user's profile, else Chinese — a browser that merely sends
``Accept-Language: en`` does not turn a Chinese-first site into English. The API follows
``Accept-Language`` as docs/api.md promises (``zh-hans`` by default, ``en``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def chosen_language(request: HttpRequest) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in supported:
        return cookie
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and getattr(user, "language", None) in supported:
        return user.language
    return settings.LANGUAGE_CODE


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware with the page rule above. Placed after the authentication
    middleware, so that the profile's language is known."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith("/api/"):
            super().process_request(request)
            return
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()


# The pages a user who still owes a second factor may open: enrolling, verifying, signing out,
# the language switch; and the API token, which checks the code itself.
SECOND_FACTOR_OPEN = frozenset({"otp-enrol", "otp-codes", "otp-verify", "logout", "set_language", "api-token"})


class SecondFactorMiddleware:
    """A signed-in user of a role in ``settings.OTP_REQUIRED_ROLES`` whose session has not
    verified a second factor (django-otp's ``request.user.is_verified()``) sees no page but
    those of ``SECOND_FACTOR_OPEN``: a page sends them to enrol an authenticator (none yet) or
    to verify (one confirmed), back to the page after; the session-authenticated API answers 403.
    A token-authenticated API call is no session: the token was given only with a code
    (workflows.api.views.TokenView)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode
        from django.utils.translation import gettext as _

        from .second_factor import has_second_factor, second_factor_required

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in SECOND_FACTOR_OPEN and not match.namespace:
            return None
        if not second_factor_required(user):
            return None
        is_verified = getattr(user, "is_verified", None)
        if is_verified is not None and is_verified():
            return None
        if request.path_info.startswith("/api/"):
            message = _("该账号须先完成两步验证")
            return JsonResponse({"detail": message, "errors": [message]}, status=403)
        target = "otp-verify" if has_second_factor(user) else "otp-enrol"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
