"""The Zhihui Action application flow (docs/flows.md, "Zhihui Action application")."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from common.money import wan
from notices.stage import public_notice
from workflows import conditions, revision
from workflows.flows import CAST_STAFF, OPINION_REQUIRED, RETURNED_BY_CAST, StandardFlow, Tell, counted, spec

from . import sections


def unit_limit_scope(record: Any) -> list[str]:
    """The unit's applications to one sub-project of a round (the per-unit limit)."""
    return [f"limit:{record.record_type()}:{record.round_id}:{record.organization_id}:{record.subproject_id}"]


def name_scope(record: Any) -> list[str]:
    """Applications of a round under one project name (duplicates across units)."""
    return [f"name:{record.record_type()}:{record.round_id}:{''.join((record.name or '').split())}"]


class ApplicationState(models.TextChoices):
    DRAFT = "draft", gettext_lazy("草稿")
    SUBMITTED = "submitted", gettext_lazy("已提交（待推荐单位审核）")
    RETURNED = "returned", gettext_lazy("退回修改")
    RECOMMENDED = "recommended", gettext_lazy("已推荐（待中国科协审核）")
    NOT_RECOMMENDED = "not_recommended", gettext_lazy("不予推荐")
    EXPERT_REVIEW = "expert_review", gettext_lazy("专家评审")
    PROPOSED = "proposed", gettext_lazy("拟立项")
    PUBLIC_NOTICE = "public_notice", gettext_lazy("公示中")
    APPROVED = "approved", gettext_lazy("已立项")
    REJECTED = "rejected", gettext_lazy("不予立项")
    WITHDRAWN = "withdrawn", gettext_lazy("已撤回")


S = ApplicationState
# States that hold a recommendation of the recommending unit (they count against its quota).
RECOMMENDED_STATES = frozenset({S.RECOMMENDED, S.EXPERT_REVIEW, S.PROPOSED, S.PUBLIC_NOTICE, S.APPROVED})
# States of an application that is alive in the round (for duplicate detection, 多头申报).
ACTIVE_STATES = frozenset({S.SUBMITTED, S.RETURNED, *RECOMMENDED_STATES})

REQUIRED_FIELDS = (
    "name",
    "leader_name",
    "leader_mobile",
    "region_province",
    "target_groups",
    "period_start",
    "period_end",
    "basis",
    "content",
    "outcomes",
    "conditions",
    "requested_amount",
    "commitment_signer",
)


def sections_complete(flow: Any, ctx: Any) -> Iterable[str]:
    """The sub-project's own section (its kind's fields), the common section, a schedule and a
    绩效目标表 with every kind of indicator it needs (applications.sections)."""
    record = flow.record
    kind = record.subproject.section
    # Values kept from another sub-project's kind (the sub-project was changed) are named too.
    _values, problems = kind.clean(record.section)
    yield from problems
    yield from kind.missing(record.section)
    yield from sections.COMMON.missing(record.common)
    if not record.schedule:
        yield _("请填写实施进度安排（至少一行）")
    yield from sections.targets_missing(record.performance)


@counted(unit_limit_scope)
def application_complete(flow: Any, ctx: Any) -> Iterable[str]:
    """The form is complete: its budget, sealed form, commitment and the unit's eligibility."""
    record = flow.record
    settings = record.round.typed_settings
    if record.name and len(record.name) > settings.name_max_length:
        yield _("项目名称不得超过 %(n)s 个字（现为 %(m)s 个）") % {
            "n": settings.name_max_length,
            "m": len(record.name),
        }
    if record.period_start and record.period_end and record.period_end <= record.period_start:
        yield _("实施结束日期必须晚于开始日期")
    if not record.team.exists():
        yield _("请至少填写一名团队成员")
    lines = list(record.budget_lines.all())
    if not lines:
        yield _("请填写预算明细")
    elif record.requested_amount is not None:
        total = sum((line.amount for line in lines), Decimal("0"))
        if total != record.requested_amount:
            yield _("预算明细合计 %(total)s 元，与申请金额 %(requested)s 元不一致") % {
                "total": f"{total:,.2f}",
                "requested": f"{record.requested_amount:,.2f}",
            }
    if record.requested_amount is not None:
        if record.requested_amount <= 0:
            yield _("申请金额必须大于 0")
        elif not settings.funding_min_yuan <= record.requested_amount <= settings.funding_max_yuan:
            # The round's funding range (资助额度), as CAST words it: in 万元.
            yield _("申请金额 %(amount)s 万元不在本批次资助额度 %(min)s～%(max)s 万元之内") % {
                "amount": wan(record.requested_amount),
                "min": wan(settings.funding_min_yuan),
                "max": wan(settings.funding_max_yuan),
            }
    if not record.commitment:
        yield _("请勾选内容承诺（材料真实、内容经过审核、接受监督检查和评估）")
    yield from sealed_application(flow, ctx)
    org = record.organization
    sub = record.subproject
    if sub.round_id != record.round_id:
        yield _("子项目不属于本批次")
    problem = sub.eligibility_problem(org)
    if problem:
        yield problem
    others = live_of_same_unit(record)
    limit = sub.limit_for_round()
    if others >= limit:
        # 限项: the sub-project's limit per unit and round (not 多头申报, the same project
        # through several channels, which formal review looks for).
        yield _("本单位在本批次“%(sub)s”已有 %(n)s 项申报，达到限报数（%(limit)s 项）") % {
            "sub": sub.name,
            "n": others,
            "limit": limit,
        }


