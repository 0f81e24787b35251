"""What the administration areas keep besides the tables they administer.

People (``administration.people``): invitations by e-mail, and units' requests to register
themselves. Their changes are audited on their own chains (``administration.audit``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgType, Role


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("待接受")
    ACCEPTED = "accepted", _("已接受")
    EXPIRED = "expired", _("已过期")


class Invitation(models.Model):
    """An e-mail invitation to join a unit in a role: a single-use link valid until
    ``expires_at`` (``settings.INVITATION_DAYS``). Only the SHA-256 of the link's token is kept,
    so the table does not hold working links."""

    email = models.EmailField(_("电子邮箱"))
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    token_hash = models.CharField(_("链接摘要"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("邀请人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接受后的账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("邀请")
        verbose_name_plural = _("邀请")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.email} · {self.get_role_display()} · {self.organization_id}"

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    def get_status_display(self) -> str:
        return str(InvitationStatus(self.status).label)


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class UnitRegistration(models.Model):
    """A unit's request to register itself under a parent, with its first applicant's account.

    The password is kept only as Django's hash; approving creates the unit, the user (signing
    in with that password) and the applicant membership."""

    parent = models.ForeignKey(
        "accounts.Organization", verbose_name=_("上级单位"), on_delete=models.PROTECT, related_name="+"
    )
    unit_name = models.CharField(_("单位名称"), max_length=200)
    unit_type = models.CharField(_("单位类型"), max_length=30, choices=OrgType.choices)
    username = models.CharField(_("用户名"), max_length=150)
    display_name = models.CharField(_("联系人姓名"), max_length=100)
    email = models.EmailField(_("电子邮箱"))
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    password_hash = models.CharField(_("密码摘要"), max_length=128)
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("审核意见"), blank=True)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("创建的单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建的账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("单位注册申请")
        verbose_name_plural = _("单位注册申请")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "parent"])]

    def __str__(self) -> str:
        return self.unit_name
