"""Reads of rounds: which the user may see, their status, what a unit may apply for."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions as perms
from accounts.models import Organization, OrgType, Role
from applications.models import SubprojectType
from common.http import parse_id
from workflows.models import Round, RoundKind, UnitDeadline


def manages_rounds(user: Any) -> bool:
    return perms.is_cast_staff(user)


def sees_all_rounds(user: Any) -> bool:
    """CAST staff and the auditor see every round, those not yet open included."""
    return perms.is_cast_staff(user) or perms.is_auditor(user)


def rounds_for(user: Any) -> QuerySet:
    """The rounds the user may see, newest first: every one for CAST staff and the auditor;
    for anyone else (and the public) those whose submissions have opened."""
    qs = Round.objects.order_by("-year", "kind", "-pk")
    if user is not None and user.is_authenticated and sees_all_rounds(user):
        return qs
    return qs.filter(submission_opens__lte=timezone.now())


def round_get(pk: Any, *, user: Any) -> Round | None:
    number = parse_id(pk)
    return None if number is None else rounds_for(user).filter(pk=number).first()


def status_of(round_: Round, now: Any = None) -> tuple[str, str]:
    """(key, label) of where the round stands today."""
    now = now or timezone.now()
    if round_.closed_at is not None and now >= round_.closed_at:
        return "closed", _("已关闭")
    if now < round_.submission_opens:
        return "scheduled", _("未开始")
    if now <= round_.submission_closes:
        return "open", _("申报中")
    if now <= round_.cast_review_due:
        return "review", _("审核中")
    return "finishing", _("评审与公示")


def subprojects_for(round_: Round, organization: Organization | None) -> list[dict[str, Any]]:
    """The round's sub-projects, each with why ``organization`` may not apply (None: it may)."""
    if round_.kind != RoundKind.APPLICATION:
        return []
    return [
        {
            "subproject": sub,
            "problem": sub.eligibility_problem(organization) if organization else None,
            "types": [str(OrgType(t).label) for t in sub.eligible_org_types or [] if t in OrgType.values],
        }
        for sub in round_.subprojects.all()
    ]


def applicant_units(user: Any) -> list[Organization]:
    ids = [g.org_id for g in perms.grants(user) if g.role == Role.APPLICANT]
    return list(Organization.objects.filter(pk__in=ids).order_by("code"))


def deadline_for(round_: Round, organization: Organization | None) -> UnitDeadline | None:
    """The internal deadline the unit's recommending unit set for this round, if any (a unit
    that is its own recommending unit has none)."""
    if organization is None or organization.recommending_unit_id in (None, organization.pk):
        return None
    return (
        UnitDeadline.objects.filter(round=round_, unit_id=organization.recommending_unit_id)
        .select_related("unit")
        .first()
    )


def deadlines_of(round_: Round) -> QuerySet:
    return UnitDeadline.objects.filter(round=round_).select_related("unit", "set_by").order_by("unit__code")


def subproject_get(round_: Round, pk: Any) -> SubprojectType | None:
    number = parse_id(pk)
    return None if number is None else round_.subprojects.filter(pk=number).first()
