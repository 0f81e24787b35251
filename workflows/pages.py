"""The pages of every record type, from its declaration (``workflows.registry.RecordType``):
the list with filters, search, sorting, pages and bulk actions; the new and edit forms; the
record's page with its data, attachments, actions, scoring, experts, content reviews and
history; uploads, scores, expert panels, the ranking.

HTTP only: reads go through the type's selectors scoped to the signed-in user (a record
outside the user's scope is answered 404), writes through the services and the engine.
``workflows.urls_records.page_urls`` gives each type these views under its own namespace.
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
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import permissions as perms
from accounts.models import OrgType, Role, User
from common.http import client_ip, parse_id, safe_next

from . import scoring
from . import selectors as engine_selectors
from . import services as engine
from .attachments import attachment_add, attachment_delete, kinds_addable
from .exceptions import InvalidInput, TransitionConflict, TransitionForbidden, WorkflowError
from .flows import STAGE_PENDING_LABEL
from .highlight import findings_in, mark_ranges
from .models import Attachment, WorkflowRecord
from .views import assign_panel_page, bulk_assign_page, expert_users, workflow_context

PER_PAGE = 20
EXPERT_STAGE = "expert"
# Not a transition: the bulk form also gives a panel of experts to every selected record.
BULK_ASSIGN = "assign_experts"
INLINE_TYPES = ("image/jpeg",)


# -- helpers ---------------------------------------------------------------------------------


def get_or_404(rt: Any, pk: Any, user: Any) -> WorkflowRecord:
    record = rt.get(pk, user)
    if record is None:
        raise Http404
    return record


def detail_url(rt: Any, record: WorkflowRecord) -> str:
    return reverse(f"{rt.slug}:detail", args=[record.pk])


def error_messages(request: HttpRequest, exc: WorkflowError) -> None:
    for error in exc.errors:
        messages.error(request, error)


def display(value: Any) -> Any:
    """A field's value as a page shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Decimal):
        return f"{value:,.2f} " + _("元")
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def next_steps(rt: Any, record: WorkflowRecord, user: Any) -> list[str]:
    """Labels of what the user may do next on the record, from memberships already read: no
    query per row (conditions are checked on the record's own page)."""
    flow_class = rt.flow_class
    flow = record.get_flow()
    steps = [str(t.label) for t in flow_class.outgoing(record.state) if t.has_perm(flow, user)]
    stage = flow_class.stage_for_state(record.state)
    if stage:
        content_grants = [g for g in perms.grants(user) if g.role == Role.CONTENT_REVIEWER]
        if (stage == "recommender" and any(g.org_id == record.recommending_unit_id for g in content_grants)) or (
            stage in {"cast", "publication"} and any(g.org_type == OrgType.CAST for g in content_grants)
        ):
            steps.append(str(STAGE_PENDING_LABEL[stage]))
    if record.state in flow_class.scoring_states and perms.is_expert(user) and not steps:
        steps.append(_("专家评分"))
    return steps


def bulk_choices(rt: Any) -> list[tuple[str, str]]:
    return [*rt.bulk_choices(), (BULK_ASSIGN, _("分配评审专家"))]


def applicant_orgs(user: Any) -> list[tuple[str, str]]:
    """(code, name) of the organizations the user applies for."""
    from accounts.models import Organization

    ids = [g.org_id for g in perms.grants(user) if g.role == Role.APPLICANT]
    return [(o.code, o.name) for o in Organization.objects.filter(pk__in=ids).order_by("code")]


# -- the list ---------------------------------------------------------------------------------


@login_required
def record_list(request: HttpRequest, rt: Any) -> HttpResponse:
    params = request.GET
    user = request.user
    filters = {name: params.get(name, "").strip() for name in rt.filter_names()}
    page = Paginator(rt.listing(user, params), PER_PAGE).get_page(params.get("page"))
    rows = [
        {"record": r, "state_label": rt.flow_class.state_label(r.state), "next_steps": next_steps(rt, r, user)}
        for r in page.object_list
    ]
    is_cast = perms.is_cast_staff(user)
    context = {
        "rt": rt,
        "page_obj": page,
        "rows": rows,
        "filters": filters,
        "scope_note": rt.scope_note(user),
        "states": rt.flow_class.States.choices,
        "rounds": rt.rounds(),
        "orderings": rt.ordering_choices(),
        "can_create": perms.has_role(user, Role.APPLICANT),
        "can_rank": bool(rt.group_field) and (is_cast or perms.is_auditor(user)),
        "bulk": is_cast,
        "bulk_choices": bulk_choices(rt) if is_cast else [],
        "bulk_experts": expert_users() if is_cast else [],
        **rt.list_context(request, filters),
    }
    return render(request, rt.list_template, context)


