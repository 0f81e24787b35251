"""The Four Top-Ten nomination flow (docs/flows.md, "Four Top-Ten nomination")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notices import conditions as notice_conditions
from notices.stage import public_notice
from workflows import conditions
from workflows.flows import CAST_STAFF, OPINION_REQUIRED, StandardFlow, Tell, counted, spec
from workflows.numbering import take_official_number


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
    DISQUALIFIED = "disqualified", gettext_lazy("取消拟入选资格")
    WITHDRAWN = "withdrawn", gettext_lazy("已撤回")


S = NominationState
RECOMMENDED_STATES = frozenset(
    {S.RECOMMENDED, S.EXPERT_REVIEW, S.SHORTLISTED, S.NOT_SELECTED, S.PUBLIC_NOTICE, S.AWARDED, S.DISQUALIFIED}
)
# The statement the recommending unit's opinion must contain (docs/domain.md).
NO_VIOLATION_STATEMENT = "近两年未发现违法违纪行为"


def nomination_complete(flow: Any, ctx: Any) -> Iterable[str]:
    from .checks import completeness_problems

    return completeness_problems(flow.record)


quota_left = conditions.quota(
    group="category",
    limit=lambda record: record.round.typed_settings.quota_per_category,
    states=RECOMMENDED_STATES,
    message=lambda record, quota: (
        _("本单位“%(category)s”类别的推荐名额（%(quota)s 个）已用完")
        % {"category": record.get_category_display(), "quota": quota}
    ),
    doc="The recommending unit's quota for the category has a place left",
)
recommender_opinion_attached = conditions.attached(
    "recommender_opinion",
    gettext_lazy("请上传推荐单位盖章意见（PDF）"),
    "The recommending unit's sealed opinion is uploaded",
)


def no_violation_statement(flow: Any, ctx: Any) -> Iterable[str]:
    """The recommendation's opinion states that no violation was found in the last two years."""
    if NO_VIOLATION_STATEMENT not in "".join((ctx.opinion or "").split()):
        yield _("推荐意见须包含“%(statement)s”的表述") % {"statement": NO_VIOLATION_STATEMENT}


def failed_rules_need_reason(flow: Any, ctx: Any) -> Iterable[str]:
    """Unmet eligibility rules need the reason for confirming anyway in the opinion."""
    from .checks import eligibility_report

    failed = [r for r in eligibility_report(flow.record) if not r["passed"]]
    if failed and not (ctx.opinion or "").strip():
        yield _("资格条件未满足（%(rules)s），如确认通过须填写理由") % {
            "rules": "；".join(str(r["label"]) for r in failed)
        }


@counted(winners_scope)
def within_winners_or_reason(flow: Any, ctx: Any) -> Iterable[str]:
    """Shortlisting beyond the category's number, or out of ranking order, needs a reason."""
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
    if (ctx.opinion or "").strip():
        return
    if taken >= number:
        yield _("“%(category)s”类别已选定 %(n)s 名（名额 %(n)s 名），超出须填写理由") % {
            "category": record.get_category_display(),
            "n": number,
        }
        return
    # Within the number by rank: records tied at the last place all rank within it (a tie is
    # not broken by the system; the count above keeps the number of places).
    rows = _category_ranking(record)
    mine = next((r for r in rows if r["record"].pk == record.pk), None)
    if mine is None or mine["rank"] > number:
        yield _("该推荐在排名中位列第 %(pos)s，不在前 %(n)s 名，选定须填写理由") % {
            "pos": mine["rank_label"] if mine else "—",
            "n": number,
        }


@counted(winners_scope)
def next_in_ranking_after_disqualification(flow: Any, ctx: Any) -> Iterable[str]:
    """递补: a shortlisted candidate was disqualified and this is the next not selected in the ranking.

    The places freed by disqualifications are counted against the promotions already made."""
    record = flow.record
    same = type(record).objects.filter(round_id=record.round_id, category=record.category)
    disqualified = same.filter(state=S.DISQUALIFIED).count()
    promoted = same.filter(promoted=True).count()
    if disqualified <= promoted:
        yield _("本类别没有被取消拟入选资格、需要递补的名额")
        return
    waiting = [r for r in _category_ranking(record) if r["record"].state == S.NOT_SELECTED]
    # The next in the ranking: every record tied at the best waiting rank (the tie is CAST's to
    # decide, not the system's).
    nexts = [r["record"] for r in waiting if r["rank"] == waiting[0]["rank"]] if waiting else []
    if record.pk not in {r.pk for r in nexts}:
        yield _("递补须按排名顺序：下一位应为《%(name)s》") % {
            "name": "》《".join(r.nominee_name for r in nexts) if nexts else "—"
        }


def _category_ranking(record: Any) -> list[dict[str, Any]]:
    from workflows.registry import record_type_of
    from workflows.scoring import group_ranking

    return group_ranking(record_type_of(record), round_id=record.round_id, group=record.category)


