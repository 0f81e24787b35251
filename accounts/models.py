"""Users, the organization tree, and memberships (a user's role in an organization)."""

from __future__ import annotations

from typing import Any

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
    SUBPROVINCIAL_CITY_CAST = "subprovincial_city_cast", _("副省级城市科协")
    CORPS_CAST = "corps_cast", _("新疆生产建设兵团科协")
    CITY_CAST = "city_cast", _("市级科协")
    COUNTY_CAST = "county_cast", _("县级科协")
    OTHER = "other", _("其他")


# The organizations that review for CAST (推荐单位): the notice addresses them directly. A
# record's recommending unit is found through its organization's channel (Organization.channel,
# ``compute_recommending_unit``).
RECOMMENDING_TYPES = frozenset(
    {
        OrgType.NATIONAL_SOCIETY,
        OrgType.PROVINCIAL_CAST,
        OrgType.SUBPROVINCIAL_CITY_CAST,
        OrgType.CORPS_CAST,
    }
)
# Types that are not legal persons by default: a society's branch (分支机构) applies under its
# society, which is named 承担单位 on every document.
NON_LEGAL_PERSON_TYPES = frozenset({OrgType.SOCIETY_BRANCH})

# What a provincial CAST's name ends with; the rest names its province ("广东省科协" → "广东省").
_CAST_SUFFIXES = ("科学技术协会", "科协")


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
    # 法人: only a legal person may be 承担单位 on a document; a unit that is not (a society
    # branch) is named 具体实施部门 beside its nearest legal-person ancestor (legal_entity()).
    legal_person = models.BooleanField(_("独立法人"), default=True)
    # The unit its records are recommended through, set by CAST staff where the tree does not
    # say it (a provincial society kept under its national society reports to its provincial
    # CAST, its 业务主管单位). Empty: the default (compute_recommending_unit).
    channel = models.ForeignKey(
        "self",
        verbose_name=_("推荐渠道"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="channel_of",
    )
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new branch is not a legal person unless CAST staff later say otherwise.
        if self._state.adding and self.type in NON_LEGAL_PERSON_TYPES:
            self.legal_person = False
        super().save(*args, **kwargs)

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

    def legal_entity(self) -> Organization:
        """The 承担单位 named on documents: itself if a legal person, else its nearest
        legal-person ancestor (a branch's society); itself when none is found."""
        for node in self.ancestors():
            if node.legal_person:
                return node
        return self

    def implementing_department(self) -> Organization | None:
        """The 具体实施部门 named beside the 承担单位: itself when it is not a legal person."""
        return None if self.legal_entity().pk == self.pk else self

    def compute_recommending_unit(self) -> Organization | None:
        """The recommending unit of this organization's records (see ``recommending_unit_of``)."""
        orgs = {o.pk: o for o in Organization.objects.all()}
        return recommending_unit_of(self, orgs)


def province_of(cast: Organization) -> str:
    """The province a provincial CAST serves, read from its name ("广东省科协" → "广东省")."""
    for suffix in _CAST_SUFFIXES:
        if cast.name.endswith(suffix):
            return cast.name[: -len(suffix)]
    return cast.name


def provincial_cast_for(org: Organization, orgs: dict[int, Organization]) -> Organization | None:
    """The provincial CAST of a provincial society's province: an ancestor provincial CAST,
    else the one whose province begins the society's name (the tree may keep a provincial
    society under its national society). None when neither says it: CAST staff set its channel."""
    node = orgs.get(org.parent_id) if org.parent_id else None
    seen: set[int] = {org.pk}
    while node is not None and node.pk not in seen:
        if node.type == OrgType.PROVINCIAL_CAST:
            return node
        seen.add(node.pk)
        node = orgs.get(node.parent_id) if node.parent_id else None
    best: Organization | None = None
    for candidate in orgs.values():
        if candidate.type != OrgType.PROVINCIAL_CAST or not candidate.is_active:
            continue
        province = province_of(candidate)
        if province and org.name.startswith(province) and (best is None or len(province) > len(province_of(best))):
            best = candidate
    return best


def recommending_unit_of(org: Organization, orgs: dict[int, Organization]) -> Organization | None:
    """The recommending unit of ``org``'s records, following its channel (``orgs``: every
    organization by id, so that a whole tree is resolved without a query per node).

    A recommending unit is its own; otherwise the channel CAST staff set; otherwise a provincial
    society goes to its provincial CAST (业务主管单位) and any other unit (a branch, a city or
    county CAST) to its parent's recommending unit. A cycle of channels resolves to None."""
    seen: set[int] = set()
    node: Organization | None = org
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        if node.type in RECOMMENDING_TYPES:
            return node
        if node.channel_id:
            node = orgs.get(node.channel_id)
            continue
        if node.type == OrgType.PROVINCIAL_SOCIETY:
            found = provincial_cast_for(node, orgs)
            if found is not None:
                node = found
                continue
        node = orgs.get(node.parent_id) if node.parent_id else None
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
