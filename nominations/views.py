"""Pages of Four Top-Ten nominations (四个十佳推荐) for every role, and the public winners list.

HTTP only: reads go through ``nominations.selectors`` scoped to the signed-in user (a record
outside the user's scope is answered 404), writes through the services and the engine.
Messages are Chinese msgids translated with gettext. Same structure as ``applications.views``.
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
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions as perms
from accounts.models import OrgType, Role, User
from workflows import selectors as engine_selectors
from workflows import services as engine
from workflows.api.mixins import client_ip
from workflows.attachments import attachment_add, attachment_delete, kinds_addable
from workflows.exceptions import TransitionConflict, TransitionForbidden, WorkflowError
from workflows.flows import CAST_STAFF, STAGE_PENDING_LABEL
from workflows.highlight import findings_in, mark_ranges
from workflows.models import Round, RoundKind
from workflows.scoring import TIE_BREAK_RULE
from workflows.views import assign_panel_page, bulk_assign_page, expert_users, workflow_context

from . import selectors, services
from .checks import DEEDS_MAX, PHOTOS_MAX, PHOTOS_MIN, REQUIRED_BY_CATEGORY, eligibility_report
from .flows import NO_VIOLATION_STATEMENT, NominationFlow, NominationState
from .forms import CATEGORY_GROUPS, FORM_FIELDS, NominationForm, open_selection_rounds, selection_rounds
from .models import Category, Nomination

PER_PAGE = 20
EXPERT_STAGE = "expert"
IMAGE_TYPES = ("image/jpeg",)
PHOTO_KINDS = ("id_photo", "photo")


# -- helpers ---------------------------------------------------------------------------------


def _get_or_404(pk: Any, user: Any) -> Nomination:
    nomination = selectors.nomination_get(pk, user=user)
    if nomination is None:
        raise Http404
    return nomination


def _detail_url(nomination: Nomination) -> str:
    return reverse("nominations:detail", args=[nomination.pk])


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
        ("name", _("被推荐对象名称")),
        ("state", _("状态")),
    ]


def _scope_note(user: Any) -> str:
    """What this user's list holds, in words (one sentence per role they hold)."""
    notes = []
    roles = {g.role for g in perms.grants(user)}
    if Role.APPLICANT in roles:
        notes.append(_("本单位的推荐，含状态和下一步可办理的操作。"))
    if Role.SOCIETY_REVIEWER in roles:
        notes.append(_("以本单位为推荐单位的推荐（待审核队列）。"))
    if Role.CONTENT_REVIEWER in roles:
        notes.append(_("等待本单位内容审核的推荐，以及本单位审核过的推荐。"))
    if Role.EXPERT in roles:
        notes.append(_("分配给您评审的推荐。"))
    if perms.is_cast_staff(user):
        notes.append(_("已推荐（待中国科协审核）及之后各阶段的全部推荐。"))
    if Role.AUDITOR in roles:
        notes.append(_("全部推荐（只读）。"))
    return " ".join(notes) or _("您的账号没有可查看推荐的角色。")


def _next_steps(nomination: Nomination, user: Any) -> list[str]:
    """Labels of what the user may do next on the record, from memberships already read: no
    query per row (conditions are checked on the record's own page)."""
    flow = nomination.get_flow()
    steps = [str(t.label) for t in NominationFlow.outgoing(nomination.state) if t.has_perm(flow, user)]
    stage = NominationFlow.stage_for_state(nomination.state)
    if stage:
        content_grants = [g for g in perms.grants(user) if g.role == Role.CONTENT_REVIEWER]
        if (stage == "recommender" and any(g.org_id == nomination.recommending_unit_id for g in content_grants)) or (
            stage in {"cast", "publication"} and any(g.org_type == OrgType.CAST for g in content_grants)
        ):
            steps.append(str(STAGE_PENDING_LABEL[stage]))
    if nomination.state == NominationState.EXPERT_REVIEW and perms.is_expert(user) and not steps:
        steps.append(_("专家评分"))
    return steps


# Not a transition: the bulk form also gives a panel of experts to every selected record.
BULK_ASSIGN = "assign_experts"
BULK_ASSIGN_LABEL = _lazy("分配评审专家")


