"""Every write of the engine. The transition function here is the only way a state changes.

Each public function takes keyword-only arguments and an explicit ``actor``; its docstring
lists its side effects in order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts import permissions as perms
from accounts.models import Role

from . import hooks
from .audit import audit_append
from .exceptions import (
    InvalidInput,
    TransitionBlocked,
    TransitionConflict,
    TransitionForbidden,
    UnknownTransition,
    WorkflowError,
)
from .flows import OPINION_NONE, OPINION_REQUIRED, BaseFlow, RolePermission, Spec
from .locks import lock_record, lock_records, lock_scopes, retry_on_contention
from .models import (
    AssignmentStatus,
    Checkpoint,
    CheckpointStage,
    Job,
    ReviewAssignment,
    Revision,
    Severity,
    Verdict,
    WorkflowRecord,
)

OPINION_MAX_LENGTH = 5000
# Why a transition another process takes cannot be taken on its own.
DRIVEN_BY = {"notice": _lazy("该操作随公示的发布执行：请在公示管理中发布该记录所在的公示")}
# A bulk job whose worker died mid-run (its transaction rolled back) is taken again after this.
JOB_STALE_AFTER = dt.timedelta(minutes=15)


@dataclass
class TransitionContext:
    """What a transition's conditions and body may read."""

    record: Any
    actor: Any
    name: str
    opinion: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    client_ip: str | None = None
    now: dt.datetime = field(default_factory=timezone.now)
    # The process taking the transition for the actor ("notice"), if one is.
    driven_by: str | None = None
    # Filled by the service for snapshotting transitions.
    snapshot: dict[str, Any] | None = None
    snapshot_hash: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)
    # Extra audit data a flow's transition body may add.
    audit_data: dict[str, Any] = field(default_factory=dict)


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _acting_membership(transition: Any, record: Any, actor: Any) -> tuple[str, str]:
    """(organization code, role) the actor acted in, for the audit trail."""
    permission = transition.permission
    if isinstance(permission, RolePermission):
        org_id = permission.org_id(record, actor)
        for grant in perms.grants(actor):
            if grant.role == permission.role and (org_id is None or grant.org_id == org_id):
                return grant.org_code, grant.role
        return "", permission.role
    return "", ""


