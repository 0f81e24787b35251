"""The Zhihui Action application (申报书) as a record type of the engine: what its pages and API
show and take that the engine's (``workflows.pages``, ``workflows.api.records``) do not know."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.http import client_ip, parse_id
from common.money import two_places, wan
from workflows import services as engine
from workflows.drafts import form_errors
from workflows.exceptions import InvalidInput, WorkflowError
from workflows.filters import RecordFilterSet
from workflows.models import RoundKind
from workflows.pages import detail_url, display, error_messages, get_or_404
from workflows.registry import RecordType, register

from . import sections, selectors, services
from .flows import DUPLICATE_REASONS, ApplicationState, duplicates, proposed_total
from .forms import (
    BUDGET_ROWS,
    FORM_FIELDS,
    SCHEDULE_ROWS,
    TARGET_ROWS,
    TEAM_ROWS,
    ApplicationForm,
    BudgetRowForm,
    ProposeForm,
    ScheduleRowForm,
    SectionForm,
    TargetRowForm,
    TeamRowForm,
    filled_rows,
    open_subprojects,
    row_formset,
)
from .models import Application, SubprojectType
from .serializers import ApplicationListSerializer, ApplicationSerializer, ApplicationWriteSerializer

DETAIL_FIELDS = (
    "name",
    "leader_name",
    "leader_title",
    "leader_phone",
    "leader_mobile",
    "leader_email",
    "region_province",
    "region_city",
    "region_county",
    "pilot_county",
    "target_groups",
    "period_start",
    "period_end",
    "basis",
    "content",
    "targets",
    "outcomes",
    "conditions",
    "requested_amount",
    "commitment",
    "commitment_signer",
    "funding_amount",
    "approval_number",
    "issued_at",
)


class ApplicationFilterSet(RecordFilterSet):
    """The engine's filters and ``subproject`` (code or id) and ``province``."""

    subproject = django_filters.CharFilter(method="filter_subproject")
    province = django_filters.CharFilter(method="filter_province")

    class Meta:
        model = Application
        fields: list[str] = []

    def filter_subproject(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(Q(subproject__code=value) | Q(subproject_id=parse_id(value)))

    def filter_province(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(region_province=value.strip()) if value.strip() else queryset


class ApplicationPageForm:
    """The application form with its team and budget rows (new and edit pages)."""

    def __init__(self, request: Any, record: Application | None, *, posted: bool) -> None:
        data = request.POST if posted else None
        self.record = record
        self.ineligible: list[dict[str, Any]] = []
        if record is None:
            from workflows.pages import applicant_orgs

            subprojects, self.ineligible = split_by_eligibility(open_subprojects(), request.user)
            self.form = ApplicationForm(data, subprojects=subprojects, organizations=applicant_orgs(request.user))
            team_initial = budget_initial = schedule_initial = target_initial = None
            values: dict[str, Any] = {}
            common: dict[str, Any] = {}
        else:
            subprojects = list(record.round.subprojects.select_related("round"))
            initial = None if posted else _initial(record)
            self.form = ApplicationForm(data, initial=initial, subprojects=subprojects, with_round=False)
            team_initial = [
                {k: getattr(m, k) for k in ("name", "education", "qualification", "role", "phone")}
                for m in record.team.all()
            ]
            budget_initial = [
                {"category": b.category, "item": b.item, "amount": str(b.amount), "note": b.note}
                for b in record.budget_lines.all()
            ]
            schedule_initial = [dict(row) for row in record.schedule or []]
            target_initial = [
                {"level2": row.get("level2", ""), "name": row.get("name", ""), "value": row.get("value", "")}
                for row in record.performance or []
            ]
            values = record.section or {}
            common = record.common or {}
        team_class = row_formset(TeamRowForm, rows=TEAM_ROWS, initial=team_initial)
        budget_class = row_formset(BudgetRowForm, rows=BUDGET_ROWS, initial=budget_initial)
        schedule_class = row_formset(ScheduleRowForm, rows=SCHEDULE_ROWS, initial=schedule_initial)
        target_class = row_formset(TargetRowForm, rows=TARGET_ROWS, initial=target_initial)
        self.team = team_class(data, prefix="team", initial=team_initial)
        self.budget = budget_class(data, prefix="budget", initial=budget_initial)
        self.schedule = schedule_class(data, prefix="schedule", initial=schedule_initial)
        self.targets = target_class(data, prefix="targets", initial=target_initial)
        # One fieldset per section kind of the sub-projects offered (the chosen one is sent);
        # a record's own kind holds its values.
        kinds = {s.section_kind: s.section for s in subprojects if s.section.fields}
        own = record.subproject.section_kind if record is not None else None
        self.sections = [
            {
                "kind": kind,
                "subprojects": [s.name for s in subprojects if s.section_kind == code],
                "form": SectionForm(
                    data,
                    kind=kind,
                    prefix=f"section-{code}",
                    initial=SectionForm.initial_of(kind, values) if code == own else None,
                ),
            }
            for code, kind in kinds.items()
        ]
        self.common = SectionForm(
            data, kind=sections.COMMON, prefix="common", initial=SectionForm.initial_of(sections.COMMON, common)
        )

    def errors_list(self) -> list[str]:
        """Errors the Django forms found themselves (a tampered choice or management form)."""
        return form_errors(self.form, self.team, self.budget, self.schedule, self.targets)

    def service_data(self) -> dict[str, Any]:
        data = self.form.service_data()
        sub = self.form.chosen_subproject()
        if self.record is None:
            data["round"] = sub.round_id if sub else None
            data["subproject"] = str(sub.pk) if sub else ""
        else:
            data.pop("organization", None)
            if sub is not None:
                data["subproject"] = str(sub.pk)
        data["team"] = filled_rows(self.team)
        data["budget"] = filled_rows(self.budget)
        data["schedule"] = filled_rows(self.schedule)
        data["performance"] = filled_rows(self.targets)
        data["common"] = self.common.values()
        chosen = sub if sub is not None else (self.record.subproject if self.record is not None else None)
        if chosen is not None:
            data["section"] = next(
                (s["form"].values() for s in self.sections if s["kind"].code == chosen.section_kind), {}
            )
        return data

    def context(self, record: Any) -> dict[str, Any]:
        return {
            "form": self.form,
            "team": self.team,
            "budget": self.budget,
            "schedule": self.schedule,
            "targets": self.targets,
            "sections": self.sections,
            "common": self.common,
            "key_dates": [str(d) for d in sections.KEY_DATES],
            "no_open_round": record is None and len(self.form.fields["subproject"].choices) <= 1,
            "ineligible": self.ineligible,
            "round_documents": _round_documents(record),
        }


def _round_documents(record: Application | None) -> list[Any]:
    """The guide and templates to download beside the form: the record's round's, or (a new
    application) those of the rounds open now."""
    from workflows.models import RoundDocument

    if record is not None:
        return list(RoundDocument.objects.filter(round_id=record.round_id).select_related("round"))
    rounds = {s.round_id for s in open_subprojects()}
    return list(RoundDocument.objects.filter(round_id__in=rounds).select_related("round"))


def split_by_eligibility(subprojects: list[Any], user: Any) -> tuple[list[Any], list[dict[str, Any]]]:
    """(the sub-projects one of the user's applicant units may apply to, the others each with
    why not): the form offers only the first, and says why of the others."""
    from accounts import permissions as perms
    from accounts.models import Organization, Role

    ids = [g.org_id for g in perms.grants(user) if g.role == Role.APPLICANT]
    units = list(Organization.objects.filter(pk__in=ids))
    offered, refused = [], []
    for sub in subprojects:
        problems = [sub.eligibility_problem(unit) for unit in units]
        if not units or any(p is None for p in problems):
            offered.append(sub)
        else:
            refused.append({"subproject": sub, "problem": problems[0]})
    return offered, refused


def _initial(application: Application) -> dict[str, Any]:
    initial: dict[str, Any] = {"subproject": str(application.subproject_id)}
    for name in FORM_FIELDS:
        value = getattr(application, name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        initial[name] = value
    return initial


def _diff_value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict):  # a section: its values by key
        return "；".join(f"{k}：{_diff_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, dict):
                items.append(" ".join(str(v) for v in item.values() if v not in (None, "")))
            elif isinstance(item, list | tuple):
                kind = Application.ATTACHMENT_KINDS.get(str(item[0])) if item else None
                items.append(f"{kind.label if kind else item[0]}（{str(item[-1])[:12]}）")
            else:
                items.append(str(item))
        return "；".join(items)
    return str(value)


class ApplicationApi:
    """Actions of the applications' API besides the engine's."""

    @extend_schema(
        responses=inline_serializer(
            "RevisionDiff",
            {
                "since": serializers.IntegerField(allow_null=True),
                "changes": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    @action(detail=True, methods=["get"], url_path="diff")
    def diff(self, request: Request, pk: Any = None) -> Response:
        return Response(selectors.revision_diff(self.get_object(), user=request.user))

    @extend_schema(
        parameters=[OpenApiParameter("round", int, required=True)],
        responses=inline_serializer(
            "SubprojectEnvelope",
            {
                "subproject": serializers.CharField(),
                "subproject_id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "envelope_yuan": serializers.CharField(allow_null=True, help_text="预算额度（元）"),
                "proposed_yuan": serializers.CharField(help_text="拟立项、公示中、已立项的拟资助金额合计（元）"),
                "remaining_yuan": serializers.CharField(allow_null=True, help_text="尚余（元）"),
                "envelope_wan": serializers.CharField(allow_null=True, help_text="预算额度（万元，仅供显示）"),
                "proposed_wan": serializers.CharField(help_text="拟资助合计（万元，仅供显示）"),
                "count": serializers.IntegerField(help_text="计入的申报数"),
            },
            many=True,
        ),
    )
    @action(detail=False, methods=["get"], url_path="envelopes", pagination_class=None)
    def envelopes(self, request: Request) -> Response:
        """Each sub-project of the round: its budget envelope and the funding proposed against
        it (CAST staff and auditors)."""
        from accounts import permissions as perms
        from workflows.exceptions import TransitionForbidden
        from workflows.models import Round

        if not (perms.is_cast_staff(request.user) or perms.is_auditor(request.user)):
            raise TransitionForbidden(_("只有中国科协工作人员可以查看预算额度"))
        round_ = Round.objects.filter(
            kind=RoundKind.APPLICATION, pk=parse_id(request.query_params.get("round", "")) or 0
        ).first()
        if round_ is None:
            raise InvalidInput(_("请指定批次编号 round"))
        return Response(
            [
                {
                    **{k: (two_places(v) if k.endswith("_yuan") else v) for k, v in e.items()},
                    "envelope_wan": wan(e["envelope_yuan"]) or None,
                    "proposed_wan": wan(e["proposed_yuan"]),
                }
                for e in selectors.envelopes(round_)
            ]
        )


@login_required
@require_POST
def propose(request: Any, pk: int) -> Any:
    """拟立项 with its funding amount: a transition the generic action form cannot post."""
    rt = ApplicationType.instance()
    application = get_or_404(rt, pk, request.user)
    amount = request.POST.get("funding_amount", "").strip().replace(",", "").replace("，", "")
    try:
        engine.transition(
            application,
            "propose",
            actor=request.user,
            opinion=request.POST.get("opinion", ""),
            data={"funding_amount": amount},
            client_ip=client_ip(request),
        )
    except WorkflowError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("操作已完成"))
    return redirect(detail_url(rt, application))


@register
class ApplicationType(RecordType):
    model = Application
    slug = "applications"
    noun = pgettext_lazy("one record", "申报")
    noun_plural = pgettext_lazy("records", "申报")
    title = gettext_lazy("智惠行动项目申报")
    menu_title = gettext_lazy("项目申报")
    name_label = gettext_lazy("项目名称")
    search_fields = ("name", "organization__name", "leader_name")
    search_placeholder = gettext_lazy("项目名称、申报单位或负责人")
    orderings = {
        "-created": "-created_at",
        "created": "created_at",
        "-updated": "-updated_at",
        "updated": "updated_at",
        "name": "name",
        "-name": "-name",
        "state": "state",
        "-state": "-state",
        "requested": "requested_amount",
        "-requested": "-requested_amount",
    }
    list_related = ("round", "subproject", "organization", "recommending_unit")
    detail_prefetch = ("team", "budget_lines")
    list_columns = 5
    round_kind = RoundKind.APPLICATION
    round_label = gettext_lazy("批次")
    group_field = "subproject_id"
    group_param = "subproject"
    group_label = gettext_lazy("子项目")
    ranking_title = gettext_lazy("专家评分排名")
    ranked_states = ("expert_review", "proposed", "public_notice", "approved")
    ranking_related = ("subproject",)
    ranking_extra_fields = ("subproject",)
    special_transitions = ("propose",)
    upload_help = gettext_lazy("按文件内容识别格式：盖章材料须为 PDF；同类单个附件再次上传将替换原文件。")
    export_url_name = "documents:applications-export"
    list_template = "applications/list.html"
    detail_template = "applications/detail.html"
    form_template = "applications/form.html"
    list_serializer = ApplicationListSerializer
    serializer = ApplicationSerializer
    write_serializer = ApplicationWriteSerializer
    filterset_class = ApplicationFilterSet
    api_mixins = (ApplicationApi,)

    @classmethod
    def instance(cls) -> ApplicationType:
        from workflows.registry import record_type_of

        return record_type_of(Application)

    def create(self, *, actor: Any, data: dict[str, Any]) -> Application:
        return services.application_create(actor=actor, data=data)

    def update(self, record: Application, *, actor: Any, data: dict[str, Any]) -> Application:
        return services.application_update(record, actor=actor, data=data)

    def page_form(self, request: Any, record: Application | None, *, posted: bool = False) -> ApplicationPageForm:
        return ApplicationPageForm(request, record, posted=posted)

    def created_message(self, record: Application) -> str:
        return _("申报已保存为草稿。请上传加盖公章的申报书（PDF）后提交。")

    def ordering_choices(self) -> list[tuple[str, str]]:
        return [
            ("-created", _("创建时间（新→旧）")),
            ("created", _("创建时间（旧→新）")),
            ("-updated", _("更新时间（新→旧）")),
            ("name", _("项目名称")),
            ("state", _("状态")),
            ("-requested", _("申请金额（高→低）")),
            ("requested", _("申请金额（低→高）")),
        ]

    def filter_help(self) -> dict[str, Any]:
        return {
            **super().filter_help(),
            "subproject": "子项目代码或编号 — sub-project code or id",
            "province": "服务地区（省）— province served",
            "q": "按名称、单位、负责人搜索 — search",
        }

    def list_context(self, request: Any, filters: dict[str, str]) -> dict[str, Any]:
        subprojects = (
            SubprojectType.objects.filter(round__kind=RoundKind.APPLICATION)
            .select_related("round")
            .order_by("-round__year", "round_id", "position", "pk")
        )
        return {"subprojects": list(subprojects)}

    def ranking_groups(self, round_: Any) -> list[dict[str, Any]]:
        envelopes = {e["subproject_id"]: e for e in selectors.envelopes(round_)}
        groups = []
        for s in round_.subprojects.all():
            e = envelopes[s.pk]
            note = _("已拟资助合计 %(proposed)s 万元") % {"proposed": wan(e["proposed_yuan"])}
            if e["envelope_yuan"] is not None:
                note = _("已拟资助合计 %(proposed)s 万元 / 预算额度 %(envelope)s 万元（尚余 %(left)s 万元）") % {
                    "proposed": wan(e["proposed_yuan"]),
                    "envelope": wan(e["envelope_yuan"]),
                    "left": wan(e["remaining_yuan"]),
                }
            groups.append({"value": s.pk, "label": s.name, "note": note})
        return groups

    def ranking_extra(self, record: Application) -> dict[str, Any]:
        return {"subproject": record.subproject.code}

    def ranking_parameters(self) -> list[Any]:
        return [OpenApiParameter("round", int, required=True), OpenApiParameter("subproject", int)]

    def ranking_request(self, params: Any) -> tuple[int, Any]:
        round_id = parse_id(params.get("round", ""))
        raw = params.get("subproject", "")
        sub = parse_id(raw) if raw else None
        if round_id is None or (raw and sub is None):
            raise InvalidInput(_("请指定批次编号 round（以及可选的子项目编号 subproject）"))
        return round_id, sub

    def extra_page_urls(self) -> list[Any]:
        return [path("<int:pk>/propose/", propose, name="propose")]

    def detail_context(self, request: Any, record: Application, ctx: dict[str, Any]) -> None:
        from accounts import permissions as perms
        from accounts.models import Role

        user = request.user
        highlighted = ctx["highlighted"]
        rows = []
        for name in DETAIL_FIELDS:
            if name == "targets" and not record.targets:
                continue  # the old free-text targets: only on records that have them
            label = Application._meta.get_field(name).verbose_name
            value = highlighted.get(name)
            if name in ("requested_amount", "funding_amount"):
                label = _("申请金额（万元）") if name == "requested_amount" else _("拟资助金额（万元）")
                value = wan(getattr(record, name)) or "—"
            elif value is None or not getattr(record, name):
                value = display(getattr(record, name))
            rows.append((label, value))
        propose = ctx["special"].get("propose")
        if propose is not None:
            # The amount comes with the form: not a reason to block it before it is filled.
            missing = _("请填写拟资助金额")
            propose = {**propose, "blocked_reasons": [r for r in propose["blocked_reasons"] if r != missing]}
        diff = None
        if (
            ctx["is_reviewer"]
            or perms.is_cast_staff(user)
            or perms.is_auditor(user)
            or perms.has_role(user, Role.CONTENT_REVIEWER)
        ):
            diff = selectors.revision_diff(record, user=user)
            if diff["since"] is None:
                diff = None
            else:
                diff["rows"] = [
                    {"label": c["label"], "before": _diff_value(c["before"]), "after": _diff_value(c["after"])}
                    for c in diff["changes"]
                ]
        budget = list(record.budget_lines.all())
        # 多头申报, flagged to CAST staff (and the auditor) at formal review.
        suspected = []
        if record.state == ApplicationState.RECOMMENDED and (perms.is_cast_staff(user) or perms.is_auditor(user)):
            suspected = [{**d, "why": [DUPLICATE_REASONS[r] for r in d["reasons"]]} for d in duplicates(record)]
        sub = record.subproject
        envelope = None
        if propose is not None and sub.envelope_yuan is not None:
            envelope = {"envelope": sub.envelope_yuan, "proposed": proposed_total(record, exclude_self=False)}
        ctx.update(
            {
                "own_section": {"label": sub.section.label, "rows": sub.section.display(record.section)}
                if sub.section.fields
                else None,
                "common_rows": sections.COMMON.display(record.common),
                "schedule": record.schedule or [],
                "targets_table": [
                    {**row, **dict(zip(("level1_label", "level2_label"), sections.target_label(row), strict=True))}
                    for row in record.performance or []
                ],
                "envelope": envelope,
                "application": record,
                "fields": rows,
                "team": list(record.team.all()),
                "budget": budget,
                "budget_total": sum((b.amount for b in budget), Decimal("0")),
                "propose": propose,
                "propose_form": ProposeForm(),
                "diff": diff,
                "suspected_duplicates": suspected,
            }
        )
