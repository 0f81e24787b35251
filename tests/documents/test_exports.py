"""Spreadsheet exports of a filtered list: what the user may see, and a title that begins
with "=" stays text (formula injection neutralized) in Excel and in CSV."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from tests.applications.helpers import create_ready
from tests.conftest import api_as
from workflows.models import Round

FORMULAS = ["=1+2", '=HYPERLINK("http://evil.example/","点击")', "+86示范", "-2+3", "@SUM(A1:A9)"]


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


def drafts(users, round_id) -> list[int]:
    ids = [create_ready(users, round_id, "applicant_csf_br1", name=name) for name in FORMULAS]
    ids.append(create_ready(users, round_id, "applicant_csf_br1", name="普通项目名称"))
    return ids


def sheet_rows(content: bytes):
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active
    return sheet, list(sheet.iter_rows())


def test_xlsx_keeps_formula_like_titles_as_text(users, round_id):
    ids = drafts(users, round_id)
    response = api_as(users["applicant_csf_br1"]).get("/api/v1/applications/export.xlsx", {"ordering": "created"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    sheet, rows = sheet_rows(response.content)
    header = [c.value for c in rows[0]]
    assert header[:7] == ["编号", "项目名称", "子项目", "申报单位", "推荐单位", "承担单位", "状态"]
    by_id = {int(r[0].value): r for r in rows[1:]}
    assert sorted(by_id) == sorted(ids)
    name_column = header.index("项目名称")
    for app_id, title in zip(ids, [*FORMULAS, "普通项目名称"], strict=True):
        cell = by_id[app_id][name_column]
        # Exactly as entered, a text cell, never a formula.
        assert (cell.value, cell.data_type) == (title, "s")
        assert cell.quotePrefix is (title != "普通项目名称")
    amount = by_id[ids[0]][header.index("申请金额（元）")]
    assert (amount.value, amount.data_type, amount.number_format) == (80000, "n", "#,##0.00")
    # No formula anywhere in the sheet's XML.
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert sheet.title == "申报列表"


def test_csv_prefixes_formula_like_titles(users, round_id):
    ids = drafts(users, round_id)
    response = api_as(users["applicant_csf_br1"]).get("/api/v1/applications/export.csv", {"ordering": "created"})

    assert (response.status_code, response["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = {int(row[0]): row[1] for row in rows[1:]}
    assert names == {
        ids[0]: "'=1+2",
        ids[1]: '\'=HYPERLINK("http://evil.example/","点击")',
        ids[2]: "'+86示范",
        ids[3]: "'-2+3",
        ids[4]: "'@SUM(A1:A9)",
        ids[5]: "普通项目名称",
    }
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert (first["申请金额（元）"], first["实施开始日期"], first["是否试点县"]) == (
        "80000.00",
        "2027-01-01",
        "否",
    )  # the unit's flag: CSF-BR1 is no pilot county


def test_export_is_the_callers_filtered_list(users, round_id):
    mine = create_ready(users, round_id, "applicant_csf_br1", name="=1+2")
    theirs = create_ready(users, round_id, "applicant_gd_fish", name="广东项目")

    def ids(username: str, **params) -> list[int]:
        content = api_as(users[username]).get("/api/v1/applications/export.csv", params).content
        return sorted(int(r[0]) for r in list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:])

    assert ids("applicant_csf_br1") == [mine]
    assert ids("applicant_gd_fish") == [theirs]
    assert ids("applicant_csf_br1", state="submitted") == []
    assert ids("applicant_csf_br1", q="1+2") == [mine]
    # Drafts are nobody else's business: CAST staff and the reviewers see none of them.
    assert ids("cast_staff") == []
    assert ids("reviewer_csf") == []
    assert ids("auditor") == [mine, theirs]
    assert api_as(None).get("/api/v1/applications/export.csv").status_code == 401
    # The same for the browser, signed in with a session.
    client = api_as(None)
    client.force_login(users["applicant_gd_fish"])
    page = client.get("/documents/applications/export.csv")
    assert page.status_code == 200
    assert [int(r[0]) for r in list(csv.reader(io.StringIO(page.content.decode("utf-8-sig"))))[1:]] == [theirs]
    assert client.get("/documents/applications/export.pdf").status_code == 404