# -- the forms --------------------------------------------------------------------------------


def _render_form(request: HttpRequest, rt: Any, form: Any, errors: list[str], record: Any = None) -> HttpResponse:
    from .revision import open_return_of

    context = {
        "rt": rt,
        "form": form,
        "errors": errors,
        "record": record,
        "open_return": open_return_of(record) if record is not None else None,
        **form.context(record),
    }
    return render(request, rt.form_template, context, status=400 if errors else 200)


@login_required
def record_new(request: HttpRequest, rt: Any) -> HttpResponse:
    user = request.user
    if not perms.has_role(user, Role.APPLICANT):
        raise Http404
    if request.method != "POST":
        return _render_form(request, rt, rt.page_form(request, None), [])
    form = rt.page_form(request, None, posted=True)
    errors = form.errors_list()
    if not errors:
        try:
            record = rt.create(actor=user, data=form.service_data())
        except WorkflowError as exc:
            errors = exc.errors
        else:
            messages.success(request, rt.created_message(record))
            return redirect(detail_url(rt, record))
    return _render_form(request, rt, form, errors)


@login_required
def record_edit(request: HttpRequest, rt: Any, pk: int) -> HttpResponse:
    user = request.user
    record = get_or_404(rt, pk, user)
    if not perms.is_applicant_of(user, record):
        raise Http404
    if record.state not in rt.flow_class.editable_states:
        messages.error(
            request,
            _("%(noun)s当前状态为“%(state)s”，不能修改")
            % {"noun": rt.noun, "state": rt.flow_class.state_label(record.state)},
        )
        return redirect(detail_url(rt, record))
    if request.method != "POST":
        return _render_form(request, rt, rt.page_form(request, record), [], record)
    form = rt.page_form(request, record, posted=True)
    errors = form.errors_list()
    if not errors:
        try:
            rt.update(record, actor=user, data=form.service_data())
        except (TransitionConflict, TransitionForbidden) as exc:
            error_messages(request, exc)
            return redirect(detail_url(rt, record))
        except WorkflowError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("%(noun)s已保存") % {"noun": rt.noun})
            return redirect(detail_url(rt, record))
    return _render_form(request, rt, form, errors, record)


# -- the record's page ------------------------------------------------------------------------


def highlighted_fields(
    record: WorkflowRecord, findings: list[dict[str, Any]]
) -> tuple[dict[str, SafeString], list[dict[str, Any]], int]:
    """The scanned texts of the record with their findings marked: by field name for its own
    text fields, the others (team, budget …) as {label, html, count}, and how many marks in all.
    Findings name the field by the label of the language the scan ran in, so both are matched."""
    pairs = record.scan_text()
    with translation.override(settings.LANGUAGE_CODE):
        default_pairs = record.scan_text()
    names = [n for n in record.content_fields if isinstance(getattr(record, n), str)]
    by_name: dict[str, SafeString] = {}
    others = []
    marked = 0
    for index, ((label, text), (default_label, _text)) in enumerate(zip(pairs, default_pairs, strict=True)):
        found = findings_in(text, {label, default_label}, findings)
        marked += len(found)
        if index < len(names):
            if found:
                by_name[names[index]] = mark_ranges(text, found)
        elif found:
            others.append({"label": label, "html": mark_ranges(text, found), "count": len(found)})
    return by_name, others, marked


