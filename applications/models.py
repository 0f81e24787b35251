"""Zhihui Action sub-project applications (申报书): the record, its team, budget and scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from workflows.attachments import AttachmentKind
from workflows.models import Attachment, Round, WorkflowRecord

from .flows import ApplicationFlow


class SubprojectType(models.Model):
    """A sub-project of a round (子项目), with the organization types that may apply."""

    round = models.ForeignKey(Round, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="subprojects")
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    eligible_org_types = models.JSONField(_("可申报的组织类型"), default=list)
    pilot_only = models.BooleanField(_("仅限试点县"), default=False)
    # 限项: how many live applications one unit may have in this sub-project of the round.
    # None: the round's per_unit_limit setting (default 1).
    per_unit_limit = models.PositiveSmallIntegerField(_("每单位限报数"), null=True, blank=True)
    # How many a recommending unit may recommend to it (None: the round's recommender_quota,
    # itself None unless the round sets one: no quota).
    quota = models.PositiveSmallIntegerField(_("推荐名额"), null=True, blank=True)
    # The funds set aside for the sub-project this round (预算额度), for CAST's planning.
    envelope_yuan = models.DecimalField(_("预算额度（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    # Which section of its own the form asks for (applications.sections.KINDS): chosen by CAST
    # staff on the sub-project editor, so that a later year's sub-project brings its own.
    section_kind = models.CharField(_("本子项目专门内容"), max_length=40, blank=True, default="")

    class Meta:
        verbose_name = _("子项目")
        verbose_name_plural = _("子项目")
        ordering = ["round", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["round", "code"], name="unique_subproject_code")]

    def __str__(self) -> str:
        return self.name

    def eligibility_problem(self, organization: Any) -> str | None:
        """Why ``organization`` may not apply to this sub-project (its type, not a pilot
        county), in words for the applicant; None when it may."""
        from django.utils.translation import gettext

        if self.eligible_org_types and organization.type not in self.eligible_org_types:
            return gettext("本单位类型（%(type)s）不能申报“%(sub)s”") % {
                "type": organization.get_type_display(),
                "sub": self.name,
            }
        if self.pilot_only and not organization.pilot_county:
            return gettext("“%(sub)s”仅限新时代文明实践中心试点县申报") % {"sub": self.name}
        return None

    @property
    def section(self) -> Any:
        """Its section kind (applications.sections): the fields its applications fill."""
        from .sections import kind_of

        return kind_of(self.section_kind)

    def quota_for_round(self) -> int | None:
        """How many a recommending unit may recommend to it: its own quota, else the round's
        (None: no quota — the round set none)."""
        return self.quota if self.quota is not None else self.round.typed_settings.recommender_quota

    def limit_for_round(self) -> int:
        """限项: how many live applications one unit may have in it: its own limit, else the
        round's per_unit_limit."""
        return self.per_unit_limit if self.per_unit_limit is not None else self.round.typed_settings.per_unit_limit


