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


def _form_source(record: Any, revision_number: Any) -> tuple[dict[str, Any], Revision | None]:
    """The content a form shows: revision ``revision_number``; else the current revision of a
    submitted record; else (a draft, or a record returned for revision) what the applicant
    has entered so far, to print, seal and attach before submitting."""
    revisions = Revision.objects.filter(record_type=record.record_type(), record_id=record.pk)
    if revision_number not in (None, ""):
        try:
            number = int(revision_number)
        except (TypeError, ValueError):
            raise DocumentUnavailable(_("版本号必须是整数")) from None
        revision = revisions.filter(number=number).first()
        if revision is None:
            raise DocumentUnavailable(_("该记录没有第 %(n)s 版") % {"n": number})
        return revision.content, revision
    if record.state not in record.flow_class.editable_states and record.current_revision_hash:
        revision = revisions.filter(content_hash=record.current_revision_hash).order_by("-number").first()
        if revision is not None:
            return revision.content, revision
    return record.content_snapshot(), None


def _form_document(record: Any, *, kind: str, title_field: str, revision_number: Any, actor: Any) -> tuple:
    """(content, revision, issued document) of a record's form: the form's code is that of
    the revision it shows (or of the draft's content); its title the name in that content."""
    from workflows.services import content_hash

    content, revision = _form_source(record, revision_number)
    if revision is not None:
        key, label, issued_on = revision.content_hash, _("第 %(n)s 版") % {"n": revision.number}, revision.created_at
    else:
        key, label, issued_on = f"draft:{content_hash(content)}", _("草稿"), timezone.now()
    document = document_issue(
        kind=kind,
        record_type=record.record_type(),
        record_id=record.pk,
        key=key,
        title=content.get(title_field) or getattr(record, title_field),
        number=label,
        issued_on=timezone.localdate(issued_on),
        actor=actor,
    )
    return content, revision, document


def _form_suffix(revision: Revision | None) -> str:
    return f"第{revision.number}版" if revision is not None else "草稿"


def application_form_document(application: Any, *, actor: Any, revision_number: Any = None) -> RenderedDocument:
    """The application form (申报书) of the current revision (or of ``revision_number``); a
    draft's form shows the content entered so far. Issues the form's code for that revision.

    Side effects: one IssuedDocument row for a version not issued before; its digest updated.
    """
    from .renderer.application_form import render_application_form

    application = (
        type(application)
        .objects.select_related("round", "subproject", "organization", "recommending_unit")
        .get(pk=application.pk)
    )
    content, revision, document = _form_document(
        application,
        kind=DocumentKind.APPLICATION_FORM,
        title_field="name",
        revision_number=revision_number,
        actor=actor,
    )
    form = data.application_form_data(application, content=content, revision=revision, document=document)
    pdf = render_application_form(form)
    _rendered(document, pdf)
    return RenderedDocument(document, pdf, safe_filename(f"申报书-{application.pk}-{_form_suffix(revision)}.pdf"))


def nomination_form_document(nomination: Any, *, actor: Any, revision_number: Any = None) -> RenderedDocument:
    """The recommendation form (推荐表) of a nomination's current revision (or of
    ``revision_number``); a draft's form shows what has been entered so far.

    Side effects: one IssuedDocument row for a version not issued before; its digest updated.
    """
    from .renderer.nomination_form import render_nomination_form

    nomination = (
        type(nomination).objects.select_related("round", "organization", "recommending_unit").get(pk=nomination.pk)
    )
    content, revision, document = _form_document(
        nomination,
        kind=DocumentKind.NOMINATION_FORM,
        title_field="nominee_name",
        revision_number=revision_number,
        actor=actor,
    )
    form = data.nomination_form_data(nomination, content=content, revision=revision, document=document)
    pdf = render_nomination_form(form)
    _rendered(document, pdf)
    return RenderedDocument(document, pdf, safe_filename(f"推荐表-{nomination.pk}-{_form_suffix(revision)}.pdf"))


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


# -- the certificate -------------------------------------------------------------------------


