"""Issued documents (each with the verification code printed on it) and batch jobs."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Crockford's base 32: no I, L, O or U, so a code read off paper is not mistyped.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits: not guessable, short enough to type


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """What a person typed or a link carried, as stored: upper case, no separators, and the
    letters people confuse with digits read as those digits."""
    value = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    return value.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


class DocumentKind(models.TextChoices):
    APPLICATION_FORM = "application_form", _("项目申报书")
    APPROVAL_NOTICE = "approval_notice", _("立项通知书")
    RESULT_LIST = "result_list", _("立项名单")
    NOTICE_LIST = "notice_list", _("公示名单")
    AUDIT_HISTORY = "audit_history", _("审计记录")
    NOMINATION_FORM = "nomination_form", _("推荐表")
    CERTIFICATE = "certificate", _("荣誉证书")
    WINNER_LIST = "winner_list", _("入选名单")


# Kinds whose first rendering is kept and served ever after: the issued original.
STORED_KINDS = frozenset({DocumentKind.APPROVAL_NOTICE, DocumentKind.CERTIFICATE})


def _document_path(instance: IssuedDocument, filename: str) -> str:
    return f"documents/{instance.kind}/{instance.code}.pdf"


class IssuedDocument(models.Model):
    """One document the system issued, identified by the code printed on every page.

    ``key`` says which version of the record it shows (the revision hash of an application
    form, the approval number of a notice, the digest of a list's rows), so asking again for
    the same version gives the same code. ``title``, ``number`` and ``issued_on`` are what the
    public verification page may show; nothing private goes into them.
    """

    code = models.CharField(_("验证码"), max_length=32, unique=True, default=new_code, editable=False)
    kind = models.CharField(_("文件类型"), max_length=30, choices=DocumentKind.choices)
    record_type = models.CharField(_("记录类型"), max_length=100)
    record_id = models.BigIntegerField(_("记录编号"))
    key = models.CharField(_("版本标识"), max_length=128)
    title = models.CharField(_("标题"), max_length=300)
    number = models.CharField(_("文号"), max_length=60, blank=True)
    issued_on = models.DateField(_("签发日期"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    file = models.FileField(_("文件"), upload_to=_document_path, max_length=255, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    rendered_at = models.DateTimeField(_("最近生成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("已签发文件")
        verbose_name_plural = _("已签发文件")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "record_type", "record_id", "key"], name="one_document_per_version")
        ]
        indexes = [models.Index(fields=["record_type", "record_id", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or self.title} ({self.code})"


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class BatchKind(models.TextChoices):
    APPROVAL_NOTICES = "approval_notices", _("立项通知书（整批）")
    CERTIFICATES = "certificates", _("荣誉证书（整批）")


def _batch_path(instance: BatchJob, filename: str) -> str:
    return f"batches/{instance.pk}/{filename}"


class BatchJob(models.Model):
    """A batch of documents for a whole round, built by a Celery task into one ZIP file."""

    kind = models.CharField(_("类型"), max_length=30, choices=BatchKind.choices)
    round = models.ForeignKey(
        "workflows.Round", verbose_name=_("批次"), on_delete=models.PROTECT, related_name="document_batches"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING, db_index=True
    )
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    file = models.FileField(_("压缩包"), upload_to=_batch_path, max_length=255, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量生成任务")
        verbose_name_plural = _("批量生成任务")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.round} · {self.get_status_display()}"

    @property
    def running(self) -> bool:
        return self.status in (BatchStatus.PENDING, BatchStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == BatchStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
