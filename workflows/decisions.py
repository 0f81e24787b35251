"""审定: the decision meetings (部务会, 专题会) that decide a round's records before their 公示.

CAST staff record a meeting (kind, name, date, participants, the round), upload its minutes (a
PDF, recognized by its bytes) and attach the records it decided, each with its decision (同意:
拟立项 / 拟入选; 不同意) and, for funding, the amount. ``propose`` (applications) and
``shortlist`` (nominations) require the record's latest decision to be 同意 by a meeting whose
minutes are uploaded (``conditions.decided_in_meeting``), and their audit event names the meeting.

Every write is CAST staff's, lists every problem of its input at once, locks the meeting and
appends an event to the meeting's own chain in the audit ledger (``workflows.decisionmeeting``).
CAST staff and the auditor read meetings; nobody else sees them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import permissions as perms

from . import inputs
from .audit import audit_append
from .exceptions import InvalidInput, TransitionConflict, TransitionForbidden
from .locks import retry_on_contention
from .models import Decision, DecisionItem, DecisionMeeting, MeetingKind, Round
from .uploads import check_upload

MINUTES_MAX_BYTES = 20 * 1024 * 1024
MEETING_FIELDS = ("round", "kind", "name", "held_on", "participants")
# The states in which a record waits for the decision (expert review done or under way).
DECIDABLE_STATES = frozenset({"expert_review"})

ACTION_LABELS = {
    "meeting_created": gettext_lazy("登记审定会议"),
    "meeting_changed": gettext_lazy("修改审定会议"),
    "meeting_deleted": gettext_lazy("删除审定会议"),
    "minutes_uploaded": gettext_lazy("上传会议纪要"),
    "record_attached": gettext_lazy("添加审定事项"),
    "record_detached": gettext_lazy("移除审定事项"),
}


def _label(name: str) -> Any:
    return DecisionMeeting._meta.get_field(name).verbose_name


class RoundChoice(inputs.InputField):
    """A round by its id."""

    def to_python(self, value: Any) -> Round | None:
        if value in (None, ""):
            return None
        try:
            return Round.objects.get(pk=int(str(value)))
        except (ValueError, Round.DoesNotExist):
            raise self.refuse(_("“%(label)s”不存在")) from None


class MeetingInput(inputs.InputForm):
    accepted = ("minutes",)

    round = RoundChoice(label=_label("round"))
    kind = inputs.Choice(
        label=_label("kind"),
        values=list(MeetingKind.values),
        message=gettext_lazy("“%(label)s”必须是 ministerial（部务会）或 special（专题会）"),
    )
    name = inputs.Text(label=_label("name"), max_length=200)
    held_on = inputs.Date(label=_label("held_on"))
    participants = inputs.Text(label=_label("participants"), max_length=5000)

    def __init__(self, data: Any, *, instance: DecisionMeeting | None = None, **kwargs: Any) -> None:
        super().__init__(data, partial=instance is not None, **kwargs)
        self.instance = instance

    def clean(self) -> dict[str, Any]:
        from django import forms

        data = super().clean()
        problems = []
        for name in MEETING_FIELDS:
            if (self.instance is None or name in self.fields) and not data.get(name) and name not in self.errors:
                problems.append(_("请填写“%(label)s”") % {"label": self.base_fields[name].label})
        held_on = data.get("held_on")
        if held_on and held_on > timezone.localdate():
            problems.append(_("“会议日期”不得晚于今天（会议开过后才登记）"))
        if problems:
            raise forms.ValidationError(problems)
        return data


class ItemInput(inputs.InputForm):
    record_type = inputs.Text(label=gettext_lazy("记录类型"), max_length=100)
    record_id = inputs.Count(label=gettext_lazy("记录编号"), maximum=10**15)
    decision = inputs.Choice(
        label=DecisionItem._meta.get_field("decision").verbose_name,
        values=list(Decision.values),
        message=gettext_lazy("“%(label)s”必须是 approve（同意）或 reject（不同意）"),
    )
    amount = inputs.Amount(label=DecisionItem._meta.get_field("amount").verbose_name)

    def clean(self) -> dict[str, Any]:
        from django import forms

        data = super().clean()
        problems = []
        for name in ("record_type", "record_id", "decision"):
            if data.get(name) in (None, "") and name not in self.errors:
                problems.append(_("请填写“%(label)s”") % {"label": self.fields[name].label})
        amount = data.get("amount")
        if amount is not None and data.get("decision") == Decision.REJECT:
            problems.append(_("不同意的审定事项不填审定金额"))
        elif amount is not None and amount <= 0:
            problems.append(_("审定金额必须大于 0"))
        if problems:
            raise forms.ValidationError(problems)
        return data


# -- reads ----------------------------------------------------------------------------------------


def can_read(user: Any) -> bool:
    return user is not None and user.is_authenticated and (perms.is_cast_staff(user) or perms.is_auditor(user))


def visible_meetings(user: Any) -> QuerySet:
    """The meetings the user may read: all for CAST staff and the auditor, none for anyone else."""
    qs = DecisionMeeting.objects.select_related("round", "created_by")
    return qs if can_read(user) else qs.none()


def meeting_items(meeting: DecisionMeeting) -> list[dict[str, Any]]:
    """The meeting's items with their records (name, unit, state) for pages and the API."""
    from .registry import get_record_model, record_type_of

    rows = []
    for item in meeting.items.select_related("added_by").order_by("pk"):
        model = get_record_model(item.record_type)
        record = model.objects.select_related("organization").filter(pk=item.record_id).first() if model else None
        rt = record_type_of(model) if model else None
        rows.append(
            {
                "item": item,
                "record": record,
                "record_name": (rt.display_name(record) if rt else str(record)) if record else "—",
                "organization": record.organization.name if record else "",
                "state": record.state if record else "",
                "state_label": record.flow_class.state_label(record.state) if record else "",
                "url": record.get_absolute_url() if record else "",
            }
        )
    return rows