def _stage_problem(flow: BaseFlow, stage: str) -> str | None:
    """Why the stage's checkpoint has not passed for the current revision, or None."""
    record = flow.record
    label = str(CheckpointStage(stage).label)
    if not record.current_revision_hash:
        return _("%(stage)s尚未进行：记录还没有提交的版本") % {"stage": label}
    latest = (
        Checkpoint.objects.filter(
            record_type=record.record_type(),
            record_id=record.pk,
            stage=stage,
            revision_hash=record.current_revision_hash,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is None:
        return _("%(stage)s尚未完成（当前版本）") % {"stage": label}
    if latest.verdict != Verdict.PASS:
        return _("%(stage)s未通过：%(opinion)s") % {"stage": label, "opinion": latest.opinion}
    return None


def _blocking_findings(findings: list[dict[str, Any]]) -> list[str]:
    return [
        _("内容含有禁止提交的词语“%(term)s”（%(field)s，第 %(pos)s 个字符起）")
        % {"term": f["term"], "field": f["field"], "pos": f["start"] + 1}
        for f in findings
        if f["severity"] == Severity.BLOCK
    ]


def evaluate(flow: BaseFlow, transition: Any, ctx: TransitionContext, *, with_opinion: bool) -> list[str]:
    """Every unmet condition of the transition, in words for the user."""
    record = flow.record
    s: Spec = BaseFlow.spec_of(transition)
    reasons: list[str] = []
    if s.driven_by and ctx.driven_by != s.driven_by:
        reasons.append(str(DRIVEN_BY[s.driven_by]))
    if s.window:
        problem = record.round.window_problem(s.window, ctx.now)
        if problem:
            reasons.append(problem)
    if with_opinion:
        if s.opinion == OPINION_REQUIRED and not ctx.opinion.strip():
            reasons.append(_("请填写意见"))
        if len(ctx.opinion) > OPINION_MAX_LENGTH:
            reasons.append(_("意见不得超过 %(n)s 个字符") % {"n": OPINION_MAX_LENGTH})
    flow_class = type(flow)
    for check in flow_class.checks_of(transition):
        reasons.extend(str(r) for r in check(flow, ctx))
    if with_opinion:  # performing it: what the actor sent is checked too
        for check in flow_class.inputs_of(transition):
            reasons.extend(str(r) for r in check(flow, ctx))
    if s.snapshot:
        ctx.snapshot = record.content_snapshot()
        ctx.snapshot_hash = content_hash(ctx.snapshot)
        from .scanner import scan_fields

        ctx.findings = scan_fields(record.scan_text())
        reasons.extend(_blocking_findings(ctx.findings))
    if s.checkpoint and s.checkpoint != "submission":
        problem = _stage_problem(flow, s.checkpoint)
        if problem:
            reasons.append(problem)
    return reasons


def available_transitions(record: WorkflowRecord, user: Any) -> list[dict[str, Any]]:
    """The transitions from the record's state that the user holds the permission for,
    each with whether it can be taken now and, if not, every reason why."""
    flow = record.get_flow()
    result = []
    for transition in flow.outgoing(record.state):
        if not transition.has_perm(flow, user):
            continue
        s = BaseFlow.spec_of(transition)
        ctx = TransitionContext(record=record, actor=user, name=transition.slug)
        reasons = evaluate(flow, transition, ctx, with_opinion=False)
        result.append(
            {
                "name": transition.slug,
                "label": str(transition.label),
                "target": transition.target,
                "target_label": flow.state_label(transition.target),
                "allowed": not reasons,
                "blocked_reasons": reasons,
                "opinion": s.opinion,
                "bulk": s.bulk,
            }
        )
    return result


@retry_on_contention
def transition(
    record: WorkflowRecord,
    name: str,
    *,
    actor: Any,
    opinion: str = "",
    data: dict[str, Any] | None = None,
    client_ip: str | None = None,
    driven_by: str | None = None,
    _locked: bool = False,
    _memo: dict[Any, Any] | None = None,
) -> WorkflowRecord:
    """Move ``record`` along the transition ``name`` of its flow (``driven_by``: the process
    taking a transition that only it may take, e.g. "notice" when a notice is published).

    Side effects, in order, in one database transaction:
    1. locks the record's row (SELECT … FOR UPDATE OF the record only) and re-reads it;
    2. refuses with TransitionConflict (409) if the transition is not available from the
       locked row's state, TransitionForbidden (403) without the role and scope; locks the
       counted scopes its conditions name (``workflows.flows.counted``), then refuses with
       TransitionBlocked (400) listing every unmet condition;
    3. for a snapshotting transition, stores a Revision and the automatic submission
       checkpoint;
    4. runs the flow's transition (which sets the state) and saves the record;
    5. appends the audit event;
    6. writes the outbox rows, whose delivery is enqueued on commit.
    Returns the updated record. A deadlock or serialization failure is retried once, then
    refused with Contention (409) or Busy (503): nothing is half-written. (``_locked`` and
    ``_memo`` are for ``transition_many``: the records it locked and read a moment ago, what
    the listeners prepared for records like this one.)
    """
    model = type(record)
    flow_class = model.flow_class
    if name not in flow_class.all_transitions():
        raise UnknownTransition(name)
    if opinion is None:
        opinion = ""
    if not isinstance(opinion, str):
        raise InvalidInput(_("意见必须是文本"))
    # Who will hear of it is read now, before the record's row is locked: the record's
    # organization and recommending unit are not what a transition changes.
    first = flow_class.all_transitions()[name][0]
    prepared_for = BaseFlow.spec_of(first).event or name
    prepared = hooks.prepare(record=record, event_name=prepared_for, memo=_memo)
    with transaction.atomic():
        locked = record if _locked else lock_record(model, record.pk, related=("round",))
        flow = locked.get_flow()
        from_state = locked.state
        found = flow_class.find(name, from_state)
        if found is None:
            raise TransitionConflict(
                _("记录当前状态为“%(state)s”，无法执行“%(name)s”：可能已被他人处理，请刷新后重试")
                % {"state": flow.state_label(from_state), "name": _label_of(flow_class, name)}
            )
        if not found.has_perm(flow, actor):
            raise TransitionForbidden(_("您没有权限执行“%(name)s”") % {"name": str(found.label)})
        ctx = TransitionContext(
            record=locked,
            actor=actor,
            name=name,
            opinion=opinion.strip(),
            data=dict(data or {}),
            client_ip=client_ip,
            driven_by=driven_by,
        )
        s = BaseFlow.spec_of(found)
        lock_scopes(flow.lock_scopes_for(found, locked))
        reasons = evaluate(flow, found, ctx, with_opinion=True)
        if s.opinion == OPINION_NONE:
            ctx.opinion = ""
        if reasons:
            raise TransitionBlocked(reasons)

        revision: Revision | None = None
        before = _field_values(locked)
        if s.snapshot:
            revision = _store_revision(locked, ctx)
        getattr(flow, name)(ctx)
        to_state = locked.state
        # Only what the transition changed (the state, and what its body set): a record has
        # dozens of columns a full UPDATE would rewrite.
        locked.save(update_fields=[*_changed(locked, before), "updated_at"])

        org_code, role = _acting_membership(found, locked, actor)
        audit_data = dict(ctx.audit_data)
        if revision is not None:
            audit_data["revision"] = revision.number
        if ctx.findings:
            audit_data["findings"] = len(ctx.findings)
        event = audit_append(
            record_type=locked.record_type(),
            record_id=locked.pk,
            action=name,
            actor=actor,
            actor_org=org_code,
            actor_role=role,
            from_state=from_state,
            to_state=to_state,
            opinion=ctx.opinion,
            data=audit_data,
            revision_hash=locked.current_revision_hash,
            client_ip=client_ip,
        )
        event_name = s.event or name
        hooks.record_event(
            record=locked,
            event=event,
            event_name=event_name,
            actor=actor,
            prepared=prepared if event_name == prepared_for else None,
        )
    return locked


@retry_on_contention
def transition_many(
    records: list[WorkflowRecord],
    name: str,
    *,
    actor: Any,
    opinion: str = "",
    client_ip: str | None = None,
    progress: Any = None,
) -> list[WorkflowRecord]:
    """The same transition on many records, all or nothing (bulk actions of CAST staff).

    Side effects, in one database transaction: locks every record's row in primary-key order,
    then the counted scopes of all of them in key order, before writing anything (so a bulk
    action and a single transition on one of its records never deadlock: the single one waits
    for the record or finds it moved on); then those of ``transition`` for each record. It is
    rolled back when any record is refused; TransitionBlocked (TransitionConflict when a record
    had moved on meanwhile) then lists every refusal, each prefixed with the record's title.
    ``progress(n)``, if given, is told after each record.
    """
    problems: list[str] = []
    moved_on = False
    done: list[WorkflowRecord] = []
    if not records:
        return done
    model = type(records[0])
    flow_class = model.flow_class
    memo: dict[Any, Any] = {}
    with transaction.atomic():
        locked = lock_records(model, [r.pk for r in records], related=("round",))
        keys: list[str] = []
        for record in locked.values():
            found = flow_class.find(name, record.state)
            if found is not None:
                keys.extend(flow_class.lock_scopes_for(found, record))
        lock_scopes(keys)
        for number, record in enumerate(records, start=1):
            current = locked.get(record.pk)
            try:
                if current is None:
                    raise TransitionConflict(_("记录已不存在"))
                done.append(
                    transition(
                        current,
                        name,
                        actor=actor,
                        opinion=opinion,
                        client_ip=client_ip,
                        _locked=True,
                        _memo=memo,
                    )
                )
            except (TransitionBlocked, TransitionConflict, TransitionForbidden, UnknownTransition, InvalidInput) as exc:
                problems.extend(f"《{record}》：{e}" for e in exc.errors)
                moved_on = moved_on or isinstance(exc, TransitionConflict)
            if progress is not None:
                progress(number)
        if problems:
            transaction.set_rollback(True)
    if problems:
        # A record someone else moved meanwhile makes the whole request stale: 409, as for one.
        raise (TransitionConflict if moved_on else TransitionBlocked)(problems)
    return done


@dataclass
class BulkOutcome:
    """What a bulk action did: the records moved (done at once) or the job that will move them."""

    done: list[WorkflowRecord] = field(default_factory=list)
    job: Job | None = None


def bulk_transition(
    records: list[WorkflowRecord],
    name: str,
    *,
    actor: Any,
    opinion: str = "",
    client_ip: str | None = None,
) -> BulkOutcome:
    """A bulk action of CAST staff: up to ``BULK_JOB_THRESHOLD`` records at once
    (``transition_many``), more as a background job, so that no web request holds thousands of
    rows for minutes.

    Side effects: those of ``transition_many``; or stores the Job (status pending) and enqueues
    ``workflows.tasks.run_bulk_job`` after commit (eagerly, without a broker, the job has run
    when this returns).
    """
    from django.conf import settings

    if not records:
        raise InvalidInput(_("请至少选择一条记录"))
    flow_class = type(records[0]).flow_class
    if name not in flow_class.all_transitions():
        # Refused before any job is stored, in the words transition_many uses for each record.
        raise TransitionBlocked([f"《{r}》：{UnknownTransition(name).errors[0]}" for r in records])
    if len(records) <= settings.BULK_JOB_THRESHOLD:
        return BulkOutcome(done=transition_many(records, name, actor=actor, opinion=opinion, client_ip=client_ip))
    with transaction.atomic():
        job = Job.objects.create(
            record_type=records[0].record_type(),
            record_ids=[r.pk for r in records],
            transition=name,
            transition_label=_label_of(flow_class, name),
            opinion=opinion or "",
            actor=actor,
            client_ip=client_ip or None,
            total=len(records),
        )
        transaction.on_commit(lambda: _enqueue_job(job.pk))
    job.refresh_from_db()
    return BulkOutcome(job=job)


def _enqueue_job(job_id: int) -> None:
    from .tasks import run_bulk_job

    run_bulk_job.delay(job_id)


def job_run(job_id: int) -> Job | None:
    """Run a pending bulk job (the Celery task's body): all or nothing, its progress published
    in the cache as it goes. A job already taken by another worker is left alone; one left
    running by a worker that died (its transaction rolled back) is taken again after
    ``JOB_STALE_AFTER``. Side effects: the job's status, counts and errors; those of
    ``transition_many``; an in-app message to the job's actor when it ends."""
    from django.core.cache import cache

    from .models import JobStatus, job_progress_key
    from .registry import get_record_model

    now = timezone.now()
    claimed = (
        Job.objects.filter(pk=job_id)
        .filter(
            models.Q(status=JobStatus.PENDING)
            | models.Q(status=JobStatus.RUNNING, started_at__lt=now - JOB_STALE_AFTER)
        )
        .update(status=JobStatus.RUNNING, started_at=now, done=0)
    )
    if not claimed:
        return None
    job = Job.objects.select_related("actor").get(pk=job_id)
    model = get_record_model(job.record_type)
    key = job_progress_key(job.pk)
    cache.set(key, 0, timeout=24 * 3600)
    found = {r.pk: r for r in model.objects.filter(pk__in=job.record_ids)} if model else {}
    missing = [pk for pk in job.record_ids if pk not in found]
    try:
        if missing:
            raise InvalidInput(_("以下记录已不存在：%(ids)s") % {"ids": ", ".join(map(str, missing))})
        transition_many(
            [found[pk] for pk in job.record_ids],
            job.transition,
            actor=job.actor,
            opinion=job.opinion,
            client_ip=job.client_ip,
            progress=lambda n: cache.set(key, n, timeout=24 * 3600),
        )
    except WorkflowError as exc:
        Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, errors=exc.errors, finished_at=timezone.now())
    else:
        Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, done=job.total, finished_at=timezone.now())
    cache.delete(key)
    job.refresh_from_db()
    _tell_job_actor(job)
    return job


