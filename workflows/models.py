"""The engine's data: rounds, the record base class, revisions, the audit trail,
sensitive terms and content-review checkpoints, review assignments.

Records of every type (applications, nominations, the test-only record) are referred to by
``record_type`` (``"app_label.model"``) and ``record_id`` so that one audit trail, one set of
checkpoints and one assignment queue serve them all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .round_settings import RoundSettingsError, parse_round_settings


class RoundKind(models.TextChoices):
    APPLICATION = "application", _("项目申报批次")
    SELECTION = "selection", _("选树批次")


class NoticeDayKind(models.TextChoices):
    WORKING = "working", _("工作日")
    CALENDAR = "calendar", _("自然日")


class Round(models.Model):
    """A yearly batch (年度批次): its windows, notice length and typed settings."""

    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("类型"), max_length=20, choices=RoundKind.choices)
    title = models.CharField(_("名称"), max_length=200)
    submission_opens = models.DateTimeField(_("申报开始"))
    submission_closes = models.DateTimeField(_("申报截止"))
    recommender_review_due = models.DateTimeField(_("推荐单位审核截止"))
    cast_review_due = models.DateTimeField(_("中国科协审核截止"))
    notice_working_days = models.PositiveSmallIntegerField(_("公示期（天数）"), default=5)
    # How the notice period is counted: working days (法定节假日和调休按官方日历) or calendar days.
    notice_day_kind = models.CharField(
        _("公示期计算方式"), max_length=10, choices=NoticeDayKind.choices, default=NoticeDayKind.WORKING
    )
    settings = models.JSONField(_("批次设置"), default=dict, blank=True)
    # Who answers applicants' questions: [{"purpose", "name", "phone", "email"}] (联系人).
    contacts = models.JSONField(_("联系人"), default=list, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("批次")
        verbose_name_plural = _("批次")
        ordering = ["-year", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["year", "kind", "title"], name="unique_round_title"),
            models.CheckConstraint(
                condition=models.Q(submission_opens__lt=models.F("submission_closes")),
                name="round_submission_window_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.submission_opens and self.submission_closes:
            if self.submission_opens >= self.submission_closes:
                errors.setdefault("submission_closes", []).append(_("申报截止时间必须晚于开始时间"))
            if self.recommender_review_due and self.recommender_review_due < self.submission_closes:
                errors.setdefault("recommender_review_due", []).append(_("推荐单位审核截止不得早于申报截止"))
            if (
                self.cast_review_due
                and self.recommender_review_due
                and self.cast_review_due < self.recommender_review_due
            ):
                errors.setdefault("cast_review_due", []).append(_("中国科协审核截止不得早于推荐单位审核截止"))
        if self.notice_working_days is not None and not 1 <= self.notice_working_days <= 30:
            errors.setdefault("notice_working_days", []).append(_("公示期应为 1 至 30 个工作日"))
        try:
            parse_round_settings(self.kind, self.settings or {})
        except RoundSettingsError as exc:
            errors.setdefault("settings", []).extend(exc.messages)
        if errors:
            raise ValidationError(errors)

    @property
    def typed_settings(self) -> Any:
        """The settings parsed into their dataclass, defaults filled in."""
        cached = getattr(self, "_typed_settings", None)
        if cached is None:
            cached = parse_round_settings(self.kind, self.settings or {})
            self._typed_settings = cached
        return cached

    # Windows: each is (opens, closes); None opens means "from the start of the round".
    WINDOWS: ClassVar[dict[str, tuple[str | None, str]]] = {
        "submission": ("submission_opens", "submission_closes"),
        "recommender_review": ("submission_opens", "recommender_review_due"),
        "cast_review": ("submission_opens", "cast_review_due"),
    }

    def window_problem(self, window: str, now: dt.datetime | None = None) -> str | None:
        """Why the window is closed now, in words for the user; None when it is open."""
        from django.utils.translation import gettext

        now = now or timezone.now()
        opens_field, closes_field = self.WINDOWS[window]
        opens = getattr(self, opens_field) if opens_field else None
        closes = getattr(self, closes_field)
        name = {
            "submission": gettext("申报"),
            "recommender_review": gettext("推荐单位审核"),
            "cast_review": gettext("中国科协审核"),
        }[window]
        fmt = "%Y-%m-%d %H:%M"
        if self.closed_at is not None and now >= self.closed_at:
            return gettext("本批次已于 %(when)s 关闭") % {"when": timezone.localtime(self.closed_at).strftime(fmt)}
        if opens is not None and now < opens:
            return gettext("%(name)s窗口尚未开放（%(when)s 开始）") % {
                "name": name,
                "when": timezone.localtime(opens).strftime(fmt),
            }
        if now > closes:
            return gettext("%(name)s窗口已于 %(when)s 关闭") % {
                "name": name,
                "when": timezone.localtime(closes).strftime(fmt),
            }
        return None


class ReturnStage(models.TextChoices):
    """Who returned a record for revision (退回修改): the party that may extend its 补正期限
    or, once it lapsed, decline the record."""

    RECOMMENDER = "recommender", _("推荐单位审核")
    CAST = "cast", _("中国科协形式审查")


class WorkflowRecord(models.Model):
    """Base of every record a flow moves: applications, nominations, the test record.

    ``state`` is written only by the flow's state setter, called only by
    ``workflows.services.transition``.
    """

    round = models.ForeignKey(Round, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("申报单位"), on_delete=models.PROTECT, related_name="+"
    )
    recommending_unit = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("推荐单位"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("状态"), max_length=30, db_index=True, editable=False)
    current_revision_hash = models.CharField(_("当前版本哈希"), max_length=64, blank=True, editable=False)
    # The open return for revision (set by a return, cleared by the resubmission): until when
    # the applicant may resubmit (补正期限, inclusive, a local date), who returned it and why.
    # Written only by transitions (workflows/revision.py); the audit events keep every one.
    revision_due = models.DateField(_("补正期限"), null=True, blank=True, editable=False)
    returned_by_stage = models.CharField(
        _("退回环节"), max_length=20, choices=ReturnStage.choices, blank=True, editable=False
    )
    return_opinion = models.TextField(_("退回意见"), blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Set by each concrete record type.
    flow_class: ClassVar[type]
    # Text fields whose content is scanned and hashed into a revision.
    content_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            # A new record starts in its flow's initial state and is reviewed by the
            # recommending unit of its organization at that time.
            if not self.state:
                self.state = self.flow_class.States.DRAFT
            if self.recommending_unit_id is None and self.organization_id is not None:
                self.recommending_unit_id = self.organization.recommending_unit_id
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The record's page: its type's own (registry), else the engine's generic one."""
        from django.urls import reverse

        from .registry import record_type_of

        declared = record_type_of(self)
        if declared is not None:
            return reverse(f"{declared.slug}:detail", args=[self.pk])
        return reverse("workflows:record", kwargs={"record_type": self.record_type(), "pk": self.pk})

    @classmethod
    def record_type(cls) -> str:
        return cls._meta.label_lower

    def get_flow(self) -> Any:
        return self.flow_class(self)

    def content_snapshot(self) -> dict[str, Any]:
        """The content a revision keeps: text fields and attachment digests.

        Concrete types extend it (tables, amounts, attachments)."""
        return {name: _jsonable(getattr(self, name)) for name in self.content_fields}

    def scan_text(self) -> list[tuple[str, str]]:
        """(field label, text) pairs the sensitive-term scanner reads."""
        return [
            (str(self._meta.get_field(name).verbose_name), str(getattr(self, name) or ""))
            for name in self.content_fields
            if isinstance(getattr(self, name), str)
        ]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "quantize"):
        return str(value)
    return value