def live_of_same_unit(record: Any) -> int:
    """The unit's other live applications to the record's sub-project in its round."""
    return (
        type(record)
        .objects.filter(
            round_id=record.round_id,
            organization_id=record.organization_id,
            subproject_id=record.subproject_id,
            state__in=ACTIVE_STATES,
        )
        .exclude(pk=record.pk)
        .count()
    )


# 多头申报: how alike two applications' main content must be (difflib's ratio, 0–1) to count as
# the same project when they have the same leader (name and mobile).
SIMILAR_CONTENT = 0.6


def _squeezed(text: str | None) -> str:
    return "".join((text or "").split())


def duplicates(record: Any) -> list[dict[str, Any]]:
    """Other live applications of the round that look like the same project (多头申报: one
    project put forward by more than one unit or channel): the same project name (spaces
    ignored), or the same leader (name and mobile) with similar main content (SIMILAR_CONTENT).
    Each: id, name, unit, recommending unit, state and why (``reasons``: "name", "leader").
    Flagged to CAST staff at formal review, not refused: passing needs a written opinion. A
    unit's several applications to one sub-project are 限项's business (checked at submission)."""
    import difflib

    name = _squeezed(record.name)
    leader = (record.leader_name or "").strip(), _squeezed(record.leader_mobile)
    content = _squeezed(record.content)
    # The candidates in the database (same name, or same leader name); the rest in Python.
    candidates = models.Q(name__in={name, record.name})
    if all(leader):
        candidates |= models.Q(leader_name=leader[0])
    others = (
        type(record)
        .objects.filter(candidates, round_id=record.round_id, state__in=ACTIVE_STATES)
        .exclude(pk=record.pk)
        .select_related("organization", "recommending_unit")
        .order_by("pk")
    )
    found = []
    for other in others:
        reasons = []
        if name and _squeezed(other.name) == name:
            reasons.append("name")
        if (
            all(leader)
            and ((other.leader_name or "").strip(), _squeezed(other.leader_mobile)) == leader
            and content
            and difflib.SequenceMatcher(None, content, _squeezed(other.content), autojunk=False).ratio()
            >= SIMILAR_CONTENT
        ):
            reasons.append("leader")
        if reasons:
            found.append(
                {
                    "id": other.pk,
                    "name": other.name,
                    "organization": other.organization.name,
                    "recommending_unit": other.recommending_unit.name if other.recommending_unit_id else None,
                    "state": other.state,
                    "state_label": type(record).flow_class.state_label(other.state),
                    "reasons": reasons,
                }
            )
    return found


DUPLICATE_REASONS = {
    "name": gettext_lazy("项目名称相同"),
    "leader": gettext_lazy("负责人（姓名和手机）相同且主要内容相近"),
}


@counted(lambda record: [*unit_limit_scope(record), *name_scope(record)])
def duplicates_need_opinion(flow: Any, ctx: Any) -> Iterable[str]:
    """Suspected 多头申报 (the same project from another unit or channel) needs a written opinion

    Every suspected duplicate is listed (name, unit, state, why); with an opinion it passes."""
    if (ctx.opinion or "").strip():
        return
    for other in duplicates(flow.record):
        yield _("疑似多头申报：与《%(name)s》（%(org)s，状态：%(state)s；%(why)s）相似，通过形式审查须填写意见") % {
            "name": other["name"],
            "org": other["organization"],
            "state": other["state_label"],
            "why": "、".join(str(DUPLICATE_REASONS[r]) for r in other["reasons"]),
        }