def certificate_for(nomination: Any, *, actor: Any = None) -> IssuedDocument:
    """The certificate (荣誉证书) of an awarded nomination, with its verification code:
    created the first time it is asked for, the same one ever after.

    Side effects: one IssuedDocument row the first time.
    """
    if nomination.state != "awarded" or not nomination.certificate_number:
        raise DocumentUnavailable(_("该推荐尚未入选公布，没有荣誉证书"))
    return document_issue(
        kind=DocumentKind.CERTIFICATE,
        record_type=nomination.record_type(),
        record_id=nomination.pk,
        key=nomination.certificate_number,
        title=nomination.nominee_name,
        number=nomination.certificate_number,
        issued_on=timezone.localdate(nomination.awarded_at) if nomination.awarded_at else None,
        actor=actor,
    )


def certificate_document(nomination: Any, *, actor: Any = None) -> RenderedDocument:
    """The certificate's PDF (landscape): rendered and kept the first time, the kept
    original after.

    Side effects: the IssuedDocument row and its stored file the first time.
    """
    from .renderer.certificate import render_certificate

    document = certificate_for(nomination, actor=actor)
    content = _stored_or_render(
        document, lambda: render_certificate(data.certificate_data(nomination, document=document))
    )
    return RenderedDocument(document, content, safe_filename(f"荣誉证书-{nomination.certificate_number}.pdf"))


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
        # Stored and shown on the public verification page: the official (Chinese) wording,
        # whatever the language of the first reader.
        title=f"{round.title}立项名单",
        number=f"共 {len(applications)} 项",
        actor=actor,
    )
    pdf = render_table_document(data.result_list_data(round, applications, document=document))
    _rendered(document, pdf)
    return RenderedDocument(document, pdf, safe_filename(f"立项名单-{round.year}-{round.pk}.pdf"))


def winners_list_document(*, round: Any, actor: Any) -> RenderedDocument:
    """The list of winners (入选名单) of a selection round: its awarded nominations with
    certificate number, category and unit. Public once announced, like the winners page.

    Side effects: one IssuedDocument row per distinct list.
    """
    from .renderer.table_document import render_table_document

    nominations = list(selectors.awarded_of_round(round_id=round.pk))
    if not nominations:
        raise DocumentUnavailable(_("本批次尚未公布入选名单"))
    rows = data.winners_list_rows(nominations)
    document = document_issue(
        kind=DocumentKind.WINNER_LIST,
        record_type="workflows.round",
        record_id=round.pk,
        key=_digest([round.title, rows]),
        title=f"{round.title}入选名单",  # the official wording, as for the result list
        number=f"共 {len(nominations)} 项",
        actor=actor,
    )
    pdf = render_table_document(data.winners_list_data(round, nominations, document=document))
    _rendered(document, pdf)
    return RenderedDocument(document, pdf, safe_filename(f"入选名单-{round.year}-{round.pk}.pdf"))


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


@dataclass(frozen=True)
class BatchPlan:
    """What a kind of batch holds and how each item is rendered and listed in the manifest."""

    kind: str
    items: Any  # (user, round_id) -> QuerySet of the records the requester may see
    render: Any  # (record, actor) -> RenderedDocument
    manifest_header: tuple[str, ...]
    manifest_row: Any  # (record) -> list of str
    archive_name: str  # prefix of the ZIP's name


def _approval_items(user: Any, round_id: int) -> Any:
    return selectors.approved_of_round(user=user, round_id=round_id).select_related(
        "round", "subproject", "organization"
    )


def _certificate_items(user: Any, round_id: int) -> Any:
    return selectors.awarded_of_round(round_id=round_id, user=user).select_related("round", "organization")


BATCH_PLANS = {
    BatchKind.APPROVAL_NOTICES: BatchPlan(
        kind=BatchKind.APPROVAL_NOTICES,
        items=_approval_items,
        render=lambda record, actor: approval_notice_document(record, actor=actor),
        manifest_header=("立项编号", "项目名称", "承担单位"),
        manifest_row=lambda a: [a.approval_number, a.name, data.undertaking_text(a)],
        archive_name="立项通知书",
    ),
    BatchKind.CERTIFICATES: BatchPlan(
        kind=BatchKind.CERTIFICATES,
        items=_certificate_items,
        render=lambda record, actor: certificate_document(record, actor=actor),
        manifest_header=("证书编号", "名称", "申报单位"),
        manifest_row=lambda n: [n.certificate_number, n.nominee_name, data.undertaking_text(n)],
        archive_name="荣誉证书",
    ),
}


