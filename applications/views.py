"""Pages of Zhihui Action applications for every role.

HTTP only: reads go through ``applications.selectors`` scoped to the signed-in user (a record
outside the user's scope is answered 404), writes through the services. Messages are Chinese
msgids translated with gettext.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from accounts import permissions as perms
from accounts.models import OrgType, Role, User
from workflows import selectors as engine_selectors
from workflows import services as engine
from workflows.api.mixins import client_ip
from workflows.attachments import attachment_add, attachment_delete, kinds_addable
from workflows.exceptions import TransitionConflict, TransitionForbidden, WorkflowError
from workflows.flows import CAST_STAFF, STAGE_PENDING_LABEL
from workflows.highlight import findings_in, mark_ranges
from workflows.views import assign_panel_page, bulk_assign_page, expert_users, workflow_context

from . import selectors, services
from .flows import ApplicationFlow, ApplicationState
from .forms import (
    BUDGET_ROWS,
    FORM_FIELDS,
    TEAM_ROWS,
    ApplicationForm,
    BudgetRowForm,
    ProposeForm,
    TeamRowForm,
    application_rounds,
    filled_rows,
    open_subprojects,
    row_formset,
)
from .models import Application, SubprojectType

PER_PAGE = 20
EXPERT_STAGE = "expert"


# -- helpers ---------------------------------------------------------------------------------


def _get_or_404(pk: Any, user: Any) -> Application:
    application = selectors.application_get(pk, user=user)
    if application is None:
        raise Http404
    return application


def _detail_url(application: Application) -> str:
    return reverse("applications:detail", args=[application.pk])


def _error_messages(request: HttpRequest, exc: WorkflowError) -> None:
    for error in exc.errors:
        messages.error(request, error)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _ordering_choices() -> list[tuple[str, str]]:
    return [
        ("-created", _("创建时间（新→旧）")),
        ("created", _("创建时间（旧→新）")),
        ("-updated", _("更新时间（新→旧）")),
        ("name", _("项目名称")),
        ("state", _("状态")),
        ("-requested", _("申请金额（高→低）")),
        ("requested", _("申请金额（低→高）")),
    ]


def _scope_note(user: Any) -> str:
    """What this user's list holds, in words (one line per role they hold)."""
    notes = []
    roles = {g.role for g in perms.grants(user)}
    if Role.APPLICANT in roles:
        notes.append(_("本单位的申报，含状态和下一步可办理的操作。"))
    if Role.SOCIETY_REVIEWER in roles:
        notes.append(_("以本单位为推荐单位的申报（待审核队列）。"))
    if Role.CONTENT_REVIEWER in roles:
        notes.append(_("等待本单位内容审核的申报，以及本单位审核过的申报。"))
    if Role.EXPERT in roles:
        notes.append(_("分配给您评审的申报。"))
    if perms.is_cast_staff(user):
        notes.append(_("已推荐（待中国科协审核）及之后各阶段的全部申报。"))
    if Role.AUDITOR in roles:
        notes.append(_("全部申报（只读）。"))
    return " ".join(notes) or _("您的账号没有可查看申报的角色。")


def _next_steps(application: Application, user: Any) -> list[str]:
    """Labels of what the user may do next on the record, from memberships already read: no
    query per row (conditions are checked on the record's own page)."""
    flow = application.get_flow()
    steps = [str(t.label) for t in ApplicationFlow.outgoing(application.state) if t.has_perm(flow, user)]
    stage = ApplicationFlow.stage_for_state(application.state)
    if stage:
        content_grants = [g for g in perms.grants(user) if g.role == Role.CONTENT_REVIEWER]
        if (stage == "recommender" and any(g.org_id == application.recommending_unit_id for g in content_grants)) or (
            stage in {"cast", "publication"} and any(g.org_type == OrgType.CAST for g in content_grants)
        ):
            steps.append(str(STAGE_PENDING_LABEL[stage]))
    if application.state == ApplicationState.EXPERT_REVIEW and perms.is_expert(user) and not steps:
        steps.append(_("专家评分"))
    return steps


# Not a transition: the bulk form also gives a panel of experts to every selected record.
BULK_ASSIGN = "assign_experts"
BULK_ASSIGN_LABEL = _lazy("分配评审专家")


