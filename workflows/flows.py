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

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow import fsm

from accounts import permissions as perms
from accounts.models import Role

from . import revision
from .conditions import before_unit_deadline, changed_since_last_revision, not_own_recommender, unit_opinion_attached

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


class Tell:
    """Who is told of a transition (``spec(tell=...)``), resolved against the record by the
    notifications app: users of the role in the organization each names."""

    APPLICANTS = "applicants"  # applicant members of the record's organization
    RECOMMENDER_REVIEWERS = "recommender_reviewers"  # society reviewers of the recommending unit
    RECOMMENDER_CONTENT = "recommender_content"  # content reviewers of the recommending unit
    RECOMMENDER_UNIT = "recommender_unit"  # reviewers of the recommending unit, as a party told
    CAST_STAFF = "cast_staff"
    CAST_CONTENT = "cast_content"  # content reviewers of CAST


@dataclass(frozen=True)
class Hook:
    """In the checks of a transition the shared flow declares (``StandardFlow``): the checks the
    concrete flow class names by ``name`` (a tuple attribute), put in its place."""

    name: str


@dataclass(frozen=True)
class Spec:
    checkpoint: str | None = None
    opinion: str = OPINION_OPTIONAL
    window: str | None = None
    # State conditions: whether the record may take the transition now; the preview lists
    # those unmet as the reasons a button is disabled.
    checks: tuple[Check | Hook, ...] = ()
    # Input checks: whether what the actor sends with it (the opinion, an amount) is acceptable;
    # only checked when the transition is performed.
    inputs: tuple[Check | Hook, ...] = ()
    snapshot: bool = False
    bulk: bool = False
    # The event that drives notifications; the transition name by default.
    event: str | None = None
    # Who is told of it (``Tell``).
    tell: tuple[str, ...] = ()
    # Taken only by another process, never on its own: "notice" — when the record's public
    # notice is published (``notices.services.notice_publish``).
    driven_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def spec(**kwargs: Any) -> dict[str, Any]:
    """The ``custom=`` argument of ``State.transition``."""
    checks = kwargs.pop("checks", ())
    inputs = kwargs.pop("inputs", ())
    tell = kwargs.pop("tell", ())
    return {"spec": Spec(checks=tuple(checks), inputs=tuple(inputs), tell=tuple(tell), **kwargs)}


class RolePermission:
    """A transition permission: a role, held in the organization the scope names.

    Scopes: ``own`` the record's organization; ``own_recommender`` the record's organization
    when it is its own recommending unit (a national society or a provincial CAST applying for
    itself); ``recommender`` its recommending unit; ``cast`` any CAST organization; ``assigned``
    an open assignment of the user on the record.
    Callable as viewflow expects (flow, user) → bool; also says which membership acted, for
    the audit trail.
    """

    def __init__(self, role: str, scope: str):
        self.role = role
        self.scope = scope

    def __repr__(self) -> str:
        return f"RolePermission({self.role!r}, {self.scope!r})"

    def org_id(self, record: Any, user: Any) -> int | None:
        if self.scope in ("own", "own_recommender"):
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
        if self.scope == "own_recommender":
            return is_own_recommender(record) and perms.has_role(user, self.role, record.organization_id)
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


class ReturnerPermission(RolePermission):
    """The role and scope of a ``RolePermission``, held only on a record that this party
    returned for revision (``record.returned_by_stage``): who returned it decides on its
    补正期限 (extends it, or declines the record once it lapsed)."""

    def __init__(self, role: str, scope: str, stage: str):
        super().__init__(role, scope)
        self.stage = stage

    def __repr__(self) -> str:
        return f"ReturnerPermission({self.role!r}, {self.scope!r}, {self.stage!r})"

    def __call__(self, flow: Any, user: Any) -> bool:
        return flow.record.returned_by_stage == self.stage and super().__call__(flow, user)


def is_own_recommender(record: Any) -> bool:
    """The record's organization is its own recommending unit: no one above it recommends."""
    return record.recommending_unit_id is not None and record.recommending_unit_id == record.organization_id


