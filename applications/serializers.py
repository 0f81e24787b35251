from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.money import wan
from workflows.api.serializers import RecordSerializer

from .models import Application, BudgetCategory, BudgetLine, SubprojectType, TeamMember
from .sections import LEVEL1, LEVEL2


class TeamMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["name", "education", "qualification", "role", "phone"]


class BudgetLineSerializer(serializers.ModelSerializer):
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = BudgetLine
        fields = ["category", "category_label", "item", "amount", "note"]


class BudgetLineWriteSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=BudgetCategory.choices, help_text="支出科目 — expenditure category")
    item = serializers.CharField(help_text="支出内容")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="元")
    note = serializers.CharField(required=False, help_text="测算依据")


class ScheduleRowSerializer(serializers.Serializer):
    when = serializers.CharField(help_text="时间或时段（如 全国科普日（9月））")
    activity = serializers.CharField(help_text="活动安排")


class TargetRowSerializer(serializers.Serializer):
    level1 = serializers.ChoiceField(
        choices=list(LEVEL1), required=False, help_text="一级指标（由二级指标决定，可省略）"
    )
    level2 = serializers.ChoiceField(choices=list(LEVEL2), help_text="二级指标")
    name = serializers.CharField(help_text="指标名称")
    value = serializers.CharField(help_text="指标值")


class SubprojectSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubprojectType
        fields = ["id", "code", "name", "description", "eligible_org_types", "pilot_only", "section_kind"]


class DuplicateSerializer(serializers.Serializer):
    """Another live application of the round that looks like the same project (多头申报)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    organization = serializers.CharField(help_text="its applying unit")
    recommending_unit = serializers.CharField(allow_null=True, help_text="its channel")
    state = serializers.CharField()
    state_label = serializers.CharField()
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=["name", "leader"]),
        help_text="name: the same project name; leader: the same leader (name and mobile) and similar content",
    )


class ApplicationSerializer(RecordSerializer):
    """The application as a client reads it. Writes go through the services."""

    subproject = serializers.CharField(source="subproject.code", read_only=True)
    subproject_name = serializers.CharField(source="subproject.name", read_only=True)
    team = TeamMemberSerializer(many=True, read_only=True)
    budget = BudgetLineSerializer(many=True, read_only=True, source="budget_lines")
    suspected_duplicates = serializers.SerializerMethodField()

    @extend_schema_field(
        DuplicateSerializer(
            many=True,
            allow_null=True,
            help_text="疑似多头申报 — for CAST staff and the auditor "
            "while the application awaits formal review (null for everyone else, and in other states)",
        )
    )
    def get_suspected_duplicates(self, obj: Application) -> list[dict[str, Any]] | None:
        from accounts import permissions as perms

        from .flows import ApplicationState, duplicates

        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not (perms.is_cast_staff(user) or perms.is_auditor(user)):
            return None
        if obj.state != ApplicationState.RECOMMENDED:
            return None
        return duplicates(obj)

    section_kind = serializers.CharField(source="subproject.section_kind", read_only=True)
    requested_amount_wan = serializers.SerializerMethodField(help_text="申请金额（万元，仅供显示）")
    funding_amount_wan = serializers.SerializerMethodField(help_text="拟资助金额（万元，仅供显示）")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_requested_amount_wan(self, obj: Application) -> str | None:
        return wan(obj.requested_amount) or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_funding_amount_wan(self, obj: Application) -> str | None:
        return wan(obj.funding_amount) or None

    class Meta:
        model = Application
        fields = [
            "id",
            "round",
            "subproject",
            "subproject_name",
            "organization",
            "organization_name",
            "recommending_unit",
            "state",
            "state_label",
            "name",
            "leader_name",
            "leader_title",
            "leader_phone",
            "leader_mobile",
            "leader_email",
            "region_province",
            "region_city",
            "region_county",
            "pilot_county",
            "target_groups",
            "period_start",
            "period_end",
            "basis",
            "content",
            "targets",
            "outcomes",
            "conditions",
            "requested_amount",
            "requested_amount_wan",
            "section_kind",
            "section",
            "common",
            "schedule",
            "performance",
            "commitment",
            "commitment_signer",
            "funding_amount",
            "funding_amount_wan",
            "approval_number",
            "issued_at",
            "current_revision_hash",
            "team",
            "budget",
            "suspected_duplicates",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ApplicationListSerializer(RecordSerializer):
    subproject = serializers.CharField(source="subproject.code", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "round",
            "subproject",
            "organization",
            "organization_name",
            "name",
            "state",
            "state_label",
            "requested_amount",
            "funding_amount",
            "approval_number",
            "updated_at",
        ]


class ApplicationWriteSerializer(serializers.Serializer):
    """Documents the writable fields; the service validates them (and reports every problem)."""

    round = serializers.IntegerField(required=False, help_text="创建时必填 — required on create")
    subproject = serializers.CharField(required=False, help_text="子项目代码或编号")
    organization = serializers.CharField(required=False, help_text="申报单位代码（属于多个单位时）")
    name = serializers.CharField(required=False)
    leader_name = serializers.CharField(required=False)
    leader_title = serializers.CharField(required=False)
    leader_phone = serializers.CharField(required=False)
    leader_mobile = serializers.CharField(required=False)
    leader_email = serializers.CharField(required=False)
    region_province = serializers.CharField(required=False)
    region_city = serializers.CharField(required=False)
    region_county = serializers.CharField(required=False)
    pilot_county = serializers.BooleanField(
        required=False, help_text="由申报单位决定（只读）；给出时须与单位一致 — derived from the unit"
    )
    target_groups = serializers.CharField(required=False)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    basis = serializers.CharField(required=False)
    content = serializers.CharField(required=False)
    outcomes = serializers.CharField(required=False)
    conditions = serializers.CharField(required=False)
    requested_amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    commitment = serializers.BooleanField(required=False)
    commitment_signer = serializers.CharField(required=False)
    section = serializers.DictField(
        required=False, help_text="子项目专门内容：字段由子项目的 section_kind 决定（docs/api.md）"
    )
    common = serializers.DictField(
        required=False,
        help_text="共同信息：platform_org_number, platform_volunteers, safety_plan, insurance, insurance_note, "
        "matching_funds, local_funds",
    )
    schedule = ScheduleRowSerializer(many=True, required=False)
    performance = TargetRowSerializer(many=True, required=False)
    team = TeamMemberSerializer(many=True, required=False)
    budget = BudgetLineWriteSerializer(many=True, required=False)
