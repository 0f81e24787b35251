"""Engine-wide API: the token, rounds, and the caller's own assignments."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny

from workflows import selectors
from workflows.api.serializers import AssignmentSerializer, RoundSerializer
from workflows.models import Round


class TokenView(ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token"}``."""

    permission_classes = [AllowAny]
    renderer_classes = ObtainAuthToken.renderer_classes

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


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
