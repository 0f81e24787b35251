"""The audit events of rule changes: a round, a sub-project, a unit, an account or a role, a
sensitive term, a calendar entry changed — each appended to the subject's own chain in the
audit ledger (``workflows.audit.audit_append``), with what it was and what it became.

The subject's row must be locked by the caller (``select_for_update``) inside its transaction:
that orders the subject's events, as a record's lock orders a record's. Subjects are named by
their model label (``workflows.round``, ``accounts.user`` …); ``SUBJECTS`` gives their labels
for the auditor's page.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts import permissions as perms
from workflows.audit import audit_append
from workflows.models import AuditEvent

SUBJECTS: dict[str, Any] = {
    "workflows.round": _("批次"),
    "applications.subprojecttype": _("子项目"),
    "workflows.unitdeadline": _("推荐单位内部截止时间"),
    "accounts.organization": _("单位"),
    "accounts.user": _("账号"),
    "workflows.sensitiveterm": _("敏感词"),
    "workflows.calendarday": _("日历调整"),
    "administration.invitation": _("邀请"),
    "administration.unitregistration": _("单位注册申请"),
}

ACTION_LABELS: dict[str, Any] = {
    "created": _("创建"),
    "changed": _("修改"),
    "deleted": _("删除"),
    "closed": _("关闭"),
    "copied": _("复制"),
    "document_added": _("上传文件"),
    "document_removed": _("删除文件"),
    "role_granted": _("授予角色"),
    "role_revoked": _("撤销角色"),
    "invited": _("发出邀请"),
    "invitation_accepted": _("接受邀请"),
    "registered": _("申请注册"),
    "approved": _("批准注册"),
    "refused": _("拒绝注册"),
    "deactivated": _("停用账号"),
    "reactivated": _("恢复账号"),
    "password_changed": _("修改密码"),
    "password_reset": _("重置密码"),
    "second_factor_added": _("启用两步验证"),
    "second_factor_removed": _("停用两步验证"),
    "imported": _("导入"),
    # A sensitive term switched off or on again (its row and history are kept).
    "disabled": _("停用"),
    "enabled": _("启用"),
}


def plain(value: Any) -> Any:
    """A value as the audit event's JSON keeps it."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime):
        # One spelling per moment (UTC), whatever zone the value came in.
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The named fields of ``instance`` as plain values (a foreign key by its id)."""
    return {name: plain(getattr(instance, name)) for name in fields}


def acting_as(actor: Any) -> tuple[str, str]:
    """(organization code, role) the actor changes rules as: CAST staff first, else the first
    role they hold (a recommending unit's reviewer managing its units)."""
    grants = perms.grants(actor) if actor is not None else []
    staff = next((g for g in grants if g.role == "cast_staff"), None)
    chosen = staff or (grants[0] if grants else None)
    return (chosen.org_code, chosen.role) if chosen else ("", "")


def record_change(
    subject: models.Model,
    *,
    action: str,
    actor: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    extra: dict[str, Any] | None = None,
    client_ip: str | None = None,
) -> AuditEvent:
    """Append the event of a rule change to ``subject``'s chain: the fields that changed, each
    ``{"before", "after"}`` (all given fields on create or delete), and the reason if any."""
    before = before or {}
    after = after or {}
    changed = {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
    org, role = acting_as(actor)
    return audit_append(
        record_type=subject._meta.label_lower,
        record_id=subject.pk,
        action=action,
        actor=actor,
        actor_org=org,
        actor_role=role,
        opinion=reason,
        data={"changes": changed, **(extra or {})},
        client_ip=client_ip,
    )


def rule_changes() -> Any:
    """Every rule change, newest first (the auditor's page filters it)."""
    return AuditEvent.objects.filter(record_type__in=list(SUBJECTS)).order_by("-pk")
