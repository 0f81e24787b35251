"""Attachments of any record type: who may add which kind, when, in which format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import permissions as perms

from .audit import audit_append
from .exceptions import InvalidInput, TransitionConflict, TransitionForbidden
from .locks import lock_record, retry_on_contention
from .models import Attachment, WorkflowRecord
from .uploads import check_upload


@dataclass(frozen=True)
class AttachmentKind:
    """A kind of attachment a record type accepts.

    ``who``: "applicant" (the record's organization) or "recommender" (its recommending
    unit's reviewers); ``states``: the record states in which it may be added or removed.
    """

    label: Any
    types: tuple[str, ...]
    who: str
    states: frozenset[str]
    max_count: int = 1
    min_bytes: int = 1
    max_bytes: int | None = None  # None: the round's attachment_max_mb


def may_handle(kind: AttachmentKind, record: WorkflowRecord, user: Any) -> bool:
    """Whether the user is the party that adds and removes this kind (not the state check)."""
    if kind.who == "applicant":
        return perms.is_applicant_of(user, record)
    if kind.who == "recommender":
        return perms.is_reviewer_of(user, record)
    return False


def kinds_addable(record: WorkflowRecord, user: Any) -> list[tuple[str, str]]:
    """(kind, label) of the attachment kinds the user may add or remove now."""
    kinds: dict[str, AttachmentKind] = getattr(record, "ATTACHMENT_KINDS", {})
    return [
        (key, str(spec.label))
        for key, spec in kinds.items()
        if record.state in spec.states and may_handle(spec, record, user)
    ]


@retry_on_contention
def attachment_add(record: WorkflowRecord, *, kind: str, upload: Any, actor: Any) -> Attachment:
    """Attach a file to the record.

    Side effects, in order: refuses an unknown kind, the wrong person or state, a file whose
    bytes are not of the allowed type, too large or empty; locks the record; replaces the
    previous file of a single-file kind; stores the file under a server-made name with its
    SHA-256; appends the audit event.
    """
    kinds: dict[str, AttachmentKind] = getattr(record, "ATTACHMENT_KINDS", {})
    spec = kinds.get(kind)
    if spec is None:
        raise InvalidInput(
            _("未知的附件类型“%(kind)s”（可选：%(choices)s）") % {"kind": kind, "choices": ", ".join(kinds)}
        )
    if not may_handle(spec, record, actor):
        raise TransitionForbidden(_("您不能上传此类附件：%(label)s") % {"label": spec.label})
    max_bytes = spec.max_bytes or record.round.typed_settings.attachment_max_mb * 1024 * 1024
    checked, errors = check_upload(
        upload, allowed=spec.types, max_bytes=max_bytes, min_bytes=spec.min_bytes, label=str(spec.label)
    )
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = lock_record(type(record), record.pk)
        if locked.state not in spec.states:
            raise TransitionConflict(
                _("记录当前状态为“%(state)s”，不能更改“%(label)s”")
                % {"state": locked.get_flow().state_label(locked.state), "label": spec.label}
            )
        existing = Attachment.objects.filter(record_type=locked.record_type(), record_id=locked.pk, kind=kind)
        replaced = []
        if spec.max_count == 1:
            replaced = [a.original_name for a in existing]
            for old in existing:
                delete_file_on_commit(old.file)
            existing.delete()
        elif existing.count() >= spec.max_count:
            raise InvalidInput(_("“%(label)s”最多上传 %(n)s 个文件") % {"label": spec.label, "n": spec.max_count})
        attachment = Attachment(
            record_type=locked.record_type(),
            record_id=locked.pk,
            kind=kind,
            original_name=checked.original_name,
            size=checked.size,
            sha256=checked.sha256,
            content_type=checked.content_type,
            uploaded_by=actor,
        )
        attachment.file.save("upload", ContentFile(checked.content), save=False)
        attachment.save()
        grant = next(
            (g for g in perms.grants(actor) if g.org_id in (locked.organization_id, locked.recommending_unit_id)), None
        )
        audit_append(
            record_type=locked.record_type(),
            record_id=locked.pk,
            action="attachment_added",
            actor=actor,
            actor_org=grant.org_code if grant else "",
            actor_role=grant.role if grant else "",
            from_state=locked.state,
            to_state=locked.state,
            data={"kind": kind, "name": checked.original_name, "sha256": checked.sha256, "replaced": replaced},
            revision_hash=locked.current_revision_hash,
        )
    return attachment


@retry_on_contention
def attachment_delete(attachment: Attachment, *, record: WorkflowRecord, actor: Any) -> None:
    """Remove an attachment while its kind may still be changed. Side effects: the row and
    file; the audit event."""
    kinds: dict[str, AttachmentKind] = getattr(record, "ATTACHMENT_KINDS", {})
    spec = kinds.get(attachment.kind)
    if spec is None or not may_handle(spec, record, actor):
        raise TransitionForbidden(_("您不能删除此附件"))
    with transaction.atomic():
        locked = lock_record(type(record), record.pk)
        if locked.state not in spec.states:
            raise TransitionConflict(
                _("记录当前状态为“%(state)s”，不能更改“%(label)s”")
                % {"state": locked.get_flow().state_label(locked.state), "label": spec.label}
            )
        name, digest = attachment.original_name, attachment.sha256
        delete_file_on_commit(attachment.file)
        Attachment.objects.filter(pk=attachment.pk).delete()
        audit_append(
            record_type=locked.record_type(),
            record_id=locked.pk,
            action="attachment_removed",
            actor=actor,
            from_state=locked.state,
            to_state=locked.state,
            data={"kind": attachment.kind, "name": name, "sha256": digest},
            revision_hash=locked.current_revision_hash,
        )


def delete_file_on_commit(field_file: Any) -> None:
    """Remove a stored file once the transaction that dropped its row commits: a rolled-back
    change keeps both the row and its file."""
    storage, name = field_file.storage, field_file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))
