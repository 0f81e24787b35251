"""Pages of the rules area (``/manage/rules/…``, namespace ``administration``): the sensitive
terms (list and search, add, change, switch off and on, import a CSV), CAST's calendar, and the
log of rule changes for the auditor.

CAST staff and the auditor read; only CAST staff change (the pages that exist only to change
something answer 404 to the auditor too); anyone else gets 404, the anonymous the login page.
HTTP only: reads through the selectors, writes through the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from administration.audit import ACTION_LABELS, SUBJECTS
from common.http import client_ip, parse_id
from workflows import calendar
from workflows.exceptions import WorkflowError
from workflows.models import CalendarDayKind, Severity

from . import selectors, services
from .forms import CALENDAR_YEARS, FILTER_FIELDS, RuleChangeFilter

TERM_FIELDS = ("term", "category", "severity", "exceptions", "reason")
CALENDAR_FIELDS = ("date", "kind", "note", "reason")
PAGE_SIZE = 50


def _readers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and CAST staff or the auditor; else 404."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.reads_rules(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


def _keepers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and CAST staff; else 404."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.keeps_rules(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


def _posted(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in names}


# -- sensitive terms -------------------------------------------------------------------------


@_readers
@require_GET
def terms(request: HttpRequest) -> HttpResponse:
    """The terms: search word and category, filter by severity, state and category."""
    filters = {name: request.GET.get(name, "").strip() for name in ("q", "severity", "active", "category")}
    qs = selectors.terms_for(user=request.user, **filters)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "administration/rules/terms.html",
        {
            "terms": list(page_obj.object_list),
            "page_obj": page_obj,
            "filters": filters,
            "severities": Severity.choices,
            "categories": selectors.term_categories(user=request.user),
            "can_keep": selectors.keeps_rules(request.user),
        },
    )


@_keepers
@require_http_methods(["GET", "POST"])
def term_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "administration/rules/term_form.html", {"values": {"severity": "review"}})
    values = _posted(request, TERM_FIELDS)
    try:
        term = services.sensitive_term_create(actor=request.user, data=values, client_ip=client_ip(request))
    except WorkflowError as exc:
        context = {"values": values, "errors": exc.errors}
        return render(request, "administration/rules/term_form.html", context, status=exc.status_code)
    messages.success(request, _("已添加敏感词“%(term)s”") % {"term": term.term})
    return redirect("administration:rules-terms")


def _term_or_404(pk: Any, user: Any) -> Any:
    term = selectors.term_get(pk, user=user)
    if term is None:
        raise Http404
    return term


@_keepers
@require_http_methods(["GET", "POST"])
def term_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a term (with a reason); switch it off or on from here too."""
    term = _term_or_404(pk, request.user)
    if request.method == "GET":
        values = {
            "term": term.term,
            "category": term.category,
            "severity": term.severity,
            "exceptions": "\n".join(term.exceptions),
        }
        return render(request, "administration/rules/term_form.html", {"term": term, "values": values})
    values = _posted(request, TERM_FIELDS)
    try:
        services.sensitive_term_change(term=term, actor=request.user, data=values, client_ip=client_ip(request))
    except WorkflowError as exc:
        context = {"term": term, "values": values, "errors": exc.errors}
        return render(request, "administration/rules/term_form.html", context, status=exc.status_code)
    messages.success(request, _("敏感词已修改"))
    return redirect("administration:rules-terms")


