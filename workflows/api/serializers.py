from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workflows.models import Attachment, AuditEvent, ReviewAssignment, Round, Score


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
    # The event's place in the record's own hash chain (1, 2, 3 …).
    seq = serializers.IntegerField(source="record_seq", read_only=True)
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
            "id",
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
            "prev_hash",
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
    excerpt_start = serializers.IntegerField(help_text="词语在摘录中的起点 — where the term starts in the excerpt")
    excerpt_end = serializers.IntegerField(help_text="词语在摘录中的终点（不含） — where it ends in the excerpt")
    highest = serializers.BooleanField(
        help_text="最高严重程度：审核结论须写明理由 — highest severity: the verdict must give its reason"
    )


class ContentReviewSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["required", "passed", "failed", "flagged", "not_yet"],
        help_text="flagged：自动扫描发现最高严重程度的词语，由下一环节的内容审核员决定 — the scan found "
        "terms of the highest severity, for the next stage's content reviewer to decide on",
    )
    findings = FindingSerializer(many=True)
    decision_required = serializers.BooleanField(
        help_text="本环节待内容审核员作出须写明理由的结论 — awaits a reviewer's verdict with a written reason"
    )
    addressed = FindingSerializer(
        many=True, help_text="最近结论所处理的最高严重程度发现 — what the latest verdict answered for"
    )
    reviewer = serializers.CharField()
    organization = serializers.CharField()
    opinion = serializers.CharField()
    revision = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)


class ContentReviewRequestSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=["submission", "recommender", "cast", "publication"])
    verdict = serializers.ChoiceField(choices=["pass", "fail"])
    # Required, but checked by the service: its refusal names the findings the reason is for.
    opinion = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text="审核意见（必填；含最高严重程度的发现时须写明通过或不通过的理由） — required; with findings of "
        "the highest severity it gives the reason for the verdict",
    )

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        # A missing opinion is left to the service when the rest is right (its refusal names the
        # findings the reason is for); when the body is refused anyway it is listed here too,
        # so that every problem is reported at once.
        valid = super().is_valid()
        data = self.initial_data if isinstance(self.initial_data, dict) else {}
        opinion = data.get("opinion")
        if not valid and "opinion" not in self._errors and not (isinstance(opinion, str) and opinion.strip()):
            key = "required" if opinion is None else "blank"
            self._errors["opinion"] = [serializers.ErrorDetail(self.fields["opinion"].error_messages[key], code=key)]
        if raise_exception and self._errors:
            raise serializers.ValidationError(self.errors)
        return valid


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


class AssignmentWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="撤回理由，记入办理记录 — the reason, kept in the audit trail")


class AssignmentReplaceSerializer(serializers.Serializer):
    assignee = serializers.CharField(max_length=150, help_text="username of the new expert")
    reason = serializers.CharField(help_text="替换理由，记入办理记录 — the reason, kept in the audit trail")
    due_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="默认沿用原截止日期（已过期则不设）— default: the old date unless past",
    )


class CheckpointSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField(help_text="日志叶子数 — leaves in the log")
    root_hash = serializers.CharField(help_text="Merkle 树根（十六进制） — RFC 9162 root, hex")
    timestamp = serializers.DateTimeField()
    origin = serializers.CharField(help_text="日志名称 — the log's name (C2SP checkpoint origin)")
    key_id = serializers.CharField(help_text="签名密钥标识（十六进制 4 字节） — key id, 4 bytes hex")
    signature = serializers.CharField(help_text="Ed25519 签名（base64），签名内容为 note 的正文 — over the note body")
    note = serializers.CharField(help_text="C2SP signed note: body, blank line, signature line")


class PublicKeySerializer(serializers.Serializer):
    origin = serializers.CharField()
    key_id = serializers.CharField()
    algorithm = serializers.CharField()
    public_key = serializers.CharField(help_text="32 字节公钥（base64） — the raw key, base64")
    pem = serializers.CharField()
    verifier_key = serializers.CharField(help_text="note verifier key: <origin>+<key id>+<base64(0x01 ‖ key)>")


class ProvenEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    record_seq = serializers.IntegerField(help_text="记录内序号 — the event's place in the record's chain")
    action = serializers.CharField()
    created_at = serializers.DateTimeField()
    canonical = serializers.CharField(
        help_text="事件哈希覆盖的规范文本 — hash = SHA-256(prev_hash ‖ canonical), both as UTF-8"
    )
    prev_hash = serializers.CharField()
    hash = serializers.CharField()
    leaf_index = serializers.IntegerField(allow_null=True)
    leaf_hash = serializers.CharField(allow_null=True, help_text="SHA-256(0x00 ‖ bytes of hash)")
    inclusion_proof = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="RFC 9162 audit path, leaf first, hex"
    )
    included = serializers.BooleanField(help_text="已包含在检查点中 — covered by the checkpoint")


