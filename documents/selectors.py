"""Reads of documents and batches that depend on who is asking.

Records always come through their record type's scoped list (``RecordType.listing``) or the
notices' selectors:
a download shows a user only what that user may see. Batches are CAST's: CAST staff and the
auditor see every batch; the one who started a batch may always fetch it; anyone else sees
none (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts import permissions as perms
from applications.models import Application
from nominations.models import Nomination
from nominations.selectors import winners
from workflows.registry import record_type_of

from .models import BatchJob, DocumentKind, IssuedDocument, normalize_code


def approved_of_round(*, user: Any, round_id: int) -> QuerySet:
    """The issued (approved) applications of a round the user may see, in number order."""
    return (
        record_type_of(Application)
        .listing(user, {"state": "approved", "round": str(round_id)})
        .order_by("approval_number", "pk")
    )


def awarded_of_round(*, round_id: int, user: Any = None) -> QuerySet:
    """The awarded nominations of a round, in certificate-number order: those the user may
    see, or (``user`` None) the announced winners, which are public."""
    if user is None:
        return winners(round_id=round_id).order_by("certificate_number", "pk")
    return (
        record_type_of(Nomination)
        .listing(user, {"state": "awarded", "round": str(round_id)})
        .order_by("certificate_number", "pk")
    )


def can_see_result_lists(user: Any) -> bool:
    """The official result list of a round is CAST's document: its staff and the auditor."""
    return perms.is_cast_staff(user) or perms.is_auditor(user)


def can_start_batches(user: Any) -> bool:
    return perms.is_cast_staff(user)


def can_see_batches(user: Any) -> bool:
    return perms.is_cast_staff(user) or perms.is_auditor(user)


def batches_for(*, user: Any) -> QuerySet:
    qs = BatchJob.objects.select_related("round", "requested_by")
    if can_see_batches(user):
        return qs.order_by("-created_at", "-pk")
    if user is None or not user.is_authenticated:
        return qs.none()
    return qs.filter(requested_by_id=user.pk).order_by("-created_at", "-pk")


def batch_get(pk: Any, *, user: Any) -> BatchJob | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return batches_for(user=user).filter(pk=pk).first()


def verified_document(code: str) -> dict[str, Any] | None:
    """What the public verification page may show of the document with ``code``: its kind,
    title, number and date, nothing else (no amounts, no people, no contact data)."""
    normalized = normalize_code(code)
    if not normalized:
        return None
    document = IssuedDocument.objects.filter(code=normalized).first()
    if document is None:
        return None
    return {
        "code": document.code,
        "kind": document.kind,
        "kind_label": document.get_kind_display(),
        "title": document.title,
        "number": document.number,
        "issued_on": document.issued_on,
        "ledger": issuing_event_in_ledger(document),
    }


# The audit action that issues each kind of document kept as issued.
ISSUING_ACTIONS = {DocumentKind.APPROVAL_NOTICE: "issue", DocumentKind.CERTIFICATE: "award"}


def issuing_event_in_ledger(document: IssuedDocument) -> dict[str, Any] | None:
    """For an approval notice or certificate: that its issuing event (the record's ``issue`` /
    ``award``) is in the audit ledger under a signed checkpoint — the leaf, the tree size, the
    root and the time — only when the inclusion proof and the signature verify; else None."""
    from workflows.ledger.proofs import verified_inclusion
    from workflows.models import AuditEvent

    action = ISSUING_ACTIONS.get(document.kind)
    if action is None:
        return None
    event = (
        AuditEvent.objects.filter(record_type=document.record_type, record_id=document.record_id, action=action)
        .order_by("-record_seq")
        .first()
    )
    if event is None:
        return None
    inclusion = verified_inclusion(event)
    if inclusion is None:
        return {"pending": True, "event_hash": event.hash}
    checkpoint = inclusion.checkpoint
    return {
        "pending": False,
        "event_hash": event.hash,
        "leaf_index": inclusion.leaf_index,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "signed_at": checkpoint.timestamp,
        "key_id": checkpoint.key_id,
    }
