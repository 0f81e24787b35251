"""Sensitive-word scanner for the content-review checkpoints (内容审核).

Texts and terms are compared in a normalized form so that the usual evasions still match:
every character is NFKC-normalized and case-folded (full-width "ＡＢＣ" and "AbC" both become
"abc"), and separators are dropped (spaces, ASCII and Chinese punctuation, symbols,
zero-width and other format characters, combining marks), so "敏 感 词" and "敏*感.词" match
"敏感词". Findings carry positions in the *original* text, so reviewers see exactly what was
written.

The matching itself is one Aho-Corasick pass (pyahocorasick) over the UTF-8 bytes of the
normalized text; see ``Scanner`` for why bytes rather than characters.

This module imports Django lazily (only ``current_scanner`` touches the database), so the
benchmark and pure unit tests can use ``Scanner`` without configuring Django.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain

import ahocorasick

__all__ = ["Finding", "Scanner", "current_scanner", "invalidate_scanner", "normalize", "scan_fields"]

# Unicode general categories whose characters carry no lexical meaning for word matching:
# separators (Z*), punctuation (P*, which includes "_" as Pc), symbols (S*), control and
# format characters (Cc, Cf: zero-width space/joiner, BOM, bidi marks) and combining marks
# (Mn, Me: variation selectors, enclosing circles, "zalgo" stacks). Inserting any of them
# between the characters of a word is a known way to dodge a word filter. Unassigned (Cn) and
# private-use (Co) code points are kept on purpose: ideographs newer than Python's Unicode
# tables are Cn here, and some Chinese fonts put rare characters in the private-use area.
_DROPPED_CATEGORIES = frozenset(
    {
        "Zs", "Zl", "Zp",
        "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po",
        "Sm", "Sc", "Sk", "So",
        "Cc", "Cf",
        "Mn", "Me",
    }
)  # fmt: skip

# Characters that are already in normalized form: lower-case ASCII letters, ASCII digits and
# the CJK Unified Ideographs (extension A and the main block). They make up almost all of a
# typical Chinese submission, so the fast path hands them through untouched and only looks up
# the rest. Anything outside this class simply takes the (cached) slow lookup, so the list
# only affects speed, never results.
_PLAIN_CLASS = "a-z0-9\u3400-\u4dbf\u4e00-\u9fff"
_OTHER_RUNS = re.compile(f"([^{_PLAIN_CLASS}]+)")

# One-character stand-ins used while normalizing a run of non-plain characters: a character
# that normalizes to nothing becomes _DROPPED; one that normalizes to several characters
# becomes _EXPANDS (which sends the whole text to the general path). Both are control
# characters, which normalize to nothing themselves, so they never appear in a result.
_DROPPED = "\x00"
_EXPANDS = "\x01"

# Caches are bounded so that hostile input (every code point once, or endless distinct runs)
# cannot grow process memory without limit; beyond the bound we compute without caching.
_CHAR_CACHE_LIMIT = 1 << 16
_RUN_CACHE_LIMIT = 1 << 14
_RUN_CACHE_MAX_RUN = 8


def _fold(chars: str) -> str:
    """Normalize already case-folded characters: NFKC, case-fold, NFKC, drop separators.

    NFKC runs first so that compatibility characters that are not themselves upper case
    (e.g. "ℌ" → "H") are case-folded too, and again last because case folding can leave a
    string that is not NFKC. This mirrors Unicode's NFKC_Casefold closely enough for word
    matching.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", chars).casefold())
    if folded.isascii() and folded.isalnum():
        return folded
    return "".join(c for c in folded if unicodedata.category(c) not in _DROPPED_CATEGORIES)


class _CharTable(dict):
    """Per-character normal form, computed on first use (``dict.__missing__``)."""

    def __missing__(self, char: str) -> str:
        # Case-fold first and fold the result: this is exactly what the fast path does to a
        # text as a whole, so both paths agree character by character.
        value = _fold(char.casefold())
        if len(self) < _CHAR_CACHE_LIMIT:
            self[char] = value
        return value


class _RunTable(dict):
    """Run of non-plain, already case-folded characters → stand-in string.

    The stand-in is empty when every character of the run is dropped, which is what runs
    nearly always are ("，", "。", " ", "、"); the fast path then needs nothing but lengths.
    Otherwise it has the run's length, each character replaced by its one-character normal
    form, ``_DROPPED`` or ``_EXPANDS``, so that dropped characters can still be located with
    ``str.split``. Runs repeat a lot, hence the cache, which ``map(table.__getitem__, runs)``
    hits without running any Python code.
    """

    def __missing__(self, run: str) -> str:
        parts = []
        for char in run:
            value = _fold(char)
            if len(value) == 1:
                parts.append(value)
            else:
                parts.append(_EXPANDS if value else _DROPPED)
        stand_in = "".join(parts)
        if stand_in == _DROPPED * len(run):
            stand_in = ""
        if len(run) <= _RUN_CACHE_MAX_RUN and len(self) < _RUN_CACHE_LIMIT:
            self[run] = stand_in
        return stand_in


