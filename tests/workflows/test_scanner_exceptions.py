"""The scanner's context exceptions: an occurrence of a term inside one of its exception phrases
is no finding, compared in normalized form like the terms; other occurrences still are."""

from __future__ import annotations

from workflows.scanner import Scanner

TERMS = [
    ("传销", "illegal", "block", ["防范传销", "打击传销", "传销骗局揭秘"]),
    ("赌博", "illegal", "block", ["反赌博"]),
    ("包治百病", "harmful", "review"),
]


def hits(text: str, terms=TERMS) -> list[tuple[str, int, int]]:
    return [(f.term, f.start, f.end) for f in Scanner(terms).scan(text)]


def test_an_occurrence_inside_an_exception_is_no_finding():
    assert hits("开展防范传销宣传") == []
    assert hits("打击传销，人人有责") == []
    assert hits("反赌博知识进社区") == []
    # The term at the start of its phrase.
    assert hits("传销骗局揭秘讲座") == []


def test_other_occurrences_still_count():
    assert hits("防范传销，远离传销") == [("传销", 7, 9)]
    assert hits("赌博危害大，反赌博") == [("赌博", 0, 2)]
    # A phrase of another term excepts nothing.
    assert hits("反传销") == [("传销", 1, 3)]
    # Only the whole phrase: "传销骗局" is not "传销骗局揭秘".
    assert hits("传销骗局") == [("传销", 0, 2)]


def test_exceptions_are_compared_normalized():
    assert hits("防 范·传 销") == []
    assert hits("ＸＸ反－赌博") == []


def test_overlapping_phrases_and_terms():
    terms = [("传销", "illegal", "block", ["防范传销"]), ("防范", "test", "notice")]
    # 防范 is its own term with no exceptions: it stays; 传销 inside 防范传销 goes.
    assert hits("防范传销", terms) == [("防范", 0, 2)]
    # Two stored terms that normalize alike keep their own exceptions.
    twins = [("abc", "a", "review", ["xabc"]), ("ＡＢＣ", "b", "notice")]
    assert [(f.term, f.start) for f in Scanner(twins).scan("xabc")] == [("ＡＢＣ", 1)]


def test_phrases_that_cannot_except_are_ignored():
    terms = [("传销", "illegal", "block", ["诈骗", "传销", "", "。。", 7, None])]
    assert hits("诈骗传销", terms) == [("传销", 2, 4)]
    # A phrase alone (not a term) finds nothing.
    assert hits("防范传销", [("赌博", "illegal", "block", ["防范传销"])]) == []
    assert len(Scanner(terms)) == 1


def test_triples_still_build_a_scanner():
    assert hits("防范传销", [("传销", "illegal", "block")]) == [("传销", 2, 4)]
    assert hits("防范传销", [("传销", "illegal", "block", None)]) == [("传销", 2, 4)]
