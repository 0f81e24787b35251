"""The 补正期限 (revision deadline) of a return for revision.

Whoever returns a record (the recommending unit's reviewer, or CAST staff at formal review)
gives the applicant until a date to correct and resubmit it: ``revision_due`` in the return's
data, by default 5 working days of the official calendar after the day of the return (the day
of the return itself is not counted, as for any period counted in days). Until the end of that
day the applicant may resubmit — whether or not the submission window is still open, since
units and CAST review after it closes by design. Afterwards only the returner acts: it extends
the deadline (also before it lapses) or declines the record.

The conditions and bodies below are used by the flows' ``spec`` declarations
(workflows/flows.py, applications/flows.py); the dates are local dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .calendar import official_calendar

DEFAULT_WORKING_DAYS = 5
# The latest deadline a returner may give, in calendar days from today: a return is a request
# to correct a form, not a new application period.
MAX_DAYS = 60


def today_of(ctx: Any) -> dt.date:
    return timezone.localdate(ctx.now) if ctx is not None else timezone.localdate()


def default_due(start_after: dt.date) -> dt.date:
    """The 5th working day after ``start_after`` (which is not counted)."""
    return official_calendar().add_working_days(start_after + dt.timedelta(days=1), DEFAULT_WORKING_DAYS)


def parse_due(raw: Any, *, today: dt.date, current: dt.date | None = None) -> tuple[dt.date | None, list[str]]:
    """(the deadline asked for, every problem with it). Empty: the default — 5 working days
    after today, or for an extension after the later of today and the ``current`` deadline."""
    if raw in (None, ""):
        base = max(today, current) if current is not None else today
        return default_due(base), []
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        due = raw
    else:
        try:
            due = dt.date.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            due = None
        if due is None:
            return None, [_("补正期限“%(value)s”不是有效日期，格式应为 YYYY-MM-DD") % {"value": raw}]
    problems = []
    latest = today + dt.timedelta(days=MAX_DAYS)
    if due < today:
        problems.append(_("补正期限不得早于今天（%(today)s）") % {"today": today.isoformat()})
    elif due > latest:
        problems.append(
            _("补正期限不得晚于 %(latest)s（自今天起 %(n)s 天内）") % {"latest": latest.isoformat(), "n": MAX_DAYS}
        )
    if not official_calendar().is_working_day(due):
        problems.append(_("补正期限 %(due)s 不是工作日，请选择工作日") % {"due": due.isoformat()})
    if current is not None and due <= current:
        problems.append(_("延长后的补正期限须晚于原期限 %(current)s") % {"current": current.isoformat()})
    return due, problems


def lapsed(record: Any, today: dt.date | None = None) -> bool:
    """Whether the record's 补正期限 has passed (it runs to the end of its day)."""
    today = today or timezone.localdate()
    return record.revision_due is not None and today > record.revision_due


def days_left(record: Any, today: dt.date | None = None) -> int | None:
    """Calendar days until the deadline (0: today is the last day; negative: lapsed)."""
    if record.revision_due is None:
        return None
    return (record.revision_due - (today or timezone.localdate())).days


def open_return_of(record: Any, today: dt.date | None = None) -> dict[str, Any] | None:
    """The record's open return as pages and the API show it, or None when it is not returned."""
    if record.state != getattr(record.flow_class.States, "RETURNED", None) or record.revision_due is None:
        return None
    left = days_left(record, today)
    return {
        "due": record.revision_due,
        "days_left": left,
        "lapsed": left is not None and left < 0,
        "days_overdue": -left if left is not None and left < 0 else 0,
        "returned_by_stage": record.returned_by_stage,
        "returned_by_label": record.get_returned_by_stage_display(),
        "opinion": record.return_opinion,
    }


def proposed_due(flow: Any, transition: Any, record: Any) -> dt.date | None:
    """The default 补正期限 a return or an extension proposes (None for other transitions)."""
    inputs = flow.inputs_of(transition)
    today = timezone.localdate()
    if due_valid in inputs:
        return default_due(today)
    if extension_valid in inputs:
        return parse_due(None, today=today, current=record.revision_due)[0]
    return None


# -- conditions (state) and input checks -------------------------------------------------------


