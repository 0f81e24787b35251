from __future__ import annotations

from rest_framework import serializers

from workflows.models import AuditEvent, ReviewAssignment, Round


class TransitionOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField()
    target_label = serializers.CharField()
    allowed = serializers.BooleanField()
    blocked_reasons = serializers.ListField(child=serializers.CharField())
    opinion = serializers.ChoiceField(choices=["none", "optional", "required"])
    bulk = serializers.BooleanField()


class TransitionRequestSerializer(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    data = serializers.DictField(required=False, default=dict)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")
    action_label = serializers.SerializerMethodField()
    from_state_label = serializers.SerializerMethodField()
    to_state_label = serializers.SerializerMethodField()

    def _flow(self):
        return self.context["flow_class"]

    def get_action_label(self, obj: AuditEvent) -> str:
        from workflows.flows import action_label

        return action_label(self._flow(), obj.action)

    def get_from_state_label(self, obj: AuditEvent) -> str:
        return self._flow().state_label(obj.from_state) if obj.from_state else ""

    def get_to_state_label(self, obj: AuditEvent) -> str:
        return self._flow().state_label(obj.to_state) if obj.to_state else ""

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "action",
            "action_label",
            "from_state",
            "from_state_label",
            "to_state",
            "to_state_label",
            "actor",
            "actor_org",
            "actor_role",
            "opinion",
            "data",
            "revision_hash",
            "created_at",
            "hash",
        ]


class FindingSerializer(serializers.Serializer):
    field = serializers.CharField()
    term = serializers.CharField()
    category = serializers.CharField()
    severity = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    excerpt = serializers.CharField()


class ContentReviewSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=["required", "passed", "failed", "not_yet"])
    findings = FindingSerializer(many=True)
    reviewer = serializers.CharField()
    organization = serializers.CharField()
    opinion = serializers.CharField()
    revision = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)


class ContentReviewRequestSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=["submission", "recommender", "cast", "publication"])
    verdict = serializers.ChoiceField(choices=["pass", "fail"])
    opinion = serializers.CharField(max_length=5000)


class RoundSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    settings = serializers.SerializerMethodField()
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = Round
        fields = [
            "id",
            "year",
            "kind",
            "kind_label",
            "title",
            "submission_opens",
            "submission_closes",
            "recommender_review_due",
            "cast_review_due",
            "notice_working_days",
            "is_open",
            "settings",
        ]

    def get_settings(self, obj: Round) -> dict:
        import dataclasses

        return dataclasses.asdict(obj.typed_settings)

    def get_is_open(self, obj: Round) -> bool:
        return obj.window_problem("submission") is None


class AssignmentSerializer(serializers.ModelSerializer):
    assignee = serializers.CharField(source="assignee.username")
    overdue = serializers.BooleanField()

    class Meta:
        model = ReviewAssignment
        fields = [
            "id",
            "record_type",
            "record_id",
            "stage",
            "assignee",
            "due_date",
            "status",
            "overdue",
            "created_at",
            "completed_at",
        ]


class AssignmentRequestSerializer(serializers.Serializer):
    stage = serializers.CharField(max_length=30)
    assignee = serializers.CharField(max_length=150, help_text="username of the expert")
    due_date = serializers.DateField(required=False, allow_null=True)
