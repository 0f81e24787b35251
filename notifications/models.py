"""The outbox: one row per recipient and channel, written in the transaction of the change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内信")
    EMAIL = "email", _("电子邮件")


class Status(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    # An e-mail to someone without an account (an objector): the address, and the subject and
    # text in the context, written when the row is.
    address = models.EmailField(_("收件地址"), blank=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    message_key = models.CharField(_("消息类型"), max_length=60)
    context = models.JSONField(_("内容参数"), default=dict)
    dedup_key = models.CharField(_("去重键"), max_length=200, unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # When a worker last claimed the row (a row "sending" long after this is stuck), and the
    # earliest time of the next attempt after a failure (the relay leaves it alone till then).
    attempted_at = models.DateTimeField(_("最近尝试时间"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    # E-mail rows of users who chose a daily digest wait for the digest task instead of a worker.
    digest = models.BooleanField(_("汇总发送"), default=False)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "channel", "read_at"])]

    def __str__(self) -> str:
        return f"{self.message_key} → {self.recipient or self.address} ({self.channel})"


class Preference(models.Model):
    """A user's choices: which kinds of event reach them by e-mail, and single mails or a digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_muted = models.JSONField(_("不发送电子邮件的消息类型"), default=list, blank=True)
    daily_digest = models.BooleanField(_("每日汇总一封邮件"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return f"{self.user} preferences"
