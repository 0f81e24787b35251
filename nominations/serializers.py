from __future__ import annotations

from rest_framework import serializers

from workflows.api.serializers import RecordSerializer

from .models import Nomination


class NominationSerializer(RecordSerializer):
    category_label = serializers.CharField(source="get_category_display", read_only=True)

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


class NominationListSerializer(RecordSerializer):
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


class WinnerSerializer(serializers.ModelSerializer):
    """Only what was published: no phone numbers, identity or birth dates."""

    category_label = serializers.CharField(source="get_category_display")
    organization_name = serializers.CharField(source="organization.name")

    class Meta:
        model = Nomination
        fields = ["id", "category", "category_label", "nominee_name", "organization_name", "certificate_number"]
