"""Every download is read through the selectors: out of scope is 404, as if the record did
not exist; anonymous is 401 (API) or the login page."""

from __future__ import annotations

import pytest

from tests.applications.helpers import create_ready
from tests.conftest import api_as
from tests.documents.helpers import recommended_application
from workflows.models import Round

URL = "/api/v1/applications/"


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


@pytest.fixture(autouse=True)
def _cid(settings):
    settings.PDF_FONT_PATH = ""


def test_application_form_pdf_scope(users, round_id):
    draft = create_ready(users, round_id, "applicant_csf_br1")
    recommended = recommended_application(users, round_id)

    def status(username: str | None, app_id: int, suffix: str = "pdf/") -> int:
        return api_as(users[username] if username else None).get(f"{URL}{app_id}/{suffix}").status_code

    # The applicant's own unit: both; another unit's applicant or reviewer: neither.
    assert status("applicant_csf_br1", draft) == status("applicant_csf_br1", recommended) == 200
    for outsider in ("applicant_gd_fish", "applicant_xuwen", "reviewer_gd_cast", "content_gd_cast", "expert_1"):
        assert status(outsider, draft) == 404, outsider
        assert status(outsider, recommended) == 404, outsider
    # Reviewers and CAST see submitted records, never drafts.
    assert (status("reviewer_csf", draft), status("reviewer_csf", recommended)) == (404, 200)
    assert (status("cast_staff", draft), status("cast_staff", recommended)) == (404, 200)
    assert (status("auditor", draft), status("auditor", recommended)) == (200, 200)
    assert status(None, recommended) == 401
    assert api_as(users["applicant_gd_fish"]).get(f"{URL}{recommended}/pdf/").json() == {
        "detail": "记录不存在或您无权查看",
        "errors": ["记录不存在或您无权查看"],
    }
    # The history PDF follows the same scope.
    assert status("applicant_csf_br1", recommended, "history.pdf") == 200
    assert status("applicant_gd_fish", recommended, "history.pdf") == 404
    # A record that is not issued has no approval notice.
    response = api_as(users["cast_staff"]).get(f"{URL}{recommended}/approval-notice.pdf")
    assert (response.status_code, response.json()["errors"]) == (404, ["该申报尚未立项，没有立项通知书"])
    assert status("applicant_gd_fish", recommended, "approval-notice.pdf") == 404


def test_pages_follow_the_same_scope(users, round_id):
    app_id = recommended_application(users, round_id)

    def page(username: str | None, url: str) -> int:
        client = api_as(None)
        if username:
            client.force_login(users[username])
        return client.get(url).status_code

    url = f"/documents/applications/{app_id}/form.pdf"
    assert page("applicant_csf_br1", url) == 200
    assert page("applicant_gd_fish", url) == 404
    assert page(None, url) == 302
    assert page("reviewer_csf", f"/documents/applications/{app_id}/history.pdf") == 200
    assert page("reviewer_gd_cast", f"/documents/applications/{app_id}/history.pdf") == 404
    assert page("cast_staff", f"/documents/applications/{app_id}/approval-notice.pdf") == 404


def test_result_list_is_for_cast_staff_and_the_auditor(users, round_id):
    url = f"/api/v1/rounds/{round_id}/results.pdf"
    for username in ("applicant_csf_br1", "reviewer_csf", "content_cast", "expert_1"):
        assert api_as(users[username]).get(url).status_code == 404, username
    assert api_as(users["cast_staff"]).get(url).status_code == 200
    assert api_as(users["auditor"]).get(url).status_code == 200
    assert api_as(users["cast_staff"]).get("/api/v1/rounds/999999/results.pdf").status_code == 404


def test_notice_list_only_when_published(users, round_id):
    from notices.models import PublicNotice

    notice = PublicNotice.objects.create(
        round_id=round_id, record_type="applications.application", title="草稿公示", created_by=users["cast_staff"]
    )
    assert api_as(None).get(f"/api/v1/public/notices/{notice.pk}/list.pdf").status_code == 404
    assert api_as(None).get(f"/documents/notices/{notice.pk}/list.pdf").status_code == 404
