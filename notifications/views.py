"""The inbox page and the e-mail preferences page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflows.exceptions import WorkflowError

from . import rules, services
from .models import Channel, Notification, Preference


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(recipient=request.user, channel=Channel.IN_APP).order_by("-created_at", "-pk")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    unread = qs.filter(read_at__isnull=True).count()
    return render(request, "notifications/inbox.html", {"page": page, "unread": unread})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.inbox_mark_read(user=request.user, notification_id=pk)
    target = Notification.objects.filter(pk=pk, recipient=request.user).values_list("context", flat=True).first()
    if target and request.POST.get("open") and str(target.get("url", "")).startswith("http"):
        from urllib.parse import urlsplit

        return redirect(urlsplit(target["url"]).path)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.inbox_mark_all_read(user=request.user)
    messages.success(request, _("已将 %(n)s 条通知标为已读") % {"n": count})
    return redirect("notifications:inbox")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    pref = Preference.objects.filter(user=request.user).first()
    if request.method == "POST":
        try:
            services.preference_update(
                user=request.user,
                email_muted=[k for k in rules.EVENT_KINDS if request.POST.get(f"email_{k}") != "on"],
                daily_digest=request.POST.get("daily_digest") == "on",
            )
        except WorkflowError as exc:
            for error in exc.errors:
                messages.error(request, error)
        else:
            messages.success(request, _("通知偏好已保存"))
        return redirect("notifications:preferences")
    muted = set(pref.email_muted) if pref else set()
    kinds = [(key, label, key not in muted) for key, label in rules.EVENT_KINDS.items()]
    return render(
        request,
        "notifications/preferences.html",
        {"kinds": kinds, "daily_digest": bool(pref and pref.daily_digest)},
    )
