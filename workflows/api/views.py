"""Engine-wide API: the token, rounds, and the caller's own assignments."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from common.http import client_ip
from workflows import selectors
from workflows.api.serializers import AssignmentSerializer, JobSerializer


class TokenView(ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token"}``; a user whose role signs in with a second
    factor (``settings.OTP_REQUIRED_ROLES``) adds ``"otp"``: a code of their authenticator or one
    of their recovery codes (used up). A deactivated account gets no token (Django refuses its
    password), and the token it had stops working."""

    permission_classes = [AllowAny]
    renderer_classes = ObtainAuthToken.renderer_classes

    def get_serializer_context(self):
        # The Django request, not DRF's wrapper: axes counts failures against its address and
        # flags a lockout on it, which attributes set on the wrapper would not reach.
        return {**super().get_serializer_context(), "request": self.request._request}

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {
                "username": serializers.CharField(),
                "password": serializers.CharField(),
                "otp": serializers.CharField(required=False, help_text="两步验证码或恢复码 — second factor"),
            },
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(
                description="用户名或密码不正确，或缺少/错误的两步验证码 — wrong username or password, "
                "or the second factor missing or wrong: {detail, errors[]}"
            ),
            429: OpenApiResponse(
                description="登录失败次数过多，暂时锁定 — too many failures from this address: {detail, errors[]}"
            ),
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request._request, "axes_locked_out", False):
                from accounts.lockout import lockout_response

                return lockout_response(request._request, credentials={"username": request.data.get("username")})
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        problem = self.second_factor_problem(user, request.data.get("otp") if hasattr(request.data, "get") else None)
        if problem:
            raise ValidationError({"otp": [problem]})
        # A success clears this (username, address)'s failures, as a login on the page does.
        axes_reset(ip=client_ip(request), username=user.get_username())
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @staticmethod
    def second_factor_problem(user: Any, code: Any) -> str | None:
        """Why a user of a role in OTP_REQUIRED_ROLES gets no token, or None (django-otp
        throttles a device after wrong codes)."""
        from django.utils.translation import gettext as _

        from accounts import second_factor

        if not second_factor.second_factor_required(user):
            return None
        if not second_factor.has_second_factor(user):
            return _("该账号须先在网页上启用两步验证，才能获取接口令牌")
        if not isinstance(code, str) or not code.strip():
            return _("请提供两步验证码（otp）：身份验证器显示的 6 位数字或一个恢复码")
        if second_factor.verify(user, code) is None:
            return _("两步验证码不正确或已使用；多次输错后须稍候再试")
        return None


class MyAssignmentList(generics.ListAPIView):
    """The caller's open tasks ("my tasks"), soonest due first; ``?status=done`` for others."""

    serializer_class = AssignmentSerializer

    def get_queryset(self):
        status = self.request.query_params.get("status", "open")
        if status not in {"open", "done", "withdrawn", "all"}:
            status = "open"
        return selectors.my_assignments(
            user=self.request.user, status=None if status == "all" else status
        ).select_related("assignee")


class JobDetail(generics.GenericAPIView):
    """``GET /api/v1/jobs/{id}/``: a background bulk action's progress and outcome (its
    starter, CAST staff and the auditor; 404 for anyone else)."""

    serializer_class = JobSerializer

    @extend_schema(responses={200: JobSerializer, 404: OpenApiResponse(description="不存在或无权查看")})
    def get(self, request, pk: int):
        from django.http import Http404

        job = selectors.job_for(pk, user=request.user)
        if job is None:
            raise Http404
        return Response(JobSerializer(job).data)
