"""The interface language: Chinese first, English when chosen.

Pages answer in the language the user chose with the switch in the header (its cookie),
else the language saved in the user's profile, else Chinese — a browser that merely sends
``Accept-Language: en`` does not turn a Chinese-first site into English. The API follows
``Accept-Language`` as docs/api.md promises (``zh-hans`` by default, ``en``).
"""

from __future__ import annotations

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