def latest_decision(record: Any) -> DecisionItem | None:
    """The record's latest decision (by the meeting's date, then the order recorded)."""
    return (
        DecisionItem.objects.filter(record_type=record.record_type(), record_id=record.pk)
        .select_related("meeting")
        .order_by("-meeting__held_on", "-meeting_id", "-pk")
        .first()
    )


def decision_problems(record: Any) -> list[str]:
    """Why the record may not yet go forward to the public notice on a meeting's decision."""
    item = latest_decision(record)
    if item is None:
        return [_("尚未经审定会议决定：请先登记审定会议（部务会或专题会）、上传会议纪要并添加本记录")]
    problems = []
    if not item.meeting.has_minutes:
        problems.append(_("审定会议《%(name)s》尚未上传会议纪要（PDF）") % {"name": item.meeting.name})
    if item.decision != Decision.APPROVE:
        problems.append(_("审定会议《%(name)s》的决定为不同意") % {"name": item.meeting.name})
    return problems


def decision_audit(record: Any) -> dict[str, Any] | None:
    """The meeting a decision rests on, as its audit event keeps it."""
    item = latest_decision(record)
    if item is None:
        return None
    meeting = item.meeting
    return {
        "id": meeting.pk,
        "kind": meeting.kind,
        "name": meeting.name,
        "held_on": meeting.held_on.isoformat(),
        "minutes_sha256": meeting.minutes_sha256,
        "decision": item.decision,
        "amount": str(item.amount) if item.amount is not None else None,
    }


# -- writes ---------------------------------------------------------------------------------------


def require_staff(actor: Any) -> None:
    if not perms.is_cast_staff(actor):
        raise TransitionForbidden(_("只有中国科协工作人员可以登记审定会议"))


def _org_of(actor: Any) -> str:
    """The organization the actor acts for as CAST staff."""
    return next((g.org_code for g in perms.grants(actor) if g.role == "cast_staff"), "")


def _event(
    meeting: DecisionMeeting,
    action: str,
    actor: Any,
    data: dict[str, Any],
    client_ip: str | None,
    opinion: str = "",
) -> None:
    audit_append(
        record_type=DecisionMeeting._meta.label_lower,
        record_id=meeting.pk,
        action=action,
        actor=actor,
        actor_org=_org_of(actor),
        actor_role="cast_staff",
        opinion=opinion,
        data=data,
        client_ip=client_ip,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Round):
        return value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields_of(meeting: DecisionMeeting) -> dict[str, Any]:
    return {
        "round": meeting.round_id,
        "kind": meeting.kind,
        "name": meeting.name,
        "held_on": meeting.held_on.isoformat(),
        "participants": meeting.participants,
    }


def _checked_minutes(upload: Any) -> tuple[Any, list[str]]:
    return check_upload(upload, allowed=("application/pdf",), max_bytes=MINUTES_MAX_BYTES, label=str(_label("minutes")))


