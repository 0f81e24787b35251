"""Shows the signed-in user's organization and role on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def memberships(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_memberships": [], "is_cast_member": False, "user_roles": set()}
    memberships = list(user.memberships.select_related("organization").order_by("organization__code", "role"))
    return {
        "user_memberships": memberships,
        # CAST staff, CAST content reviewers and the auditor manage public notices.
        "is_cast_member": any(m.organization.type == "cast" and m.role != "expert" for m in memberships),
        # The navigation shows each role its own places.
        "user_roles": {m.role for m in memberships},
    }
