"""HTTP API of units and accounts (``/api/v1/people/…``): the same services and scope as the
pages (``selectors``). CAST staff change everything; a recommending unit's reviewer the units
below theirs and their applicants; the auditor reads; anyone else is refused (403), and an
object out of the caller's scope is answered as missing (404).

``people/units/`` (list, create, retrieve, PATCH; ``deactivate``, ``reactivate``; ``import``),
``people/users/`` (list, retrieve; ``grant``, ``revoke``, ``deactivate``, ``reactivate``),
``people/invitations/`` (list, create), ``people/registrations/`` (list, retrieve;
``approve``, ``refuse``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import second_factor
from accounts.models import Membership, Organization, User
from common.http import client_ip
from workflows.api.mixins import ERROR_RESPONSES

from ..models import Invitation, UnitRegistration
from . import selectors, services


class CanUsePeople(BasePermission):
    message = gettext_lazy("您没有管理单位和账号的权限")

    def has_permission(self, request: Request, view: Any) -> bool:
        return selectors.can_use_people(request.user)


def body(request: Request) -> dict[str, Any]:
    """The request's fields, one value per key (a form's or a JSON object's)."""
    data = request.data
    if hasattr(data, "getlist"):
        return {key: data.get(key) for key in data}
    return dict(data) if isinstance(data, dict) else {}


# -- serializers (what the API returns; the services validate what it receives) ----------------


class UnitSerializer(serializers.ModelSerializer):
    type_label = serializers.CharField(source="get_type_display", read_only=True)
    parent_code = serializers.CharField(source="parent.code", read_only=True, allow_null=True, default=None)
    recommending_unit_code = serializers.CharField(
        source="recommending_unit.code", read_only=True, allow_null=True, default=None
    )
    channel_code = serializers.CharField(source="channel.code", read_only=True, allow_null=True, default=None)
    legal_entity_code = serializers.SerializerMethodField(
        help_text="承担单位 — the nearest legal person among the unit and its ancestors"
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "code",
            "name",
            "type",
            "type_label",
            "parent",
            "parent_code",
            "recommending_unit",
            "recommending_unit_code",
            "channel",
            "channel_code",
            "legal_person",
            "legal_entity_code",
            "pilot_county",
            "is_active",
        ]
        read_only_fields = fields

    def get_legal_entity_code(self, unit: Organization) -> str:
        return unit.legal_entity().code


class RoleSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organization", "organization_code", "role", "role_label", "created_at"]
        read_only_fields = fields


class AccountSerializer(serializers.ModelSerializer):
    roles = RoleSerializer(source="memberships", many=True, read_only=True)
    second_factor = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "phone", "is_active", "second_factor", "roles"]
        read_only_fields = fields

    def get_second_factor(self, obj: User) -> bool:
        return second_factor.has_second_factor(obj)


class InvitationSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    invited_by = serializers.CharField(source="invited_by.username", read_only=True)
    status = serializers.CharField(read_only=True)
    user = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "display_name",
            "organization",
            "organization_code",
            "role",
            "invited_by",
            "created_at",
            "expires_at",
            "status",
            "user",
        ]
        read_only_fields = fields


class RegistrationSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True)
    # The unit's type, as UnitSerializer.type (one enum of the types in the schema, not two).
    unit_type = serializers.CharField(read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = UnitRegistration
        fields = [
            "id",
            "parent",
            "parent_code",
            "unit_name",
            "unit_type",
            "username",
            "display_name",
            "email",
            "phone",
            "note",
            "status",
            "created_at",
            "decided_at",
            "decided_by",
            "reason",
            "organization",
            "user",
        ]
        read_only_fields = fields


class UnitCreateRequest(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    parent = serializers.IntegerField()
    pilot_county = serializers.BooleanField(required=False)


class UnitChangeRequest(serializers.Serializer):
    name = serializers.CharField(required=False)
    parent = serializers.IntegerField(required=False)
    pilot_county = serializers.BooleanField(required=False)
    legal_person = serializers.BooleanField(required=False, help_text="独立法人 (CAST staff)")
    channel = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="推荐渠道: id of an active recommending unit, null for the default (CAST staff)",
    )
    reason = serializers.CharField(required=False)


class ReasonRequest(serializers.Serializer):
    reason = serializers.CharField()


class ImportRequest(serializers.Serializer):
    file = serializers.FileField()


class ImportResult(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    changed = serializers.IntegerField()


class GrantRequest(serializers.Serializer):
    organization = serializers.IntegerField()
    role = serializers.CharField()
    reason = serializers.CharField()


class RevokeRequest(serializers.Serializer):
    membership = serializers.IntegerField()
    reason = serializers.CharField()


class InvitationRequest(serializers.Serializer):
    email = serializers.EmailField()
    display_name = serializers.CharField(required=False)
    organization = serializers.IntegerField()
    role = serializers.CharField()


# -- viewsets ----------------------------------------------------------------------------------


class PeopleViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, CanUsePeople]
    parser_classes = [JSONParser, FormParser, MultiPartParser]


@extend_schema_view(
    list=extend_schema(description="单位（中国科协工作人员、审计员：全部；推荐单位审核人：本单位及其推荐的单位）"),
    retrieve=extend_schema(description="一个单位 — one unit."),
)
class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PeopleViewSet):
    serializer_class = UnitSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        return selectors.visible_units(user=self.request.user).order_by("code")

    def _fresh(self, unit: Organization, code: int = status.HTTP_200_OK) -> Response:
        return Response(UnitSerializer(self.get_queryset().get(pk=unit.pk)).data, status=code)

    @extend_schema(
        request=UnitCreateRequest,
        responses={201: UnitSerializer, **ERROR_RESPONSES},
        description="新建单位（中国科协工作人员；推荐单位审核人在本单位之下，非推荐单位类型）— create a unit.",
    )
    def create(self, request: Request) -> Response:
        unit = services.unit_create(actor=request.user, data=body(request), client_ip=client_ip(request))
        return self._fresh(unit, status.HTTP_201_CREATED)

    @extend_schema(
        request=UnitChangeRequest,
        responses={200: UnitSerializer, **ERROR_RESPONSES},
        description="改名（推荐单位审核人：本单位之下的单位）、移动或标记试点县（中国科协工作人员）；"
        "移动后重新计算推荐单位 — rename, move, flag a pilot county.",
    )
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        unit = services.unit_change(
            actor=request.user, unit=self.get_object(), data=body(request), client_ip=client_ip(request)
        )
        return self._fresh(unit)

    @extend_schema(
        request=ReasonRequest,
        responses={200: UnitSerializer, **ERROR_RESPONSES},
        description="停用单位（中国科协工作人员，须填写理由）— deactivate, with a reason.",
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: Any = None) -> Response:
        unit = services.unit_deactivate(
            actor=request.user, unit=self.get_object(), reason=body(request).get("reason"), client_ip=client_ip(request)
        )
        return self._fresh(unit)

    @extend_schema(
        request=ReasonRequest,
        responses={200: UnitSerializer, **ERROR_RESPONSES},
        description="恢复单位（中国科协工作人员，须填写理由）— reactivate, with a reason.",
    )
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: Any = None) -> Response:
        unit = services.unit_reactivate(
            actor=request.user, unit=self.get_object(), reason=body(request).get("reason"), client_ip=client_ip(request)
        )
        return self._fresh(unit)

    @extend_schema(
        request={"multipart/form-data": ImportRequest},
        responses={200: ImportResult, **ERROR_RESPONSES},
        description="导入单位文件（CSV 或 JSON，列同 load_organizations；中国科协工作人员）：全部或全不 — "
        "import an organizations file, all or nothing.",
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request: Request) -> Response:
        result = services.units_import(
            actor=request.user, upload=request.FILES.get("file"), client_ip=client_ip(request)
        )
        return Response(result)


