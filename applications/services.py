"""Writes of applications: sub-project types, the form. State changes go through
``workflows.services.transition``; attachments through ``workflows.attachments``; scores
through ``workflows.scoring``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OrgType
from workflows.drafts import applicant_org, draft_create, draft_update, require_applicant, round_of
from workflows.exceptions import InvalidInput
from workflows.locks import retry_on_contention
from workflows.models import Round, RoundKind

from .models import Application, BudgetLine, SubprojectType, TeamMember

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


def _subproject(round_: Round, raw: Any) -> SubprojectType | None:
    qs = round_.subprojects.all()
    return qs.filter(pk=raw).first() if str(raw).isdigit() else qs.filter(code=raw).first()


@retry_on_contention
@transaction.atomic
def application_create(*, actor: Any, data: dict[str, Any]) -> Application:
    """A new draft application of the actor's organization.

    Side effects, in order: validates every field (raising InvalidInput listing each
    problem); creates the application in draft with its team and budget; appends the audit
    event "create".
    """
    errors: list[str] = []
    org = applicant_org(actor, data.get("organization"), noun=_("申报"))
    round_ = round_of(RoundKind.APPLICATION, data.get("round"))
    if round_ is None:
        errors.append(_("请选择有效的项目申报批次"))
    sub = None
    sub_raw = data.get("subproject")
    if round_ is not None:
        sub = _subproject(round_, sub_raw) if sub_raw else None
        if sub is None:
            errors.append(_("请选择本批次的子项目"))
    clean = _clean_fields(data, errors)
    team = _clean_rows(data.get("team", []), TEAM_LIMITS, _("团队成员"), errors, amount=False)
    budget = _clean_rows(data.get("budget", []), BUDGET_LIMITS, _("预算明细"), errors, amount=True)
    if not clean.get("name"):
        errors.append(_("请填写“项目名称”"))
    if errors:
        raise InvalidInput(errors)
    return draft_create(
        Application,
        actor=actor,
        organization=org,
        fields={"round": round_, "subproject": sub, **clean},
        after=lambda application: _replace_rows(application, team, budget),
        audit_data=lambda application: {"subproject": sub.code, "name": application.name},
    )


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
    require_applicant(application, actor, noun=_("申报"))
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
    if "subproject" in data:
        # The round never changes, so its sub-projects can be read before the lock.
        sub = _subproject(application.round, data["subproject"])
        if sub is None:
            errors.append(_("请选择本批次的子项目"))
        else:
            clean["subproject"] = sub
    if errors:
        raise InvalidInput(errors)

    def rows(locked: Application) -> list[str]:
        _replace_rows(locked, team, budget)
        return [name for name, given in (("team", team), ("budget", budget)) if given is not None]

    return draft_update(application, actor=actor, noun=_("申报"), fields=clean, after=rows)
