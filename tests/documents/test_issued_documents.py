"""The documents of an issued application, with both font settings: the approval notice
(立项通知书), the round's result list (立项名单), the public-notice list (公示名单), the audit
history (审计记录) and the application form with every level's opinion. The record is the demo's
issued application (seed_demo --with-records, moved by the real services)."""

from __future__ import annotations

import hashlib

from django.utils import timezone

from accounts.models import Membership, Role
from documents.models import DocumentKind, IssuedDocument
from documents.renderer.base import cn_date, period, wan
from notices.models import NoticeEntry
from tests.conftest import api_as
from tests.documents.helpers import pdf_pages, pdf_text, seeded_approved, squash
from workflows.models import AuditEvent, Checkpoint

URL = "/api/v1/applications/"


def applicant_of(application):
    return Membership.objects.filter(organization=application.organization, role=Role.APPLICANT).first().user


def test_approval_notice(users, orgs, font):
    app = seeded_approved()
    client = api_as(applicant_of(app))

    response = client.get(f"{URL}{app.pk}/approval-notice.pdf")

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    text = pdf_text(response.content)
    flat = squash(text)
    assert "立项通知书" in text
    assert app.approval_number.startswith("智惠〔") and app.approval_number in text
    for value in (app.name, app.organization.name, app.subproject.name, app.leader_name):
        assert value in text, value
    assert f"资助金额（万元） {wan(app.funding_amount)}" in text
    assert f"实施期限 {period(app.period_start, app.period_end)}" in text
    assert orgs["CAST"].name in text  # the issuer
    assert cn_date(timezone.localdate(app.issued_at)) in text
    assert squash(f"你单位申报的“{app.name}”项目") in flat

    # Issued once: the code and the stored original, served byte for byte ever after.
    document = IssuedDocument.objects.get(kind=DocumentKind.APPROVAL_NOTICE, record_id=app.pk)
    assert response["X-Document-Code"] == document.code
    assert (document.number, document.title, document.issued_on) == (
        app.approval_number,
        app.name,
        timezone.localdate(app.issued_at),
    )
    assert document.sha256 == hashlib.sha256(response.content).hexdigest()
    assert document.file.name == f"documents/approval_notice/{document.code}.pdf"
    again = api_as(users["cast_staff"]).get(f"{URL}{app.pk}/approval-notice.pdf")
    assert again.content == response.content
    assert IssuedDocument.objects.filter(kind=DocumentKind.APPROVAL_NOTICE).count() == 1
    display = "-".join(document.code[i : i + 4] for i in range(0, 16, 4))
    assert f"验证码：{display}" in text


def test_result_list_notice_list_and_history(users, font):
    app = seeded_approved()
    staff = api_as(users["cast_staff"])

    # 立项名单 of the round: CAST staff.
    results = staff.get(f"/api/v1/rounds/{app.round_id}/results.pdf")
    assert results.status_code == 200
    text = pdf_text(results.content)
    assert f"{app.round.title}立项名单" in squash(text)
    for value in (app.approval_number, app.name, wan(app.funding_amount)):
        assert value in text, value
    assert "资助金额（万元）" in squash(text)
    assert squash(app.organization.name) in squash(text)
    assert "合计 1 项" in text

    # 公示名单 of the notice the record was published on: public, no login.
    entry = NoticeEntry.objects.select_related("notice").get(record_type="applications.application", record_id=app.pk)
    notice = entry.notice
    listing = api_as(None).get(f"/api/v1/public/notices/{notice.pk}/list.pdf")
    assert listing.status_code == 200
    text = pdf_text(listing.content)
    assert squash(notice.title) in squash(text)
    assert f"公示期：{cn_date(notice.starts_on)}至{cn_date(notice.ends_on)}" in text
    for e in notice.entries.all():
        assert squash(e.public_title) in squash(text)
        assert squash(e.public_summary) in squash(text)
    # The page of the same list, for the browser.
    page = api_as(None).get(f"/documents/notices/{notice.pk}/list.pdf")
    assert (page.status_code, page.content) == (200, listing.content)

    # 审计记录: every event, oldest first, with actor and opinion, on landscape pages.
    history = api_as(users["auditor"]).get(f"{URL}{app.pk}/history.pdf")
    assert history.status_code == 200
    pages = pdf_pages(history.content)
    assert all(float(p.mediabox.width) > float(p.mediabox.height) for p in pages)
    text = pdf_text(history.content)
    flat = squash(text)
    events = AuditEvent.objects.filter(record_type="applications.application", record_id=app.pk).order_by("record_seq")
    for label in ("提交", "推荐", "拟立项", "发布公示", "正式立项"):
        assert label in text, label
    for event in events:
        assert event.hash[:12] in flat  # a narrow column may wrap it
        assert squash(event.actor_name) in flat
        if event.opinion:
            assert squash(event.opinion) in flat, event.opinion
    document = IssuedDocument.objects.get(kind=DocumentKind.AUDIT_HISTORY, record_id=app.pk)
    assert document.number == f"共 {events.count()} 条"


def test_form_of_an_issued_application_has_every_opinion(users, font):
    app = seeded_approved()
    response = api_as(applicant_of(app)).get(f"{URL}{app.pk}/pdf/")
    assert response.status_code == 200
    flat = squash(pdf_text(response.content))
    opinions = AuditEvent.objects.filter(
        record_type="applications.application", record_id=app.pk, revision_hash=app.current_revision_hash
    ).exclude(opinion="")
    transitions = set(app.flow_class.all_transitions())
    shown = [e for e in opinions if e.action in transitions]
    assert {e.action for e in shown} >= {"recommend", "propose"}
    for event in shown:
        assert squash(event.opinion) in flat
        assert squash(event.actor_name) in flat
    checkpoints = Checkpoint.objects.filter(
        record_type="applications.application", record_id=app.pk, revision_hash=app.current_revision_hash
    )
    assert {c.stage for c in checkpoints} == {"submission", "recommender", "cast", "publication"}
    for label in ("提交扫描", "推荐单位内容审核", "中国科协内容审核", "发布前内容审核"):
        assert label in flat
    for checkpoint in checkpoints:
        assert squash(checkpoint.opinion) in flat