def expert_choices(record: WorkflowRecord) -> list[dict[str, Any]]:
    """Every expert, with the conflict of interest that keeps them off this record, if any
    (one query finds who may conflict; the permission rule words it for those few)."""
    from accounts.models import Membership

    experts = list(User.objects.filter(memberships__role=Role.EXPERT).distinct().order_by("username"))
    org_ids = [i for i in (record.organization_id, record.recommending_unit_id) if i is not None]
    related = set(
        Membership.objects.filter(user__in=experts, organization_id__in=org_ids)
        .exclude(organization__type=OrgType.CAST)
        .values_list("user_id", flat=True)
    )
    return [{"user": e, "conflict": perms.expert_conflict(e, record) if e.pk in related else None} for e in experts]


def detail_context(request: HttpRequest, rt: Any, record: WorkflowRecord) -> dict[str, Any]:
    user = request.user
    ctx = workflow_context(record, user)
    special = {t["name"]: t for t in ctx["transitions"] if t["name"] in rt.special_transitions}
    ctx["transitions"] = [t for t in ctx["transitions"] if t["name"] not in rt.special_transitions]
    is_cast = perms.is_cast_staff(user)
    is_auditor = perms.is_auditor(user)
    is_applicant = perms.is_applicant_of(user, record)
    is_reviewer = perms.is_reviewer_of(user, record)
    highlight = is_reviewer or perms.has_role(user, Role.CONTENT_REVIEWER) or is_cast or is_auditor

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
        highlighted, other_highlights, marked = highlighted_fields(record, findings)

    criteria = rt.criteria(record)
    own_assignment = None
    if perms.is_expert(user):
        own_assignment = (
            engine_selectors.record_assignments(record, user=user)
            .filter(assignee_id=user.pk, stage=EXPERT_STAGE)
            .exclude(status="withdrawn")
            .first()
        )
    scores = []
    if is_cast or is_auditor or own_assignment is not None:
        for score in scoring.scores_of(record, user=user):
            scores.append(
                {
                    "score": score,
                    "expert": perms.user_label(score.expert),
                    "items": [(c.display, c.weight, score.scores.get(c.key, "—")) for c in criteria],
                }
            )
    own_score = next((s for s in scores if s["score"].expert_id == user.pk), None)

    kinds = kinds_addable(record, user)
    addable = {key for key, _label in kinds}
    attachments = []
    for a in Attachment.objects.filter(record_type=record.record_type(), record_id=record.pk).order_by("kind", "pk"):
        kind = record.ATTACHMENT_KINDS.get(a.kind) if hasattr(record, "ATTACHMENT_KINDS") else None
        attachments.append(
            {
                "attachment": a,
                "label": kind.label if kind else a.kind,
                "deletable": a.kind in addable,
                "image": a.kind in rt.picture_kinds and a.content_type in INLINE_TYPES,
            }
        )
    can_assign = is_cast and record.state in rt.assignable_states
    ctx.update(
        {
            "rt": rt,
            "record": record,
            "highlighted": highlighted,
            "other_highlights": other_highlights,
            "highlight_count": marked,
            "attachments": attachments,
            "photos": [row for row in attachments if row["image"]],
            "attachment_kinds": kinds,
            "can_edit": is_applicant and record.state in rt.flow_class.editable_states,
            "special": special,
            "is_reviewer": is_reviewer,
            "criteria": criteria,
            "can_score": own_assignment is not None and record.state in rt.flow_class.scoring_states,
            "own_score": own_score,
            "own_values": own_score["score"].scores if own_score else {},
            "scores": scores if (is_cast or is_auditor) else [],
            "show_scores": is_cast or is_auditor,
            "assignments": (
                list(engine_selectors.record_assignments(record, user=user).select_related("assignee"))
                if (is_cast or is_auditor)
                else []
            ),
            "can_assign": can_assign,
            "experts": expert_choices(record) if can_assign else [],
            "today": timezone.localdate().isoformat(),
        }
    )
    rt.detail_context(request, record, ctx)
    return ctx


@login_required
def record_detail(request: HttpRequest, rt: Any, pk: int) -> HttpResponse:
    record = get_or_404(rt, pk, request.user)
    return render(request, rt.detail_template, detail_context(request, rt, record))


# -- attachments ------------------------------------------------------------------------------


def _attachment_or_404(rt: Any, request: HttpRequest, pk: int, aid: int) -> tuple[WorkflowRecord, Attachment]:
    record = get_or_404(rt, pk, request.user)
    attachment = Attachment.objects.filter(record_type=record.record_type(), record_id=record.pk, pk=aid).first()
    if attachment is None:
        raise Http404
    return record, attachment


