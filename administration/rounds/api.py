"""``/api/v1/rounds/``: rounds for everyone to read (those opened; CAST staff and the auditor
all), and for CAST staff to create, copy, change and close, with their sub-projects and
documents; a recommending unit's internal deadline (``PUT …/deadline/``)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organization
from applications.models import SubprojectType
from common.http import client_ip, parse_id
from workflows.api.mixins import ERROR_RESPONSES
from workflows.api.records import request_data
from workflows.api.serializers import RoundSerializer
from workflows.exceptions import InvalidInput, TransitionForbidden
from workflows.models import RoundDocument, UnitDeadline

from . import selectors, services


class SubprojectSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubprojectType
        fields = [
            "id",
            "code",
            "name",
            "description",
            "eligible_org_types",
            "pilot_only",
            "per_unit_limit",
            "quota",
            "envelope_yuan",
            "section_kind",
            "position",
        ]


class RoundDocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = RoundDocument
        fields = ["id", "kind", "kind_label", "title", "original_name", "size", "sha256", "content_type", "uploaded_at"]


class DeadlineSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")

    class Meta:
        model = UnitDeadline
        fields = ["unit", "unit_name", "closes_at", "updated_at"]


class RoundDetailSerializer(RoundSerializer):
    """A round with its contacts, sub-projects, documents and units' internal deadlines."""

    status = serializers.SerializerMethodField()
    subprojects = SubprojectSerializer(many=True, read_only=True)
    documents = RoundDocumentSerializer(many=True, read_only=True)
    unit_deadlines = DeadlineSerializer(many=True, read_only=True)

    class Meta(RoundSerializer.Meta):
        fields = [
            *RoundSerializer.Meta.fields,
            "notice_day_kind",
            "contacts",
            "closed_at",
            "status",
            "subprojects",
            "documents",
            "unit_deadlines",
        ]

    def get_status(self, obj: Any) -> str:
        return selectors.status_of(obj)[0]


ROUND_WRITE = inline_serializer(
    "RoundWrite",
    {
        "kind": serializers.ChoiceField(choices=["application", "selection"], help_text="创建时必填，不能更改"),
        "year": serializers.IntegerField(),
        "title": serializers.CharField(),
        "submission_opens": serializers.DateTimeField(),
        "submission_closes": serializers.DateTimeField(),
        "recommender_review_due": serializers.DateTimeField(),
        "cast_review_due": serializers.DateTimeField(),
        "notice_working_days": serializers.IntegerField(),
        "notice_day_kind": serializers.ChoiceField(choices=["working", "calendar"]),
        "contacts": serializers.ListField(child=serializers.DictField()),
        "settings": serializers.DictField(help_text="批次设置（见 GET 返回的 settings）"),
        "confirm": serializers.BooleanField(help_text="修改已有记录的批次时须为 true"),
    },
)
REASON = inline_serializer("Reason", {"reason": serializers.CharField()})