CERTIFICATE_NUMBER = "科志〔{year}〕{number:03d}号"


def award_certificate(flow: Any, ctx: Any) -> None:
    """The certificate number (证书编号), run on per year across the year's rounds, and CAST's
    opinion on the form (the staff member's, or the standard wording)."""
    from django.utils import timezone

    record = flow.record
    ctx.audit_data["certificate_number"] = take_official_number(
        record, "certificate_number", "科志〔{year}〕{number:03d}号"
    )
    record.awarded_at = timezone.now()
    record.cast_opinion = ctx.opinion or _("经评审、公示，同意入选。")
    record.cast_signer = ctx.actor.display_name or ctx.actor.username
    record.cast_date = timezone.localdate()


@public_notice(
    publish_from=S.SHORTLISTED,
    uphold=("disqualify", S.DISQUALIFIED, gettext_lazy("异议成立，取消拟入选资格")),
    finish=("award", S.AWARDED, gettext_lazy("公布入选"), award_certificate),
    also_publish=("promote",),
)
class NominationFlow(StandardFlow):
    States = NominationState
    cast_visible_states = RECOMMENDED_STATES | {S.INELIGIBLE}
    editable_states = frozenset({S.DRAFT, S.RETURNED})
    final_states = frozenset({S.AWARDED, S.DISQUALIFIED, S.INELIGIBLE, S.NOT_RECOMMENDED, S.WITHDRAWN})
    # The notice stage (public_notice): publish_notice for the shortlisted, promote (递补) for
    # the next in the ranking.
    submit_checks = (nomination_complete,)
    recommend_checks = (quota_left, recommender_opinion_attached)
    recommend_inputs = (no_violation_statement,)
    # A unit that is its own recommending unit submits straight to CAST: its sealed 申报单位意见
    # is already required of every nomination (submit_checks); its quota still counts.
    direct_checks = (quota_left,)

    def recommended(self, ctx: Any) -> None:
        """The recommendation's opinion goes onto the form (推荐单位意见), signed and dated."""
        from django.utils import timezone

        self.record.recommender_opinion = ctx.opinion
        self.record.recommender_signer = ctx.actor.display_name or ctx.actor.username
        self.record.recommender_date = timezone.localdate()

    @StandardFlow.transition(
        source=S.RECOMMENDED,
        target=S.EXPERT_REVIEW,
        label=gettext_lazy("资格审查通过"),
        permission=CAST_STAFF,
        custom=spec(window="cast_review", inputs=(failed_rules_need_reason,), tell=(Tell.APPLICANTS,)),
    )
    def confirm_eligible(self, ctx):
        from .checks import eligibility_report

        report = eligibility_report(self.record)
        ctx.audit_data["eligibility"] = [{"rule": r["rule"], "passed": r["passed"]} for r in report]
        if not all(r["passed"] for r in report):
            self.record.eligibility_override_reason = ctx.opinion

    @StandardFlow.transition(
        source=S.RECOMMENDED,
        target=S.INELIGIBLE,
        label=gettext_lazy("资格审查不通过"),
        permission=CAST_STAFF,
        custom=spec(opinion=OPINION_REQUIRED, tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT)),
    )
    def declare_ineligible(self, ctx):
        pass

    @StandardFlow.transition(
        source=S.EXPERT_REVIEW,
        target=S.SHORTLISTED,
        label=gettext_lazy("拟入选"),
        permission=CAST_STAFF,
        custom=spec(
            checkpoint="cast",
            bulk=True,
            checks=(conditions.experts_scored, conditions.decided_in_meeting),
            inputs=(within_winners_or_reason,),
            tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT, Tell.CAST_CONTENT),
        ),
    )
    def shortlist(self, ctx):
        from workflows.decisions import decision_audit

        ctx.audit_data["decision_meeting"] = decision_audit(self.record)
        if ctx.opinion:
            self.record.shortlist_reason = ctx.opinion

    @StandardFlow.transition(
        source=S.EXPERT_REVIEW,
        target=S.NOT_SELECTED,
        label=gettext_lazy("未入选"),
        permission=CAST_STAFF,
        custom=spec(bulk=True, tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT)),
    )
    def not_select(self, ctx):
        pass

    @StandardFlow.transition(
        source=S.NOT_SELECTED,
        target=S.PUBLIC_NOTICE,
        label=gettext_lazy("递补并公示"),
        permission=CAST_STAFF,
        custom=spec(
            checkpoint="publication",
            opinion=OPINION_REQUIRED,
            checks=(next_in_ranking_after_disqualification, notice_conditions.on_reviewed_notice),
            tell=(Tell.APPLICANTS, Tell.RECOMMENDER_UNIT),
            driven_by="notice",
        ),
    )
    def promote(self, ctx):
        self.record.promoted = True
