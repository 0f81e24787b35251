"""Weighted expert scoring and rankings, shared by applications and nominations.

Ties are ties (shown on every ranking page): records with the same mean weighted score share
one rank (competition ranking: 1, 2=, 2=, 4) and are marked ``tied``. Nothing breaks a tie — not
the spread of the scores, not the order of submission: a tie goes back to the expert panel or to
the 审定 decision meeting. Within a tie the rows are listed by name (then id, for a stable page),
for reading only; that order means nothing.
"""

from __future__ import annotations

import statistics
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .round_settings import Criterion

TIE_BREAK_RULE = gettext_lazy(
    "均分相同者为并列，名次相同（标“=”），由评审组或审定会议决定，不按离散度或提交先后排定；并列者之间按名称排列，仅为便于阅读，不代表先后"
)


def weigh(criteria: list[Criterion], scores: Any, comment: Any) -> tuple[dict[str, int], Decimal, str]:
    """Check 0–100 integer scores for every criterion and a comment; return (scores, weighted
    total, comment) or raise InvalidInput listing every problem."""
    from .exceptions import InvalidInput

    if not isinstance(scores, dict):
        raise InvalidInput(_("评分必须按评分指标给出"))
    errors = [_("未知的评分指标：%(key)s") % {"key": key} for key in sorted(set(scores) - {c.key for c in criteria})]
    values: dict[str, int] = {}
    for c in criteria:
        raw = scores.get(c.key)
        if raw in (None, ""):
            errors.append(_("请为“%(label)s”打分") % {"label": c.label})
            continue
        try:
            value = int(str(raw))
        except ValueError:
            value = None
        if value is None or isinstance(raw, bool) or not 0 <= value <= 100 or str(raw).strip() != str(value):
            errors.append(_("“%(label)s”的分数必须是 0–100 的整数") % {"label": c.label})
            continue
        values[c.key] = value
    comment = comment.strip() if isinstance(comment, str) else ""
    if not comment:
        errors.append(_("请填写评审意见"))
    elif len(comment) > 5000:
        errors.append(_("评审意见不得超过 5000 个字符"))
    if errors:
        raise InvalidInput(errors)
    total = sum(Decimal(values[c.key]) * c.weight for c in criteria) / Decimal(100)
    return values, total.quantize(Decimal("0.01")), comment


def rank(records: list[Any], totals_of: Any) -> list[dict[str, Any]]:
    """Rows {record, mean, spread, stdev, count, rank, tied, rank_label}, ranked by mean; equal
    means share a rank and are ``tied`` (TIE_BREAK_RULE)."""
    rows = []
    for record in records:
        totals = list(totals_of(record))
        rows.append(
            {
                "record": record,
                "mean": (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01")) if totals else None,
                "spread": (max(totals) - min(totals)) if totals else None,
                "stdev": Decimal(str(round(statistics.pstdev([float(t) for t in totals]), 2))) if totals else None,
                "count": len(totals),
            }
        )
    # Equal means are a tie: the order among them is by name (then id, only so the page is
    # stable), for reading only — never creation time, never the spread.
    rows.sort(key=lambda r: (r["mean"] is None, -(r["mean"] or 0), str(r["record"]), r["record"].pk))
    for position, row in enumerate(rows, start=1):
        before = rows[position - 2] if position > 1 else None
        row["rank"] = before["rank"] if before is not None and before["mean"] == row["mean"] else position
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["rank"]] = counts.get(row["rank"], 0) + 1
    for row in rows:
        row["tied"] = counts[row["rank"]] > 1
        row["rank_label"] = f"{row['rank']}=" if row["tied"] else str(row["rank"])
    return rows


def tied_with(rows: list[dict[str, Any]], record_id: int) -> list[Any]:
    """The records that share the given record's rank (itself included)."""
    mine = next((r["rank"] for r in rows if r["record"].pk == record_id), None)
    return [r["record"] for r in rows if mine is not None and r["rank"] == mine]


# -- the scores of any record type (workflows.models.Score) -------------------------------------


def scores_query(record: Any) -> Any:
    from .models import Score

    return Score.objects.filter(record_type=record.record_type(), record_id=record.pk)


def scores_of(record: Any, *, user: Any) -> Any:
    """Experts' scores: CAST staff and the auditor see all; an expert only their own."""
    from accounts import permissions as perms

    qs = scores_query(record).select_related("expert").order_by("pk")
    if perms.is_cast_staff(user) or perms.is_auditor(user):
        return qs
    return qs.filter(expert_id=user.pk)