def _tell_job_actor(job: Job) -> None:
    from django.conf import settings
    from django.urls import reverse

    with transaction.atomic():
        hooks.tell(
            users=[job.actor],
            message_key="bulk_job_finished",
            context={
                "title": _("批量“%(action)s”（%(n)s 条）") % {"action": job.transition_label, "n": job.total},
                "action_label": str(job.get_status_display()),
                "opinion": "\n".join(job.errors[:20]),
                "url": settings.SITE_URL.rstrip("/") + reverse("workflows:job", args=[job.pk]),
            },
            dedup_base=f"job:{job.pk}:{job.status}",
        )


def _field_values(record: WorkflowRecord) -> dict[str, Any]:
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


def _changed(record: WorkflowRecord, before: dict[str, Any]) -> list[str]:
    return [f.name for f in record._meta.concrete_fields if getattr(record, f.attname) != before[f.attname]]


def _label_of(flow_class: type[BaseFlow], name: str) -> str:
    transitions = flow_class.all_transitions().get(name) or []
    return str(transitions[0].label) if transitions else name


def _store_revision(record: WorkflowRecord, ctx: TransitionContext) -> Revision:
    """Snapshot the content as the next revision, with the automatic submission checkpoint."""
    number = Revision.objects.filter(record_type=record.record_type(), record_id=record.pk).count() + 1
    revision = Revision.objects.create(
        record_type=record.record_type(),
        record_id=record.pk,
        number=number,
        content=ctx.snapshot,
        content_hash=ctx.snapshot_hash,
        created_by=ctx.actor,
    )
    record.current_revision_hash = ctx.snapshot_hash
    Checkpoint.objects.create(
        record_type=record.record_type(),
        record_id=record.pk,
        stage=CheckpointStage.SUBMISSION,
        revision_hash=ctx.snapshot_hash,
        findings=ctx.findings,
        verdict=Verdict.PASS,
        reviewer=None,
        organization_id=record.organization_id,
        opinion=_("自动扫描：无禁止提交的词语；发现 %(n)s 处需关注的词语") % {"n": len(ctx.findings)},
    )
    return revision


