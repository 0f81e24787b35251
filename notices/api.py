"""HTTP API of notices and objections: staff endpoints, and the public objection form.

Staff (CAST staff; content reviewers of CAST and the auditor read): ``/api/v1/notices/``,
``/api/v1/objections/`` (CAST staff and the auditor). Public, no login:
``/api/v1/public/notices/`` and ``POST /api/v1/public/notices/{id}/objections/``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from common.http import client_ip, parse_id
from workflows.api.mixins import ERROR_RESPONSES
from workflows.exceptions import InvalidInput
from workflows.models import Round

from . import selectors, services
from .models import Objection, PublicNotice
from .serializers import (
    ContactsSerializer,
    LookupResultSerializer,
    LookupSerializer,
    NoticeCreateSerializer,
    NoticeFinishSerializer,
    NoticePublishSerializer,
    NoticeReviewSerializer,
    NoticeSerializer,
    ObjectionDecideSerializer,
    ObjectionReferSerializer,
    ObjectionSerializer,
    PublicNoticeSerializer,
    PublicObjectionRequestSerializer,
    ReferenceSerializer,
    RegisteredObjectionRequestSerializer,
    VerificationReportSerializer,
    VerificationSerializer,
)


class CanSeeNotices(BasePermission):
    message = gettext_lazy("您没有查看公示管理的权限")

    def has_permission(self, request: Request, view: Any) -> bool:
        return selectors.can_see_notices(request.user)


class CanSeeObjections(BasePermission):
    message = gettext_lazy("您没有查看异议的权限")

    def has_permission(self, request: Request, view: Any) -> bool:
        return selectors.can_see_objections(request.user)


def _body(request: Request) -> dict[str, Any]:
    return request.data if isinstance(request.data, dict) else {}


def _int_list(value: Any) -> list[int]:
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").replace(" ", ",").split(",") if v]
    if not isinstance(value, list):
        raise InvalidInput(_("record_ids 必须是记录编号的列表"))
    ids = []
    for item in value:
        try:
            ids.append(int(item))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(_("记录编号“%(value)s”不是数字") % {"value": item}) from exc
    return ids


@extend_schema_view(
    list=extend_schema(
        description="公示列表（中国科协工作人员、中国科协内容审核员、审计员）— every notice, newest first."
    ),
    retrieve=extend_schema(description="一则公示及其名单 — a notice with its entries."),
)
class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NoticeSerializer
    permission_classes = [IsAuthenticated, CanSeeNotices]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return PublicNotice.objects.none()
        return selectors.notices_for(user=self.request.user).prefetch_related("entries")

    def _fresh(self, notice: Any) -> Response:
        return Response(NoticeSerializer(self.get_queryset().get(pk=notice.pk)).data)

    @extend_schema(
        request=NoticeCreateSerializer,
        responses={201: NoticeSerializer, **ERROR_RESPONSES},
        description="创建公示草稿（中国科协工作人员）：所列记录须处于可列入公示的状态 — "
        "CAST staff draft a notice of records in the publish transition's source state.",
    )
    def create(self, request: Request) -> Response:
        body = _body(request)
        try:
            round_id = int(body.get("round"))
        except (TypeError, ValueError):
            round_id = None
        round_obj = Round.objects.filter(pk=round_id).first() if round_id is not None else None
        notice = services.notice_create(
            round=round_obj,
            record_type=str(body.get("record_type") or ""),
            records=_int_list(body.get("record_ids", [])),
            title=str(body.get("title") or ""),
            intro=str(body.get("intro") or ""),
            actor=request.user,
            client_ip=client_ip(request),
        )
        return Response(NoticeSerializer(self.get_queryset().get(pk=notice.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=NoticeReviewSerializer,
        responses={200: NoticeSerializer, **ERROR_RESPONSES},
        description="发布前内容审核（中国科协内容审核员）：结论记入每条记录的“发布前内容审核” — "
        "a CAST content reviewer passes or fails the notice; recorded as each record's publication checkpoint.",
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: Any = None) -> Response:
        notice = self.get_object()
        body = _body(request)
        updated = services.notice_review(
            notice=notice,
            verdict=str(body.get("verdict") or ""),
            opinion=body.get("opinion") if isinstance(body.get("opinion"), str) else "",
            actor=request.user,
            client_ip=client_ip(request),
        )
        return self._fresh(updated)

    @extend_schema(
        request=NoticePublishSerializer,
        responses={200: NoticeSerializer, **ERROR_RESPONSES},
        description="发布公示（中国科协工作人员）：不带 starts_on 或为今日即立即发布，公示期自今日起按批次的"
        "计算方式（工作日按官方日历，或自然日）计算，全部记录进入公示，否则不作任何修改；starts_on 为以后的日期"
        "则定时发布（状态 scheduled），届时由系统自动发布 — publish now (all records move to the notice state "
        "or nothing changes), or schedule the notice for a later starts_on.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: Any = None) -> Response:
        notice = self.get_object()
        updated = services.notice_publish(
            notice=notice,
            actor=request.user,
            starts_on=_body(request).get("starts_on"),
            client_ip=client_ip(request),
        )
        return self._fresh(updated)

    @extend_schema(
        request=ContactsSerializer,
        responses={200: NoticeSerializer, **ERROR_RESPONSES},
        description="修改公示的异议受理信息（中国科协工作人员；公示结束前）：受理单位、联系人、电话、地址、邮箱；"
        "发布须有受理单位、联系人、电话及地址或邮箱 — set where and how to object; publishing needs them.",
    )
    @action(detail=True, methods=["post"])
    def contacts(self, request: Request, pk: Any = None) -> Response:
        notice = self.get_object()
        updated = services.notice_contacts_update(
            notice=notice, actor=request.user, data=_body(request), client_ip=client_ip(request)
        )
        return self._fresh(updated)

    @extend_schema(
        request={"multipart/form-data": RegisteredObjectionRequestSerializer},
        responses={201: ObjectionSerializer, **ERROR_RESPONSES},
        description="登记来信、传真、电子邮件或来访异议（中国科协工作人员；公示期内），附扫描件 — "
        "enter an objection received on paper, with its channel, the day received and the scan.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="objections",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def register_objection(self, request: Request, pk: Any = None) -> Response:
        notice = self.get_object()
        data = request.data
        fields = ("entry", "name", "identity", "unit", "phone", "email", "content", "channel", "received_on")
        values = {name: data.get(name) for name in fields if hasattr(data, "get") and data.get(name) is not None}
        files = request.FILES.getlist("evidence") if hasattr(request, "FILES") else []
        objection = services.objection_register(
            notice=notice, actor=request.user, data=values, files=files, client_ip=client_ip(request)
        )
        fresh = selectors.objections_for(user=request.user).get(pk=objection.pk)
        return Response(ObjectionSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=NoticeFinishSerializer,
        responses={200: NoticeSerializer, **ERROR_RESPONSES},
        description="结束公示（中国科协工作人员）：公示期满且无未处理异议的记录正式立项/公布 — "
        "finish: records still on notice are issued / awarded, all or nothing.",
    )
    @action(detail=True, methods=["post"])
    def finish(self, request: Request, pk: Any = None) -> Response:
        notice = self.get_object()
        opinion = _body(request).get("opinion")
        updated = services.notice_finish(
            notice=notice,
            actor=request.user,
            opinion=opinion if isinstance(opinion, str) else "",
            client_ip=client_ip(request),
        )
        return self._fresh(updated)


@extend_schema_view(
    list=extend_schema(
        description="异议列表，含异议人信息（中国科协工作人员、审计员）— objections with the objector's data."
    ),
    retrieve=extend_schema(description="一条异议 — one objection."),
)
class ObjectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ObjectionSerializer
    permission_classes = [IsAuthenticated, CanSeeObjections]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Objection.objects.none()
        qs = selectors.objections_for(user=self.request.user)
        notice = self.request.query_params.get("notice")
        if notice and parse_id(notice) is not None:
            qs = qs.filter(notice_id=parse_id(notice))
        state = self.request.query_params.get("status")
        if state:
            qs = qs.filter(status=state)
        return qs

    @extend_schema(
        request=ObjectionDecideSerializer,
        responses={200: ObjectionSerializer, **ERROR_RESPONSES},
        description="处理异议（中国科协工作人员）：uphold 异议成立（取消拟立项/拟入选资格），"
        "dismiss 异议不成立；须填写理由 — decide an objection with a reason.",
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: Any = None) -> Response:
        objection = self.get_object()
        body = _body(request)
        updated = services.objection_decide(
            objection=objection,
            decision=str(body.get("decision") or ""),
            reason=body.get("reason") if isinstance(body.get("reason"), str) else "",
            public_title=body.get("public_title") if isinstance(body.get("public_title"), str) else "",
            public_summary=body.get("public_summary") if isinstance(body.get("public_summary"), str) else None,
            actor=request.user,
            client_ip=client_ip(request),
        )
        return Response(ObjectionSerializer(self.get_queryset().get(pk=updated.pk)).data)

    @extend_schema(
        request=ObjectionReferSerializer,
        responses={200: ObjectionSerializer, **ERROR_RESPONSES},
        description="请推荐单位核查异议（中国科协工作人员）：写明核查要求和期限（默认 5 个工作日），"
        "推荐单位审核人收到通知，到期前一天提醒 — ask the record's recommending unit to verify by a due date.",
    )
    @action(detail=True, methods=["post"])
    def refer(self, request: Request, pk: Any = None) -> Response:
        objection = self.get_object()
        body = _body(request)
        updated = services.objection_refer(
            objection=objection,
            actor=request.user,
            request=body.get("request") if isinstance(body.get("request"), str) else "",
            due=body.get("due") if isinstance(body.get("due"), str) else None,
            client_ip=client_ip(request),
        )
        return Response(ObjectionSerializer(self.get_queryset().get(pk=updated.pk)).data)


@extend_schema_view(
    list=extend_schema(description="本单位被请求核查的异议（推荐单位审核人；不含异议人信息）— objections to verify."),
    retrieve=extend_schema(description="一条待核查的异议 — one objection to verify."),
)
class VerificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = VerificationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Objection.objects.none()
        return selectors.verifications_for(user=self.request.user)

    @extend_schema(
        request=VerificationReportSerializer,
        responses={200: VerificationSerializer, **ERROR_RESPONSES},
        description="报送核查情况（被请求核查单位的审核人）— report the findings to CAST.",
    )
    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: Any = None) -> Response:
        objection = self.get_object()
        body = _body(request)
        updated = services.objection_verify(
            objection=objection,
            actor=request.user,
            findings=body.get("findings") if isinstance(body.get("findings"), str) else "",
            client_ip=client_ip(request),
        )
        return Response(VerificationSerializer(self.get_queryset().get(pk=updated.pk)).data)


@extend_schema(
    request=LookupSerializer,
    responses={
        200: LookupResultSerializer,
        400: OpenApiResponse(description="未填受理编号或电话"),
        404: OpenApiResponse(description="受理编号不存在或电话不符"),
        429: OpenApiResponse(description="查询过于频繁"),
    },
    description="公众凭受理编号和联系电话查询异议处理进度（无需登录）— the objector looks up their objection.",
)
class ObjectionLookupView(generics.GenericAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = LookupSerializer

    def post(self, request: Request) -> Response:
        body = _body(request)
        found = services.objection_lookup(
            reference=body.get("reference") if isinstance(body.get("reference"), str) else "",
            phone=body.get("phone") if isinstance(body.get("phone"), str) else "",
            client_ip=client_ip(request),
        )
        return Response(LookupResultSerializer(found).data)


@extend_schema_view(
    list=extend_schema(description="已发布的公示（公开，无需登录）— published and closed notices, public fields only."),
    retrieve=extend_schema(description="一则已发布的公示（公开）— one published notice."),
)
class PublicNoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PublicNoticeSerializer
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_queryset(self):
        return selectors.public_notices()

    @extend_schema(
        request={"multipart/form-data": PublicObjectionRequestSerializer},
        responses={
            201: ReferenceSerializer,
            400: OpenApiResponse(description="输入有误，未作任何记录 — every problem listed, nothing stored"),
            404: OpenApiResponse(description="公示不存在或未发布"),
            429: OpenApiResponse(description="同一地址提交过于频繁 — too many objections from one address"),
        },
        description="公众在公示期内对名单中的一项提出实名异议（无需登录）；返回受理编号 — "
        "file a real-name objection during the notice period; returns the reference number.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="objections",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def objections(self, request: Request, pk: Any = None) -> Response:
        notice = self.get_object()
        data = request.data

        def field(name: str) -> str:
            value = data.get(name, "") if hasattr(data, "get") else ""
            return value if isinstance(value, str) else ""

        files = request.FILES.getlist("evidence") if hasattr(request, "FILES") else []
        objection = services.objection_file(
            notice=notice,
            entry_id=data.get("entry") if hasattr(data, "get") else None,
            name=field("name"),
            identity=field("identity"),
            unit=field("unit"),
            phone=field("phone"),
            email=field("email"),
            content=field("content"),
            files=files,
            client_ip=client_ip(request),
        )
        return Response({"reference": objection.reference}, status=status.HTTP_201_CREATED)
