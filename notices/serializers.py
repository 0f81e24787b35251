"""Shapes of notices and objections in the API. Validation of writes lives in the services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .forms import CONTACT_FIELDS
from .models import (
    PUBLIC_NOTICE_STATUSES,
    NoticeEntry,
    NoticeStatus,
    Objection,
    ObjectionEvidence,
    ObjectionStatus,
    PublicNotice,
)


def _enum(choices: Any) -> dict[str, Any]:
    # Each set of status values belongs to one component, so the schema names them after it.
    return {
        "type": "string",
        "enum": [value for value, _label in choices],
        "description": "; ".join(f"{value}: {label}" for value, label in choices),
    }


@extend_schema_field(_enum(NoticeStatus.choices))
class NoticeStatusField(serializers.CharField):
    pass


@extend_schema_field(_enum([(c.value, c.label) for c in PUBLIC_NOTICE_STATUSES]))
class PublicNoticeStatusField(serializers.CharField):
    pass


@extend_schema_field(_enum(ObjectionStatus.choices))
class ObjectionStatusField(serializers.CharField):
    pass


class NoticeEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = NoticeEntry
        fields = ["id", "position", "record_type", "record_id", "public_title", "public_summary"]


class PublicEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()


def _calendar_warning(notice: PublicNotice) -> str | None:
    from .selectors import period_of

    period = period_of(notice, planned=notice.status == NoticeStatus.SCHEDULED)
    return period.warning if period is not None else None


class NoticeSerializer(serializers.ModelSerializer):
    status = NoticeStatusField(read_only=True)
    status_label = serializers.CharField(source="get_status_display")
    created_by = serializers.CharField(source="created_by.username")
    reviewer = serializers.SerializerMethodField()
    scheduled_by = serializers.SerializerMethodField()
    schedule_problems = serializers.ListField(
        child=serializers.CharField(),
        help_text="定时发布未成功的原因（系统会再次尝试）— why the scheduled publication has not gone through",
    )
    day_kind = serializers.CharField(
        source="round.notice_day_kind", help_text="公示期计算方式：working 工作日，calendar 自然日"
    )
    calendar_warning = serializers.SerializerMethodField(
        help_text="公示期涉及的年份尚无法定节假日数据时的提示（已发布：实际公示期；已定时：计划公示期）— "
        "set when a year of the period has no known holidays"
    )
    entries = NoticeEntrySerializer(many=True)
    phase = serializers.SerializerMethodField(
        help_text="按日期得出的状态：公示期已满尚未办结为 expired，其余同 status — "
        "the status as the dates make it: 'expired' once the period is over and the notice not yet finished"
    )
    phase_label = serializers.SerializerMethodField()

    class Meta:
        model = PublicNotice
        fields = [
            "id",
            "round",
            "phase",
            "phase_label",
            *CONTACT_FIELDS,
            "record_type",
            "title",
            "intro",
            "body",
            "status",
            "status_label",
            "created_by",
            "created_at",
            "reviewer",
            "review_opinion",
            "reviewed_at",
            "scheduled_for",
            "scheduled_by",
            "schedule_problems",
            "published_at",
            "starts_on",
            "ends_on",
            "day_kind",
            "calendar_warning",
            "closed_at",
            "entries",
        ]

    def get_phase(self, obj: PublicNotice) -> str:
        return obj.phase()

    def get_phase_label(self, obj: PublicNotice) -> str:
        return obj.phase_label()

    def get_reviewer(self, obj: PublicNotice) -> str:
        return obj.reviewer.username if obj.reviewer_id else ""

    def get_scheduled_by(self, obj: PublicNotice) -> str:
        return obj.scheduled_by.username if obj.scheduled_by_id else ""

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_calendar_warning(self, obj: PublicNotice) -> str | None:
        return _calendar_warning(obj)


class PublicNoticeSerializer(serializers.ModelSerializer):
    """What the public may read of a notice."""

    status = PublicNoticeStatusField(read_only=True)
    status_label = serializers.CharField(source="get_status_display")
    entries = serializers.SerializerMethodField()
    phase = serializers.SerializerMethodField(help_text="published / expired（公示期满，待办结）/ closed")
    phase_label = serializers.SerializerMethodField()

    class Meta:
        model = PublicNotice
        fields = [
            "id",
            "title",
            "intro",
            "body",
            "status",
            "status_label",
            "phase",
            "phase_label",
            "starts_on",
            "ends_on",
            *CONTACT_FIELDS,
            "entries",
        ]

    def get_phase(self, obj: PublicNotice) -> str:
        return obj.phase()

    def get_phase_label(self, obj: PublicNotice) -> str:
        return obj.phase_label()

    def get_entries(self, obj: PublicNotice) -> list[dict[str, Any]]:
        from .selectors import public_entries

        return PublicEntrySerializer(public_entries(obj), many=True).data


class NoticeCreateSerializer(serializers.Serializer):
    round = serializers.IntegerField(help_text="批次编号 — round id")
    record_type = serializers.CharField(max_length=100, help_text="e.g. applications.application")
    record_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    title = serializers.CharField(allow_blank=True, max_length=1000)
    intro = serializers.CharField(allow_blank=True, required=False, default="", max_length=20000)


class NoticeReviewSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["pass", "fail"])
    opinion = serializers.CharField(allow_blank=True, max_length=5000)


class NoticePublishSerializer(serializers.Serializer):
    starts_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="公示开始日期：省略或今日即立即发布；以后的日期（一年内）则定时发布 — "
        "omit (or today) to publish now; a later day (within a year) schedules the notice",
    )


class NoticeFinishSerializer(serializers.Serializer):
    opinion = serializers.CharField(allow_blank=True, required=False, default="", max_length=5000)


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ObjectionEvidence
        fields = ["id", "original_name", "size", "sha256", "content_type", "created_at"]


class ObjectionSerializer(serializers.ModelSerializer):
    """An objection with the objector's data: for CAST staff and the auditor only."""

    status = ObjectionStatusField(read_only=True)
    status_label = serializers.CharField(source="get_status_display")
    entry_title = serializers.CharField(source="entry.public_title")
    record_type = serializers.CharField(source="entry.record_type")
    record_id = serializers.IntegerField(source="entry.record_id")
    decided_by = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True)

    class Meta:
        model = Objection
        fields = [
            "id",
            "reference",
            "notice",
            "entry",
            "entry_title",
            "record_type",
            "record_id",
            "objector_name",
            "identity",
            "unit",
            "phone",
            "email",
            "content",
            "channel",
            "received_on",
            "registered_by",
            "status",
            "status_label",
            "verify_org",
            "verify_due",
            "verify_request",
            "verify_findings",
            "verified_by",
            "verified_at",
            "decision_reason",
            "decided_by",
            "decided_at",
            "client_ip",
            "created_at",
            "evidence",
        ]

    registered_by = serializers.SerializerMethodField()
    verified_by = serializers.SerializerMethodField()

    def get_decided_by(self, obj: Objection) -> str:
        return obj.decided_by.username if obj.decided_by_id else ""

    def get_registered_by(self, obj: Objection) -> str:
        return obj.registered_by.username if obj.registered_by_id else ""

    def get_verified_by(self, obj: Objection) -> str:
        return obj.verified_by.username if obj.verified_by_id else ""


class ObjectionDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=["uphold", "partly", "dismiss"],
        help_text="uphold 异议成立（取消）；partly 异议部分成立（更正公示内容，继续）；dismiss 异议不成立",
    )
    reason = serializers.CharField(allow_blank=True, max_length=5000)
    public_title = serializers.CharField(required=False, help_text="partly：更正后的公示名称")
    public_summary = serializers.CharField(required=False, help_text="partly：更正后的公示摘要")


class ObjectionReferSerializer(serializers.Serializer):
    request = serializers.CharField(help_text="核查要求 — what the recommending unit is to verify")
    due = serializers.DateField(required=False, help_text="核查期限（默认 5 个工作日后）— due date")


class VerificationSerializer(serializers.ModelSerializer):
    """What a recommending unit asked to verify sees: the objection's content, not the objector."""

    # The values of Objection.status (one enum component in the schema, named after Objection).
    status = serializers.CharField(read_only=True, help_text="filed, verifying, upheld, partly_upheld, dismissed")
    status_label = serializers.CharField(source="get_status_display")
    notice_title = serializers.CharField(source="notice.title")
    entry_title = serializers.CharField(source="entry.public_title")
    record_type = serializers.CharField(source="entry.record_type")
    record_id = serializers.IntegerField(source="entry.record_id")

    class Meta:
        model = Objection
        fields = [
            "id",
            "reference",
            "notice",
            "notice_title",
            "entry_title",
            "record_type",
            "record_id",
            "content",
            "status",
            "status_label",
            "verify_due",
            "verify_request",
            "verify_findings",
            "verified_at",
        ]


