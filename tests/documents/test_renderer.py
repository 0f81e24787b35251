"""The renderers on their own (plain data, no database): line breaking, page splitting,
landscape pages, and the certificate that the nominations will issue."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from documents.renderer import samples
from documents.renderer.certificate import CertificateData, render_certificate
from documents.renderer.fonts import CID_FONT, font_name
from tests.documents.helpers import pdf_pages, pdf_text, squash

VERIFY = samples.VERIFY


def test_wrap_lines_rules():
    from documents.renderer.flowables import NO_LINE_START, text_width, wrap_lines

    font = font_name("")
    latin = " contact liming@example.org or visit https://example.org/zhihui/2026 今日"
    text = "科技志愿服务，服务乡村振兴。" * 12 + latin
    lines = wrap_lines(text, 200, font, 10.5)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines[1:]:
        assert line[0] not in NO_LINE_START, line
    # A Latin word is never cut (it fits on a line of its own) and no line overflows but by
    # one hanging punctuation mark.
    assert any("liming@example.org" in line for line in lines)
    for line in lines:
        assert text_width(line[:-1], font, 10.5) <= 200
    assert wrap_lines("第一段\n第二段", 200, font, 10.5) == ["第一段", "第二段"]
    # A "word" longer than a line (a long link) is cut by characters, never overflows.
    link = "https://example.org/" + "a" * 120
    cut = wrap_lines("见" + link, 200, font, 10.5)
    assert "".join(cut) == "见" + link and len(cut) >= 3
    assert all(text_width(line, font, 10.5) <= 200 for line in cut)


def test_long_cells_and_sections_split_across_pages(settings):
    settings.PDF_FONT_PATH = ""
    from documents.renderer.application_form import OpinionRow, render_application_form

    long_opinion = "经审核，该项目服务对象明确，实施方案可行，绩效目标量化充分。" * 60  # ≈ 1,800 characters
    data = dataclasses.replace(
        samples.application_form(),
        content="开展科技志愿服务。" * 400,
        opinions=(OpinionRow("中国科协（中国科协工作人员）", "拟立项", long_opinion, "孙丽", dt.date(2026, 5, 1)),),
    )
    pdf = render_application_form(data, font_path="")
    pages = pdf_pages(pdf)
    assert len(pages) >= 5
    flat = squash(pdf_text(pdf))
    # The opinion's row runs over three pages, its table's header repeated on each; every
    # sentence of it is there (the other cells and the page footers come between the parts).
    assert flat.count("审核单位环节意见签署人日期") == 3
    assert flat.count("经审核，") == flat.count("量化充分。") == 60
    # The long section splits between lines: only a sentence cut by a page break is missing
    # from a whole count.
    assert 400 - len(pages) <= flat.count("开展科技志愿服务。") <= 400
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} 页" in page.extract_text()


def test_certificate_is_landscape_with_both_fonts(font):
    award = CertificateData(
        recipient="欧阳明月",
        citation="在科技志愿服务工作中表现突出，入选2026年度“十佳科技志愿者”先进典型。",
        number="十佳〔2026〕007号",
        issuer="中国科协",
        issued_on=dt.date(2026, 12, 5),
        verification=VERIFY,
    )
    pdf = render_certificate(award)
    (page,) = pdf_pages(pdf)
    assert float(page.mediabox.width) > float(page.mediabox.height)
    text = page.extract_text()
    shown = ("荣誉证书", "欧阳明月", "证书编号：十佳〔2026〕007号", "中国科协", "2026年12月5日", "K7M2-P9QX-4RT8-WZ3B")
    for value in shown:
        assert value in text, value
    assert squash(award.citation) in squash(text)
    assert (font_name() == CID_FONT) is (font == "cid")


def test_same_data_same_bytes():
    from documents.renderer.approval_notice import render_approval_notice

    notice = samples.approval_notice(3)
    assert render_approval_notice(notice, font_path="") == render_approval_notice(notice, font_path="")
    changed = dataclasses.replace(notice, funding_amount=Decimal("50000.00"))
    assert render_approval_notice(changed, font_path="") != render_approval_notice(notice, font_path="")


def test_unusable_font_path_falls_back_to_the_cid_font(tmp_path, settings):
    from django.core.checks import run_checks

    bogus = tmp_path / "NotoSansCJK-Regular.otf"
    bogus.write_bytes(b"OTTO not really a font")
    assert font_name(str(bogus)) == CID_FONT
    settings.PDF_FONT_PATH = str(bogus)
    warnings = [m for m in run_checks() if m.id == "documents.W001"]
    assert [w.msg for w in warnings] == [
        f"PDF_FONT_PATH={str(bogus)!r}: not a TrueType file (.ttf or .ttc); ReportLab cannot read CFF OpenType (.otf)"
    ]
