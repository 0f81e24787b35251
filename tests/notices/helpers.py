"""Bulletins (the test record with a public notice) and notices in every status, made through
the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from notices import services
from notices.models import PublicNotice
from tests.testapp.models import Bulletin
from workflows import services as workflow_services

PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64

OBJECTOR = {
    "name": "王建国",
    "identity": "高中物理教师",
    "unit": "湛江市第一中学",
    "phone": "+86-139-0000-1234",
    "email": "wangjg@example.com",
    "content": "该项目申报材料中所列的服务时长与实际开展情况不符，请予核实。",
}


def bulletin(
    users: dict[str, Any],
    orgs: dict[str, Any],
    round: Any,
    *,
    title: str,
    org: str = "CSF-BR1",
    state: str = "proposed",
) -> Bulletin:
    applicant = {"CSF-BR1": "applicant_csf_br1", "GD-FISH": "applicant_gd_fish", "GD-XW-CAST": "applicant_xuwen"}
    record = Bulletin.objects.create(
        organization=orgs[org],
        created_by=users[applicant[org]],
        round=round,
        title=title,
        body=f"{title}：面向基层开展科技志愿服务。",
    )
    if state != "draft":
        record = workflow_services.transition(record, "propose", actor=users["cast_staff"])
    record.refresh_from_db()
    assert record.state == state
    return record


def draft_notice(
    users: dict[str, Any], round: Any, records: list[Bulletin], *, title: str = "2026年度拟立项项目公示"
) -> PublicNotice:
    return services.notice_create(
        round=round,
        record_type="testapp.bulletin",
        records=records,
        title=title,
        intro="现将拟立项项目予以公示，公示期内如有异议，请实名提出。",
        actor=users["cast_staff"],
    )


def reviewed_notice(users: dict[str, Any], round: Any, records: list[Bulletin], **kwargs: Any) -> PublicNotice:
    notice = draft_notice(users, round, records, **kwargs)
    return services.notice_review(
        notice=notice, verdict="pass", opinion="名单内容无问题，同意发布。", actor=users["content_cast"]
    )


def published_notice(users: dict[str, Any], round: Any, records: list[Bulletin], **kwargs: Any) -> PublicNotice:
    notice = reviewed_notice(users, round, records, **kwargs)
    return services.notice_publish(notice=notice, actor=users["cast_staff"])


def end_period(notice: PublicNotice) -> None:
    """Simulate the passing of the notice period (test setup only)."""
    today = timezone.localdate()
    PublicNotice.objects.filter(pk=notice.pk).update(
        starts_on=today - dt.timedelta(days=10), ends_on=today - dt.timedelta(days=1)
    )
    notice.refresh_from_db()


def file_objection(notice: PublicNotice, entry_id: Any, *, client_ip: str = "203.0.113.7", files=(), **overrides: Any):
    values = {**OBJECTOR, **overrides}
    return services.objection_file(notice=notice, entry_id=entry_id, files=list(files), client_ip=client_ip, **values)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def row_counts() -> dict[str, int]:
    """How many rows each table a notice service may write holds: equal before and after a
    refused call means nothing was written."""
    from notices.models import NoticeEntry, Objection, ObjectionEvidence
    from notifications.models import Notification
    from workflows.models import AuditEvent, Checkpoint

    return {
        "notices": PublicNotice.objects.count(),
        "entries": NoticeEntry.objects.count(),
        "objections": Objection.objects.count(),
        "evidence": ObjectionEvidence.objects.count(),
        "audit": AuditEvent.objects.count(),
        "checkpoints": Checkpoint.objects.count(),
        "notifications": Notification.objects.count(),
    }


def states(*records: Bulletin) -> list[str]:
    return [Bulletin.objects.get(pk=r.pk).state for r in records]
