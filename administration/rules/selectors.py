"""Every read of the rules area, scoped to the user asking.

CAST staff keep the rules; the auditor reads them and the log of their changes; anyone else
sees nothing (the pages answer 404, as if nothing existed).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts import permissions as perms
from accounts.models import User
from administration.audit import ACTION_LABELS, SUBJECTS, rule_changes
from workflows import calendar
from workflows.models import AuditEvent, CalendarDay, SensitiveTerm, Severity


def keeps_rules(user: Any) -> bool:
    """Who changes the terms and the calendar: CAST staff."""
    return perms.is_cast_staff(user)


def reads_rules(user: Any) -> bool:
    """Who reads the terms, the calendar and the log of rule changes: CAST staff, the auditor."""
    return perms.is_cast_staff(user) or perms.is_auditor(user)


# -- sensitive terms -------------------------------------------------------------------------


def terms_for(
    *, user: Any, q: str = "", severity: str = "", active: str = "", category: str = ""
) -> QuerySet[SensitiveTerm]:
    """The terms, by word; ``q`` searches word and category; ``active`` is "1" or "0"."""
    if not reads_rules(user):
        return SensitiveTerm.objects.none()
    qs = SensitiveTerm.objects.order_by("term", "pk")
    if q:
        qs = qs.filter(Q(term__icontains=q) | Q(category__icontains=q))
    if severity in Severity.values:
        qs = qs.filter(severity=severity)
    if active in ("1", "0"):
        qs = qs.filter(active=active == "1")
    if category:
        qs = qs.filter(category=category)
    return qs


def term_get(pk: Any, *, user: Any) -> SensitiveTerm | None:
    """A term for the one who may change it (CAST staff)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not keeps_rules(user):
        return None
    return SensitiveTerm.objects.filter(pk=pk).first()


def term_categories(*, user: Any) -> list[str]:
    if not reads_rules(user):
        return []
    return list(SensitiveTerm.objects.order_by("category").values_list("category", flat=True).distinct())


# -- the calendar ----------------------------------------------------------------------------


@dataclass
class CalendarYear:
    year: int
    covered: bool  # by the chinese-calendar package
    entries: list[CalendarDay] = field(default_factory=list)

    @property
    def known(self) -> bool:
        """Its holidays are known: the package covers it or CAST entered some."""
        return self.covered or bool(self.entries)


def calendar_years(*, user: Any, today: dt.date) -> list[CalendarYear]:
    """Last year to two years ahead, and every year with an entry of CAST's, each with
    whether the package covers it and CAST's entries (by date)."""
    if not reads_rules(user):
        return []
    entries: dict[int, list[CalendarDay]] = defaultdict(list)
    for entry in CalendarDay.objects.select_related("created_by").order_by("date"):
        entries[entry.date.year].append(entry)
    years = sorted(set(range(today.year - 1, today.year + 3)) | set(entries))
    return [CalendarYear(year, calendar.package_covers(year), entries.get(year, [])) for year in years]


def calendar_entry_get(pk: Any, *, user: Any) -> CalendarDay | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not reads_rules(user):
        return None
    return CalendarDay.objects.filter(pk=pk).first()


# -- the log of rule changes -----------------------------------------------------------------


def rule_changes_for(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[AuditEvent]:
    """Every rule change (``administration.audit.rule_changes``), newest first, for CAST staff
    and the auditor, narrowed by ``filters`` (``forms.RuleChangeFilter``'s cleaned data:
    subject, action, actor, since, until — local days, both included)."""
    if not reads_rules(user):
        return AuditEvent.objects.none()
    qs = rule_changes().select_related("actor")
    filters = filters or {}
    if filters.get("subject"):
        qs = qs.filter(record_type=filters["subject"])
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("actor") is not None:
        qs = qs.filter(actor_id=filters["actor"])
    if filters.get("since"):
        qs = qs.filter(created_at__date__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(created_at__date__lte=filters["until"])
    return qs


def rule_change_actors(*, user: Any) -> list[User]:
    """Who made rule changes, for the log's filter."""
    if not reads_rules(user):
        return []
    ids = rule_changes().exclude(actor=None).order_by().values("actor_id").distinct()
    return list(User.objects.filter(pk__in=ids).order_by("username"))


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: Any
    after: Any
    # As a person reads them: a choice by its label, yes/no, a list or object as JSON.
    before_display: str | None
    after_display: str | None


@dataclass(frozen=True)
class RuleChange:
    """One rule-change event as the log shows it."""

    event: AuditEvent
    subject_type_label: str
    subject: str
    action_label: str
    changes: list[Change]
    reason: str
    extra: dict[str, Any]

    @property
    def extra_lines(self) -> list[str]:
        return [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in self.extra.items()]


def _model(label: str) -> Any:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field(model: Any, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _display(field: Any, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return _("是") if value else _("否")
    choices = dict(field.flatchoices) if field is not None and getattr(field, "choices", None) else {}
    if isinstance(value, str | int) and value in choices:
        return str(choices[value])
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _subject_name(event: AuditEvent, found: Any) -> str:
    """What the subject is called now, or — gone (a removed calendar entry) — what its event
    said it was."""
    if found is not None:
        return str(found)
    changes = (event.data or {}).get("changes") or {}
    for key in ("term", "date", "title", "name", "username", "code"):
        value = changes.get(key)
        if isinstance(value, dict):
            return str(value.get("before") or value.get("after") or "")
    return f"#{event.record_id}"


def describe(events: list[AuditEvent]) -> list[RuleChange]:
    """The events with their labels, the names of their subjects (one query per subject type)
    and their fields' labels."""
    ids: dict[str, set[int]] = defaultdict(set)
    for event in events:
        ids[event.record_type].add(event.record_id)
    subjects: dict[tuple[str, int], Any] = {}
    for label, pks in ids.items():
        model = _model(label)
        if model is not None:
            for pk, obj in model._default_manager.in_bulk(list(pks)).items():
                subjects[(label, pk)] = obj
    rows = []
    for event in events:
        model = _model(event.record_type)
        data = event.data or {}
        changes = []
        for name, values in (data.get("changes") or {}).items():
            if not isinstance(values, dict):
                continue
            field = _field(model, name)
            before, after = values.get("before"), values.get("after")
            label = str(field.verbose_name) if field is not None else name
            changes.append(Change(name, label, before, after, _display(field, before), _display(field, after)))
        rows.append(
            RuleChange(
                event=event,
                subject_type_label=str(SUBJECTS.get(event.record_type, event.record_type)),
                subject=_subject_name(event, subjects.get((event.record_type, event.record_id))),
                action_label=str(ACTION_LABELS.get(event.action, event.action)),
                changes=changes,
                reason=event.opinion,
                extra={k: v for k, v in data.items() if k != "changes"},
            )
        )
    return rows
