"""Writes of rounds (批次管理): create, copy from an earlier round, change, close; their
sub-projects, documents and the recommending units' internal deadlines.

Every write is CAST staff's (a unit's internal deadline: its reviewers'), validated by one input
form (``administration.rounds.forms``), and appends a rule-change audit event on the round's
(or sub-project's, or deadline's) own chain with what changed (``administration.audit``). A
change to a round that already holds records lists them and must be confirmed (``confirm``):
``NeedsConfirmation`` says who is affected otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions as perms
from accounts.models import Organization, Role
from administration.audit import record_change, snapshot
from applications.models import SubprojectType
from workflows.exceptions import InvalidInput, TransitionConflict, TransitionForbidden, WorkflowError
from workflows.locks import retry_on_contention
from workflows.models import Round, RoundDocument, RoundKind, UnitDeadline
from workflows.registry import record_types
from workflows.uploads import DOCX, XLSX, check_upload

from .forms import WINDOWS, DeadlineInput, DocumentInput, RoundInput, SubprojectInput

ROUND_FIELDS = (
    "kind",
    "year",
    "title",
    *WINDOWS,
    "notice_working_days",
    "notice_day_kind",
    "contacts",
    "settings",
)
SUBPROJECT_FIELDS = (
    "code",
    "name",
    "description",
    "eligible_org_types",
    "pilot_only",
    "per_unit_limit",
    "quota",
    "envelope_yuan",
    "section_kind",
    "position",
)
DOCUMENT_TYPES = ("application/pdf", DOCX, XLSX)
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024


class NeedsConfirmation(WorkflowError):
    """The change touches a round that holds records: nothing was changed; say ``confirm``
    to make it (409, with who is affected)."""

    status_code = 409


def require_staff(actor: Any) -> None:
    if not perms.is_cast_staff(actor):
        raise TransitionForbidden(_("只有中国科协工作人员可以管理批次"))


def affected(round_: Round, *, subproject: SubprojectType | None = None) -> list[str]:
    """The records a change to the round (or to one of its sub-projects) would touch, one line
    per record type: how many, by state. Empty when there are none."""
    lines = []
    for rt in record_types():
        if rt.round_kind != round_.kind:
            continue
        qs = rt.model.objects.filter(round=round_)
        if subproject is not None:
            if not hasattr(rt.model, "subproject"):
                continue
            qs = qs.filter(subproject=subproject)
        counts = {row["state"]: row["n"] for row in qs.values("state").annotate(n=Count("pk")).order_by("state")}
        if not counts:
            continue
        states = "、".join(
            f"{rt.flow_class.state_label(state)} {n}" for state, n in sorted(counts.items(), key=lambda kv: -kv[1])
        )
        lines.append(
            _("%(noun)s %(n)s 条（%(states)s）") % {"noun": rt.noun_plural, "n": sum(counts.values()), "states": states}
        )
    return lines


def _confirm_or_refuse(round_: Round, confirm: bool, *, subproject: SubprojectType | None = None) -> None:
    touched = affected(round_, subproject=subproject)
    if touched and not confirm:
        raise NeedsConfirmation([_("本批次已有以下记录，修改会影响它们，请确认后再修改（confirm）："), *touched])


def _checked(form: Any) -> dict[str, Any]:
    problems = form.problems()
    if problems:
        raise InvalidInput(problems)
    return {k: v for k, v in form.cleaned_data.items() if k in form.fields}


@retry_on_contention
def round_create(*, actor: Any, data: dict[str, Any], client_ip: str | None = None) -> Round:
    """A new round (CAST staff). An application round gets the three sub-projects of the 2020
    notice to start from, editable at once.

    Side effects, in order: validates every field (InvalidInput listing each problem); creates
    the round; creates its default sub-projects (application rounds); appends the audit event
    "created" on the round with every field.
    """
    require_staff(actor)
    fields = _checked(RoundInput(data))
    with transaction.atomic():
        if Round.objects.filter(year=fields["year"], kind=fields["kind"], title=fields["title"]).exists():
            raise InvalidInput(_("同年度已有同名同类型的批次"))
        # An application round gets the default sub-projects on creation (applications' signal).
        round_ = Round.objects.create(**fields)
        record_change(round_, action="created", actor=actor, after=snapshot(round_, ROUND_FIELDS), client_ip=client_ip)
    return round_


@retry_on_contention
def round_copy(source: Round, *, actor: Any, year: Any, title: str = "", client_ip: str | None = None) -> Round:
    """A new round like ``source`` for ``year``: its windows moved by as many years, its
    settings, contacts and sub-projects (with their limits, quotas and envelopes); not its
    documents (a new year's guide is a new file).

    Side effects, in order: validates; creates the round and its sub-projects; appends the
    audit event "copied" on the new round naming the source.
    """
    require_staff(actor)
    try:
        target_year = int(str(year))
    except ValueError:
        target_year = 0
    if not 2000 <= target_year <= 2100:
        raise InvalidInput(_("“年度”必须在 2000 到 2100 之间"))
    shift = target_year - source.year

    def moved(moment: dt.datetime) -> dt.datetime:
        try:
            return moment.replace(year=moment.year + shift)
        except ValueError:  # 29 February into a common year
            return moment.replace(year=moment.year + shift, day=28)

    title = (title or "").strip() or source.title.replace(str(source.year), str(target_year))
    data = {
        "kind": source.kind,
        "year": target_year,
        "title": title,
        **{name: moved(getattr(source, name)).isoformat() for name in WINDOWS},
        "notice_working_days": source.notice_working_days,
        "notice_day_kind": source.notice_day_kind,
        "contacts": source.contacts or [],
        "settings": source.settings or {},
    }
    fields = _checked(RoundInput(data))
    with transaction.atomic():
        if Round.objects.filter(year=fields["year"], kind=fields["kind"], title=fields["title"]).exists():
            raise InvalidInput(_("同年度已有同名同类型的批次"))
        round_ = Round.objects.create(**fields)
        # The source's sub-projects instead of the defaults the new round was given.
        round_.subprojects.all().delete()
        for sub in source.subprojects.all() if source.kind == RoundKind.APPLICATION else ():
            SubprojectType.objects.create(round=round_, **{name: getattr(sub, name) for name in SUBPROJECT_FIELDS})
        record_change(
            round_,
            action="copied",
            actor=actor,
            after=snapshot(round_, ROUND_FIELDS),
            extra={"source": source.pk},
            client_ip=client_ip,
        )
    return round_


@retry_on_contention
def round_update(
    round_: Round, *, actor: Any, data: dict[str, Any], confirm: bool = False, client_ip: str | None = None
) -> Round:
    """Change a round's fields (only those given). A closed round does not change; one that
    holds records changes only when confirmed.

    Side effects, in order: validates (against the round's other values); locks the round;
    refuses a closed round (409) or an unconfirmed change to a round with records
    (NeedsConfirmation, 409, listing them); saves; appends the audit event "changed" with each
    changed field before and after.
    """
    require_staff(actor)
    fields = _checked(RoundInput(data, instance=round_))
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if locked.closed_at is not None:
            raise TransitionConflict(_("本批次已关闭，不能修改"))
        before = snapshot(locked, ROUND_FIELDS)
        for name, value in fields.items():
            setattr(locked, name, value)
        after = snapshot(locked, ROUND_FIELDS)
        if before == after:
            return locked
        _confirm_or_refuse(locked, confirm)
        locked._typed_settings = None
        locked.save()
        record_change(locked, action="changed", actor=actor, before=before, after=after, client_ip=client_ip)
    return locked


@retry_on_contention
def round_close(round_: Round, *, actor: Any, reason: str, client_ip: str | None = None) -> Round:
    """Close a round: no window of it opens again and its settings no longer change; its
    records that are on the way may still be finished (notices, issuing).

    Side effects, in order: refuses without a reason; locks the round; refuses a closed one;
    sets ``closed_at``; appends the audit event "closed" with the reason.
    """
    require_staff(actor)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput(_("请填写关闭理由"))
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if locked.closed_at is not None:
            raise TransitionConflict(_("本批次已关闭"))
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at", "updated_at"])
        record_change(
            locked,
            action="closed",
            actor=actor,
            before={"closed_at": None},
            after={"closed_at": locked.closed_at.isoformat()},
            reason=reason,
            client_ip=client_ip,
        )
    return locked


# -- sub-projects --------------------------------------------------------------------------------


def _open_round(round_: Round) -> Round:
    locked = Round.objects.select_for_update().get(pk=round_.pk)
    if locked.closed_at is not None:
        raise TransitionConflict(_("本批次已关闭，不能修改"))
    if locked.kind != RoundKind.APPLICATION:
        raise InvalidInput(_("只有项目申报批次有子项目"))
    return locked


@retry_on_contention
def subproject_create(
    round_: Round, *, actor: Any, data: dict[str, Any], client_ip: str | None = None
) -> SubprojectType:
    """A new sub-project of an application round.

    Side effects, in order: validates; locks the round; refuses a closed or selection round, a
    code already used in the round; creates it; appends the audit event "created" on the
    sub-project.
    """
    require_staff(actor)
    fields = _checked(SubprojectInput(data))
    with transaction.atomic():
        locked = _open_round(round_)
        if locked.subprojects.filter(code=fields["code"]).exists():
            raise InvalidInput(_("本批次已有代码为“%(code)s”的子项目") % {"code": fields["code"]})
        if fields.get("position") is None:
            fields["position"] = locked.subprojects.count()
        sub = SubprojectType.objects.create(round=locked, **fields)
        record_change(sub, action="created", actor=actor, after=snapshot(sub, SUBPROJECT_FIELDS), client_ip=client_ip)
    return sub


@retry_on_contention
def subproject_update(
    sub: SubprojectType,
    *,
    actor: Any,
    data: dict[str, Any],
    confirm: bool = False,
    client_ip: str | None = None,
) -> SubprojectType:
    """Change a sub-project (only the fields given); confirmed when it has applications.

    Side effects, in order: validates; locks the round then the sub-project; refuses a closed
    round, a code taken by another sub-project, an unconfirmed change to a sub-project with
    applications (NeedsConfirmation); saves; appends the audit event "changed".
    """
    require_staff(actor)
    fields = _checked(SubprojectInput(data, instance=sub))
    with transaction.atomic():
        locked_round = _open_round(sub.round)
        locked = SubprojectType.objects.select_for_update().get(pk=sub.pk)
        code = fields.get("code")
        if code and locked_round.subprojects.filter(code=code).exclude(pk=locked.pk).exists():
            raise InvalidInput(_("本批次已有代码为“%(code)s”的子项目") % {"code": code})
        if "position" in fields and fields["position"] is None:
            fields["position"] = locked.position
        before = snapshot(locked, SUBPROJECT_FIELDS)
        for name, value in fields.items():
            setattr(locked, name, value)
        after = snapshot(locked, SUBPROJECT_FIELDS)
        if before == after:
            return locked
        _confirm_or_refuse(locked_round, confirm, subproject=locked)
        locked.save()
        record_change(locked, action="changed", actor=actor, before=before, after=after, client_ip=client_ip)
    return locked


@retry_on_contention
def subproject_delete(sub: SubprojectType, *, actor: Any, reason: str, client_ip: str | None = None) -> None:
    """Remove a sub-project nobody has applied to.

    Side effects, in order: refuses without a reason; locks the round; refuses a closed round or
    a sub-project with applications (409); appends the audit event "deleted" with its fields;
    deletes it.
    """
    require_staff(actor)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput(_("请填写删除理由"))
    with transaction.atomic():
        _open_round(sub.round)
        locked = SubprojectType.objects.select_for_update().get(pk=sub.pk)
        if locked.applications.exists():
            raise TransitionConflict(_("已有单位申报该子项目，不能删除"))
        record_change(
            locked,
            action="deleted",
            actor=actor,
            before=snapshot(locked, SUBPROJECT_FIELDS),
            reason=reason,
            client_ip=client_ip,
        )
        locked.delete()


# -- documents -----------------------------------------------------------------------------------


@retry_on_contention
def round_document_add(
    round_: Round, *, actor: Any, data: dict[str, Any], upload: Any, client_ip: str | None = None
) -> RoundDocument:
    """Attach a file applicants download (the guide, the form template, the instructions):
    PDF, DOCX or XLSX recognised by its bytes, at most 20 MB.

    Side effects, in order: validates the kind, title and file (every problem); locks the
    round; refuses a closed round; stores the file under a server-made name with its SHA-256;
    appends the audit event "document_added" on the round.
    """
    require_staff(actor)
    form = DocumentInput(data)
    problems = form.problems()
    checked, upload_problems = check_upload(
        upload, allowed=DOCUMENT_TYPES, max_bytes=DOCUMENT_MAX_BYTES, label=_("文件")
    )
    if problems or upload_problems:
        raise InvalidInput([*problems, *upload_problems])
    assert checked is not None
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if locked.closed_at is not None:
            raise TransitionConflict(_("本批次已关闭，不能修改"))
        document = RoundDocument(
            round=locked,
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            original_name=checked.original_name,
            size=checked.size,
            sha256=checked.sha256,
            content_type=checked.content_type,
            uploaded_by=actor,
        )
        extension = {"application/pdf": "pdf", DOCX: "docx", XLSX: "xlsx"}[checked.content_type]
        document.file.save(f"{checked.sha256[:16]}.{extension}", ContentFile(checked.content), save=False)
        document.save()
        record_change(
            locked,
            action="document_added",
            actor=actor,
            after={"document": document.pk, "kind": document.kind, "title": document.title},
            extra={"sha256": document.sha256},
            client_ip=client_ip,
        )
    return document


@retry_on_contention
def round_document_remove(document: RoundDocument, *, actor: Any, reason: str, client_ip: str | None = None) -> None:
    """Take a file off the round (the audit event keeps its digest).

    Side effects, in order: refuses without a reason; locks the round; refuses a closed round;
    appends the audit event "document_removed"; deletes the row and the stored file.
    """
    require_staff(actor)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput(_("请填写删除理由"))
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=document.round_id)
        if locked.closed_at is not None:
            raise TransitionConflict(_("本批次已关闭，不能修改"))
        record_change(
            locked,
            action="document_removed",
            actor=actor,
            before={"document": document.pk, "kind": document.kind, "title": document.title},
            extra={"sha256": document.sha256},
            reason=reason,
            client_ip=client_ip,
        )
        stored = document.file.name
        document.delete()
        transaction.on_commit(lambda: RoundDocument.file.field.storage.delete(stored))


# -- recommending units' internal deadlines -------------------------------------------------------


def deadline_units(actor: Any) -> list[Organization]:
    """The recommending units whose internal deadline the actor may set: those where they are a
    society reviewer (their own unit being a recommending unit)."""
    ids = [g.org_id for g in perms.grants(actor) if g.role == Role.SOCIETY_REVIEWER]
    return list(Organization.objects.filter(pk__in=ids, recommending_unit_id__in=ids).order_by("code"))


@retry_on_contention
def unit_deadline_set(
    round_: Round,
    unit: Organization,
    *,
    actor: Any,
    data: dict[str, Any],
    client_ip: str | None = None,
) -> UnitDeadline | None:
    """A recommending unit sets (or, with an empty ``closes_at``, lifts) its own earlier
    deadline for its units' submissions in the round — at or before the round's own.

    Side effects, in order: refuses anyone but the unit's society reviewers; validates; locks
    the round; refuses a closed round; creates, changes or deletes the deadline; appends the
    audit event on it ("created", "changed" or "deleted").
    """
    if unit not in deadline_units(actor):
        raise TransitionForbidden(_("只有该推荐单位的审核人可以设置本单位的内部截止时间"))
    lift = data.get("closes_at") in (None, "")
    fields = {} if lift else _checked(DeadlineInput(data, round_=round_))
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if locked.closed_at is not None:
            raise TransitionConflict(_("本批次已关闭，不能修改"))
        current = UnitDeadline.objects.select_for_update().filter(round=locked, unit=unit).first()
        before = snapshot(current, ("closes_at",)) if current else {}
        if lift:
            if current is None:
                return None
            record_change(current, action="deleted", actor=actor, before=before, client_ip=client_ip)
            current.delete()
            return None
        if current is None:
            current = UnitDeadline.objects.create(round=locked, unit=unit, closes_at=fields["closes_at"], set_by=actor)
            action = "created"
        else:
            current.closes_at = fields["closes_at"]
            current.set_by = actor
            current.save(update_fields=["closes_at", "set_by", "updated_at"])
            action = "changed"
        record_change(
            current,
            action=action,
            actor=actor,
            before=before,
            after=snapshot(current, ("closes_at",)),
            extra={"round": locked.pk, "unit": unit.code},
            client_ip=client_ip,
        )
    return current
