"""The public-notice stage of a flow, declared once: a class decorator gives the flow its
three notice transitions — onto the notice when the notice is published, off it when an
objection is upheld, to the result when the period is over with no objection open — and the
``notice_transitions`` the notices app reads (``notices.transitions``)::

    @public_notice(
        publish_from=S.PROPOSED,
        uphold=("revoke", S.REJECTED, gettext_lazy("异议成立，取消拟立项")),
        finish=("issue", S.APPROVED, gettext_lazy("正式立项"), issue_number),
    )
    class ApplicationFlow(StandardFlow): ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy

from workflows.flows import CAST_STAFF, OPINION_REQUIRED, StandardFlow, Tell, spec

from . import conditions

NOTICE_STATE = "public_notice"
TOLD = (Tell.APPLICANTS, Tell.RECOMMENDER_UNIT)


def _named(name: str, body: Callable[[Any, Any], None] | None) -> Callable[[Any, Any], None]:
    def transition(self: Any, ctx: Any) -> None:
        if body is not None:
            body(self, ctx)

    transition.__name__ = transition.__qualname__ = name
    transition.__doc__ = body.__doc__ if body is not None else None
    return transition


def public_notice(
    *,
    publish_from: str,
    uphold: tuple[str, str, Any],
    finish: tuple[str, str, Any, Callable[[Any, Any], None] | None],
    also_publish: tuple[str, ...] = (),
) -> Callable[[type], type]:
    """``publish_notice`` (``publish_from`` → 公示中, taken by publishing the notice), the
    ``uphold`` (name, target, label) transition and the ``finish`` (name, target, label, body)
    transition (a bulk action); ``also_publish`` names other transitions of the flow that put a
    record on a notice (nominations' promote)."""
    uphold_name, uphold_target, uphold_label = uphold
    finish_name, finish_target, finish_label, finish_body = finish
    transition = StandardFlow.transition

    def decorate(flow_class: type) -> type:
        made = {
            "publish_notice": transition(
                source=publish_from,
                target=NOTICE_STATE,
                label=gettext_lazy("发布公示"),
                permission=CAST_STAFF,
                custom=spec(
                    checkpoint="publication",
                    checks=(conditions.on_reviewed_notice,),
                    tell=TOLD,
                    driven_by="notice",
                ),
            )(_named("publish_notice", None)),
            uphold_name: transition(
                source=NOTICE_STATE,
                target=uphold_target,
                label=uphold_label,
                permission=CAST_STAFF,
                custom=spec(opinion=OPINION_REQUIRED, checks=(conditions.objection_upheld,), tell=TOLD),
            )(_named(uphold_name, None)),
            finish_name: transition(
                source=NOTICE_STATE,
                target=finish_target,
                label=finish_label,
                permission=CAST_STAFF,
                custom=spec(
                    bulk=True,
                    checks=(conditions.notice_period_over, conditions.no_open_objection),
                    tell=TOLD,
                ),
            )(_named(finish_name, finish_body)),
        }
        for name, descriptor in made.items():
            setattr(flow_class, name, descriptor)
        flow_class.notice_transitions = {
            "publish": ("publish_notice", *also_publish) if also_publish else "publish_notice",
            "finish": finish_name,
            "uphold": uphold_name,
        }
        return flow_class

    return decorate
