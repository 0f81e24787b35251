"""The Four Top-Ten nomination flow (FLOWS.md, "Four Top-Ten nomination")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from workflows import conditions
from workflows.flows import (
    APPLICANT,
    CAST_STAFF,
    OPINION_NONE,
    OPINION_REQUIRED,
    RECOMMENDER,
    BaseFlow,
    counted,
    record_state,
    spec,
)


def quota_scope(record: Any) -> list[str]:
    """The recommending unit's nominations in one category of a round (its quota)."""
    return [f"quota:{record.record_type()}:{record.round_id}:{record.recommending_unit_id}:{record.category}"]


def winners_scope(record: Any) -> list[str]:
    """The category's selected candidates in a round (its number of winners)."""
    return [f"winners:{record.record_type()}:{record.round_id}:{record.category}"]


class NominationState(models.TextChoices):
    DRAFT = "draft", gettext_lazy("草稿")
    SUBMITTED = "submitted", gettext_lazy("已提交（待推荐单位审核）")
    RETURNED = "returned", gettext_lazy("退回修改")
    RECOMMENDED = "recommended", gettext_lazy("已推荐（待中国科协审核）")
    NOT_RECOMMENDED = "not_recommended", gettext_lazy("不予推荐")
    INELIGIBLE = "ineligible", gettext_lazy("资格审查未通过")
    EXPERT_REVIEW = "expert_review", gettext_lazy("专家评审")
    SHORTLISTED = "shortlisted", gettext_lazy("拟入选")
    NOT_SELECTED = "not_selected", gettext_lazy("未入选")
    PUBLIC_NOTICE = "public_notice", gettext_lazy("公示中")
    AWARDED = "awarded", gettext_lazy("已公布")
    DISQUALIFIED = "disqualified", gettext_lazy("取消资格")
    WITHDRAWN = "withdrawn", gettext_lazy("已撤回")


S = NominationState
RECOMMENDED_STATES = frozenset(
    {S.RECOMMENDED, S.EXPERT_REVIEW, S.SHORTLISTED, S.NOT_SELECTED, S.PUBLIC_NOTICE, S.AWARDED, S.DISQUALIFIED}
)
# The statement the recommending unit's opinion must contain (DOMAIN.md).
NO_VIOLATION_STATEMENT = "近两年未发现违法违纪行为"


def nomination_complete(flow: Any, ctx: Any) -> Iterable[str]:
    from .checks import completeness_problems

    return completeness_problems(flow.record)


@counted(quota_scope)
def quota_left(flow: Any, ctx: Any) -> Iterable[str]:
    record = flow.record
    quota = record.round.typed_settings.quota_per_category
    used = (
        type(record)
        .objects.filter(
            round_id=record.round_id,
            category=record.category,
            recommending_unit_id=record.recommending_unit_id,
            state__in=RECOMMENDED_STATES,
        )
        .count()
    )
    if used >= quota:
        yield _("本单位“%(category)s”类别的推荐名额（%(quota)s 个）已用完") % {
            "category": record.get_category_display(),
            "quota": quota,
        }


def no_violation_statement(flow: Any, ctx: Any) -> Iterable[str]:
    if getattr(ctx, "preview", False):
        return
    if NO_VIOLATION_STATEMENT not in "".join((ctx.opinion or "").split()):
        yield _("推荐意见须包含“%(statement)s”的表述") % {"statement": NO_VIOLATION_STATEMENT}


def recommender_opinion_attached(flow: Any, ctx: Any) -> Iterable[str]:
    from workflows.models import Attachment

    record = flow.record
    if not Attachment.objects.filter(
        record_type=record.record_type(), record_id=record.pk, kind="recommender_opinion"
    ).exists():
        yield _("请上传推荐单位盖章意见（PDF）")


def failed_rules_need_reason(flow: Any, ctx: Any) -> Iterable[str]:
    from .checks import eligibility_report

    failed = [r for r in eligibility_report(flow.record) if not r["passed"]]
    if failed and not getattr(ctx, "preview", False) and not (ctx.opinion or "").strip():
        yield _("资格条件未满足（%(rules)s），如确认通过须填写理由") % {
            "rules": "；".join(str(r["label"]) for r in failed)
        }


