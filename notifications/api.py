"""The caller's in-app inbox."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import Channel, Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "message_key", "context", "created_at", "read_at", "read"]

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class InboxPagination(PageNumberPagination):
    page_size = 20

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["unread_count"] = self.unread_count
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["unread_count"] = {"type": "integer"}
        return schema


class InboxView(APIView):
    """``GET /api/v1/inbox/`` — newest first, with ``unread_count``."""

    # Declared for the schema (a page with unread_count, not a bare list); get() paginates itself.
    pagination_class = InboxPagination

    @extend_schema(responses=NotificationSerializer(many=True))
    def get(self, request: Request) -> Response:
        qs = Notification.objects.filter(recipient=request.user, channel=Channel.IN_APP).order_by("-created_at", "-pk")
        paginator = InboxPagination()
        paginator.unread_count = qs.filter(read_at__isnull=True).count()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class InboxReadView(APIView):
    @extend_schema(
        request=None, responses=inline_serializer("InboxReadResult", {"updated": serializers.IntegerField()})
    )
    def post(self, request: Request, pk: int) -> Response:
        if not Notification.objects.filter(pk=pk, recipient=request.user, channel=Channel.IN_APP).exists():
            from django.http import Http404

            raise Http404
        return Response({"updated": services.inbox_mark_read(user=request.user, notification_id=pk)})


class InboxReadAllView(APIView):
    @extend_schema(
        request=None, responses=inline_serializer("InboxReadAllResult", {"updated": serializers.IntegerField()})
    )
    def post(self, request: Request) -> Response:
        return Response({"updated": services.inbox_mark_all_read(user=request.user)})


class PreferenceSerializer(serializers.Serializer):
    email_muted = serializers.ListField(child=serializers.CharField(), help_text="不发邮件的消息类型")
    daily_digest = serializers.BooleanField()
    kinds = serializers.DictField(child=serializers.CharField(), read_only=True)


class PreferenceView(APIView):
    """``GET|PUT /api/v1/inbox/preferences/`` — e-mail per kind of event, or a daily digest."""

    @extend_schema(responses=PreferenceSerializer)
    def get(self, request: Request) -> Response:
        from .models import Preference
        from .rules import EVENT_KINDS

        pref = Preference.objects.filter(user=request.user).first()
        return Response(
            {
                "email_muted": pref.email_muted if pref else [],
                "daily_digest": bool(pref and pref.daily_digest),
                "kinds": {k: str(v) for k, v in EVENT_KINDS.items()},
            }
        )

    @extend_schema(request=PreferenceSerializer, responses=PreferenceSerializer)
    def put(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        services.preference_update(
            user=request.user, email_muted=data.get("email_muted"), daily_digest=data.get("daily_digest")
        )
        return self.get(request)
