"""The API of every record type, from its declaration (``workflows.registry.RecordType``):
``/api/v1/{slug}/`` — list (filtered), create, read, change; attachments, experts' scores, the
ranking, bulk transitions; and the engine's workflow endpoints (``WorkflowActionsMixin``).

``RecordViewSet.for_type(record_type)`` makes the viewset of one type, its OpenAPI schema
naming the type's serializers; a type adds actions of its own through ``api_mixins``.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.http import MAX_ID, client_ip, parse_id
from common.money import two_places
from workflows import scoring
from workflows import services as engine
from workflows.api.mixins import ERROR_RESPONSES, WorkflowActionsMixin
from workflows.api.serializers import (
    AttachmentSerializer,
    BulkTransitionSerializer,
    JobStartedSerializer,
    ScoreRequestSerializer,
    ScoreSerializer,
)
from workflows.attachments import attachment_add
from workflows.exceptions import InvalidInput
from workflows.models import Attachment


def request_data(request: Request) -> dict[str, Any]:
    """The body as a plain dict (JSON or form), or InvalidInput."""
    # A form body is a QueryDict (a dict of lists): one value per key, as a form posts it.
    if hasattr(request.data, "dict"):
        return request.data.dict()
    if not isinstance(request.data, dict):
        raise InvalidInput(_("请求内容必须是 JSON 对象"))
    return dict(request.data)


class RecordViewSet(
    WorkflowActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Made per type by ``for_type``; ``record_type`` is its declaration."""

    record_type: Any = None
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        rt = self.record_type
        qs = rt.listing(self.request.user, self.request.query_params)
        if self.action != "list" and rt.detail_prefetch:
            qs = qs.prefetch_related(*rt.detail_prefetch)
        return qs

    def get_serializer_class(self):
        rt = self.record_type
        return rt.list_serializer if self.action == "list" else rt.serializer

    # -- create and change -------------------------------------------------------------------

    def create(self, request: Request) -> Response:
        record = self.record_type.create(actor=request.user, data=request_data(request))
        return Response(self.record_type.serializer(record).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: Any = None) -> Response:
        record = self.record_type.update(self.get_object(), actor=request.user, data=request_data(request))
        return Response(self.record_type.serializer(record).data)

    # -- attachments -------------------------------------------------------------------------

    def _attachments(self, record: Any) -> Any:
        return Attachment.objects.filter(record_type=record.record_type(), record_id=record.pk).order_by("kind", "pk")

    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={
            "multipart/form-data": inline_serializer(
                "AttachmentUpload", {"kind": serializers.CharField(), "file": serializers.FileField()}
            )
        },
        responses={201: AttachmentSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], url_path="attachments")
    def attachments(self, request: Request, pk: Any = None) -> Response:
        record = self.get_object()
        if request.method == "POST":
            attachment = attachment_add(
                record, kind=str(request.data.get("kind", "")), upload=request.FILES.get("file"), actor=request.user
            )
            return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        return Response(AttachmentSerializer(self._attachments(record), many=True).data)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<aid>[0-9]+)")
    def attachment_download(self, request: Request, pk: Any = None, aid: str = "") -> FileResponse:
        number = parse_id(aid)
        attachment = self._attachments(self.get_object()).filter(pk=number).first() if number else None
        if attachment is None:
            raise Http404
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )

    # -- experts' scores ---------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses=ScoreSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=ScoreRequestSerializer, responses={201: ScoreSerializer, **ERROR_RESPONSES}
    )
    @action(detail=True, methods=["get", "post"], url_path="scores")
    def scores(self, request: Request, pk: Any = None) -> Response:
        record = self.get_object()
        if request.method == "POST":
            data = request_data(request)
            unknown = sorted(set(data) - {"scores", "comment"})
            if unknown:
                raise InvalidInput([_("未知的字段：%(field)s") % {"field": key} for key in unknown])
            score = scoring.score_submit(
                record, actor=request.user, scores=data.get("scores"), comment=data.get("comment", "")
            )
            return Response(ScoreSerializer(score).data, status=status.HTTP_201_CREATED)
        return Response(ScoreSerializer(scoring.scores_of(record, user=request.user), many=True).data)

    # -- ranking -----------------------------------------------------------------------------

    def ranking_row(self, row: dict[str, Any]) -> dict[str, Any]:
        rt = self.record_type
        record = row["record"]
        return {
            "rank": row["rank"],
            "tied": row["tied"],
            "rank_label": row["rank_label"],
            "id": record.pk,
            rt.name_field: rt.display_name(record),
            "organization": record.organization.name,
            **rt.ranking_extra(record),
            "state": record.state,
            "mean": two_places(row["mean"]),
            "spread": two_places(row["spread"]),
            "stdev": two_places(row["stdev"]),
            "count": row["count"],
        }

    # A plain list, not a page: the schema said paginated (pagination_class=None tells it).
    @action(detail=False, methods=["get"], url_path="ranking", pagination_class=None)
    def ranking(self, request: Request) -> Response:
        rt = self.record_type
        round_id, group = rt.ranking_request(request.query_params)
        rows = scoring.ranking(rt, user=request.user, round_id=round_id, group=group)
        return Response([self.ranking_row(r) for r in rows])

    # -- bulk --------------------------------------------------------------------------------

    @action(detail=False, methods=["post"], url_path="bulk-transition")
    def bulk_transition(self, request: Request) -> Response:
        rt = self.record_type
        body = BulkTransitionSerializer(data=request.data)
        if not body.is_valid():
            raise InvalidInput([f"{k}: {m}" for k, msgs in body.errors.items() for m in msgs])
        ids = list(dict.fromkeys(body.validated_data["ids"]))
        # An id beyond a database integer exists nowhere (and would overflow the query).
        storable = [i for i in ids if abs(i) <= MAX_ID]
        records = {r.pk: r for r in rt.visible(request.user).filter(pk__in=storable)}
        missing = [i for i in ids if i not in records]
        if missing:
            raise InvalidInput(
                _("以下%(noun)s不存在或您无权查看：%(ids)s") % {"noun": rt.noun, "ids": ", ".join(map(str, missing))}
            )
        outcome = engine.bulk_transition(
            [records[pk] for pk in ids],
            body.validated_data["name"],
            actor=request.user,
            opinion=body.validated_data.get("opinion", ""),
            client_ip=client_ip(request),
        )
        if outcome.job is not None:
            from workflows.api.serializers import JobSerializer

            return Response({"job": JobSerializer(outcome.job).data}, status=202)
        return Response(rt.list_serializer(outcome.done, many=True).data)

    # -- per type ----------------------------------------------------------------------------

    @classmethod
    def for_type(cls, record_type: Any) -> type[RecordViewSet]:
        """The viewset of ``record_type`` (with its ``api_mixins``), its schema named for it."""
        rt = record_type
        noun = str(rt.noun)
        list_parameters = [
            OpenApiParameter(name, str, description=str(text)) for name, text in rt.filter_help().items()
        ]
        ranking_row = inline_serializer(
            f"{rt.model.__name__}RankingRow",
            {
                "rank": serializers.IntegerField(
                    help_text="Competition rank by mean weighted score: equal means share a rank (1, 2, 2, 4)"
                ),
                "tied": serializers.BooleanField(
                    help_text="Another record has the same mean: a tie, decided by the panel or the 审定 "
                    "meeting; the order within a tie (by name) means nothing"
                ),
                "rank_label": serializers.CharField(help_text='The rank as shown: "3" or "3=" for a tie'),
                "id": serializers.IntegerField(),
                rt.name_field: serializers.CharField(),
                "organization": serializers.CharField(),
                **{key: serializers.CharField() for key in rt.ranking_extra_fields},
                "state": serializers.CharField(),
                "mean": serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True),
                "spread": serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True),
                "stdev": serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True),
                "count": serializers.IntegerField(),
            },
            many=True,
        )
        schema = extend_schema_view(
            list=extend_schema(parameters=list_parameters),
            create=extend_schema(request=rt.write_serializer, responses={201: rt.serializer, **ERROR_RESPONSES}),
            partial_update=extend_schema(
                request=rt.write_serializer, responses={200: rt.serializer, **ERROR_RESPONSES}
            ),
            ranking=extend_schema(parameters=rt.ranking_parameters(), responses=ranking_row),
            bulk_transition=extend_schema(
                request=BulkTransitionSerializer,
                responses={200: rt.list_serializer(many=True), 202: JobStartedSerializer, **ERROR_RESPONSES},
                description=(
                    f"对多条{noun}执行同一操作，全部成功或全部不变 — one transition on many records, all or nothing; "
                    "over BULK_JOB_THRESHOLD records (200) it runs in the background: 202 with the job "
                    "(GET /api/v1/jobs/{id}/)."
                ),
            ),
        )
        bases = (*rt.api_mixins, cls)
        return schema(type(f"{rt.model.__name__}ViewSet", bases, {"record_type": rt}))
