"""CAST staff run a round entirely in pages: they create it with its settings and contacts, add
a sub-project, upload the guide and the form template; an applicant of a county CAST reads the
round page, downloads the guide, and is offered only the sub-projects its unit may apply for.

Screenshots as the other browser tests take them (both languages, and a phone-width one)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone

from applications.models import SubprojectType
from tests.applications.helpers import PDF_BYTES
from workflows.models import AuditEvent, Round, RoundDocument

try:
    from playwright.sync_api import expect

    from tests.e2e.actors import People
except ImportError:  # no playwright: the browser fixture skips every test (fails it under CI)
    pass

pytestmark = pytest.mark.e2e

TITLE = "2027年度科技志愿服务“智惠行动”项目（第二批）"
SUB_NAME = "百会百县乡村行"


@pytest.fixture
def people(request, browser, live_server, shots, users):
    opened = People(browser, live_server.url, shots)
    opened.test = request.node.originalname
    yield opened
    report = getattr(request.node, "e2e_call_report", None)
    opened.close(failed=report is not None and report.failed)


def local(days: float) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_cast_staff_set_up_a_round_and_an_applicant_sees_what_it_may_apply_for(people, users):
    findings = people.findings
    findings.data.update(
        [TITLE, SUB_NAME, "王芳", "业务咨询", "申报指南.pdf", "申报书模板.docx", "2027年度申报指南", "申报书模板"]
    )
    staff = people("cast_staff")
    page = staff.page
    staff.login("cast_staff", "/manage/rounds/")
    staff.shot("rounds", english=True)

    page.get_by_role("link", name="新建项目申报批次", exact=True).click()
    expect(page.get_by_role("heading", name="新建项目申报批次")).to_be_visible()
    staff.shot("round-new", english=True)
    page.get_by_label("名称", exact=True).fill(TITLE)
    page.get_by_label("年度", exact=True).fill("2027")
    page.get_by_label("申报开始", exact=True).fill(local(-1))
    page.get_by_label("申报截止", exact=True).fill(local(20))
    page.get_by_label("推荐单位审核截止", exact=True).fill(local(30))
    page.get_by_label("中国科协审核截止", exact=True).fill(local(40))
    page.get_by_label("每个推荐单位每个子项目的推荐名额（子项目未设时；不填：不限名额）", exact=True).fill("2")
    page.get_by_label("联系人第 1 行：联系人", exact=True).fill("王芳")
    page.get_by_label("联系人第 1 行：负责事项", exact=True).fill("业务咨询")
    page.get_by_label("联系人第 1 行：电话", exact=True).fill("010-68571898")
    page.get_by_role("button", name="创建批次", exact=True).click()
    staff.expect_message("批次已创建")
    round_ = Round.objects.get(title=TITLE)
    assert round_.settings == {"recommender_quota": 2}
    assert round_.contacts == [{"name": "王芳", "purpose": "业务咨询", "phone": "010-68571898", "email": ""}]
    staff.shot("round-created", english=True)

    page.get_by_role("link", name="新增子项目", exact=True).click()
    expect(page.get_by_role("heading", name="新增子项目")).to_be_visible()
    # The English screenshot reloads the page: taken before the form is filled.
    staff.shot("subproject-new", english=True)
    page.get_by_label("代码", exact=True).fill("rural_tour")
    page.get_by_label("名称", exact=True).fill(SUB_NAME)
    page.get_by_label("全国学会", exact=True).check()
    page.get_by_label("省级科协", exact=True).check()
    page.get_by_label("每单位限报数", exact=True).fill("2")
    page.get_by_role("button", name="保存", exact=True).click()
    staff.expect_message("子项目已保存")
    sub = SubprojectType.objects.get(round=round_, code="rural_tour")
    assert (sub.eligible_org_types, sub.per_unit_limit) == (["national_society", "provincial_cast"], 2)

    for kind, title, name, content, mime in (
        ("申报指南", "2027年度申报指南", "申报指南.pdf", PDF_BYTES, "application/pdf"),
        (
            "申报书模板",
            "申报书模板",
            "申报书模板.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ):
        page.get_by_label("文件类型", exact=True).select_option(label=kind)
        page.get_by_label("标题", exact=True).fill(title)
        page.get_by_label("文件", exact=True).set_input_files({"name": name, "mimeType": mime, "buffer": content})
        page.get_by_role("button", name="上传", exact=True).click()
        staff.expect_message(f"文件已上传：{title}")
    assert sorted(RoundDocument.objects.filter(round=round_).values_list("kind", flat=True)) == ["guide", "template"]
    staff.shot("round-documents", english=True)
    actions = list(
        AuditEvent.objects.filter(record_type="workflows.round", record_id=round_.pk).values_list("action", flat=True)
    )
    assert actions == ["created", "document_added", "document_added"]

    # -- an applicant of a county CAST (a pilot county) -----------------------------------
    applicant = people("applicant_xuwen")
    page = applicant.page
    applicant.login("applicant_xuwen", f"/rounds/{round_.pk}/")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_text("业务咨询：王芳")).to_be_visible()
    expect(page.get_by_role("link", name="2027年度申报指南")).to_be_visible()
    expect(page.get_by_text(f"不可申报：本单位类型（县级科协）不能申报“{SUB_NAME}”")).to_be_visible()
    applicant.shot("round-applicant", english=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="2027年度申报指南").click()
    assert download.value.suggested_filename == "申报指南.pdf"
    page.set_viewport_size({"width": 390, "height": 844})
    applicant.shot("round-applicant-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/applications/new/")
    offered = page.locator('select[name="subproject"] option').all_inner_texts()
    # Both open rounds offer only the sub-project a county CAST may apply to.
    assert [o.split(" · ")[-1] for o in offered if " · " in o] == ["助力新时代文明实践中心建设"] * 2
    expect(page.get_by_text("本单位不能申报以下子项目：")).to_be_visible()
    applicant.shot("application-new-eligible", english=True)
    from tests.e2e.test_scenario import assert_translated

    assert_translated(people)
