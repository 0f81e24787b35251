"""The sensitive-word scanner: normalization, positions in the original text, overlapping
matches, field scans with excerpts, and the cached scanner built from the term table."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.models import SensitiveTerm, Severity
from workflows.scanner import (
    Finding,
    Scanner,
    _normalize,
    _normalize_by_char,
    current_scanner,
    normalize,
    scan_fields,
)


def scanner(*terms: str, category: str = "general", severity: str = "review") -> Scanner:
    return Scanner([(term, category, severity) for term in terms])


# --- normalize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("", [])),
        ("敏感词", ("敏感词", [0, 1, 2])),
        ("敏 感 词", ("敏感词", [0, 2, 4])),
        ("敏*感.词", ("敏感词", [0, 2, 4])),
        ("ＡＢＣ", ("abc", [0, 1, 2])),
        ("AbC", ("abc", [0, 1, 2])),
        ("Ａ b。", ("ab", [0, 2])),
        # Chinese punctuation, full-width space, ideographic full stop, dashes, quotes.
        ("“敏”，感、；：？！…—·（词）《》【】\u3000", ("敏感词", [1, 4, 14])),
        # Zero-width space and joiner, BOM, soft hyphen, underscore, tab, newline.
        ("敏\u200b感\u200d\ufeff\u00ad词_x\t\ny", ("敏感词xy", [0, 2, 6, 8, 11])),
        # ASCII punctuation and symbols, full-width digits, a variation selector.
        ("a-b.c*d+e$f^g|h~i/j\\k１２\ufe0f", ("abcdefghijk12", [*range(0, 21, 2), 21, 22])),
        # Expansions: every resulting character points at the one it came from.
        ("Straße", ("strasse", [0, 1, 2, 3, 4, 4, 5])),
        ("ﬁ ㍿", ("fi株式会社", [0, 0, 2, 2, 2, 2])),
        # Compatibility characters fold to their plain forms, upper case to lower case.
        ("ℌ①Ⅻ", ("h1xii", [0, 1, 2, 2, 2])),
        ("...  ", ("", [])),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_plain_characters_are_their_own_normal_form():
    # The fast path passes lower-case ASCII letters and digits and the CJK Unified
    # Ideographs through untouched; each must really be its own normal form.
    plain = "abcdefghijklmnopqrstuvwxyz0123456789" + "".join(
        chr(code) for code in [*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000)]
    )

    assert _normalize_by_char(plain)[0] == plain


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(),
            st.sampled_from("敏感词 ，。ＡＢＣabcABC1２ß\u200bﬁ㍿İ_-*"),
        ),
        max_size=40,
    )
)
def test_fast_path_agrees_with_character_by_character_normalization(text):
    fast_text, fast_positions = _normalize(text)
    slow_text, slow_positions = _normalize_by_char(text)

    assert fast_text == slow_text
    assert fast_positions.to_list() == slow_positions.to_list()


# --- Scanner.scan ------------------------------------------------------------------------


def test_full_width_letters_match_an_ascii_term():
    assert scanner("abc").scan("xxＡＢＣyy") == [Finding("abc", "general", "review", 2, 5)]


def test_mixed_case_matches_both_ways():
    assert scanner("abc").scan("1 AbC 2") == [Finding("abc", "general", "review", 2, 5)]
    assert scanner("ABC").scan("abc") == [Finding("ABC", "general", "review", 0, 3)]


def test_inserted_spaces_and_punctuation_still_match_and_positions_cover_them():
    text = "这里有敏 感，词。还有敏*感.词和敏\u200b感_词"
    found = scanner("敏感词", category="politics", severity="block").scan(text)

    assert found == [
        Finding("敏感词", "politics", "block", 3, 8),
        Finding("敏感词", "politics", "block", 11, 16),
        Finding("敏感词", "politics", "block", 17, 22),
    ]
    assert [text[f.start : f.end] for f in found] == ["敏 感，词", "敏*感.词", "敏\u200b感_词"]


def test_positions_after_an_expanding_character():
    text = "x Straße, 敏感词"
    found = scanner("strasse", "strass", "敏感词").scan(text)

    assert found == [
        Finding("strass", "general", "review", 2, 7),
        Finding("strasse", "general", "review", 2, 8),
        Finding("敏感词", "general", "review", 10, 13),
    ]


def test_overlapping_and_repeated_terms_are_all_reported_in_order():
    found = scanner("敏感", "感词", "敏感词", "词").scan("敏感词，敏感词")

    assert [(f.start, f.end, f.term) for f in found] == [
        (0, 2, "敏感"),
        (0, 3, "敏感词"),
        (1, 3, "感词"),
        (2, 3, "词"),
        (4, 6, "敏感"),
        (4, 7, "敏感词"),
        (5, 7, "感词"),
        (6, 7, "词"),
    ]


def test_terms_with_the_same_normal_form_are_each_reported():
    found = Scanner([("ABC", "ads", "notice"), ("ａｂｃ", "spam", "block")]).scan("--abc--")

    assert found == [
        Finding("ABC", "ads", "notice", 2, 5),
        Finding("ａｂｃ", "spam", "block", 2, 5),
    ]


def test_empty_text_and_text_without_terms():
    assert scanner("敏感词").scan("") == []
    assert scanner("敏感词").scan("今天天气很好。") == []
    assert scanner().scan("敏感词") == []


def test_a_term_that_normalizes_to_nothing_is_ignored():
    ignoring = scanner("...", " ", "——", "敏感词")

    assert len(ignoring) == 1
    assert ignoring.scan("... —— 敏感词") == [Finding("敏感词", "general", "review", 7, 10)]


def test_long_text_positions_are_exact():
    text = "前言。" * 3000 + "敏 感 词" + "，后记" * 3000 + "ＡＢＣ"
    found = scanner("敏感词", "abc").scan(text)

    assert found == [
        Finding("敏感词", "general", "review", 9000, 9005),
        Finding("abc", "general", "review", 18005, 18008),
    ]


# --- scan_fields -------------------------------------------------------------------------


def test_scan_fields_returns_json_ready_findings_with_excerpts():
    pairs = [
        ("标题", "敏感词在开头"),
        ("简介", "一二三四五六七八九十甲乙丙敏 感 词丁戊己庚辛壬癸子丑寅卯辰"),
        ("备注", ""),
    ]

    assert scan_fields(pairs, scanner("敏感词", category="politics", severity="block")) == [
        {
            "field": "标题",
            "term": "敏感词",
            "category": "politics",
            "severity": "block",
            "start": 0,
            "end": 3,
            "excerpt": "敏感词在开头",
        },
        {
            "field": "简介",
            "term": "敏感词",
            "category": "politics",
            "severity": "block",
            "start": 13,
            "end": 18,
            "excerpt": "四五六七八九十甲乙丙敏 感 词丁戊己庚辛壬癸子丑寅",
        },
    ]


# --- current_scanner ---------------------------------------------------------------------


@pytest.mark.django_db
def test_current_scanner_follows_the_term_table():
    SensitiveTerm.objects.create(term="敏感词", category="politics", severity=Severity.BLOCK)
    first = current_scanner()

    assert current_scanner() is first
    assert first.scan("有敏感词和违禁品") == [Finding("敏感词", "politics", "block", 1, 4)]

    SensitiveTerm.objects.create(term="违禁品")
    second = current_scanner()

    assert second is not first
    assert second.scan("有敏感词和违禁品") == [
        Finding("敏感词", "politics", "block", 1, 4),
        Finding("违禁品", "general", "review", 5, 8),
    ]

    term = SensitiveTerm.objects.get(term="敏感词")
    term.active = False
    term.save()

    assert current_scanner().scan("有敏感词和违禁品") == [Finding("违禁品", "general", "review", 5, 8)]

    SensitiveTerm.objects.filter(term="违禁品").delete()

    assert current_scanner().scan("有敏感词和违禁品") == []


@pytest.mark.django_db
def test_scan_fields_uses_the_current_scanner_by_default():
    SensitiveTerm.objects.create(term="违禁品", category="goods", severity=Severity.NOTICE)

    assert scan_fields([("正文", "出售违禁品")]) == [
        {
            "field": "正文",
            "term": "违禁品",
            "category": "goods",
            "severity": "notice",
            "start": 2,
            "end": 5,
            "excerpt": "出售违禁品",
        }
    ]