@counted(winners_scope)
def within_winners_or_reason(flow: Any, ctx: Any) -> Iterable[str]:
    """Shortlisting beyond the category's number, or out of ranking order, needs a reason."""
    from .selectors import category_ranking

    record = flow.record
    number = record.round.typed_settings.winners_per_category.get(record.category, 10)
    taken = (
        type(record)
        .objects.filter(
            round_id=record.round_id,
            category=record.category,
            state__in=[S.SHORTLISTED, S.PUBLIC_NOTICE, S.AWARDED],
        )
        .count()
    )
    if getattr(ctx, "preview", False) or (ctx.opinion or "").strip():
        return
    if taken >= number:
        yield _("“%(category)s”类别已选定 %(n)s 名（名额 %(n)s 名），超出须填写理由") % {
            "category": record.get_category_display(),
            "n": number,
        }
        return
    ranking = [r["record"].pk for r in category_ranking(round_id=record.round_id, category=record.category)]
    top = ranking[:number]
    if record.pk not in top:
        position = ranking.index(record.pk) + 1 if record.pk in ranking else None
        yield _("该推荐在排名中位列第 %(pos)s，不在前 %(n)s 名，选定须填写理由") % {"pos": position or "—", "n": number}


@counted(winners_scope)
def next_in_ranking_after_disqualification(flow: Any, ctx: Any) -> Iterable[str]:
    """递补: a shortlisted candidate of the category was disqualified, and this is the next
    not-selected candidate in the ranking."""
    from .selectors import category_ranking

    record = flow.record
    same = type(record).objects.filter(round_id=record.round_id, category=record.category)
    disqualified = same.filter(state=S.DISQUALIFIED).count()
    promoted = same.filter(promoted=True).count()
    if disqualified <= promoted:
        yield _("本类别没有被取消资格需要递补的名额")
        return
    waiting = [r["record"] for r in category_ranking(round_id=record.round_id, category=record.category)]
    waiting = [r for r in waiting if r.state == S.NOT_SELECTED]
    if not waiting or waiting[0].pk != record.pk:
        yield _("递补须按排名顺序：下一位应为《%(name)s》") % {"name": waiting[0].nominee_name if waiting else "—"}


def _notice_check(name: str) -> Any:
    def check(flow: Any, ctx: Any) -> Iterable[str]:
        from notices import conditions as notice_conditions

        return getattr(notice_conditions, name)(flow, ctx)

    check.__name__ = name
    return check


