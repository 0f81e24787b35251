"""Every read of workflow records that depends on who is asking.

The scope rules of docs/domain.md: applicants see their organization's records; reviewers those
whose recommending unit is theirs (drafts never); content reviewers those waiting on, or
once passed by, a checkpoint of their organization; experts only records assigned to them
without a conflict of interest; CAST staff everything from "recommended" on; the auditor
everything. Anything else is invisible (answered 404, never 403).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts import permissions as perms
from accounts.models import OrgType, Role

from .models import AssignmentStatus, AuditEvent, Checkpoint, ReviewAssignment, WorkflowRecord


def visible_records(model: type[WorkflowRecord], *, user: Any) -> QuerySet:
    """The records of ``model`` the user may see."""
    qs = model.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    if perms.is_auditor(user):
        return qs
    flow = model.flow_class
    grants = perms.grants(user)
    label = model.record_type()
    draft = flow.States.DRAFT
    condition = Q(pk__in=[])
    applicant_orgs = {g.org_id for g in grants if g.role == Role.APPLICANT}
    if applicant_orgs:
        condition |= Q(organization_id__in=applicant_orgs)
    reviewer_orgs = {g.org_id for g in grants if g.role == Role.SOCIETY_REVIEWER}
    if reviewer_orgs:
        # Only what was ever submitted to them: a draft, or one withdrawn before submission, is
        # the applicant's own business.
        condition |= Q(recommending_unit_id__in=reviewer_orgs) & ~Q(state=draft) & ~Q(current_revision_hash="")
    if perms.is_cast_staff(user):
        condition |= Q(state__in=flow.cast_visible_states)
        # A record CAST returned at formal review stays CAST's business until it is resubmitted:
        # its staff extend its 补正期限 or decline it once it lapsed.
        returned = getattr(flow.States, "RETURNED", None)
        if returned is not None:
            condition |= Q(state=returned, returned_by_stage="cast")
    content_orgs = {g.org_id for g in grants if g.role == Role.CONTENT_REVIEWER}
    if content_orgs:
        waiting_states = {state for state in flow.States.values if flow.stage_for_state(state) == "recommender"}
        condition |= Q(recommending_unit_id__in=content_orgs, state__in=waiting_states)
        if any(g.org_type == OrgType.CAST for g in grants if g.role == Role.CONTENT_REVIEWER):
            cast_states = {
                state for state in flow.States.values if flow.stage_for_state(state) in {"cast", "publication"}
            }
            condition |= Q(state__in=cast_states)
        condition |= Exists(
            Checkpoint.objects.filter(
                record_type=label, record_id=OuterRef("pk"), organization_id__in=content_orgs
            ).exclude(reviewer=None)
        )
    if perms.is_expert(user):
        own = {g.org_id for g in grants if g.org_type != OrgType.CAST}
        assigned = Exists(
            ReviewAssignment.objects.filter(record_type=label, record_id=OuterRef("pk"), assignee_id=user.pk).exclude(
                status=AssignmentStatus.WITHDRAWN
            )
        )
        condition |= assigned & ~Q(organization_id__in=own) & ~Q(recommending_unit_id__in=own)
    return qs.filter(condition)


def get_visible_record(model: type[WorkflowRecord], pk: Any, *, user: Any) -> WorkflowRecord | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return visible_records(model, user=user).select_related("round").filter(pk=pk).first()


def has_open_assignment(record: WorkflowRecord, user: Any, stage: str | None = None) -> bool:
    qs = ReviewAssignment.objects.filter(
        record_type=record.record_type(),
        record_id=record.pk,
        assignee_id=user.pk,
        status=AssignmentStatus.OPEN,
    )
    if stage:
        qs = qs.filter(stage=stage)
    return qs.exists()


# Events that name a record's experts or their scores.
EXPERT_ACTIONS = ("assign", "assignment_done", "assignment_withdrawn", "score")


def record_history(record: WorkflowRecord, *, user: Any) -> QuerySet:
    """The audit events of a record the user may see, oldest first.

    Who the experts are and how they scored is for CAST staff and the auditor: anyone else
    sees only their own expert tasks and scores (as ``record_assignments`` and the scores).
    """
    qs = AuditEvent.objects.filter(record_type=record.record_type(), record_id=record.pk).order_by("record_seq")
    if perms.is_cast_staff(user) or perms.is_auditor(user):
        return qs
    # An event an expert acted in (a transition a flow gives experts) names them too.
    expert_events = Q(action__in=EXPERT_ACTIONS) | Q(actor_role=Role.EXPERT)
    own = [
        pk
        for pk, actor_id, data in qs.filter(expert_events).values_list("pk", "actor_id", "data")
        if actor_id == user.pk or (data or {}).get("assignee") == user.username
    ]
    return qs.filter(~expert_events | Q(pk__in=own))


def history_entries(record: WorkflowRecord, *, user: Any) -> list[dict[str, Any]]:
    """The record's audit events with labels for people: action, states, stage."""
    from .flows import action_label
    from .models import CheckpointStage

    flow = record.flow_class
    entries = []
    for event in record_history(record, user=user):
        stage = (event.data or {}).get("stage")
        entries.append(
            {
                "event": event,
                "action_label": action_label(flow, event.action),
                "from_label": flow.state_label(event.from_state) if event.from_state else "",
                "to_label": flow.state_label(event.to_state) if event.to_state else "",
                "stage_label": str(CheckpointStage(stage).label) if stage in CheckpointStage.values else (stage or ""),
            }
        )
    return entries