class VerificationReportSerializer(serializers.Serializer):
    findings = serializers.CharField(help_text="核查情况 — the unit's findings")


class ContactsSerializer(serializers.Serializer):
    accepting_unit = serializers.CharField(required=False, allow_blank=True, help_text="受理单位")
    contact_person = serializers.CharField(required=False, allow_blank=True, help_text="联系人")
    contact_phone = serializers.CharField(required=False, allow_blank=True, help_text="联系电话")
    contact_address = serializers.CharField(required=False, allow_blank=True, help_text="通讯地址")
    contact_email = serializers.CharField(required=False, allow_blank=True, help_text="电子邮箱")


class LookupSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="受理编号")
    phone = serializers.CharField(help_text="提交异议时所留联系电话")


class LookupResultSerializer(serializers.ModelSerializer):
    # The values of Objection.status (one enum component in the schema, named after Objection).
    status = serializers.CharField(read_only=True, help_text="filed, verifying, upheld, partly_upheld, dismissed")
    status_label = serializers.CharField(source="get_status_display")
    notice_title = serializers.CharField(source="notice.title")
    entry_title = serializers.CharField(source="entry.public_title")

    class Meta:
        model = Objection
        fields = [
            "reference",
            "notice",
            "notice_title",
            "entry_title",
            "received_on",
            "status",
            "status_label",
            "decision_reason",
            "decided_at",
        ]


class PublicObjectionRequestSerializer(serializers.Serializer):
    """The public objection form (multipart). Every field is checked by the service."""

    entry = serializers.IntegerField(help_text="公示条目编号 — the entry objected to")
    name = serializers.CharField(help_text="姓名，≤ 50")
    identity = serializers.CharField(required=False, help_text="职务或身份（选填，不要身份证号），≤ 100；不公开")
    unit = serializers.CharField(help_text="工作单位，≤ 200")
    phone = serializers.CharField(help_text="联系电话：数字、+、-，7–20 位；不公开")
    email = serializers.EmailField(required=False, help_text="电子邮箱（可选），用于告知处理结果；不公开")
    content = serializers.CharField(help_text="异议内容，10–2000 字")
    evidence = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="证明材料：至多 5 个 PDF/JPG/PNG，每个 ≤ 10 MB（按文件内容识别）",
    )


class ReferenceSerializer(serializers.Serializer):
    reference = serializers.CharField()


class RegisteredObjectionRequestSerializer(PublicObjectionRequestSerializer):
    """An objection received by letter, fax, e-mail or visit, entered by CAST staff."""

    channel = serializers.ChoiceField(choices=["letter", "fax", "email", "visit"], help_text="受理方式")
    received_on = serializers.DateField(help_text="收到日期（公示期内，不晚于今天）")