class Application(WorkflowRecord):
    subproject = models.ForeignKey(
        SubprojectType, verbose_name=_("子项目"), on_delete=models.PROTECT, related_name="applications"
    )
    name = models.CharField(_("项目名称"), max_length=200)
    leader_name = models.CharField(_("项目负责人"), max_length=50, blank=True)
    leader_title = models.CharField(_("负责人职务/职称"), max_length=100, blank=True)
    leader_phone = models.CharField(_("负责人电话"), max_length=30, blank=True)
    leader_mobile = models.CharField(_("负责人手机"), max_length=30, blank=True)
    leader_email = models.EmailField(_("负责人电子邮箱"), blank=True)
    region_province = models.CharField(_("服务地区（省）"), max_length=50, blank=True)
    region_city = models.CharField(_("服务地区（市）"), max_length=50, blank=True)
    region_county = models.CharField(_("服务地区（县）"), max_length=50, blank=True)
    # Derived from the applicant unit (Organization.pilot_county) whenever the form is saved:
    # the applicant no longer declares it.
    pilot_county = models.BooleanField(_("是否试点县"), default=False, editable=False)
    target_groups = models.TextField(_("服务对象"), blank=True)
    period_start = models.DateField(_("实施开始日期"), null=True, blank=True)
    period_end = models.DateField(_("实施结束日期"), null=True, blank=True)
    basis = models.TextField(_("立项依据与目的"), blank=True)
    content = models.TextField(_("主要内容"), blank=True)
    # The free-text targets of records made before the 绩效目标表 (``performance``): kept and
    # shown for them, no longer written.
    targets = models.TextField(_("绩效目标（文字，旧版）"), blank=True)
    outcomes = models.TextField(_("预期成果"), blank=True)
    conditions = models.TextField(_("实施条件"), blank=True)
    requested_amount = models.DecimalField(_("申请金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    commitment = models.BooleanField(_("内容承诺"), default=False)
    commitment_signer = models.CharField(_("承诺人（单位负责人）"), max_length=50, blank=True)
    # The sub-project's own section (its kind: ``subproject.section``), the common section, the
    # schedule (实施进度安排: [{when, activity}]) and the 绩效目标表 ([{level1, level2, name,
    # value}]): see applications.sections.
    section = models.JSONField(_("子项目专门内容"), default=dict, blank=True)
    common = models.JSONField(_("共同信息"), default=dict, blank=True)
    schedule = models.JSONField(_("实施进度安排"), default=list, blank=True)
    performance = models.JSONField(_("绩效目标表"), default=list, blank=True)
    funding_amount = models.DecimalField(
        _("拟资助金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    approval_number = models.CharField(_("立项编号"), max_length=40, null=True, blank=True, unique=True, editable=False)
    issued_at = models.DateTimeField(_("立项时间"), null=True, blank=True, editable=False)

    flow_class = ApplicationFlow
    ATTACHMENT_KINDS = {
        "sealed_application": AttachmentKind(
            _("加盖公章的申报书（PDF）"), ("application/pdf",), "applicant", ApplicationFlow.editable_states
        ),
        # Required when the unit is its own recommending unit (submit_to_cast): its opinion
        # stands where a recommending unit's would.
        "unit_opinion": AttachmentKind(
            _("申报单位盖章意见（PDF，本单位即推荐单位时必传）"),
            ("application/pdf",),
            "applicant",
            ApplicationFlow.editable_states,
        ),
        "supervisor_opinion": AttachmentKind(
            _("主管单位盖章意见（PDF）"), ("application/pdf",), "applicant", ApplicationFlow.editable_states
        ),
        "other": AttachmentKind(
            _("其他附件"),
            ("application/pdf", "image/jpeg", "image/png"),
            "applicant",
            ApplicationFlow.editable_states,
            max_count=10,
        ),
        "recommender_opinion": AttachmentKind(
            _("推荐单位盖章意见（PDF）"), ("application/pdf",), "recommender", frozenset({"submitted"})
        ),
    }
    content_fields = (
        "name",
        "leader_name",
        "leader_title",
        "region_province",
        "region_city",
        "region_county",
        "target_groups",
        "basis",
        "content",
        "targets",
        "outcomes",
        "conditions",
    )

    class Meta:
        verbose_name = _("项目申报")
        verbose_name_plural = _("项目申报")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["round", "subproject", "state"]),
            models.Index(fields=["recommending_unit", "state"]),
            models.Index(fields=["organization", "state"]),
            # Looked up on every transition of a round that has 100,000 applications, which
            # without them were scanned whole: a name by the duplicate check (多头申报,
            # flows.duplicates, at formal review); the issued ones, counted to number the next
            # approval (flows.issue).
            models.Index(fields=["round", "name"]),
            models.Index(fields=["round", "approval_number"]),
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    def content_snapshot(self) -> dict[str, Any]:
        """Every field, the team, the budget and the digests of the applicant's attachments."""
        data = super().content_snapshot()
        data.update(
            {
                "subproject": self.subproject.code,
                "leader_phone": self.leader_phone,
                "leader_mobile": self.leader_mobile,
                "leader_email": self.leader_email,
                "pilot_county": self.pilot_county,
                "period_start": self.period_start.isoformat() if self.period_start else None,
                "period_end": self.period_end.isoformat() if self.period_end else None,
                "requested_amount": str(self.requested_amount) if self.requested_amount is not None else None,
                "commitment": self.commitment,
                "commitment_signer": self.commitment_signer,
                "team": [
                    {
                        "name": m.name,
                        "education": m.education,
                        "qualification": m.qualification,
                        "role": m.role,
                        "phone": m.phone,
                    }
                    for m in self.team.all()
                ],
                "budget": [
                    {"category": b.category, "item": b.item, "amount": str(b.amount), "note": b.note}
                    for b in self.budget_lines.all()
                ],
                "section_kind": self.subproject.section_kind,
                "section": self.section,
                "common": self.common,
                "schedule": self.schedule,
                "performance": self.performance,
                # The applicant's files only: the recommending unit's opinion is not the
                # applicant's content (nor a change the applicant made after a return).
                "attachments": sorted(
                    [a.kind, a.sha256]
                    for a in Attachment.objects.filter(
                        record_type=self.record_type(),
                        record_id=self.pk,
                        kind__in=[k for k, spec in self.ATTACHMENT_KINDS.items() if spec.who == "applicant"],
                    )
                ),
            }
        )
        return data

    def scan_text(self) -> list[tuple[str, str]]:
        pairs = super().scan_text()
        for m in self.team.all():
            pairs.append((str(_("团队成员")), f"{m.name} {m.qualification} {m.role}"))
        for b in self.budget_lines.all():
            pairs.append((str(_("预算")), f"{b.item} {b.note}"))
        from .sections import scan_pairs

        pairs += scan_pairs(self.subproject.section, self.section, self.common, self.schedule, self.performance)
        return pairs

    def budget_total(self) -> Decimal:
        return sum((b.amount for b in self.budget_lines.all()), Decimal("0"))

    def public_summary(self) -> dict[str, str]:
        """What a public notice shows: nothing private."""
        from common.money import wan

        amount = wan(self.funding_amount) or "—"
        return {
            "title": self.name,
            "summary": f"{self.organization.name} · {self.subproject.name} · {_('拟资助金额')} {amount} {_('万元')}",
        }


class TeamMember(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="team")
    name = models.CharField(_("姓名"), max_length=50)
    education = models.CharField(_("学历"), max_length=50, blank=True)
    qualification = models.CharField(_("职称/资质"), max_length=100, blank=True)
    role = models.CharField(_("项目分工"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("团队成员")
        verbose_name_plural = _("团队成员")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class BudgetCategory(models.TextChoices):
    """Standard expenditure categories (支出科目) of a budget line."""

    LABOUR = "labour", _("劳务费")
    EXPERT = "expert", _("专家咨询费")
    TRAVEL = "travel", _("差旅费")
    MEETING = "meeting", _("会议费")
    TRAINING = "training", _("培训费")
    PRINTING = "printing", _("印刷费")
    PUBLICITY = "publicity", _("宣传费")
    MATERIALS = "materials", _("材料费")
    INSURANCE = "insurance", _("保险费")
    OTHER = "other", _("其他")


class BudgetLine(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(_("支出科目"), max_length=20, choices=BudgetCategory.choices, default="other")
    # What the money buys within its category (before the categories: the whole free-text item).
    item = models.CharField(_("支出内容"), max_length=100)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    note = models.CharField(_("测算依据"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("预算明细")
        verbose_name_plural = _("预算明细")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="budget_line_amount_non_negative")
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.item} {self.amount}"