def shown_finding(finding: dict[str, Any]) -> dict[str, Any]:
    """A stored finding as the content reviewer sees it: where the term stands in its excerpt
    (``excerpt_start``/``excerpt_end``, and the three pieces for the page to mark it), and
    whether it is of the highest severity (``highest``: the decision must be written out)."""
    from .models import Severity
    from .scanner import EXCERPT_CONTEXT

    start, end = int(finding.get("start", 0)), int(finding.get("end", 0))
    excerpt = str(finding.get("excerpt", ""))
    # scan_fields cut the excerpt EXCERPT_CONTEXT characters before the match, or at 0.
    at = min(start, EXCERPT_CONTEXT)
    until = min(len(excerpt), at + max(0, end - start))
    return {
        **finding,
        "excerpt_start": at,
        "excerpt_end": until,
        "before": excerpt[:at],
        "marked": excerpt[at:until],
        "after": excerpt[until:],
        "highest": finding.get("severity") == Severity.BLOCK,
    }


def content_reviews(record: WorkflowRecord, *, user: Any) -> list[dict[str, Any]]:
    """One entry per checkpoint stage of the record's flow, for the current revision.

    status: ``required`` the stage the current state needs and not yet passed; ``passed``
    or ``failed`` the latest verdict on the current revision; ``flagged`` the automatic scan
    found terms of the highest severity (for the reviewer of the next stage to decide on);
    ``not_yet`` otherwise. The stage awaiting its reviewer shows what a scan of the content
    finds now (with the current terms and their exceptions): what the verdict will answer for.
    ``decision_required``: the stage awaits a person's verdict that must be written out because
    of findings of the highest severity; ``addressed``: those the latest verdict answered for.
    """
    from .models import CheckpointStage, Verdict
    from .scanner import scan_fields

    flow = record.get_flow()
    needed = flow.stage_for_state(record.state)
    rows = list(
        Checkpoint.objects.filter(record_type=record.record_type(), record_id=record.pk)
        .select_related("reviewer", "organization")
        .order_by("created_at", "pk")
    )
    result = []
    for stage in flow.stages():
        current = [r for r in rows if r.stage == stage and r.revision_hash == record.current_revision_hash]
        latest = current[-1] if current else None
        findings = latest.findings if latest else []
        if stage == needed and (latest is None or latest.verdict != Verdict.PASS) and record.current_revision_hash:
            findings = scan_fields(record.scan_text())
        shown = [shown_finding(f) for f in findings]
        highest = any(f["highest"] for f in shown)
        if latest is not None and stage == "submission" and highest:
            status = "flagged"
        elif latest is not None and latest.verdict == Verdict.PASS:
            status = "passed"
        elif latest is not None and stage == needed:
            status = "failed" if latest.verdict == Verdict.FAIL else "required"
        elif stage == needed:
            status = "required"
        elif latest is not None:
            status = "failed"
        else:
            status = "not_yet"
        result.append(
            {
                "stage": stage,
                "label": str(CheckpointStage(stage).label),
                "status": status,
                "findings": shown,
                "decision_required": stage == needed and status != "passed" and highest,
                "addressed": [shown_finding(f) for f in (latest.addressed if latest else [])],
                "reviewer": perms.user_label(latest.reviewer) if latest and latest.reviewer else "",
                "organization": latest.organization.code if latest and latest.organization else "",
                "opinion": latest.opinion if latest else "",
                "revision": record.current_revision_hash,
                "reviewed_at": latest.created_at.isoformat() if latest else None,
            }
        )
    return result


TASK_ORDERINGS = {
    "due": ("due_date", "pk"),
    "-due": ("-due_date", "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
}


def my_assignments(
    *, user: Any, status: str | None = AssignmentStatus.OPEN, stage: str | None = None, ordering: str | None = None
) -> QuerySet:
    """The user's own tasks ("my tasks"), soonest due first unless ``ordering`` says
    otherwise (``due``, ``-due``, ``created``, ``-created``)."""
    qs = ReviewAssignment.objects.filter(assignee_id=user.pk)
    if status:
        qs = qs.filter(status=status)
    if stage:
        qs = qs.filter(stage=stage)
    return qs.order_by(*TASK_ORDERINGS.get(ordering or "", TASK_ORDERINGS["due"]))


def with_records(assignments: list[ReviewAssignment]) -> list[ReviewAssignment]:
    """Each assignment with ``.record`` set (None when its type is unknown): one query per
    record type on the page, however many tasks it shows."""
    from .registry import get_record_model

    wanted: dict[str, set[int]] = {}
    for a in assignments:
        wanted.setdefault(a.record_type, set()).add(a.record_id)
    found: dict[tuple[str, int], Any] = {}
    for label, ids in wanted.items():
        model = get_record_model(label)
        if model is not None:
            found.update(((label, r.pk), r) for r in model.objects.filter(pk__in=ids))
    for a in assignments:
        a.record = found.get((a.record_type, a.record_id))
    return assignments


def record_assignments(record: WorkflowRecord, *, user: Any) -> QuerySet:
    """A record's assignments: all of them for CAST staff and the auditor, else the user's own."""
    qs = ReviewAssignment.objects.filter(record_type=record.record_type(), record_id=record.pk)
    if not (perms.is_cast_staff(user) or perms.is_auditor(user)):
        qs = qs.filter(assignee_id=user.pk)
    return qs.order_by("pk")


def job_for(pk: int, *, user: Any) -> Any:
    """A background job the user may follow: their own, or any for CAST staff and the auditor;
    None otherwise (answered as not found)."""
    from .models import Job

    job = Job.objects.filter(pk=pk).first()
    if job is None:
        return None
    if job.actor_id == user.pk or perms.is_cast_staff(user) or perms.is_auditor(user):
        return job
    return None
