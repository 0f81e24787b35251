"""What a flow declares for its public notice, read in one place.

A flow that goes through a notice sets, on its flow class::

    notice_transitions = {"publish": "publish_notice", "finish": "issue", "uphold": "revoke"}

``publish`` may also name several transitions into the notice state, e.g. nominations'
``("publish_notice", "promote")``: a record takes the one that starts from its state.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from workflows.exceptions import InvalidInput
from workflows.models import WorkflowRecord
from workflows.registry import get_record_model


def declared(flow_class: Any) -> dict[str, Any] | None:
    return getattr(flow_class, "notice_transitions", None) or None


def notice_flow(record_type: str) -> tuple[type[WorkflowRecord], Any, dict[str, Any]]:
    """(model, flow class, notice transitions) of a record type that goes through a notice."""
    model = get_record_model(record_type)
    if model is None:
        raise InvalidInput(_("未知的记录类型“%(type)s”") % {"type": record_type})
    names = declared(model.flow_class)
    if not names:
        raise InvalidInput(_("记录类型“%(type)s”的流程没有公示环节") % {"type": record_type})
    return model, model.flow_class, names


def publish_names(flow_class: Any) -> tuple[str, ...]:
    value = flow_class.notice_transitions["publish"]
    return (value,) if isinstance(value, str) else tuple(value)


def publish_sources(flow_class: Any) -> set[str]:
    """The states from which a record can be put on a notice."""
    transitions = flow_class.all_transitions()
    return {t.source for name in publish_names(flow_class) for t in transitions.get(name, [])}


def publish_name_for(flow_class: Any, state: str) -> str:
    """The publish transition a record in ``state`` takes (the first declared if none fits:
    the transition service then says why it cannot be taken)."""
    names = publish_names(flow_class)
    return next((name for name in names if flow_class.find(name, state) is not None), names[0])


def notice_state(flow_class: Any) -> str:
    """The state a record is in while its notice runs (the publish transitions' target)."""
    return flow_class.all_transitions()[publish_names(flow_class)[0]][0].target
