"""Four Top-Ten nominations (推荐表): the record, its category fields, opinions and scores."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from workflows.attachments import AttachmentKind
from workflows.models import Attachment, WorkflowRecord

from .flows import NominationFlow

MB = 1024 * 1024


class Category(models.TextChoices):
    VOLUNTEER = "volunteer", _("十佳科技志愿者")
    TEAM = "team", _("十佳科技志愿服务队")
    PROJECT = "project", _("十佳科技志愿服务项目")
    SITE = "site", _("十佳科技志愿服务点（社区或村）")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Nomination(WorkflowRecord):
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    nominee_name = models.CharField(_("被推荐对象名称"), max_length=100)
    # person (volunteer)
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    person_org = models.CharField(_("工作单位"), max_length=200, blank=True)
    person_title = models.CharField(_("职务/职称"), max_length=100, blank=True)
    volunteer_number = models.CharField(_("科技志愿服务平台注册编号"), max_length=50, blank=True)
    # team / organization
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    registered_volunteers = models.PositiveIntegerField(_("注册志愿者人数"), null=True, blank=True)
    # project
    period_start = models.DateField(_("项目开始日期"), null=True, blank=True)
    period_end = models.DateField(_("项目结束日期"), null=True, blank=True)
    organizer = models.CharField(_("组织实施单位"), max_length=200, blank=True)
    # site
    site_region = models.CharField(_("所在地区"), max_length=200, blank=True)
    site_kind = models.CharField(_("服务点类型（社区或村）"), max_length=20, blank=True)
    # service record
    activities = models.PositiveIntegerField(_("开展服务活动次数"), null=True, blank=True)
    service_hours = models.DecimalField(_("服务时长（小时）"), max_digits=10, decimal_places=1, null=True, blank=True)
    deeds = models.TextField(_("主要事迹"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    # the three opinion blocks
    unit_opinion = models.TextField(_("申报单位意见"), blank=True)
    unit_opinion_signer = models.CharField(_("申报单位负责人"), max_length=50, blank=True)
    unit_opinion_date = models.DateField(_("申报单位意见日期"), null=True, blank=True)
    recommender_opinion = models.TextField(_("推荐单位意见"), blank=True, editable=False)
    recommender_signer = models.CharField(_("推荐单位签署人"), max_length=50, blank=True, editable=False)
    recommender_date = models.DateField(_("推荐单位意见日期"), null=True, blank=True, editable=False)
    cast_opinion = models.TextField(_("中国科协意见"), blank=True, editable=False)
    cast_signer = models.CharField(_("中国科协签署人"), max_length=50, blank=True, editable=False)
    cast_date = models.DateField(_("中国科协意见日期"), null=True, blank=True, editable=False)
    # decisions
    eligibility_override_reason = models.TextField(_("资格条件例外理由"), blank=True, editable=False)
    shortlist_reason = models.TextField(_("选定理由"), blank=True, editable=False)
    promoted = models.BooleanField(_("递补"), default=False, editable=False)
    certificate_number = models.CharField(
        _("证书编号"), max_length=40, null=True, blank=True, unique=True, editable=False
    )
    awarded_at = models.DateTimeField(_("公布时间"), null=True, blank=True, editable=False)

    flow_class = NominationFlow
    ATTACHMENT_KINDS = {
        "photo": AttachmentKind(
            _("工作照片（JPG，1–3 MB）"),
            ("image/jpeg",),
            "applicant",
            NominationFlow.editable_states,
            max_count=5,
            min_bytes=1 * MB,
            max_bytes=3 * MB,
        ),
        "id_photo": AttachmentKind(
            _("二寸证件照（JPG，1–3 MB）"),
            ("image/jpeg",),
            "applicant",
            NominationFlow.editable_states,
            min_bytes=1 * MB,
            max_bytes=3 * MB,
        ),
        "unit_opinion": AttachmentKind(
            _("申报单位盖章意见（PDF）"), ("application/pdf",), "applicant", NominationFlow.editable_states
        ),
        "recommender_opinion": AttachmentKind(
            _("推荐单位盖章意见（PDF）"), ("application/pdf",), "recommender", frozenset({"submitted"})
        ),
    }
    content_fields = (
        "nominee_name",
        "person_org",
        "person_title",
        "organizer",
        "site_region",
        "deeds",
        "unit_opinion",
    )

    class Meta:
        verbose_name = _("四个十佳推荐")
        verbose_name_plural = _("四个十佳推荐")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["round", "category", "state"]),
            models.Index(fields=["recommending_unit", "state"]),
            models.Index(fields=["organization", "state"]),
            # The awarded ones of the round are counted to number the next certificate
            # (flows.award): without it the whole round was scanned on every award.
            models.Index(fields=["round", "certificate_number"]),
        ]

    def __str__(self) -> str:
        return self.nominee_name or f"#{self.pk}"

    def content_snapshot(self) -> dict[str, Any]:
        data = super().content_snapshot()
        for name in (
            "category",
            "gender",
            "volunteer_number",
            "registered_volunteers",
            "activities",
            "contact_name",
            "contact_phone",
            "unit_opinion_signer",
            "site_kind",
        ):
            data[name] = getattr(self, name)
        for name in ("birth_date", "founded_on", "period_start", "period_end", "unit_opinion_date"):
            value = getattr(self, name)
            data[name] = value.isoformat() if value else None
        data["service_hours"] = str(self.service_hours) if self.service_hours is not None else None
        data["attachments"] = sorted(
            [a.kind, a.sha256]
            for a in Attachment.objects.filter(
                record_type=self.record_type(),
                record_id=self.pk,
                kind__in=[k for k, spec in self.ATTACHMENT_KINDS.items() if spec.who == "applicant"],
            )
        )
        return data

    def public_summary(self) -> dict[str, str]:
        """What the public notice shows: category, name, unit and a summary of the deeds —
        no phone numbers, no identity numbers, no birth date."""
        deeds = " ".join(self.deeds.split())
        summary = deeds if len(deeds) <= 300 else deeds[:300] + "……"
        return {
            "title": self.nominee_name,
            "summary": f"{self.get_category_display()} · {self.organization.name} · {summary}",
        }
