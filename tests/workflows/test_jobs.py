"""Bulk actions too large for one request run as background jobs: all or nothing as before,
their progress and outcome readable over the API and on a page, their starter told when they
end; a job is run once however often its task is delivered."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from notifications.models import Notification
from tests.applications.builders import application_in
from tests.conftest import api_as
from tests.workflows.helpers import dossier_in
from workflows import services
from workflows.models import Job, JobStatus, Round, job_progress_key


@pytest.fixture(autouse=True)
def small_threshold(settings):
    settings.BULK_JOB_THRESHOLD = 2


@pytest.fixture
def recommended(users, orgs, open_round):
    return [dossier_in("recommended", users=users, orgs=orgs, round=open_round, title=f"卷宗{i}") for i in range(3)]


def page_as(user):
    client = api_as(None)
    client.force_login(user)
    return client


def test_up_to_the_threshold_the_bulk_action_is_done_at_once(users, recommended):
    outcome = services.bulk_transition(recommended[:2], "start_expert_review", actor=users["cast_staff"])

    assert outcome.job is None
    assert [r.state for r in outcome.done] == ["expert_review", "expert_review"]
    assert Job.objects.count() == 0


def test_over_the_threshold_it_runs_as_a_job(users, recommended, django_capture_on_commit_callbacks):
    staff = users["cast_staff"]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.bulk_transition(recommended, "start_expert_review", actor=staff, opinion="进入评审。")

    job = Job.objects.get()
    assert outcome.job.pk == job.pk
    assert (job.status, job.total, job.done, job.errors, job.transition_label) == (
        JobStatus.DONE,
        3,
        3,
        [],
        "送专家评审",
    )
    assert job.record_ids == [r.pk for r in recommended]
    for record in recommended:
        record.refresh_from_db()
        assert record.state == "expert_review"
    told = Notification.objects.get(recipient=staff, message_key="bulk_job_finished", channel="in_app")
    assert (told.context["title"], told.context["action_label"]) == ("批量“送专家评审”（3 条）", "已完成")
    assert told.context["url"].endswith(f"/workflow/jobs/{job.pk}/")
    # A redelivered task finds the job taken and does nothing.
    assert services.job_run(job.pk) is None


def test_a_job_is_all_or_nothing(users, orgs, open_round, recommended, django_capture_on_commit_callbacks):
    submitted = dossier_in("submitted", users=users, orgs=orgs, round=open_round, title="未推荐的卷宗")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.bulk_transition([*recommended, submitted], "start_expert_review", actor=users["cast_staff"])

    job = Job.objects.get(pk=outcome.job.pk)
    assert job.status == JobStatus.FAILED
    assert job.errors == [
        "《未推荐的卷宗》：记录当前状态为“已提交（待推荐单位审核）”，无法执行“送专家评审”：可能已被他人处理，请刷新后重试"
    ]
    for record in recommended:
        record.refresh_from_db()
        assert record.state == "recommended"
    page = page_as(users["cast_staff"]).get(f"/workflow/jobs/{job.pk}/").content.decode()
    assert "操作未执行，所选记录均保持不变。请先解决以下问题：" in page and "未推荐的卷宗" in page


def test_progress_is_read_from_the_worker_while_it_runs(users, recommended):
    job = Job.objects.create(
        record_type="testapp.dossier",
        record_ids=[r.pk for r in recommended],
        transition="start_expert_review",
        transition_label="送专家评审",
        actor=users["cast_staff"],
        total=3,
        status=JobStatus.RUNNING,
    )
    cache.set(job_progress_key(job.pk), 2)

    body = api_as(users["cast_staff"]).get(f"/api/v1/jobs/{job.pk}/").json()
    assert (body["status"], body["status_label"], body["done"], body["percent"], body["url"]) == (
        "running",
        "进行中",
        2,
        66,
        f"/api/v1/jobs/{job.pk}/",
    )
    page = page_as(users["cast_staff"]).get(f"/workflow/jobs/{job.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress id="job-progress" max="3" value="2">66%</progress>' in page
    cache.delete(job_progress_key(job.pk))


@pytest.mark.parametrize(
    ("username", "status"),
    [("cast_staff", 200), ("auditor", 200), ("reviewer_csf", 404), ("applicant_csf_br1", 404), ("expert_1", 404)],
)
def test_who_may_follow_a_job(users, recommended, username, status):
    job = Job.objects.create(
        record_type="testapp.dossier",
        record_ids=[recommended[0].pk],
        transition="start_expert_review",
        actor=users["cast_staff"],
        total=1,
    )

    assert api_as(users[username]).get(f"/api/v1/jobs/{job.pk}/").status_code == status
    assert page_as(users[username]).get(f"/workflow/jobs/{job.pk}/").status_code == status


def test_anonymous_and_unknown_jobs(users):
    assert api_as(None).get("/api/v1/jobs/1/").status_code == 401
    assert api_as(users["cast_staff"]).get("/api/v1/jobs/999999/").status_code == 404


def test_the_bulk_api_answers_202_with_the_job(users, django_capture_on_commit_callbacks):
    round_id = Round.objects.get(kind="application").pk
    ids = [
        application_in(users, round_id, "recommended", applicant)
        for applicant in ("applicant_csf_br1", "applicant_gd_fish", "applicant_xuwen")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(users["cast_staff"]).post(
            "/api/v1/applications/bulk-transition/",
            {"ids": ids, "name": "pass_formal_review", "opinion": "材料齐全。"},
            format="json",
        )

    assert response.status_code == 202
    job = response.json()["job"]
    assert (job["status"], job["total"], job["record_ids"], job["url"]) == (
        "pending",
        3,
        ids,
        f"/api/v1/jobs/{job['id']}/",
    )
    # Eagerly (no broker) the job ran on commit.
    after = api_as(users["cast_staff"]).get(job["url"]).json()
    assert (after["status"], after["done"], after["percent"]) == ("done", 3, 100)
    states = api_as(users["cast_staff"]).get("/api/v1/applications/", {"state": "expert_review"}).json()
    assert sorted(r["id"] for r in states["results"]) == sorted(ids)


def test_the_bulk_page_goes_to_the_job(users, django_capture_on_commit_callbacks):
    round_id = Round.objects.get(kind="application").pk
    ids = [
        application_in(users, round_id, "recommended", applicant)
        for applicant in ("applicant_csf_br1", "applicant_gd_fish", "applicant_xuwen")
    ]
    client = page_as(users["cast_staff"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/applications/bulk/",
            {"ids": ids, "name": "pass_formal_review", "opinion": "材料齐全。", "confirm": "yes"},
        )

    job = Job.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/workflow/jobs/{job.pk}/")
    page = client.get(response["Location"]).content.decode()
    assert "已对 3 条记录执行“形式审查通过”。" in page