quota_left = conditions.quota(
    group="subproject_id",
    limit=lambda record: record.subproject.quota_for_round(),
    states=RECOMMENDED_STATES,
    message=lambda record, quota: (
        _("本单位“%(sub)s”的推荐名额（%(quota)s 个）已用完") % {"sub": record.subproject.name, "quota": quota}
    ),
    doc="The recommending unit's quota for the sub-project has a place left",
)
recommender_opinion_attached = conditions.attached(
    "recommender_opinion",
    gettext_lazy("请上传推荐单位盖章意见（PDF）"),
    "The recommending unit's sealed opinion is uploaded",
)
sealed_application = conditions.attached("sealed_application", gettext_lazy("请上传加盖公章的申报书（PDF）"))


def funding_amount_valid(flow: Any, ctx: Any) -> Iterable[str]:
    """The proposed funding amount is a positive sum of at most two decimals, within the request."""
    record = flow.record
    raw = (ctx.data or {}).get("funding_amount")
    if raw in (None, ""):
        yield _("请填写拟资助金额")
        return
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        yield _("拟资助金额必须是数字")
        return
    if not amount.is_finite() or amount <= 0:
        yield _("拟资助金额必须大于 0")
    elif amount.as_tuple().exponent < -2:
        yield _("拟资助金额最多保留两位小数")
    elif record.requested_amount is not None and amount > record.requested_amount:
        yield _("拟资助金额 %(amount)s 元超过申请金额 %(requested)s 元") % {
            "amount": f"{amount:,.2f}",
            "requested": f"{record.requested_amount:,.2f}",
        }


def amount_as_decided(flow: Any, ctx: Any) -> Iterable[str]:
    """The proposed amount is the one the decision meeting set, if it set one"""
    from workflows.decisions import latest_decision

    item = latest_decision(flow.record)
    raw = (ctx.data or {}).get("funding_amount")
    if item is None or item.amount is None or raw in (None, ""):
        return
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return
    if amount.is_finite() and amount != item.amount:
        yield _("拟资助金额须为审定会议《%(name)s》决定的 %(amount)s 元") % {
            "name": item.meeting.name,
            "amount": f"{item.amount:,.2f}",
        }


def envelope_scope(record: Any) -> list[str]:
    """The proposals of one sub-project of a round (its budget envelope)."""
    return [f"envelope:{record.record_type()}:{record.round_id}:{record.subproject_id}"]


# The states whose funding amount is taken from the sub-project's envelope.
FUNDED_STATES = frozenset({S.PROPOSED, S.PUBLIC_NOTICE, S.APPROVED})


def proposed_total(record: Any, *, exclude_self: bool = True) -> Decimal:
    """The funding proposed so far in the record's sub-project of its round (拟资助合计)."""
    qs = type(record).objects.filter(
        round_id=record.round_id, subproject_id=record.subproject_id, state__in=FUNDED_STATES
    )
    if exclude_self:
        qs = qs.exclude(pk=record.pk)
    return qs.aggregate(total=models.Sum("funding_amount"))["total"] or Decimal("0")


@counted(envelope_scope)
def within_envelope(flow: Any, ctx: Any) -> Iterable[str]:
    """The amount proposed keeps the sub-project's total within its budget envelope (预算额度),
    when it has one. Counted: two proposals in one sub-project take turns."""
    record = flow.record
    envelope = record.subproject.envelope_yuan
    raw = (ctx.data or {}).get("funding_amount")
    if envelope is None or raw in (None, ""):
        return
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return  # funding_amount_valid says why
    if not amount.is_finite():
        return
    total = proposed_total(record)
    if total + amount > envelope:
        yield _(
            "“%(sub)s”拟资助合计将达 %(total)s 万元，超过预算额度 %(envelope)s 万元"
            "（已拟资助 %(done)s 万元，尚余 %(left)s 万元）"
        ) % {
            "sub": record.subproject.name,
            "total": wan(total + amount),
            "envelope": wan(envelope),
            "done": wan(total),
            "left": wan(max(envelope - total, Decimal("0"))),
        }


SUBMIT_CHECKS = (conditions.required_fields(*REQUIRED_FIELDS), application_complete, sections_complete)


APPROVAL_NUMBER = "智惠〔{year}〕{number:03d}号"


def issue_approval(flow: Any, ctx: Any) -> None:
    """The approval number (立项编号), run on per year across the year's rounds, and when."""
    from django.utils import timezone

    from workflows.numbering import take_official_number

    ctx.audit_data["approval_number"] = take_official_number(
        flow.record, "approval_number", "智惠〔{year}〕{number:03d}号"
    )
    flow.record.issued_at = timezone.now()