def _bulk_choices() -> list[tuple[str, str]]:
    """Transitions CAST staff may take on many records at once. ``propose`` needs an amount
    per record, so it is taken on each record's page."""
    choices = []
    for name, transitions in ApplicationFlow.all_transitions().items():
        first = transitions[0]
        if first.permission is CAST_STAFF and name != "propose":
            bulk = ApplicationFlow.spec_of(first).bulk
            choices.append((not bulk, name, str(first.label)))
    return [(name, label) for _bulk, name, label in sorted(choices)] + [(BULK_ASSIGN, str(BULK_ASSIGN_LABEL))]


# -- the list ---------------------------------------------------------------------------------


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    user = request.user
    filters = {
        "state": params.get("state", ""),
        "round": params.get("round", ""),
        "subproject": params.get("subproject", ""),
        "province": params.get("province", "").strip(),
        "q": params.get("q", "").strip(),
        "ordering": params.get("ordering", ""),
    }
    qs = selectors.application_list(
        user=user,
        state=filters["state"],
        round_id=filters["round"],
        subproject=filters["subproject"],
        province=filters["province"],
        q=filters["q"],
        ordering=filters["ordering"],
    )
    page = Paginator(qs, PER_PAGE).get_page(params.get("page"))
    rows = [
        {
            "application": a,
            "state_label": ApplicationFlow.state_label(a.state),
            "next_steps": _next_steps(a, user),
        }
        for a in page.object_list
    ]
    is_cast = perms.is_cast_staff(user)
    return render(
        request,
        "applications/list.html",
        {
            "page_obj": page,
            "rows": rows,
            "filters": filters,
            "scope_note": _scope_note(user),
            "states": ApplicationState.choices,
            "rounds": application_rounds(),
            "subprojects": list(
                SubprojectType.objects.filter(round__kind="application")
                .select_related("round")
                .order_by("-round__year", "round_id", "position", "pk")
            ),
            "orderings": _ordering_choices(),
            "can_create": perms.has_role(user, Role.APPLICANT),
            "can_rank": is_cast or perms.is_auditor(user),
            "bulk": is_cast,
            "bulk_choices": _bulk_choices() if is_cast else [],
            "bulk_experts": expert_users() if is_cast else [],
        },
    )


# -- the form ---------------------------------------------------------------------------------


def _applicant_orgs(user: Any) -> list[tuple[str, str]]:
    from accounts.models import Organization

    ids = [g.org_id for g in perms.grants(user) if g.role == Role.APPLICANT]
    return [(o.code, o.name) for o in Organization.objects.filter(pk__in=ids).order_by("code")]


def _render_form(request: HttpRequest, *, form, team, budget, errors, application=None) -> HttpResponse:
    return render(
        request,
        "applications/form.html",
        {
            "form": form,
            "team": team,
            "budget": budget,
            "errors": errors,
            "application": application,
            "no_open_round": application is None and len(form.fields["subproject"].choices) <= 1,
        },
        status=400 if errors else 200,
    )


def _form_errors(form, team, budget) -> list[str]:
    """Errors the Django forms found themselves (a tampered choice or management form)."""
    errors: list[str] = []
    if not form.is_valid():
        for name, field_errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            errors.extend(f"{label}：{e}" if label else str(e) for e in field_errors)
    for formset in (team, budget):
        if not formset.is_valid():
            errors.extend(str(e) for e in formset.non_form_errors())
    return errors


@login_required
def application_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not perms.has_role(user, Role.APPLICANT):
        raise Http404
    organizations = _applicant_orgs(user)
    subprojects = open_subprojects()
    team_class = row_formset(TeamRowForm, rows=TEAM_ROWS)
    budget_class = row_formset(BudgetRowForm, rows=BUDGET_ROWS)
    if request.method != "POST":
        return _render_form(
            request,
            form=ApplicationForm(subprojects=subprojects, organizations=organizations),
            team=team_class(prefix="team"),
            budget=budget_class(prefix="budget"),
            errors=[],
        )
    form = ApplicationForm(request.POST, subprojects=subprojects, organizations=organizations)
    team = team_class(request.POST, prefix="team")
    budget = budget_class(request.POST, prefix="budget")
    errors = _form_errors(form, team, budget)
    if not errors:
        sub = form.chosen_subproject()
        data = form.service_data()
        data.update(
            {
                "round": sub.round_id if sub else None,
                "subproject": str(sub.pk) if sub else "",
                "team": filled_rows(team),
                "budget": filled_rows(budget),
            }
        )
        try:
            application = services.application_create(actor=user, data=data)
        except WorkflowError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("申报已保存为草稿。请上传加盖公章的申报书（PDF）后提交。"))
            return redirect(_detail_url(application))
    return _render_form(request, form=form, team=team, budget=budget, errors=errors)


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


