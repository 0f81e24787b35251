"""``GET /api/v1/audit/rule-changes/``: the log of rule changes, for the auditor and CAST staff
(anyone else: 404; no credentials: 401)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from administration.audit import ACTION_LABELS, SUBJECTS
from workflows.exceptions import InvalidInput

from . import selectors
from .forms import FILTER_FIELDS, RuleChangeFilter


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "properties": {"label": {"type": "string"}, "before": {}, "after": {}},
        },
        "description": "每个改动的字段：字段名 → {label 名称, before 原值, after 新值} — each field that changed",
    }
)
class ChangesField(serializers.JSONField):
    pass


class RuleChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="event.pk")
    at = serializers.DateTimeField(source="event.created_at", help_text="时间 — when")
    subject_type = serializers.CharField(
        source="event.record_type", help_text="对象类型（模型标签），如 workflows.sensitiveterm"
    )
    subject_type_label = serializers.CharField()
    subject_id = serializers.IntegerField(source="event.record_id")
    subject = serializers.CharField(help_text="对象名称（已删除的对象：其事件所记的名称）")
    action = serializers.CharField(source="event.action")
    action_label = serializers.CharField()
    actor = serializers.SerializerMethodField(help_text="操作人用户名 — the actor's username")
    actor_name = serializers.CharField(source="event.actor_name")
    actor_org = serializers.CharField(source="event.actor_org")
    actor_role = serializers.CharField(source="event.actor_role")
    changes = serializers.SerializerMethodField()
    reason = serializers.CharField(help_text="修改理由 — the reason given")
    extra = serializers.JSONField(help_text="事件的其他数据（如导入的文件摘要）— the event's other data")

    def get_actor(self, row: Any) -> str:
        actor = row.event.actor
        return actor.username if actor is not None else ""

    @extend_schema_field(ChangesField)
    def get_changes(self, row: Any) -> dict[str, Any]:
        return {c.field: {"label": c.label, "before": c.before, "after": c.after} for c in row.changes}


def _filters(request: Request) -> dict[str, Any]:
    form = RuleChangeFilter({k: v for k in FILTER_FIELDS if (v := request.query_params.get(k, "").strip())})
    problems = form.problems()
    if problems:
        raise InvalidInput(problems)
    return form.cleaned_data


class RuleChangeList(generics.ListAPIView):
    """The log of rule changes, newest first, 20 a page."""

    serializer_class = RuleChangeSerializer

    def get_queryset(self) -> Any:
        return selectors.rule_changes_for(user=self.request.user, filters=_filters(self.request))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "subject", str, enum=list(SUBJECTS), description="对象类型 — the subject type (model label)"
            ),
            OpenApiParameter("action", str, enum=list(ACTION_LABELS), description="操作 — the action"),
            OpenApiParameter("actor", int, description="操作人的用户编号 — the actor's user id"),
            OpenApiParameter("since", OpenApiTypes.DATE, description="起始日期（含）— from this day (local)"),
            OpenApiParameter("until", OpenApiTypes.DATE, description="截止日期（含）— to this day (local)"),
        ],
        responses={
            200: RuleChangeSerializer(many=True),
            400: OpenApiResponse(description="筛选条件有误 — bad filters, every problem listed: {detail, errors[]}"),
            401: OpenApiResponse(description="未登录 — no credentials"),
            404: OpenApiResponse(description="仅审计员和中国科协工作人员可见 — not the auditor or CAST staff"),
        },
        description="规则变更记录（审计员、中国科协工作人员）：批次、子项目、单位、账号与角色、敏感词、日历调整的"
        "每次修改，含修改前后的值和理由 — every rule change with its values before and after and its reason.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not selectors.reads_rules(request.user):
            raise NotFound
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        rows = selectors.describe(list(page))
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)
