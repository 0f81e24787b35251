from __future__ import annotations

from rest_framework import serializers

from workflows.models import Attachment

from .models import Nomination, NominationScore


class NominationAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "kind", "original_name", "size", "sha256", "content_type", "uploaded_at"]


class NominationSerializer(serializers.ModelSerializer):
    state_label = serializers.SerializerMethodField()
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    organization = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    recommending_unit = serializers.CharField(source="recommending_unit.code", read_only=True, default=None)

    class Meta:
        model = Nomination
        fields = [
            "id",
            "round",
            "category",
            "category_label",
            "organization",
            "organization_name",
            "recommending_unit",
            "state",
            "state_label",
            "nominee_name",
            "gender",
            "birth_date",
            "person_org",
            "person_title",
            "volunteer_number",
            "founded_on",
            "registered_volunteers",
            "period_start",
            "period_end",
            "organizer",
            "site_region",
            "site_kind",
            "activities",
            "service_hours",
            "deeds",
            "contact_name",
            "contact_phone",
            "unit_opinion",
            "unit_opinion_signer",
            "unit_opinion_date",
            "recommender_opinion",
            "recommender_signer",
            "recommender_date",
            "cast_opinion",
            "cast_signer",
            "cast_date",
            "eligibility_override_reason",
            "shortlist_reason",
            "promoted",
            "certificate_number",
            "awarded_at",
            "current_revision_hash",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_state_label(self, obj: Nomination) -> str:
        return obj.flow_class.state_label(obj.state)


class NominationListSerializer(serializers.ModelSerializer):
    state_label = serializers.SerializerMethodField()
    organization = serializers.CharField(source="organization.code")
    organization_name = serializers.CharField(source="organization.name")

    class Meta:
        model = Nomination
        fields = [
            "id",
            "round",
            "category",
            "organization",
            "organization_name",
            "nominee_name",
            "state",
            "state_label",
            "certificate_number",
            "updated_at",
        ]

    def get_state_label(self, obj: Nomination) -> str:
        return obj.flow_class.state_label(obj.state)


class NominationWriteSerializer(serializers.Serializer):
    """Documents the writable fields; the service validates them and reports every problem."""

    round = serializers.IntegerField(required=False, help_text="创建时必填")
    category = serializers.ChoiceField(choices=["volunteer", "team", "project", "site"], required=False)
    organization = serializers.CharField(required=False)
    nominee_name = serializers.CharField(required=False)
    gender = serializers.ChoiceField(choices=["male", "female"], required=False)
    birth_date = serializers.DateField(required=False)
    person_org = serializers.CharField(required=False)
    person_title = serializers.CharField(required=False)
    volunteer_number = serializers.CharField(required=False)
    founded_on = serializers.DateField(required=False)
    registered_volunteers = serializers.IntegerField(required=False)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    organizer = serializers.CharField(required=False)
    site_region = serializers.CharField(required=False)
    site_kind = serializers.CharField(required=False)
    activities = serializers.IntegerField(required=False)
    service_hours = serializers.DecimalField(max_digits=10, decimal_places=1, required=False)
    deeds = serializers.CharField(required=False, max_length=2000)
    contact_name = serializers.CharField(required=False)
    contact_phone = serializers.CharField(required=False)
    unit_opinion = serializers.CharField(required=False)
    unit_opinion_signer = serializers.CharField(required=False)
    unit_opinion_date = serializers.DateField(required=False)


class NominationScoreSerializer(serializers.ModelSerializer):
    expert = serializers.CharField(source="expert.username")

    class Meta:
        model = NominationScore
        fields = ["expert", "scores", "total", "comment", "submitted_at"]


class NominationScoreRequestSerializer(serializers.Serializer):
    scores = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100))
    comment = serializers.CharField()


class NominationBulkTransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=5000)
    opinion = serializers.CharField(required=False, allow_blank=True, default="")


class WinnerSerializer(serializers.ModelSerializer):
    """Only what was published: no phone numbers, identity or birth dates."""

    category_label = serializers.CharField(source="get_category_display")
    organization_name = serializers.CharField(source="organization.name")

    class Meta:
        model = Nomination
        fields = ["id", "category", "category_label", "nominee_name", "organization_name", "certificate_number"]
