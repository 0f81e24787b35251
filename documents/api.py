"""``/api/v1/``: downloads (PDFs, spreadsheets), batches and the public verification lookup.

HTTP only: every download reads its records through the selectors (``documents.responses``),
every write goes through ``documents.services``.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.http import parse_id
from workflows.api.mixins import ERROR_RESPONSES
from workflows.exceptions import InvalidInput
from workflows.models import Round

from . import responses, selectors, services
from .models import BatchJob


class BinaryRenderer(BaseRenderer):
    """Lets a client ask for the file type (``Accept: application/pdf``); errors still
    come out as JSON bytes."""

    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class PDFRenderer(BinaryRenderer):
    media_type = "application/pdf"
    format = "pdf"


class XLSXRenderer(BinaryRenderer):
    media_type = responses.XLSX
    format = "xlsx"


class CSVRenderer(BinaryRenderer):
    media_type = "text/csv"
    format = "csv"


class ZIPRenderer(BinaryRenderer):
    media_type = "application/zip"
    format = "zip"


PDF_RESPONSE = {(200, "application/pdf"): OpenApiTypes.BINARY, **ERROR_RESPONSES}


class PDFView(APIView):
    renderer_classes = [JSONRenderer, PDFRenderer]


REVISION = OpenApiParameter("revision", int, description="版本号（默认当前版本；草稿为已填写的内容）")


class ApplicationFormPDF(PDFView):
    @extend_schema(
        parameters=[REVISION],
        responses=PDF_RESPONSE,
        description="申报书 PDF（含验证码）— the application form of the current revision (or of ?revision=n).",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return responses.application_form(pk, request.user, revision=request.query_params.get("revision"))


class NominationFormPDF(PDFView):
    @extend_schema(
        parameters=[REVISION],
        responses=PDF_RESPONSE,
        description="推荐表 PDF（含验证码）— the recommendation form of the current revision (or of ?revision=n).",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return responses.nomination_form(pk, request.user, revision=request.query_params.get("revision"))


class ApprovalNoticePDF(PDFView):
    @extend_schema(
        responses=PDF_RESPONSE,
        description="立项通知书（已立项的申报）— the approval notice of an issued application, "
        "with its verification code; 404 when not issued or not visible.",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return responses.approval_notice(pk, request.user)


class AuditHistoryPDF(PDFView):
    @extend_schema(responses=PDF_RESPONSE, description="审计记录 — the audit history of an application as PDF.")
    def get(self, request: Request, pk: int) -> HttpResponse:
        return responses.audit_history(pk, request.user)


class NominationHistoryPDF(PDFView):
    @extend_schema(responses=PDF_RESPONSE, description="审计记录 — the audit history of a nomination as PDF.")
    def get(self, request: Request, pk: int) -> HttpResponse:
        return responses.nomination_history(pk, request.user)


class CertificatePDF(PDFView):
    @extend_schema(
        responses=PDF_RESPONSE,
        description="荣誉证书（已公布入选的推荐，横版）— the certificate of a winner with its number and "
        "verification code; 404 when not awarded or not visible.",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return responses.certificate(pk, request.user)


class WinnersListPDF(PDFView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        responses=PDF_RESPONSE,
        description="入选名单 — the announced winners of a selection round (public, like the winners page); "
        "404 before any is announced.",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return responses.winners_list(pk, None)


class ResultListPDF(PDFView):
    @extend_schema(
        responses=PDF_RESPONSE,
        description="立项名单 — the issued applications of a round (CAST staff and the auditor).",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return responses.result_list(pk, request.user)


class NoticeListPDF(PDFView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(responses=PDF_RESPONSE, description="公示名单 — the list of a published notice (public).")
    def get(self, request: Request, pk: int) -> HttpResponse:
        return responses.notice_list(pk, None)


EXPORT_PARAMETERS = [
    OpenApiParameter("state", str, description="状态，可逗号分隔多个 — state(s), comma separated"),
    OpenApiParameter("round", int, description="批次编号 — round id"),
    OpenApiParameter("subproject", str, description="子项目代码或编号 — sub-project code or id"),
    OpenApiParameter("province", str, description="服务地区（省）"),
    OpenApiParameter("q", str, description="按名称、单位、负责人搜索 — search"),
    OpenApiParameter("ordering", str, description="created, -created, name, state, requested, updated (and -)"),
]


NOMINATION_EXPORT_PARAMETERS = [
    OpenApiParameter("state", str, description="状态，可逗号分隔多个 — state(s), comma separated"),
    OpenApiParameter("round", int, description="批次编号 — round id"),
    OpenApiParameter("category", str, description="类别 — volunteer, team, project, site"),
    OpenApiParameter("q", str, description="按名称、单位搜索 — search"),
    OpenApiParameter("ordering", str, description="created, -created, name, state, updated (and -)"),
]


class NominationsExportXLSX(APIView):
    renderer_classes = [JSONRenderer, XLSXRenderer]

    @extend_schema(
        parameters=NOMINATION_EXPORT_PARAMETERS,
        responses={(200, responses.XLSX): OpenApiTypes.BINARY},
        description="推荐列表导出（Excel）— the nominations the caller may see, filtered like the list.",
    )
    def get(self, request: Request) -> HttpResponse:
        return responses.nominations_export(request.query_params, request.user, fmt="xlsx")


class NominationsExportCSV(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        parameters=NOMINATION_EXPORT_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        description="推荐列表导出（CSV，UTF-8）— the same rows as the Excel export.",
    )
    def get(self, request: Request) -> HttpResponse:
        return responses.nominations_export(request.query_params, request.user, fmt="csv")


class ApplicationsExportXLSX(APIView):
    renderer_classes = [JSONRenderer, XLSXRenderer]

    @extend_schema(
        parameters=EXPORT_PARAMETERS,
        responses={(200, responses.XLSX): OpenApiTypes.BINARY},
        description="申报列表导出（Excel）— the applications the caller may see, filtered like the list.",
    )
    def get(self, request: Request) -> HttpResponse:
        return responses.applications_export(request.query_params, request.user, fmt="xlsx")


class ApplicationsExportCSV(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        parameters=EXPORT_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        description="申报列表导出（CSV，UTF-8）— the same rows as the Excel export.",
    )
    def get(self, request: Request) -> HttpResponse:
        return responses.applications_export(request.query_params, request.user, fmt="csv")


# -- batches ---------------------------------------------------------------------------------


class BatchSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    round_title = serializers.CharField(source="round.title", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = BatchJob
        fields = [
            "id",
            "kind",
            "round",
            "round_title",
            "requested_by",
            "status",
            "status_label",
            "total",
            "done",
            "percent",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, job: BatchJob) -> str | None:
        if job.status != "done":
            return None
        return reverse("api-document-batch-download", args=[job.pk])


class BatchListView(APIView):
    @extend_schema(responses=BatchSerializer(many=True), description="批量生成任务 — the batches the caller may see.")
    def get(self, request: Request) -> Response:
        return Response(BatchSerializer(selectors.batches_for(user=request.user)[:100], many=True).data)

    @extend_schema(
        request=inline_serializer("BatchStart", {"round": serializers.IntegerField()}),
        responses={201: BatchSerializer, **ERROR_RESPONSES},
        description="整批生成某批次的文件（CAST staff）：项目申报批次为全部已立项项目的立项通知书，"
        "选树批次为全部入选者的荣誉证书。已有进行中的任务时返回该任务。— one ZIP of a round's approval "
        "notices (project round) or certificates (selection round).",
    )
    def post(self, request: Request) -> Response:
        raw = request.data.get("round") if hasattr(request.data, "get") else None
        round_ = Round.objects.filter(pk=parse_id(raw)).first() if parse_id(raw) is not None else None
        if not selectors.can_start_batches(request.user):
            raise Http404
        if round_ is None:
            raise InvalidInput(_("请指定批次编号 round"))
        job = services.batch_start(round=round_, actor=request.user)
        job.refresh_from_db()
        return Response(BatchSerializer(job).data, status=status.HTTP_201_CREATED)


class BatchDetailView(APIView):
    @extend_schema(responses=BatchSerializer)
    def get(self, request: Request, pk: int) -> Response:
        job = selectors.batch_get(pk, user=request.user)
        if job is None:
            raise Http404
        return Response(BatchSerializer(job).data)


class BatchDownloadView(APIView):
    renderer_classes = [JSONRenderer, ZIPRenderer]

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY, **ERROR_RESPONSES})
    def get(self, request: Request, pk: int) -> FileResponse:
        job = selectors.batch_get(pk, user=request.user)
        if job is None:
            raise Http404
        services.ensure_batch_ready(job)
        response = FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=services.batch_download_name(job),
            content_type="application/zip",
        )
        response["Cache-Control"] = "private, no-store"
        return response


# -- verification ----------------------------------------------------------------------------


class VerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        responses={
            200: inline_serializer(
                "VerifiedDocument",
                {
                    "genuine": serializers.BooleanField(),
                    "code": serializers.CharField(),
                    "kind": serializers.CharField(),
                    "kind_label": serializers.CharField(),
                    "title": serializers.CharField(),
                    "number": serializers.CharField(),
                    "issued_on": serializers.DateField(),
                    "ledger": inline_serializer(
                        "IssuingEventInLedger",
                        {
                            "pending": serializers.BooleanField(help_text="尚未写入签名检查点 — not yet signed"),
                            "event_hash": serializers.CharField(),
                            "leaf_index": serializers.IntegerField(required=False),
                            "tree_size": serializers.IntegerField(required=False),
                            "root_hash": serializers.CharField(required=False),
                            "signed_at": serializers.DateTimeField(required=False),
                            "key_id": serializers.CharField(required=False),
                        },
                        allow_null=True,
                    ),
                },
            ),
            404: ERROR_RESPONSES.get(404, OpenApiTypes.OBJECT),
        },
        description="核验文件真伪（公开）— whether a document with this code was issued; only its "
        "kind, title, number and date; for an approval notice or a certificate, that its issuing "
        "event is in the audit ledger under a signed checkpoint (proof and signature checked).",
    )
    def get(self, request: Request, code: str) -> Response:
        document = selectors.verified_document(code)
        if document is None:
            return Response({"detail": "未找到该文件", "errors": ["未找到该文件"]}, status=status.HTTP_404_NOT_FOUND)
        return Response({"genuine": True, **document})