_CHARS = _CharTable()
_RUNS = _RunTable()


class _Positions:
    """Maps an index in the normalized text to the index in the original text it came from.

    When normalization only dropped characters (the common case) the map is stored per run
    of dropped characters, not per character, so building it needs no per-character Python
    work: ``kept_before[r]`` is how many kept characters precede dropped run r and
    ``dropped_through[r + 1]`` how many characters runs 0..r dropped in total. Normalized
    index j then came from j plus the characters dropped by the runs before it, found by
    bisection. When some character expanded to several, ``index`` is an explicit list.
    """

    __slots__ = ("dropped_through", "index", "kept_before", "length")

    def __init__(
        self,
        length: int,
        kept_before: list[int],
        dropped_through: Sequence[int],
        index: list[int] | None = None,
    ) -> None:
        self.length = length
        self.kept_before = kept_before
        self.dropped_through = dropped_through
        self.index = index

    def to_list(self) -> list[int]:
        """The original index of every normalized character, as a list."""
        if self.index is not None:
            return list(self.index)
        starts: list[int] = []
        stops: list[int] = []
        kept = 0
        for run, kept_through in enumerate(chain(self.kept_before, [self.length])):
            if kept_through > kept:
                starts.append(kept + self.dropped_through[run])
                stops.append(kept_through + self.dropped_through[run])
            kept = kept_through
        return list(chain.from_iterable(map(range, starts, stops)))


def _normalize(text: str) -> tuple[str, _Positions]:
    """Normalize ``text``; return it with the map back to original positions."""
    folded = text.casefold()
    # Case folding is per character, so equal lengths mean every character folded to one.
    if len(folded) == len(text):
        # Even items are runs of plain characters (already normal), odd items the runs of
        # everything else between them.
        parts = _OTHER_RUNS.split(folded)
        if len(parts) == 1:
            return folded, _Positions(len(folded), [], [0])
        runs = parts[1::2]
        stand_ins = list(map(_RUNS.__getitem__, runs))
        if not any(stand_ins):
            # Every run was separators only: the text is the plain runs joined.
            plain = parts[0::2]
            kept_before = list(accumulate(map(len, plain)))
            length = kept_before.pop()
            dropped_through = [0, *accumulate(map(len, runs))]
            return "".join(plain), _Positions(length, kept_before, dropped_through)
        # Some run keeps characters (full-width letters, compatibility forms): spell every
        # run out character by character and locate the dropped ones individually.
        parts[1::2] = [stand_in or _DROPPED * len(run) for stand_in, run in zip(stand_ins, runs, strict=True)]
        stand_in_text = "".join(parts)
        if _EXPANDS not in stand_in_text:
            kept_pieces = stand_in_text.split(_DROPPED)
            kept_before = list(accumulate(map(len, kept_pieces)))
            length = kept_before.pop()
            dropped_through = range(len(kept_pieces))
            return "".join(kept_pieces), _Positions(length, kept_before, dropped_through)
    return _normalize_by_char(text)


def _normalize_by_char(text: str) -> tuple[str, _Positions]:
    """General path, character by character: for texts where case folding or NFKC expands
    a character ("ß" → "ss", "ﬁ" → "fi", "㍿" → "株式会社"), so lengths no longer line up."""
    pieces: list[str] = []
    index: list[int] = []
    chars = _CHARS
    for position, char in enumerate(text):
        value = chars[char]
        if value:
            pieces.append(value)
            index.extend([position] * len(value))
    return "".join(pieces), _Positions(len(index), [], [0], index)


def normalize(text: str) -> tuple[str, list[int]]:
    """Return the normalized form of ``text`` and, for each of its characters, the index of
    the character of ``text`` it came from.

    Each character is NFKC-normalized and case-folded on its own; separators (whitespace,
    punctuation, symbols, zero-width and other format characters, combining marks) are
    dropped. A character that normalizes to several characters maps them all to its index.

    >>> normalize("Ａ b。")
    ('ab', [0, 2])
    """
    normalized, positions = _normalize(text)
    return normalized, positions.to_list()