def due_valid(flow: Any, ctx: Any) -> Iterable[str]:
    """The 补正期限 sent with a return is a working day from today to 60 days ahead."""
    return parse_due((ctx.data or {}).get("revision_due"), today=today_of(ctx))[1]


def extension_valid(flow: Any, ctx: Any) -> Iterable[str]:
    """The new 补正期限 is a working day later than the current one, from today to 60 days ahead."""
    return parse_due((ctx.data or {}).get("revision_due"), today=today_of(ctx), current=flow.record.revision_due)[1]


def not_lapsed(flow: Any, ctx: Any) -> Iterable[str]:
    """The 补正期限 has not passed (and the round is not closed): the applicant may resubmit."""
    record = flow.record
    closed = record.round.closed_at
    if closed is not None and ctx.now >= closed:
        yield _("本批次已于 %(when)s 关闭") % {"when": timezone.localtime(closed).strftime("%Y-%m-%d %H:%M")}
    if lapsed(record, today_of(ctx)):
        yield _("补正期限已于 %(due)s 届满，不能再提交；如需延期，请联系%(returner)s") % {
            "due": record.revision_due.isoformat(),
            "returner": _("中国科协") if record.returned_by_stage == "cast" else _("推荐单位"),
        }


def has_lapsed(flow: Any, ctx: Any) -> Iterable[str]:
    """The 补正期限 has passed: only then may the returner decline the record."""
    record = flow.record
    if record.revision_due is None:
        yield _("该记录没有补正期限")
    elif not lapsed(record, today_of(ctx)):
        yield _("补正期限 %(due)s 尚未届满，届满后方可作出决定") % {"due": record.revision_due.isoformat()}


# -- transition bodies -------------------------------------------------------------------------


def open_return(flow: Any, ctx: Any, stage: str) -> None:
    """A return: its deadline, returner and opinion on the record and in the audit event."""
    record = flow.record
    due, _problems = parse_due((ctx.data or {}).get("revision_due"), today=today_of(ctx))
    record.revision_due = due
    record.returned_by_stage = stage
    record.return_opinion = ctx.opinion
    ctx.audit_data["revision_due"] = due.isoformat()
    ctx.audit_data["returned_by_stage"] = stage


def extend(flow: Any, ctx: Any) -> None:
    """An extension: the new deadline (the reason is the event's opinion)."""
    record = flow.record
    previous = record.revision_due
    due, _problems = parse_due((ctx.data or {}).get("revision_due"), today=today_of(ctx), current=previous)
    record.revision_due = due
    ctx.audit_data["previous_due"] = previous.isoformat() if previous else None
    ctx.audit_data["revision_due"] = due.isoformat()
    ctx.audit_data["returned_by_stage"] = record.returned_by_stage


def close_return(flow: Any, ctx: Any) -> None:
    """A resubmission (or a decision after the deadline) ends the return."""
    record = flow.record
    if record.revision_due is not None:
        ctx.audit_data["closed_due"] = record.revision_due.isoformat()
    record.revision_due = None
    record.returned_by_stage = ""
    record.return_opinion = ""


def backfill(apps: Any, app_label: str, model_name: str) -> None:
    """Data migration: records already returned when the 补正期限 came get one — 5 working days
    after the migration's day (by the package calendar: CAST's entries are not read in a
    migration) — with their returner and opinion from their last return's audit event."""
    from .calendar import _package, add_working_days

    model = apps.get_model(app_label, model_name)
    events = apps.get_model("workflows", "AuditEvent")
    holidays, workdays, _years = _package()
    today = timezone.localdate()
    due = add_working_days(today + dt.timedelta(days=1), DEFAULT_WORKING_DAYS, holidays, extra_workdays=workdays)
    stage_of = {"return_for_revision": "recommender", "return_from_formal_review": "cast"}
    record_type = f"{app_label}.{model_name}".lower()
    for record in model.objects.filter(state="returned", revision_due__isnull=True):
        last = (
            events.objects.filter(record_type=record_type, record_id=record.pk, action__in=list(stage_of))
            .order_by("-pk")
            .first()
        )
        model.objects.filter(pk=record.pk).update(
            revision_due=due,
            returned_by_stage=stage_of[last.action] if last else "recommender",
            return_opinion=last.opinion if last else "",
        )
