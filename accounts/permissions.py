"""Every permission predicate of the system, in one place.

Roles come from memberships (a user's role in an organization). Scope is the organization's
relation to a record: the applicant organization, the record's recommending unit, or CAST.
Predicates take a user and a record (any ``workflows.models.WorkflowRecord``) and never
query more than once per request: a user's memberships are read once and kept on the user
object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .models import Membership, OrgType, Role

if TYPE_CHECKING:
    from .models import User


@dataclass(frozen=True)
class Grant:
    role: str
    org_id: int
    org_type: str
    org_code: str


_CACHE_ATTR = "_zhihui_grants"


def grants(user: Any) -> tuple[Grant, ...]:
    """The user's memberships, read once per user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = tuple(
            Grant(role, org_id, org_type, org_code)
            for role, org_id, org_type, org_code in Membership.objects.filter(user_id=user.pk).values_list(
                "role", "organization_id", "organization__type", "organization__code"
            )
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_grants(user: Any) -> None:
    """Drop the cached memberships (after a membership changes)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def org_ids_with_role(user: Any, role: str) -> set[int]:
    return {g.org_id for g in grants(user) if g.role == role}


def has_role(user: Any, role: str, org_id: int | None = None) -> bool:
    return any(g.role == role and (org_id is None or g.org_id == org_id) for g in grants(user))


def is_cast_staff(user: Any) -> bool:
    return any(g.role == Role.CAST_STAFF and g.org_type == OrgType.CAST for g in grants(user))


def is_auditor(user: Any) -> bool:
    return any(g.role == Role.AUDITOR for g in grants(user))


def is_applicant_of(user: Any, record: Any) -> bool:
    return has_role(user, Role.APPLICANT, record.organization_id)


def is_reviewer_of(user: Any, record: Any) -> bool:
    return record.recommending_unit_id is not None and has_role(
        user, Role.SOCIETY_REVIEWER, record.recommending_unit_id
    )


def is_content_reviewer_in(user: Any, org_id: int | None) -> bool:
    return org_id is not None and has_role(user, Role.CONTENT_REVIEWER, org_id)


def is_expert(user: Any) -> bool:
    return has_role(user, Role.EXPERT)


def cast_org_ids(user: Any) -> set[int]:
    return {g.org_id for g in grants(user) if g.org_type == OrgType.CAST}


def expert_conflict(user: Any, record: Any) -> str | None:
    """Why this expert may not review this record, or None.

    An expert never reviews a record of an organization they belong to (in any role), nor one
    whose recommending unit they belong to. Membership of CAST itself is no conflict: every
    expert is enrolled at CAST.
    """
    from django.utils.translation import gettext as _

    own = {g.org_id for g in grants(user) if g.org_type != OrgType.CAST}
    if record.organization_id in own:
        return _("利益冲突：专家所在单位即申报单位")
    if record.recommending_unit_id in own:
        return _("利益冲突：专家所在单位即该记录的推荐单位")
    return None


def user_label(user: User | None) -> str:
    if user is None:
        return ""
    return user.display_name or user.username
