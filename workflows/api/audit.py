"""The audit ledger's public face: the latest signed checkpoint and the public key that checks
it. Both are public (no login): anyone holding a proof must be able to check it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.api.serializers import CheckpointSerializer, PublicKeySerializer
from workflows.ledger.proofs import checkpoint_data, public_key_data
from workflows.ledger.sequencer import latest_checkpoint


class LatestCheckpointView(APIView):
    """``GET /api/v1/audit/checkpoints/latest/``: the latest signed tree head of the audit log."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={200: CheckpointSerializer, 404: OpenApiResponse(description="尚无检查点 — no checkpoint yet")},
        description="审计账本最新的签名检查点（公开） — the latest signed checkpoint of the audit ledger (public).",
    )
    def get(self, request):
        checkpoint = latest_checkpoint()
        if checkpoint is None:
            raise NotFound(_("审计账本尚无签名检查点"))
        return Response(CheckpointSerializer(checkpoint_data(checkpoint)).data)


class PublicKeyView(APIView):
    """``GET /api/v1/audit/public-key/``: the Ed25519 key the checkpoints are signed with."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses=PublicKeySerializer,
        description="审计账本签名公钥（公开） — the public key that checks the ledger's checkpoints (public).",
    )
    def get(self, request):
        return Response(PublicKeySerializer(public_key_data()).data)
