"""Writes of nominations: the form. State changes go through ``workflows.services.transition``;
photos and opinion PDFs through ``workflows.attachments``; scores through ``workflows.scoring``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from workflows.drafts import applicant_org, draft_create, draft_update, require_applicant, round_of
from workflows.exceptions import InvalidInput
from workflows.locks import retry_on_contention
from workflows.models import RoundKind

from .forms import NominationInput
from .models import Category, Nomination


def _clean(data: dict[str, Any], errors: list[str], *, partial: bool) -> dict[str, Any]:
    """The fields given, checked by the one input form of nominations (every problem into
    ``errors``)."""
    form = NominationInput(data, partial=partial)
    errors.extend(form.problems())
    # The fields that passed (a name given but refused is reported once, not as missing too).
    return {k: v for k, v in form.cleaned_data.items() if k in form.fields}


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
        errors.append(_("请选择有效的选树批次"))
    category = data.get("category")
    if category not in Category.values:
        errors.append(_("请选择类别（%(choices)s）") % {"choices": ", ".join(Category.values)})
    clean = _clean(data, errors, partial=True)
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
        errors.append(_("选树批次、申报单位和类别创建后不能更改"))
    clean = _clean(data, errors, partial=True)
    if "nominee_name" in clean and not clean["nominee_name"]:
        errors.append(_("请填写“被推荐对象名称”"))
    if errors:
        raise InvalidInput(errors)
    return draft_update(nomination, actor=actor, noun=_("推荐"), fields=clean)