APPLICANT = RolePermission(Role.APPLICANT, "own")
# The applicant of a unit that is its own recommending unit: it submits straight to CAST.
OWN_RECOMMENDER_APPLICANT = RolePermission(Role.APPLICANT, "own_recommender")
RECOMMENDER = RolePermission(Role.SOCIETY_REVIEWER, "recommender")
CAST_STAFF = RolePermission(Role.CAST_STAFF, "cast")
RETURNED_BY_RECOMMENDER = ReturnerPermission(Role.SOCIETY_REVIEWER, "recommender", "recommender")
RETURNED_BY_CAST = ReturnerPermission(Role.CAST_STAFF, "cast", "cast")


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
    # States in which assigned experts may score.
    scoring_states: frozenset[str] = frozenset({"expert_review"})
    # Who is told of the engine's events that are not transitions of the flow.
    event_audiences: dict[str, tuple[str, ...]] = {"checkpoint_fail": (Tell.APPLICANTS,)}

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
    def audiences(cls, event_name: str) -> tuple[str, ...]:
        """Who is told of an event of this flow: its transition's ``tell`` (the transition whose
        name, or whose spec's ``event``, it is), else ``event_audiences``."""
        cached = cls.__dict__.get("_audiences")
        if cached is None:
            cached = dict(cls.event_audiences)
            for name, transitions in cls.all_transitions().items():
                found = cls.spec_of(transitions[0])
                cached[found.event or name] = found.tell
            cls._audiences = cached
        return cached.get(event_name, ())

    @classmethod
    def _expand(cls, items: Iterable[Check | Hook]) -> tuple[Check, ...]:
        found: list[Check] = []
        for item in items:
            found.extend(getattr(cls, item.name) if isinstance(item, Hook) else (item,))
        return tuple(found)

    @classmethod
    def checks_of(cls, transition: fsm.Transition) -> tuple[Check, ...]:
        """The transition's state conditions, with this flow's hooks in place."""
        return cls._expand(cls.spec_of(transition).checks)

    @classmethod
    def inputs_of(cls, transition: fsm.Transition) -> tuple[Check, ...]:
        """The transition's input checks, with this flow's hooks in place."""
        return cls._expand(cls.spec_of(transition).inputs)

    @classmethod
    def lock_scopes_for(cls, transition: fsm.Transition, record: Any) -> list[str]:
        """The scopes the counted conditions of the transition lock for this record."""
        return lock_scopes_of((*cls.checks_of(transition), *cls.inputs_of(transition)), record)

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