def _store_minutes(meeting: DecisionMeeting, checked: Any) -> None:
    meeting.minutes.save(checked.original_name, ContentFile(checked.content), save=False)
    meeting.minutes_name = checked.original_name
    meeting.minutes_size = checked.size
    meeting.minutes_sha256 = checked.sha256
    meeting.minutes_uploaded_at = timezone.now()


def _minutes_data(meeting: DecisionMeeting) -> dict[str, Any]:
    return {"name": meeting.minutes_name, "size": meeting.minutes_size, "sha256": meeting.minutes_sha256}


@retry_on_contention
def meeting_create(
    *, actor: Any, data: dict[str, Any], minutes: Any = None, client_ip: str | None = None
) -> DecisionMeeting:
    """Record a decision meeting (and its minutes, if given).

    Side effects, in order: refuses anyone but CAST staff; validates every field and the minutes
    PDF (InvalidInput listing each problem); creates it; stores the minutes; appends the audit
    event "meeting_created" (and "minutes_uploaded") on the meeting's chain.
    """
    require_staff(actor)
    form = MeetingInput(data)
    problems = form.problems()
    checked = None
    if minutes is not None:
        checked, errors = _checked_minutes(minutes)
        problems.extend(errors)
    if problems:
        raise InvalidInput(problems)
    fields = {k: v for k, v in form.cleaned_data.items() if k in form.fields}
    with transaction.atomic():
        meeting = DecisionMeeting(created_by=actor, **fields)
        if checked is not None:
            _store_minutes(meeting, checked)
        meeting.save()
        _event(meeting, "meeting_created", actor, {"changes": _fields_of(meeting)}, client_ip)
        if checked is not None:
            _event(meeting, "minutes_uploaded", actor, {"minutes": _minutes_data(meeting)}, client_ip)
    return meeting


