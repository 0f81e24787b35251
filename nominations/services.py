"""Writes of nominations: the form and the experts' scores. State changes go through
``workflows.services.transition``; photos and opinion PDFs through ``workflows.attachments``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions as perms
from accounts.models import Organization, Role
from workflows.audit import audit_append
from workflows.exceptions import InvalidInput, TransitionConflict, TransitionForbidden
from workflows.locks import lock_record, retry_on_contention
from workflows.models import AssignmentStatus, ReviewAssignment, Round, RoundKind
from workflows.scoring import weigh

from .checks import DEEDS_MAX
from .models import Category, Gender, Nomination, NominationScore

TEXT_LIMITS = {
    "nominee_name": 100,
    "person_org": 200,
    "person_title": 100,
    "volunteer_number": 50,
    "organizer": 200,
    "site_region": 200,
    "site_kind": 20,
    "deeds": DEEDS_MAX,
    "contact_name": 50,
    "contact_phone": 30,
    "unit_opinion": 2000,
    "unit_opinion_signer": 50,
}
DATE_FIELDS = ("birth_date", "founded_on", "period_start", "period_end", "unit_opinion_date")
INT_FIELDS = {"registered_volunteers": 1_000_000, "activities": 1_000_000}
EDITABLE_FIELDS = (*TEXT_LIMITS, *DATE_FIELDS, *INT_FIELDS, "gender", "service_hours")


def _label(name: str) -> str:
    return str(Nomination._meta.get_field(name).verbose_name)


def _clean(data: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    for key in sorted(set(data) - set(EDITABLE_FIELDS) - {"round", "category", "organization"}):
        errors.append(_("未知的字段：%(field)s") % {"field": key})
    clean: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if name not in data:
            continue
        value = "" if data[name] is None else data[name]
        if not isinstance(value, str):
            errors.append(_("“%(label)s”必须是文本") % {"label": _label(name)})
            continue
        value = value.strip()
        if name == "nominee_name":
            value = "".join(value.split())
        if len(value) > limit:
            errors.append(
                _("“%(label)s”不得超过 %(n)s 个字（现为 %(m)s 个）")
                % {"label": _label(name), "n": limit, "m": len(value)}
            )
            continue
        clean[name] = value
    for name in DATE_FIELDS:
        if name not in data:
            continue
        raw = data[name]
        if raw in (None, ""):
            clean[name] = None
            continue
        try:
            clean[name] = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
        except ValueError:
            errors.append(_("“%(label)s”必须是日期（YYYY-MM-DD）") % {"label": _label(name)})
    for name, limit in INT_FIELDS.items():
        if name not in data:
            continue
        raw = data[name]
        if raw in (None, ""):
            clean[name] = None
            continue
        if isinstance(raw, bool) or not str(raw).strip().isdigit() or int(str(raw)) > limit:
            errors.append(_("“%(label)s”必须是非负整数") % {"label": _label(name)})
            continue
        clean[name] = int(str(raw))
    if "gender" in data:
        if data["gender"] in (None, ""):
            clean["gender"] = ""
        elif data["gender"] not in Gender.values:
            errors.append(_("“性别”只能是 male 或 female"))
        else:
            clean["gender"] = data["gender"]
    if "service_hours" in data:
        raw = data["service_hours"]
        if raw in (None, ""):
            clean["service_hours"] = None
        else:
            try:
                hours = Decimal(str(raw))
            except (InvalidOperation, ValueError):
                hours = None
            if hours is None or not hours.is_finite() or hours < 0 or hours > Decimal("999999999"):
                errors.append(_("“%(label)s”必须是非负数") % {"label": _label("service_hours")})
            else:
                clean["service_hours"] = hours.quantize(Decimal("0.1"))
    if clean.get("birth_date") and clean["birth_date"] > timezone.localdate():
        errors.append(_("出生日期不能晚于今天"))
    return clean


def _applicant_org(actor: Any, org_code: str | None) -> Organization:
    grants = [g for g in perms.grants(actor) if g.role == Role.APPLICANT]
    if org_code:
        grants = [g for g in grants if g.org_code == org_code]
    if not grants:
        raise TransitionForbidden(_("只有申报单位的申报人可以创建推荐"))
    if len(grants) > 1:
        raise InvalidInput(_("您属于多个申报单位，请指定单位代码（organization）"))
    return Organization.objects.get(pk=grants[0].org_id)


@retry_on_contention
@transaction.atomic
def nomination_create(*, actor: Any, data: dict[str, Any]) -> Nomination:
    """A new draft nomination of the actor's organization.

    Side effects, in order: validates every field (InvalidInput listing each problem);
    creates the nomination in draft; appends the audit event "create".
    """
    errors: list[str] = []
    org = _applicant_org(actor, data.get("organization"))
    round_id = data.get("round")
    round_ = Round.objects.filter(pk=round_id, kind=RoundKind.SELECTION).first() if str(round_id).isdigit() else None
    if round_ is None:
        errors.append(_("请选择有效的评选批次"))
    category = data.get("category")
    if category not in Category.values:
        errors.append(_("请选择类别（%(choices)s）") % {"choices": ", ".join(Category.values)})
    clean = _clean(data, errors)
    # A name given but refused by _clean (too long, not text) is already reported.
    if not clean.get("nominee_name") and ("nominee_name" in clean or data.get("nominee_name") in (None, "")):
        errors.append(_("请填写“被推荐对象名称”"))
    if errors:
        raise InvalidInput(errors)
    nomination = Nomination.objects.create(round=round_, category=category, organization=org, created_by=actor, **clean)
    audit_append(
        record_type=nomination.record_type(),
        record_id=nomination.pk,
        action="create",
        actor=actor,
        actor_org=org.code,
        actor_role=Role.APPLICANT,
        to_state=nomination.state,
        data={"category": category, "nominee": nomination.nominee_name},
    )
    return nomination


@retry_on_contention
def nomination_update(nomination: Nomination, *, actor: Any, data: dict[str, Any]) -> Nomination:
    """Change a draft or returned nomination (its applicant only).

    Side effects, in order: validates; locks the row; refuses outside the editable states;
    saves; appends the audit event "edit" naming the changed fields.
    """
    if not perms.is_applicant_of(actor, nomination):
        raise TransitionForbidden(_("只有本单位申报人可以修改推荐"))
    errors: list[str] = []
    if {"round", "organization", "category"} & set(data):
        errors.append(_("评选批次、申报单位和类别创建后不能更改"))
    clean = _clean(data, errors)
    if "nominee_name" in clean and not clean["nominee_name"]:
        errors.append(_("请填写“被推荐对象名称”"))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = lock_record(Nomination, nomination.pk)
        if locked.state not in locked.flow_class.editable_states:
            raise TransitionConflict(
                _("推荐当前状态为“%(state)s”，不能修改") % {"state": locked.get_flow().state_label(locked.state)}
            )
        changed = sorted(k for k, v in clean.items() if getattr(locked, k) != v)
        for key, value in clean.items():
            setattr(locked, key, value)
        locked.save()
        audit_append(
            record_type=locked.record_type(),
            record_id=locked.pk,
            action="edit",
            actor=actor,
            actor_org=locked.organization.code,
            actor_role=Role.APPLICANT,
            from_state=locked.state,
            to_state=locked.state,
            data={"fields": changed},
            revision_hash=locked.current_revision_hash,
        )
    return locked


@retry_on_contention
def nomination_score_submit(
    nomination: Nomination, *, actor: Any, scores: dict[str, Any], comment: str
) -> NominationScore:
    """An assigned expert scores the nomination on its category's criteria.

    Side effects, in order: validates; locks the record; refuses without an assignment, with
    a conflict of interest, or outside expert review; stores or replaces the score; marks the
    assignment done; appends the audit event "score".
    """
    criteria = nomination.round.typed_settings.criteria[nomination.category]
    values, total, comment = weigh(criteria, scores, comment)
    with transaction.atomic():
        locked = lock_record(Nomination, nomination.pk)
        conflict = perms.expert_conflict(actor, locked)
        if conflict:
            raise TransitionForbidden(conflict)
        assignment = (
            ReviewAssignment.objects.select_for_update()
            .filter(record_type=locked.record_type(), record_id=locked.pk, stage="expert", assignee=actor)
            .exclude(status=AssignmentStatus.WITHDRAWN)
            .first()
        )
        if assignment is None:
            raise TransitionForbidden(_("您没有该推荐的评审任务"))
        if locked.state != "expert_review":
            raise TransitionConflict(_("推荐已不在专家评审阶段，不能评分"))
        score, _created = NominationScore.objects.update_or_create(
            nomination=locked, expert=actor, defaults={"scores": values, "total": total, "comment": comment}
        )
        if assignment.status == AssignmentStatus.OPEN:
            ReviewAssignment.objects.filter(pk=assignment.pk).update(
                status=AssignmentStatus.DONE, completed_at=timezone.now()
            )
        audit_append(
            record_type=locked.record_type(),
            record_id=locked.pk,
            action="score",
            actor=actor,
            actor_org=next((g.org_code for g in perms.grants(actor) if g.role == Role.EXPERT), ""),
            actor_role=Role.EXPERT,
            from_state=locked.state,
            to_state=locked.state,
            opinion=comment,
            data={"scores": values, "total": str(total)},
            revision_hash=locked.current_revision_hash,
        )
    return score
