"""Engine-wide API: the token, rounds, and the caller's own assignments."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from common.http import client_ip
from workflows import selectors
from workflows.api.serializers import AssignmentSerializer, JobSerializer, RoundSerializer
from workflows.models import Round


class TokenView(ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token"}``."""

    permission_classes = [AllowAny]
    renderer_classes = ObtainAuthToken.renderer_classes

    def get_serializer_context(self):
        # The Django request, not DRF's wrapper: axes counts failures against its address and
        # flags a lockout on it, which attributes set on the wrapper would not reach.
        return {**super().get_serializer_context(), "request": self.request._request}

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="用户名或密码不正确 — wrong username or password: {detail, errors[]}"),
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
        # A success clears this (username, address)'s failures, as a login on the page does.
        axes_reset(ip=client_ip(request), username=user.get_username())
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class RoundList(generics.ListAPIView):
    """Open and past rounds (not those yet to open), newest first."""

    serializer_class = RoundSerializer

    def get_queryset(self):
        return Round.objects.filter(Q(submission_opens__lte=timezone.now())).order_by("-year", "kind", "pk")


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
