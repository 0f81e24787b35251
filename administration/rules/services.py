"""Writes of the rules area: the sensitive terms (敏感词) and CAST's calendar entries (日历调整).

Every write is CAST staff's, is validated by one input form (``administration.rules.forms``)
and appends a rule-change audit event on the subject's own chain with what changed
(``administration.audit.record_change``): subject ``workflows.sensitiveterm`` or
``workflows.calendarday``. A change of the term list makes the scanner rebuild once it has
committed (``workflows.scanner.invalidate_scanner``), so the next scan sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions as perms
from administration.audit import record_change, snapshot
from workflows.exceptions import InvalidInput, TransitionForbidden
from workflows.locks import contention_kind, retry_on_contention
from workflows.models import CalendarDay, SensitiveTerm
from workflows.scanner import invalidate_scanner

from .forms import CalendarDayInput, ReasonInput, TermImportInput, TermInput, checked

TERM_FIELDS = ("term", "category", "severity", "exceptions", "active")
CALENDAR_FIELDS = ("date", "kind", "note")
BATCH_SIZE = 500


def _require_staff(actor: Any, message: str) -> None:
    if not perms.is_cast_staff(actor):
        raise TransitionForbidden(message)


def _terms_staff(actor: Any) -> None:
    _require_staff(actor, _("只有中国科协工作人员可以维护敏感词"))


def _calendar_staff(actor: Any) -> None:
    _require_staff(actor, _("只有中国科协工作人员可以维护日历"))


def _term_taken(exc: IntegrityError, term: str) -> InvalidInput:
    """A concurrent writer stored the same word first (the unique constraint on ``term``)."""
    if contention_kind(exc) is not None:
        raise exc
    return InvalidInput(_("词语“%(term)s”已存在") % {"term": term})


# -- sensitive terms -------------------------------------------------------------------------


@retry_on_contention
def sensitive_term_create(*, actor: Any, data: dict[str, Any], client_ip: str | None = None) -> SensitiveTerm:
    """A new sensitive term, active at once (CAST staff).

    Side effects, in order:
    1. refuses with TransitionForbidden unless the actor is CAST staff, with InvalidInput
       listing every problem of ``data`` (``TermInput``: the word — required, at most 100
       characters, not only spaces and punctuation, not stored yet, not the same as a stored
       one once normalized —, category, severity, an optional reason);
    2. stores the term;
    3. appends the "created" audit event on the term with every field and the reason;
    4. on commit, makes the scanner rebuild.
    """
    _terms_staff(actor)
    clean = checked(TermInput(data))
    try:
        with transaction.atomic():
            term = SensitiveTerm.objects.create(
                term=clean["term"],
                category=clean["category"],
                severity=clean["severity"],
                exceptions=clean["exceptions"],
                active=True,
            )
            record_change(
                term,
                action="created",
                actor=actor,
                after=snapshot(term, TERM_FIELDS),
                reason=clean["reason"],
                client_ip=client_ip,
            )
            transaction.on_commit(invalidate_scanner)
    except IntegrityError as exc:
        raise _term_taken(exc, clean["term"]) from exc
    return term


@retry_on_contention
def sensitive_term_change(
    *, term: SensitiveTerm, actor: Any, data: dict[str, Any], client_ip: str | None = None
) -> SensitiveTerm:
    """Change a term's word, category or severity, with a reason (CAST staff).

    Side effects, in order:
    1. refuses with TransitionForbidden unless the actor is CAST staff, with InvalidInput
       listing every problem of ``data`` (``TermInput`` with the reason required), and with
       InvalidInput when nothing would change;
    2. locks the term's row and saves the new values;
    3. appends the "changed" audit event on the term: each field that changed, before and
       after, and the reason;
    4. on commit, makes the scanner rebuild.
    """
    _terms_staff(actor)
    form = TermInput(data, instance=term)
    clean = checked(form)
    try:
        with transaction.atomic():
            locked = SensitiveTerm.objects.select_for_update().get(pk=term.pk)
            before = snapshot(locked, TERM_FIELDS)
            locked.term, locked.category, locked.severity = clean["term"], clean["category"], clean["severity"]
            if form.exceptions_sent:  # else the stored ones stay (read from the locked row)
                locked.exceptions = clean["exceptions"]
            after = snapshot(locked, TERM_FIELDS)
            if after == before:
                raise InvalidInput(_("没有需要保存的修改"))
            locked.save(update_fields=["term", "category", "severity", "exceptions", "updated_at"])
            record_change(
                locked,
                action="changed",
                actor=actor,
                before=before,
                after=after,
                reason=clean["reason"],
                client_ip=client_ip,
            )
            transaction.on_commit(invalidate_scanner)
    except IntegrityError as exc:
        raise _term_taken(exc, clean["term"]) from exc
    return locked


def _switch(term: SensitiveTerm, *, active: bool, actor: Any, reason: Any, client_ip: str | None) -> SensitiveTerm:
    _terms_staff(actor)
    clean = checked(ReasonInput({"reason": reason}))
    with transaction.atomic():
        locked = SensitiveTerm.objects.select_for_update().get(pk=term.pk)
        if locked.active == active:
            raise InvalidInput(
                _("词语“%(term)s”已是启用状态") % {"term": locked.term}
                if active
                else _("词语“%(term)s”已是停用状态") % {"term": locked.term}
            )
        before = snapshot(locked, TERM_FIELDS)
        locked.active = active
        locked.save(update_fields=["active", "updated_at"])
        record_change(
            locked,
            action="enabled" if active else "disabled",
            actor=actor,
            before=before,
            after=snapshot(locked, TERM_FIELDS),
            reason=clean["reason"],
            client_ip=client_ip,
        )
        transaction.on_commit(invalidate_scanner)
    return locked


@retry_on_contention
def sensitive_term_disable(
    *, term: SensitiveTerm, actor: Any, reason: Any, client_ip: str | None = None
) -> SensitiveTerm:
    """Switch a term off (停用), with a reason (CAST staff): the scanner no longer finds it. The
    row is kept, so its history stays and it can be switched on again.

    Side effects, in order: refuses with TransitionForbidden unless the actor is CAST staff,
    with InvalidInput without a reason; locks the term's row (InvalidInput if it is already
    off) and sets it inactive; appends the "disabled" audit event (active: true → false, the
    reason); on commit, makes the scanner rebuild.
    """
    return _switch(term, active=False, actor=actor, reason=reason, client_ip=client_ip)


@retry_on_contention
def sensitive_term_enable(
    *, term: SensitiveTerm, actor: Any, reason: Any, client_ip: str | None = None
) -> SensitiveTerm:
    """Switch a term on again (启用), with a reason (CAST staff).

    Side effects, in order: as ``sensitive_term_disable``, the other way (InvalidInput if it is
    already on; the "enabled" audit event, active: false → true).
    """
    return _switch(term, active=True, actor=actor, reason=reason, client_ip=client_ip)


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    unchanged: int
    disabled: int


@retry_on_contention
def sensitive_terms_import(*, actor: Any, data: dict[str, Any], client_ip: str | None = None) -> ImportOutcome:
    """Load a term list (CSV, the format of ``manage.py import_sensitive_terms``), all or
    nothing (CAST staff). ``data``: ``file`` (an upload or bytes), ``deactivate_missing``,
    ``reason``.

    One "imported" audit event per term the import changes, on that term's own chain — created,
    changed (category, severity, switched on again) or, with ``deactivate_missing``, switched
    off — with its fields before and after and ``{"import": {"sha256", "outcome"}}``: each
    term's history then tells every change it went through, and the events of one import share
    the file's SHA-256. A listed term that is already as listed gets none (nothing changed).

    Side effects, in order:
    1. refuses with TransitionForbidden unless the actor is CAST staff, with InvalidInput
       listing every bad line (``TermImportInput``) and writing nothing;
    2. locks every stored term's row (a concurrent import or edit waits);
    3. creates the new terms, updates the changed ones, switches off the unlisted ones when
       asked (``updated_at`` set, so every scanner notices);
    4. appends the "imported" audit events, in the file's order, then for the switched-off
       terms in the order of their words;
    5. on commit, makes the scanner rebuild.
    """
    _terms_staff(actor)
    form = TermImportInput(data)
    clean = checked(form)
    deactivate_missing, reason = bool(clean["deactivate_missing"]), clean["reason"]
    now = timezone.now()
    listed = {line.term for line in form.lines}
    with transaction.atomic():
        existing = {row.term: row for row in SensitiveTerm.objects.select_for_update().order_by("pk")}
        new: list[SensitiveTerm] = []
        changed: list[tuple[SensitiveTerm, dict[str, Any]]] = []
        unchanged = 0
        for line in form.lines:
            row = existing.get(line.term)
            if row is None:
                new.append(
                    SensitiveTerm(
                        term=line.term,
                        category=line.category,
                        severity=line.severity,
                        exceptions=list(line.exceptions or ()),
                        active=True,
                    )
                )
                continue
            # A line without the exceptions column leaves the stored ones as they are.
            exceptions = list(line.exceptions) if line.exceptions is not None else row.exceptions
            if (row.category, row.severity, row.exceptions, row.active) == (
                line.category,
                line.severity,
                exceptions,
                True,
            ):
                unchanged += 1
            else:
                before = snapshot(row, TERM_FIELDS)
                row.category, row.severity, row.active, row.updated_at = line.category, line.severity, True, now
                row.exceptions = exceptions
                changed.append((row, before))
        dropped: list[tuple[SensitiveTerm, dict[str, Any]]] = []
        if deactivate_missing:
            for term in sorted(t for t, row in existing.items() if row.active and t not in listed):
                row = existing[term]
                before = snapshot(row, TERM_FIELDS)
                row.active, row.updated_at = False, now
                dropped.append((row, before))
        created = SensitiveTerm.objects.bulk_create(new, batch_size=BATCH_SIZE)
        # One UPDATE per batch of rows that take the same values (an import sets a few
        # categories and severities on many rows): far cheaper than bulk_update's CASE per row.
        groups: dict[tuple[str, str, tuple[str, ...], bool], list[int]] = {}
        for row, _before in changed + dropped:
            groups.setdefault((row.category, row.severity, tuple(row.exceptions), row.active), []).append(row.pk)
        for (category, severity, exceptions, active), pks in groups.items():
            for offset in range(0, len(pks), BATCH_SIZE):
                SensitiveTerm.objects.filter(pk__in=pks[offset : offset + BATCH_SIZE]).update(
                    category=category, severity=severity, exceptions=list(exceptions), active=active, updated_at=now
                )
        if any(row.pk is None for row in created):  # a backend that returns no ids
            ids = dict(SensitiveTerm.objects.filter(term__in=[r.term for r in created]).values_list("term", "pk"))
            for row in created:
                row.pk = ids[row.term]
        events = [(row, {}, "created") for row in created]
        events += [(row, before, "updated") for row, before in changed]
        order = {line.term: line.line for line in form.lines}
        events.sort(key=lambda item: order[item[0].term])
        events += [(row, before, "disabled") for row, before in dropped]
        for row, before, outcome in events:
            record_change(
                row,
                action="imported",
                actor=actor,
                before=before,
                after=snapshot(row, TERM_FIELDS),
                reason=reason,
                extra={"import": {"sha256": form.digest, "outcome": outcome}},
                client_ip=client_ip,
            )
        if events:
            transaction.on_commit(invalidate_scanner)
    return ImportOutcome(created=len(created), updated=len(changed), unchanged=unchanged, disabled=len(dropped))


# -- the calendar ----------------------------------------------------------------------------


@retry_on_contention
def calendar_day_add(*, actor: Any, data: dict[str, Any], client_ip: str | None = None) -> CalendarDay:
    """One of CAST's calendar entries: a day off or a weekend day worked (CAST staff). It
    overrides the chinese-calendar package on its day, and counts in every notice period
    computed from now on (a published notice keeps its period).

    Side effects, in order:
    1. refuses with TransitionForbidden unless the actor is CAST staff, with InvalidInput
       listing every problem of ``data`` (``CalendarDayInput``: the date — required, 2000 to
       2099, without an entry yet —, the kind, a note of at most 100 characters, an optional
       reason);
    2. stores the entry with who entered it;
    3. appends the "created" audit event on the entry with its date, kind and note, and the
       reason.
    """
    _calendar_staff(actor)
    clean = checked(CalendarDayInput(data))
    try:
        with transaction.atomic():
            entry = CalendarDay.objects.create(
                date=clean["date"], kind=clean["kind"], note=clean["note"], created_by=actor
            )
            record_change(
                entry,
                action="created",
                actor=actor,
                after=snapshot(entry, CALENDAR_FIELDS),
                reason=clean["reason"],
                client_ip=client_ip,
            )
    except IntegrityError as exc:
        if contention_kind(exc) is not None:
            raise
        raise InvalidInput(_("%(date)s 已有日历调整，如需修改请先删除") % {"date": clean["date"].isoformat()}) from exc
    return entry


@retry_on_contention
def calendar_day_remove(*, entry: CalendarDay, actor: Any, reason: Any, client_ip: str | None = None) -> None:
    """Remove one of CAST's calendar entries, with a reason (CAST staff): its day is again
    what the package (or the week) says.

    Side effects, in order: refuses with TransitionForbidden unless the actor is CAST staff,
    with InvalidInput without a reason; locks the entry's row (InvalidInput if another
    removed it meanwhile); appends the "deleted" audit event on the entry with its date, kind
    and note before, and the reason; deletes the entry.
    """
    _calendar_staff(actor)
    clean = checked(ReasonInput({"reason": reason}))
    with transaction.atomic():
        locked = CalendarDay.objects.select_for_update().filter(pk=entry.pk).first()
        if locked is None:
            raise InvalidInput(_("该日历调整已被删除"))
        record_change(
            locked,
            action="deleted",
            actor=actor,
            before=snapshot(locked, CALENDAR_FIELDS),
            reason=clean["reason"],
            client_ip=client_ip,
        )
        locked.delete()
