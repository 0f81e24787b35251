"""The Four Top-Ten nomination (四个十佳推荐) as a record type of the engine: what its pages and
API show and take that the engine's (``workflows.pages``, ``workflows.api.records``) do not
know — categories, photos, the eligibility check, places per category, the public winners."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import django_filters
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import permissions as perms
from common.http import parse_id
from workflows.drafts import form_errors
from workflows.exceptions import InvalidInput
from workflows.filters import RecordFilterSet
from workflows.models import Round, RoundKind
from workflows.pages import applicant_orgs, display
from workflows.registry import RecordType, register

from . import selectors, services
from .checks import DEEDS_MAX, PHOTOS_MAX, PHOTOS_MIN, REQUIRED_BY_CATEGORY, eligibility_report
from .flows import NO_VIOLATION_STATEMENT, NominationState
from .forms import CATEGORY_GROUPS, FORM_FIELDS, NominationForm, open_selection_rounds
from .models import Category, Nomination
from .serializers import NominationListSerializer, NominationSerializer, NominationWriteSerializer

# The order CAST staff meet the bulk actions in: the selection's own order.
BULK_ORDER = ("shortlist", "not_select", "award")
# States that take one of a category's places.
PLACE_STATES = (NominationState.SHORTLISTED, NominationState.PUBLIC_NOTICE, NominationState.AWARDED)
DEFAULT_PLACES = 10


class NominationFilterSet(RecordFilterSet):
    """The engine's filters and ``category``."""

    category = django_filters.CharFilter(method="filter_category")

    class Meta:
        model = Nomination
        fields: list[str] = []

    def filter_category(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(category=value) if value else queryset


class NominationPageForm:
    """The nomination form (new and edit pages): round, category and unit are chosen once."""

    def __init__(self, request: Any, record: Nomination | None, *, posted: bool) -> None:
        data = request.POST if posted else None
        self.record = record
        if record is None:
            rounds = open_selection_rounds()
            initial = None
            if not posted:
                initial = {"category": request.GET.get("category", "")}
                if len(rounds) == 1:
                    initial["round"] = str(rounds[0].pk)
            self.form = NominationForm(data, initial=initial, rounds=rounds, organizations=applicant_orgs(request.user))
        else:
            initial = None if posted else _initial(record)
            self.form = NominationForm(data, initial=initial, category=record.category)

    def errors_list(self) -> list[str]:
        """Errors the Django form found itself (a tampered choice)."""
        return form_errors(self.form)

    def service_data(self) -> dict[str, Any]:
        data = self.form.service_data()
        if self.record is None:
            data.setdefault("round", None)
            data.setdefault("category", "")
        else:
            for name in ("organization", "round", "category"):
                data.pop(name, None)
        return data

    def context(self, record: Any) -> dict[str, Any]:
        return {
            "form": self.form,
            "groups": self.form.groups(),
            "deeds_max": DEEDS_MAX,
            "deeds_length": self.form.deeds_length(),
            "no_open_round": record is None and len(self.form.fields["round"].choices) <= 1,
        }


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


def _row(nomination: Nomination, name: str, highlighted: dict[str, SafeString]) -> tuple[Any, Any]:
    label = Nomination._meta.get_field(name).verbose_name
    value = getattr(nomination, name)
    if name in highlighted:
        return label, highlighted[name]
    if name == "gender":
        return label, nomination.get_gender_display() or "—"
    if isinstance(value, Decimal):  # hours, not money
        return label, str(value)
    return label, display(value)


def _field_sections(nomination: Nomination, highlighted: dict[str, SafeString]) -> list[dict[str, Any]]:
    """Every field of the record in the groups of the form: the nominee (its category's
    fields), the service record and the contact; the deeds are shown on their own."""
    own = next((names for key, _h, names in CATEGORY_GROUPS if key == nomination.category), ())
    nominee = ["nominee_name", *own]
    # A field of another category is shown only when it holds something (set over the API).
    for key, _heading, names in CATEGORY_GROUPS:
        if key != nomination.category:
            nominee.extend(n for n in names if getattr(nomination, n) not in (None, ""))
    sections = (
        ("nominee", _("被推荐对象"), nominee),
        ("service", _("服务记录"), ("activities", "service_hours", "registered_volunteers")),
        ("contact", _("联系方式"), ("contact_name", "contact_phone")),
    )
    return [
        {"key": key, "heading": heading, "rows": [_row(nomination, n, highlighted) for n in names]}
        for key, heading, names in sections
    ]


def _opinion_blocks(nomination: Nomination, highlighted: dict[str, SafeString]) -> list[dict[str, Any]]:
    blocks = (
        ("unit", _("申报单位意见"), "unit_opinion", "unit_opinion_signer", "unit_opinion_date"),
        ("recommender", _("推荐单位意见"), "recommender_opinion", "recommender_signer", "recommender_date"),
        ("cast", _("中国科协意见"), "cast_opinion", "cast_signer", "cast_date"),
    )
    return [
        {
            "key": key,
            "heading": heading,
            "text": highlighted.get(text) or getattr(nomination, text),
            "signer": getattr(nomination, signer),
            "date": getattr(nomination, date),
        }
        for key, heading, text, signer, date in blocks
    ]


class NominationApi:
    """Actions of the nominations' API besides the engine's."""

    @extend_schema(
        responses=inline_serializer(
            "EligibilityRule",
            {
                "rule": serializers.CharField(),
                "label": serializers.CharField(),
                "required": serializers.CharField(),
                "actual": serializers.CharField(),
                "passed": serializers.BooleanField(),
            },
            many=True,
        )
    )
    @action(detail=True, methods=["get"], url_path="eligibility")
    def eligibility(self, request: Request, pk: Any = None) -> Response:
        """The automatic threshold check, each rule with its result (CAST staff and auditor)."""
        nomination = self.get_object()
        if not (perms.is_cast_staff(request.user) or perms.is_auditor(request.user)):
            raise Http404
        return Response(
            [{**r, "required": str(r["required"]), "actual": str(r["actual"])} for r in eligibility_report(nomination)]
        )


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
    return render(request, "nominations/winners.html", {"round": round_, "groups": groups, "count": len(winners)})


@register
class NominationType(RecordType):
    model = Nomination
    slug = "nominations"
    noun = pgettext_lazy("one record", "推荐")
    noun_plural = pgettext_lazy("records", "推荐")
    title = gettext_lazy("科技志愿服务“四个十佳”推荐")
    menu_title = gettext_lazy("四个十佳推荐")
    name_field = "nominee_name"
    name_label = gettext_lazy("被推荐对象名称")
    search_fields = ("nominee_name", "organization__name")
    search_placeholder = gettext_lazy("被推荐对象名称或申报单位")
    orderings = {
        "-created": "-created_at",
        "created": "created_at",
        "-updated": "-updated_at",
        "updated": "updated_at",
        "name": "nominee_name",
        "-name": "-nominee_name",
        "state": "state",
        "-state": "-state",
    }
    list_columns = 5
    round_kind = RoundKind.SELECTION
    round_label = gettext_lazy("选树批次")
    group_field = "category"
    group_param = "category"
    group_label = gettext_lazy("类别")
    ranking_title = gettext_lazy("四个十佳专家评分排名")
    ranked_states = ("expert_review", "shortlisted", "not_selected", "public_notice", "awarded", "disqualified")
    picture_kinds = ("id_photo", "photo")
    upload_help = gettext_lazy(
        "按文件内容识别格式：照片须为 JPG，每张 1–3 MB；盖章意见须为 PDF。证件照、盖章意见再次上传将替换原文件。"
    )
    upload_accept = ".jpg,.jpeg,.pdf,image/jpeg,application/pdf"
    export_url_name = "documents:nominations-export"
    list_template = "nominations/list.html"
    detail_template = "nominations/detail.html"
    form_template = "nominations/form.html"
    bulk_confirm_template = "nominations/bulk_confirm.html"
    list_serializer = NominationListSerializer
    serializer = NominationSerializer
    write_serializer = NominationWriteSerializer
    filterset_class = NominationFilterSet
    api_mixins = (NominationApi,)

    def create(self, *, actor: Any, data: dict[str, Any]) -> Nomination:
        return services.nomination_create(actor=actor, data=data)

    def update(self, record: Nomination, *, actor: Any, data: dict[str, Any]) -> Nomination:
        return services.nomination_update(record, actor=actor, data=data)

    def page_form(self, request: Any, record: Nomination | None, *, posted: bool = False) -> NominationPageForm:
        return NominationPageForm(request, record, posted=posted)

    def created_message(self, record: Nomination) -> str:
        return _("推荐已保存为草稿。请上传工作照片（%(min)s–%(max)s 张）和申报单位盖章意见（PDF）后提交。") % {
            "min": PHOTOS_MIN,
            "max": PHOTOS_MAX,
        }

    def ordering_choices(self) -> list[tuple[str, str]]:
        return [
            ("-created", _("创建时间（新→旧）")),
            ("created", _("创建时间（旧→新）")),
            ("-updated", _("更新时间（新→旧）")),
            ("name", _("被推荐对象名称")),
            ("state", _("状态")),
        ]

    def filter_help(self) -> dict[str, Any]:
        return {
            **super().filter_help(),
            "category": "类别 — category: " + ", ".join(Category.values),
            "q": "按名称、单位搜索 — search",
        }

    def list_context(self, request: Any, filters: dict[str, str]) -> dict[str, Any]:
        return {"categories": Category.choices}

    def bulk_choices(self) -> list[tuple[str, str]]:
        """Only the transitions the flow marks for bulk use (docs/flows.md “C (bulk)”), in the
        selection's order."""
        from workflows.flows import CAST_STAFF

        flow = self.flow_class
        choices = [
            (name, str(transitions[0].label))
            for name, transitions in flow.all_transitions().items()
            if transitions[0].permission is CAST_STAFF and flow.spec_of(transitions[0]).bulk
        ]
        order = {name: i for i, name in enumerate(BULK_ORDER)}
        return sorted(choices, key=lambda c: (order.get(c[0], len(order)), c[0]))

    def bulk_outlook(self, name: str, records: list[Nomination]) -> list[dict[str, Any]]:
        """For ``shortlist``: per round and category of the selection, the places, how many are
        already shortlisted or further, and how many this action adds — more than the places
        needs a reason."""
        if name != "shortlist":
            return []
        groups: dict[tuple[int, str], dict[str, Any]] = {}
        for record in records:
            key = (record.round_id, record.category)
            if key not in groups:
                groups[key] = {
                    "round": record.round.title,
                    "category": record.get_category_display(),
                    "number": record.round.typed_settings.winners_per_category.get(record.category, DEFAULT_PLACES),
                    "taken": Nomination.objects.filter(
                        round_id=record.round_id, category=record.category, state__in=PLACE_STATES
                    ).count(),
                    "adding": 0,
                }
            groups[key]["adding"] += 1
        for group in groups.values():
            group["over"] = group["taken"] + group["adding"] > group["number"]
        return list(groups.values())

    def bulk_details(self, record: Nomination) -> list[str]:
        return [record.get_category_display(), record.organization.name]

    def criteria(self, record: Nomination) -> list[Any]:
        return list(record.round.typed_settings.criteria.get(record.category, []))

    def ranking_groups(self, round_: Any) -> list[dict[str, Any]]:
        places = round_.typed_settings.winners_per_category
        return [
            {"value": value, "label": label, "number": places.get(value, DEFAULT_PLACES)}
            for value, label in Category.choices
        ]

    def ranking_parameters(self) -> list[Any]:
        return [
            OpenApiParameter("round", int, required=True),
            OpenApiParameter("category", str, required=True, enum=Category.values),
        ]

    def ranking_request(self, params: Any) -> tuple[int, Any]:
        round_id = parse_id(params.get("round", ""))
        category = params.get("category", "")
        if round_id is None or category not in Category.values:
            raise InvalidInput(_("请指定批次编号 round 和类别 category"))
        return round_id, category

    def extra_page_urls(self) -> list[Any]:
        return [path("winners/<int:round_id>/", public_winners, name="winners")]

    def detail_context(self, request: Any, record: Nomination, ctx: dict[str, Any]) -> None:
        user = request.user
        highlighted = ctx["highlighted"]
        is_cast = perms.is_cast_staff(user)
        is_auditor = perms.is_auditor(user)
        recommend = next((t for t in ctx["transitions"] if t["name"] == "recommend"), None)
        show_eligibility = (is_cast or is_auditor) and record.state == NominationState.RECOMMENDED
        eligibility = eligibility_report(record) if show_eligibility else []
        ctx.update(
            {
                "sections": _field_sections(record, highlighted),
                "deeds_html": highlighted.get("deeds") or record.deeds,
                "deeds_length": len(record.deeds or ""),
                "deeds_max": DEEDS_MAX,
                "required_fields": [
                    str(Nomination._meta.get_field(n).verbose_name)
                    for n in REQUIRED_BY_CATEGORY.get(record.category, ())
                ],
                "opinions": _opinion_blocks(record, highlighted),
                "photo_rule": {"min": PHOTOS_MIN, "max": PHOTOS_MAX},
                "statement_hint": ctx["is_reviewer"] and recommend is not None,
                "no_violation_statement": NO_VIOLATION_STATEMENT,
                "show_eligibility": show_eligibility,
                "eligibility": eligibility,
                "eligibility_failed": [r for r in eligibility if not r["passed"]],
            }
        )
