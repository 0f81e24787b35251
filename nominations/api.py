"""``/api/v1/nominations/``: the same shapes as applications, plus eligibility and the
per-category ranking; the public winners list."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from documents.api import PDFRenderer
from workflows import services as engine
from workflows.api.mixins import ERROR_RESPONSES, WorkflowActionsMixin, client_ip
from workflows.api.serializers import JobSerializer, JobStartedSerializer
from workflows.attachments import attachment_add
from workflows.exceptions import InvalidInput
from workflows.selectors import MAX_ID, parse_id

from . import selectors, services
from .checks import eligibility_report
from .models import Category
from .serializers import (
    NominationAttachmentSerializer,
    NominationBulkTransitionSerializer,
    NominationListSerializer,
    NominationScoreRequestSerializer,
    NominationScoreSerializer,
    NominationSerializer,
    NominationWriteSerializer,
    WinnerSerializer,
)


def _data(request: Request) -> dict[str, Any]:
    if hasattr(request.data, "dict") and not isinstance(request.data, dict):
        return request.data.dict()
    if not isinstance(request.data, dict):
        raise InvalidInput(_("请求内容必须是 JSON 对象"))
    return dict(request.data)


def _decimal(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


class NominationViewSet(
    WorkflowActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        params = self.request.query_params
        return selectors.nomination_list(
            user=self.request.user,
            state=params.get("state"),
            round_id=params.get("round"),
            category=params.get("category"),
            q=params.get("q"),
            ordering=params.get("ordering"),
        )

    def get_serializer_class(self):
        return NominationListSerializer if self.action == "list" else NominationSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, description="状态，可逗号分隔多个"),
            OpenApiParameter("round", int),
            OpenApiParameter("category", str, enum=Category.values),
            OpenApiParameter("q", str, description="按名称、单位搜索"),
            OpenApiParameter("ordering", str),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=NominationWriteSerializer, responses={201: NominationSerializer, **ERROR_RESPONSES})
    def create(self, request: Request) -> Response:
        nomination = services.nomination_create(actor=request.user, data=_data(request))
        return Response(NominationSerializer(nomination).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NominationWriteSerializer, responses={200: NominationSerializer, **ERROR_RESPONSES})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        updated = services.nomination_update(self.get_object(), actor=request.user, data=_data(request))
        return Response(NominationSerializer(updated).data)

    @extend_schema(methods=["GET"], responses=NominationAttachmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={
            "multipart/form-data": inline_serializer(
                "NominationAttachmentUpload", {"kind": serializers.CharField(), "file": serializers.FileField()}
            )
        },
        responses={201: NominationAttachmentSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], url_path="attachments")
    def attachments(self, request: Request, pk: Any = None) -> Response:
        nomination = self.get_object()
        if request.method == "POST":
            attachment = attachment_add(
                nomination, kind=str(request.data.get("kind", "")), upload=request.FILES.get("file"), actor=request.user
            )
            return Response(NominationAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        return Response(
            NominationAttachmentSerializer(selectors.attachments_of(nomination, user=request.user), many=True).data
        )

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<aid>[0-9]+)")
    def attachment_download(self, request: Request, pk: Any = None, aid: str = "") -> FileResponse:
        attachment = selectors.attachments_of(self.get_object(), user=request.user).filter(pk=int(aid)).first()
        if attachment is None:
            raise Http404
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )

    @extend_schema(methods=["GET"], responses=NominationScoreSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=NominationScoreRequestSerializer,
        responses={201: NominationScoreSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], url_path="scores")
    def scores(self, request: Request, pk: Any = None) -> Response:
        nomination = self.get_object()
        if request.method == "POST":
            data = _data(request)
            score = services.nomination_score_submit(
                nomination, actor=request.user, scores=data.get("scores"), comment=data.get("comment", "")
            )
            return Response(NominationScoreSerializer(score).data, status=status.HTTP_201_CREATED)
        return Response(NominationScoreSerializer(selectors.scores_of(nomination, user=request.user), many=True).data)

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
        from accounts import permissions as perms

        nomination = self.get_object()
        if not (perms.is_cast_staff(request.user) or perms.is_auditor(request.user)):
            raise Http404
        return Response(
            [{**r, "required": str(r["required"]), "actual": str(r["actual"])} for r in eligibility_report(nomination)]
        )

    @extend_schema(
        parameters=[OpenApiParameter("revision", int, description="版本号（默认当前版本；草稿为已填写的内容）")],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERROR_RESPONSES},
        description="推荐表 PDF（含验证码）— the recommendation form of the current revision, via documents.",
    )
    @action(detail=True, methods=["get"], url_path="pdf", renderer_classes=[JSONRenderer, PDFRenderer])
    def pdf(self, request: Request, pk: Any = None) -> Any:
        from documents.responses import nomination_form

        return nomination_form(self.get_object().pk, request.user, revision=request.query_params.get("revision"))

    @extend_schema(
        parameters=[
            OpenApiParameter("round", int, required=True),
            OpenApiParameter("category", str, required=True, enum=Category.values),
        ],
        responses=inline_serializer(
            "NominationRankingRow",
            {
                "rank": serializers.IntegerField(),
                "id": serializers.IntegerField(),
                "nominee_name": serializers.CharField(),
                "organization": serializers.CharField(),
                "state": serializers.CharField(),
                "mean": serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True),
                "spread": serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True),
                "stdev": serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True),
                "count": serializers.IntegerField(),
            },
            many=True,
        ),
    )
    # A plain list, not a page: the schema said paginated (pagination_class=None tells it).
    @action(detail=False, methods=["get"], url_path="ranking", pagination_class=None)
    def ranking(self, request: Request) -> Response:
        round_id = request.query_params.get("round", "")
        category = request.query_params.get("category", "")
        if parse_id(round_id) is None or category not in Category.values:
            raise InvalidInput(_("请指定批次编号 round 和类别 category"))
        rows = selectors.ranking(user=request.user, round_id=int(round_id), category=category)
        return Response(
            [
                {
                    "rank": r["rank"],
                    "id": r["record"].pk,
                    "nominee_name": r["record"].nominee_name,
                    "organization": r["record"].organization.name,
                    "state": r["record"].state,
                    "mean": _decimal(r["mean"]),
                    "spread": _decimal(r["spread"]),
                    "stdev": _decimal(r["stdev"]),
                    "count": r["count"],
                }
                for r in rows
            ]
        )

    @extend_schema(
        request=NominationBulkTransitionSerializer,
        responses={
            200: NominationListSerializer(many=True),
            202: JobStartedSerializer,
            **ERROR_RESPONSES,
        },
        description=(
            "对多条推荐执行同一操作，全部成功或全部不变 — one transition on many records, all or nothing; "
            "over BULK_JOB_THRESHOLD records (200) it runs in the background: 202 with the job "
            "(GET /api/v1/jobs/{id}/)."
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk-transition")
    def bulk_transition(self, request: Request) -> Response:
        body = NominationBulkTransitionSerializer(data=request.data)
        if not body.is_valid():
            raise InvalidInput([f"{k}: {m}" for k, msgs in body.errors.items() for m in msgs])
        ids = list(dict.fromkeys(body.validated_data["ids"]))
        # An id beyond a database integer exists nowhere (and would overflow the query).
        storable = [i for i in ids if abs(i) <= MAX_ID]
        records = {n.pk: n for n in selectors.nomination_list(user=request.user).filter(pk__in=storable)}
        missing = [i for i in ids if i not in records]
        if missing:
            raise InvalidInput(_("以下推荐不存在或您无权查看：%(ids)s") % {"ids": ", ".join(map(str, missing))})
        outcome = engine.bulk_transition(
            [records[pk] for pk in ids],
            body.validated_data["name"],
            actor=request.user,
            opinion=body.validated_data.get("opinion", ""),
            client_ip=client_ip(request),
        )
        if outcome.job is not None:
            return Response({"job": JobSerializer(outcome.job).data}, status=202)
        return Response(NominationListSerializer(outcome.done, many=True).data)


class WinnersView(APIView):
    """``GET /api/v1/public/winners/?round=`` — the announced winners (no login)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(parameters=[OpenApiParameter("round", int, required=True)], responses=WinnerSerializer(many=True))
    def get(self, request: Request) -> Response:
        round_id = request.query_params.get("round", "")
        if parse_id(round_id) is None:
            raise InvalidInput(_("请指定批次编号 round"))
        return Response(WinnerSerializer(selectors.winners(round_id=int(round_id)), many=True).data)
