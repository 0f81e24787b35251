"""Every write of public notices (公示) and objections (异议).

A flow that goes through a notice names three of its transitions on its flow class::

    notice_transitions = {"publish": "publish_notice", "finish": "issue", "uphold": "revoke"}

and these services move the records along them through ``workflows.services.transition``, so
the records' states change only there. Notice-level steps (created, reviewed, published,
closed) are appended to the audit trail under the record type ``notices.publicnotice``.

Each public function takes keyword-only arguments; its docstring lists its side effects in order.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import permissions as perms
from accounts.models import Membership, Organization, OrgType, Role, User
from workflows import hooks
from workflows import services as workflow_services
from workflows.audit import audit_append
from workflows.calendar import day_kind_label, notice_end
from workflows.exceptions import (
    Busy,
    Contention,
    InvalidInput,
    NotFound,
    TransitionBlocked,
    TransitionConflict,
    TransitionForbidden,
    WorkflowError,
)
from workflows.locks import lock_record, lock_records, retry_on_contention
from workflows.models import Round, Verdict, WorkflowRecord
from workflows.registry import get_record_model
from workflows.selectors import visible_records

from .forms import (
    CONTACT_FIELDS,
    ContactsInput,
    LookupInput,
    ObjectionForm,
    PublishInput,
    RegisteredObjectionForm,
    contacts_missing,
    period_problem,
)
from .models import (
    ACTIVE_NOTICE_STATUSES,
    OPEN_OBJECTION_STATUSES,
    PUBLISHABLE_NOTICE_STATUSES,
    NoticeEntry,
    NoticeStatus,
    Objection,
    ObjectionChannel,
    ObjectionEvidence,
    ObjectionStatus,
    PublicNotice,
)
from .selectors import cast_root_id
from .transitions import notice_flow, notice_state, publish_name_for, publish_sources

logger = logging.getLogger(__name__)

TITLE_MAX_LENGTH = 200
INTRO_MAX_LENGTH = 5000
OPINION_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 2000
CONTENT_MAX_FINDINGS = 5000


# At most this many objections from one client address within the window (seconds).
OBJECTION_RATE_LIMIT = 5
OBJECTION_RATE_WINDOW = 3600

# Unambiguous characters for reference numbers: no 0/O, 1/I.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
NOTICE_RECORD_TYPE = "notices.publicnotice"


class ObjectionRateLimited(InvalidInput):
    """Too many objections from one address (429)."""

    status_code = 429


# -- helpers ---------------------------------------------------------------------------------


def _cast_code(actor: Any) -> str:
    return next((g.org_code for g in perms.grants(actor) if g.org_type == OrgType.CAST), "")


def _require_staff(actor: Any, message: str) -> None:
    if not perms.is_cast_staff(actor):
        raise TransitionForbidden(message)


def _named(title: str, reasons: Iterable[str]) -> str:
    return _("《%(title)s》：%(reasons)s") % {"title": title, "reasons": "；".join(str(r) for r in reasons)}


def _notice_audit(
    notice: PublicNotice,
    *,
    action: str,
    actor: Any,
    from_status: str,
    opinion: str = "",
    data: dict[str, Any] | None = None,
    client_ip: str | None = None,
    role: str = Role.CAST_STAFF,
) -> Any:
    org = next((g.org_code for g in perms.grants(actor) if g.role == role and g.org_type == OrgType.CAST), "")
    return audit_append(
        record_type=NOTICE_RECORD_TYPE,
        record_id=notice.pk,
        action=action,
        actor=actor,
        actor_org=org,
        actor_role=role,
        from_state=from_status,
        to_state=notice.status,
        opinion=opinion,
        data=data or {},
        client_ip=client_ip,
    )


def _entry_records(notice: PublicNotice) -> list[tuple[NoticeEntry, WorkflowRecord | None]]:
    """The notice's entries with their records, every record's row locked (in primary-key
    order, after the notice: the lock order of workflows/locks.py) before anything is written."""
    model = get_record_model(notice.record_type)
    entries = list(notice.entries.order_by("position"))
    if model is None:
        return [(entry, None) for entry in entries]
    records = lock_records(model, [e.record_id for e in entries])
    return [(entry, records.get(entry.record_id)) for entry in entries]


def _public_text(record: WorkflowRecord) -> tuple[str, str]:
    """(title, summary) that may be published about the record."""
    summarize = getattr(record, "public_summary", None)
    if callable(summarize):
        public = summarize() or {}
        title = str(public.get("title") or record)
        summary = str(public.get("summary") or "")
    else:
        title, summary = str(record), ""
    return title[:300], summary


def _body_text(entries: list[NoticeEntry]) -> str:
    lines = []
    for entry in entries:
        line = f"{entry.position}. {entry.public_title}"
        if entry.public_summary:
            line += f"（{entry.public_summary}）"
        lines.append(line)
    return "\n".join(lines)


# -- notices ---------------------------------------------------------------------------------


def _default_contacts(round_: Round) -> dict[str, str]:
    """The 受理 block a new notice starts with: CAST as the accepting unit and the round's first
    contact who gave a phone (staff change it on the notice before it goes public)."""
    from accounts.models import Organization

    root = Organization.objects.filter(type=OrgType.CAST, parent__isnull=True).values_list("name", flat=True).first()
    contact = next((c for c in (round_.contacts or []) if isinstance(c, dict) and c.get("phone")), None) or {}
    return {
        "accepting_unit": root or "",
        "contact_person": str(contact.get("name", ""))[:50],
        "contact_phone": str(contact.get("phone", ""))[:50],
        "contact_email": str(contact.get("email", ""))[:254],
    }


@retry_on_contention
def notice_contacts_update(
    *, notice: PublicNotice, actor: Any, data: dict[str, Any], client_ip: str | None = None
) -> PublicNotice:
    """CAST staff set where and how to object (受理单位, 联系人, 电话, 地址, 邮箱) on a notice that
    is not closed (a phone that changes during the period is corrected on the public page).

    Side effects, in order: refuses (403) anyone but CAST staff; InvalidInput listing every
    problem of ``data`` (``forms.ContactsInput``; keys left out stay as they are); locks the
    notice and refuses (409) a closed one; stores the values and appends the
    "notice_contacts_changed" audit event of the notice with the values before and after.
    """
    _require_staff(actor, _("只有中国科协工作人员可以修改公示的受理信息"))
    form = ContactsInput(data if isinstance(data, dict) else {}, partial=True)
    problems = form.problems()
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        locked = PublicNotice.objects.select_for_update(of=("self",)).get(pk=notice.pk)
        if locked.status == NoticeStatus.CLOSED:
            raise TransitionConflict(_("公示已结束，不能再修改受理信息"))
        before = {name: getattr(locked, name) for name in CONTACT_FIELDS}
        for name, value in form.cleaned_data.items():
            setattr(locked, name, value)
        after = {name: getattr(locked, name) for name in CONTACT_FIELDS}
        changes = {
            name: {"before": before[name], "after": after[name]}
            for name in CONTACT_FIELDS
            if before[name] != after[name]
        }
        if changes:
            locked.save(update_fields=list(changes))
            _notice_audit(
                locked,
                action="notice_contacts_changed",
                actor=actor,
                from_status=locked.status,
                data={"changes": changes},
                client_ip=client_ip,
            )
    return locked


@retry_on_contention
def notice_create(
    *,
    round: Round,
    record_type: str,
    records: Iterable[WorkflowRecord | int],
    title: str,
    intro: str,
    actor: Any,
    client_ip: str | None = None,
) -> PublicNotice:
    """Draft a notice listing ``records`` (all of one type, all of ``round``; records or ids).

    Side effects, in order:
    1. refuses with TransitionForbidden unless the actor is CAST staff;
    2. locks the records' rows and refuses with InvalidInput, naming every problem, when the
       title or intro is wrong, a record is unknown or outside the actor's scope, of another
       type or round, not in the state its
       flow's publish transition starts from, or already on an active notice;
    3. stores the notice (status draft) with one entry per record (its ``public_summary()``
       or its name) and the list text built from them;
    4. appends the "notice_created" audit event of the notice.
    """
    _require_staff(actor, _("只有中国科协工作人员可以创建公示"))
    title = (title or "").strip()
    intro = (intro or "").strip()
    records = list(records)
    errors: list[str] = []
    if not title:
        errors.append(_("请填写公示标题"))
    elif len(title) > TITLE_MAX_LENGTH:
        errors.append(_("公示标题不得超过 %(n)s 个字符") % {"n": TITLE_MAX_LENGTH})
    if len(intro) > INTRO_MAX_LENGTH:
        errors.append(_("公示说明不得超过 %(n)s 个字符") % {"n": INTRO_MAX_LENGTH})
    if not isinstance(round, Round):
        errors.append(_("请选择批次"))
    if not records:
        errors.append(_("请至少选择一条记录"))
    try:
        model, flow_class, _names = notice_flow(record_type)
    except InvalidInput as exc:
        raise InvalidInput([*errors, *exc.errors]) from exc
    ids: list[int] = []
    for record in records:
        if isinstance(record, int) and not isinstance(record, bool):
            pk = record
        elif isinstance(record, model):
            pk = record.pk
        else:
            errors.append(_("“%(record)s”不是该类型的记录") % {"record": record})
            continue
        if pk not in ids:
            ids.append(pk)
    # Ids outside the actor's scope are answered as if they did not exist.
    visible = set(visible_records(model, user=actor).filter(pk__in=ids).values_list("pk", flat=True))

    with transaction.atomic():
        locked = lock_records(model, ids)
        sources = publish_sources(flow_class)
        source_labels = "、".join(flow_class.state_label(s) for s in sorted(sources))
        listed = {
            e.record_id: e.notice
            for e in NoticeEntry.objects.filter(
                record_type=record_type, record_id__in=ids, notice__status__in=ACTIVE_NOTICE_STATUSES
            ).select_related("notice")
        }
        for pk in ids:
            record = locked.get(pk)
            if record is None or pk not in visible:
                errors.append(_("编号为 %(id)s 的记录不存在或您无权查看") % {"id": pk})
                continue
            problems = []
            if isinstance(round, Round) and record.round_id != round.pk:
                problems.append(_("不属于批次“%(round)s”") % {"round": round.title})
            if record.state not in sources:
                problems.append(
                    _("当前状态为“%(state)s”，只有“%(sources)s”的记录可以列入公示")
                    % {"state": flow_class.state_label(record.state), "sources": source_labels}
                )
            if pk in listed:
                problems.append(_("已在公示“%(notice)s”中") % {"notice": listed[pk].title})
            if problems:
                errors.append(_named(str(record), problems))
        if errors:
            raise InvalidInput(errors)

        notice = PublicNotice.objects.create(
            round=round, record_type=record_type, title=title, intro=intro, created_by=actor, **_default_contacts(round)
        )
        entries = []
        for position, pk in enumerate(ids, start=1):
            public_title, public_summary = _public_text(locked[pk])
            entries.append(
                NoticeEntry(
                    notice=notice,
                    record_type=record_type,
                    record_id=pk,
                    position=position,
                    public_title=public_title,
                    public_summary=public_summary,
                )
            )
        NoticeEntry.objects.bulk_create(entries)
        notice.body = _body_text(entries)
        notice.save(update_fields=["body"])
        _notice_audit(
            notice,
            action="notice_created",
            actor=actor,
            from_status="",
            data={"record_type": record_type, "record_ids": ids},
            client_ip=client_ip,
        )
    return notice


@retry_on_contention
def notice_review(
    *, notice: PublicNotice, verdict: str, opinion: str, actor: Any, client_ip: str | None = None
) -> PublicNotice:
    """A content reviewer of CAST passes or fails a draft notice before it is published.

    Side effects, in order:
    1. refuses with TransitionForbidden unless the actor is a content reviewer of CAST, with
       InvalidInput on a wrong verdict or a missing opinion, with TransitionConflict unless the
       notice (locked) is a draft;
    2. records the verdict as each entry's record's "publication" checkpoint (each with its
       audit event and notifications); if any record cannot take it, TransitionBlocked lists
       "《title》：reason" for each and nothing is kept;
    3. sets the notice passed_review or failed_review with the reviewer and opinion;
    4. appends the "notice_review_pass" / "notice_review_fail" audit event of the notice.
    """
    if not perms.is_content_reviewer_in(actor, cast_root_id()):
        raise TransitionForbidden(_("只有中国科协的内容审核员可以审核公示"))
    errors: list[str] = []
    if verdict not in Verdict.values:
        errors.append(_("审核结论必须是 pass（通过）或 fail（不通过）"))
    if not isinstance(opinion, str) or not opinion.strip():
        errors.append(_("请填写审核意见"))
    elif len(opinion) > OPINION_MAX_LENGTH:
        errors.append(_("意见不得超过 %(n)s 个字符") % {"n": OPINION_MAX_LENGTH})
    if errors:
        raise InvalidInput(errors)
    opinion = opinion.strip()
    with transaction.atomic():
        locked = PublicNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.status != NoticeStatus.DRAFT:
            raise TransitionConflict(
                _("公示当前状态为“%(status)s”，不能再审核") % {"status": locked.get_status_display()}
            )
        failures: list[str] = []
        for entry, record in _entry_records(locked):
            if record is None:
                failures.append(_named(entry.public_title, [_("记录已不存在")]))
                continue
            try:
                workflow_services.checkpoint_record(
                    record, stage="publication", verdict=verdict, opinion=opinion, actor=actor, client_ip=client_ip
                )
            except WorkflowError as exc:
                failures.append(_named(entry.public_title, exc.errors))
        if failures:
            raise TransitionBlocked(failures)
        from_status = locked.status
        locked.status = NoticeStatus.PASSED_REVIEW if verdict == Verdict.PASS else NoticeStatus.FAILED_REVIEW
        locked.reviewer = actor
        locked.review_opinion = opinion
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["status", "reviewer", "review_opinion", "reviewed_at"])
        _notice_audit(
            locked,
            action=f"notice_review_{verdict}",
            actor=actor,
            from_status=from_status,
            opinion=opinion,
            client_ip=client_ip,
            role=Role.CONTENT_REVIEWER,
        )
    return locked


@retry_on_contention
def notice_publish(
    *,
    notice: PublicNotice,
    actor: Any,
    starts_on: Any = None,
    scheduled_run: bool = False,
    client_ip: str | None = None,
) -> PublicNotice:
    """Publish a reviewed notice today, or schedule it to start on a later day (定时发布).

    ``starts_on``: the period's first day (a date or "YYYY-MM-DD"); empty or today publishes
    now, a later day schedules the notice (a scheduled notice may be published now or given
    another day the same way). ``scheduled_run``: the beat task's call on the notice's date
    (``notices.tasks``), acting as the staff member who scheduled it.

    Side effects, in order:
    1. refuses with TransitionForbidden unless the actor is CAST staff, with InvalidInput
       listing every problem of ``starts_on`` (``forms.PublishInput``: a date, not before
       today, at most ``SCHEDULE_MAX_DAYS`` ahead);
    2. locks the notice and refuses with TransitionConflict unless it passed its review or is
       scheduled; a scheduled run instead returns, unchanged, a notice that is no longer
       scheduled or not yet due (so running twice publishes once);
    3. locks every entry's record (after the notice: the lock order of docs/design.md);
    4. to schedule: checks that every record could take its flow's publish transition now
       (if not, TransitionBlocked lists "《title》：reason" for each and nothing is kept),
       sets the notice scheduled with the day and who scheduled it, and appends the
       "notice_scheduled" audit event of the notice (its data: the day and the period as the
       calendar counts it today). The records stay where they are;
    5. to publish: moves every entry's record along its flow's publish transition (each with
       its audit event and notifications; if any cannot move, TransitionBlocked lists
       "《title》：reason" for each and nothing is kept), sets the notice published, starts_on
       today (local date), ends_on the period's last day by the round's day kind
       (``workflows.calendar.notice_end``: working days of the official calendar, or calendar
       days), clears any schedule problems, and appends the "notice_published" audit event;
    6. a scheduled run that cannot publish (refused in 1 or 5) keeps none of it; in a
       transaction of its own it stores the reasons on the still-scheduled notice
       (``schedule_problems``) and writes the outbox rows telling CAST staff, once per
       scheduled day ("notice_schedule_failed"). The next run tries again.
    """
    if scheduled_run:
        return _publish_scheduled(notice=notice, actor=actor, client_ip=client_ip)
    _require_staff(actor, _("只有中国科协工作人员可以发布公示"))
    form = PublishInput({"starts_on": starts_on})
    problems = form.problems()
    if problems:
        raise InvalidInput(problems)
    day = form.cleaned_data["starts_on"]
    with transaction.atomic():
        # The notice's row only: its round is read, not locked (docs/design.md, Locks).
        locked = PublicNotice.objects.select_for_update(of=("self",)).select_related("round").get(pk=notice.pk)
        if locked.status not in PUBLISHABLE_NOTICE_STATUSES:
            raise TransitionConflict(
                _("公示当前状态为“%(status)s”，只有内容审核通过的公示可以发布")
                % {"status": locked.get_status_display()}
            )
        if day > timezone.localdate():
            return _schedule(locked, day=day, actor=actor, client_ip=client_ip)
        return _publish_now(locked, actor=actor, client_ip=client_ip)


def _period_end(notice: PublicNotice, start: Any) -> Any:
    round_ = notice.round
    try:
        return notice_end(start, round_.notice_working_days, round_.notice_day_kind)
    except ValueError as exc:
        raise TransitionBlocked(
            _("批次“%(round)s”的公示期设置无效：%(days)s 个%(unit)s")
            % {
                "round": round_.title,
                "days": round_.notice_working_days,
                "unit": day_kind_label(round_.notice_day_kind),
            }
        ) from exc


def _could_publish(record: WorkflowRecord, name: str, actor: Any) -> list[str]:
    """Why ``record`` could not take its publish transition ``name`` now, as publishing would
    find it (nothing is written)."""
    flow_class = type(record).flow_class
    flow = record.get_flow()
    found = flow_class.find(name, record.state)
    if found is None:
        return [_("当前状态为“%(state)s”，不能列入公示") % {"state": flow_class.state_label(record.state)}]
    if not found.has_perm(flow, actor):
        return [_("您没有权限执行“%(name)s”") % {"name": str(found.label)}]
    ctx = workflow_services.TransitionContext(record=record, actor=actor, name=name, driven_by="notice")
    return workflow_services.evaluate(flow, found, ctx, with_opinion=False)


def _schedule(locked: PublicNotice, *, day: Any, actor: Any, client_ip: str | None) -> PublicNotice:
    """Step 4 of ``notice_publish``: the notice (locked) will be published on ``day``."""
    _model, flow_class, _names = notice_flow(locked.record_type)
    failures: list[str] = contacts_missing(locked)
    for entry, record in _entry_records(locked):
        if record is None:
            failures.append(_named(entry.public_title, [_("记录已不存在")]))
            continue
        reasons = _could_publish(record, publish_name_for(flow_class, record.state), actor)
        if reasons:
            failures.append(_named(entry.public_title, reasons))
    if failures:
        raise TransitionBlocked(failures)
    ends_on = _period_end(locked, day)
    from_status = locked.status
    locked.status = NoticeStatus.SCHEDULED
    locked.scheduled_for = day
    locked.scheduled_by = actor
    locked.schedule_problems = []
    locked.save(update_fields=["status", "scheduled_for", "scheduled_by", "schedule_problems"])
    _notice_audit(
        locked,
        action="notice_scheduled",
        actor=actor,
        from_status=from_status,
        data={
            "scheduled_for": day.isoformat(),
            "ends_on": ends_on.isoformat(),
            "day_kind": locked.round.notice_day_kind,
        },
        client_ip=client_ip,
    )
    return locked


def _publish_now(locked: PublicNotice, *, actor: Any, client_ip: str | None) -> PublicNotice:
    """Step 5 of ``notice_publish``: the notice (locked) and its records go public today."""
    _model, flow_class, _names = notice_flow(locked.record_type)
    starts_on = timezone.localdate()
    ends_on = _period_end(locked, starts_on)
    opinion = _("列入公示《%(title)s》，公示期 %(start)s 至 %(end)s") % {
        "title": locked.title,
        "start": starts_on.isoformat(),
        "end": ends_on.isoformat(),
    }
    failures: list[str] = contacts_missing(locked)
    for entry, record in _entry_records(locked):
        if record is None:
            failures.append(_named(entry.public_title, [_("记录已不存在")]))
            continue
        try:
            name = publish_name_for(flow_class, record.state)
            workflow_services.transition(
                record, name, actor=actor, opinion=opinion, client_ip=client_ip, driven_by="notice"
            )
        except WorkflowError as exc:
            failures.append(_named(entry.public_title, exc.errors))
    if failures:
        raise TransitionBlocked(failures)
    from_status = locked.status
    locked.status = NoticeStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.starts_on = starts_on
    locked.ends_on = ends_on
    locked.schedule_problems = []
    locked.save(update_fields=["status", "published_at", "starts_on", "ends_on", "schedule_problems"])
    locked.just_published = True
    _notice_audit(
        locked,
        action="notice_published",
        actor=actor,
        from_status=from_status,
        data={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
        client_ip=client_ip,
    )
    return locked


def _publish_scheduled(*, notice: PublicNotice, actor: Any, client_ip: str | None) -> PublicNotice:
    """Steps 2, 3, 5 and 6 of ``notice_publish`` for the beat task."""
    try:
        with transaction.atomic():
            locked = (
                PublicNotice.objects.select_for_update(of=("self",))
                .select_related("round", "scheduled_by")
                .get(pk=notice.pk)
            )
            due = locked.scheduled_for is not None and locked.scheduled_for <= timezone.localdate()
            # Rescheduled by someone else since the task read it: the next run acts as them.
            ours = actor is not None and locked.scheduled_by_id == actor.pk
            if locked.status != NoticeStatus.SCHEDULED or not due or not ours:
                return locked
            if not actor.is_active or not perms.is_cast_staff(actor):
                raise TransitionForbidden(
                    _(
                        "设置定时发布的“%(user)s”已不是在岗的中国科协工作人员（角色已撤销或账号已停用），请由其他工作人员发布或重新设定日期"
                    )
                    % {"user": actor}
                )
            return _publish_now(locked, actor=actor, client_ip=client_ip)
    except (Contention, Busy):
        raise
    except WorkflowError as exc:
        return _schedule_failed(notice, exc.errors)


def _schedule_failed(notice: PublicNotice, problems: list[str]) -> PublicNotice:
    """Step 6 of ``notice_publish``: why the scheduled notice is still not public, kept on it
    and told to CAST staff (once per scheduled day: the outbox de-duplicates)."""
    with transaction.atomic():
        locked = PublicNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.status != NoticeStatus.SCHEDULED:
            return locked
        if locked.schedule_problems != problems:
            locked.schedule_problems = problems
            locked.save(update_fields=["schedule_problems"])
        hooks.tell(
            message_key="notice_schedule_failed",
            context={
                "title": locked.title,
                "action_label": _("定时发布未成功"),
                "opinion": "；".join(problems),
                "url": settings.SITE_URL.rstrip("/") + reverse("notices:manage-detail", args=[locked.pk]),
            },
            dedup_base=f"notice:{locked.pk}:schedule_failed:{locked.scheduled_for}",
            users=_cast_staff(),
        )
    logger.warning("scheduled notice %s not published: %s", locked.pk, "; ".join(problems))
    return locked


@retry_on_contention
def notice_finish(*, notice: PublicNotice, actor: Any, opinion: str = "", client_ip: str | None = None) -> PublicNotice:
    """End a published notice: every record still on notice moves on (issued / awarded).

    Side effects, in order:
    1. refuses with TransitionForbidden unless the actor is CAST staff, with
       TransitionConflict unless the notice (locked) is published;
    2. moves each entry's record that is still in the notice state along its flow's finish
       transition (audit event and notifications each); records already moved on (revoked)
       are left alone; if any cannot move (period not over, objection open),
       TransitionBlocked lists "《title》：reason" for each and nothing is kept; with no record
       left to move, the period must still be over;
    3. sets the notice closed;
    4. appends the "notice_closed" audit event of the notice.
    """
    _require_staff(actor, _("只有中国科协工作人员可以结束公示"))
    opinion = (opinion or "").strip()
    with transaction.atomic():
        locked = PublicNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.status != NoticeStatus.PUBLISHED:
            raise TransitionConflict(
                _("公示当前状态为“%(status)s”，只有公示中的公示可以结束") % {"status": locked.get_status_display()}
            )
        _model, flow_class, names = notice_flow(locked.record_type)
        waiting_state = notice_state(flow_class)
        opinion = opinion or _("公示《%(title)s》期满") % {"title": locked.title}
        failures: list[str] = []
        moved = 0
        for entry, record in _entry_records(locked):
            if record is None or record.state != waiting_state:
                continue
            try:
                workflow_services.transition(record, names["finish"], actor=actor, opinion=opinion, client_ip=client_ip)
                moved += 1
            except WorkflowError as exc:
                failures.append(_named(entry.public_title, exc.errors))
        if failures:
            raise TransitionBlocked(failures)
        if not moved and locked.ends_on is not None and timezone.localdate() <= locked.ends_on:
            raise TransitionBlocked(_("公示期至 %(date)s 结束，尚未期满") % {"date": locked.ends_on.isoformat()})
        from_status = locked.status
        locked.status = NoticeStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        _notice_audit(
            locked, action="notice_closed", actor=actor, from_status=from_status, opinion=opinion, client_ip=client_ip
        )
    return locked


# -- objections ------------------------------------------------------------------------------


def _rate_key(client_ip: str | None) -> str:
    return f"notices:objections:{client_ip or 'unknown'}"


def _recent_filings(client_ip: str | None, now: float) -> list[float]:
    stamps = cache.get(_rate_key(client_ip)) or []
    return [t for t in stamps if t > now - OBJECTION_RATE_WINDOW]


def _new_reference() -> str:
    year = timezone.localdate().year
    while True:
        reference = f"YY{year}-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(6))
        if not Objection.objects.filter(reference=reference).exists():
            return reference


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@retry_on_contention
def objection_file(
    *,
    notice: PublicNotice,
    entry_id: Any,
    name: str,
    identity: str,
    unit: str,
    phone: str,
    email: str,
    content: str,
    files: Iterable[Any] = (),
    client_ip: str | None = None,
) -> Objection:
    """A member of the public objects, in real name and in writing, to an entry of a notice.

    No user: the objector is identified by what they give. Side effects, in order:
    1. refuses with ObjectionRateLimited (429) when the client address filed
       ``OBJECTION_RATE_LIMIT`` objections within the last hour;
    2. refuses with InvalidInput listing every problem — fields required, lengths, phone and
       e-mail format, the notice published and today in its period, the entry on the notice,
       at most 5 evidence files of at most 10 MB each, PDF/JPG/PNG by their bytes — and writes
       nothing;
    3. locks the notice (so it cannot close meanwhile) and checks its period again;
    4. stores the objection with a random reference (e.g. YY2026-7F3K9Q) and its evidence
       files under server-made names with their SHA-256;
    5. appends the "objection_filed" audit event on the record (its data: the reference only);
    6. writes the outbox rows telling CAST staff (in-app and e-mail, delivered on commit);
    7. counts the filing against the client address.
    Returns the objection, whose reference is the objector's acknowledgement.
    """
    now = time.time()
    if len(_recent_filings(client_ip, now)) >= OBJECTION_RATE_LIMIT:
        raise ObjectionRateLimited(
            _("同一网络地址一小时内最多提交 %(n)s 条异议，请稍后再试") % {"n": OBJECTION_RATE_LIMIT}
        )
    form = ObjectionForm(
        {
            "entry": entry_id,
            "name": name,
            "identity": identity,
            "unit": unit,
            "phone": phone,
            "email": email,
            "content": content,
        },
        notice=notice,
        files=files,
    )
    problems = form.problems()
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        locked = PublicNotice.objects.select_for_update().get(pk=notice.pk)
        period = period_problem(locked)
        if period:
            raise InvalidInput(period)
        objection = _store_objection(locked, form, client_ip=client_ip)
        cache.set(_rate_key(client_ip), [*_recent_filings(client_ip, now), now], OBJECTION_RATE_WINDOW)
    return objection


def _store_objection(
    notice: PublicNotice, form: ObjectionForm, *, client_ip: str | None, registered_by: Any = None
) -> Objection:
    """Store a checked objection to the locked ``notice`` with its evidence, append its
    "objection_filed" event on the record and tell CAST staff (steps 4–6 of
    ``objection_file``; ``objection_register`` for one that came on paper)."""
    entry, checked, clean = form.entry, form.evidence, form.cleaned_data
    assert entry is not None
    objection = Objection.objects.create(
        notice=notice,
        entry=entry,
        reference=_new_reference(),
        objector_name=clean["name"],
        identity=clean.get("identity") or "",
        unit=clean["unit"],
        phone=clean["phone"],
        email=clean["email"],
        content=clean["content"],
        client_ip=client_ip or None,
        channel=clean.get("channel") or ObjectionChannel.ONLINE,
        received_on=clean.get("received_on") or timezone.localdate(),
        registered_by=registered_by,
    )
    record = lock_record(get_record_model(entry.record_type), entry.record_id)
    for upload in checked:
        evidence = ObjectionEvidence(
            objection=objection,
            original_name=upload.original_name,
            size=upload.size,
            sha256=upload.sha256,
            content_type=upload.content_type,
        )
        evidence.file.save(upload.original_name, ContentFile(upload.content), save=False)
        evidence.save()
    data = {"reference": objection.reference}
    if registered_by is not None:
        data.update(channel=objection.channel, received_on=objection.received_on.isoformat())
    event = audit_append(
        record_type=entry.record_type,
        record_id=entry.record_id,
        action="objection_filed",
        actor=registered_by,
        actor_org=_cast_code(registered_by) if registered_by is not None else "",
        actor_role=Role.CAST_STAFF if registered_by is not None else "",
        from_state=record.state,
        to_state=record.state,
        data=data,
        revision_hash=record.current_revision_hash,
        client_ip=client_ip,
    )
    hooks.record_event(
        record=record, event=event, event_name="objection_filed", actor=registered_by, recipients=_cast_staff()
    )
    return objection


@retry_on_contention
def objection_register(
    *, notice: PublicNotice, actor: Any, data: dict[str, Any], files: Iterable[Any] = (), client_ip: str | None = None
) -> Objection:
    """CAST staff enter an objection that came by letter, fax, e-mail or visit, with the day it
    was received and the scan as evidence (``forms.RegisteredObjectionForm``: the public's
    fields, ``channel`` and ``received_on`` within the notice period).

    Side effects, in order: refuses (403) anyone but CAST staff; InvalidInput listing every
    problem, nothing written; locks the notice, then as ``objection_file`` (the record's
    "objection_filed" event names the channel, the day and the staff member who entered it).
    No rate limit: staff enter what the post brought.
    """
    _require_staff(actor, _("只有中国科协工作人员可以登记异议"))
    form = RegisteredObjectionForm(data if isinstance(data, dict) else {}, notice=notice, files=files)
    problems = form.problems()
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        locked = PublicNotice.objects.select_for_update(of=("self",)).get(pk=notice.pk)
        if locked.status != NoticeStatus.PUBLISHED:
            raise TransitionConflict(_("该公示不在公示期内，不能登记异议"))
        form.notice = locked
        return _store_objection(locked, form, client_ip=client_ip, registered_by=actor)


LOOKUP_RATE_LIMIT = 20


def objection_lookup(*, reference: Any, phone: Any, client_ip: str | None = None) -> Objection:
    """The objector looks up their objection by its reference and the phone they left (both
    must match; a wrong pair is answered as not found, so references cannot be probed with a
    phone nor phones with a reference). At most ``LOOKUP_RATE_LIMIT`` look-ups an hour from one
    address (429). Reads only."""
    now = time.time()
    key = f"notices:lookups:{client_ip or 'unknown'}"
    stamps = [t for t in (cache.get(key) or []) if t > now - OBJECTION_RATE_WINDOW]
    if len(stamps) >= LOOKUP_RATE_LIMIT:
        raise ObjectionRateLimited(_("同一网络地址一小时内最多查询 %(n)s 次，请稍后再试") % {"n": LOOKUP_RATE_LIMIT})
    cache.set(key, [*stamps, now], OBJECTION_RATE_WINDOW)
    form = LookupInput({"reference": reference, "phone": phone})
    problems = form.problems()
    if problems:
        raise InvalidInput(problems)
    digits = "".join(c for c in form.cleaned_data["phone"] if c.isdigit())
    found = Objection.objects.select_related("notice", "entry").filter(reference=form.cleaned_data["reference"]).first()
    if found is None or "".join(c for c in found.phone if c.isdigit()) != digits:
        raise NotFound(_("未找到该受理编号，或联系电话与提交时填写的不一致"))
    return found


def _recommending_reviewers(org_id: int | None) -> list[User]:
    memberships = Membership.objects.filter(role=Role.SOCIETY_REVIEWER, organization_id=org_id)
    return list(User.objects.filter(pk__in=memberships.values("user_id"), is_active=True).order_by("pk"))


VERIFY_DEFAULT_WORKING_DAYS = 5


@retry_on_contention
def objection_refer(
    *, objection: Objection, actor: Any, request: Any, due: Any = None, client_ip: str | None = None
) -> Objection:
    """CAST staff ask the record's recommending unit to verify an objection (核查) by a due
    date (default ``VERIFY_DEFAULT_WORKING_DAYS`` working days from today on the official
    calendar), saying what to verify.

    Side effects, in order: refuses (403) anyone but CAST staff; InvalidInput listing every
    problem (the request text, the date: not before today, at most 60 days ahead); locks the
    objection and refuses (409) one already decided; refuses (400) a record without a
    recommending unit; sets it "verifying" with the unit, due date and request (a second
    referral replaces the first's date and text and clears earlier findings); appends the
    "objection_referred" event on the record; tells the unit's reviewers.
    """
    from workflows.calendar import notice_end

    _require_staff(actor, _("只有中国科协工作人员可以发起核查"))
    request_text = _text(request)
    errors: list[str] = []
    if not request_text:
        errors.append(_("请填写核查要求"))
    elif len(request_text) > REASON_MAX_LENGTH:
        errors.append(_("核查要求不得超过 %(n)s 个字符") % {"n": REASON_MAX_LENGTH})
    today = timezone.localdate()
    day = None
    if due in (None, ""):
        day = notice_end(today, VERIFY_DEFAULT_WORKING_DAYS + 1, "working")
    else:
        try:
            day = due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due))
        except ValueError:
            errors.append(_("核查期限必须是日期（YYYY-MM-DD）"))
        else:
            if day < today:
                errors.append(_("核查期限不得早于今天"))
            elif day > today + dt.timedelta(days=60):
                errors.append(_("核查期限不得晚于 60 天之后"))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = Objection.objects.select_for_update(of=("self",)).select_related("entry").get(pk=objection.pk)
        if locked.status not in OPEN_OBJECTION_STATUSES:
            raise TransitionConflict(
                _("异议 %(ref)s 已处理（%(status)s）")
                % {"ref": locked.reference, "status": locked.get_status_display()}
            )
        entry = locked.entry
        record = lock_record(get_record_model(entry.record_type), entry.record_id)
        if record.recommending_unit_id is None:
            raise InvalidInput(_("该记录没有推荐单位，无法发起核查"))
        locked.status = ObjectionStatus.VERIFYING
        locked.verify_org_id = record.recommending_unit_id
        locked.verify_due = day
        locked.verify_request = request_text
        locked.verify_findings = ""
        locked.verified_by = None
        locked.verified_at = None
        locked.verify_reminded_on = None
        locked.save()
        event = audit_append(
            record_type=entry.record_type,
            record_id=entry.record_id,
            action="objection_referred",
            actor=actor,
            actor_org=_cast_code(actor),
            actor_role=Role.CAST_STAFF,
            from_state=record.state,
            to_state=record.state,
            opinion=request_text,
            data={"reference": locked.reference, "due": day.isoformat()},
            revision_hash=record.current_revision_hash,
            client_ip=client_ip,
        )
        hooks.record_event(
            record=record,
            event=event,
            event_name="objection_referred",
            actor=actor,
            recipients=_recommending_reviewers(record.recommending_unit_id),
        )
    return locked


@retry_on_contention
def objection_verify(*, objection: Objection, actor: Any, findings: Any, client_ip: str | None = None) -> Objection:
    """A reviewer of the unit asked to verify reports the findings (核查情况) to CAST.

    Side effects, in order: InvalidInput without findings (or too long); locks the objection;
    answers 404 unless it is being verified by a unit where the actor is a society reviewer
    (ids are not probed); stores the findings, who and when (a later report replaces an earlier
    one until CAST decides); appends the "objection_verified" event on the record; tells CAST
    staff. The objection stays open until CAST decides.
    """
    text = _text(findings)
    if not text:
        raise InvalidInput(_("请填写核查情况"))
    if len(text) > CONTENT_MAX_FINDINGS:
        raise InvalidInput(_("核查情况不得超过 %(n)s 个字符") % {"n": CONTENT_MAX_FINDINGS})
    with transaction.atomic():
        locked = Objection.objects.select_for_update(of=("self",)).select_related("entry").get(pk=objection.pk)
        if locked.status != ObjectionStatus.VERIFYING or not perms.has_role(
            actor, Role.SOCIETY_REVIEWER, locked.verify_org_id
        ):
            raise NotFound(_("该异议不存在或不需要您核查"))
        locked.verify_findings = text
        locked.verified_by = actor
        locked.verified_at = timezone.now()
        locked.save(update_fields=["verify_findings", "verified_by", "verified_at"])
        entry = locked.entry
        record = lock_record(get_record_model(entry.record_type), entry.record_id)
        org_code = Organization.objects.filter(pk=locked.verify_org_id).values_list("code", flat=True).first() or ""
        event = audit_append(
            record_type=entry.record_type,
            record_id=entry.record_id,
            action="objection_verified",
            actor=actor,
            actor_org=org_code,
            actor_role=Role.SOCIETY_REVIEWER,
            from_state=record.state,
            to_state=record.state,
            opinion=text,
            data={"reference": locked.reference},
            revision_hash=record.current_revision_hash,
            client_ip=client_ip,
        )
        hooks.record_event(
            record=record, event=event, event_name="objection_verified", actor=actor, recipients=_cast_staff()
        )
    return locked


def objection_verify_reminders(*, today: Any = None) -> int:
    """Remind the verifying unit's reviewers of each objection whose 核查 is due within a day
    and has no findings yet, once per objection and due date (the beat task). Returns how many
    were reminded."""
    today = today or timezone.localdate()
    due = Objection.objects.filter(
        status=ObjectionStatus.VERIFYING,
        verify_findings="",
        verify_due__isnull=False,
        verify_due__lte=today + dt.timedelta(days=1),
    ).select_related("entry")
    count = 0
    for objection in due:
        if objection.verify_reminded_on == objection.verify_due:
            continue
        with transaction.atomic():
            locked = Objection.objects.select_for_update(of=("self",)).get(pk=objection.pk)
            if (
                locked.status != ObjectionStatus.VERIFYING
                or locked.verify_findings
                or locked.verify_reminded_on == locked.verify_due
            ):
                continue
            locked.verify_reminded_on = locked.verify_due
            locked.save(update_fields=["verify_reminded_on"])
            hooks.tell(
                message_key="objection_verify_due",
                context={
                    "title": objection.entry.public_title,
                    "reference": locked.reference,
                    "due": locked.verify_due.isoformat(),
                },
                dedup_base=f"objection-verify:{locked.reference}:{locked.verify_due.isoformat()}",
                users=_recommending_reviewers(locked.verify_org_id),
            )
            count += 1
    return count


def _cast_staff() -> list[User]:
    memberships = Membership.objects.filter(role=Role.CAST_STAFF, organization__type=OrgType.CAST)
    return list(User.objects.filter(pk__in=memberships.values("user_id"), is_active=True).order_by("pk"))


def _applicants_of(record: WorkflowRecord) -> list[User]:
    memberships = Membership.objects.filter(role=Role.APPLICANT, organization_id=record.organization_id)
    return list(User.objects.filter(pk__in=memberships.values("user_id"), is_active=True).order_by("pk"))


DECISIONS = {
    "uphold": ObjectionStatus.UPHELD,
    "partly": ObjectionStatus.PARTLY_UPHELD,
    "dismiss": ObjectionStatus.DISMISSED,
}
DECISION_ACTIONS = {
    "uphold": "objection_upheld",
    "partly": "objection_partly_upheld",
    "dismiss": "objection_dismissed",
}
PUBLIC_TITLE_MAX_LENGTH = 300
PUBLIC_SUMMARY_MAX_LENGTH = 2000


@retry_on_contention
def objection_decide(
    *,
    objection: Objection,
    decision: str,
    reason: str,
    actor: Any,
    public_title: Any = None,
    public_summary: Any = None,
    client_ip: str | None = None,
) -> Objection:
    """CAST staff decide an objection, with a reason: 成立 (``uphold``: the candidate is
    removed along the flow's uphold transition), 部分成立 (``partly``: the published text of
    the entry is corrected — ``public_title`` and/or ``public_summary`` — and the candidate
    continues) or 不成立 (``dismiss``).

    Side effects, in order:
    1. refuses with TransitionForbidden unless the actor is CAST staff, with InvalidInput on
       a wrong decision, a missing reason, or (partly) no corrected text or a text too long;
       with TransitionConflict unless the objection (locked) is still open (filed or being
       verified);
    2. stores the decision, the reason, who and when;
    3. partly: stores the entry's corrected text and rebuilds the notice's list text;
    4. appends the "objection_upheld" / "objection_partly_upheld" / "objection_dismissed"
       audit event on the record (partly: the entry text before and after);
    5. on uphold, moves the record along its flow's uphold transition with the reason as the
       opinion (audit event and notifications); if it cannot move, nothing is kept. A record
       already removed by an earlier upheld objection is not moved again;
    6. writes the outbox rows telling the record's applicants ("objection_decided");
    7. on commit, e-mails the objector the reference, the decision and the reason, if they
       gave an address.
    """
    _require_staff(actor, _("只有中国科协工作人员可以处理异议"))
    reason = _text(reason)
    errors: list[str] = []
    if decision not in DECISIONS:
        errors.append(_("处理结论必须是 uphold（异议成立）、partly（异议部分成立）或 dismiss（异议不成立）"))
    if not reason:
        errors.append(_("请填写处理理由"))
    elif len(reason) > REASON_MAX_LENGTH:
        errors.append(_("处理理由不得超过 %(n)s 个字符") % {"n": REASON_MAX_LENGTH})
    title = _text(public_title)
    summary = _text(public_summary) if public_summary is not None else None
    if decision == "partly":
        if not title and summary is None:
            errors.append(_("异议部分成立时，请填写更正后的公示名称或公示摘要"))
        if len(title) > PUBLIC_TITLE_MAX_LENGTH:
            errors.append(_("公示名称不得超过 %(n)s 个字符") % {"n": PUBLIC_TITLE_MAX_LENGTH})
        if summary is not None and len(summary) > PUBLIC_SUMMARY_MAX_LENGTH:
            errors.append(_("公示摘要不得超过 %(n)s 个字符") % {"n": PUBLIC_SUMMARY_MAX_LENGTH})
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = (
            Objection.objects.select_for_update(of=("self",)).select_related("entry", "notice").get(pk=objection.pk)
        )
        if locked.status not in OPEN_OBJECTION_STATUSES:
            raise TransitionConflict(
                _("异议 %(ref)s 已处理（%(status)s），不能重复处理")
                % {"ref": locked.reference, "status": locked.get_status_display()}
            )
        entry = locked.entry
        data: dict[str, Any] = {"reference": locked.reference}
        if decision == "partly":
            # The notice first, then the entry: the list text is rebuilt from every entry.
            notice = PublicNotice.objects.select_for_update(of=("self",)).get(pk=locked.notice_id)
            entry = NoticeEntry.objects.select_for_update().get(pk=entry.pk)
            before = {"public_title": entry.public_title, "public_summary": entry.public_summary}
            if title:
                entry.public_title = title
            if summary is not None:
                entry.public_summary = summary
            after = {"public_title": entry.public_title, "public_summary": entry.public_summary}
            if after == before:
                raise InvalidInput(_("更正后的公示内容与原内容相同"))
            entry.save(update_fields=["public_title", "public_summary"])
            notice.body = _body_text(list(notice.entries.order_by("position")))
            notice.save(update_fields=["body"])
            data["correction"] = {"before": before, "after": after}
        locked.status = DECISIONS[decision]
        locked.decision_reason = reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])

        record = lock_record(get_record_model(entry.record_type), entry.record_id)
        event = audit_append(
            record_type=entry.record_type,
            record_id=entry.record_id,
            action=DECISION_ACTIONS[decision],
            actor=actor,
            actor_org=_cast_code(actor),
            actor_role=Role.CAST_STAFF,
            from_state=record.state,
            to_state=record.state,
            opinion=reason,
            data=data,
            revision_hash=record.current_revision_hash,
            client_ip=client_ip,
        )
        if decision == "uphold":
            _model, flow_class, names = notice_flow(entry.record_type)
            already_removed = (
                record.state != notice_state(flow_class)
                and Objection.objects.filter(entry__record_type=entry.record_type, entry__record_id=entry.record_id)
                .filter(status=ObjectionStatus.UPHELD)
                .exclude(pk=locked.pk)
                .exists()
            )
            if not already_removed:
                record = workflow_services.transition(
                    record, names["uphold"], actor=actor, opinion=reason, client_ip=client_ip
                )
        hooks.record_event(
            record=record, event=event, event_name="objection_decided", actor=actor, recipients=_applicants_of(record)
        )
        if locked.email:
            # Through the outbox like every e-mail: retried, relayed, never lost to a mail
            # server that is down at the moment.
            subject, body = _decision_mail(locked)
            hooks.tell(
                message_key="objection_decision_mail",
                context={},
                dedup_base=f"objection:{locked.reference}:{locked.status}",
                address=locked.email,
                subject=subject,
                text=body,
            )
    return locked


def _decision_mail(objection: Objection) -> tuple[str, str]:
    """(subject, body) of the e-mail telling the objector the decision, in Chinese."""
    with translation.override("zh-hans"):
        subject = _("关于您提出的异议（受理编号 %(ref)s）的处理结果") % {"ref": objection.reference}
        body = _(
            "%(name)s：\n\n"
            "您好！您于 %(date)s 对公示《%(notice)s》中“%(entry)s”提出的异议（受理编号 %(ref)s）已处理完毕。\n\n"
            "处理结果：%(decision)s\n"
            "处理理由：%(reason)s\n\n"
            "感谢您对科技志愿服务工作的监督。\n"
            "中国科协"
        ) % {
            "name": objection.objector_name,
            "date": timezone.localtime(objection.created_at).strftime("%Y-%m-%d"),
            "notice": objection.notice.title,
            "entry": objection.entry.public_title,
            "ref": objection.reference,
            "decision": objection.get_status_display(),
            "reason": objection.decision_reason,
        }
    return str(subject), str(body)
