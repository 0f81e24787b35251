"""Every write of the documents app: issuing documents (each with its verification code),
rendering them, and building batches.

Callers hand in records they read through the selectors; the functions here that take a
round or a user re-read through the selectors themselves.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.exceptions import TransitionConflict, TransitionForbidden, WorkflowError
from workflows.models import Revision
from workflows.selectors import history_entries

from . import data, selectors
from .models import STORED_KINDS, BatchJob, BatchKind, BatchStatus, DocumentKind, IssuedDocument

logger = logging.getLogger(__name__)


class DocumentUnavailable(WorkflowError):
    """The document does not exist (yet) for this record: answered 404."""

    status_code = 404


@dataclass(frozen=True)
class RenderedDocument:
    document: IssuedDocument
    content: bytes
    filename: str
    content_type: str = "application/pdf"


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def safe_filename(name: str) -> str:
    """A file name without path separators or control characters."""
    cleaned = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "_", name).strip(" .")
    return cleaned[:150] or "document"


# -- issuing ---------------------------------------------------------------------------------


def document_issue(
    *,
    kind: str,
    record_type: str,
    record_id: int,
    key: str,
    title: str,
    number: str = "",
    issued_on: Any = None,
    actor: Any = None,
) -> IssuedDocument:
    """The document of this version of the record, created with a new verification code the
    first time it is asked for (idempotent: the same version keeps its code).

    Side effects: inserts one IssuedDocument row when none exists for (kind, record, key).
    """
    lookup = {"kind": kind, "record_type": record_type, "record_id": record_id, "key": key}
    for _attempt in range(5):
        existing = IssuedDocument.objects.filter(**lookup).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return IssuedDocument.objects.create(
                    **lookup,
                    title=title[:300],
                    number=number[:60],
                    issued_on=issued_on or timezone.localdate(),
                    issued_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
        except IntegrityError:
            # Another request issued the same version meanwhile (or, once in 10^24, the same
            # random code): read it, or try a fresh code.
            continue
    raise IntegrityError("could not issue a document code")


def _rendered(document: IssuedDocument, content: bytes) -> None:
    """Keep the digest of the latest rendering (the same data renders to the same bytes)."""
    sha = hashlib.sha256(content).hexdigest()
    if document.sha256 != sha:
        now = timezone.now()
        IssuedDocument.objects.filter(pk=document.pk).update(sha256=sha, rendered_at=now)
        document.sha256, document.rendered_at = sha, now


def _stored_or_render(document: IssuedDocument, render: Any) -> bytes:
    """For kinds issued once (STORED_KINDS): the kept original, rendered and stored the first
    time under a row lock so that two first requests keep one file."""
    if document.kind not in STORED_KINDS:
        content = render()
        _rendered(document, content)
        return content
    if not document.file:
        with transaction.atomic():
            locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
            if not locked.file:
                content = render()
                locked.sha256 = hashlib.sha256(content).hexdigest()
                locked.rendered_at = timezone.now()
                locked.file.save(f"{locked.code}.pdf", ContentFile(content), save=False)
                locked.save(update_fields=["file", "sha256", "rendered_at"])
                document.file, document.sha256, document.rendered_at = locked.file, locked.sha256, locked.rendered_at
                return content
            document.file = locked.file
    with document.file.open("rb") as handle:
        return handle.read()


# -- the application form --------------------------------------------------------------------


def _form_source(application: Any, revision_number: Any) -> tuple[dict[str, Any], Revision | None]:
    revisions = Revision.objects.filter(record_type=application.record_type(), record_id=application.pk)
    if revision_number not in (None, ""):
        try:
            number = int(revision_number)
        except (TypeError, ValueError):
            raise DocumentUnavailable(_("版本号必须是整数")) from None
        revision = revisions.filter(number=number).first()
        if revision is None:
            raise DocumentUnavailable(_("该申报没有第 %(n)s 版") % {"n": number})
        return revision.content, revision
    if application.state not in application.flow_class.editable_states and application.current_revision_hash:
        revision = revisions.filter(content_hash=application.current_revision_hash).order_by("-number").first()
        if revision is not None:
            return revision.content, revision
    # A draft (or a record returned for revision): what the applicant has entered so far,
    # to print, seal and attach before submitting.
    return application.content_snapshot(), None


def application_form_document(application: Any, *, actor: Any, revision_number: Any = None) -> RenderedDocument:
    """The application form (申报书) of the current revision (or of ``revision_number``); a
    draft's form shows the content entered so far. Issues the form's code for that revision.

    Side effects: one IssuedDocument row for a version not issued before; its digest updated.
    """
    from workflows.services import content_hash

    from .renderer.application_form import render_application_form

    application = (
        type(application)
        .objects.select_related("round", "subproject", "organization", "recommending_unit")
        .get(pk=application.pk)
    )
    content, revision = _form_source(application, revision_number)
    if revision is not None:
        key, label, issued_on = revision.content_hash, _("第 %(n)s 版") % {"n": revision.number}, revision.created_at
    else:
        key, label, issued_on = f"draft:{content_hash(content)}", _("草稿"), timezone.now()
    document = document_issue(
        kind=DocumentKind.APPLICATION_FORM,
        record_type=application.record_type(),
        record_id=application.pk,
        key=key,
        title=content.get("name") or application.name,
        number=label,
        issued_on=timezone.localdate(issued_on),
        actor=actor,
    )
    form = data.application_form_data(application, content=content, revision=revision, document=document)
    pdf = render_application_form(form)
    _rendered(document, pdf)
    suffix = f"第{revision.number}版" if revision is not None else "草稿"
    return RenderedDocument(document, pdf, safe_filename(f"申报书-{application.pk}-{suffix}.pdf"))


# -- the approval notice ---------------------------------------------------------------------


def approval_notice_for(application: Any, *, actor: Any = None) -> IssuedDocument:
    """The approval notice (立项通知书) of an issued application, with its verification code:
    created the first time it is asked for, the same one ever after.

    Side effects: one IssuedDocument row the first time.
    """
    if application.state != "approved" or not application.approval_number:
        raise DocumentUnavailable(_("该申报尚未立项，没有立项通知书"))
    return document_issue(
        kind=DocumentKind.APPROVAL_NOTICE,
        record_type=application.record_type(),
        record_id=application.pk,
        key=application.approval_number,
        title=application.name,
        number=application.approval_number,
        issued_on=timezone.localdate(application.issued_at) if application.issued_at else None,
        actor=actor,
    )


def approval_notice_document(application: Any, *, actor: Any = None) -> RenderedDocument:
    """The approval notice's PDF: rendered and kept the first time, the kept original after.

    Side effects: the IssuedDocument row and its stored file the first time.
    """
    from .renderer.approval_notice import render_approval_notice

    document = approval_notice_for(application, actor=actor)
    content = _stored_or_render(
        document, lambda: render_approval_notice(data.approval_notice_data(application, document=document))
    )
    return RenderedDocument(document, content, safe_filename(f"立项通知书-{application.approval_number}.pdf"))


# -- lists and the audit history -------------------------------------------------------------


def result_list_document(*, round: Any, actor: Any) -> RenderedDocument:
    """The result list (立项名单) of a round: its issued applications with number, unit and
    funding amount. CAST staff and the auditor only (others: 404).

    Side effects: one IssuedDocument row per distinct list.
    """
    from .renderer.table_document import render_table_document

    if not selectors.can_see_result_lists(actor):
        raise DocumentUnavailable(_("记录不存在或您无权查看"))
    applications = list(
        selectors.approved_of_round(user=actor, round_id=round.pk).select_related("organization", "subproject")
    )
    rows = data.result_list_rows(applications)
    document = document_issue(
        kind=DocumentKind.RESULT_LIST,
        record_type="workflows.round",
        record_id=round.pk,
        key=_digest([round.title, rows]),
        title=_("%(round)s立项名单") % {"round": round.title},
        number=_("共 %(n)s 项") % {"n": len(applications)},
        actor=actor,
    )
    pdf = render_table_document(data.result_list_data(round, applications, document=document))
    _rendered(document, pdf)
    return RenderedDocument(document, pdf, safe_filename(f"立项名单-{round.year}-{round.pk}.pdf"))


def notice_list_document(*, notice: Any, actor: Any = None) -> RenderedDocument:
    """The list of a published public notice (公示名单): the published text of each entry.

    Side effects: one IssuedDocument row per distinct list.
    """
    from notices.selectors import public_entries

    from .renderer.table_document import render_table_document

    entries = public_entries(notice)
    if not notice.is_public:
        raise DocumentUnavailable(_("公示尚未发布"))
    document = document_issue(
        kind=DocumentKind.NOTICE_LIST,
        record_type="notices.publicnotice",
        record_id=notice.pk,
        key=_digest([notice.title, notice.intro, str(notice.starts_on), str(notice.ends_on), entries]),
        title=notice.title,
        issued_on=timezone.localdate(notice.published_at) if notice.published_at else None,
        actor=actor,
    )
    pdf = render_table_document(data.notice_list_data(notice, entries, document=document))
    _rendered(document, pdf)
    return RenderedDocument(document, pdf, safe_filename(f"公示名单-{notice.pk}.pdf"))


def audit_history_document(record: Any, *, actor: Any) -> RenderedDocument:
    """The audit history (审计记录) of a record, oldest event first, in landscape.

    Side effects: one IssuedDocument row per distinct history (keyed by its last hash).
    """
    from .renderer.table_document import render_table_document

    entries = history_entries(record, user=actor)
    last = entries[-1]["event"].hash if entries else "empty"
    document = document_issue(
        kind=DocumentKind.AUDIT_HISTORY,
        record_type=record.record_type(),
        record_id=record.pk,
        key=last,
        title=_("%(name)s 审计记录") % {"name": str(record)},
        number=_("共 %(n)s 条") % {"n": len(entries)},
        actor=actor,
    )
    pdf = render_table_document(data.audit_history_data(record, entries, document=document))
    _rendered(document, pdf)
    return RenderedDocument(document, pdf, safe_filename(f"审计记录-{record.pk}.pdf"))


# -- batches ---------------------------------------------------------------------------------


def batch_start(*, round: Any, actor: Any) -> BatchJob:
    """Start building the approval notices of every issued application of ``round`` into one
    ZIP. A batch of the round still queued or running is returned instead of a second one.

    Side effects, in order: one BatchJob row; on commit, the Celery task is enqueued (it runs
    at once when no broker is configured).
    """
    from .tasks import build_batch

    if not selectors.can_start_batches(actor):
        raise TransitionForbidden(_("只有中国科协工作人员可以批量生成立项通知书"))
    with transaction.atomic():
        running = (
            BatchJob.objects.select_for_update()
            .filter(kind=BatchKind.APPROVAL_NOTICES, round=round, status__in=[BatchStatus.PENDING, BatchStatus.RUNNING])
            .first()
        )
        if running is not None:
            return running
        job = BatchJob.objects.create(
            kind=BatchKind.APPROVAL_NOTICES,
            round=round,
            requested_by=actor,
            total=selectors.approved_of_round(user=actor, round_id=round.pk).count(),
        )
        transaction.on_commit(lambda: build_batch.delay(job.pk))
    return job


def batch_run(job_id: int) -> BatchJob | None:
    """Build the batch (the task's body). Idempotent: a finished batch is left alone; a
    batch redelivered after a worker died is built again from the start.

    Side effects, in order: the job marked running; per application, its approval notice
    issued (and stored the first time) and the progress counted; the ZIP stored with a
    manifest (清单.csv); the job marked done, or failed with the reason.
    """
    claimed = BatchJob.objects.filter(pk=job_id, status__in=[BatchStatus.PENDING, BatchStatus.RUNNING]).update(
        status=BatchStatus.RUNNING, started_at=timezone.now(), done=0, error=""
    )
    job = BatchJob.objects.select_related("round", "requested_by").filter(pk=job_id).first()
    if not claimed or job is None:
        return job
    try:
        # The requester's scope decides what goes into the batch.
        applications = list(
            selectors.approved_of_round(user=job.requested_by, round_id=job.round_id).select_related(
                "round", "subproject", "organization"
            )
        )
        BatchJob.objects.filter(pk=job.pk).update(total=len(applications))
        with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as buffer:
            manifest = io.StringIO()
            writer = csv.writer(manifest)
            writer.writerow([_("立项编号"), _("项目名称"), _("承担单位"), _("文件"), _("验证码"), "SHA-256"])
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for done, application in enumerate(applications, start=1):
                    rendered = approval_notice_document(application, actor=job.requested_by)
                    archive.writestr(rendered.filename, rendered.content)
                    writer.writerow(
                        [
                            application.approval_number,
                            application.name,
                            application.organization.name,
                            rendered.filename,
                            rendered.document.code,
                            rendered.document.sha256,
                        ]
                    )
                    BatchJob.objects.filter(pk=job.pk).update(done=done)
                archive.writestr("清单.csv", "\ufeff" + manifest.getvalue())
            buffer.seek(0)
            job.file.save(f"approval-notices-{job.round.year}-{job.pk}.zip", File(buffer), save=False)
        job.status = BatchStatus.DONE
        job.total = job.done = len(applications)
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "status", "total", "done", "finished_at"])
    except Exception as exc:
        logger.exception("batch %s failed", job.pk)
        BatchJob.objects.filter(pk=job.pk).update(
            status=BatchStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        job.refresh_from_db()
    return job


def batch_download_name(job: BatchJob) -> str:
    return safe_filename(f"立项通知书-{job.round.title}-{job.pk}.zip")


def ensure_batch_ready(job: BatchJob) -> None:
    if job.status != BatchStatus.DONE or not job.file:
        raise TransitionConflict(_("压缩包尚未生成完成"))