class Revision(models.Model):
    """A snapshot of a record's content at a submission, with its content hash."""

    record_type = models.CharField(_("记录类型"), max_length=100)
    record_id = models.BigIntegerField(_("记录编号"))
    number = models.PositiveIntegerField(_("版本号"))
    content = models.JSONField(_("内容"))
    content_hash = models.CharField(_("内容哈希"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("版本")
        verbose_name_plural = _("版本")
        ordering = ["record_type", "record_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "record_id", "number"], name="unique_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id} v{self.number}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit events are append-only: update refused")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only: delete refused")


class AppendOnly(models.Model):
    """A row written once and never changed (the audit trail and its ledger)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(f"{self._meta.label} is append-only: update refused")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(f"{self._meta.label} is append-only: delete refused")


class AuditEvent(AppendOnly):
    """One event of a record's hash chain: ``prev_hash`` is the hash of the record's previous
    event (``record_seq`` - 1), so each record's history is its own chain, appended under the
    record's own row lock. The sequencer puts every event into the ledger's Merkle log
    (``LedgerLeaf``), which orders them all and is what the signed checkpoints cover.

    The client address is not hashed as such: the chain holds a commitment to it
    (SHA-256 of a random nonce and the address), so a proof can be shown to someone who may not
    see the address."""

    record_type = models.CharField(_("记录类型"), max_length=100)
    record_id = models.BigIntegerField(_("记录编号"))
    record_seq = models.PositiveIntegerField(_("记录内序号"))
    action = models.CharField(_("动作"), max_length=60)
    from_state = models.CharField(_("原状态"), max_length=30, blank=True)
    to_state = models.CharField(_("新状态"), max_length=30, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    actor_org = models.CharField(_("操作人单位代码"), max_length=50, blank=True)
    actor_role = models.CharField(_("操作人角色"), max_length=30, blank=True)
    opinion = models.TextField(_("意见"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    revision_hash = models.CharField(_("版本哈希"), max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(_("客户端地址"), null=True, blank=True)
    ip_nonce = models.CharField(_("地址承诺随机数"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("时间"))
    prev_hash = models.CharField(_("前一哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["pk"]
        constraints = [
            # Two writers that both skipped the record's lock cannot fork its chain: the second
            # insert fails (and is retried) instead.
            models.UniqueConstraint(fields=["record_type", "record_id", "record_seq"], name="one_event_per_record_seq")
        ]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id}/{self.record_seq} {self.action}"


class LedgerPending(models.Model):
    """An event committed but not yet in the Merkle log: the sequencer's queue. Written in the
    same transaction as the event, removed by the sequencer when it appends the leaf."""

    event = models.OneToOneField(AuditEvent, primary_key=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("待入账审计事件")
        verbose_name_plural = _("待入账审计事件")

    def __str__(self) -> str:
        return f"pending {self.event_id}"


class LedgerLeaf(AppendOnly):
    """Leaf ``index`` of the Merkle log: SHA-256(0x00 || event hash) (RFC 9162 leaf hash)."""

    index = models.BigIntegerField(_("叶子序号"), primary_key=True)
    event = models.OneToOneField(
        AuditEvent, verbose_name=_("审计事件"), on_delete=models.PROTECT, related_name="ledger_leaf"
    )
    hash = models.CharField(_("叶子哈希"), max_length=64)

    class Meta:
        verbose_name = _("账本叶子")
        verbose_name_plural = _("账本叶子")
        ordering = ["index"]

    def __str__(self) -> str:
        return f"leaf {self.index}"


class LedgerNode(AppendOnly):
    """A complete subtree of the log above the leaves: level ``level`` ≥ 1, covering leaves
    [index·2^level, (index+1)·2^level). Derived data kept for proofs; verify_audit re-computes it."""

    level = models.PositiveSmallIntegerField(_("层"))
    index = models.BigIntegerField(_("序号"))
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("账本节点")
        verbose_name_plural = _("账本节点")
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="one_ledger_node_per_position")]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class LedgerCheckpoint(AppendOnly):
    """A signed tree head: the log's size and root at a time, signed with the Ed25519 key kept
    outside the database (C2SP checkpoint note), and also written to the checkpoint file."""

    tree_size = models.BigIntegerField(_("树大小"), unique=True)
    root_hash = models.CharField(_("根哈希"), max_length=64)
    timestamp = models.DateTimeField(_("签发时间"))
    origin = models.CharField(_("日志名称"), max_length=200)
    key_id = models.CharField(_("密钥标识"), max_length=8)
    signature = models.CharField(_("签名"), max_length=200)

    class Meta:
        verbose_name = _("账本检查点")
        verbose_name_plural = _("账本检查点")
        ordering = ["tree_size"]

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"


class NumberSequence(models.Model):
    """The last number handed out of one series (approval numbers of a year, certificates of a
    year): locked and moved by the transition that takes the next one."""

    year = models.PositiveSmallIntegerField(_("年度"))
    series = models.CharField(_("序列"), max_length=100)
    last = models.PositiveIntegerField(_("最后编号"), default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")
        constraints = [models.UniqueConstraint(fields=["year", "series"], name="one_number_sequence")]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last}"


class Severity(models.TextChoices):
    NOTICE = "notice", _("提示")
    REVIEW = "review", _("需人工审核")
    BLOCK = "block", _("须人工决定")


class SensitiveTerm(models.Model):
    term = models.CharField(_("词语"), max_length=100, unique=True)
    category = models.CharField(_("类别"), max_length=50, default="general")
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, default=Severity.REVIEW)
    # Context exceptions kept by CAST: phrases containing the term in which it is no finding
    # ("防范传销", "打击传销" for "传销"), since the programme asks volunteers to campaign against
    # exactly what the term names.
    exceptions = models.JSONField(_("例外短语"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("敏感词")
        verbose_name_plural = _("敏感词")
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term


class CheckpointStage(models.TextChoices):
    SUBMISSION = "submission", _("提交扫描")
    RECOMMENDER = "recommender", _("推荐单位内容审核")
    CAST = "cast", _("中国科协内容审核")
    PUBLICATION = "publication", _("发布前内容审核")


class Verdict(models.TextChoices):
    PASS = "pass", _("通过")
    FAIL = "fail", _("不通过")


class Checkpoint(models.Model):
    """A content-review verdict on one revision of a record at one stage (内容审核)."""

    record_type = models.CharField(_("记录类型"), max_length=100)
    record_id = models.BigIntegerField(_("记录编号"))
    stage = models.CharField(_("审核环节"), max_length=20, choices=CheckpointStage.choices)
    revision_hash = models.CharField(_("版本哈希"), max_length=64)
    findings = models.JSONField(_("扫描结果"), default=list, blank=True)
    verdict = models.CharField(_("结论"), max_length=10, choices=Verdict.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("审核单位"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opinion = models.TextField(_("审核意见"), blank=True)
    # The findings of the highest severity this verdict answered for (a reviewer's verdict only):
    # those are never passed without a person's decision and written reason.
    addressed = models.JSONField(_("已处理的扫描发现"), default=list, blank=True)
    created_at = models.DateTimeField(_("审核时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("内容审核")
        verbose_name_plural = _("内容审核")
        ordering = ["record_type", "record_id", "created_at", "pk"]
        indexes = [models.Index(fields=["record_type", "record_id", "stage"])]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id} {self.stage} {self.verdict}"


class AssignmentStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已完成")
    WITHDRAWN = "withdrawn", _("已撤回")


class ReviewAssignment(models.Model):
    """A task on a record for one person: the basis of every "my tasks" queue."""

    record_type = models.CharField(_("记录类型"), max_length=100)
    record_id = models.BigIntegerField(_("记录编号"))
    stage = models.CharField(_("环节"), max_length=30)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        on_delete=models.PROTECT,
        related_name="review_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分配人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("截止日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.OPEN)
    created_at = models.DateTimeField(_("分配时间"), auto_now_add=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评审任务")
        verbose_name_plural = _("评审任务")
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["record_type", "record_id", "stage"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id", "stage", "assignee"],
                condition=models.Q(status="open"),
                name="one_open_assignment_per_person_and_stage",
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id} {self.stage} → {self.assignee}"

    @property
    def stage_label(self) -> str:
        from .flows import ASSIGNMENT_STAGE_LABELS

        return str(ASSIGNMENT_STAGE_LABELS.get(self.stage, self.stage))

    @property
    def overdue(self) -> bool:
        return (
            self.status == AssignmentStatus.OPEN and self.due_date is not None and self.due_date < timezone.localdate()
        )


class Score(models.Model):
    """An assigned expert's weighted scores (0–100 per criterion) with a comment, on a record of
    any type: one table, like every other side table of the engine."""

    record_type = models.CharField(_("记录类型"), max_length=100)
    record_id = models.BigIntegerField(_("记录编号"))
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评审专家"), on_delete=models.PROTECT, related_name="+"
    )
    scores = models.JSONField(_("各项得分"))
    total = models.DecimalField(_("加权总分"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("评审意见"))
    submitted_at = models.DateTimeField(_("提交时间"), auto_now=True)

    class Meta:
        verbose_name = _("专家评分")
        verbose_name_plural = _("专家评分")
        ordering = ["record_type", "record_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "record_id", "expert"], name="one_score_per_record_expert")
        ]
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id} {self.expert_id} {self.total}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    # The server makes the storage name; the uploaded name is kept only as data.
    import uuid

    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(instance.content_type, "bin")
    return f"attachments/{instance.record_type}/{instance.record_id}/{uuid.uuid4().hex}.{ext}"


class Attachment(models.Model):
    """A file attached to a record: its type recognized by its bytes, its digest kept."""

    record_type = models.CharField(_("记录类型"), max_length=100)
    record_id = models.BigIntegerField(_("记录编号"))
    kind = models.CharField(_("附件类型"), max_length=40)
    file = models.FileField(_("文件"), upload_to=_attachment_path, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件类型"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["record_type", "record_id", "kind", "pk"]
        indexes = [models.Index(fields=["record_type", "record_id", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.original_name}"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("未执行（全部保持不变）")


class Job(models.Model):
    """A bulk action too large for one web request (more than ``BULK_JOB_THRESHOLD`` records),
    run by a Celery worker: still all or nothing, with its progress readable meanwhile."""

    kind = models.CharField(_("类型"), max_length=40, default="bulk_transition")
    record_type = models.CharField(_("记录类型"), max_length=100)
    record_ids = models.JSONField(_("记录编号"), default=list)
    transition = models.CharField(_("操作"), max_length=60)
    transition_label = models.CharField(_("操作名称"), max_length=100, blank=True)
    opinion = models.TextField(_("意见"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    client_ip = models.GenericIPAddressField(_("客户端地址"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    total = models.PositiveIntegerField(_("记录数"), default=0)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    errors = models.JSONField(_("问题"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.transition_label or self.transition} ×{self.total} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    def progress(self) -> int:
        """Records processed so far: while it runs, the count the worker publishes in the cache
        (its transaction is not visible until it commits)."""
        if self.status == JobStatus.RUNNING:
            from django.core.cache import cache

            return int(cache.get(job_progress_key(self.pk)) or 0)
        return self.done

    def percent(self) -> int:
        return 100 if self.status == JobStatus.DONE else int(100 * self.progress() / self.total) if self.total else 0


def job_progress_key(pk: int) -> str:
    return f"workflows:job:{pk}:done"


class RoundDocumentKind(models.TextChoices):
    GUIDE = "guide", _("申报指南")
    TEMPLATE = "template", _("申报书模板")
    INSTRUCTIONS = "instructions", _("填表说明")
    OTHER = "other", _("其他文件")


class RoundDocument(models.Model):
    """A file of a round that applicants download: the guide, the official form template, the
    instructions for filling it in."""

    round = models.ForeignKey(Round, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("文件类型"), max_length=20, choices=RoundDocumentKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    file = models.FileField(_("文件"), upload_to="rounds/%Y/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件格式"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("批次文件")
        verbose_name_plural = _("批次文件")
        ordering = ["round", "kind", "pk"]

    def __str__(self) -> str:
        return self.title


class UnitDeadline(models.Model):
    """A recommending unit's own, earlier deadline for its subordinate units' submissions in a
    round (推荐单位内部截止时间): set by that unit, at or before the round's."""

    round = models.ForeignKey(Round, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="unit_deadlines")
    unit = models.ForeignKey(
        "accounts.Organization", verbose_name=_("推荐单位"), on_delete=models.CASCADE, related_name="deadlines"
    )
    closes_at = models.DateTimeField(_("内部申报截止"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("推荐单位内部截止时间")
        verbose_name_plural = _("推荐单位内部截止时间")
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="unique_unit_deadline")]

    def __str__(self) -> str:
        return f"{self.round} · {self.unit}"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class CalendarDay(models.Model):
    """CAST's own entry in the official calendar: a holiday or a worked weekend day, for a year
    the ``chinese-calendar`` package does not cover yet (or a correction to it)."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=CalendarDayKind.choices)
    note = models.CharField(_("说明"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class MeetingKind(models.TextChoices):
    MINISTERIAL = "ministerial", _("部务会")
    SPECIAL = "special", _("专题会")


class DecisionMeeting(models.Model):
    """审定: the meeting (部务会, 专题会) that decided a round's records before their 公示 —
    recorded by CAST staff with its participants and minutes (a PDF). Approving a record for the
    public notice (``propose``, ``shortlist``) requires the record to be decided here
    (``conditions.decided_in_meeting``)."""

    round = models.ForeignKey(Round, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="decision_meetings")
    kind = models.CharField(_("会议类型"), max_length=20, choices=MeetingKind.choices)
    name = models.CharField(_("会议名称"), max_length=200)
    held_on = models.DateField(_("会议日期"))
    participants = models.TextField(_("参会人员"))
    minutes = models.FileField(_("会议纪要"), upload_to="decisions/%Y/", blank=True)
    minutes_name = models.CharField(_("纪要原文件名"), max_length=255, blank=True)
    minutes_size = models.PositiveBigIntegerField(_("纪要大小（字节）"), null=True, blank=True)
    minutes_sha256 = models.CharField(_("纪要 SHA-256"), max_length=64, blank=True)
    minutes_uploaded_at = models.DateTimeField(_("纪要上传时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("审定会议")
        verbose_name_plural = _("审定会议")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_minutes(self) -> bool:
        return bool(self.minutes_sha256)


class Decision(models.TextChoices):
    APPROVE = "approve", _("同意（拟立项／拟入选）")
    REJECT = "reject", _("不同意（不予立项／不入选）")


class DecisionItem(models.Model):
    """A record a decision meeting decided, with the decision and, for funding, the amount."""

    meeting = models.ForeignKey(
        DecisionMeeting, verbose_name=_("审定会议"), on_delete=models.CASCADE, related_name="items"
    )
    record_type = models.CharField(_("记录类型"), max_length=100)
    record_id = models.BigIntegerField(_("记录编号"))
    decision = models.CharField(_("审定结果"), max_length=20, choices=Decision.choices)
    amount = models.DecimalField(_("审定金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("添加人"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("添加时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审定事项")
        verbose_name_plural = _("审定事项")
        ordering = ["meeting", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "record_type", "record_id"], name="one_item_per_meeting_record")
        ]
        indexes = [models.Index(fields=["record_type", "record_id"], name="decision_item_record")]

    def __str__(self) -> str:
        return f"{self.meeting} {self.record_type}#{self.record_id}"
