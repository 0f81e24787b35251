"""Approval notices for a whole round: a Celery task (eager here) builds one ZIP with a
notice per issued application and a manifest; progress on the page; only the requester,
CAST staff and the auditor may fetch it."""

from __future__ import annotations

import csv
import io
import zipfile

from django.core.management import call_command

from accounts.models import User
from documents.models import BatchJob, BatchKind, BatchStatus, DocumentKind, IssuedDocument
from tests.conftest import api_as
from tests.documents.helpers import pdf_text, seeded_approved


def session(user):
    client = api_as(None)
    client.force_login(user)
    return client


def test_batch_of_a_round(users, settings, django_capture_on_commit_callbacks):
    settings.PDF_FONT_PATH = ""
    app = seeded_approved()
    staff = session(users["cast_staff"])

    page = staff.get("/documents/batches/")
    assert page.status_code == 200
    assert f'<option value="{app.round_id}">{app.round.title}（立项通知书 1 份）</option>' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post("/documents/batches/", {"round": app.round_id})
    job = BatchJob.objects.get()
    assert response.status_code == 302 and response.url == f"/documents/batches/{job.pk}/"
    assert (job.kind, job.status, job.total, job.done, job.requested_by) == (
        BatchKind.APPROVAL_NOTICES,
        BatchStatus.DONE,
        1,
        1,
        users["cast_staff"],
    )

    detail = staff.get(f"/documents/batches/{job.pk}/")
    html = detail.content.decode()
    assert '<span id="batch-count">1/1</span>' in html and "已完成" in html
    assert "Refresh" not in detail and 'http-equiv="refresh"' not in html

    download = staff.get(f"/documents/batches/{job.pk}/download/")
    assert (download.status_code, download["Content-Type"]) == (200, "application/zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    notice_name = f"立项通知书-{app.approval_number}.pdf"
    assert sorted(archive.namelist()) == sorted([notice_name, "清单.csv"])
    notice = archive.read(notice_name)
    assert app.approval_number in pdf_text(notice)
    document = IssuedDocument.objects.get(kind=DocumentKind.APPROVAL_NOTICE, record_id=app.pk)
    # The notice in the ZIP is the issued original: the same bytes as the single download.
    single = api_as(users["cast_staff"]).get(f"/api/v1/applications/{app.pk}/approval-notice.pdf")
    assert single.content == notice
    manifest = list(csv.reader(io.StringIO(archive.read("清单.csv").decode("utf-8-sig"))))
    assert manifest[1] == [
        app.approval_number,
        app.name,
        # the 承担单位: the branch's society, the branch its 具体实施部门
        "中国水产学会（具体实施部门：中国水产学会科普工作委员会）",
        notice_name,
        document.code,
        document.sha256,
    ]

    # The API shows the same batch; the auditor may read and download it.
    listed = api_as(users["auditor"]).get("/api/v1/documents/batches/").json()
    assert [(b["id"], b["status"], b["done"], b["total"], b["percent"]) for b in listed] == [
        (job.pk, "done", 1, 1, 100)
    ]
    assert listed[0]["download_url"] == f"/api/v1/documents/batches/{job.pk}/download/"
    assert api_as(users["auditor"]).get(listed[0]["download_url"]).status_code == 200
    assert session(users["auditor"]).get(f"/documents/batches/{job.pk}/download/").status_code == 200


def test_batch_access(users, settings, django_capture_on_commit_callbacks):
    settings.PDF_FONT_PATH = ""
    app = seeded_approved()
    with django_capture_on_commit_callbacks(execute=True):
        started = api_as(users["cast_staff"]).post("/api/v1/documents/batches/", {"round": app.round_id}, format="json")
    assert started.status_code == 201
    job_id = started.json()["id"]
    # The task ran when the request's transaction committed (eagerly: no broker configured).
    assert api_as(users["cast_staff"]).get(f"/api/v1/documents/batches/{job_id}/").json()["status"] == "done"
    for username in ("applicant_csf_br1", "reviewer_csf", "content_cast", "expert_1"):
        client = session(users[username])
        for url in ("/documents/batches/", f"/documents/batches/{job_id}/", f"/documents/batches/{job_id}/download/"):
            assert client.get(url).status_code == 404, (username, url)
        api = api_as(users[username])
        for url in (f"/api/v1/documents/batches/{job_id}/", f"/api/v1/documents/batches/{job_id}/download/"):
            assert api.get(url).status_code == 404, (username, url)
        assert api.get("/api/v1/documents/batches/").json() == []
        assert api.post("/api/v1/documents/batches/", {"round": app.round_id}, format="json").status_code == 404
    # The auditor reads but does not start batches.
    assert session(users["auditor"]).post("/documents/batches/", {"round": app.round_id}).status_code == 404
    assert api_as(None).get(f"/api/v1/documents/batches/{job_id}/download/").status_code == 401
    assert api_as(None).get(f"/documents/batches/{job_id}/download/").status_code == 302  # to the login page
    assert BatchJob.objects.count() == 1


def test_progress_page_refreshes_while_running(users):
    call_command("seed_demo", stdout=io.StringIO())
    from workflows.models import Round

    round_ = Round.objects.filter(kind="application").first()
    job = BatchJob.objects.create(
        kind=BatchKind.APPROVAL_NOTICES,
        round=round_,
        requested_by=User.objects.get(username="cast_staff"),
        status=BatchStatus.RUNNING,
        total=12,
        done=5,
    )
    page = session(users["cast_staff"]).get(f"/documents/batches/{job.pk}/")
    html = page.content.decode()
    assert page["Refresh"] == "2"
    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<span id="batch-count">5/12</span>' in html
    assert '<progress id="batch-progress" max="12" value="5">41%</progress>' in html
    assert "下载 ZIP" not in html
    assert session(users["cast_staff"]).get(f"/documents/batches/{job.pk}/download/").status_code == 404
    # A second start while one runs returns the running one.
    from documents.services import batch_start

    assert batch_start(round=round_, actor=users["cast_staff"]).pk == job.pk


def test_task_is_idempotent(users, settings):
    settings.PDF_FONT_PATH = ""
    app = seeded_approved()
    job = BatchJob.objects.create(
        kind=BatchKind.APPROVAL_NOTICES, round=app.round, requested_by=users["cast_staff"], total=1
    )
    from documents.tasks import build_batch

    assert build_batch.delay(job.pk).get() == "done"
    job.refresh_from_db()
    first = job.file.name
    assert build_batch.delay(job.pk).get() == "done"  # a redelivered task: a no-op
    job.refresh_from_db()
    assert job.file.name == first
    assert IssuedDocument.objects.filter(kind=DocumentKind.APPROVAL_NOTICE).count() == 1