class NominationFlow(BaseFlow):
    States = NominationState
    state = record_state(NominationState, default=S.DRAFT)
    cast_visible_states = RECOMMENDED_STATES | {S.INELIGIBLE}
    editable_states = frozenset({S.DRAFT, S.RETURNED})
    final_states = frozenset({S.AWARDED, S.DISQUALIFIED, S.INELIGIBLE, S.NOT_RECOMMENDED, S.WITHDRAWN})
    # publish_notice for the shortlisted, promote (递补) for the next in the ranking.
    notice_transitions = {"publish": ("publish_notice", "promote"), "finish": "award", "uphold": "disqualify"}

    @state.transition(
        source=S.DRAFT,
        target=S.SUBMITTED,
        label=gettext_lazy("提交"),
        permission=APPLICANT,
        custom=spec(
            window="submission",
            snapshot=True,
            checkpoint="submission",
            opinion=OPINION_NONE,
            checks=(nomination_complete,),
        ),
    )
    def submit(self, ctx):
        pass

    @state.transition(
        source=[S.DRAFT, S.SUBMITTED, S.RETURNED],
        target=S.WITHDRAWN,
        label=gettext_lazy("撤回"),
        permission=APPLICANT,
        custom=spec(),
    )
    def withdraw(self, ctx):
        pass

    @state.transition(
        source=S.SUBMITTED,
        target=S.RETURNED,
        label=pgettext_lazy("action", "退回修改"),
        permission=RECOMMENDER,
        custom=spec(opinion=OPINION_REQUIRED),
    )
    def return_for_revision(self, ctx):
        pass

    @state.transition(
        source=S.RETURNED,
        target=S.SUBMITTED,
        label=gettext_lazy("修改后重新提交"),
        permission=APPLICANT,
        custom=spec(
            window="submission",
            snapshot=True,
            checkpoint="submission",
            checks=(nomination_complete, conditions.changed_since_last_revision),
        ),
    )
    def resubmit(self, ctx):
        pass

    @state.transition(
        source=S.SUBMITTED,
        target=S.RECOMMENDED,
        label=gettext_lazy("推荐"),
        permission=RECOMMENDER,
        custom=spec(
            window="recommender_review",
            checkpoint="recommender",
            opinion=OPINION_REQUIRED,
            checks=(quota_left, no_violation_statement, recommender_opinion_attached),
        ),
    )
    def recommend(self, ctx):
        from django.utils import timezone

        self.record.recommender_opinion = ctx.opinion
        self.record.recommender_signer = ctx.actor.display_name or ctx.actor.username
        self.record.recommender_date = timezone.localdate()

    @state.transition(
        source=S.SUBMITTED,
        target=S.NOT_RECOMMENDED,
        label=pgettext_lazy("action", "不予推荐"),
        permission=RECOMMENDER,
        custom=spec(opinion=OPINION_REQUIRED),
    )
    def decline(self, ctx):
        pass

    @state.transition(
        source=S.RECOMMENDED,
        target=S.EXPERT_REVIEW,
        label=gettext_lazy("资格审查通过"),
        permission=CAST_STAFF,
        custom=spec(window="cast_review", checks=(failed_rules_need_reason,)),
    )
    def confirm_eligible(self, ctx):
        from .checks import eligibility_report

        report = eligibility_report(self.record)
        ctx.audit_data["eligibility"] = [{"rule": r["rule"], "passed": r["passed"]} for r in report]
        if not all(r["passed"] for r in report):
            self.record.eligibility_override_reason = ctx.opinion

    @state.transition(
        source=S.RECOMMENDED,
        target=S.INELIGIBLE,
        label=gettext_lazy("资格审查不通过"),
        permission=CAST_STAFF,
        custom=spec(opinion=OPINION_REQUIRED),
    )
    def declare_ineligible(self, ctx):
        pass

    @state.transition(
        source=S.EXPERT_REVIEW,
        target=S.SHORTLISTED,
        label=gettext_lazy("拟入选"),
        permission=CAST_STAFF,
        custom=spec(checkpoint="cast", bulk=True, checks=(conditions.experts_scored, within_winners_or_reason)),
    )
    def shortlist(self, ctx):
        if ctx.opinion:
            self.record.shortlist_reason = ctx.opinion

    @state.transition(
        source=S.EXPERT_REVIEW,
        target=S.NOT_SELECTED,
        label=gettext_lazy("未入选"),
        permission=CAST_STAFF,
        custom=spec(bulk=True),
    )
    def not_select(self, ctx):
        pass

    @state.transition(
        source=S.SHORTLISTED,
        target=S.PUBLIC_NOTICE,
        label=gettext_lazy("发布公示"),
        permission=CAST_STAFF,
        custom=spec(checkpoint="publication", bulk=True, checks=(_notice_check("on_reviewed_notice"),)),
    )
    def publish_notice(self, ctx):
        pass

    @state.transition(
        source=S.PUBLIC_NOTICE,
        target=S.DISQUALIFIED,
        label=gettext_lazy("取消资格（异议成立）"),
        permission=CAST_STAFF,
        custom=spec(opinion=OPINION_REQUIRED, checks=(_notice_check("objection_upheld"),)),
    )
    def disqualify(self, ctx):
        pass

    @state.transition(
        source=S.NOT_SELECTED,
        target=S.PUBLIC_NOTICE,
        label=gettext_lazy("递补并公示"),
        permission=CAST_STAFF,
        custom=spec(
            checkpoint="publication",
            opinion=OPINION_REQUIRED,
            checks=(next_in_ranking_after_disqualification, _notice_check("on_reviewed_notice")),
        ),
    )
    def promote(self, ctx):
        self.record.promoted = True

    @state.transition(
        source=S.PUBLIC_NOTICE,
        target=S.AWARDED,
        label=gettext_lazy("公布入选"),
        permission=CAST_STAFF,
        custom=spec(bulk=True, checks=(_notice_check("notice_period_over"), _notice_check("no_open_objection"))),
    )
    def award(self, ctx):
        from django.utils import timezone

        from workflows.models import Round
        from workflows.numbering import next_in_year

        # Numbers run on per year across the year's rounds (the number names the year).
        round_ = Round.objects.get(pk=self.record.round_id)
        number = next_in_year(type(self.record), "certificate_number", year=round_.year, kind=round_.kind)
        self.record.certificate_number = f"科志〔{round_.year}〕{number:03d}号"
        self.record.awarded_at = timezone.now()
        self.record.cast_opinion = ctx.opinion or _("经评审、公示，同意入选。")
        self.record.cast_signer = ctx.actor.display_name or ctx.actor.username
        self.record.cast_date = timezone.localdate()
        ctx.audit_data["certificate_number"] = self.record.certificate_number