@dataclass(frozen=True, slots=True)
class Finding:
    """One occurrence of a term; ``start``/``end`` index the original text, end exclusive."""

    term: str
    category: str
    severity: str
    start: int
    end: int


# What the automaton stores for a normalized key: its length in characters, every
# (term, category, severity) that normalizes to that key (two stored terms such as "ABC" and
# "abc" can share one), and the terms whose occurrences inside this key are excepted (the key
# is an exception phrase of theirs, e.g. "防范传销" for "传销"; usually empty).
_Entry = tuple[int, tuple[tuple[str, str, str], ...], tuple[str, ...]]


class Scanner:
    """Aho-Corasick matcher over normalized text.

    The automaton runs over the UTF-8 bytes of the normalized text (given to pyahocorasick as
    a latin-1 string), not over its characters: pyahocorasick finds a child node by a linear
    search, and at the root a character alphabet has thousands of children (one per distinct
    first character of 10,000 Chinese terms), which made a scan about ten times slower.
    Bytes cap every node at 256 children. UTF-8 is self-synchronizing (a term's encoding
    starts with a lead byte), so every byte match starts and ends on character boundaries.
    """

    def __init__(self, terms: Iterable[tuple[str, str, str] | tuple[str, str, str, Iterable[str]]]) -> None:
        """Build from ``(term, category, severity)`` triples, or with a fourth item, the term's
        exception phrases (an occurrence of the term inside one of them is no finding: "传销"
        in "防范传销"); terms that normalize to an empty string are ignored, since they would
        match everywhere, and so are exception phrases that do not contain their term.

        Exception phrases go into the same automaton as the terms, so honouring them costs no
        second pass over the text: a hit of a phrase only records its span, and the term hits
        inside a span of one of their phrases are dropped after the pass."""
        grouped: dict[str, list[tuple[str, str, str]]] = {}
        excepting: dict[str, set[str]] = {}
        for term, category, severity, *rest in terms:
            key, _ = _normalize(term)
            if not key:
                continue
            grouped.setdefault(key, []).append((term, category, severity))
            for phrase in rest[0] or () if rest else ():
                if not isinstance(phrase, str):  # a hand-edited JSON value: ignored, never fatal
                    continue
                phrase_key, _ = _normalize(phrase)
                if key in phrase_key and phrase_key != key:
                    excepting.setdefault(phrase_key, set()).add(term)
        keys = set(grouped) | set(excepting)
        encoded_keys = {key: key.encode("utf-8", "surrogatepass").decode("latin-1") for key in keys}
        self._automaton = ahocorasick.Automaton()
        # Descending byte order puts the lead bytes of Chinese characters (0xE4–0xE9) first
        # among the root's children, which pyahocorasick searches linearly; a few per cent.
        for key in sorted(keys, key=encoded_keys.__getitem__, reverse=True):
            encoded = encoded_keys[key]
            entry: _Entry = (
                len(key),
                tuple(sorted(set(grouped.get(key, ())))),
                tuple(sorted(excepting.get(key, ()))),
            )
            self._automaton.add_word(encoded, entry)
        self._size = len(grouped)
        self._exception_count = len(excepting)
        if keys:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        """Number of distinct normalized terms."""
        return self._size

    def scan(self, text: str) -> list[Finding]:
        """Every occurrence of every term in ``text`` (overlapping ones included), sorted by
        ``(start, end, term)``, with positions in ``text`` itself."""
        if not self._size or not text:
            return []
        normalized, positions = _normalize(text)
        encoded = normalized.encode("utf-8", "surrogatepass")
        hits: list[tuple[int, _Entry]] = list(self._automaton.iter(encoded.decode("latin-1")))
        if not hits:
            return []
        ascii_only = len(encoded) == len(normalized)  # then byte offsets are char offsets
        # This loop runs once per hit, so it avoids calls: hits arrive in order of their
        # end byte, which lets the byte → character conversion decode each stretch of the
        # text once; positions are mapped inline; findings are sorted as plain tuples.
        kept_before, dropped_through = positions.kept_before, positions.dropped_through
        index = positions.index
        rows: list[tuple[int, int, str, str, str]] = []
        # Only when an exception phrase was hit: its span and terms, and each row's span, in
        # normalized characters (where "inside the phrase" is decided, separators ignored).
        spans: list[tuple[int, int, tuple[str, ...]]] = []
        row_spans: list[tuple[int, int]] = []
        previous_end_byte = last = -1
        for end_byte, (char_length, entries, excepts) in hits:
            if ascii_only:
                last = end_byte
            elif end_byte != previous_end_byte:
                stretch = encoded[previous_end_byte + 1 : end_byte + 1]
                last += len(stretch.decode("utf-8", "surrogatepass"))
                previous_end_byte = end_byte
            first = last - char_length + 1
            if excepts:
                spans.append((first, last, excepts))
                if not entries:
                    continue
            if index is None:
                start = first + dropped_through[bisect_right(kept_before, first)]
                end = last + dropped_through[bisect_right(kept_before, last)] + 1
            else:
                start = index[first]
                end = index[last] + 1
            for term, category, severity in entries:
                rows.append((start, end, term, category, severity))
                if self._exception_count:
                    row_spans.append((first, last))
        if spans:
            rows = _not_excepted(rows, row_spans, spans)
        rows.sort()
        return [Finding(term, category, severity, start, end) for start, end, term, category, severity in rows]


