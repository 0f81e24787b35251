"""`manage.py load_organizations FILE`: CSV and JSON imports, updates, and bad files refused
as a whole with every problem named by line and field."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organization

REFUSED = "导入失败，未写入任何数据（import refused, nothing written）：\n"
TYPES = (
    "cast, national_society, society_branch, provincial_society, provincial_cast, subprovincial_city_cast, "
    "corps_cast, city_cast, county_cast, other"
)

# Children come before their parents: the order of the file does not matter.
GOOD_CSV = """\
code,name,type,parent,pilot_county
GD-XW-CAST,徐闻县科协,county_cast,GD-ZJ-CAST,是
GD-ZJ-CAST,湛江市科协,city_cast,GD-CAST,
CSF-BR1,中国水产学会科普工作委员会,society_branch,CSF,no
GD-FISH,广东省水产学会,provincial_society,CSF,0
CSF,中国水产学会,national_society,CAST,
GD-CAST,广东省科协,provincial_cast,CAST,false
CAST,中国科协,cast,,
"""

# (code, name, type, parent code, pilot county, recommending unit code)
GOOD_ROWS = [
    ("CAST", "中国科协", "cast", None, False, None),
    ("CSF", "中国水产学会", "national_society", "CAST", False, "CSF"),
    ("CSF-BR1", "中国水产学会科普工作委员会", "society_branch", "CSF", False, "CSF"),
    ("GD-CAST", "广东省科协", "provincial_cast", "CAST", False, "GD-CAST"),
    # A provincial society kept under its national society reports to its provincial CAST.
    ("GD-FISH", "广东省水产学会", "provincial_society", "CSF", False, "GD-CAST"),
    ("GD-XW-CAST", "徐闻县科协", "county_cast", "GD-ZJ-CAST", True, "GD-CAST"),
    ("GD-ZJ-CAST", "湛江市科协", "city_cast", "GD-CAST", False, "GD-CAST"),
]


def org_rows() -> list[tuple]:
    return list(
        Organization.objects.order_by("code").values_list(
            "code", "name", "type", "parent__code", "pilot_county", "recommending_unit__code"
        )
    )


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load(path: Path) -> str:
    out = io.StringIO()
    call_command("load_organizations", str(path), stdout=out)
    return out.getvalue()


@pytest.fixture
def base(db, tmp_path) -> list[tuple]:
    """The tree of GOOD_CSV already in the database."""
    load(write(tmp_path, "base.csv", GOOD_CSV))
    return org_rows()


# --- good files -------------------------------------------------------------------------


def test_csv_import_creates_the_tree_with_recommending_units(db, tmp_path):
    output = load(write(tmp_path, "orgs.csv", GOOD_CSV))

    assert output == "组织导入完成：新建 7 个，更新 0 个（created 7, updated 0）\n"
    assert org_rows() == GOOD_ROWS


def test_csv_with_utf8_bom_and_only_the_required_columns(db, tmp_path):
    content = "\ufeffcode,name,type\nCAST,中国科协,cast\nCAE,中国农学会,national_society\n"

    output = load(write(tmp_path, "orgs.csv", content))

    assert output == "组织导入完成：新建 2 个，更新 0 个（created 2, updated 0）\n"
    assert org_rows() == [
        ("CAE", "中国农学会", "national_society", None, False, "CAE"),
        ("CAST", "中国科协", "cast", None, False, None),
    ]


def test_json_import_creates_the_same_tree(db, tmp_path):
    items = [
        {"code": "CAST", "name": "中国科协", "type": "cast", "parent": None},
        {"code": "CSF", "name": "中国水产学会", "type": "national_society", "parent": "CAST"},
        {
            "code": "CSF-BR1",
            "name": "中国水产学会科普工作委员会",
            "type": "society_branch",
            "parent": "CSF",
            "pilot_county": False,
        },
        {
            "code": "GD-FISH",
            "name": "广东省水产学会",
            "type": "provincial_society",
            "parent": "CSF",
            "pilot_county": None,
        },
        {"code": "GD-CAST", "name": "广东省科协", "type": "provincial_cast", "parent": "CAST"},
        {"code": "GD-ZJ-CAST", "name": "湛江市科协", "type": "city_cast", "parent": "GD-CAST"},
        {
            "code": "GD-XW-CAST",
            "name": "徐闻县科协",
            "type": "county_cast",
            "parent": "GD-ZJ-CAST",
            "pilot_county": True,
        },
    ]
    path = write(tmp_path, "orgs.json", json.dumps(items, ensure_ascii=False, indent=2))

    output = load(path)

    assert output == "组织导入完成：新建 7 个，更新 0 个（created 7, updated 0）\n"
    assert org_rows() == GOOD_ROWS


def test_json_import_accepts_an_organizations_object(db, tmp_path):
    data = {
        "organizations": [
            {"code": "CAST", "name": "中国科协", "type": "cast"},
            {"code": "GD-CAST", "name": "广东省科协", "type": "provincial_cast", "parent": "CAST"},
        ]
    }
    path = write(tmp_path, "orgs.json", json.dumps(data, ensure_ascii=False))

    output = load(path)

    assert output == "组织导入完成：新建 2 个，更新 0 个（created 2, updated 0）\n"
    assert org_rows() == [
        ("CAST", "中国科协", "cast", None, False, None),
        ("GD-CAST", "广东省科协", "provincial_cast", "CAST", False, "GD-CAST"),
    ]


def test_reimport_renames_moves_and_recomputes_recommending_units(base, tmp_path):
    # GD-ZJ-CAST moves to a new province (its county follows and changes recommending unit),
    # CSF-BR1 moves to a new national society and GD-CAST is renamed.
    content = """\
