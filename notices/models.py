"""Public notices (公示) of proposed results, and the public's objections (异议) to them.

A notice lists records of one type that are about to be approved or awarded; it passes a
content review (the records' "publication" checkpoint), is published — at once, or on a later
day it is scheduled for (定时发布) — for the round's number of working or calendar days, and is
closed when the records are issued. Only what a notice entry holds is ever shown
to the public: an objector's identity, phone and e-mail are for CAST staff and the auditor.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("待发布前内容审核")
    PASSED_REVIEW = "passed_review", _("内容审核通过（待发布）")
    SCHEDULED = "scheduled", _("已定时发布（待公示开始）")
    FAILED_REVIEW = "failed_review", _("内容审核不通过")
    PUBLISHED = "published", _("公示中")
    CLOSED = "closed", _("公示结束")


# A record may be on at most one notice in these statuses (a failed review ends a notice).
ACTIVE_NOTICE_STATUSES = (
    NoticeStatus.DRAFT,
    NoticeStatus.PASSED_REVIEW,
    NoticeStatus.SCHEDULED,
    NoticeStatus.PUBLISHED,
)
# A notice whose records may be put on notice by publishing it (now, or on its scheduled date).
PUBLISHABLE_NOTICE_STATUSES = (NoticeStatus.PASSED_REVIEW, NoticeStatus.SCHEDULED)
PUBLIC_NOTICE_STATUSES = (NoticeStatus.PUBLISHED, NoticeStatus.CLOSED)


class PublicNotice(models.Model):
    round = models.ForeignKey(
        "workflows.Round", verbose_name=_("批次"), on_delete=models.PROTECT, related_name="public_notices"
    )
    record_type = models.CharField(_("记录类型"), max_length=100)
    title = models.CharField(_("标题"), max_length=200)
    intro = models.TextField(_("说明"), blank=True)
    body = models.TextField(_("公示名单"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("内容审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_opinion = models.TextField(_("审核意见"), blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    # Published on a later day (定时发布): the beat task publishes it on that date, as the
    # staff member who scheduled it; until then its records stay where they are.
    scheduled_for = models.DateField(_("定时发布日期"), null=True, blank=True, db_index=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("定时发布设置人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Why the scheduled publication did not go through on its date (the task tries again).
    schedule_problems = models.JSONField(_("定时发布未成功的原因"), default=list, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    starts_on = models.DateField(_("公示开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("公示截止日期"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Where and how to object (受理): every real 公示 names them, on the page and the PDF. Filled
    # from the round's contacts when the notice is made; publishing needs the unit, a person and
    # a phone.
    accepting_unit = models.CharField(_("受理单位"), max_length=200, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=50, blank=True)
    contact_address = models.CharField(_("通讯地址"), max_length=200, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)

    # Not stored: True on the instance ``services.notice_publish`` returns when that very call
    # published the notice (a scheduled run tells "published" from "someone else did").
    just_published = False

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_NOTICE_STATUSES

    def phase(self, today: Any = None) -> str:
        """The status as the dates make it: a published notice whose period is over is
        "expired" (公示期满（待办结）) until staff finish it; otherwise its stored status."""
        from django.utils import timezone

        today = today or timezone.localdate()
        if self.status == NoticeStatus.PUBLISHED and self.ends_on is not None and today > self.ends_on:
            return "expired"
        return self.status

    def phase_label(self, today: Any = None) -> str:
        phase = self.phase(today)
        if phase == "expired":
            return str(_("公示期满（待办结）"))
        return str(NoticeStatus(phase).label)


class NoticeEntry(models.Model):
    """One record on a notice, with only the text that is published about it."""

    notice = models.ForeignKey(PublicNotice, verbose_name=_("公示"), on_delete=models.CASCADE, related_name="entries")
    record_type = models.CharField(_("记录类型"), max_length=100)
    record_id = models.BigIntegerField(_("记录编号"))
    position = models.PositiveIntegerField(_("序号"))
    public_title = models.CharField(_("公示名称"), max_length=300)
    public_summary = models.TextField(_("公示摘要"), blank=True)

    class Meta:
        verbose_name = _("公示条目")
        verbose_name_plural = _("公示条目")
        ordering = ["notice", "position"]
        indexes = [models.Index(fields=["record_type", "record_id"])]
        constraints = [
            models.UniqueConstraint(fields=["notice", "record_type", "record_id"], name="unique_notice_record"),
            models.UniqueConstraint(fields=["notice", "position"], name="unique_notice_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.public_title}"

    def get_record(self) -> Any:
        from workflows.registry import get_record_model

        model = get_record_model(self.record_type)
        return model.objects.get(pk=self.record_id) if model is not None else None


class ObjectionStatus(models.TextChoices):
    FILED = "filed", _("待处理")
    VERIFYING = "verifying", _("核查中")
    UPHELD = "upheld", _("异议成立")
    PARTLY_UPHELD = "partly_upheld", _("异议部分成立")
    DISMISSED = "dismissed", _("异议不成立")


# An objection in these statuses still waits for CAST's decision (it holds the record's issue).
OPEN_OBJECTION_STATUSES = (ObjectionStatus.FILED, ObjectionStatus.VERIFYING)


class ObjectionChannel(models.TextChoices):
    ONLINE = "online", _("网上提交")
    LETTER = "letter", _("来信")
    FAX = "fax", _("传真")
    EMAIL = "email", _("电子邮件")
    VISIT = "visit", _("来访")


class Objection(models.Model):
    """A real-name objection from the public to one entry of a published notice."""

    notice = models.ForeignKey(
        PublicNotice, verbose_name=_("公示"), on_delete=models.PROTECT, related_name="objections"
    )
    entry = models.ForeignKey(
        NoticeEntry, verbose_name=_("异议对象"), on_delete=models.PROTECT, related_name="objections"
    )
    reference = models.CharField(_("受理编号"), max_length=20, unique=True)
    objector_name = models.CharField(_("姓名"), max_length=50)
    # Optional, and never an ID-card number: a real-name objection needs a name and a phone.
    identity = models.CharField(_("职务或身份"), max_length=100, blank=True)
    unit = models.CharField(_("工作单位"), max_length=200)
    phone = models.CharField(_("联系电话"), max_length=20)
    email = models.EmailField(_("电子邮箱"), blank=True)
    content = models.TextField(_("异议内容"))
    status = models.CharField(
        _("状态"), max_length=20, choices=ObjectionStatus.choices, default=ObjectionStatus.FILED, db_index=True
    )
    # How it arrived: online through the form, or by letter, fax, e-mail or visit, entered by
    # CAST staff (registered_by) with the day it was received and the scan as evidence.
    channel = models.CharField(
        _("受理方式"), max_length=10, choices=ObjectionChannel.choices, default=ObjectionChannel.ONLINE
    )
    received_on = models.DateField(_("收到日期"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # 核查: the recommending unit is asked to verify by a due date; its findings come back here.
    verify_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("核查单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verify_due = models.DateField(_("核查期限"), null=True, blank=True)
    verify_request = models.TextField(_("核查要求"), blank=True)
    verify_findings = models.TextField(_("核查情况"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    verify_reminded_on = models.DateField(_("核查提醒日期"), null=True, blank=True)
    decision_reason = models.TextField(_("处理理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(_("提交地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.reference


def _evidence_path(instance: ObjectionEvidence, filename: str) -> str:
    # The server makes the storage name; the uploaded name is kept only as data.
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(instance.content_type, "bin")
    return f"objections/{instance.objection.reference}/{uuid.uuid4().hex}.{ext}"


class ObjectionEvidence(models.Model):
    objection = models.ForeignKey(Objection, verbose_name=_("异议"), on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), upload_to=_evidence_path, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件类型"), max_length=100)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")
        ordering = ["objection", "pk"]

    def __str__(self) -> str:
        return self.original_name