@retry_on_contention
def checkpoint_record(
    record: WorkflowRecord,
    *,
    stage: str,
    verdict: str,
    opinion: str,
    actor: Any,
    client_ip: str | None = None,
) -> Checkpoint:
    """A content reviewer's verdict on the current revision at the stage the record needs.

    Side effects, in order: locks the record; scans the current content; stores the
    checkpoint; appends the audit event; writes the outbox rows (enqueued on commit).
    """
    model = type(record)
    errors: list[str] = []
    if stage not in CheckpointStage.values:
        errors.append(_("未知的审核环节“%(stage)s”") % {"stage": stage})
    if verdict not in Verdict.values:
        errors.append(_("审核结论必须是 pass（通过）或 fail（不通过）"))
    if not isinstance(opinion, str) or not opinion.strip():
        errors.append(_("请填写审核意见"))
    elif len(opinion) > OPINION_MAX_LENGTH:
        errors.append(_("意见不得超过 %(n)s 个字符") % {"n": OPINION_MAX_LENGTH})
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = lock_record(model, record.pk)
        flow = locked.get_flow()
        needed = flow.stage_for_state(locked.state)
        if needed != stage:
            raise TransitionConflict(
                _("记录当前状态“%(state)s”不需要“%(stage)s”")
                % {"state": flow.state_label(locked.state), "stage": CheckpointStage(stage).label}
            )
        org_id = flow.responsible_org_id(stage, locked)
        if not perms.is_content_reviewer_in(actor, org_id):
            raise TransitionForbidden(_("只有负责该环节的内容审核员可以作出审核结论"))
        if not locked.current_revision_hash:
            raise TransitionBlocked(_("记录还没有提交的版本，无法审核"))
        from .scanner import scan_fields

        findings = scan_fields(locked.scan_text())
        checkpoint = Checkpoint.objects.create(
            record_type=locked.record_type(),
            record_id=locked.pk,
            stage=stage,
            revision_hash=locked.current_revision_hash,
            findings=findings,
            verdict=verdict,
            reviewer=actor,
            organization_id=org_id,
            opinion=opinion.strip(),
        )
        org_code = next((g.org_code for g in perms.grants(actor) if g.org_id == org_id), "")
        event = audit_append(
            record_type=locked.record_type(),
            record_id=locked.pk,
            action=f"checkpoint_{verdict}",
            actor=actor,
            actor_org=org_code,
            actor_role=Role.CONTENT_REVIEWER,
            from_state=locked.state,
            to_state=locked.state,
            opinion=checkpoint.opinion,
            data={"stage": stage, "findings": len(findings)},
            revision_hash=locked.current_revision_hash,
            client_ip=client_ip,
        )
        hooks.record_event(record=locked, event=event, event_name=f"checkpoint_{verdict}", actor=actor)
    return checkpoint