@login_required
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    application = _get_or_404(pk, user)
    if not perms.is_applicant_of(user, application):
        raise Http404
    if application.state not in ApplicationFlow.editable_states:
        messages.error(
            request,
            _("申报当前状态为“%(state)s”，不能修改") % {"state": ApplicationFlow.state_label(application.state)},
        )
        return redirect(_detail_url(application))
    subprojects = list(application.round.subprojects.select_related("round"))
    team_initial = [
        {k: getattr(m, k) for k in ("name", "education", "qualification", "role", "phone")}
        for m in application.team.all()
    ]
    budget_initial = [{"item": b.item, "amount": str(b.amount), "note": b.note} for b in application.budget_lines.all()]
    team_class = row_formset(TeamRowForm, rows=TEAM_ROWS, initial=team_initial)
    budget_class = row_formset(BudgetRowForm, rows=BUDGET_ROWS, initial=budget_initial)
    if request.method != "POST":
        return _render_form(
            request,
            form=ApplicationForm(initial=_initial(application), subprojects=subprojects, with_round=False),
            team=team_class(prefix="team", initial=team_initial),
            budget=budget_class(prefix="budget", initial=budget_initial),
            errors=[],
            application=application,
        )
    form = ApplicationForm(request.POST, subprojects=subprojects, with_round=False)
    team = team_class(request.POST, prefix="team", initial=team_initial)
    budget = budget_class(request.POST, prefix="budget", initial=budget_initial)
    errors = _form_errors(form, team, budget)
    if not errors:
        data = form.service_data()
        data.pop("organization", None)
        sub = form.chosen_subproject()
        if sub is not None:
            data["subproject"] = str(sub.pk)
        data["team"] = filled_rows(team)
        data["budget"] = filled_rows(budget)
        try:
            services.application_update(application, actor=user, data=data)
        except (TransitionConflict, TransitionForbidden) as exc:
            _error_messages(request, exc)
            return redirect(_detail_url(application))
        except WorkflowError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("申报已保存"))
            return redirect(_detail_url(application))
    return _render_form(request, form=form, team=team, budget=budget, errors=errors, application=application)


# -- the detail page --------------------------------------------------------------------------


