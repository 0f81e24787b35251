"""The generic workflow endpoints every record type's API gets:

``GET {id}/transitions/``, ``POST {id}/transitions/{name}/``, ``GET {id}/history/``,
``GET|POST {id}/content-reviews/``. The record is found through the type's selector, so a
record outside the caller's scope answers 404.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.http import client_ip
from workflows import selectors, services
from workflows.api.serializers import (
    AssignmentReplaceSerializer,
    AssignmentRequestSerializer,
    AssignmentSerializer,
    AssignmentWithdrawSerializer,
    AuditEventSerializer,
    ContentReviewRequestSerializer,
    ContentReviewSerializer,
    HistoryProofSerializer,
    TransitionOptionSerializer,
    TransitionRequestSerializer,
)
from workflows.exceptions import InvalidInput

ERROR_RESPONSES = {
    400: OpenApiResponse(
        description="条件未满足，未作任何修改 — conditions unmet, nothing changed: {detail, errors[]}"
    ),
    403: OpenApiResponse(description="无此角色权限 — role or scope lacking"),
    404: OpenApiResponse(description="记录不存在或不可见 — not visible to the caller"),
    409: OpenApiResponse(description="记录已被他人处理 — the record moved on meanwhile"),
}


def validated(serializer_class: Any, request: Request) -> dict[str, Any]:
    """The request body checked by ``serializer_class``; InvalidInput lists every problem,
    an unknown field included (a misspelt one would otherwise be silently dropped)."""
    data = request.data
    body = serializer_class(data=data)
    errors: list[str] = []
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(body.fields) - {"csrfmiddlewaretoken"})
        errors += [_("未知的字段：%(field)s") % {"field": key} for key in unknown]
    if not body.is_valid():
        errors += [str(m) if k == "non_field_errors" else f"{k}: {m}" for k, msgs in body.errors.items() for m in msgs]
    if errors:
        raise InvalidInput(errors)
    return body.validated_data


class WorkflowActionsMixin:
    """Mix into a ModelViewSet whose ``get_queryset`` is the type's visibility selector."""

    def _record_serializer(self, record: Any) -> Any:
        return self.get_serializer(record)

    @extend_schema(responses=TransitionOptionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="transitions")
    def transitions(self, request: Request, pk: Any = None) -> Response:
        record = self.get_object()
        return Response(
            TransitionOptionSerializer(services.available_transitions(record, request.user), many=True).data
        )

    @extend_schema(
        request=TransitionRequestSerializer,
        responses={200: None, **ERROR_RESPONSES},
        description="执行一个流程操作 — perform a transition with an opinion.",
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]{1,60})")
    def perform_transition(self, request: Request, pk: Any = None, name: str = "") -> Response:
        record = self.get_object()
        body = validated(TransitionRequestSerializer, request)
        updated = services.transition(
            record,
            name,
            actor=request.user,
            opinion=body.get("opinion", ""),
            data=body.get("data") or {},
            client_ip=client_ip(request),
        )
        return Response(self._record_serializer(updated).data)

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="history")
    def history(self, request: Request, pk: Any = None) -> Response:
        record = self.get_object()
        events = selectors.record_history(record, user=request.user)
        return Response(AuditEventSerializer(events, many=True, context={"flow_class": record.flow_class}).data)

    @extend_schema(
        responses=HistoryProofSerializer,
        description=(
            "记录的审计事件及其在最新签名检查点中的包含证明（RFC 9162）— the record's events with their "
            "canonical rows and inclusion proofs against the latest signed checkpoint; events not yet "
            "sequenced have no proof yet. Check one with scripts/verify_proof.py."
        ),
    )
    @action(detail=True, methods=["get"], url_path="history/proof")
    def history_proof(self, request: Request, pk: Any = None) -> Response:
        from workflows.ledger.proofs import record_proof

        record = self.get_object()
        events = list(selectors.record_history(record, user=request.user))
        return Response(HistoryProofSerializer(record_proof(events)).data)

    @extend_schema(methods=["GET"], responses=ContentReviewSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=ContentReviewRequestSerializer,
        responses={201: ContentReviewSerializer(many=True), **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], url_path="content-reviews")
    def content_reviews(self, request: Request, pk: Any = None) -> Response:
        record = self.get_object()
        if request.method == "POST":
            body = validated(ContentReviewRequestSerializer, request)
            services.checkpoint_record(
                record,
                stage=body["stage"],
                verdict=body["verdict"],
                opinion=body["opinion"],
                actor=request.user,
                client_ip=client_ip(request),
            )
            record.refresh_from_db()
            return Response(
                ContentReviewSerializer(selectors.content_reviews(record, user=request.user), many=True).data,
                status=201,
            )
        return Response(ContentReviewSerializer(selectors.content_reviews(record, user=request.user), many=True).data)

    @extend_schema(methods=["GET"], responses=AssignmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=AssignmentRequestSerializer,
        responses={201: AssignmentSerializer, **ERROR_RESPONSES},
        description="中国科协工作人员分配评审任务（利益冲突被拒绝）— CAST staff assign a task; conflicts refused.",
    )
    @action(detail=True, methods=["get", "post"], url_path="assignments")
    def assignments(self, request: Request, pk: Any = None) -> Response:
        from accounts.models import User

        record = self.get_object()
        if request.method == "POST":
            body = validated(AssignmentRequestSerializer, request)
            assignee = User.objects.filter(username=body["assignee"], is_active=True).first()
            if assignee is None:
                raise InvalidInput(_("用户“%(u)s”不存在") % {"u": body["assignee"]})
            created = services.assignment_create(
                record,
                stage=body["stage"],
                assignee=assignee,
                due_date=body.get("due_date"),
                actor=request.user,
                client_ip=client_ip(request),
            )
            return Response(AssignmentSerializer(created).data, status=201)
        rows = selectors.record_assignments(record, user=request.user).select_related("assignee")
        return Response(AssignmentSerializer(rows, many=True).data)

    def _open_assignment(self, record: Any, aid: str) -> Any:
        from common.http import parse_id

        number = parse_id(aid)
        found = (
            selectors.record_assignments(record, user=self.request.user)
            .select_related("assignee")
            .filter(pk=number)
            .first()
            if number is not None
            else None
        )
        if found is None:
            raise Http404
        return found

    @extend_schema(
        request=AssignmentWithdrawSerializer,
        responses={200: AssignmentSerializer, **ERROR_RESPONSES},
        description="中国科协工作人员撤回一项待办评审任务（须填写理由，记入办理记录，并通知专家）— "
        "CAST staff withdraw an open task with a reason (audited; the expert is told).",
    )
    @action(detail=True, methods=["post"], url_path=r"assignments/(?P<aid>[0-9]+)/withdraw")
    def assignment_withdraw(self, request: Request, pk: Any = None, aid: str = "") -> Response:
        record = self.get_object()
        body = validated(AssignmentWithdrawSerializer, request)
        task = services.assignment_withdraw(
            self._open_assignment(record, aid), actor=request.user, reason=body["reason"], client_ip=client_ip(request)
        )
        return Response(AssignmentSerializer(task).data)

    @extend_schema(
        request=AssignmentReplaceSerializer,
        responses={201: AssignmentSerializer, **ERROR_RESPONSES},
        description="中国科协工作人员将一项待办评审任务改派给另一位专家（原任务撤回，两者同时生效或都不生效）— "
        "CAST staff give an open task to another expert: the old one withdrawn, the new one created, both or neither.",
    )
    @action(detail=True, methods=["post"], url_path=r"assignments/(?P<aid>[0-9]+)/replace")
    def assignment_replace(self, request: Request, pk: Any = None, aid: str = "") -> Response:
        from accounts.models import User

        record = self.get_object()
        body = validated(AssignmentReplaceSerializer, request)
        task = self._open_assignment(record, aid)
        assignee = User.objects.filter(username=body["assignee"], is_active=True).first()
        if assignee is None:
            raise InvalidInput(_("用户“%(u)s”不存在") % {"u": body["assignee"]})
        created = services.assignment_replace(
            task,
            actor=request.user,
            assignee=assignee,
            reason=body["reason"],
            due_date=body.get("due_date"),
            client_ip=client_ip(request),
        )
        return Response(AssignmentSerializer(created).data, status=201)
