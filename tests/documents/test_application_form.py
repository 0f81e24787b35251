"""The application form (申报书) PDF: every field as entered, the team and budget tables, the
recommending unit's opinion, the content-review verdicts and the verification code, with
both font settings."""

from __future__ import annotations

import re

import pytest

from documents.models import DocumentKind, IssuedDocument
from tests.conftest import api_as
from tests.documents.helpers import FORM, RECOMMEND_OPINION, pdf_pages, pdf_text, recommended_application, squash
from workflows.models import Round

URL = "/api/v1/applications/"


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


def test_form_of_a_recommended_application(users, orgs, round_id, font):
    app_id = recommended_application(users, round_id)

    response = api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E7%94%B3%E6%8A%A5%E4%B9%A6-" + (
        f"{app_id}-%E7%AC%AC1%E7%89%88.pdf"
    )
    content = response.content
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    flat = squash(text)
    # Short values appear on one line exactly as entered.
    for value in (
        FORM["name"],
        FORM["leader_name"],
        FORM["leader_title"],
        FORM["leader_phone"],
        FORM["leader_mobile"],
        FORM["leader_email"],
        "河南省 郑州市 中牟县",
        "2027年3月1日至2028年2月29日",
        "申请金额（万元）",
        "第 1 版",
        orgs["CSF-BR1"].name,  # the applicant unit
        orgs["CSF"].name,  # the recommending unit
    ):
        assert value in text, value
    # Long text may wrap: the characters in order, line breaks aside.
    for field in ("target_groups", "basis", "content", "outcomes", "conditions"):
        assert squash(FORM[field]) in flat, field
    for member in FORM["team"]:
        for key in ("name", "education", "qualification", "role"):
            assert member[key] in text, member[key]
    for line in FORM["budget"]:
        assert line["item"] in text
        assert line["note"] in text
    assert "金额（万元）" in text and "1.5" in text and "4" in text
    assert "合计" in text
    assert "单位负责人（承诺人）：上官文静" in text
    # The recommending unit's opinion, with its signer and the action it went with.
    assert squash(RECOMMEND_OPINION) in flat
    assert "推荐" in text
    # The content-review verdicts on this revision: the automatic scan and the society's reviewer.
    assert "提交扫描" in text and "推荐单位内容审核" in text
    assert "导向正确，内容真实合法。" in text
    # The verification code on every page, and it is the issued form's code.
    document = IssuedDocument.objects.get(kind=DocumentKind.APPLICATION_FORM, record_id=app_id)
    assert response["X-Document-Code"] == document.code
    display = "-".join(document.code[i : i + 4] for i in range(0, 16, 4))
    pages = pdf_pages(content)
    assert len(pages) >= 2
    for page in pages:
        assert f"验证码：{display}" in page.extract_text()
    assert f"/verify/{document.code}/" in text


def test_embedded_font_only_with_the_ttf_setting(users, round_id, font):
    app_id = recommended_application(users, round_id)
    content = api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/pdf/").content
    fonts = set()
    for page in pdf_pages(content):
        for ref in page["/Resources"]["/Font"].values():
            fonts.add(
                (
                    str(ref.get_object()["/BaseFont"]),
                    "/DescendantFonts" in ref.get_object(),
                    _embedded(ref.get_object()),
                )
            )
    if font == "cid":
        assert fonts == {("/STSong-Light", True, False)}
    else:
        # Subsets of WenQuanYi Zen Hei (256 glyphs each), embedded: AAAAAA+WenQuanYiZenHei-0 …
        assert {(cid, embedded) for _name, cid, embedded in fonts} == {(False, True)}
        assert all(re.fullmatch(r"/[A-Z]{6}\+WenQuanYiZenHei-\d+", name) for name, _c, _e in fonts), fonts


def _embedded(font_dict) -> bool:
    descriptor = font_dict.get("/FontDescriptor")
    if descriptor is None and "/DescendantFonts" in font_dict:
        descriptor = font_dict["/DescendantFonts"][0].get_object().get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_same_revision_same_code_and_bytes(users, round_id, settings):
    settings.PDF_FONT_PATH = ""
    app_id = recommended_application(users, round_id)
    client = api_as(users["applicant_csf_br1"])
    first, second = client.get(f"{URL}{app_id}/pdf/"), client.get(f"{URL}{app_id}/pdf/")
    assert first["X-Document-Code"] == second["X-Document-Code"]
    assert first.content == second.content
    document = IssuedDocument.objects.get(code=first["X-Document-Code"])
    import hashlib

    assert document.sha256 == hashlib.sha256(first.content).hexdigest()
    assert (document.title, document.number) == (FORM["name"], "第 1 版")


def test_draft_form_shows_what_was_entered(users, round_id, settings):
    from tests.applications.helpers import create_ready

    settings.PDF_FONT_PATH = ""
    app_id = create_ready(users, round_id, "applicant_csf_br1", **FORM)
    response = api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/pdf/")
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "草稿（未提交）" in text
    assert FORM["name"] in text and "司马青云" in text
    assert "（尚无审核意见）" in text
    # An edit is a new version of the draft: a new code.
    api_as(users["applicant_csf_br1"]).patch(f"{URL}{app_id}/", {"outcomes": "编写手册两册。"}, format="json")
    again = api_as(users["applicant_csf_br1"]).get(f"{URL}{app_id}/pdf/")
    assert again["X-Document-Code"] != response["X-Document-Code"]
    assert "编写手册两册。" in pdf_text(again.content)


def test_revision_parameter(users, round_id, settings):
    settings.PDF_FONT_PATH = ""
    app_id = recommended_application(users, round_id)
    client = api_as(users["reviewer_csf"])
    assert client.get(f"{URL}{app_id}/pdf/", {"revision": 1}).status_code == 200
    missing = client.get(f"{URL}{app_id}/pdf/", {"revision": 9})
    assert (missing.status_code, missing.json()["errors"]) == (404, ["该记录没有第 9 版"])