@retry_on_contention
def assign_panel(
    records: list[WorkflowRecord],
    *,
    stage: str,
    assignees: list[Any],
    actor: Any,
    due_date: dt.date | None = None,
    client_ip: str | None = None,
) -> list[ReviewAssignment]:
    """Give every one of ``assignees`` a task on every one of ``records`` (a panel of experts
    for one record, or for many at once): all or nothing.

    Side effects: as ``assignment_create`` for each pair, inside one transaction; when any
    pair is refused nothing is stored and InvalidInput lists every refusal (with the record's
    name when there are several records).
    """
    if not assignees:
        raise InvalidInput(_("请选择评审专家"))
    errors: list[str] = []
    created: list[ReviewAssignment] = []
    with transaction.atomic():
        if records:
            lock_records(type(records[0]), [r.pk for r in records])
        for record in records:
            for assignee in assignees:
                try:
                    created.append(
                        assignment_create(
                            record, stage=stage, assignee=assignee, actor=actor, due_date=due_date, client_ip=client_ip
                        )
                    )
                except TransitionForbidden:
                    raise
                except WorkflowError as exc:
                    prefix = f"{record}：" if len(records) > 1 else ""
                    errors.extend(f"{prefix}{error}" for error in exc.errors)
        if errors:
            # A partly assigned panel would be a surprise: roll everything back.
            transaction.set_rollback(True)
    if errors:
        raise InvalidInput(list(dict.fromkeys(errors)))
    return created


