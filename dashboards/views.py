"""The dashboard (工作台): one page whose sections follow the user's roles — the applicant's
own records with their next step and deadline, the reviewers' queues and overdue tasks, and
for CAST staff and the auditor a round in figures with charts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from common.money import wan
from notifications.models import Channel, Notification
from workflows.selectors import my_assignments, with_records

from . import selectors
from .charts import Bar, bar_chart


def _charts(figures: selectors.RoundFigures) -> list[dict[str, Any]]:
    def counts(items: list[selectors.Figure]) -> list[Bar]:
        return [Bar(f.label, f.count, str(f.count), f.key) for f in items]

    charts = [
        {"id": "by-state", "title": _("当前状态分布"), "bars": counts(figures.by_state)},
        {"id": "reached", "title": _("漏斗：曾到达各状态的记录数"), "bars": counts(figures.reached)},
        {"id": "by-group", "title": figures.group_title, "bars": counts(figures.by_group)},
        {"id": "by-region", "title": figures.region_title, "bars": counts(figures.by_region)},
    ]
    if figures.requested is not None:
        money = []
        for f in figures.by_group:
            money.append(Bar(_("%(g)s · 申请") % {"g": f.label}, f.requested or 0, wan(f.requested or 0), f.key))
            money.append(Bar(_("%(g)s · 拟资助") % {"g": f.label}, f.proposed or 0, wan(f.proposed or 0), f.key))
        charts.append({"id": "funding", "title": _("申请金额与拟资助金额（万元）"), "bars": money})
    for chart in charts:
        chart["svg"] = bar_chart(chart["bars"], title=chart["title"], chart_id=f"chart-{chart['id']}")
    return charts


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    unread = Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).count()
    overdue_count, overdue = selectors.overdue_assignments(user=user)
    context: dict[str, Any] = {
        "unread": unread,
        "tasks": with_records(list(my_assignments(user=user)[:20])),
        "my_records": selectors.my_records(user=user),
        "queues": selectors.queues(user=user),
        "overdue_count": overdue_count,
        "overdue": with_records(overdue),
    }
    if selectors.can_see_round_figures(user):
        requested = request.GET.get("round")
        figures = selectors.round_figures(user=user, round_id=requested) if requested else None
        if figures is None:
            default = selectors.default_round(user=user)
            figures = selectors.round_figures(user=user, round_id=default.pk) if default else None
        context.update(
            rounds=list(selectors.figure_rounds(user=user)),
            figures=figures,
            charts=_charts(figures) if figures else [],
            money=(
                {"requested": wan(figures.requested), "proposed": wan(figures.proposed)}
                if figures and figures.requested is not None
                else None
            ),
        )
    return render(request, "dashboards/home.html", context)
