from rest_framework import mixins, serializers, viewsets

from workflows import selectors
from workflows.api.mixins import WorkflowActionsMixin

from .models import Dossier


class DossierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dossier
        fields = ["id", "title", "body", "state", "organization", "recommending_unit", "round"]
        read_only_fields = fields


class DossierViewSet(WorkflowActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DossierSerializer

    def get_queryset(self):
        return selectors.visible_records(Dossier, user=self.request.user).order_by("pk")
