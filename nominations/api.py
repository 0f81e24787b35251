"""``GET /api/v1/public/winners/?round=`` — the announced winners of a selection round (no
login). The nominations' own API comes from the registry (``nominations.records``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.http import parse_id
from workflows.exceptions import InvalidInput

from . import selectors
from .serializers import WinnerSerializer


class WinnersView(APIView):
    """The announced winners: name, category, unit and certificate number only."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(parameters=[OpenApiParameter("round", int, required=True)], responses=WinnerSerializer(many=True))
    def get(self, request: Request) -> Response:
        round_id = parse_id(request.query_params.get("round", ""))
        if round_id is None:
            raise InvalidInput(_("请指定批次编号 round"))
        return Response(WinnerSerializer(selectors.winners(round_id=round_id), many=True).data)
