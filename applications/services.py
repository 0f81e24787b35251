"""Writes of applications: sub-project types, the form, scores. State changes go through
``workflows.services.transition``; attachments through ``workflows.attachments``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import permissions as perms
from accounts.models import Organization, OrgType, Role
from workflows.audit import audit_append
from workflows.exceptions import InvalidInput, TransitionConflict, TransitionForbidden
from workflows.locks import lock_record, retry_on_contention
from workflows.models import AssignmentStatus, ReviewAssignment, Round, RoundKind

from .models import Application, BudgetLine, ExpertScore, SubprojectType, TeamMember

DEFAULT_SUBPROJECTS = [
    {
        "code": "integrate",
        "name": "整合资源创新推进科技志愿服务",
        "eligible_org_types": [OrgType.PROVINCIAL_CAST, OrgType.NATIONAL_SOCIETY],
        "pilot_only": False,
    },
    {
        "code": "civilization_centre",
        "name": "助力新时代文明实践中心建设",
        "eligible_org_types": [OrgType.COUNTY_CAST],
        "pilot_only": True,
    },
    {
        "code": "grassroots",
        "name": "学会科技志愿服务基层行",
        "eligible_org_types": [OrgType.NATIONAL_SOCIETY, OrgType.PROVINCIAL_SOCIETY, OrgType.SOCIETY_BRANCH],
        "pilot_only": False,
    },
]

TEXT_LIMITS = {
    "name": 200,
    "leader_name": 50,
    "leader_title": 100,
    "leader_phone": 30,
    "leader_mobile": 30,
    "leader_email": 254,
    "region_province": 50,
    "region_city": 50,
    "region_county": 50,
    "target_groups": 2000,
    "basis": 5000,
    "content": 5000,
    "targets": 5000,
    "outcomes": 5000,
    "conditions": 5000,
    "commitment_signer": 50,
}
DATE_FIELDS = ("period_start", "period_end")
BOOL_FIELDS = ("pilot_county", "commitment")
EDITABLE_FIELDS = (*TEXT_LIMITS, *DATE_FIELDS, *BOOL_FIELDS, "requested_amount")
TEAM_LIMITS = {"name": 50, "education": 50, "qualification": 100, "role": 100, "phone": 30}
BUDGET_LIMITS = {"item": 100, "note": 200}
MAX_AMOUNT = Decimal("9999999999.99")


def subprojects_ensure_defaults(*, round: Round) -> list[SubprojectType]:
    """The three sub-projects of the 2020 notice, for an application round that has none."""
    if round.kind != RoundKind.APPLICATION:
        return []
    if not round.subprojects.exists():
        for position, item in enumerate(DEFAULT_SUBPROJECTS):
            SubprojectType.objects.create(round=round, position=position, **item)
    return list(round.subprojects.all())


def _field_label(name: str) -> str:
    return str(Application._meta.get_field(name).verbose_name)


def parse_amount(raw: Any, label: str, errors: list[str]) -> Decimal | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        errors.append(_("%(label)s必须是金额数字") % {"label": label})
        return None
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        errors.append(_("%(label)s必须是金额数字（如 50000.00）") % {"label": label})
        return None
    if not value.is_finite():
        errors.append(_("%(label)s必须是金额数字（如 50000.00）") % {"label": label})
        return None
    if value < 0:
        errors.append(_("%(label)s不能为负数") % {"label": label})
        return None
    if value.as_tuple().exponent < -2:
        errors.append(_("%(label)s最多保留两位小数（单位：元）") % {"label": label})
        return None
    if value > MAX_AMOUNT:
        errors.append(_("%(label)s超出范围") % {"label": label})
        return None
    return value.quantize(Decimal("0.01"))


def _clean_fields(data: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    unknown = sorted(set(data) - set(EDITABLE_FIELDS) - {"team", "budget", "subproject", "round", "organization"})
    for key in unknown:
        errors.append(_("未知的字段：%(field)s") % {"field": key})
    clean: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if name not in data:
            continue
        value = data[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append(_("“%(label)s”必须是文本") % {"label": _field_label(name)})
            continue
        value = value.strip()
        if name == "name":
            value = "".join(value.split())
        if len(value) > limit:
            errors.append(_("“%(label)s”不得超过 %(n)s 个字符") % {"label": _field_label(name), "n": limit})
            continue
        if name == "leader_email" and value:
            try:
                validate_email(value)
            except ValidationError:
                errors.append(_("“%(label)s”格式不正确") % {"label": _field_label(name)})
                continue
        clean[name] = value
    for name in DATE_FIELDS:
        if name not in data:
            continue
        raw = data[name]
        if raw in (None, ""):
            clean[name] = None
            continue
        if isinstance(raw, dt.date):
            clean[name] = raw
            continue
        try:
            clean[name] = dt.date.fromisoformat(str(raw))
        except ValueError:
            errors.append(_("“%(label)s”必须是日期（YYYY-MM-DD）") % {"label": _field_label(name)})
    for name in BOOL_FIELDS:
        if name not in data:
            continue
        raw = data[name]
        if isinstance(raw, bool):
            clean[name] = raw
        elif str(raw).lower() in {"true", "1", "on", "yes"}:
            clean[name] = True
        elif str(raw).lower() in {"false", "0", "off", "no", ""}:
            clean[name] = False
        else:
            errors.append(_("“%(label)s”必须是是/否") % {"label": _field_label(name)})
    if "requested_amount" in data:
        clean["requested_amount"] = parse_amount(data["requested_amount"], _field_label("requested_amount"), errors)
    return clean


def _clean_rows(rows: Any, limits: dict[str, int], label: str, errors: list[str], *, amount: bool) -> list[dict]:
    if not isinstance(rows, list):
        errors.append(_("%(label)s必须是列表") % {"label": label})
        return []
    if len(rows) > 50:
        errors.append(_("%(label)s最多 50 行") % {"label": label})
        return []
    clean_rows = []
    for i, row in enumerate(rows, start=1):
        where = _("%(label)s第 %(n)s 行") % {"label": label, "n": i}
        if not isinstance(row, dict):
            errors.append(_("%(where)s格式不正确") % {"where": where})
            continue
        unknown = sorted(set(row) - set(limits) - ({"amount"} if amount else set()))
        if unknown:
            errors.append(_("%(where)s：未知的字段 %(fields)s") % {"where": where, "fields": ", ".join(unknown)})
        item: dict[str, Any] = {}
        for key, limit in limits.items():
            value = row.get(key, "")
            value = "" if value is None else value
            if not isinstance(value, str):
                errors.append(_("%(where)s：%(field)s 必须是文本") % {"where": where, "field": key})
                continue
            value = value.strip()
            if len(value) > limit:
                errors.append(
                    _("%(where)s：%(field)s 不得超过 %(n)s 个字符") % {"where": where, "field": key, "n": limit}
                )
            item[key] = value
        first = "name" if "name" in limits else "item"
        if not item.get(first):
            errors.append(
                _("%(where)s：请填写%(field)s")
                % {"where": where, "field": _("姓名") if first == "name" else _("支出项目")}
            )
        if amount:
            value = parse_amount(row.get("amount"), where + _("金额"), errors)
            if value is None and row.get("amount") in (None, ""):
                errors.append(_("%(where)s：请填写金额") % {"where": where})
            item["amount"] = value
        clean_rows.append(item)
    return clean_rows


def _applicant_org(actor: Any, org_code: str | None) -> Organization:
    orgs = [g for g in perms.grants(actor) if g.role == Role.APPLICANT]
    if org_code:
        orgs = [g for g in orgs if g.org_code == org_code]
    if not orgs:
        raise TransitionForbidden(_("只有申报单位的申报人可以创建申报"))
    if len(orgs) > 1:
        raise InvalidInput(_("您属于多个申报单位，请指定单位代码（organization）"))
    return Organization.objects.get(pk=orgs[0].org_id)


@retry_on_contention
@transaction.atomic
def application_create(*, actor: Any, data: dict[str, Any]) -> Application:
    """A new draft application of the actor's organization.

    Side effects, in order: validates every field (raising InvalidInput listing each
    problem); creates the application in draft with its team and budget; appends the audit
    event "create".
    """
    errors: list[str] = []
    org = _applicant_org(actor, data.get("organization"))
    round_id = data.get("round")
    round_ = Round.objects.filter(pk=round_id, kind=RoundKind.APPLICATION).first() if str(round_id).isdigit() else None
    if round_ is None:
        errors.append(_("请选择有效的项目申报批次"))
    sub = None
    sub_raw = data.get("subproject")
    if round_ is not None:
        qs = round_.subprojects.all()
        sub = (
            (qs.filter(pk=sub_raw).first() if str(sub_raw).isdigit() else qs.filter(code=sub_raw).first())
            if sub_raw
            else None
        )
        if sub is None:
            errors.append(_("请选择本批次的子项目"))
    clean = _clean_fields(data, errors)
    team = _clean_rows(data.get("team", []), TEAM_LIMITS, _("团队成员"), errors, amount=False)
    budget = _clean_rows(data.get("budget", []), BUDGET_LIMITS, _("预算明细"), errors, amount=True)
    if not clean.get("name"):
        errors.append(_("请填写“项目名称”"))
    if errors:
        raise InvalidInput(errors)
    application = Application.objects.create(round=round_, subproject=sub, organization=org, created_by=actor, **clean)
    _replace_rows(application, team, budget)
    audit_append(
        record_type=application.record_type(),
        record_id=application.pk,
        action="create",
        actor=actor,
        actor_org=org.code,
        actor_role=Role.APPLICANT,
        to_state=application.state,
        data={"subproject": sub.code, "name": application.name},
    )
    return application


def _replace_rows(application: Application, team: list[dict] | None, budget: list[dict] | None) -> None:
    if team is not None:
        application.team.all().delete()
        TeamMember.objects.bulk_create(
            [TeamMember(application=application, position=i, **row) for i, row in enumerate(team)]
        )
    if budget is not None:
        application.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            [BudgetLine(application=application, position=i, **row) for i, row in enumerate(budget)]
        )


@retry_on_contention
def application_update(application: Application, *, actor: Any, data: dict[str, Any]) -> Application:
    """Change the form of a draft or returned application (its applicant only).

    Side effects, in order: validates every field; locks the row; refuses outside the
    editable states; saves the fields; replaces the team and budget when given; appends the
    audit event "edit" naming the changed fields.
    """
    if not perms.is_applicant_of(actor, application):
        raise TransitionForbidden(_("只有本单位申报人可以修改申报"))
    errors: list[str] = []
    if "round" in data or "organization" in data:
        errors.append(_("申报批次和申报单位创建后不能更改"))
    clean = _clean_fields(data, errors)
    team = _clean_rows(data["team"], TEAM_LIMITS, _("团队成员"), errors, amount=False) if "team" in data else None
    budget = (
        _clean_rows(data["budget"], BUDGET_LIMITS, _("预算明细"), errors, amount=True) if "budget" in data else None
    )
    if "name" in clean and not clean["name"]:
        errors.append(_("请填写“项目名称”"))
    with transaction.atomic():
        locked = lock_record(Application, application.pk)
        sub = None
        if "subproject" in data:
            raw = data["subproject"]
            qs = locked.round.subprojects.all()
            sub = qs.filter(pk=raw).first() if str(raw).isdigit() else qs.filter(code=raw).first()
            if sub is None:
                errors.append(_("请选择本批次的子项目"))
        if errors:
            raise InvalidInput(errors)
        if locked.state not in locked.flow_class.editable_states:
            raise TransitionConflict(
                _("申报当前状态为“%(state)s”，不能修改") % {"state": locked.get_flow().state_label(locked.state)}
            )
        changed = sorted(k for k, v in clean.items() if getattr(locked, k) != v)
        for key, value in clean.items():
            setattr(locked, key, value)
        if sub is not None and sub.pk != locked.subproject_id:
            locked.subproject = sub
            changed.append("subproject")
        locked.save()
        _replace_rows(locked, team, budget)
        if team is not None:
            changed.append("team")
        if budget is not None:
            changed.append("budget")
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
def score_submit(application: Application, *, actor: Any, scores: dict[str, Any], comment: str) -> ExpertScore:
    """An assigned expert scores the application (0–100 per criterion, weighted).

    Side effects, in order: validates the scores and comment; locks the record; refuses
    unless it is in expert review and the actor holds an open or done (re-scoring)
    assignment without a conflict of interest; stores or replaces the score; marks the
    assignment done; appends the audit event "score".
    """
    criteria = application.round.typed_settings.criteria
    errors: list[str] = []
    if not isinstance(scores, dict):
        raise InvalidInput(_("评分必须按评分指标给出"))
    keys = {c.key for c in criteria}
    for key in sorted(set(scores) - keys):
        errors.append(_("未知的评分指标：%(key)s") % {"key": key})
    values: dict[str, int] = {}
    for c in criteria:
        raw = scores.get(c.key)
        if raw in (None, ""):
            errors.append(_("请为“%(label)s”打分") % {"label": c.label})
            continue
        try:
            value = int(str(raw))
        except ValueError:
            errors.append(_("“%(label)s”的分数必须是 0–100 的整数") % {"label": c.label})
            continue
        if isinstance(raw, bool) or not 0 <= value <= 100 or str(raw).strip() != str(value):
            errors.append(_("“%(label)s”的分数必须是 0–100 的整数") % {"label": c.label})
            continue
        values[c.key] = value
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if not comment:
        errors.append(_("请填写评审意见"))
    elif len(comment) > 5000:
        errors.append(_("评审意见不得超过 5000 个字符"))
    if errors:
        raise InvalidInput(errors)
    total = sum(Decimal(values[c.key]) * c.weight for c in criteria) / Decimal(100)
    with transaction.atomic():
        locked = lock_record(Application, application.pk)
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
            raise TransitionForbidden(_("您没有该申报的评审任务"))
        if locked.state != "expert_review":
            raise TransitionConflict(_("申报已不在专家评审阶段，不能评分"))
        score, _created = ExpertScore.objects.update_or_create(
            application=locked,
            expert=actor,
            defaults={"scores": values, "total": total.quantize(Decimal("0.01")), "comment": comment},
        )
        if assignment.status == AssignmentStatus.OPEN:
            from django.utils import timezone

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
            data={"scores": values, "total": str(score.total)},
            revision_hash=locked.current_revision_hash,
        )
    return score