@retry_on_contention
def assignment_create(
    record: WorkflowRecord,
    *,
    stage: str,
    assignee: Any,
    actor: Any,
    due_date: dt.date | None = None,
    client_ip: str | None = None,
) -> ReviewAssignment:
    """Give ``assignee`` a task on the record (e.g. an expert's review).

    Side effects, in order: refuses unless the actor is CAST staff, the assignee an expert
    without a conflict of interest and not already assigned; stores the assignment; appends
    the audit event; writes the outbox rows.
    """
    if not perms.is_cast_staff(actor):
        raise TransitionForbidden(_("只有中国科协工作人员可以分配评审任务"))
    errors: list[str] = []
    if not stage or len(stage) > 30:
        errors.append(_("请指定评审环节"))
    if not perms.has_role(assignee, Role.EXPERT):
        errors.append(_("%(user)s 不是评审专家") % {"user": perms.user_label(assignee)})
    conflict = perms.expert_conflict(assignee, record)
    if conflict:
        errors.append(f"{perms.user_label(assignee)}：{conflict}")
    if due_date is not None and due_date < timezone.localdate():
        errors.append(_("截止日期不能早于今天"))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = lock_record(type(record), record.pk)
        flow = locked.get_flow()
        allowed_states = flow.assignment_states.get(stage)
        if allowed_states is not None and locked.state not in allowed_states:
            raise TransitionConflict(
                _("记录当前状态为“%(state)s”，不能分配“%(stage)s”任务")
                % {"state": flow.state_label(locked.state), "stage": stage}
            )
        if ReviewAssignment.objects.filter(
            record_type=locked.record_type(),
            record_id=locked.pk,
            stage=stage,
            assignee=assignee,
            status=AssignmentStatus.OPEN,
        ).exists():
            raise InvalidInput(_("%(user)s 已被分配该记录的此项任务") % {"user": perms.user_label(assignee)})
        assignment = ReviewAssignment.objects.create(
            record_type=locked.record_type(),
            record_id=locked.pk,
            stage=stage,
            assignee=assignee,
            assigned_by=actor,
            due_date=due_date,
        )
        event = audit_append(
            record_type=locked.record_type(),
            record_id=locked.pk,
            action="assign",
            actor=actor,
            actor_org=_cast_code(actor),
            actor_role=Role.CAST_STAFF,
            from_state=locked.state,
            to_state=locked.state,
            data={
                "stage": stage,
                "assignee": assignee.username,
                "due_date": due_date.isoformat() if due_date else None,
            },
            revision_hash=locked.current_revision_hash,
            client_ip=client_ip,
        )
        hooks.record_event(record=locked, event=event, event_name="assigned", actor=actor, recipients=[assignee])
    return assignment