class HistoryProofSerializer(serializers.Serializer):
    checkpoint = CheckpointSerializer(allow_null=True)
    public_key = PublicKeySerializer()
    events = ProvenEventSerializer(many=True)


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    record_type = serializers.CharField()
    transition = serializers.CharField()
    transition_label = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "running", "done", "failed"])
    status_label = serializers.CharField(source="get_status_display")
    total = serializers.IntegerField(help_text="记录数 — records in the action")
    done = serializers.IntegerField(source="progress", help_text="已处理 — records processed so far")
    percent = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField(), help_text="未执行时的原因 — why nothing was done")
    record_ids = serializers.ListField(child=serializers.IntegerField())
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()

    def get_url(self, job) -> str:
        from django.urls import reverse

        return reverse("api-job", args=[job.pk])


class JobStartedSerializer(serializers.Serializer):
    job = JobSerializer()


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "kind", "original_name", "size", "sha256", "content_type", "uploaded_at"]


class ScoreSerializer(serializers.ModelSerializer):
    expert = serializers.CharField(source="expert.username")

    class Meta:
        model = Score
        fields = ["expert", "scores", "total", "comment", "submitted_at"]


class ScoreRequestSerializer(serializers.Serializer):
    scores = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100))
    comment = serializers.CharField()


class BulkTransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=5000)
    opinion = serializers.CharField(required=False, allow_blank=True, default="")


class OpenReturnSerializer(serializers.Serializer):
    """The open return for revision of a record (None when it is not returned)."""

    due = serializers.DateField(help_text="补正期限：可修改后重新提交的最后一天（含当日）")
    days_left = serializers.IntegerField(help_text="距补正期限的自然日天数（0：今天为最后一天；负数：已逾期）")
    lapsed = serializers.BooleanField(help_text="补正期限已过")
    days_overdue = serializers.IntegerField(help_text="已逾期的自然日天数（未逾期为 0）")
    returned_by_stage = serializers.ChoiceField(choices=["recommender", "cast"])
    returned_by_label = serializers.CharField()
    opinion = serializers.CharField(help_text="退回意见")


class RecordSerializer(serializers.ModelSerializer):
    """What every record type's serializer shows besides its own fields (those declared here
    are added to every type's field list by ``get_field_names``)."""

    state_label = serializers.SerializerMethodField()
    organization = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    recommending_unit = serializers.CharField(source="recommending_unit.code", read_only=True, default=None)
    revision_due = serializers.DateField(read_only=True, allow_null=True, help_text="补正期限（退回修改时）")
    returned_by_stage = serializers.CharField(read_only=True, help_text="退回环节：recommender 或 cast")
    open_return = serializers.SerializerMethodField()

    ALWAYS = ("revision_due", "returned_by_stage", "open_return")

    def get_field_names(self, declared_fields: Any, info: Any) -> list[str]:
        names = list(super().get_field_names(declared_fields, info))
        return [*names, *(name for name in self.ALWAYS if name not in names)]

    def get_state_label(self, obj: Any) -> str:
        return obj.flow_class.state_label(obj.state)

    @extend_schema_field(OpenReturnSerializer(allow_null=True))
    def get_open_return(self, obj: Any) -> dict[str, Any] | None:
        from workflows.revision import open_return_of

        return open_return_of(obj)


def declared_serializers(model: type, form_class: type | None) -> tuple[type, type, type]:
    """(read, list, write) serializers of a record type that declares none: its content fields
    besides what every record shows; the write serializer documents its form's fields."""
    common = ["id", "round", "organization", "organization_name", "recommending_unit", "state", "state_label"]
    content = list(model.content_fields)
    read_meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": [*common, *content, "current_revision_hash", "created_at", "updated_at"],
            "read_only_fields": [*common, *content, "current_revision_hash", "created_at", "updated_at"],
        },
    )
    list_meta = type("Meta", (), {"model": model, "fields": [*common, *content[:1], "updated_at"]})
    name = model.__name__
    read = type(f"{name}Serializer", (RecordSerializer,), {"Meta": read_meta})
    listed = type(f"{name}ListSerializer", (RecordSerializer,), {"Meta": list_meta})
    fields: dict[str, Any] = {
        "round": serializers.IntegerField(required=False, help_text="创建时必填 — required on create"),
        "organization": serializers.CharField(required=False, help_text="申报单位代码（属于多个单位时）"),
    }
    for field_name, field in form_class.base_fields.items() if form_class else ():
        fields[field_name] = serializers.CharField(required=False, help_text=str(field.label or ""))
    write = type(f"{name}WriteSerializer", (serializers.Serializer,), fields)
    return read, listed, write
