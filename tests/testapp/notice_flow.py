"""A test-only record whose flow ends in a public notice: proves the notices app on its own.

The earlier stages (submission, society review, expert review) are skipped: CAST staff
``propose`` a draft directly, which snapshots its content as the revision that the
"publication" checkpoint reviews.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from notices.conditions import no_open_objection, notice_period_over, objection_upheld, on_reviewed_notice
from workflows.flows import CAST_STAFF, OPINION_REQUIRED, BaseFlow, record_state, spec
from workflows.models import WorkflowRecord

__all__ = ["Bulletin", "BulletinFlow", "BulletinState"]


class BulletinState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PROPOSED = "proposed", _("拟立项")
    PUBLIC_NOTICE = "public_notice", _("公示中")
    APPROVED = "approved", _("已立项")
    REJECTED = "rejected", _("不予立项")


_S = BulletinState


class BulletinFlow(BaseFlow):
    States = BulletinState
    state = record_state(BulletinState, default=_S.DRAFT)
    cast_visible_states = frozenset({_S.PROPOSED, _S.PUBLIC_NOTICE, _S.APPROVED, _S.REJECTED})
    editable_states = frozenset({_S.DRAFT})
    final_states = frozenset({_S.APPROVED, _S.REJECTED})
    notice_transitions = {"publish": "publish_notice", "finish": "issue", "uphold": "revoke"}

    @state.transition(
        source=_S.DRAFT,
        target=_S.PROPOSED,
        label=_("拟立项"),
        permission=CAST_STAFF,
        custom=spec(snapshot=True),
    )
    def propose(self, ctx: Any) -> None:
        pass

    @state.transition(
        source=_S.PROPOSED,
        target=_S.PUBLIC_NOTICE,
        label=_("发布公示"),
        permission=CAST_STAFF,
        custom=spec(checkpoint="publication", checks=[on_reviewed_notice], driven_by="notice"),
    )
    def publish_notice(self, ctx: Any) -> None:
        pass

    @state.transition(
        source=_S.PUBLIC_NOTICE,
        target=_S.APPROVED,
        label=_("公示期满，正式立项"),
        permission=CAST_STAFF,
        custom=spec(checks=[notice_period_over, no_open_objection], bulk=True),
    )
    def issue(self, ctx: Any) -> None:
        pass

    @state.transition(
        source=_S.PUBLIC_NOTICE,
        target=_S.REJECTED,
        label=pgettext_lazy("action", "撤销（异议成立）"),
        permission=CAST_STAFF,
        custom=spec(opinion=OPINION_REQUIRED, checks=[objection_upheld]),
    )
    def revoke(self, ctx: Any) -> None:
        pass


class Bulletin(WorkflowRecord):
    title = models.CharField(_("标题"), max_length=100, blank=True)
    body = models.TextField(_("正文"), blank=True)
    amount = models.DecimalField(_("金额（万元）"), max_digits=10, decimal_places=2, null=True, blank=True)

    flow_class = BulletinFlow
    content_fields = ("title", "body")

    class Meta:
        app_label = "testapp"

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

    def public_summary(self) -> dict[str, str]:
        """What a public notice may say about this record: never contact data."""
        return {"title": self.title, "summary": f"{self.organization.name}"}