def _bulk_choices() -> list[tuple[str, str]]:
    """The transitions the flow marks for CAST staff to take on many records at once
    (FLOWS.md “C (bulk)”: shortlist, not_select, publish_notice, award)."""
    choices = []
    for name, transitions in NominationFlow.all_transitions().items():
        first = transitions[0]
        if first.permission is CAST_STAFF and NominationFlow.spec_of(first).bulk:
            choices.append((name, str(first.label)))
    order = ["shortlist", "not_select", "publish_notice", "award"]
    ordered = sorted(choices, key=lambda c: (order.index(c[0]) if c[0] in order else len(order), c[0]))
    return [*ordered, (BULK_ASSIGN, str(BULK_ASSIGN_LABEL))]


def _category_label(value: str) -> str:
    return str(Category(value).label) if value in Category.values else value


# -- the list ---------------------------------------------------------------------------------


@login_required
def nomination_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    user = request.user
    filters = {
        "state": params.get("state", ""),
        "round": params.get("round", ""),
        "category": params.get("category", ""),
        "q": params.get("q", "").strip(),
        "ordering": params.get("ordering", ""),
    }
    qs = selectors.nomination_list(
        user=user,
        state=filters["state"],
        round_id=filters["round"],
        category=filters["category"],
        q=filters["q"],
        ordering=filters["ordering"],
    )
    page = Paginator(qs, PER_PAGE).get_page(params.get("page"))
    rows = [
        {
            "nomination": n,
            "state_label": NominationFlow.state_label(n.state),
            "next_steps": _next_steps(n, user),
        }
        for n in page.object_list
    ]
    is_cast = perms.is_cast_staff(user)
    return render(
        request,
        "nominations/list.html",
        {
            "page_obj": page,
            "rows": rows,
            "filters": filters,
            "scope_note": _scope_note(user),
            "states": NominationState.choices,
            "rounds": selection_rounds(),
            "categories": Category.choices,
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


def _render_form(
    request: HttpRequest, *, form: NominationForm, errors: list[str], nomination: Nomination | None = None
) -> HttpResponse:
    return render(
        request,
        "nominations/form.html",
        {
            "form": form,
            "groups": form.groups(),
            "errors": errors,
            "nomination": nomination,
            "deeds_max": DEEDS_MAX,
            "deeds_length": form.deeds_length(),
            "no_open_round": nomination is None and len(form.fields["round"].choices) <= 1,
        },
        status=400 if errors else 200,
    )


def _form_errors(form: NominationForm) -> list[str]:
    """Errors the Django form found itself (a tampered choice)."""
    errors: list[str] = []
    if not form.is_valid():
        for name, field_errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            errors.extend(f"{label}：{e}" if label else str(e) for e in field_errors)
    return errors


@login_required
def nomination_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not perms.has_role(user, Role.APPLICANT):
        raise Http404
    organizations = _applicant_orgs(user)
    rounds = open_selection_rounds()
    if request.method != "POST":
        initial = {"category": request.GET.get("category", "")}
        if len(rounds) == 1:
            initial["round"] = str(rounds[0].pk)
        form = NominationForm(initial=initial, rounds=rounds, organizations=organizations)
        return _render_form(request, form=form, errors=[])
    form = NominationForm(request.POST, rounds=rounds, organizations=organizations)
    errors = _form_errors(form)
    if not errors:
        data = form.service_data()
        data.setdefault("round", None)
        data.setdefault("category", "")
        try:
            nomination = services.nomination_create(actor=user, data=data)
        except WorkflowError as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                _("推荐已保存为草稿。请上传工作照片（%(min)s–%(max)s 张）和申报单位盖章意见（PDF）后提交。")
                % {"min": PHOTOS_MIN, "max": PHOTOS_MAX},
            )
            return redirect(_detail_url(nomination))
    return _render_form(request, form=form, errors=errors)


def _initial(nomination: Nomination) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for name in FORM_FIELDS:
        value = getattr(nomination, name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        initial[name] = "" if value is None else value
    return initial


@login_required
def nomination_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    nomination = _get_or_404(pk, user)
    if not perms.is_applicant_of(user, nomination):
        raise Http404
    if nomination.state not in NominationFlow.editable_states:
        messages.error(
            request,
            _("推荐当前状态为“%(state)s”，不能修改") % {"state": NominationFlow.state_label(nomination.state)},
        )
        return redirect(_detail_url(nomination))
    if request.method != "POST":
        form = NominationForm(initial=_initial(nomination), category=nomination.category)
        return _render_form(request, form=form, errors=[], nomination=nomination)
    form = NominationForm(request.POST, category=nomination.category)
    errors = _form_errors(form)
    if not errors:
        data = form.service_data()
        for name in ("organization", "round", "category"):
            data.pop(name, None)
        try:
            services.nomination_update(nomination, actor=user, data=data)
        except (TransitionConflict, TransitionForbidden) as exc:
            _error_messages(request, exc)
            return redirect(_detail_url(nomination))
        except WorkflowError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("推荐已保存"))
            return redirect(_detail_url(nomination))
    return _render_form(request, form=form, errors=errors, nomination=nomination)


# -- the detail page --------------------------------------------------------------------------


def _highlighted(nomination: Nomination, findings: list[dict[str, Any]]) -> tuple[dict[str, SafeString], int]:
    """The scanned text fields with their findings marked, by field name, and how many marks.
    Findings name the field by the label of the language the scan ran in, so both are matched."""
    names = [n for n in nomination.content_fields if isinstance(getattr(nomination, n), str)]
    labels = [str(Nomination._meta.get_field(n).verbose_name) for n in names]
    with translation.override(settings.LANGUAGE_CODE):
        default_labels = [str(Nomination._meta.get_field(n).verbose_name) for n in names]
    result: dict[str, SafeString] = {}
    marked = 0
    for name, label, default_label in zip(names, labels, default_labels, strict=True):
        text = getattr(nomination, name) or ""
        found = findings_in(text, {label, default_label}, findings)
        if found:
            result[name] = mark_ranges(text, found)
            marked += len(found)
    return result, marked


def _display(value: Any) -> Any:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _row(nomination: Nomination, name: str, highlighted: dict[str, SafeString]) -> tuple[Any, Any]:
    label = Nomination._meta.get_field(name).verbose_name
    if name in highlighted:
        return label, highlighted[name]
    if name == "gender":
        return label, nomination.get_gender_display() or "—"
    return label, _display(getattr(nomination, name))


def _field_sections(nomination: Nomination, highlighted: dict[str, SafeString]) -> list[dict[str, Any]]:
    """Every field of the record in the groups of the form: the nominee (its category's
    fields), the service record, the deeds and the contact."""
    own = next((names for key, _h, names in CATEGORY_GROUPS if key == nomination.category), ())
    nominee = ["nominee_name", *own]
    # A field of another category is shown only when it holds something (set over the API).
    for key, _heading, names in CATEGORY_GROUPS:
        if key != nomination.category:
            nominee.extend(n for n in names if getattr(nomination, n) not in (None, ""))
    return [
        {"key": "nominee", "heading": _("被推荐对象"), "rows": [_row(nomination, n, highlighted) for n in nominee]},
        {
            "key": "service",
            "heading": _("服务记录"),
            "rows": [
                _row(nomination, n, highlighted) for n in ("activities", "service_hours", "registered_volunteers")
            ],
        },
        {
            "key": "contact",
            "heading": _("联系方式"),
            "rows": [_row(nomination, n, highlighted) for n in ("contact_name", "contact_phone")],
        },
    ]


def _opinion_blocks(nomination: Nomination, highlighted: dict[str, SafeString]) -> list[dict[str, Any]]:
    return [
        {
            "key": "unit",
            "heading": _("申报单位意见"),
            "text": highlighted.get("unit_opinion") or nomination.unit_opinion,
            "signer": nomination.unit_opinion_signer,
            "date": nomination.unit_opinion_date,
        },
        {
            "key": "recommender",
            "heading": _("推荐单位意见"),
            "text": nomination.recommender_opinion,
            "signer": nomination.recommender_signer,
            "date": nomination.recommender_date,
        },
        {
            "key": "cast",
            "heading": _("中国科协意见"),
            "text": nomination.cast_opinion,
            "signer": nomination.cast_signer,
            "date": nomination.cast_date,
        },
    ]


def _expert_choices(nomination: Nomination) -> list[dict[str, Any]]:
    """Every expert, with the conflict of interest that keeps them off this record, if any
    (one query finds who may conflict; the permission rule words it for those few)."""
    from accounts.models import Membership

    experts = list(User.objects.filter(memberships__role=Role.EXPERT).distinct().order_by("username"))
    org_ids = [i for i in (nomination.organization_id, nomination.recommending_unit_id) if i is not None]
    related = set(
        Membership.objects.filter(user__in=experts, organization_id__in=org_ids)
        .exclude(organization__type=OrgType.CAST)
        .values_list("user_id", flat=True)
    )
    return [{"user": e, "conflict": perms.expert_conflict(e, nomination) if e.pk in related else None} for e in experts]


def _detail_context(request: HttpRequest, nomination: Nomination) -> dict[str, Any]:
    user = request.user
    ctx = workflow_context(nomination, user)
    is_cast = perms.is_cast_staff(user)
    is_auditor = perms.is_auditor(user)
    is_applicant = perms.is_applicant_of(user, nomination)
    is_reviewer = perms.is_reviewer_of(user, nomination)
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
    marked = 0
    if highlight and findings:
        highlighted, marked = _highlighted(nomination, findings)

    criteria = nomination.round.typed_settings.criteria.get(nomination.category, [])
    own_assignment = None
    if perms.is_expert(user):
        own_assignment = (
            engine_selectors.record_assignments(nomination, user=user)
            .filter(assignee_id=user.pk, stage=EXPERT_STAGE)
            .exclude(status="withdrawn")
            .first()
        )
    scores = []
    if is_cast or is_auditor or own_assignment is not None:
        for score in selectors.scores_of(nomination, user=user):
            scores.append(
                {
                    "score": score,
                    "expert": perms.user_label(score.expert),
                    "items": [(c.display, c.weight, score.scores.get(c.key, "—")) for c in criteria],
                }
            )
    own_score = next((s for s in scores if s["score"].expert_id == user.pk), None)

    kinds = kinds_addable(nomination, user)
    addable = {key for key, _label in kinds}
    attachments = []
    for a in selectors.attachments_of(nomination, user=user):
        kind = Nomination.ATTACHMENT_KINDS.get(a.kind)
        attachments.append(
            {
                "attachment": a,
                "label": kind.label if kind else a.kind,
                "deletable": a.kind in addable,
                "image": a.kind in PHOTO_KINDS and a.content_type in IMAGE_TYPES,
            }
        )
    photos = [row for row in attachments if row["image"]]

    recommend = next((t for t in ctx["transitions"] if t["name"] == "recommend"), None)
    show_eligibility = (is_cast or is_auditor) and nomination.state == NominationState.RECOMMENDED
    eligibility = eligibility_report(nomination) if show_eligibility else []
    can_assign = is_cast and nomination.state in {NominationState.RECOMMENDED, NominationState.EXPERT_REVIEW}
    ctx.update(
        {
            "nomination": nomination,
            "category_label": nomination.get_category_display(),
            "sections": _field_sections(nomination, highlighted),
            "deeds_html": highlighted.get("deeds") or nomination.deeds,
            "deeds_length": len(nomination.deeds or ""),
            "deeds_max": DEEDS_MAX,
            "required_fields": [
                str(Nomination._meta.get_field(n).verbose_name)
                for n in REQUIRED_BY_CATEGORY.get(nomination.category, ())
            ],
            "highlight_count": marked,
            "opinions": _opinion_blocks(nomination, highlighted),
            "attachments": attachments,
            "photos": photos,
            "attachment_kinds": kinds,
            "photo_rule": {"min": PHOTOS_MIN, "max": PHOTOS_MAX},
            "can_edit": is_applicant and nomination.state in NominationFlow.editable_states,
            "statement_hint": is_reviewer and recommend is not None,
            "no_violation_statement": NO_VIOLATION_STATEMENT,
            "show_eligibility": show_eligibility,
            "eligibility": eligibility,
            "eligibility_failed": [r for r in eligibility if not r["passed"]],
            "criteria": criteria,
            "can_score": own_assignment is not None and nomination.state == NominationState.EXPERT_REVIEW,
            "own_score": own_score,
            "own_values": own_score["score"].scores if own_score else {},
            "scores": scores if (is_cast or is_auditor) else [],
            "show_scores": is_cast or is_auditor,
            "assignments": (
                list(engine_selectors.record_assignments(nomination, user=user).select_related("assignee"))
                if (is_cast or is_auditor)
                else []
            ),
            "can_assign": can_assign,
            "experts": _expert_choices(nomination) if can_assign else [],
            "today": timezone.localdate().isoformat(),
        }
    )
    return ctx


@login_required
def nomination_detail(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = _get_or_404(pk, request.user)
    return render(request, "nominations/detail.html", _detail_context(request, nomination))


# -- attachments ------------------------------------------------------------------------------


@login_required
def attachment_download(request: HttpRequest, pk: int, aid: int) -> FileResponse:
    nomination = _get_or_404(pk, request.user)
    attachment = selectors.attachments_of(nomination, user=request.user).filter(pk=aid).first()
    if attachment is None:
        raise Http404
    # Photos are shown inline (thumbnails); anything else is downloaded. The content type is
    # the one recognised from the bytes at upload, never the client's.
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=attachment.content_type not in IMAGE_TYPES,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=0, no-store"
    return response


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = _get_or_404(pk, request.user)
    try:
        attachment = attachment_add(
            nomination, kind=request.POST.get("kind", ""), upload=request.FILES.get("file"), actor=request.user
        )
    except WorkflowError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("附件已上传：%(name)s") % {"name": attachment.original_name})
    return redirect(_detail_url(nomination) + "#attachments")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int, aid: int) -> HttpResponse:
    nomination = _get_or_404(pk, request.user)
    attachment = selectors.attachments_of(nomination, user=request.user).filter(pk=aid).first()
    if attachment is None:
        raise Http404
    try:
        attachment_delete(attachment, record=nomination, actor=request.user)
    except WorkflowError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("附件已删除：%(name)s") % {"name": attachment.original_name})
    return redirect(_detail_url(nomination) + "#attachments")


