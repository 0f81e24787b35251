"""``/api/v1/decisions/``: 审定 decision meetings — CAST staff record them, upload their minutes
and attach the records they decided; the auditor reads them; nobody else sees them (403).
The services (``workflows.decisions``) do every check and the audit."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.http import client_ip, parse_id

from .. import decisions
from ..models import DecisionMeeting
from .mixins import ERROR_RESPONSES
from .records import request_data


class ReadsDecisions(permissions.BasePermission):
    """CAST staff and the auditor; writes are checked by the services (the auditor: 403)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return decisions.can_read(request.user)


class DecisionItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk")
    record_type = serializers.CharField(source="item.record_type", help_text="e.g. applications.application")
    record_id = serializers.IntegerField(source="item.record_id")
    record_name = serializers.CharField()
    organization = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    decision = serializers.CharField(source="item.decision", help_text="approve (同意) or reject (不同意)")
    amount = serializers.DecimalField(
        source="item.amount", max_digits=12, decimal_places=2, allow_null=True, help_text="审定金额（元）"
    )
    added_at = serializers.DateTimeField(source="item.added_at")


class DecisionMeetingSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    has_minutes = serializers.BooleanField(read_only=True)
    items = serializers.SerializerMethodField()

    class Meta:
        model = DecisionMeeting
        fields = [
            "id",
            "round",
            "kind",
            "kind_label",
            "name",
            "held_on",
            "participants",
            "has_minutes",
            "minutes_name",
            "minutes_size",
            "minutes_sha256",
            "minutes_uploaded_at",
            "items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(DecisionItemSerializer(many=True))
    def get_items(self, obj: DecisionMeeting) -> list[dict[str, Any]]:
        return DecisionItemSerializer(decisions.meeting_items(obj), many=True).data


MEETING_FIELDS = {
    "round": serializers.IntegerField(),
    "kind": serializers.ChoiceField(choices=["ministerial", "special"], help_text="部务会 or 专题会"),
    "name": serializers.CharField(),
    "held_on": serializers.DateField(),
    "participants": serializers.CharField(),
}
MEETING_WRITE = inline_serializer("DecisionMeetingWrite", MEETING_FIELDS)
MEETING_UPLOAD = inline_serializer(
    "DecisionMeetingUpload",
    {**MEETING_FIELDS, "minutes": serializers.FileField(required=False, help_text="会议纪要 PDF")},
)
ITEM_WRITE = inline_serializer(
    "DecisionItemWrite",
    {
        "record_type": serializers.CharField(help_text="applications.application or nominations.nomination"),
        "record_id": serializers.IntegerField(),
        "decision": serializers.ChoiceField(choices=["approve", "reject"]),
        "amount": serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True),
    },
)
REASON = inline_serializer("DecisionReason", {"reason": serializers.CharField()})


class DecisionMeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = DecisionMeetingSerializer
    permission_classes = [permissions.IsAuthenticated, ReadsDecisions]
    # A round has a handful of meetings: a plain list.
    pagination_class = None

    def get_queryset(self):
        qs = decisions.visible_meetings(self.request.user)
        round_id = parse_id(self.request.query_params.get("round", ""))
        return qs.filter(round_id=round_id) if round_id is not None else qs

    def get_object(self):
        number = parse_id(str(self.kwargs.get("pk", "")))
        found = decisions.visible_meetings(self.request.user).filter(pk=number).first() if number else None
        if found is None:
            raise Http404
        return found

    @extend_schema(
        request={"application/json": MEETING_WRITE, "multipart/form-data": MEETING_UPLOAD},
        responses={201: DecisionMeetingSerializer, **ERROR_RESPONSES},
        description="登记审定会议（部务会／专题会）；会议纪要 PDF 可随表单一并上传（按文件内容识别）。",
    )
    def create(self, request: Request) -> Response:
        data = request_data(request)
        minutes = request.FILES.get("minutes")
        data.pop("minutes", None)
        created = decisions.meeting_create(actor=request.user, data=data, minutes=minutes, client_ip=client_ip(request))
        return Response(DecisionMeetingSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MEETING_WRITE, responses={200: DecisionMeetingSerializer, **ERROR_RESPONSES})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        changed = decisions.meeting_update(
            self.get_object(), actor=request.user, data=request_data(request), client_ip=client_ip(request)
        )
        return Response(DecisionMeetingSerializer(changed).data)

    @extend_schema(request=REASON, responses={204: None, **ERROR_RESPONSES})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        decisions.meeting_delete(
            self.get_object(),
            actor=request.user,
            reason=request_data(request).get("reason", ""),
            client_ip=client_ip(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], responses={(200, "application/pdf"): bytes})
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": inline_serializer("MinutesUpload", {"file": serializers.FileField()})},
        responses={200: DecisionMeetingSerializer, **ERROR_RESPONSES},
        description="上传（替换）会议纪要：PDF，按文件内容识别，不超过 20 MB。",
    )
    @action(detail=True, methods=["get", "post"], url_path="minutes")
    def minutes(self, request: Request, pk: Any = None) -> Any:
        meeting = self.get_object()
        if request.method == "POST":
            changed = decisions.minutes_upload(
                meeting, actor=request.user, upload=request.FILES.get("file"), client_ip=client_ip(request)
            )
            return Response(DecisionMeetingSerializer(changed).data)
        if not meeting.has_minutes:
            raise Http404
        return FileResponse(
            meeting.minutes.open("rb"),
            as_attachment=True,
            filename=meeting.minutes_name,
            content_type="application/pdf",
        )

    @extend_schema(request=ITEM_WRITE, responses={201: DecisionMeetingSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], url_path="items")
    def items(self, request: Request, pk: Any = None) -> Response:
        meeting = self.get_object()
        decisions.item_attach(meeting, actor=request.user, data=request_data(request), client_ip=client_ip(request))
        return Response(DecisionMeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=REASON, responses={204: None, **ERROR_RESPONSES})
    @action(detail=True, methods=["delete"], url_path=r"items/(?P<item_id>[0-9]+)")
    def item(self, request: Request, pk: Any = None, item_id: str = "") -> Response:
        meeting = self.get_object()
        decisions.item_detach(
            meeting,
            actor=request.user,
            item_id=int(item_id),
            reason=request_data(request).get("reason", ""),
            client_ip=client_ip(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