@login_required
def attachment_download(request: HttpRequest, rt: Any, pk: int, aid: int) -> FileResponse:
    _record, attachment = _attachment_or_404(rt, request, pk, aid)
    # Pictures of the kinds the type shows are served inline (thumbnails); anything else is
    # downloaded. The content type is the one recognised from the bytes at upload.
    inline = attachment.kind in rt.picture_kinds and attachment.content_type in INLINE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=0, no-store"
    return response


@login_required
@require_POST
def attachment_upload(request: HttpRequest, rt: Any, pk: int) -> HttpResponse:
    record = get_or_404(rt, pk, request.user)
    try:
        attachment = attachment_add(
            record, kind=request.POST.get("kind", ""), upload=request.FILES.get("file"), actor=request.user
        )
    except WorkflowError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("附件已上传：%(name)s") % {"name": attachment.original_name})
    return redirect(detail_url(rt, record) + "#attachments")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, rt: Any, pk: int, aid: int) -> HttpResponse:
    record, attachment = _attachment_or_404(rt, request, pk, aid)
    try:
        attachment_delete(attachment, record=record, actor=request.user)
    except WorkflowError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("附件已删除：%(name)s") % {"name": attachment.original_name})
    return redirect(detail_url(rt, record) + "#attachments")


# -- experts ----------------------------------------------------------------------------------


@login_required
@require_POST
def record_score(request: HttpRequest, rt: Any, pk: int) -> HttpResponse:
    record = get_or_404(rt, pk, request.user)
    scores = {c.key: request.POST.get(f"score-{c.key}", "").strip() for c in rt.criteria(record)}
    try:
        scoring.score_submit(record, actor=request.user, scores=scores, comment=request.POST.get("comment", ""))
    except WorkflowError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("评分已提交"))
    return redirect(detail_url(rt, record) + "#scoring")


@login_required
@require_POST
def record_assign(request: HttpRequest, rt: Any, pk: int) -> HttpResponse:
    user = request.user
    record = get_or_404(rt, pk, user)
    if not perms.is_cast_staff(user):
        raise Http404
    assign_panel_page(request, record)
    return redirect(detail_url(rt, record) + "#experts")


@login_required
@require_POST
def record_assignment_change(request: HttpRequest, rt: Any, pk: int, aid: int) -> HttpResponse:
    """CAST staff withdraw an expert's open task, or give it to another expert, with a reason."""
    user = request.user
    record = get_or_404(rt, pk, user)
    if not perms.is_cast_staff(user):
        raise Http404
    task = engine_selectors.record_assignments(record, user=user).select_related("assignee").filter(pk=aid).first()
    if task is None:
        raise Http404
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("action") == "replace":
            number = parse_id(request.POST.get("assignee", ""))
            assignee = User.objects.filter(pk=number, is_active=True).first() if number is not None else None
            if assignee is None:
                raise InvalidInput(_("请选择替换的评审专家"))
            due_raw = request.POST.get("due_date", "").strip()
            try:
                due = dt.date.fromisoformat(due_raw) if due_raw else None
            except ValueError:
                raise InvalidInput(_("截止日期格式不正确（YYYY-MM-DD）")) from None
            new = engine.assignment_replace(
                task, actor=user, assignee=assignee, reason=reason, due_date=due, client_ip=client_ip(request)
            )
            messages.success(
                request,
                _("已将%(old)s的评审任务改派给%(new)s")
                % {"old": perms.user_label(task.assignee), "new": perms.user_label(new.assignee)},
            )
        else:
            engine.assignment_withdraw(task, actor=user, reason=reason, client_ip=client_ip(request))
            messages.success(request, _("已撤回%(user)s的评审任务") % {"user": perms.user_label(task.assignee)})
    except WorkflowError as exc:
        error_messages(request, exc)
    return redirect(detail_url(rt, record) + "#experts")


