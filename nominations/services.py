"""Writes of nominations: the form. State changes go through ``workflows.services.transition``;
photos and opinion PDFs through ``workflows.attachments``; scores through ``workflows.scoring``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.drafts import applicant_org, draft_create, draft_update, require_applicant, round_of
from workflows.exceptions import InvalidInput
from workflows.locks import retry_on_contention
from workflows.models import RoundKind

from .checks import DEEDS_MAX
from .models import Category, Gender, Nomination

TEXT_LIMITS = {
    "nominee_name": 100,
    "person_org": 200,
    "person_title": 100,
    "volunteer_number": 50,
    "organizer": 200,
    "site_region": 200,
    "site_kind": 20,
    "deeds": DEEDS_MAX,
    "contact_name": 50,
    "contact_phone": 30,
    "unit_opinion": 2000,
    "unit_opinion_signer": 50,
}
DATE_FIELDS = ("birth_date", "founded_on", "period_start", "period_end", "unit_opinion_date")
INT_FIELDS = {"registered_volunteers": 1_000_000, "activities": 1_000_000}
EDITABLE_FIELDS = (*TEXT_LIMITS, *DATE_FIELDS, *INT_FIELDS, "gender", "service_hours")


def _label(name: str) -> str:
    return str(Nomination._meta.get_field(name).verbose_name)


def _clean(data: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    for key in sorted(set(data) - set(EDITABLE_FIELDS) - {"round", "category", "organization"}):
        errors.append(_("未知的字段：%(field)s") % {"field": key})
    clean: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if name not in data:
            continue
        value = "" if data[name] is None else data[name]
        if not isinstance(value, str):
            errors.append(_("“%(label)s”必须是文本") % {"label": _label(name)})
            continue
        value = value.strip()
        if name == "nominee_name":
            value = "".join(value.split())
        if len(value) > limit:
            errors.append(
                _("“%(label)s”不得超过 %(n)s 个字（现为 %(m)s 个）")
                % {"label": _label(name), "n": limit, "m": len(value)}
            )
            continue
        clean[name] = value
    for name in DATE_FIELDS:
        if name not in data:
            continue
        raw = data[name]
        if raw in (None, ""):
            clean[name] = None
            continue
        try:
            clean[name] = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
        except ValueError:
            errors.append(_("“%(label)s”必须是日期（YYYY-MM-DD）") % {"label": _label(name)})
    for name, limit in INT_FIELDS.items():
        if name not in data:
            continue
        raw = data[name]
        if raw in (None, ""):
            clean[name] = None
            continue
        if isinstance(raw, bool) or not str(raw).strip().isdigit() or int(str(raw)) > limit:
            errors.append(_("“%(label)s”必须是非负整数") % {"label": _label(name)})
            continue
        clean[name] = int(str(raw))
    if "gender" in data:
        if data["gender"] in (None, ""):
            clean["gender"] = ""
        elif data["gender"] not in Gender.values:
            errors.append(_("“性别”只能是 male 或 female"))
        else:
            clean["gender"] = data["gender"]
    if "service_hours" in data:
        raw = data["service_hours"]
        if raw in (None, ""):
            clean["service_hours"] = None
        else:
            try:
                hours = Decimal(str(raw))
            except (InvalidOperation, ValueError):
                hours = None
            if hours is None or not hours.is_finite() or hours < 0 or hours > Decimal("999999999"):
                errors.append(_("“%(label)s”必须是非负数") % {"label": _label("service_hours")})
            else:
                clean["service_hours"] = hours.quantize(Decimal("0.1"))
    if clean.get("birth_date") and clean["birth_date"] > timezone.localdate():
        errors.append(_("出生日期不能晚于今天"))
    return clean


@retry_on_contention
@transaction.atomic
def nomination_create(*, actor: Any, data: dict[str, Any]) -> Nomination:
    """A new draft nomination of the actor's organization.

    Side effects, in order: validates every field (InvalidInput listing each problem);
    creates the nomination in draft; appends the audit event "create".
    """
    errors: list[str] = []
    org = applicant_org(actor, data.get("organization"), noun=_("推荐"))
    round_ = round_of(RoundKind.SELECTION, data.get("round"))
    if round_ is None:
        errors.append(_("请选择有效的评选批次"))
    category = data.get("category")
    if category not in Category.values:
        errors.append(_("请选择类别（%(choices)s）") % {"choices": ", ".join(Category.values)})
    clean = _clean(data, errors)
    # A name given but refused by _clean (too long, not text) is already reported.
    if not clean.get("nominee_name") and ("nominee_name" in clean or data.get("nominee_name") in (None, "")):
        errors.append(_("请填写“被推荐对象名称”"))
    if errors:
        raise InvalidInput(errors)
    return draft_create(
        Nomination,
        actor=actor,
        organization=org,
        fields={"round": round_, "category": category, **clean},
        audit_data=lambda n: {"category": category, "nominee": n.nominee_name},
    )


@retry_on_contention
def nomination_update(nomination: Nomination, *, actor: Any, data: dict[str, Any]) -> Nomination:
    """Change a draft or returned nomination (its applicant only).

    Side effects, in order: validates; locks the row; refuses outside the editable states;
    saves; appends the audit event "edit" naming the changed fields.
    """
    require_applicant(nomination, actor, noun=_("推荐"))
    errors: list[str] = []
    if {"round", "organization", "category"} & set(data):
        errors.append(_("评选批次、申报单位和类别创建后不能更改"))
    clean = _clean(data, errors)
    if "nominee_name" in clean and not clean["nominee_name"]:
        errors.append(_("请填写“被推荐对象名称”"))
    if errors:
        raise InvalidInput(errors)
    return draft_update(nomination, actor=actor, noun=_("推荐"), fields=clean)