def _not_excepted(
    rows: list[tuple[int, int, str, str, str]],
    row_spans: list[tuple[int, int]],
    spans: list[tuple[int, int, tuple[str, ...]]],
) -> list[tuple[int, int, str, str, str]]:
    """The rows whose occurrence lies inside no exception phrase of their term."""
    by_term: dict[str, list[tuple[int, int]]] = {}
    for first, last, terms in spans:
        for term in terms:
            by_term.setdefault(term, []).append((first, last))
    kept = []
    for row, (first, last) in zip(rows, row_spans, strict=True):
        covering = by_term.get(row[2])
        if covering and any(a <= first and last <= b for a, b in covering):
            continue
        kept.append(row)
    return kept


_scanner_lock = threading.Lock()
_scanner_cache: tuple[tuple[object, ...], Scanner] | None = None
# Bumped in Django's cache by every change of the term list (``invalidate_scanner``): shared by
# all processes when the cache is (CACHE_URL), this process's own otherwise.
_GENERATION_KEY = "workflows:scanner:generation"


def invalidate_scanner() -> None:
    """Make every ``current_scanner`` rebuild from the table on its next call. The term
    services call it once their change has committed: the table's aggregate key alone can
    miss a change (two edits committed out of the order of their ``updated_at``, or within
    one clock tick)."""
    global _scanner_cache
    from django.core.cache import cache

    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # not in the cache yet (or evicted)
        cache.set(_GENERATION_KEY, 1, None)
    _scanner_cache = None


def current_scanner() -> Scanner:
    """The scanner for the active ``SensitiveTerm`` rows, rebuilt when the table changes.

    Each call costs one aggregate query and one cache read. Its key (row count, active count,
    latest ``updated_at``, highest id, and the generation ``invalidate_scanner`` bumps)
    changes on every insert, delete and ``save()``; writers that use
    ``QuerySet.update``/``bulk_update`` must set ``updated_at`` themselves (as
    ``import_sensitive_terms`` does), because ``auto_now`` does not apply there.
    """
    global _scanner_cache
    from django.core.cache import cache
    from django.db.models import Count, Max, Q

    from workflows.models import SensitiveTerm

    stats = SensitiveTerm.objects.aggregate(
        rows=Count("id"),
        active=Count("id", filter=Q(active=True)),
        latest=Max("updated_at"),
        top=Max("id"),
    )
    key = (stats["rows"], stats["active"], stats["latest"], stats["top"], cache.get(_GENERATION_KEY, 0))
    cached = _scanner_cache
    if cached is not None and cached[0] == key:
        return cached[1]
    with _scanner_lock:
        # Another thread may have rebuilt it while this one waited for the lock.
        cached = _scanner_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        rows = SensitiveTerm.objects.filter(active=True).values_list("term", "category", "severity", "exceptions")
        scanner = Scanner(rows)
        _scanner_cache = (key, scanner)
        return scanner


EXCERPT_CONTEXT = 10


def scan_fields(pairs: list[tuple[str, str]], scanner: Scanner | None = None) -> list[dict[str, object]]:
    """Scan ``(field label, text)`` pairs; return JSON-ready findings in field order.

    Each finding is ``{"field", "term", "category", "severity", "start", "end", "excerpt"}``,
    where the excerpt is the match with up to ``EXCERPT_CONTEXT`` original characters on
    either side. Without ``scanner`` the current term list is used.
    """
    if scanner is None:
        scanner = current_scanner()
    results: list[dict[str, object]] = []
    for field, text in pairs:
        if not text:
            continue
        for finding in scanner.scan(text):
            results.append(
                {
                    "field": field,
                    "term": finding.term,
                    "category": finding.category,
                    "severity": finding.severity,
                    "start": finding.start,
                    "end": finding.end,
                    "excerpt": text[max(0, finding.start - EXCERPT_CONTEXT) : finding.end + EXCERPT_CONTEXT],
                }
            )
    return results
