"""The public verification page ``/verify/<code>/``: genuine for an issued document, showing
only its kind, title, number and date; "not found" (404) for an invented code."""

from __future__ import annotations

from django.utils import timezone

from documents.models import DocumentKind, IssuedDocument
from documents.renderer.base import yuan
from tests.conftest import api_as
from tests.documents.helpers import seeded_approved
from workflows.ledger.sequencer import sequence
from workflows.models import AuditEvent, LedgerLeaf


def test_genuine_for_an_issued_approval_notice_and_nothing_private(users, settings):
    settings.PDF_FONT_PATH = ""
    app = seeded_approved()
    code = api_as(users["cast_staff"]).get(f"/api/v1/applications/{app.pk}/approval-notice.pdf")["X-Document-Code"]
    document = IssuedDocument.objects.get(code=code)
    assert document.kind == DocumentKind.APPROVAL_NOTICE

    page = api_as(None).get(f"/verify/{code}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "真实有效" in html and "未找到该文件" not in html
    issued = timezone.localdate(app.issued_at)
    for shown in ("立项通知书", app.name, app.approval_number, f"{issued.year}年{issued.month}月{issued.day}日", code):
        assert shown in html, shown
    team = list(app.team.values_list("name", "phone"))
    private = [
        app.leader_name,
        app.leader_phone,
        app.leader_mobile,
        app.leader_email,
        yuan(app.funding_amount),
        yuan(app.requested_amount),
        *[name for name, _phone in team],
        *[phone for _name, phone in team if phone],
    ]
    for value in filter(None, private):
        assert value not in html, value

    # The code as printed (groups of four) or typed in lower case finds the same document.
    printed = "-".join(code[i : i + 4] for i in range(0, 16, 4))
    assert api_as(None).get(f"/verify/{printed.lower()}/").status_code == 200
    assert api_as(None).get("/verify/", {"code": printed}).url == f"/verify/{code}/"

    # The same answer as JSON for programs; the issuing event not yet under a checkpoint.
    issue_event = AuditEvent.objects.get(record_type="applications.application", record_id=app.pk, action="issue")
    answer = api_as(None).get(f"/api/v1/public/verify/{printed}/")
    assert answer.json() == {
        "genuine": True,
        "code": code,
        "kind": "approval_notice",
        "kind_label": "立项通知书",
        "title": app.name,
        "number": app.approval_number,
        "issued_on": issued.isoformat(),
        "ledger": {"pending": True, "event_hash": issue_event.hash},
    }
    assert "正在写入签名审计账本" in api_as(None).get(f"/verify/{code}/").content.decode()

    # Once the sequencer has run, the page says where in the signed ledger the issue stands.
    checkpoint = sequence()
    leaf = LedgerLeaf.objects.get(event=issue_event)
    ledger = api_as(None).get(f"/api/v1/public/verify/{code}/").json()["ledger"]
    assert ledger == {
        "pending": False,
        "event_hash": issue_event.hash,
        "leaf_index": leaf.index,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "signed_at": ledger["signed_at"],
        "key_id": checkpoint.key_id,
    }
    page = api_as(None).get(f"/verify/{code}/").content.decode()
    assert "该文件的签发事件已记入签名审计账本，其包含证明与签名均已核验。" in page
    assert checkpoint.root_hash in page and f"第 {leaf.index} 号叶子，共 {checkpoint.tree_size} 个叶子" in page


def test_not_found_for_an_invented_code(db):
    for invented in ("ZZZZZZZZZZZZZZZZ", "ABCD-EFGH-JKMN-PQRS", "not-a-code", "1"):
        page = api_as(None).get(f"/verify/{invented}/")
        assert page.status_code == 404, invented
        html = page.content.decode()
        assert "未找到该文件" in html and "真实有效" not in html
    answer = api_as(None).get("/api/v1/public/verify/ZZZZZZZZZZZZZZZZ/")
    assert (answer.status_code, answer.json()["detail"]) == (404, "未找到该文件")


def test_lookup_form(db):
    page = api_as(None).get("/verify/")
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()
