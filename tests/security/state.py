"""A snapshot of everything a write could change: equal before and after means nothing did."""

from __future__ import annotations

from typing import Any

from applications.models import Application
from nominations.models import Nomination
from notices.models import NoticeEntry, Objection, ObjectionEvidence, PublicNotice
from workflows.models import Attachment, AuditEvent, Checkpoint, ReviewAssignment, Revision, Score


def snapshot() -> dict[str, Any]:
    return {
        "applications": sorted(Application.objects.values_list("pk", "state", "updated_at", "current_revision_hash")),
        "nominations": sorted(Nomination.objects.values_list("pk", "state", "updated_at", "current_revision_hash")),
        "audit events": AuditEvent.objects.count(),
        "attachments": sorted(Attachment.objects.values_list("pk", "sha256")),
        "checkpoints": Checkpoint.objects.count(),
        "assignments": sorted(ReviewAssignment.objects.values_list("pk", "status")),
        "scores": sorted(Score.objects.values_list("record_type", "pk", "total")),
        "revisions": Revision.objects.count(),
        "notices": sorted(PublicNotice.objects.values_list("pk", "status")),
        "entries": NoticeEntry.objects.count(),
        "objections": sorted(Objection.objects.values_list("pk", "status")),
        "evidence": ObjectionEvidence.objects.count(),
    }
