"""A test-only record type and flow that prove the engine on their own."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Role
from workflows import conditions
from workflows.flows import CAST_STAFF, OPINION_REQUIRED, RolePermission, StandardFlow, spec
from workflows.models import WorkflowRecord


class DossierState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交（待推荐单位审核）")
    RETURNED = "returned", _("退回修改")
    RECOMMENDED = "recommended", _("已推荐（待中国科协审核）")
    NOT_RECOMMENDED = "not_recommended", _("不予推荐")
    EXPERT_REVIEW = "expert_review", _("专家评审")
    REVIEWED = "reviewed", _("评审完成")
    APPROVED = "approved", _("已立项")
    REJECTED = "rejected", _("不予立项")
    WITHDRAWN = "withdrawn", _("已撤回")


S = DossierState
EXPERT = RolePermission(Role.EXPERT, "assigned")
SUBMIT_CHECKS = (conditions.required_fields("title", "body"),)


class DossierFlow(StandardFlow):
    """The shared beginning (``StandardFlow``) and a short end of its own."""

    States = DossierState
    cast_visible_states = frozenset({S.RECOMMENDED, S.EXPERT_REVIEW, S.REVIEWED, S.APPROVED, S.REJECTED})
    editable_states = frozenset({S.DRAFT, S.RETURNED})
    final_states = frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN, S.NOT_RECOMMENDED})
    submit_checks = SUBMIT_CHECKS

    @StandardFlow.transition(
        source=S.RECOMMENDED,
        target=S.EXPERT_REVIEW,
        label=_("送专家评审"),
        permission=CAST_STAFF,
        custom=spec(window="cast_review"),
    )
    def start_expert_review(self, ctx):
        pass

    @StandardFlow.transition(
        source=S.EXPERT_REVIEW,
        target=S.REVIEWED,
        label=_("完成评审"),
        permission=EXPERT,
        custom=spec(opinion=OPINION_REQUIRED),
    )
    def complete_review(self, ctx):
        pass

    @StandardFlow.transition(
        source=S.REVIEWED,
        target=S.APPROVED,
        label=_("批准立项"),
        permission=CAST_STAFF,
        custom=spec(window="cast_review", checkpoint="cast", opinion=OPINION_REQUIRED),
    )
    def approve(self, ctx):
        pass

    @StandardFlow.transition(
        source=[S.RECOMMENDED, S.EXPERT_REVIEW, S.REVIEWED],
        target=S.REJECTED,
        label=pgettext_lazy("action", "不予立项"),
        permission=CAST_STAFF,
        custom=spec(opinion=OPINION_REQUIRED),
    )
    def reject(self, ctx):
        pass


class Dossier(WorkflowRecord):
    title = models.CharField(_("标题"), max_length=100, blank=True)
    body = models.TextField(_("正文"), blank=True)

    flow_class = DossierFlow
    content_fields = ("title", "body")

    class Meta:
        app_label = "testapp"

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"


# A second test-only record type whose flow ends in a public notice (owned by the notices tests).
from tests.testapp.notice_flow import *  # noqa: E402, F403