def totals_by_record(model: Any, ids: list[int]) -> dict[int, list[Decimal]]:
    """Every record's score totals, in one query."""
    from .models import Score

    found: dict[int, list[Decimal]] = {pk: [] for pk in ids}
    rows = Score.objects.filter(record_type=model._meta.label_lower, record_id__in=ids).order_by("pk")
    for record_id, total in rows.values_list("record_id", "total"):
        found.setdefault(record_id, []).append(total)
    return found


def group_ranking(record_type: Any, *, round_id: int, group: Any = None) -> list[dict[str, Any]]:
    """The ranking of a round (of one group: a sub-project, a category), unscoped: for flow
    conditions and for the scoped ``ranking``."""
    qs = record_type.model.objects.filter(round_id=round_id, state__in=record_type.ranked_states).select_related(
        "organization", *record_type.ranking_related
    )
    if group is not None and record_type.group_field:
        qs = qs.filter(**{record_type.group_field: group})
    records = list(qs)
    totals = totals_by_record(record_type.model, [r.pk for r in records])
    return rank(records, lambda r: totals.get(r.pk, []))


def ranking(record_type: Any, *, user: Any, round_id: int, group: Any = None) -> list[dict[str, Any]]:
    """The ranking, for CAST staff and the auditor (nobody else ranks: empty)."""
    from accounts import permissions as perms

    if not (perms.is_cast_staff(user) or perms.is_auditor(user)):
        return []
    return group_ranking(record_type, round_id=round_id, group=group)


def score_submit(record: Any, *, actor: Any, scores: Any, comment: Any, stage: str = "expert") -> Any:
    """An assigned expert scores the record on its criteria (0–100 per criterion, weighted).

    Side effects, in order: validates the scores and comment (every problem listed); locks the
    record; refuses with a conflict of interest, without an open or done assignment, or outside
    expert review; stores or replaces the score; marks the assignment done; appends the audit
    event "score". Retried once on a deadlock (as every write).
    """
    from .locks import retry_on_contention

    return retry_on_contention(_score_submit)(record, actor=actor, scores=scores, comment=comment, stage=stage)


def _score_submit(record: Any, *, actor: Any, scores: Any, comment: Any, stage: str) -> Any:
    from django.db import transaction
    from django.utils import timezone

    from accounts import permissions as perms
    from accounts.models import Role

    from .audit import audit_append
    from .exceptions import TransitionConflict, TransitionForbidden
    from .locks import lock_record
    from .models import AssignmentStatus, ReviewAssignment, Score
    from .registry import record_type_of

    record_type = record_type_of(record)
    noun = record_type.noun if record_type else _("记录")
    values, total, comment = weigh(record_type.criteria(record) if record_type else [], scores, comment)
    with transaction.atomic():
        locked = lock_record(type(record), record.pk)
        conflict = perms.expert_conflict(actor, locked)
        if conflict:
            raise TransitionForbidden(conflict)
        assignment = (
            ReviewAssignment.objects.select_for_update()
            .filter(record_type=locked.record_type(), record_id=locked.pk, stage=stage, assignee=actor)
            .exclude(status=AssignmentStatus.WITHDRAWN)
            .first()
        )
        if assignment is None:
            raise TransitionForbidden(_("您没有该%(noun)s的评审任务") % {"noun": noun})
        if locked.state not in locked.flow_class.scoring_states:
            raise TransitionConflict(_("%(noun)s已不在专家评审阶段，不能评分") % {"noun": noun})
        score, _created = Score.objects.update_or_create(
            record_type=locked.record_type(),
            record_id=locked.pk,
            expert=actor,
            defaults={"scores": values, "total": total, "comment": comment},
        )
        if assignment.status == AssignmentStatus.OPEN:
            ReviewAssignment.objects.filter(pk=assignment.pk).update(
                status=AssignmentStatus.DONE, completed_at=timezone.now()
            )
        audit_append(
            record_type=locked.record_type(),
            record_id=locked.pk,
            action="score",
            actor=actor,
            actor_org=next((g.org_code for g in perms.grants(actor) if g.role == Role.EXPERT), ""),
            actor_role=Role.EXPERT,
            from_state=locked.state,
            to_state=locked.state,
            opinion=comment,
            data={"scores": values, "total": str(total)},
            revision_hash=locked.current_revision_hash,
        )
    return score
