"""``/api/v1/applications/``: list, create, read, change; the engine's workflow endpoints;
attachments, scores, ranking, the revision diff and bulk transitions."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from documents.api import PDFRenderer
from workflows import services as engine
from workflows.api.mixins import ERROR_RESPONSES, WorkflowActionsMixin, client_ip
from workflows.api.serializers import JobSerializer, JobStartedSerializer
from workflows.attachments import attachment_add
from workflows.exceptions import InvalidInput
from workflows.selectors import MAX_ID, parse_id

from . import selectors, services
from .serializers import (
    ApplicationListSerializer,
    ApplicationSerializer,
    ApplicationWriteSerializer,
    AttachmentSerializer,
    BulkTransitionSerializer,
    ScoreRequestSerializer,
    ScoreSerializer,
)

LIST_PARAMETERS = [
    OpenApiParameter("state", str, description="状态，可逗号分隔多个 — state(s), comma separated"),
    OpenApiParameter("round", int, description="批次编号 — round id"),
    OpenApiParameter("subproject", str, description="子项目代码或编号 — sub-project code or id"),
    OpenApiParameter("province", str, description="服务地区（省）"),
    OpenApiParameter("q", str, description="按名称、单位、负责人搜索 — search"),
    OpenApiParameter("ordering", str, description="created, -created, name, state, requested, updated (and -)"),
]


def _data(request: Request) -> dict[str, Any]:
    if hasattr(request.data, "dict") and not isinstance(request.data, dict):
        return request.data.dict()
    if not isinstance(request.data, dict):
        raise InvalidInput(_("请求内容必须是 JSON 对象"))
    return dict(request.data)


def _decimal(value: Any) -> str | None:
    """A decimal as the schema documents it (a string with two places), like every other amount."""
    return None if value is None else f"{value:.2f}"


class ApplicationViewSet(
    WorkflowActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        params = self.request.query_params
        qs = selectors.application_list(
            user=self.request.user,
            state=params.get("state"),
            round_id=params.get("round"),
            subproject=params.get("subproject"),
            province=params.get("province"),
            q=params.get("q"),
            ordering=params.get("ordering"),
        )
        if self.action != "list":
            qs = qs.prefetch_related("team", "budget_lines")
        return qs

    def get_serializer_class(self):
        return ApplicationListSerializer if self.action == "list" else ApplicationSerializer

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ApplicationWriteSerializer, responses={201: ApplicationSerializer, **ERROR_RESPONSES})
    def create(self, request: Request) -> Response:
        application = services.application_create(actor=request.user, data=_data(request))
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ApplicationWriteSerializer, responses={200: ApplicationSerializer, **ERROR_RESPONSES})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        application = self.get_object()
        updated = services.application_update(application, actor=request.user, data=_data(request))
        return Response(ApplicationSerializer(updated).data)

    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={
            "multipart/form-data": inline_serializer(
                "AttachmentUpload", {"kind": serializers.CharField(), "file": serializers.FileField()}
            )
        },
        responses={201: AttachmentSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], url_path="attachments")
    def attachments(self, request: Request, pk: Any = None) -> Response:
        application = self.get_object()
        if request.method == "POST":
            attachment = attachment_add(
                application,
                kind=str(request.data.get("kind", "")),
                upload=request.FILES.get("file"),
                actor=request.user,
            )
            return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        return Response(AttachmentSerializer(selectors.attachments_of(application, user=request.user), many=True).data)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<aid>[0-9]+)")
    def attachment_download(self, request: Request, pk: Any = None, aid: str = "") -> FileResponse:
        application = self.get_object()
        attachment = selectors.attachments_of(application, user=request.user).filter(pk=int(aid)).first()
        if attachment is None:
            raise Http404
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )

    @extend_schema(methods=["GET"], responses=ScoreSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=ScoreRequestSerializer, responses={201: ScoreSerializer, **ERROR_RESPONSES}
    )
    @action(detail=True, methods=["get", "post"], url_path="scores")
    def scores(self, request: Request, pk: Any = None) -> Response:
        application = self.get_object()
        if request.method == "POST":
            data = _data(request)
            unknown = sorted(set(data) - {"scores", "comment"})
            if unknown:
                raise InvalidInput([_("未知的字段：%(field)s") % {"field": key} for key in unknown])
            score = services.score_submit(
                application, actor=request.user, scores=data.get("scores"), comment=data.get("comment", "")
            )
            return Response(ScoreSerializer(score).data, status=status.HTTP_201_CREATED)
        return Response(ScoreSerializer(selectors.scores_of(application, user=request.user), many=True).data)

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
        parameters=[OpenApiParameter("round", int, required=True), OpenApiParameter("subproject", int)],
        responses=inline_serializer(
            "RankingRow",
            {
                "rank": serializers.IntegerField(),
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "organization": serializers.CharField(),
                "subproject": serializers.CharField(),
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
        sub = request.query_params.get("subproject", "")
        if parse_id(round_id) is None or (sub and parse_id(sub) is None):
            raise InvalidInput(_("请指定批次编号 round（以及可选的子项目编号 subproject）"))
        rows = selectors.ranking(user=request.user, round_id=int(round_id), subproject_id=int(sub) if sub else None)
        return Response(
            [
                {
                    "rank": r["rank"],
                    "id": r["application"].pk,
                    "name": r["application"].name,
                    "organization": r["application"].organization.name,
                    "subproject": r["application"].subproject.code,
                    "state": r["application"].state,
                    "mean": _decimal(r["mean"]),
                    "spread": _decimal(r["spread"]),
                    "stdev": _decimal(r["stdev"]),
                    "count": r["count"],
                }
                for r in rows
            ]
        )

    @extend_schema(
        parameters=[OpenApiParameter("revision", int, description="版本号（默认当前版本；草稿为已填写的内容）")],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERROR_RESPONSES},
        description="申报书 PDF（含验证码）— the application form of the current revision, via documents.",
    )
    @action(detail=True, methods=["get"], url_path="pdf", renderer_classes=[JSONRenderer, PDFRenderer])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        from documents.responses import application_form

        return application_form(self.get_object().pk, request.user, revision=request.query_params.get("revision"))

    @extend_schema(
        request=BulkTransitionSerializer,
        responses={
            200: ApplicationListSerializer(many=True),
            202: JobStartedSerializer,
            **ERROR_RESPONSES,
        },
        description=(
            "对多条申报执行同一操作，全部成功或全部不变 — one transition on many records, all or nothing; "
            "over BULK_JOB_THRESHOLD records (200) it runs in the background: 202 with the job "
            "(GET /api/v1/jobs/{id}/)."
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk-transition")
    def bulk_transition(self, request: Request) -> Response:
        body = BulkTransitionSerializer(data=request.data)
        if not body.is_valid():
            raise InvalidInput([f"{k}: {m}" for k, msgs in body.errors.items() for m in msgs])
        ids = list(dict.fromkeys(body.validated_data["ids"]))
        # An id beyond a database integer exists nowhere (and would overflow the query).
        storable = [i for i in ids if abs(i) <= MAX_ID]
        records = {a.pk: a for a in selectors.application_list(user=request.user).filter(pk__in=storable)}
        missing = [i for i in ids if i not in records]
        if missing:
            raise InvalidInput(_("以下申报不存在或您无权查看：%(ids)s") % {"ids": ", ".join(map(str, missing))})
        outcome = engine.bulk_transition(
            [records[pk] for pk in ids],
            body.validated_data["name"],
            actor=request.user,
            opinion=body.validated_data.get("opinion", ""),
            client_ip=client_ip(request),
        )
        if outcome.job is not None:
            return Response({"job": JobSerializer(outcome.job).data}, status=202)
        return Response(ApplicationListSerializer(outcome.done, many=True).data)