def _switch(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    term = _term_or_404(pk, request.user)
    service = services.sensitive_term_enable if active else services.sensitive_term_disable
    try:
        service(term=term, actor=request.user, reason=request.POST.get("reason", ""), client_ip=client_ip(request))
    except WorkflowError as exc:
        values = {
            "term": term.term,
            "category": term.category,
            "severity": term.severity,
            "exceptions": "\n".join(term.exceptions),
        }
        context = {"term": term, "values": values, "switch_errors": exc.errors}
        return render(request, "administration/rules/term_form.html", context, status=exc.status_code)
    if active:
        messages.success(request, _("已启用敏感词“%(term)s”") % {"term": term.term})
    else:
        messages.success(request, _("已停用敏感词“%(term)s”") % {"term": term.term})
    return redirect("administration:rules-terms")


@_keepers
@require_POST
def term_disable(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch(request, pk, active=False)


@_keepers
@require_POST
def term_enable(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch(request, pk, active=True)


@_keepers
@require_http_methods(["GET", "POST"])
def terms_import(request: HttpRequest) -> HttpResponse:
    """Import a CSV term list, all or nothing."""
    if request.method == "GET":
        return render(request, "administration/rules/terms_import.html", {"values": {}})
    values = _posted(request, ("deactivate_missing", "reason"))
    data = {**values, "file": request.FILES.get("file")}
    try:
        outcome = services.sensitive_terms_import(actor=request.user, data=data, client_ip=client_ip(request))
    except WorkflowError as exc:
        context = {"values": values, "errors": exc.errors}
        return render(request, "administration/rules/terms_import.html", context, status=exc.status_code)
    messages.success(
        request,
        _("导入完成：新增 %(created)s 个，更新 %(updated)s 个，未变 %(unchanged)s 个，停用 %(disabled)s 个")
        % {
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "disabled": outcome.disabled,
        },
    )
    return redirect("administration:rules-terms")


# -- the calendar ----------------------------------------------------------------------------


def _calendar_context(request: HttpRequest, values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    today = timezone.localdate()
    years = selectors.calendar_years(user=request.user, today=today)
    chosen = parse_id(request.GET.get("year", "")) or parse_id(values.get("date", "")[:4]) or today.year
    if chosen not in CALENDAR_YEARS:
        chosen = today.year
    year = next((y for y in years if y.year == chosen), None) or selectors.CalendarYear(
        chosen, calendar.package_covers(chosen)
    )
    holidays, workdays = calendar.package_days(chosen)
    return {
        "years": years,
        "year": year,
        "package_holidays": holidays,
        "package_workdays": workdays,
        "package_years": calendar.package_years(),
        "kinds": CalendarDayKind.choices,
        "can_keep": selectors.keeps_rules(request.user),
        "values": values,
        "errors": errors,
    }


@_readers
@require_http_methods(["GET", "POST"])
def calendar_page(request: HttpRequest) -> HttpResponse:
    """Per year: whether the package covers it and CAST's entries; CAST staff add an entry
    (``action=add``) or remove one (``action=remove``, ``entry``, ``reason``) here."""
    if request.method == "GET":
        return render(request, "administration/rules/calendar.html", _calendar_context(request, {}, []))
    action = request.POST.get("action", "")
    values = _posted(request, CALENDAR_FIELDS)
    try:
        if action == "remove":
            entry = selectors.calendar_entry_get(request.POST.get("entry"), user=request.user)
            if entry is None:
                raise Http404
            day = entry.date
            services.calendar_day_remove(
                entry=entry, actor=request.user, reason=request.POST.get("reason", ""), client_ip=client_ip(request)
            )
            messages.success(request, _("已删除 %(date)s 的日历调整") % {"date": day.isoformat()})
            values = {}
        else:
            entry = services.calendar_day_add(actor=request.user, data=values, client_ip=client_ip(request))
            day = entry.date
            messages.success(request, _("已添加 %(date)s 的日历调整") % {"date": day.isoformat()})
    except WorkflowError as exc:
        context = _calendar_context(request, values if action != "remove" else {}, exc.errors)
        return render(request, "administration/rules/calendar.html", context, status=exc.status_code)
    return redirect(reverse("administration:rules-calendar") + f"?year={day.year}")


# -- the log of rule changes -----------------------------------------------------------------


@_readers
@require_GET
def rule_log(request: HttpRequest) -> HttpResponse:
    """Every rule change, newest first, with what it changed and why; filtered by subject
    type, action, actor and days."""
    raw = {name: request.GET.get(name, "").strip() for name in FILTER_FIELDS}
    form = RuleChangeFilter({k: v for k, v in raw.items() if v})
    errors = form.problems()
    qs = selectors.rule_changes_for(user=request.user, filters=form.cleaned_data) if not errors else None
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")) if qs is not None else None
    return render(
        request,
        "administration/rules/log.html",
        {
            "rows": selectors.describe(list(page_obj.object_list)) if page_obj else [],
            "page_obj": page_obj,
            "filters": raw,
            "errors": errors,
            "subjects": [(key, str(label)) for key, label in SUBJECTS.items()],
            "actions": [(key, str(label)) for key, label in ACTION_LABELS.items()],
            "actors": selectors.rule_change_actors(user=request.user),
        },
        status=400 if errors else 200,
    )