def _highlighted_texts(application: Application, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every scanned text of the record (scan_text order) with its findings marked. Findings
    name the field by the label of the language the scan ran in, so both are matched."""
    pairs = application.scan_text()
    with translation.override(settings.LANGUAGE_CODE):
        default_pairs = application.scan_text()
    result = []
    for (label, text), (default_label, _text) in zip(pairs, default_pairs, strict=True):
        found = findings_in(text, {label, default_label}, findings)
        result.append({"label": label, "html": mark_ranges(text, found), "count": len(found)})
    return result


def _display(value: Any) -> Any:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Decimal):
        return f"{value:,.2f} " + _("元")
    if isinstance(value, dt.datetime):
        from django.utils import timezone

        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


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


def _field_rows(application: Application, highlighted: dict[str, SafeString]) -> list[tuple[Any, Any]]:
    rows = []
    for name in DETAIL_FIELDS:
        label = Application._meta.get_field(name).verbose_name
        value = highlighted.get(name)
        if value is None or not getattr(application, name):
            value = _display(getattr(application, name))
        rows.append((label, value))
    return rows


def _diff_value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
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


def _content_reviewer_anywhere(user: Any) -> bool:
    return perms.has_role(user, Role.CONTENT_REVIEWER)


def _detail_context(request: HttpRequest, application: Application) -> dict[str, Any]:
    user = request.user
    ctx = workflow_context(application, user)
    # ``propose`` needs a funding amount, which the generic action form does not post.
    propose = next((t for t in ctx["transitions"] if t["name"] == "propose"), None)
    ctx["transitions"] = [t for t in ctx["transitions"] if t["name"] != "propose"]
    if propose is not None:
        missing = _("请填写拟资助金额")
        propose = {**propose, "blocked_reasons": [r for r in propose["blocked_reasons"] if r != missing]}

    is_cast = perms.is_cast_staff(user)
    is_auditor = perms.is_auditor(user)
    is_applicant = perms.is_applicant_of(user, application)
    is_reviewer = perms.is_reviewer_of(user, application)
    highlight = is_reviewer or _content_reviewer_anywhere(user) or is_cast or is_auditor

    findings: list[dict[str, Any]] = []
    seen = set()
    for review in ctx["content_reviews"]:
        for f in review["findings"]:
            key = (f.get("field"), f.get("start"), f.get("end"), f.get("term"))
            if key not in seen:
                seen.add(key)
                findings.append(f)
    highlighted: dict[str, SafeString] = {}
    other_highlights: list[dict[str, Any]] = []
    marked = 0
    if highlight and findings:
        texts = _highlighted_texts(application, findings)
        text_fields = [n for n in application.content_fields if isinstance(getattr(application, n), str)]
        for name, item in zip(text_fields, texts, strict=False):
            highlighted[name] = item["html"]
        other_highlights = [item for item in texts[len(text_fields) :] if item["count"]]
        marked = sum(item["count"] for item in texts)

    team = list(application.team.all())
    budget = list(application.budget_lines.all())
    criteria = application.round.typed_settings.criteria
    own_assignment = None
    if perms.is_expert(user):
        own_assignment = (
            engine_selectors.record_assignments(application, user=user)
            .filter(assignee_id=user.pk, stage=EXPERT_STAGE)
            .exclude(status="withdrawn")
            .first()
        )
    scores = []
    if is_cast or is_auditor or own_assignment is not None:
        for score in selectors.scores_of(application, user=user):
            scores.append(
                {
                    "score": score,
                    "expert": perms.user_label(score.expert),
                    "items": [(c.display, c.weight, score.scores.get(c.key, "—")) for c in criteria],
                }
            )
    own_score = next((s for s in scores if s["score"].expert_id == user.pk), None)
    diff = None
    if is_reviewer or is_cast or is_auditor or _content_reviewer_anywhere(user):
        diff = selectors.revision_diff(application, user=user)
        if diff["since"] is None:
            diff = None
        else:
            diff["rows"] = [
                {"label": c["label"], "before": _diff_value(c["before"]), "after": _diff_value(c["after"])}
                for c in diff["changes"]
            ]

    kinds = kinds_addable(application, user)
    addable = {key for key, _label in kinds}
    ctx.update(
        {
            "application": application,
            "field_rows": _field_rows(application, highlighted),
            "highlight_count": marked,
            "other_highlights": other_highlights,
            "team": team,
            "budget": budget,
            "budget_total": sum((b.amount for b in budget), Decimal("0")),
            "attachments": [
                {
                    "attachment": a,
                    "label": kind.label if (kind := Application.ATTACHMENT_KINDS.get(a.kind)) else a.kind,
                    "deletable": a.kind in addable,
                }
                for a in selectors.attachments_of(application, user=user)
            ],
            "attachment_kinds": kinds,
            "can_edit": is_applicant and application.state in ApplicationFlow.editable_states,
            "propose": propose,
            "propose_form": ProposeForm(),
            "criteria": criteria,
            "can_score": own_assignment is not None and application.state == ApplicationState.EXPERT_REVIEW,
            "own_score": own_score,
            "own_values": own_score["score"].scores if own_score else {},
            "scores": scores if (is_cast or is_auditor) else [],
            "show_scores": is_cast or is_auditor,
            "assignments": (
                list(engine_selectors.record_assignments(application, user=user).select_related("assignee"))
                if (is_cast or is_auditor)
                else []
            ),
            "can_assign": is_cast
            and application.state in {ApplicationState.RECOMMENDED, ApplicationState.EXPERT_REVIEW},
            "experts": list(
                User.objects.filter(memberships__role=Role.EXPERT).distinct().order_by("username") if is_cast else []
            ),
            "diff": diff,
            "today": dt.date.today().isoformat(),
        }
    )
    return ctx


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_or_404(pk, request.user)
    return render(request, "applications/detail.html", _detail_context(request, application))


# -- attachments ------------------------------------------------------------------------------


@login_required
def attachment_download(request: HttpRequest, pk: int, aid: int) -> FileResponse:
    application = _get_or_404(pk, request.user)
    attachment = selectors.attachments_of(application, user=request.user).filter(pk=aid).first()
    if attachment is None:
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_or_404(pk, request.user)
    try:
        attachment = attachment_add(
            application, kind=request.POST.get("kind", ""), upload=request.FILES.get("file"), actor=request.user
        )
    except WorkflowError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("附件已上传：%(name)s") % {"name": attachment.original_name})
    return redirect(_detail_url(application) + "#attachments")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int, aid: int) -> HttpResponse:
    application = _get_or_404(pk, request.user)
    attachment = selectors.attachments_of(application, user=request.user).filter(pk=aid).first()
    if attachment is None:
        raise Http404
    try:
        attachment_delete(attachment, record=application, actor=request.user)
    except WorkflowError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("附件已删除：%(name)s") % {"name": attachment.original_name})
    return redirect(_detail_url(application) + "#attachments")


# -- CAST staff and experts --------------------------------------------------------------------


@login_required
@require_POST
def application_propose(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_or_404(pk, request.user)
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
        _error_messages(request, exc)
    else:
        messages.success(request, _("操作已完成"))
    return redirect(_detail_url(application))


@login_required
@require_POST
def application_score(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_or_404(pk, request.user)
    criteria = application.round.typed_settings.criteria
    scores = {c.key: request.POST.get(f"score-{c.key}", "").strip() for c in criteria}
    try:
        services.score_submit(application, actor=request.user, scores=scores, comment=request.POST.get("comment", ""))
    except WorkflowError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("评分已提交"))
    return redirect(_detail_url(application) + "#scoring")


@login_required
@require_POST
def application_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    application = _get_or_404(pk, user)
    if not perms.is_cast_staff(user):
        raise Http404
    assign_panel_page(request, application)
    return redirect(_detail_url(application) + "#experts")


@login_required
def application_ranking(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (perms.is_cast_staff(user) or perms.is_auditor(user)):
        raise Http404
    rounds = application_rounds()
    round_raw = request.GET.get("round", "")
    chosen = next((r for r in rounds if str(r.pk) == round_raw), rounds[0] if rounds else None)
    subprojects = list(chosen.subprojects.all()) if chosen else []
    sub_raw = request.GET.get("subproject", "")
    shown = [s for s in subprojects if str(s.pk) == sub_raw] or subprojects
    groups = []
    for sub in shown:
        rows = selectors.ranking(user=user, round_id=chosen.pk, subproject_id=sub.pk)
        for row in rows:
            row["state_label"] = ApplicationFlow.state_label(row["application"].state)
        groups.append({"subproject": sub, "rows": rows})
    return render(
        request,
        "applications/ranking.html",
        {
            "rounds": rounds,
            "chosen": chosen,
            "subprojects": subprojects,
            "sub_raw": sub_raw,
            "groups": groups,
        },
    )


def _bulk_perform(records: list, name: str, *, request: HttpRequest, opinion: str) -> tuple[list[str], Any]:
    """One transition on every record, all or nothing (as the API's bulk-transition): the
    refusals (empty when all were done) and the background job when there were too many for
    one request."""
    try:
        outcome = engine.bulk_transition(
            records, name, actor=request.user, opinion=opinion, client_ip=client_ip(request)
        )
    except WorkflowError as exc:
        return exc.errors, None
    return [], outcome.job


def _bulk_assign(request: HttpRequest, records: list[Any], back: str) -> HttpResponse:
    return bulk_assign_page(
        request,
        records,
        back,
        template="applications/bulk_assign_confirm.html",
        done=_("已为 %(n)s 条申报各分配 %(m)s 位评审专家"),
        refused=_("未分配任何专家，所选申报均保持不变。请先解决以下问题："),
    )


@login_required
@require_POST
def application_bulk(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not perms.is_cast_staff(user):
        raise Http404
    back = _safe_next(request, reverse("applications:list"))
    choices = dict(_bulk_choices())
    name = request.POST.get("name", "")
    opinion = request.POST.get("opinion", "")
    ids = list(dict.fromkeys(int(i) for i in request.POST.getlist("ids") if i.strip().isdigit()))
    if name not in choices:
        messages.error(request, _("请选择要执行的操作"))
        return redirect(back)
    if not ids:
        messages.error(request, _("请至少选择一条申报"))
        return redirect(back)
    found = {a.pk: a for a in selectors.application_list(user=user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        messages.error(request, _("以下申报不存在或您无权查看：%(ids)s") % {"ids": ", ".join(map(str, missing))})
        return redirect(back)
    records = [found[i] for i in ids]
    if name == BULK_ASSIGN:
        return _bulk_assign(request, records, back)
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "applications/bulk_confirm.html",
            {
                "records": [{"application": r, "state_label": ApplicationFlow.state_label(r.state)} for r in records],
                "count": len(records),
                "name": name,
                "action_label": choices[name],
                "opinion": opinion,
                "next": back,
            },
        )
    problems, job = _bulk_perform(records, name, request=request, opinion=opinion)
    if job is not None:
        return redirect("workflows:job", pk=job.pk)
    if problems:
        messages.error(request, _("操作未执行，所选申报均保持不变。请先解决以下问题："))
        for problem in problems:
            messages.error(request, problem)
    else:
        messages.success(request, _("已对 %(n)s 条申报执行“%(action)s”") % {"n": len(records), "action": choices[name]})
    return redirect(back)
