"""The base of every flow: a viewflow.fsm state machine wrapped around one record.

A flow declares transitions (source, target, label, permission) with a ``spec`` in viewflow's
``custom`` slot saying what the transition service must check: the window, the content-review
checkpoint, whether an opinion is required, extra conditions, whether it snapshots a revision.
Flows hold no other logic; ``workflows.services.transition`` is the only caller of their
transition methods and so the only code that changes a state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import fsm

from accounts import permissions as perms
from accounts.models import Role

OPINION_NONE = "none"
OPINION_OPTIONAL = "optional"
OPINION_REQUIRED = "required"

# A condition takes the flow and the transition context and returns the unmet reasons
# (empty when met): every unmet condition is reported, not just the first.
Check = Callable[[Any, Any], Iterable[str]]


def counted(scopes: Callable[[Any], Iterable[str]]) -> Callable[[Check], Check]:
    """Mark a condition that counts across records (a quota, a limit, the winners of a
    category, other records of the same name): ``scopes(record)`` names the scopes whose locks
    (``workflows.locks.lock_scopes``) the transition takes after the record and before
    evaluating, so that two transitions on different records of one scope take turns instead
    of both seeing room for one more (workflows/locks.py)."""

    def mark(check: Check) -> Check:
        check.lock_scopes = scopes  # type: ignore[attr-defined]
        return check

    return mark


def lock_scopes_of(checks: Iterable[Check], record: Any) -> list[str]:
    return [key for check in checks for key in (getattr(check, "lock_scopes", None) or (lambda r: ()))(record)]


@dataclass(frozen=True)
class Spec:
    checkpoint: str | None = None
    opinion: str = OPINION_OPTIONAL
    window: str | None = None
    checks: tuple[Check, ...] = ()
    snapshot: bool = False
    bulk: bool = False
    # The event that drives notifications; the transition name by default.
    event: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def spec(**kwargs: Any) -> dict[str, Any]:
    """The ``custom=`` argument of ``State.transition``."""
    checks = kwargs.pop("checks", ())
    return {"spec": Spec(checks=tuple(checks), **kwargs)}


class RolePermission:
    """A transition permission: a role, held in the organization the scope names.

    Scopes: ``own`` the record's organization; ``recommender`` its recommending unit; ``cast``
    any CAST organization; ``assigned`` an open assignment of the user on the record.
    Callable as viewflow expects (flow, user) → bool; also says which membership acted, for
    the audit trail.
    """

    def __init__(self, role: str, scope: str):
        self.role = role
        self.scope = scope

    def __repr__(self) -> str:
        return f"RolePermission({self.role!r}, {self.scope!r})"

    def org_id(self, record: Any, user: Any) -> int | None:
        if self.scope == "own":
            return record.organization_id
        if self.scope == "recommender":
            return record.recommending_unit_id
        if self.scope == "cast":
            ids = perms.cast_org_ids(user)
            return min(ids) if ids else None
        return None

    def __call__(self, flow: Any, user: Any) -> bool:
        record = flow.record
        if self.scope == "own":
            return perms.has_role(user, self.role, record.organization_id)
        if self.scope == "recommender":
            return record.recommending_unit_id is not None and perms.has_role(
                user, self.role, record.recommending_unit_id
            )
        if self.scope == "cast":
            return self.role == Role.CAST_STAFF and perms.is_cast_staff(user)
        if self.scope == "assigned":
            from .selectors import has_open_assignment

            return perms.has_role(user, self.role) and has_open_assignment(record, user)
        raise ValueError(f"unknown scope {self.scope}")


APPLICANT = RolePermission(Role.APPLICANT, "own")
RECOMMENDER = RolePermission(Role.SOCIETY_REVIEWER, "recommender")
CAST_STAFF = RolePermission(Role.CAST_STAFF, "cast")


def record_state(choices: Any, default: Any) -> fsm.State:
    """A viewflow State stored in ``flow.record.state``.

    The setter below is the one place in the code base that assigns a record's state.
    """
    state = fsm.State(choices, default=default)

    @state.getter()
    def _get(flow: Any) -> Any:
        return flow.record.state or default

    @state.setter()
    def _set(flow: Any, value: Any) -> None:
        flow.record.state = value

    return state


class BaseFlow:
    """Subclasses set ``state = record_state(...)``, ``States`` and declare transitions."""

    state: Any
    States: Any
    # States in which CAST staff see a record (from "recommended" on).
    cast_visible_states: frozenset[str] = frozenset()
    # States in which the record's content may be edited by its applicant.
    editable_states: frozenset[str] = frozenset()
    # Terminal states: nothing more happens.
    final_states: frozenset[str] = frozenset()
    # Assignment stage → the states in which tasks of that stage may be given.
    assignment_states: dict[str, frozenset[str]] = {"expert": frozenset({"expert_review"})}

    def __init__(self, record: Any):
        self.record = record

    # -- introspection, used by the service, the API and the state diagram -----------------

    @classmethod
    def all_transitions(cls) -> dict[str, list[fsm.Transition]]:
        # The declarations never change at run time: read them from viewflow once per class
        # (every transition asks several times).
        cached = cls.__dict__.get("_all_transitions")
        if cached is None:
            cached = {}
            for method, transitions in cls.state.get_transitions().items():
                cached[method.slug] = list(transitions)
            cls._all_transitions = cached
        return cached

    @classmethod
    def transition_names(cls) -> list[str]:
        return sorted(cls.all_transitions())

    @classmethod
    def find(cls, name: str, source: str) -> fsm.Transition | None:
        for transition in cls.all_transitions().get(name, []):
            if transition.source == source:
                return transition
        return None

    @classmethod
    def outgoing(cls, source: str) -> list[fsm.Transition]:
        by_source = cls.__dict__.get("_outgoing")
        if by_source is None:
            by_source = {}
            for ts in cls.all_transitions().values():
                for t in ts:
                    by_source.setdefault(t.source, []).append(t)
            by_source = {k: sorted(v, key=lambda t: t.slug) for k, v in by_source.items()}
            cls._outgoing = by_source
        return list(by_source.get(source, []))

    @classmethod
    def spec_of(cls, transition: fsm.Transition) -> Spec:
        return transition.custom.get("spec") or Spec()

    @classmethod
    def stage_for_state(cls, state: str) -> str | None:
        """The content-review stage a record in this state needs before it can move on."""
        for transition in cls.outgoing(state):
            stage = cls.spec_of(transition).checkpoint
            if stage and stage != "submission":
                return stage
        return None

    @classmethod
    def stages(cls) -> list[str]:
        order = ["submission", "recommender", "cast", "publication"]
        declared = {
            cls.spec_of(t).checkpoint for ts in cls.all_transitions().values() for t in ts if cls.spec_of(t).checkpoint
        }
        return [s for s in order if s in declared]

    @classmethod
    def state_label(cls, value: str) -> str:
        try:
            return str(cls.States(value).label)
        except ValueError:
            return value

    @classmethod
    def responsible_org_id(cls, stage: str, record: Any) -> int | None:
        """The organization that answers for the content passing this stage (谁主管谁负责)."""
        if stage == "submission":
            return record.organization_id
        if stage == "recommender":
            return record.recommending_unit_id
        from accounts.models import Organization, OrgType

        return Organization.objects.filter(type=OrgType.CAST, parent__isnull=True).values_list("pk", flat=True).first()


# What a review assignment (评审任务) is for, by its stage.
ASSIGNMENT_STAGE_LABELS = {"expert": _("专家评审")}


STAGE_PENDING_LABEL = {
    "submission": _("提交扫描"),
    "recommender": _("推荐单位内容审核"),
    "cast": _("中国科协内容审核"),
    "publication": _("发布前内容审核"),
}


# Audit actions that are not transitions of a flow.
ENGINE_ACTION_LABELS = {
    "create": _("创建"),
    "edit": _("修改"),
    "checkpoint_pass": _("内容审核通过"),
    "checkpoint_fail": _("内容审核不通过"),
    "assign": _("分配评审任务"),
    "assignment_done": _("完成评审任务"),
    "assignment_withdrawn": _("撤回评审任务"),
    "attachment_added": _("上传附件"),
    "attachment_removed": _("删除附件"),
    "score": _("专家评分"),
    "objection_filed": _("收到异议"),
    "objection_dismissed": _("异议不成立"),
    "objection_upheld": _("异议成立"),
}


def action_label(flow_class: type[BaseFlow], action: str) -> str:
    transitions = flow_class.all_transitions().get(action)
    if transitions:
        return str(transitions[0].label)
    return str(ENGINE_ACTION_LABELS.get(action, action))
