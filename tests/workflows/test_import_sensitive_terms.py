"""`manage.py import_sensitive_terms FILE [--deactivate-missing]`: good files, updates, and bad
files refused as a whole with the line and the problem named."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from workflows.models import SensitiveTerm, Severity

REFUSED = "导入失败，未写入任何数据（import refused, nothing written）：\n"

GOOD_FILE = """\
# 敏感词表 / sensitive-word list
敏感词
违禁品,goods,block

  广告词 , ads , notice
某某,politics
# another comment
ABC,,BLOCK
"""

GOOD_ROWS = [
    # term, category, severity, active; in code-point order
    ("ABC", "general", "block", True),
    ("广告词", "ads", "notice", True),
    ("敏感词", "general", "review", True),
    ("某某", "politics", "review", True),
    ("违禁品", "goods", "block", True),
]


def term_rows() -> list[tuple]:
    # Sorted in Python: database collations order Chinese differently.
    return sorted(SensitiveTerm.objects.values_list("term", "category", "severity", "active"))


def write(tmp_path: Path, content: str | bytes, name: str = "terms.txt") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def run(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_sensitive_terms", str(path), *args, stdout=out)
    return out.getvalue()


# --- good files --------------------------------------------------------------------------


@pytest.mark.django_db
def test_good_file_creates_the_terms_with_defaults(tmp_path):
    output = run(write(tmp_path, GOOD_FILE))

    assert output == ("敏感词导入完成：新建 5 个，更新 0 个，未变 0 个（created 5, updated 0, unchanged 0）\n")
    assert term_rows() == GOOD_ROWS


@pytest.mark.django_db
def test_utf8_bom_and_windows_line_endings(tmp_path):
    content = "\ufeff敏感词,politics,block\r\n违禁品\r\n".encode()

    output = run(write(tmp_path, content))

    assert output == ("敏感词导入完成：新建 2 个，更新 0 个，未变 0 个（created 2, updated 0, unchanged 0）\n")
    assert term_rows() == [
        ("敏感词", "politics", "block", True),
        ("违禁品", "general", "review", True),
    ]


@pytest.mark.django_db
def test_tab_separated_columns(tmp_path):
    output = run(write(tmp_path, "敏感词\tpolitics\tblock\n广告词\tads\n"))

    assert output == ("敏感词导入完成：新建 2 个，更新 0 个，未变 0 个（created 2, updated 0, unchanged 0）\n")
    assert term_rows() == [
        ("广告词", "ads", "review", True),
        ("敏感词", "politics", "block", True),
    ]


@pytest.mark.django_db
def test_existing_terms_are_updated_and_reactivated(tmp_path):
    SensitiveTerm.objects.create(term="敏感词", category="general", severity=Severity.REVIEW)
    SensitiveTerm.objects.create(term="违禁品", category="old", severity=Severity.NOTICE)
    SensitiveTerm.objects.create(term="某某", category="politics", active=False)
    SensitiveTerm.objects.create(term="旧词", category="old")
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    SensitiveTerm.objects.update(updated_at=long_ago)

    output = run(write(tmp_path, GOOD_FILE))

    assert output == ("敏感词导入完成：新建 2 个，更新 2 个，未变 1 个（created 2, updated 2, unchanged 1）\n")
    assert term_rows() == [
        ("ABC", "general", "block", True),
        ("广告词", "ads", "notice", True),
        ("敏感词", "general", "review", True),
        ("旧词", "old", "review", True),
        ("某某", "politics", "review", True),
        ("违禁品", "goods", "block", True),
    ]
    # Updated rows get a fresh updated_at (bulk updates skip auto_now); the scanner cache
    # relies on it to notice the change.
    stamps = dict(SensitiveTerm.objects.values_list("term", "updated_at"))
    assert stamps["敏感词"] == long_ago
    assert stamps["旧词"] == long_ago
    assert stamps["违禁品"] > long_ago
    assert stamps["某某"] > long_ago


@pytest.mark.django_db
def test_deactivate_missing_switches_off_terms_not_in_the_file(tmp_path):
    SensitiveTerm.objects.create(term="旧词", category="old")
    SensitiveTerm.objects.create(term="停用词", active=False)
    SensitiveTerm.objects.create(term="敏感词", severity=Severity.BLOCK)

    output = run(write(tmp_path, "敏感词\n新词,new,notice\n"), "--deactivate-missing")

    assert output == (
        "敏感词导入完成：新建 1 个，更新 1 个，未变 0 个，停用 1 个"
        "（created 1, updated 1, unchanged 0, deactivated 1）\n"
    )
    assert term_rows() == [
        ("停用词", "general", "review", False),
        ("敏感词", "general", "review", True),
        ("新词", "new", "notice", True),
        ("旧词", "old", "review", False),
    ]


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write(tmp_path, GOOD_FILE)
    run(path)

    output = run(path)

    assert output == ("敏感词导入完成：新建 0 个，更新 0 个，未变 5 个（created 0, updated 0, unchanged 5）\n")
    assert term_rows() == GOOD_ROWS


# --- bad files: refused as a whole --------------------------------------------------------

# Every bad file starts with a good new term and a change to an existing one: neither may be
# written.
GOOD_START = "新词\n已有词,changed,block\n"

BAD_FILES = {
    "unknown_severity": (
        GOOD_START + "坏词,general,bad\n",
        [
            '第 3 行：未知的严重程度 "bad"，应为 notice、review 或 block'
            '（line 3: unknown severity "bad", expected notice, review or block）'
        ],
    ),
    "term_too_long": (
        GOOD_START + "长" * 101 + "\n",
        ["第 3 行：词语过长：101 个字符，最多 100 个（line 3: term too long: 101 characters, at most 100）"],
    ),
    "too_many_columns": (
        GOOD_START + "坏词,general,block,坏词extra,more\n",
        [
            "第 3 行：列数过多：5 列，最多 4 列（词语,类别,严重程度,例外短语）"
            "（line 3: too many columns: 5, at most 4 (term,category,severity,exceptions)）"
        ],
    ),
    "too_many_columns_with_tabs": (
        GOOD_START + "坏词\tgeneral\tblock\t坏词extra\tmore\n",
        [
            "第 3 行：列数过多：5 列，最多 4 列（词语,类别,严重程度,例外短语）"
            "（line 3: too many columns: 5, at most 4 (term,category,severity,exceptions)）"
        ],
    ),
    "term_only_punctuation": (
        GOOD_START + "。。！,general\n",
        [
            '第 3 行：词语 "。。！" 去除空白和标点后为空'
            '（line 3: term "。。！" is empty once spaces and punctuation are removed）'
        ],
    ),
    "empty_term": (
        GOOD_START + ",politics,block\n",
        ["第 3 行：词语为空（line 3: empty term）"],
    ),
    "category_too_long": (
        GOOD_START + "坏词," + "c" * 51 + "\n",
        ["第 3 行：类别过长：51 个字符，最多 50 个（line 3: category too long: 51 characters, at most 50）"],
    ),
    "duplicate_term": (
        GOOD_START + "# comment\n新词,other\n",
        ['第 4 行：词语 "新词" 与第 1 行重复（line 4: term "新词" duplicates line 1）'],
    ),
    "same_term_once_normalized": (
        GOOD_START + "ABC\n\nａ ｂ ｃ,ads\n",
        [
            '第 5 行：词语 "ａ ｂ ｃ" 与第 3 行的 "ABC" 规范化后相同'
            '（line 5: term "ａ ｂ ｃ" is the same as "ABC" on line 3 once normalized）'
        ],
    ),
    "several_problems_all_reported": (
        GOOD_START + "坏词,general,bad\n,x\n坏词二,x,y,z,w\n",
        [
            '第 3 行：未知的严重程度 "bad"，应为 notice、review 或 block'
            '（line 3: unknown severity "bad", expected notice, review or block）',
            "第 4 行：词语为空（line 4: empty term）",
            "第 5 行：列数过多：5 列，最多 4 列（词语,类别,严重程度,例外短语）"
            "（line 5: too many columns: 5, at most 4 (term,category,severity,exceptions)）",
        ],
    ),
    "not_utf8": (
        GOOD_START.encode() + "坏词\n".encode("gbk"),
        ["第 3 行：不是有效的 UTF-8 编码（line 3: not valid UTF-8）"],
    ),
    "not_utf8_after_a_bom": (
        b"\xef\xbb\xbf" + "新词\n".encode() + "坏词\n".encode("gbk"),
        ["第 2 行：不是有效的 UTF-8 编码（line 2: not valid UTF-8）"],
    ),
    "no_terms": (
        "# only a comment\n\n",
        ["文件中没有任何词语（the file contains no terms）"],
    ),
}


@pytest.fixture
def existing(db) -> list[tuple]:
    SensitiveTerm.objects.create(term="已有词", category="general", severity=Severity.REVIEW)
    SensitiveTerm.objects.create(term="旧词", category="old", severity=Severity.NOTICE)
    return table()


def table() -> list[dict]:
    return sorted(SensitiveTerm.objects.values(), key=lambda row: row["id"])


@pytest.mark.parametrize("case", list(BAD_FILES))
@pytest.mark.parametrize("flag", [(), ("--deactivate-missing",)], ids=["plain", "deactivate"])
def test_bad_file_is_refused_and_nothing_changes(existing, tmp_path, case, flag):
    content, errors = BAD_FILES[case]

    with pytest.raises(CommandError) as refused:
        run(write(tmp_path, content), *flag)

    assert str(refused.value) == REFUSED + "\n".join(errors)
    assert table() == existing


def test_missing_file_is_refused(existing, tmp_path):
    path = tmp_path / "nope.txt"

    with pytest.raises(CommandError) as refused:
        run(path)

    assert str(refused.value) == f"文件不存在：{path}（file not found: {path}）"
    assert table() == existing
