"""The Four Top-Ten documents: the recommendation form (推荐表) of a nomination, the winner's
certificate (荣誉证书, landscape), the list of winners (入选名单), a round's certificates as one
ZIP, and the nominations' spreadsheet export — each read back and checked field by field,
with both font settings, and refused to whoever may not see the record."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from documents.models import BatchJob, BatchKind, BatchStatus, DocumentKind, IssuedDocument
from nominations.models import Nomination
from tests.conftest import api_as
from tests.documents.helpers import pdf_pages, pdf_text, squash
from tests.nominations.helpers import CONTACT_PHONE, DEEDS, FORMS, RECOMMEND_OPINION, create_draft, nomination_in
from workflows.models import Round

URL = "/api/v1/nominations/"


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="selection").pk


def session(user):
    client = api_as(None)
    client.force_login(user)
    return client


def seeded_winners() -> list[Nomination]:
    """The demo records (seed_demo --with-records, moved by the real services): the awarded
    nominations of the demo selection round, with their certificate numbers."""
    call_command("seed_demo", "--with-records", stdout=io.StringIO())
    return list(
        Nomination.objects.filter(state="awarded")
        .select_related("round", "organization")
        .order_by("certificate_number")
    )


# -- the recommendation form ------------------------------------------------------------------


def test_form_of_a_recommended_volunteer(users, orgs, round_id, font):
    nid = nomination_in(users, round_id, "volunteer", "recommended")

    response = api_as(users["applicant_csf_br1"]).get(f"{URL}{nid}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''%E6%8E%A8%E8%8D%90%E8%A1%A8-{nid}-%E7%AC%AC1%E7%89%88.pdf"
    )
    text = pdf_text(response.content)
    flat = squash(text)
    values = FORMS["volunteer"]
    for value in (
        "科技志愿服务“四个十佳”推荐表",
        "十佳科技志愿者",
        "第 1 版（已推荐（待中国科协审核））",
        values["nominee_name"],
        "女",
        "1978年5月12日",
        values["person_org"],
        values["person_title"],
        values["volunteer_number"],
        "36",
        "186.5",
        "李明",
        CONTACT_PHONE,
        orgs["CSF-BR1"].name,
        orgs["CSF"].name,
        "签署人：王建国",
    ):
        assert value in text, value
    for long_text in (DEEDS["volunteer"], "经本单位审核，推荐材料真实准确，同意推荐。", RECOMMEND_OPINION):
        assert squash(long_text) in flat, long_text
    # The three signed blocks, and the recommending unit's content review on this revision.
    for heading in ("二、申报单位意见", "三、推荐单位意见", "四、中国科协意见", "五、审核意见", "六、内容审核"):
        assert heading in text, heading
    assert "推荐单位内容审核" in text and "通过" in text
    document = IssuedDocument.objects.get(kind=DocumentKind.NOMINATION_FORM, record_id=nid)
    assert response["X-Document-Code"] == document.code
    assert (document.title, document.number) == (values["nominee_name"], "第 1 版")
    code = "-".join(document.code[i : i + 4] for i in range(0, 16, 4))
    pages = pdf_pages(response.content)
    assert all(code in page.extract_text() for page in pages)

    # The same version asked again keeps its code; the browser's download is the same form.
    again = session(users["reviewer_csf"]).get(f"/documents/nominations/{nid}/form.pdf")
    assert (again.status_code, again["X-Document-Code"]) == (200, document.code)


def test_form_of_a_draft_shows_what_has_been_entered(users, round_id, font):
    nid = create_draft(users, round_id, "team", attachments=False, nominee_name="黄河口湿地科普服务队")

    response = api_as(users["applicant_csf_br1"]).get(f"{URL}{nid}/pdf/")

    assert response.status_code == 200
    text = pdf_text(response.content)
    for value in (
        "黄河口湿地科普服务队",
        "十佳科技志愿服务队",
        "草稿（未提交）",
        "2016年4月20日",
        "56",
        "2240.0",
    ):
        assert value in text, value
    assert "（尚未签署）" in text  # nobody has signed the recommending unit's and CAST's blocks
    assert IssuedDocument.objects.get(kind=DocumentKind.NOMINATION_FORM, record_id=nid).number == "草稿"


def test_form_is_refused_outside_the_users_scope_and_for_a_missing_revision(users, round_id):
    nid = create_draft(users, round_id, "project", attachments=False)

    # Another applicant, and a reviewer the draft was never submitted to, see no such record.
    for username in ("applicant_xuwen", "reviewer_csf", "reviewer_gd_cast"):
        response = api_as(users[username]).get(f"{URL}{nid}/pdf/")
        assert response.status_code == 404, username
        assert session(users[username]).get(f"/documents/nominations/{nid}/form.pdf").status_code == 404
    assert api_as(None).get(f"{URL}{nid}/pdf/").status_code in (401, 403)
    owner = api_as(users["applicant_csf_br1"])
    missing = owner.get(f"{URL}{nid}/pdf/", {"revision": 9})
    assert (missing.status_code, missing.json()["errors"]) == (404, ["该记录没有第 9 版"])
    wrong = owner.get(f"{URL}{nid}/pdf/", {"revision": "x"})
    assert (wrong.status_code, wrong.json()["errors"]) == (404, ["版本号必须是整数"])
    assert not IssuedDocument.objects.filter(kind=DocumentKind.NOMINATION_FORM, record_id=nid).exists()
    assert session(users["applicant_csf_br1"]).get(f"/documents/nominations/{nid}/form.pdf").status_code == 200


# -- the certificate and the list of winners --------------------------------------------------


def test_certificate_of_a_winner(users, font):
    winner = seeded_winners()[0]
    applicant = next(m.user for m in winner.organization.memberships.select_related("user") if m.role == "applicant")

    response = api_as(applicant).get(f"{URL}{winner.pk}/certificate.pdf")

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.content)
    assert len(pages) == 1
    box = pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    text = pdf_text(response.content)
    category = winner.get_category_display()
    for value in (
        "荣誉证书",
        winner.nominee_name,
        f"在{winner.round.year}年度科技志愿服务“四个十佳”选树活动中，入选“{category}”先进典型。",
        f"证书编号：{winner.certificate_number}",
        "中国科协",
    ):
        assert value in squash(text) or value in text, value
    document = IssuedDocument.objects.get(kind=DocumentKind.CERTIFICATE, record_id=winner.pk)
    assert (document.number, document.title, response["X-Document-Code"]) == (
        winner.certificate_number,
        winner.nominee_name,
        document.code,
    )
    # Issued once: the kept original is served ever after, to staff as to the winner.
    again = session(users["cast_staff"]).get(f"/documents/nominations/{winner.pk}/certificate.pdf")
    assert (again.status_code, again.content) == (200, response.content)
    assert IssuedDocument.objects.filter(kind=DocumentKind.CERTIFICATE).count() == 1

    # The public verification page says it is genuine, with the number and nothing private.
    verify = api_as(None).get(f"/verify/{document.code}/").content.decode()
    assert "真实有效" in verify and winner.certificate_number in verify and "荣誉证书" in verify
    assert winner.contact_phone not in verify


def test_no_certificate_before_the_award_or_outside_the_scope(users):
    winners = seeded_winners()
    others = Nomination.objects.exclude(state="awarded").exclude(state="draft").first()

    refused = api_as(users["cast_staff"]).get(f"{URL}{others.pk}/certificate.pdf")
    assert (refused.status_code, refused.json()["errors"]) == (404, ["该推荐尚未入选公布，没有荣誉证书"])
    winner = next(w for w in winners if w.organization.code != "CSF-BR1" and w.recommending_unit.code != "CSF")
    assert api_as(users["applicant_csf_br1"]).get(f"{URL}{winner.pk}/certificate.pdf").status_code == 404
    assert (
        session(users["applicant_csf_br1"]).get(f"/documents/nominations/{winner.pk}/certificate.pdf").status_code
        == 404
    )
    assert not IssuedDocument.objects.filter(kind=DocumentKind.CERTIFICATE).exists()


def test_list_of_winners_is_public_once_announced(users, font):
    winners = seeded_winners()
    round_ = winners[0].round

    response = api_as(None).get(f"/api/v1/rounds/{round_.pk}/winners.pdf")

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert f"{round_.title}入选名单" in squash(text)
    for winner in winners:
        assert winner.certificate_number in text
        assert squash(winner.nominee_name) in squash(text)
    page = api_as(None).get(f"/documents/rounds/{round_.pk}/winners.pdf")
    assert (page.status_code, page["X-Document-Code"]) == (200, response["X-Document-Code"])
    document = IssuedDocument.objects.get(code=response["X-Document-Code"])
    assert (document.kind, document.number) == (DocumentKind.WINNER_LIST, f"共 {len(winners)} 项")
    assert (
        f"/documents/rounds/{round_.pk}/winners.pdf"
        in api_as(None).get(f"/nominations/winners/{round_.pk}/").content.decode()
    )

    # A project round has no winners, and a selection round without winners has no list yet.
    application_round = Round.objects.filter(kind="application").first()
    assert api_as(None).get(f"/api/v1/rounds/{application_round.pk}/winners.pdf").status_code == 404
    empty = Round.objects.filter(kind="selection").exclude(pk=round_.pk).first()
    if empty is not None and not Nomination.objects.filter(round=empty, state="awarded").exists():
        missing = api_as(None).get(f"/api/v1/rounds/{empty.pk}/winners.pdf")
        assert (missing.status_code, missing.json()["errors"]) == (404, ["本批次尚未公布入选名单"])


# -- the certificates of a whole round --------------------------------------------------------


def test_batch_of_certificates(users, settings, django_capture_on_commit_callbacks):
    settings.PDF_FONT_PATH = ""
    winners = seeded_winners()
    round_ = winners[0].round
    staff = session(users["cast_staff"])

    page = staff.get("/documents/batches/").content.decode()
    assert f'<option value="{round_.pk}">{round_.title}（荣誉证书 {len(winners)} 份）</option>' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(users["cast_staff"]).post("/api/v1/documents/batches/", {"round": round_.pk}, format="json")
    assert response.status_code == 201
    job = BatchJob.objects.get()
    assert (job.kind, job.status, job.total, job.done) == (
        BatchKind.CERTIFICATES,
        BatchStatus.DONE,
        len(winners),
        len(winners),
    )
    assert response.json()["kind"] == "certificates"

    download = staff.get(f"/documents/batches/{job.pk}/download/")
    assert download.status_code == 200
    assert "%E8%8D%A3%E8%AA%89%E8%AF%81%E4%B9%A6" in download["Content-Disposition"]  # 荣誉证书
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = [f"荣誉证书-{w.certificate_number}.pdf" for w in winners]
    assert sorted(archive.namelist()) == sorted([*names, "清单.csv"])
    manifest = list(csv.reader(io.StringIO(archive.read("清单.csv").decode("utf-8-sig"))))
    assert manifest[0] == ["证书编号", "名称", "申报单位", "文件", "验证码", "SHA-256"]
    for winner, name, row in zip(winners, names, manifest[1:], strict=True):
        document = IssuedDocument.objects.get(kind=DocumentKind.CERTIFICATE, record_id=winner.pk)
        assert row == [
            winner.certificate_number,
            winner.nominee_name,
            # the legal person, and a branch as its 具体实施部门
            winner.organization.legal_entity().name
            + ("" if winner.organization.legal_person else f"（具体实施部门：{winner.organization.name}）"),
            name,
            document.code,
            document.sha256,
        ]
        # The certificate in the ZIP is the issued original: the same bytes as the single download.
        single = api_as(users["cast_staff"]).get(f"{URL}{winner.pk}/certificate.pdf")
        assert single.content == archive.read(name)

    # Only CAST staff start batches: an applicant is told no such thing exists.
    assert (
        api_as(users["applicant_csf_br1"])
        .post("/api/v1/documents/batches/", {"round": round_.pk}, format="json")
        .status_code
        == 404
    )
    bad = api_as(users["cast_staff"]).post("/api/v1/documents/batches/", {"round": "x"}, format="json")
    assert (bad.status_code, bad.json()["errors"]) == (400, ["请指定批次编号 round"])


# -- spreadsheets -----------------------------------------------------------------------------


def test_export_of_nominations_keeps_formulas_as_text(users, round_id):
    formula = '=HYPERLINK("http://evil.example/","点击")'
    ids = [
        create_draft(users, round_id, "volunteer", attachments=False, nominee_name=formula),
        create_draft(users, round_id, "site", attachments=False, nominee_name="+86服务站"),
    ]
    client = api_as(users["applicant_csf_br1"])

    response = client.get("/api/v1/nominations/export.xlsx", {"ordering": "created"})

    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows())
    header = [c.value for c in rows[0]]
    assert header[:7] == ["编号", "被推荐对象名称", "类别", "申报单位", "推荐单位", "承担单位", "状态"]
    by_id = {int(r[0].value): r for r in rows[1:]}
    assert sorted(by_id) == sorted(ids)
    name = header.index("被推荐对象名称")
    assert (by_id[ids[0]][name].value, by_id[ids[0]][name].data_type, by_id[ids[0]][name].quotePrefix) == (
        formula,
        "s",
        True,
    )
    assert by_id[ids[1]][name].value == "+86服务站"
    hours = by_id[ids[0]][header.index("服务时长（小时）")]
    assert (hours.value, hours.data_type) == (186.5, "n")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()

    csv_response = session(users["applicant_csf_br1"]).get("/documents/nominations/export.csv", {"category": "site"})
    assert csv_response.status_code == 200
    table = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert [row[1] for row in table[1:]] == ["'+86服务站"]

    # Another applicant's export has none of these rows.
    other = list(
        load_workbook(
            io.BytesIO(api_as(users["applicant_xuwen"]).get("/api/v1/nominations/export.xlsx").content)
        ).active.iter_rows()
    )
    assert [r[0].value for r in other[1:]] == []
