"""审定 for the test builders: record a decision meeting with its minutes and attach records,
over the API as CAST staff (``/api/v1/decisions/``), so that ``propose`` / ``shortlist`` may go."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone

from tests.conftest import api_as

MINUTES_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
URL = "/api/v1/decisions/"


def minutes_file(name: str = "会议纪要.pdf", content: bytes = MINUTES_PDF) -> io.BytesIO:
    f = io.BytesIO(content)
    f.name = name
    return f


def meeting(users: dict[str, Any], round_id: int, *, minutes: bool = True, **overrides: Any) -> dict[str, Any]:
    """A decision meeting of the round (with its minutes unless told), as CAST staff records it."""
    data: dict[str, Any] = {
        "round": round_id,
        "kind": "ministerial",
        "name": "中国科协书记处专题会议",
        "held_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "participants": "书记处书记；科普部、农技中心负责同志",
        **overrides,
    }
    if minutes:
        data["minutes"] = minutes_file()
    response = api_as(users["cast_staff"]).post(URL, data, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def attach(
    users: dict[str, Any], meeting_id: int, record_type: str, record_id: int, decision: str = "approve", amount=None
) -> dict[str, Any]:
    body: dict[str, Any] = {"record_type": record_type, "record_id": record_id, "decision": decision}
    if amount is not None:
        body["amount"] = str(amount)
    response = api_as(users["cast_staff"]).post(f"{URL}{meeting_id}/items/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def decided(
    users: dict[str, Any], record_type: str, round_id: int, *record_ids: int, decision: str = "approve"
) -> dict[str, Any]:
    """One meeting with minutes that decided ``record_ids`` (同意 unless told)."""
    found = meeting(users, round_id)
    for record_id in record_ids:
        attach(users, found["id"], record_type, record_id, decision)
    return found


def agreed(record: Any, staff: Any) -> None:
    """The same through the services, for tests that drive records by the services."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from workflows import decisions

    found = decisions.meeting_create(
        actor=staff,
        data={
            "round": record.round_id,
            "kind": "special",
            "name": "审定专题会",
            "held_on": timezone.localdate().isoformat(),
            "participants": "书记处书记；科普部负责同志",
        },
        minutes=SimpleUploadedFile("会议纪要.pdf", MINUTES_PDF, content_type="application/pdf"),
    )
    data = {"record_type": record.record_type(), "record_id": record.pk, "decision": "approve"}
    decisions.item_attach(found, actor=staff, data=data)