@retry_on_contention
def assignment_withdraw(
    assignment: ReviewAssignment, *, actor: Any, reason: str, client_ip: str | None = None
) -> ReviewAssignment:
    """CAST staff take an open task back from its assignee (an expert who cannot review, a
    conflict of interest found late), with the reason.

    Side effects, in order: refuses anyone but CAST staff, an empty or over-long reason, a task
    no longer open or a record past the task's stage; locks the record, then the task; marks it
    withdrawn; appends the audit event "assignment_withdrawn" (the reason as its opinion); tells
    the assignee. The expert's score, if any, stays: only an open task can be withdrawn.
    """
    return _withdraw(assignment, actor=actor, reason=reason, client_ip=client_ip)[1]


def _withdraw(
    assignment: ReviewAssignment, *, actor: Any, reason: str, client_ip: str | None
) -> tuple[WorkflowRecord, ReviewAssignment]:
    from .registry import get_record_model

    if not perms.is_cast_staff(actor):
        raise TransitionForbidden(_("只有中国科协工作人员可以撤回评审任务"))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput(_("请填写撤回理由"))
    if len(reason) > OPINION_MAX_LENGTH:
        raise InvalidInput(_("意见不得超过 %(n)s 个字符") % {"n": OPINION_MAX_LENGTH})
    model = get_record_model(assignment.record_type)
    with transaction.atomic():
        # The record first (its chain takes the event), then the task: the lock order.
        record = lock_record(model, assignment.record_id)
        locked = ReviewAssignment.objects.select_for_update().select_related("assignee").get(pk=assignment.pk)
        if locked.status != AssignmentStatus.OPEN:
            raise TransitionConflict(_("该任务已不在待办状态，不能撤回"))
        flow = record.get_flow()
        states = flow.assignment_states.get(locked.stage)
        if states is not None and record.state not in states:
            raise TransitionConflict(
                _("记录当前状态为“%(state)s”，评审任务已不能变更") % {"state": flow.state_label(record.state)}
            )
        ReviewAssignment.objects.filter(pk=locked.pk).update(
            status=AssignmentStatus.WITHDRAWN, completed_at=timezone.now()
        )
        locked.refresh_from_db()
        event = audit_append(
            record_type=locked.record_type,
            record_id=locked.record_id,
            action="assignment_withdrawn",
            actor=actor,
            actor_org=_cast_code(actor),
            actor_role=Role.CAST_STAFF,
            from_state=record.state,
            to_state=record.state,
            opinion=reason,
            data={"stage": locked.stage, "assignee": locked.assignee.username},
            revision_hash=record.current_revision_hash,
            client_ip=client_ip,
        )
        hooks.record_event(
            record=record,
            event=event,
            event_name="assignment_withdrawn",
            actor=actor,
            recipients=[locked.assignee],
        )
    return record, locked


@retry_on_contention
def assignment_replace(
    assignment: ReviewAssignment,
    *,
    actor: Any,
    assignee: Any,
    reason: str,
    due_date: dt.date | None = None,
    client_ip: str | None = None,
) -> ReviewAssignment:
    """CAST staff give an open task to another expert: the old task withdrawn with the reason
    and the new one created, both or neither (``assignment_withdraw`` then
    ``assignment_create``, in one transaction; the new task keeps the old due date unless
    another is given). Returns the new task."""
    if assignee is not None and assignee.pk == assignment.assignee_id:
        raise InvalidInput(_("请选择另一位评审专家"))
    with transaction.atomic():
        record, old = _withdraw(assignment, actor=actor, reason=reason, client_ip=client_ip)
        return assignment_create(
            record,
            stage=old.stage,
            assignee=assignee,
            actor=actor,
            # An overdue task (the usual reason to replace it) passes on no date in the past.
            due_date=due_date
            if due_date is not None
            else (old.due_date if old.due_date and old.due_date >= timezone.localdate() else None),
            client_ip=client_ip,
        )


def _cast_code(actor: Any) -> str:
    return next((g.org_code for g in perms.grants(actor) if g.org_type == "cast"), "")