@extend_schema_view(
    list=extend_schema(description="账号（中国科协工作人员、审计员：全部；推荐单位审核人：在其可见单位有角色的账号）"),
    retrieve=extend_schema(description="一个账号及其角色 — one account with its roles."),
)
class AccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PeopleViewSet):
    serializer_class = AccountSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return (
            selectors.visible_users(user=self.request.user)
            .prefetch_related("memberships__organization")
            .order_by("username")
        )

    def _fresh(self, account: User) -> Response:
        return Response(AccountSerializer(self.get_queryset().get(pk=account.pk)).data)

    @extend_schema(
        request=GrantRequest,
        responses={200: AccountSerializer, **ERROR_RESPONSES},
        description="授予角色，须填写理由（中国科协工作人员：任何单位任何角色；推荐单位审核人：下级单位的申报人）",
    )
    @action(detail=True, methods=["post"])
    def grant(self, request: Request, pk: Any = None) -> Response:
        account = self.get_object()
        services.role_grant(actor=request.user, user=account, data=body(request), client_ip=client_ip(request))
        return self._fresh(account)

    @extend_schema(
        request=RevokeRequest,
        responses={200: AccountSerializer, **ERROR_RESPONSES},
        description="撤销角色，须填写理由（同授予）— revoke one of the account's roles, with a reason.",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: Any = None) -> Response:
        account = self.get_object()
        services.role_revoke(actor=request.user, user=account, data=body(request), client_ip=client_ip(request))
        return self._fresh(account)

    @extend_schema(
        request=ReasonRequest,
        responses={200: AccountSerializer, **ERROR_RESPONSES},
        description="停用账号，须填写理由：不能再登录，会话和接口令牌失效 — deactivate the account.",
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: Any = None) -> Response:
        account = services.account_deactivate(
            actor=request.user, user=self.get_object(), reason=body(request).get("reason"), client_ip=client_ip(request)
        )
        return self._fresh(account)

    @extend_schema(
        request=ReasonRequest,
        responses={200: AccountSerializer, **ERROR_RESPONSES},
        description="恢复账号，须填写理由 — reactivate the account.",
    )
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: Any = None) -> Response:
        account = services.account_reactivate(
            actor=request.user, user=self.get_object(), reason=body(request).get("reason"), client_ip=client_ip(request)
        )
        return self._fresh(account)


@extend_schema_view(list=extend_schema(description="邀请（新的在前）— invitations, newest first."))
class InvitationViewSet(mixins.ListModelMixin, PeopleViewSet):
    serializer_class = InvitationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        return selectors.invitations_for(user=self.request.user)

    @extend_schema(
        request=InvitationRequest,
        responses={201: InvitationSerializer, **ERROR_RESPONSES},
        description="按电子邮箱邀请成员：链接单次有效，INVITATION_DAYS 天后过期 — invite by e-mail.",
    )
    def create(self, request: Request) -> Response:
        invitation = services.invitation_create(actor=request.user, data=body(request), client_ip=client_ip(request))
        return Response(
            InvitationSerializer(self.get_queryset().get(pk=invitation.pk)).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    list=extend_schema(description="单位注册申请（由本人审核的；中国科协工作人员、审计员：全部）"),
    retrieve=extend_schema(description="一份单位注册申请 — one registration."),
)
class RegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PeopleViewSet):
    serializer_class = RegistrationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UnitRegistration.objects.none()
        return selectors.registrations_for(user=self.request.user)

    def _fresh(self, registration: UnitRegistration) -> Response:
        return Response(RegistrationSerializer(self.get_queryset().get(pk=registration.pk)).data)

    @extend_schema(
        request=None,
        responses={200: RegistrationSerializer, **ERROR_RESPONSES},
        description="批准：创建单位、申报人账号及其申报人角色，并通知申请人 — approve.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        registration = services.registration_approve(
            actor=request.user, registration=self.get_object(), client_ip=client_ip(request)
        )
        return self._fresh(registration)

    @extend_schema(
        request=ReasonRequest,
        responses={200: RegistrationSerializer, **ERROR_RESPONSES},
        description="不予批准，须填写理由，并通知申请人 — refuse, with a reason.",
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: Any = None) -> Response:
        registration = services.registration_refuse(
            actor=request.user,
            registration=self.get_object(),
            reason=body(request).get("reason"),
            client_ip=client_ip(request),
        )
        return self._fresh(registration)