@login_required
def record_ranking(request: HttpRequest, rt: Any) -> HttpResponse:
    user = request.user
    if not rt.group_field or not (perms.is_cast_staff(user) or perms.is_auditor(user)):
        raise Http404
    rounds = rt.rounds()
    round_raw = request.GET.get("round", "")
    chosen = next((r for r in rounds if str(r.pk) == round_raw), rounds[0] if rounds else None)
    group_raw = request.GET.get(rt.group_param, "")
    all_groups = rt.ranking_groups(chosen) if chosen else []
    shown = [g for g in all_groups if str(g["value"]) == group_raw] or all_groups
    groups = []
    for group in shown:
        rows = scoring.ranking(rt, user=user, round_id=chosen.pk, group=group["value"])
        number = group.get("number")
        for i, row in enumerate(rows):
            row["state_label"] = rt.flow_class.state_label(row["record"].state)
            after = rows[i + 1] if i + 1 < len(rows) else None
            row["cutoff_after"] = (
                number is not None and row["rank"] <= number and after is not None and after["rank"] > number
            )
        # A tie across the number of winners: more records rank within it than there are places.
        tie_at_cutoff = number is not None and sum(1 for r in rows if r["rank"] <= number) > number
        groups.append(
            {**group, "rows": rows, "short": number is not None and len(rows) <= number, "tie_at_cutoff": tie_at_cutoff}
        )
    return render(
        request,
        rt.ranking_template,
        {
            "rt": rt,
            "rounds": rounds,
            "chosen": chosen,
            "choices": all_groups,
            "group_raw": group_raw,
            "groups": groups,
            "tie_break_rule": scoring.TIE_BREAK_RULE,
        },
    )


# -- bulk actions -----------------------------------------------------------------------------


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


@login_required
@require_POST
def record_bulk(request: HttpRequest, rt: Any) -> HttpResponse:
    user = request.user
    if not perms.is_cast_staff(user):
        raise Http404
    back = safe_next(request, reverse(f"{rt.slug}:list"))
    choices = dict(bulk_choices(rt))
    name = request.POST.get("name", "")
    opinion = request.POST.get("opinion", "")
    ids = list(dict.fromkeys(n for i in request.POST.getlist("ids") if (n := parse_id(i.strip())) is not None))
    noun = rt.noun
    if name not in choices:
        messages.error(request, _("请选择要执行的操作"))
        return redirect(back)
    if not ids:
        messages.error(request, _("请至少选择一条%(noun)s") % {"noun": noun})
        return redirect(back)
    found = {r.pk: r for r in rt.visible(user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        messages.error(
            request, _("以下%(noun)s不存在或您无权查看：%(ids)s") % {"noun": noun, "ids": ", ".join(map(str, missing))}
        )
        return redirect(back)
    records = [found[i] for i in ids]
    if name == BULK_ASSIGN:
        return bulk_assign_page(
            request,
            records,
            back,
            template="workflows/records/bulk_assign_confirm.html",
            context={"rt": rt, "names": [rt.display_name(r) for r in records]},
            done=lambda n, m: _("已为 %(n)s 条%(noun)s各分配 %(m)s 位评审专家") % {"n": n, "m": m, "noun": noun},
            refused=_("未分配任何专家，所选%(noun)s均保持不变。请先解决以下问题：") % {"noun": noun},
        )
    if request.POST.get("confirm") != "yes":
        outlook = rt.bulk_outlook(name, records)
        return render(
            request,
            rt.bulk_confirm_template,
            {
                "rt": rt,
                "records": [
                    {
                        "record": r,
                        "name": rt.display_name(r),
                        "details": rt.bulk_details(r),
                        "state_label": rt.flow_class.state_label(r.state),
                    }
                    for r in records
                ],
                "count": len(records),
                "name": name,
                "action_label": choices[name],
                "opinion": opinion,
                "outlook": outlook,
                "needs_reason": any(g["over"] for g in outlook),
                "next": back,
            },
        )
    problems, job = _bulk_perform(records, name, request=request, opinion=opinion)
    if job is not None:
        return redirect("workflows:job", pk=job.pk)
    if problems:
        messages.error(request, _("操作未执行，所选%(noun)s均保持不变。请先解决以下问题：") % {"noun": noun})
        for problem in problems:
            messages.error(request, problem)
    else:
        messages.success(
            request,
            _("已对 %(n)s 条%(noun)s执行“%(action)s”") % {"n": len(records), "noun": noun, "action": choices[name]},
        )
    return redirect(back)
