"""The language switch in the header."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from .services import user_language_set


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie and the redirect back), and for a signed-in user the
    choice kept in the profile, so that e-mails and the next session follow it."""
    response = set_language(request)
    if request.user.is_authenticated:
        user_language_set(request.user, request.POST.get("language", ""))
    return response