def _confirm(data: dict[str, Any]) -> bool:
    value = data.pop("confirm", False)
    return value is True or str(value).lower() in {"true", "1", "yes"}


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = RoundDetailSerializer

    def get_queryset(self):
        return selectors.rounds_for(self.request.user).prefetch_related(
            "subprojects", "documents", "unit_deadlines__unit"
        )

    def get_object(self):
        found = selectors.round_get(self.kwargs.get("pk"), user=self.request.user)
        if found is None:
            raise Http404
        return found

    @extend_schema(request=ROUND_WRITE, responses={201: RoundDetailSerializer, **ERROR_RESPONSES})
    def create(self, request: Request) -> Response:
        data = request_data(request)
        data.pop("confirm", None)
        created = services.round_create(actor=request.user, data=data, client_ip=client_ip(request))
        return Response(RoundDetailSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ROUND_WRITE,
        responses={200: RoundDetailSerializer, **ERROR_RESPONSES},
        description="修改批次（只改所给字段）；已有记录的批次须带 confirm: true，否则 409 并列出受影响的记录。",
    )
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        data = request_data(request)
        confirm = _confirm(data)
        changed = services.round_update(
            self.get_object(), actor=request.user, data=data, confirm=confirm, client_ip=client_ip(request)
        )
        return Response(RoundDetailSerializer(changed).data)

    @extend_schema(request=REASON, responses={200: RoundDetailSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], url_path="close")
    def close(self, request: Request, pk: Any = None) -> Response:
        data = request_data(request)
        closed = services.round_close(
            self.get_object(), actor=request.user, reason=data.get("reason", ""), client_ip=client_ip(request)
        )
        return Response(RoundDetailSerializer(closed).data)

    @extend_schema(
        request=inline_serializer("RoundCopy", {"year": serializers.IntegerField(), "title": serializers.CharField()}),
        responses={201: RoundDetailSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="copy")
    def copy(self, request: Request, pk: Any = None) -> Response:
        data = request_data(request)
        created = services.round_copy(
            self.get_object(),
            actor=request.user,
            year=data.get("year", ""),
            title=data.get("title", "") or "",
            client_ip=client_ip(request),
        )
        return Response(RoundDetailSerializer(created).data, status=status.HTTP_201_CREATED)

    # -- sub-projects -------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses=SubprojectSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=SubprojectSerializer, responses={201: SubprojectSerializer, **ERROR_RESPONSES}
    )
    @action(detail=True, methods=["get", "post"], url_path="subprojects", pagination_class=None)
    def subprojects(self, request: Request, pk: Any = None) -> Response:
        round_ = self.get_object()
        if request.method == "POST":
            created = services.subproject_create(
                round_, actor=request.user, data=request_data(request), client_ip=client_ip(request)
            )
            return Response(SubprojectSerializer(created).data, status=status.HTTP_201_CREATED)
        return Response(SubprojectSerializer(round_.subprojects.all(), many=True).data)

    @extend_schema(
        methods=["PATCH"], request=SubprojectSerializer, responses={200: SubprojectSerializer, **ERROR_RESPONSES}
    )
    @extend_schema(methods=["DELETE"], request=REASON, responses={204: None, **ERROR_RESPONSES})
    @action(detail=True, methods=["patch", "delete"], url_path=r"subprojects/(?P<sid>[0-9]+)")
    def subproject(self, request: Request, pk: Any = None, sid: str = "") -> Response:
        round_ = self.get_object()
        sub = selectors.subproject_get(round_, sid)
        if sub is None:
            raise Http404
        data = request_data(request)
        if request.method == "DELETE":
            services.subproject_delete(
                sub, actor=request.user, reason=data.get("reason", ""), client_ip=client_ip(request)
            )
            return Response(status=status.HTTP_204_NO_CONTENT)
        confirm = _confirm(data)
        changed = services.subproject_update(
            sub, actor=request.user, data=data, confirm=confirm, client_ip=client_ip(request)
        )
        return Response(SubprojectSerializer(changed).data)

    # -- documents ----------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses=RoundDocumentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={
            "multipart/form-data": inline_serializer(
                "RoundDocumentUpload",
                {"kind": serializers.CharField(), "title": serializers.CharField(), "file": serializers.FileField()},
            )
        },
        responses={201: RoundDocumentSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], url_path="documents", pagination_class=None)
    def documents(self, request: Request, pk: Any = None) -> Response:
        round_ = self.get_object()
        if request.method == "POST":
            created = services.round_document_add(
                round_,
                actor=request.user,
                data={"kind": str(request.data.get("kind", "")), "title": str(request.data.get("title", ""))},
                upload=request.FILES.get("file"),
                client_ip=client_ip(request),
            )
            return Response(RoundDocumentSerializer(created).data, status=status.HTTP_201_CREATED)
        return Response(RoundDocumentSerializer(round_.documents.all(), many=True).data)

    @extend_schema(methods=["GET"], responses={(200, "application/octet-stream"): bytes})
    @extend_schema(methods=["DELETE"], request=REASON, responses={204: None, **ERROR_RESPONSES})
    @action(detail=True, methods=["get", "delete"], url_path=r"documents/(?P<did>[0-9]+)")
    def document(self, request: Request, pk: Any = None, did: str = "") -> Any:
        round_ = self.get_object()
        number = parse_id(did)
        document = round_.documents.filter(pk=number).first() if number is not None else None
        if document is None:
            raise Http404
        if request.method == "DELETE":
            services.round_document_remove(
                document,
                actor=request.user,
                reason=request_data(request).get("reason", ""),
                client_ip=client_ip(request),
            )
            return Response(status=status.HTTP_204_NO_CONTENT)
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type,
        )

    # -- a recommending unit's internal deadline ----------------------------------------------

    @extend_schema(
        request=inline_serializer(
            "UnitDeadlineWrite",
            {
                "unit": serializers.CharField(help_text="推荐单位代码（审核人属于多个推荐单位时）"),
                "closes_at": serializers.DateTimeField(allow_null=True, help_text="留空则取消"),
            },
        ),
        responses={200: DeadlineSerializer, 204: None, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["put"], url_path="deadline")
    def deadline(self, request: Request, pk: Any = None) -> Response:
        round_ = self.get_object()
        data = request_data(request)
        units = services.deadline_units(request.user)
        code = data.get("unit")
        unit: Organization | None
        if code:
            unit = next((u for u in units if u.code == code), None)
        else:
            unit = units[0] if len(units) == 1 else None
        if unit is None:
            if not units:
                raise TransitionForbidden(_("只有该推荐单位的审核人可以设置本单位的内部截止时间"))
            raise InvalidInput(_("请指定推荐单位代码（unit）"))
        saved = services.unit_deadline_set(
            round_, unit, actor=request.user, data={"closes_at": data.get("closes_at")}, client_ip=client_ip(request)
        )
        if saved is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(DeadlineSerializer(saved).data)
