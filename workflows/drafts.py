"""Creating and changing a record's content while it is a draft (or returned for revision):
the writes every record type shares around its own validation.

A type's service validates its fields (collecting every problem) and calls ``draft_create`` or
``draft_update``, which take the applicant's organization, lock the record, refuse outside the
flow's editable states, save, and append the audit event ("create", "edit"). A type that
declares only a Django form (``RecordType.form_class``) gets ``form_create``/``form_update``,
which validate through that form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import permissions as perms
from accounts.models import Organization, Role

from .audit import audit_append
from .exceptions import InvalidInput, TransitionConflict, TransitionForbidden
from .locks import lock_record, retry_on_contention
from .models import Round, WorkflowRecord


def applicant_org(actor: Any, org_code: str | None, *, noun: Any) -> Organization:
    """The organization the actor creates a record for: their only applicant unit, or the
    one ``org_code`` names when they belong to several."""
    grants = [g for g in perms.grants(actor) if g.role == Role.APPLICANT]
    if org_code:
        grants = [g for g in grants if g.org_code == org_code]
    if not grants:
        raise TransitionForbidden(_("只有申报单位的申报人可以创建%(noun)s") % {"noun": noun})
    if len(grants) > 1:
        raise InvalidInput(_("您属于多个申报单位，请指定单位代码（organization）"))
    return Organization.objects.get(pk=grants[0].org_id)


def round_of(kind: str, raw: Any) -> Round | None:
    """The round of ``kind`` the id ``raw`` names, or None."""
    return Round.objects.filter(pk=int(str(raw)), kind=kind).first() if str(raw).isdigit() else None


def form_errors(*forms: Any) -> list[str]:
    """Every error of bound Django forms and formsets, each prefixed by its field's label."""
    errors: list[str] = []
    for form in forms:
        if form.is_valid():
            continue
        if hasattr(form, "non_form_errors"):  # a formset: its own errors (a tampered count)
            errors.extend(str(e) for e in form.non_form_errors())
            continue
        for name, field_errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            errors.extend(
                _("%(label)s：%(error)s") % {"label": label, "error": e} if label else str(e) for e in field_errors
            )
    return errors


def draft_create(
    model: type[WorkflowRecord],
    *,
    actor: Any,
    organization: Organization,
    fields: dict[str, Any],
    audit_data: Callable[[WorkflowRecord], dict[str, Any]],
    after: Callable[[WorkflowRecord], None] | None = None,
) -> WorkflowRecord:
    """Create the draft with ``fields`` (validated by the caller) in the caller's transaction;
    ``after`` writes what belongs to it (rows of a table); append the audit event "create"."""
    record = model.objects.create(organization=organization, created_by=actor, **fields)
    if after is not None:
        after(record)
    audit_append(
        record_type=record.record_type(),
        record_id=record.pk,
        action="create",
        actor=actor,
        actor_org=organization.code,
        actor_role=Role.APPLICANT,
        to_state=record.state,
        data=audit_data(record),
    )
    return record


def draft_update(
    record: WorkflowRecord,
    *,
    actor: Any,
    noun: Any,
    fields: dict[str, Any],
    after: Callable[[WorkflowRecord], list[str]] | None = None,
) -> WorkflowRecord:
    """Change the content of a draft or returned record (validated by the caller).

    Side effects, in order: locks the record; refuses outside the flow's editable states;
    saves the changed ``fields``; ``after`` writes the rest (rows of a table) and names what it
    changed; appends the audit event "edit" naming every changed field.
    """
    with transaction.atomic():
        locked = lock_record(type(record), record.pk)
        if locked.state not in locked.flow_class.editable_states:
            raise TransitionConflict(
                _("%(noun)s当前状态为“%(state)s”，不能修改")
                % {"noun": noun, "state": locked.get_flow().state_label(locked.state)}
            )
        changed = sorted(k for k, v in fields.items() if getattr(locked, k) != v)
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.save()
        if after is not None:
            changed.extend(after(locked))
        audit_append(
            record_type=locked.record_type(),
            record_id=locked.pk,
            action="edit",
            actor=actor,
            actor_org=locked.organization.code,
            actor_role=Role.APPLICANT,
            from_state=locked.state,
            to_state=locked.state,
            data={"fields": changed},
            revision_hash=locked.current_revision_hash,
        )
    return locked


def require_applicant(record: WorkflowRecord, actor: Any, *, noun: Any) -> None:
    if not perms.is_applicant_of(actor, record):
        raise TransitionForbidden(_("只有本单位申报人可以修改%(noun)s") % {"noun": noun})


def _form_input(record_type: Any, data: dict[str, Any], *, fixed: set[str]) -> tuple[dict[str, Any], list[str]]:
    """Validate ``data`` through the type's form: (cleaned fields, every problem)."""
    form_class = record_type.form_class
    known = set(form_class.base_fields)
    errors = [_("未知的字段：%(field)s") % {"field": key} for key in sorted(set(data) - known - fixed)]
    # A form turns any value into text; a JSON list or object is not what a field takes.
    shaped = [k for k in form_class.base_fields if isinstance(data.get(k), list | dict)]
    errors.extend(_("“%(label)s”格式不正确") % {"label": form_class.base_fields[k].label} for k in shaped)
    form = form_class(data={k: v for k, v in data.items() if k in known and k not in shaped})
    errors.extend(form_errors(form))
    return (form.cleaned_data if not errors else {}), errors


@retry_on_contention
def form_create(record_type: Any, *, actor: Any, data: dict[str, Any]) -> WorkflowRecord:
    """A new draft of a type that declares only a form: ``round`` (an id of the type's kind of
    round), ``organization`` (a unit code, when the actor has several) and the form's fields."""
    with transaction.atomic():
        organization = applicant_org(actor, data.get("organization"), noun=record_type.noun)
        round_ = round_of(record_type.round_kind, data.get("round"))
        fields, errors = _form_input(record_type, data, fixed={"round", "organization"})
        if round_ is None:
            errors.insert(0, _("请选择有效的%(round)s") % {"round": record_type.round_label})
        if errors:
            raise InvalidInput(errors)
        return draft_create(
            record_type.model,
            actor=actor,
            organization=organization,
            fields={"round": round_, **fields},
            audit_data=lambda record: {"name": record_type.display_name(record)},
        )


@retry_on_contention
def form_update(record_type: Any, record: WorkflowRecord, *, actor: Any, data: dict[str, Any]) -> WorkflowRecord:
    """Change a draft of a type that declares only a form (the form's fields only)."""
    require_applicant(record, actor, noun=record_type.noun)
    form_class = record_type.form_class
    current = {name: getattr(record, name) for name in form_class.base_fields}
    fields, errors = _form_input(record_type, {**current, **data}, fixed={"round", "organization"})
    if set(data) & {"round", "organization"}:
        errors.insert(0, _("批次和申报单位创建后不能更改"))
    if errors:
        raise InvalidInput(errors)
    return draft_update(record, actor=actor, noun=record_type.noun, fields=fields)
