"""The demo's 审定 decision meetings: one meeting of each round (a 专题会 of CAST, held
yesterday, its minutes uploaded) that agrees to the records the demo then proposes or
shortlists — through the real services (``workflows.decisions``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

MINUTES_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def agreed(record: Any, staff: Any, *, amount: Any = None) -> None:
    """The round's demo decision meeting agrees to ``record`` (created with its minutes on first
    use; a record already on it is left as it is)."""
    from workflows import decisions
    from workflows.models import DecisionItem, DecisionMeeting, MeetingKind

    name = f"{record.round.title}审定专题会"
    meeting = DecisionMeeting.objects.filter(round_id=record.round_id, name=name).first()
    if meeting is None:
        meeting = decisions.meeting_create(
            actor=staff,
            data={
                "round": record.round_id,
                "kind": MeetingKind.SPECIAL,
                "name": name,
                "held_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
                "participants": "中国科协书记处书记（主持）；科普部、农技中心、办公厅负责同志",
            },
            minutes=SimpleUploadedFile("审定会议纪要.pdf", MINUTES_PDF, content_type="application/pdf"),
        )
    if DecisionItem.objects.filter(meeting=meeting, record_type=record.record_type(), record_id=record.pk).exists():
        return
    data = {"record_type": record.record_type(), "record_id": record.pk, "decision": "approve"}
    if amount is not None:
        data["amount"] = str(amount)
    decisions.item_attach(meeting, actor=staff, data=data)