# -- CAST staff and experts --------------------------------------------------------------------


@login_required
@require_POST
def nomination_score(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = _get_or_404(pk, request.user)
    criteria = nomination.round.typed_settings.criteria.get(nomination.category, [])
    scores = {c.key: request.POST.get(f"score-{c.key}", "").strip() for c in criteria}
    try:
        services.nomination_score_submit(
            nomination, actor=request.user, scores=scores, comment=request.POST.get("comment", "")
        )
    except WorkflowError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("评分已提交"))
    return redirect(_detail_url(nomination) + "#scoring")


@login_required
@require_POST
def nomination_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    nomination = _get_or_404(pk, user)
    if not perms.is_cast_staff(user):
        raise Http404
    assign_panel_page(request, nomination)
    return redirect(_detail_url(nomination) + "#experts")


@login_required
def nomination_ranking(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (perms.is_cast_staff(user) or perms.is_auditor(user)):
        raise Http404
    rounds = selection_rounds()
    round_raw = request.GET.get("round", "")
    chosen = next((r for r in rounds if str(r.pk) == round_raw), rounds[0] if rounds else None)
    category_raw = request.GET.get("category", "")
    shown = [category_raw] if category_raw in Category.values else list(Category.values)
    groups = []
    if chosen is not None:
        winners = chosen.typed_settings.winners_per_category
        for category in shown:
            number = winners.get(category, 10)
            rows = selectors.ranking(user=user, round_id=chosen.pk, category=category)
            for row in rows:
                row["state_label"] = NominationFlow.state_label(row["record"].state)
                row["cutoff_after"] = row["rank"] == number and len(rows) > number
            groups.append(
                {
                    "category": category,
                    "label": _category_label(category),
                    "number": number,
                    "rows": rows,
                    "short": len(rows) <= number,
                }
            )
    return render(
        request,
        "nominations/ranking.html",
        {
            "rounds": rounds,
            "chosen": chosen,
            "categories": Category.choices,
            "category_raw": category_raw,
            "groups": groups,
            "tie_break_rule": TIE_BREAK_RULE,
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


def _shortlist_outlook(records: list[Nomination]) -> list[dict[str, Any]]:
    """Per round and category of the selection: the number of winners, how many are already
    shortlisted or further, and how many this action adds — more than the number needs a reason."""
    taken_states = [NominationState.SHORTLISTED, NominationState.PUBLIC_NOTICE, NominationState.AWARDED]
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for record in records:
        key = (record.round_id, record.category)
        if key not in groups:
            number = record.round.typed_settings.winners_per_category.get(record.category, 10)
            taken = Nomination.objects.filter(
                round_id=record.round_id, category=record.category, state__in=taken_states
            ).count()
            groups[key] = {
                "round": record.round.title,
                "category": record.get_category_display(),
                "number": number,
                "taken": taken,
                "adding": 0,
            }
        groups[key]["adding"] += 1
    for group in groups.values():
        group["over"] = group["taken"] + group["adding"] > group["number"]
    return list(groups.values())


def _bulk_assign(request: HttpRequest, records: list[Any], back: str) -> HttpResponse:
    return bulk_assign_page(
        request,
        records,
        back,
        template="nominations/bulk_assign_confirm.html",
        done=_("已为 %(n)s 条推荐各分配 %(m)s 位评审专家"),
        refused=_("未分配任何专家，所选推荐均保持不变。请先解决以下问题："),
    )


@login_required
@require_POST
def nomination_bulk(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not perms.is_cast_staff(user):
        raise Http404
    back = _safe_next(request, reverse("nominations:list"))
    choices = dict(_bulk_choices())
    name = request.POST.get("name", "")
    opinion = request.POST.get("opinion", "")
    ids = list(dict.fromkeys(int(i) for i in request.POST.getlist("ids") if i.strip().isdigit()))
    if name not in choices:
        messages.error(request, _("请选择要执行的操作"))
        return redirect(back)
    if not ids:
        messages.error(request, _("请至少选择一条推荐"))
        return redirect(back)
    found = {n.pk: n for n in selectors.nomination_list(user=user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        messages.error(request, _("以下推荐不存在或您无权查看：%(ids)s") % {"ids": ", ".join(map(str, missing))})
        return redirect(back)
    records = [found[i] for i in ids]
    if name == BULK_ASSIGN:
        return _bulk_assign(request, records, back)
    if request.POST.get("confirm") != "yes":
        outlook = _shortlist_outlook(records) if name == "shortlist" else []
        return render(
            request,
            "nominations/bulk_confirm.html",
            {
                "records": [
                    {
                        "nomination": r,
                        "state_label": NominationFlow.state_label(r.state),
                        "category_label": r.get_category_display(),
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
        messages.error(request, _("操作未执行，所选推荐均保持不变。请先解决以下问题："))
        for problem in problems:
            messages.error(request, problem)
    else:
        messages.success(request, _("已对 %(n)s 条推荐执行“%(action)s”") % {"n": len(records), "action": choices[name]})
    return redirect(back)


# -- the public --------------------------------------------------------------------------------


@require_GET
def public_winners(request: HttpRequest, round_id: int) -> HttpResponse:
    """The announced winners of a selection round, per category (no login): name, category,
    unit and certificate number only."""
    round_ = Round.objects.filter(pk=round_id, kind=RoundKind.SELECTION).first()
    if round_ is None:
        raise Http404
    winners = list(selectors.winners(round_id=round_.pk))
    groups = []
    for value, label in Category.choices:
        rows = [
            {
                "nominee_name": w.nominee_name,
                "category": label,
                "unit": w.organization.name,
                "certificate_number": w.certificate_number or "—",
            }
            for w in winners
            if w.category == value
        ]
        groups.append({"category": value, "label": label, "rows": rows})
    return render(
        request,
        "nominations/winners.html",
        {"round": round_, "groups": groups, "count": len(winners)},
    )