code,name,type,parent,pilot_county
HN-CAST,海南省科协,provincial_cast,CAST,
GD-ZJ-CAST,湛江市科学技术协会,city_cast,HN-CAST,
CAE,中国农学会,national_society,CAST,
CSF-BR1,中国水产学会科普工作委员会,society_branch,CAE,
GD-CAST,广东省科学技术协会,provincial_cast,CAST,
"""
    output = load(write(tmp_path, "update.csv", content))

    assert output == "组织导入完成：新建 2 个，更新 3 个（created 2, updated 3）\n"
    assert org_rows() == [
        ("CAE", "中国农学会", "national_society", "CAST", False, "CAE"),
        ("CAST", "中国科协", "cast", None, False, None),
        ("CSF", "中国水产学会", "national_society", "CAST", False, "CSF"),
        ("CSF-BR1", "中国水产学会科普工作委员会", "society_branch", "CAE", False, "CAE"),
        ("GD-CAST", "广东省科学技术协会", "provincial_cast", "CAST", False, "GD-CAST"),
        # A provincial society kept under its national society reports to its provincial CAST.
        ("GD-FISH", "广东省水产学会", "provincial_society", "CSF", False, "GD-CAST"),
        ("GD-XW-CAST", "徐闻县科协", "county_cast", "GD-ZJ-CAST", True, "HN-CAST"),
        ("GD-ZJ-CAST", "湛江市科学技术协会", "city_cast", "HN-CAST", False, "HN-CAST"),
        ("HN-CAST", "海南省科协", "provincial_cast", "CAST", False, "HN-CAST"),
    ]


def test_reimporting_the_same_file_changes_nothing(base, tmp_path):
    output = load(write(tmp_path, "again.csv", GOOD_CSV))

    assert output == "组织导入完成：新建 0 个，更新 7 个（created 0, updated 7）\n"
    assert org_rows() == base == GOOD_ROWS


# --- bad files: refused as a whole ----------------------------------------------------------

HEADER = "code,name,type,parent,pilot_county\n"
# Every bad file below starts by renaming CAST: that row must not be written either.
RENAME = "CAST,改名的中国科协,cast,,\n"

BAD_FILES = {
    "unknown_parent": (
        "orgs.csv",
        HEADER + RENAME + "GD-SZ-CAST,深圳市科协,city_cast,GD-NOPE,\n",
        ["第 3 行，字段 parent：上级组织“GD-NOPE”不存在"],
    ),
    "cycle_in_the_file": (
        "orgs.csv",
        HEADER + RENAME + "X-A,甲,other,X-B,\nX-B,乙,other,X-A,\n",
        ["第 3 行，字段 parent：上级关系形成循环：X-A → X-B → X-A"],
    ),
    "own_parent": (
        "orgs.csv",
        HEADER + RENAME + "X-A,甲,other,X-A,\n",
        ["第 3 行，字段 parent：上级关系形成循环：X-A → X-A"],
    ),
    "cycle_with_existing_rows": (
        "orgs.csv",
        # CSF-BR1 is CSF's child in the database; making CSF its child closes a loop.
        HEADER + RENAME + "CSF,中国水产学会,national_society,CSF-BR1,\n",
        ["第 3 行，字段 parent：上级关系形成循环：CSF → CSF-BR1 → CSF"],
    ),
    "duplicate_code": (
        "orgs.csv",
        HEADER + RENAME + "CAE,中国农学会,national_society,CAST,\nCAE,中国农学会二,other,CAST,\n",
        ["第 4 行，字段 code：“CAE”与第 3 行重复"],
    ),
    "unknown_type": (
        "orgs.csv",
        HEADER + RENAME + "CAE,中国农学会,society,CAST,\n",
        [f"第 3 行，字段 type：未知的类型“society”（可选：{TYPES}）"],
    ),
    "pilot_county_on_a_city": (
        "orgs.csv",
        HEADER + RENAME + "GD-ZJ-CAST,湛江市科协,city_cast,GD-CAST,是\n",
        ["第 3 行，字段 pilot_county：只有县级科协可以是试点县"],
    ),
    "bad_boolean": (
        "orgs.csv",
        HEADER + RENAME + "GD-XW-CAST,徐闻县科协,county_cast,GD-ZJ-CAST,maybe\n",
        ["第 3 行，字段 pilot_county：“maybe”不是是/否"],
    ),
    "missing_column": (
        "orgs.csv",
        "code,name,parent\n" + "CAE,中国农学会,CAST\n",
        ["第 1 行：缺少列 type"],
    ),
    "unknown_column": (
        "orgs.csv",
        "code,name,type,parent,remark\n" + "CAE,中国农学会,national_society,CAST,备注\n",
        ["第 1 行：未知的列 remark"],
    ),
    "more_cells_than_columns": (
        "orgs.csv",
        HEADER + RENAME + "CAE,中国农学会,national_society,CAST,,多余\n",
        ["第 3 行：列数多于表头"],
    ),
    "empty_code_and_name": (
        "orgs.csv",
        HEADER + RENAME + ",,other,CAST,\n",
        ["第 3 行，字段 code：不能为空", "第 3 行，字段 name：不能为空"],
    ),
    "bad_code_characters": (
        "orgs.csv",
        HEADER + RENAME + "GD CAST,广东,other,CAST,\n",
        ["第 3 行，字段 code：“GD CAST”只能由字母、数字和 - _ . 组成，最长 50 个字符"],
    ),
    "cast_with_a_parent": (
        "orgs.csv",
        HEADER + "CAST,中国科协,cast,CSF,\n",
        [
            "第 2 行，字段 parent：中国科协是根组织，不能有上级",
            "第 2 行，字段 parent：上级关系形成循环：CAST → CSF → CAST",
        ],
    ),
    "two_cast_roots": (
        "orgs.csv",
        HEADER + RENAME + "CAST2,另一个中国科协,cast,,\n",
        ["第 3 行，字段 type：只能有一个中国科协根组织，发现 2 个：CAST, CAST2"],
    ),
    "non_utf8": (
        "orgs.csv",
        (HEADER + RENAME).encode() + "CAE,中国农学会,national_society,CAST,\n".encode("gbk"),
        # The header is 35 bytes, the renamed CAST row 34, "CAE," 4: byte 74 is the first GBK
        # byte.
        ["第 3 行：文件不是 UTF-8 编码（第 74 字节）"],
    ),
    "empty_file": ("orgs.csv", "", ["文件为空"]),
    "invalid_json": (
        "orgs.json",
        '[\n  {"code": "CAE", "name": "中国农学会", "type": "national_society"},\n'
        '  {"code": "X-A" "name": "甲", "type": "other"}\n]\n',
        ["第 3 行：JSON 格式错误：Expecting ',' delimiter"],
    ),
    "json_not_a_list": (
        "orgs.json",
        '{"code": "CAE", "name": "中国农学会", "type": "national_society"}',
        ["JSON 文件必须是组织对象的数组"],
    ),
    "json_item_not_an_object": (
        "orgs.json",
        '[{"code": "CAST", "name": "改名的中国科协", "type": "cast"}, "CAE"]',
        ["第 2 项：必须是对象"],
    ),
    "json_unknown_field_and_bad_boolean": (
        "orgs.json",
        json.dumps(
            [
                {"code": "CAST", "name": "改名的中国科协", "type": "cast"},
                {
                    "code": "GD-XW-CAST",
                    "name": "徐闻县科协",
                    "type": "county_cast",
                    "parent": "GD-ZJ-CAST",
                    "pilot_county": "sometimes",
                    "remark": "x",
                },
            ],
            ensure_ascii=False,
        ),
        [
            "第 2 项：未知的字段 remark",
            "第 2 项，字段 pilot_county：“sometimes”不是是/否",
        ],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_as_a_whole(base, tmp_path, case):
    name, content, errors = BAD_FILES[case]
    path = write(tmp_path, name, content)

    with pytest.raises(CommandError) as exc:
        load(path)

    assert str(exc.value) == REFUSED + "\n".join(errors)
    assert Organization.objects.count() == 7
    assert org_rows() == base == GOOD_ROWS


def test_missing_file_is_refused(base, tmp_path):
    path = tmp_path / "nowhere.csv"

    with pytest.raises(CommandError) as exc:
        load(path)

    assert str(exc.value) == REFUSED + f"无法读取文件 {path}：No such file or directory"
    assert org_rows() == GOOD_ROWS


def test_two_new_roots_in_an_empty_database_name_both_lines(db, tmp_path):
    path = write(tmp_path, "orgs.csv", HEADER + "CAST,中国科协,cast,,\nCAST-B,中国科协乙,cast,,\n")

    with pytest.raises(CommandError) as exc:
        load(path)

    assert str(exc.value) == REFUSED + (
        "第 2 行、第 3 行，字段 type：只能有一个中国科协根组织，发现 2 个：CAST, CAST-B"
    )
    assert Organization.objects.count() == 0


def test_every_problem_of_a_file_is_reported_together(base, tmp_path):
    content = (
        HEADER
        + RENAME
        + "CAE,中国农学会,club,CAST,\n"  # line 3: unknown type
        + "GD-SZ-CAST,深圳市科协,city_cast,GD-NOPE,是\n"  # line 4: pilot on a city, bad parent
        + "GD-XW-CAST,徐闻县科协,county_cast,GD-ZJ-CAST,maybe\n"  # line 5: bad boolean
        + "CAE,中国农学会,national_society,CAST,\n"  # line 6: duplicate of line 3
        + "X-A,甲,other,X-B,\nX-B,乙,other,X-A,\n"  # lines 7-8: a cycle
        + "CAST2,另一个中国科协,cast,,\n"  # line 9: a second root
    )

    with pytest.raises(CommandError) as exc:
        load(write(tmp_path, "orgs.csv", content))

    assert str(exc.value) == REFUSED + "\n".join(
        [
            f"第 3 行，字段 type：未知的类型“club”（可选：{TYPES}）",
            "第 4 行，字段 pilot_county：只有县级科协可以是试点县",
            "第 5 行，字段 pilot_county：“maybe”不是是/否",
            "第 6 行，字段 code：“CAE”与第 3 行重复",
            "第 4 行，字段 parent：上级组织“GD-NOPE”不存在",
            "第 7 行，字段 parent：上级关系形成循环：X-A → X-B → X-A",
            "第 9 行，字段 type：只能有一个中国科协根组织，发现 2 个：CAST, CAST2",
        ]
    )
    assert org_rows() == GOOD_ROWS