@public_notice(
    publish_from=S.PROPOSED,
    uphold=("revoke", S.REJECTED, gettext_lazy("异议成立，取消拟立项")),
    finish=("issue", S.APPROVED, gettext_lazy("正式立项"), issue_approval),
)
class ApplicationFlow(StandardFlow):
    States = ApplicationState
    cast_visible_states = frozenset(
        {S.RECOMMENDED, S.EXPERT_REVIEW, S.PROPOSED, S.PUBLIC_NOTICE, S.APPROVED, S.REJECTED}
    )
    editable_states = frozenset({S.DRAFT, S.RETURNED})
    final_states = frozenset({S.APPROVED, S.REJECTED, S.NOT_RECOMMENDED, S.WITHDRAWN})
    submit_checks = SUBMIT_CHECKS
    recommend_checks = (quota_left, recommender_opinion_attached)
    # A unit that is its own recommending unit: its sealed 申报单位意见, and its quota still
    # counts (the records it sends straight to CAST hold its places).
    direct_checks = (conditions.unit_opinion_attached, quota_left)

    @StandardFlow.transition(
        source=S.RECOMMENDED,
        target=S.EXPERT_REVIEW,
        label=gettext_lazy("形式审查通过"),
        permission=CAST_STAFF,
        custom=spec(window="cast_review", inputs=(duplicates_need_opinion,), tell=(Tell.APPLICANTS,)),
    )
    def pass_formal_review(self, ctx):
        # 多头申报 is flagged, not refused: the suspected duplicates are recorded with the
        # decision (and its opinion, required when there are any).
        found = duplicates(self.record)
        if found:
            ctx.audit_data["suspected_duplicates"] = [{"id": d["id"], "reasons": d["reasons"]} for d in found]

    @StandardFlow.transition(
        source=S.RECOMMENDED,
        target=S.RETURNED,
        label=gettext_lazy("形式审查退回修改"),
        permission=CAST_STAFF,
        custom=spec(
            opinion=OPINION_REQUIRED,
            inputs=(revision.due_valid,),
            tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT),
        ),
    )
    def return_from_formal_review(self, ctx):
        # Resubmitted, it goes back to the recommending unit (StandardFlow.resubmit).
        revision.open_return(self, ctx, "cast")

    @StandardFlow.transition(
        source=S.RETURNED,
        target=S.RETURNED,
        label=gettext_lazy("延长补正期限（形式审查）"),
        permission=RETURNED_BY_CAST,
        custom=spec(
            opinion=OPINION_REQUIRED,
            inputs=(revision.extension_valid,),
            tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT),
        ),
    )
    def extend_cast_revision(self, ctx):
        revision.extend(self, ctx)

    @StandardFlow.transition(
        source=S.RETURNED,
        target=S.REJECTED,
        label=gettext_lazy("逾期未补正，不予立项"),
        permission=RETURNED_BY_CAST,
        custom=spec(
            opinion=OPINION_REQUIRED,
            checks=(revision.has_lapsed,),
            tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT),
        ),
    )
    def reject_lapsed(self, ctx):
        revision.close_return(self, ctx)

    @StandardFlow.transition(
        source=S.RECOMMENDED,
        target=S.REJECTED,
        label=gettext_lazy("形式审查不通过"),
        permission=CAST_STAFF,
        custom=spec(opinion=OPINION_REQUIRED, tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT)),
    )
    def reject_formal_review(self, ctx):
        pass

    @StandardFlow.transition(
        source=S.EXPERT_REVIEW,
        target=S.PROPOSED,
        label=gettext_lazy("拟立项"),
        permission=CAST_STAFF,
        custom=spec(
            checkpoint="cast",
            opinion=OPINION_REQUIRED,
            checks=(conditions.experts_scored, conditions.decided_in_meeting),
            inputs=(funding_amount_valid, amount_as_decided, within_envelope),
            tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT, Tell.CAST_CONTENT),
        ),
    )
    def propose(self, ctx):
        from workflows.decisions import decision_audit

        self.record.funding_amount = Decimal(str(ctx.data["funding_amount"]))
        ctx.audit_data["funding_amount"] = str(self.record.funding_amount)
        ctx.audit_data["decision_meeting"] = decision_audit(self.record)

    @StandardFlow.transition(
        source=S.EXPERT_REVIEW,
        target=S.REJECTED,
        label=pgettext_lazy("action", "不予立项"),
        permission=CAST_STAFF,
        custom=spec(opinion=OPINION_REQUIRED, tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT)),
    )
    def reject(self, ctx):
        pass
