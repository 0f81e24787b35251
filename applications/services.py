"""Writes of applications: sub-project types, the form. State changes go through
``workflows.services.transition``; attachments through ``workflows.attachments``; scores
through ``workflows.scoring``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OrgType
from workflows.drafts import applicant_org, draft_create, draft_update, require_applicant, round_of
from workflows.exceptions import InvalidInput
from workflows.locks import retry_on_contention
from workflows.models import Round, RoundKind

from .forms import ApplicationInput
from .models import Application, BudgetLine, SubprojectType, TeamMember

DEFAULT_SUBPROJECTS = [
    {
        "code": "integrate",
        "section_kind": "integrate",
        "name": "整合资源创新推进科技志愿服务",
        # The units the notice addresses directly (each its own recommending unit).
        "eligible_org_types": [
            OrgType.PROVINCIAL_CAST,
            OrgType.SUBPROVINCIAL_CITY_CAST,
            OrgType.CORPS_CAST,
            OrgType.NATIONAL_SOCIETY,
        ],
        "pilot_only": False,
    },
    {
        "code": "civilization_centre",
        "section_kind": "civilization_centre",
        "name": "助力新时代文明实践中心建设",
        "eligible_org_types": [OrgType.COUNTY_CAST],
        "pilot_only": True,
    },
    {
        "code": "grassroots",
        "section_kind": "grassroots",
        "name": "学会科技志愿服务基层行",
        "eligible_org_types": [OrgType.NATIONAL_SOCIETY, OrgType.PROVINCIAL_SOCIETY, OrgType.SOCIETY_BRANCH],
        "pilot_only": False,
    },
]


def subprojects_ensure_defaults(*, round: Round) -> list[SubprojectType]:
    """The three sub-projects of the 2020 notice, for an application round that has none."""
    if round.kind != RoundKind.APPLICATION:
        return []
    if not round.subprojects.exists():
        for position, item in enumerate(DEFAULT_SUBPROJECTS):
            SubprojectType.objects.create(round=round, position=position, **item)
    return list(round.subprojects.all())


def _clean(data: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    """The fields given (the team and budget rows included), checked by the one input form of
    applications (every problem into ``errors``); those that passed."""
    form = ApplicationInput(data, partial=True)
    errors.extend(form.problems())
    return {k: v for k, v in form.cleaned_data.items() if k in form.fields}


def _section(clean: dict[str, Any], sub: SubprojectType | None, errors: list[str]) -> None:
    """The sub-project's own section, checked against its kind (``sub``: the sub-project the
    application will have); its values replace what was given."""
    if "section" not in clean or sub is None:
        return
    values, problems = sub.section.clean(clean["section"])
    errors.extend(problems)
    clean["section"] = values


def _pilot_problem(data: dict[str, Any], org: Any) -> str | None:
    """The pilot flag is the unit's (Organization.pilot_county); a value given that says
    otherwise is refused rather than silently dropped."""
    if "pilot_county" not in data:
        return None
    given = data["pilot_county"]
    if isinstance(given, str):
        given = given.strip().lower() in {"true", "1", "on", "yes"}
    if bool(given) != bool(org.pilot_county):
        return _("“是否试点县”由申报单位决定，不能自行填写（本单位：%(value)s）") % {
            "value": _("是") if org.pilot_county else _("否")
        }
    return None


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
    clean = _clean(data, errors)
    team, budget = clean.pop("team", []), clean.pop("budget", [])
    _section(clean, sub, errors)
    if not clean.get("name"):
        errors.append(_("请填写“项目名称”"))
    pilot = _pilot_problem(data, org)
    if pilot:
        errors.append(pilot)
    if errors:
        raise InvalidInput(errors)
    return draft_create(
        Application,
        actor=actor,
        organization=org,
        fields={"round": round_, "subproject": sub, "pilot_county": org.pilot_county, **clean},
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
    clean = _clean(data, errors)
    team, budget = clean.pop("team", None), clean.pop("budget", None)
    if "name" in clean and not clean["name"]:
        errors.append(_("请填写“项目名称”"))
    if "subproject" in data:
        # The round never changes, so its sub-projects can be read before the lock.
        sub = _subproject(application.round, data["subproject"])
        if sub is None:
            errors.append(_("请选择本批次的子项目"))
        else:
            clean["subproject"] = sub
    new_sub = clean.get("subproject")
    if new_sub is not None and "section" not in clean and new_sub.section_kind != application.subproject.section_kind:
        clean["section"] = {}  # the other sub-project's own section does not carry over
    _section(clean, new_sub or application.subproject, errors)
    pilot = _pilot_problem(data, application.organization)
    if pilot:
        errors.append(pilot)
    if errors:
        raise InvalidInput(errors)
    # Kept to the unit's flag on every save (the unit's may have changed since the draft).
    clean["pilot_county"] = application.organization.pilot_county

    def rows(locked: Application) -> list[str]:
        _replace_rows(locked, team, budget)
        return [name for name, given in (("team", team), ("budget", budget)) if given is not None]

    return draft_update(application, actor=actor, noun=_("申报"), fields=clean, after=rows)