class StandardState(models.TextChoices):
    """The states every record type shares: the flow up to the recommending unit's decision."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交（待推荐单位审核）")
    RETURNED = "returned", _("退回修改")
    RECOMMENDED = "recommended", _("已推荐（待中国科协审核）")
    NOT_RECOMMENDED = "not_recommended", _("不予推荐")
    WITHDRAWN = "withdrawn", _("已撤回")


# The one state slot of every flow built on StandardFlow (viewflow keeps a transition on its
# method, not on the slot, so the flows share it and each adds transitions of its own with
# ``@StandardFlow.transition(...)``).
standard_state = record_state(StandardState, default=StandardState.DRAFT)


class StandardFlow(BaseFlow):
    """The beginning every record type shares (submit, withdraw, return for revision, resubmit,
    recommend, decline); a concrete flow sets ``States`` (a superset of ``StandardState``),
    fills the hooks below and adds its own transitions after ``recommended``.

    Hooks: ``submit_checks`` (the record is complete: submit and resubmit),
    ``recommend_checks`` (the recommending unit may recommend it: quota, sealed opinion),
    ``recommend_inputs`` (what the recommendation's opinion must say) and ``direct_checks``
    (a unit that is its own recommending unit may submit straight to CAST: its sealed
    申报单位意见, the quota); ``recommended(ctx)`` runs when a record is recommended (to copy
    the opinion onto the record's form).

    A unit that is its own recommending unit (a national society or a provincial CAST applying
    for itself, a 副省级城市科协, the 兵团科协) does not recommend its own record: its applicant
    takes ``submit_to_cast`` (and ``resubmit_to_cast`` after a return) instead of ``submit``
    (``resubmit``), straight to ``recommended``, with its sealed 申报单位意见 in place of a
    recommendation. The content it sends is its own responsibility twice over (谁主管谁负责):
    the submission stage's review is the unit's own, and CAST's content review follows.
    """

    States: Any = StandardState
    state = standard_state
    transition = standard_state.transition
    submit_checks: tuple[Check, ...] = ()
    recommend_checks: tuple[Check, ...] = ()
    recommend_inputs: tuple[Check, ...] = ()
    direct_checks: tuple[Check, ...] = (unit_opinion_attached,)

    def recommended(self, ctx: Any) -> None:
        """What the record keeps of its recommendation besides the audit event."""

    @standard_state.transition(
        source=StandardState.DRAFT,
        target=StandardState.SUBMITTED,
        label=_("提交"),
        permission=APPLICANT,
        custom=spec(
            window="submission",
            snapshot=True,
            checkpoint="submission",
            opinion=OPINION_NONE,
            checks=(not_own_recommender, before_unit_deadline, Hook("submit_checks")),
            tell=(Tell.RECOMMENDER_REVIEWERS, Tell.RECOMMENDER_CONTENT),
        ),
    )
    def submit(self, ctx: Any) -> None:
        pass

    @standard_state.transition(
        source=StandardState.DRAFT,
        target=StandardState.RECOMMENDED,
        label=_("提交（本单位即推荐单位）"),
        permission=OWN_RECOMMENDER_APPLICANT,
        custom=spec(
            window="submission",
            snapshot=True,
            checkpoint="submission",
            opinion=OPINION_NONE,
            checks=(Hook("submit_checks"), Hook("direct_checks")),
            tell=(Tell.CAST_STAFF, Tell.RECOMMENDER_CONTENT),
        ),
    )
    def submit_to_cast(self, ctx: Any) -> None:
        ctx.audit_data["own_recommender"] = True

    @standard_state.transition(
        source=[StandardState.DRAFT, StandardState.SUBMITTED, StandardState.RETURNED],
        target=StandardState.WITHDRAWN,
        label=_("撤回"),
        permission=APPLICANT,
        custom=spec(tell=(Tell.RECOMMENDER_REVIEWERS,)),
    )
    def withdraw(self, ctx: Any) -> None:
        pass

    @standard_state.transition(
        source=StandardState.SUBMITTED,
        target=StandardState.RETURNED,
        label=pgettext_lazy("action", "退回修改"),
        permission=RECOMMENDER,
        custom=spec(opinion=OPINION_REQUIRED, inputs=(revision.due_valid,), tell=(Tell.APPLICANTS,)),
    )
    def return_for_revision(self, ctx: Any) -> None:
        revision.open_return(self, ctx, "recommender")

    # Until its 补正期限, not the submission window: returns happen after the window by design
    # (workflows/revision.py). The unit's internal deadline is for first submissions only.
    @standard_state.transition(
        source=StandardState.RETURNED,
        target=StandardState.SUBMITTED,
        label=_("修改后重新提交"),
        permission=APPLICANT,
        custom=spec(
            snapshot=True,
            checkpoint="submission",
            checks=(revision.not_lapsed, not_own_recommender, Hook("submit_checks"), changed_since_last_revision),
            tell=(Tell.RECOMMENDER_REVIEWERS, Tell.RECOMMENDER_CONTENT),
        ),
    )
    def resubmit(self, ctx: Any) -> None:
        revision.close_return(self, ctx)

    @standard_state.transition(
        source=StandardState.RETURNED,
        target=StandardState.RETURNED,
        label=_("延长补正期限"),
        permission=RETURNED_BY_RECOMMENDER,
        custom=spec(opinion=OPINION_REQUIRED, inputs=(revision.extension_valid,), tell=(Tell.APPLICANTS,)),
    )
    def extend_revision(self, ctx: Any) -> None:
        revision.extend(self, ctx)

    @standard_state.transition(
        source=StandardState.RETURNED,
        target=StandardState.NOT_RECOMMENDED,
        label=_("逾期未补正，不予推荐"),
        permission=RETURNED_BY_RECOMMENDER,
        custom=spec(opinion=OPINION_REQUIRED, checks=(revision.has_lapsed,), tell=(Tell.APPLICANTS,)),
    )
    def decline_lapsed(self, ctx: Any) -> None:
        revision.close_return(self, ctx)

    @standard_state.transition(
        source=StandardState.RETURNED,
        target=StandardState.RECOMMENDED,
        label=_("修改后重新提交（本单位即推荐单位）"),
        permission=OWN_RECOMMENDER_APPLICANT,
        custom=spec(
            snapshot=True,
            checkpoint="submission",
            # Until its 补正期限, whatever the submission window (as ``resubmit``).
            checks=(revision.not_lapsed, Hook("submit_checks"), Hook("direct_checks"), changed_since_last_revision),
            tell=(Tell.CAST_STAFF, Tell.RECOMMENDER_CONTENT),
        ),
    )
    def resubmit_to_cast(self, ctx: Any) -> None:
        ctx.audit_data["own_recommender"] = True
        revision.close_return(self, ctx)

    @standard_state.transition(
        source=StandardState.SUBMITTED,
        target=StandardState.RECOMMENDED,
        label=_("推荐"),
        permission=RECOMMENDER,
        custom=spec(
            window="recommender_review",
            checkpoint="recommender",
            opinion=OPINION_REQUIRED,
            checks=(Hook("recommend_checks"),),
            inputs=(Hook("recommend_inputs"),),
            tell=(Tell.CAST_STAFF, Tell.APPLICANTS),
        ),
    )
    def recommend(self, ctx: Any) -> None:
        self.recommended(ctx)

    @standard_state.transition(
        source=StandardState.SUBMITTED,
        target=StandardState.NOT_RECOMMENDED,
        label=pgettext_lazy("action", "不予推荐"),
        permission=RECOMMENDER,
        custom=spec(opinion=OPINION_REQUIRED, tell=(Tell.APPLICANTS,)),
    )
    def decline(self, ctx: Any) -> None:
        pass


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
    "objection_referred": _("异议转推荐单位核查"),
    "objection_verified": _("推荐单位报送核查情况"),
    "objection_dismissed": _("异议不成立"),
    "objection_partly_upheld": _("异议部分成立（更正公示内容）"),
    "objection_upheld": _("异议成立"),
}


def action_label(flow_class: type[BaseFlow], action: str) -> str:
    transitions = flow_class.all_transitions().get(action)
    if transitions:
        return str(transitions[0].label)
    return str(ENGINE_ACTION_LABELS.get(action, action))