def batch_kind_of(round: Any) -> str:
    """A project round's batch is its approval notices; a selection round's, its certificates."""
    from workflows.models import RoundKind

    return BatchKind.CERTIFICATES if round.kind == RoundKind.SELECTION else BatchKind.APPROVAL_NOTICES


def batch_start(*, round: Any, actor: Any) -> BatchJob:
    """Start building the documents of a whole round into one ZIP: the approval notices of
    every issued application of a project round, the certificates of every winner of a
    selection round. A batch of the round still queued or running is returned instead of a
    second one.

    Side effects, in order: one BatchJob row; on commit, the Celery task is enqueued (it runs
    at once when no broker is configured).
    """
    from .tasks import build_batch

    if not selectors.can_start_batches(actor):
        raise TransitionForbidden(_("只有中国科协工作人员可以批量生成文件"))
    plan = BATCH_PLANS[batch_kind_of(round)]
    with transaction.atomic():
        running = (
            BatchJob.objects.select_for_update()
            .filter(kind=plan.kind, round=round, status__in=[BatchStatus.PENDING, BatchStatus.RUNNING])
            .first()
        )
        if running is not None:
            return running
        job = BatchJob.objects.create(
            kind=plan.kind, round=round, requested_by=actor, total=plan.items(actor, round.pk).count()
        )
        transaction.on_commit(lambda: build_batch.delay(job.pk))
    return job


def batch_run(job_id: int) -> BatchJob | None:
    """Build the batch (the task's body). Idempotent: a finished batch is left alone; a
    batch redelivered after a worker died is built again from the start.

    Side effects, in order: the job marked running; per record, its document issued (and
    stored the first time) and the progress counted; the ZIP stored with a manifest
    (清单.csv); the job marked done, or failed with the reason.
    """
    claimed = BatchJob.objects.filter(pk=job_id, status__in=[BatchStatus.PENDING, BatchStatus.RUNNING]).update(
        status=BatchStatus.RUNNING, started_at=timezone.now(), done=0, error=""
    )
    job = BatchJob.objects.select_related("round", "requested_by").filter(pk=job_id).first()
    if not claimed or job is None:
        return job
    plan = BATCH_PLANS[BatchKind(job.kind)]
    try:
        # The requester's scope decides what goes into the batch.
        records = list(plan.items(job.requested_by, job.round_id))
        BatchJob.objects.filter(pk=job.pk).update(total=len(records))
        with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as buffer:
            manifest = io.StringIO()
            writer = csv.writer(manifest)
            writer.writerow([*plan.manifest_header, "文件", "验证码", "SHA-256"])
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for done, record in enumerate(records, start=1):
                    rendered = plan.render(record, job.requested_by)
                    archive.writestr(rendered.filename, rendered.content)
                    writer.writerow(
                        [
                            *plan.manifest_row(record),
                            rendered.filename,
                            rendered.document.code,
                            rendered.document.sha256,
                        ]
                    )
                    BatchJob.objects.filter(pk=job.pk).update(done=done)
                archive.writestr("清单.csv", "\ufeff" + manifest.getvalue())
            buffer.seek(0)
            job.file.save(f"{job.kind.replace('_', '-')}-{job.round.year}-{job.pk}.zip", File(buffer), save=False)
        job.status = BatchStatus.DONE
        job.total = job.done = len(records)
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
    return safe_filename(f"{BATCH_PLANS[BatchKind(job.kind)].archive_name}-{job.round.title}-{job.pk}.zip")


def ensure_batch_ready(job: BatchJob) -> None:
    if job.status != BatchStatus.DONE or not job.file:
        raise TransitionConflict(_("压缩包尚未生成完成"))
