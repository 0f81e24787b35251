"""The Zhihui Action application flow (docs/flows.md, "Zhihui Action application")."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from notices.stage import public_notice
from workflows import conditions
from workflows.flows import CAST_STAFF, OPINION_REQUIRED, StandardFlow, Tell, counted, spec


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
    "targets",
    "outcomes",
    "conditions",
    "requested_amount",
    "commitment_signer",
)


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
        elif record.requested_amount > settings.funding_max_yuan:
            yield _("申请金额不得超过 %(max)s 元") % {"max": f"{settings.funding_max_yuan:,}"}
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
    if others >= sub.per_unit_limit:
        # 限项: the sub-project's limit per unit and round (not 多头申报, the same project
        # through several channels, which formal review looks for).
        yield _("本单位在本批次“%(sub)s”已有 %(n)s 项申报，达到限报数（%(limit)s 项）") % {
            "sub": sub.name,
            "n": others,
            "limit": sub.per_unit_limit,
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


def duplicates(record: Any) -> list[dict[str, Any]]:
    """Other live applications of the round that look like the same project (多头申报: one
    project put forward through several channels) — the same project name — their name, unit and
    state (checked on every formal review: no model instances). A unit's several applications to
    one sub-project are its per-unit limit's business (限项, checked at submission)."""
    name = "".join((record.name or "").split())
    return list(
        type(record)
        .objects.filter(round_id=record.round_id, state__in=ACTIVE_STATES, name=name)
        .exclude(pk=record.pk)
        .order_by("pk")
        .values("pk", "name", "organization__name", "state")
    )


@counted(lambda record: [*unit_limit_scope(record), *name_scope(record)])
def no_duplicate(flow: Any, ctx: Any) -> Iterable[str]:
    """No other live application of the round looks like the same project (多头申报)."""
    for other in duplicates(flow.record):
        yield _("疑似多头申报：与《%(name)s》（%(org)s，状态：%(state)s）重复，请先处理") % {
            "name": other["name"],
            "org": other["organization__name"],
            "state": flow.state_label(other["state"]),
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


SUBMIT_CHECKS = (conditions.required_fields(*REQUIRED_FIELDS), application_complete)


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
    uphold=("revoke", S.REJECTED, gettext_lazy("撤销立项（异议成立）")),
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
        custom=spec(window="cast_review", checks=(no_duplicate,), tell=(Tell.APPLICANTS,)),
    )
    def pass_formal_review(self, ctx):
        pass

    @StandardFlow.transition(
        source=S.RECOMMENDED,
        target=S.RETURNED,
        label=gettext_lazy("形式审查退回修改"),
        permission=CAST_STAFF,
        custom=spec(opinion=OPINION_REQUIRED, tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT)),
    )
    def return_from_formal_review(self, ctx):
        pass

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
            checks=(conditions.experts_scored,),
            inputs=(funding_amount_valid,),
            tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT, Tell.CAST_CONTENT),
        ),
    )
    def propose(self, ctx):
        self.record.funding_amount = Decimal(str(ctx.data["funding_amount"]))
        ctx.audit_data["funding_amount"] = str(self.record.funding_amount)

    @StandardFlow.transition(
        source=S.EXPERT_REVIEW,
        target=S.REJECTED,
        label=pgettext_lazy("action", "不予立项"),
        permission=CAST_STAFF,
        custom=spec(opinion=OPINION_REQUIRED, tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT)),
    )
    def reject(self, ctx):
        pass
