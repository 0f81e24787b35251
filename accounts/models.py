"""Users, the organization tree, and memberships (a user's role in an organization)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. Their roles come from memberships, not from Django groups."""

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", _("简体中文")
        EN = "en", _("English")

    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    language = models.CharField(_("界面语言"), max_length=10, choices=Language.choices, default=Language.ZH_HANS)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class OrgType(models.TextChoices):
    CAST = "cast", _("中国科协")
    NATIONAL_SOCIETY = "national_society", _("全国学会")
    SOCIETY_BRANCH = "society_branch", _("学会分支机构")
    PROVINCIAL_SOCIETY = "provincial_society", _("省级学会")
    PROVINCIAL_CAST = "provincial_cast", _("省级科协")
    CITY_CAST = "city_cast", _("市级科协")
    COUNTY_CAST = "county_cast", _("县级科协")
    OTHER = "other", _("其他")


# The organizations that review for CAST: a record's recommending unit is the nearest of these
# among the applicant organization and its ancestors.
RECOMMENDING_TYPES = frozenset({OrgType.NATIONAL_SOCIETY, OrgType.PROVINCIAL_CAST})


class Organization(models.Model):
    code = models.CharField(_("代码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    type = models.CharField(_("类型"), max_length=30, choices=OrgType.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    pilot_county = models.BooleanField(_("新时代文明实践中心试点县"), default=False)
    # A unit that no longer takes part is deactivated, never deleted: its records, members'
    # history and audit chain stay (administration.people.services.unit_deactivate).
    is_active = models.BooleanField(_("在用"), default=True)
    # Denormalized on every save of the tree (accounts.services): scope checks read it on hot
    # paths, and the tree changes rarely.
    recommending_unit = models.ForeignKey(
        "self",
        verbose_name=_("推荐单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recommended_orgs",
    )

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def ancestors(self) -> list[Organization]:
        """Self first, then parent, grandparent … up to the root."""
        chain: list[Organization] = []
        seen: set[int] = set()
        node: Organization | None = self
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain

    def compute_recommending_unit(self) -> Organization | None:
        for node in self.ancestors():
            if node.type in RECOMMENDING_TYPES:
                return node
        return None


class Role(models.TextChoices):
    APPLICANT = "applicant", _("申报人")
    SOCIETY_REVIEWER = "society_reviewer", _("推荐单位审核人")
    CONTENT_REVIEWER = "content_reviewer", _("内容审核员")
    EXPERT = "expert", _("评审专家")
    CAST_STAFF = "cast_staff", _("中国科协工作人员")
    AUDITOR = "auditor", _("审计员")


class Membership(models.Model):
    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("组织"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("成员身份")
        verbose_name_plural = _("成员身份")
        constraints = [models.UniqueConstraint(fields=["user", "organization", "role"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organization.code}"