@retry_on_contention
def meeting_update(
    meeting: DecisionMeeting, *, actor: Any, data: dict[str, Any], client_ip: str | None = None
) -> DecisionMeeting:
    """Change a meeting's fields (only those given).

    Side effects, in order: refuses anyone but CAST staff; validates (every problem listed);
    locks the meeting; refuses moving a meeting with records to another round; saves; appends
    "meeting_changed" with each field's before and after.
    """
    require_staff(actor)
    form = MeetingInput(data, instance=meeting)
    problems = form.problems()
    if problems:
        raise InvalidInput(problems)
    fields = {k: v for k, v in form.cleaned_data.items() if k in form.fields}
    with transaction.atomic():
        locked = DecisionMeeting.objects.select_for_update().get(pk=meeting.pk)
        if "round" in fields and fields["round"].pk != locked.round_id and locked.items.exists():
            raise InvalidInput(_("会议已有审定事项，不能改到其他批次"))
        before = _fields_of(locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        after = _fields_of(locked)
        changes = {k: {"before": before[k], "after": after[k]} for k in before if before[k] != after[k]}
        _event(locked, "meeting_changed", actor, {"changes": changes}, client_ip)
    return locked


@retry_on_contention
def meeting_delete(meeting: DecisionMeeting, *, actor: Any, reason: str, client_ip: str | None = None) -> None:
    """Delete a meeting recorded by mistake: only without records (its chain keeps the event).

    Side effects, in order: refuses anyone but CAST staff, no reason; locks the meeting; refuses
    one with records; appends "meeting_deleted"; deletes it and its minutes file.
    """
    require_staff(actor)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput(_("请填写删除理由"))
    with transaction.atomic():
        locked = DecisionMeeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.items.exists():
            raise TransitionConflict(_("会议已有审定事项，不能删除；请先移除审定事项"))
        _event(locked, "meeting_deleted", actor, {"changes": _fields_of(locked)}, client_ip, reason)
        name = locked.minutes.name
        locked.delete()
        if name:
            transaction.on_commit(lambda: locked.minutes.storage.delete(name))


@retry_on_contention
def minutes_upload(
    meeting: DecisionMeeting, *, actor: Any, upload: Any, client_ip: str | None = None
) -> DecisionMeeting:
    """Upload (or replace) the meeting's minutes: a PDF by its bytes, at most 20 MB.

    Side effects, in order: refuses anyone but CAST staff; checks the file; locks the meeting;
    stores the file; appends "minutes_uploaded" with its name, size and SHA-256 (and the one it
    replaced).
    """
    require_staff(actor)
    checked, errors = _checked_minutes(upload)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = DecisionMeeting.objects.select_for_update().get(pk=meeting.pk)
        replaced = _minutes_data(locked) if locked.has_minutes else None
        _store_minutes(locked, checked)
        locked.save()
        _event(locked, "minutes_uploaded", actor, {"minutes": _minutes_data(locked), "replaced": replaced}, client_ip)
    return locked


def _record_of(record_type: str, record_id: int) -> Any:
    from .registry import get_record_model

    model = get_record_model(record_type)
    if model is None:
        return None, [_("未知的记录类型：%(type)s") % {"type": record_type}]
    record = model.objects.filter(pk=record_id).first()
    if record is None:
        return None, [_("记录 %(type)s#%(id)s 不存在") % {"type": record_type, "id": record_id}]
    return record, []


@retry_on_contention
def item_attach(
    meeting: DecisionMeeting, *, actor: Any, data: dict[str, Any], client_ip: str | None = None
) -> DecisionItem:
    """Attach a record the meeting decided, with the decision (and amount, for funding).

    Side effects, in order: refuses anyone but CAST staff; validates the input and the record
    (known type, exists, of the meeting's round, awaiting the decision — expert review — not
    yet on this meeting; an amount within what was requested), every problem listed; locks the
    meeting; creates the item; appends "record_attached".
    """
    require_staff(actor)
    form = ItemInput(data)
    problems = form.problems()
    record = None
    if not problems:
        fields = form.cleaned_data
        record, problems = _record_of(fields["record_type"], fields["record_id"])
    if record is not None:
        if record.round_id != meeting.round_id:
            problems.append(_("该记录不属于本会议的批次"))
        if record.state not in DECIDABLE_STATES:
            problems.append(
                _("该记录当前状态为“%(state)s”，不在待审定阶段（专家评审）")
                % {"state": record.flow_class.state_label(record.state)}
            )
        amount = fields.get("amount")
        requested = getattr(record, "requested_amount", None)
        if amount is not None and not hasattr(record, "requested_amount"):
            problems.append(_("该类记录没有资助金额，不填审定金额"))
        elif amount is not None and requested is not None and amount > requested:
            problems.append(
                _("审定金额 %(amount)s 元超过申请金额 %(requested)s 元")
                % {"amount": f"{amount:,.2f}", "requested": f"{requested:,.2f}"}
            )
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        locked = DecisionMeeting.objects.select_for_update().get(pk=meeting.pk)
        label = record.record_type()
        if locked.items.filter(record_type=label, record_id=record.pk).exists():
            raise InvalidInput(_("该记录已在本会议的审定事项中"))
        item = DecisionItem.objects.create(
            meeting=locked,
            record_type=label,
            record_id=record.pk,
            decision=fields["decision"],
            amount=fields.get("amount"),
            added_by=actor,
        )
        _event(
            locked,
            "record_attached",
            actor,
            {"record_type": label, "record_id": record.pk, "decision": item.decision, "amount": _plain(item.amount)},
            client_ip,
        )
    return item


@retry_on_contention
def item_detach(
    meeting: DecisionMeeting, *, actor: Any, item_id: int, reason: str, client_ip: str | None = None
) -> None:
    """Remove a record from the meeting (attached by mistake), with a reason; only while the
    record still awaits the decision (once acted on, the decision it rests on stays).

    Side effects, in order: refuses anyone but CAST staff, no reason; locks the meeting; refuses
    an unknown item or a record no longer in expert review; deletes the item; appends
    "record_detached".
    """
    require_staff(actor)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput(_("请填写移除理由"))
    with transaction.atomic():
        locked = DecisionMeeting.objects.select_for_update().get(pk=meeting.pk)
        item = locked.items.filter(pk=item_id).first()
        if item is None:
            raise InvalidInput(_("本会议没有该审定事项"))
        record, _missing = _record_of(item.record_type, item.record_id)
        if record is not None and record.state not in DECIDABLE_STATES:
            raise TransitionConflict(
                _("该记录已按审定决定办理（当前状态“%(state)s”），不能移除")
                % {"state": record.flow_class.state_label(record.state)}
            )
        data = {"record_type": item.record_type, "record_id": item.record_id, "decision": item.decision}
        item.delete()
        _event(locked, "record_detached", actor, data, client_ip, reason)
