"""What each user may see and change of units, accounts, invitations and registrations.

- CAST staff: everything, and change everything.
- The auditor: everything, read only.
- A recommending unit's society reviewer: the units whose recommending unit is theirs (their
  own unit included, read only) and the people holding roles there; they create and rename the
  units below them (not their own: a unit under CAST is CAST's), invite and grant the applicant
  role there, and decide the registrations of units that would be theirs.
- Anyone else: nothing (the pages answer 404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts import permissions as perms
from accounts.models import RECOMMENDING_TYPES, Membership, Organization, OrgType, Role, User

from ..models import Invitation, UnitRegistration


def is_staff(user: Any) -> bool:
    return perms.is_cast_staff(user)


def is_reader(user: Any) -> bool:
    """Reads everything of people: CAST staff and the auditor."""
    return perms.is_cast_staff(user) or perms.is_auditor(user)


def reviewer_units(user: Any) -> set[int]:
    """The recommending units where the user is a society reviewer."""
    return {
        g.org_id for g in perms.grants(user) if g.role == Role.SOCIETY_REVIEWER and g.org_type in RECOMMENDING_TYPES
    }


def can_use_people(user: Any) -> bool:
    """Whether the people pages are for this user at all (else they answer 404)."""
    return is_reader(user) or bool(reviewer_units(user))


def visible_units(*, user: Any) -> QuerySet[Organization]:
    """Units the user may see: all for CAST staff and the auditor; a reviewer's own
    recommending unit and the units it recommends."""
    qs = Organization.objects.select_related("parent", "recommending_unit")
    if is_reader(user):
        return qs.all()
    units = reviewer_units(user)
    if not units:
        return qs.none()
    return qs.filter(recommending_unit_id__in=units)


def subordinate_units(*, user: Any) -> QuerySet[Organization]:
    """Units a reviewer manages: those their unit recommends, not their unit itself."""
    units = reviewer_units(user)
    return Organization.objects.filter(recommending_unit_id__in=units).exclude(pk__in=units)


def unit_for(pk: int, *, user: Any) -> Organization | None:
    return visible_units(user=user).filter(pk=pk).first()


def can_edit_unit(user: Any, unit: Organization) -> bool:
    """Rename (reviewers and CAST staff); CAST staff alone move, flag, deactivate."""
    if is_staff(user):
        return True
    return unit.recommending_unit_id in reviewer_units(user) and unit.pk not in reviewer_units(user)


def parent_choices(*, user: Any) -> QuerySet[Organization]:
    """Active units a new unit may be created under by this user."""
    if is_staff(user):
        return Organization.objects.filter(is_active=True)
    return visible_units(user=user).filter(is_active=True)


def creatable_types(user: Any) -> list[str]:
    """Unit types the user may create: a reviewer never a recommending unit (it would leave
    their scope) nor CAST."""
    if is_staff(user):
        return [t for t in OrgType.values if t != OrgType.CAST]
    return [t for t in OrgType.values if t != OrgType.CAST and t not in RECOMMENDING_TYPES]


def grantable_units(*, user: Any) -> QuerySet[Organization]:
    """Active units where the user may grant (and invite to) a role."""
    if is_staff(user):
        return Organization.objects.filter(is_active=True)
    return subordinate_units(user=user).filter(is_active=True)


def grantable_roles(user: Any) -> list[str]:
    return list(Role.values) if is_staff(user) else [Role.APPLICANT]


def can_grant(user: Any, unit: Organization, role: str) -> bool:
    if is_staff(user):
        return True
    return role == Role.APPLICANT and unit.pk in set(subordinate_units(user=user).values_list("pk", flat=True))


def visible_users(*, user: Any) -> QuerySet[User]:
    """Accounts the user may see: all for CAST staff and the auditor; for a reviewer, those
    holding a role in a unit they see."""
    qs = User.objects.all()
    if is_reader(user):
        return qs
    units = reviewer_units(user)
    if not units:
        return qs.none()
    holders = Membership.objects.filter(organization__recommending_unit_id__in=units).values("user_id")
    return qs.filter(pk__in=holders)


def user_for(pk: int, *, user: Any) -> User | None:
    return visible_users(user=user).filter(pk=pk).first()


def can_manage_account(user: Any, account: User) -> bool:
    """Deactivate or reactivate: CAST staff any account but their own; a reviewer an account
    whose every role is an applicant's in the units they manage."""
    if account.pk == getattr(user, "pk", None):
        return False
    if is_staff(user):
        return True
    roles = list(Membership.objects.filter(user=account).values_list("role", "organization_id"))
    if not roles:
        return False
    managed = set(subordinate_units(user=user).values_list("pk", flat=True))
    return all(role == Role.APPLICANT and org in managed for role, org in roles)


def invitations_for(*, user: Any) -> QuerySet[Invitation]:
    qs = Invitation.objects.select_related("organization", "invited_by", "user")
    if is_reader(user):
        return qs.all()
    return qs.filter(organization__in=subordinate_units(user=user))


def registrations_for(*, user: Any) -> QuerySet[UnitRegistration]:
    """Registrations the user may see and decide: all for CAST staff (and the auditor, read
    only); a reviewer those whose unit would be recommended by theirs."""
    qs = UnitRegistration.objects.select_related("parent", "decided_by", "organization", "user")
    if is_reader(user):
        return qs.all()
    units = reviewer_units(user)
    if not units:
        return qs.none()
    return qs.filter(parent__recommending_unit_id__in=units).exclude(unit_type__in=list(RECOMMENDING_TYPES))


def registration_for(pk: int, *, user: Any) -> UnitRegistration | None:
    return registrations_for(user=user).filter(pk=pk).first()


def deciders_of(registration: UnitRegistration) -> list[User]:
    """Who decides a registration: the society reviewers of the recommending unit above it
    (when it is not a recommending unit itself), else CAST staff."""
    unit = registration.parent.recommending_unit_id
    if unit is not None and registration.unit_type not in RECOMMENDING_TYPES:
        wanted = Q(memberships__organization_id=unit, memberships__role=Role.SOCIETY_REVIEWER)
    else:
        wanted = Q(memberships__organization__type=OrgType.CAST, memberships__role=Role.CAST_STAFF)
    return list(User.objects.filter(wanted, is_active=True).distinct().order_by("pk"))


def registration_parents() -> QuerySet[Organization]:
    """Units a registering unit may choose as its parent: every active unit."""
    return Organization.objects.filter(is_active=True).order_by("code")


def history(subject: Any) -> QuerySet[Any]:
    """The audit events of a unit, an account, an invitation or a registration, oldest first."""
    from workflows.models import AuditEvent

    return AuditEvent.objects.filter(record_type=subject._meta.label_lower, record_id=subject.pk).order_by("record_seq")
