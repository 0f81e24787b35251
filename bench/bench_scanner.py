"""Benchmark the sensitive-word scanner against a naive ``str.find`` loop.

Run from the project root:

    .venv/bin/python bench/bench_scanner.py [--strict]

Builds a deterministic list of 10,000 terms (2–6 characters: common Chinese characters, or
ASCII letters) and a 20,000-character Chinese text with punctuation, some ASCII,
and about 150 of the terms embedded: as written, with separators inserted ("敏 感·词"), or
full-width / mixed case. Reports the median time of ``Scanner.scan`` (normalization
included) and of the baseline, which normalizes the text the same way and then runs
``str.find`` for every normalized term. Targets: a scan of at most 5 ms and at least 100×
faster than the baseline. ``--strict`` exits with status 1 when a target is missed.

Then the same with context exceptions: a tenth of the terms get two exception phrases each
(a character before, a character after: "防范传销"-like), and the text gets
``EMBEDDED_EXCEPTIONS`` such phrases besides; it reports the build and scan times and checks
that every term inside an embedded phrase was excepted. The scan target applies to it too.

Django is not needed: ``workflows.scanner`` imports it only inside ``current_scanner``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import timeit
from pathlib import Path

SEED = 20240601
TERM_COUNT = 10_000
TEXT_LENGTH = 20_000
EMBEDDED_TERMS = 150
SCAN_RUNS = 21  # per round
BASELINE_RUNS = 7  # rounds
TARGET_SCAN_MS = 5.0
TARGET_RATIO = 100.0
EXCEPTION_SHARE = 10  # every tenth term has exceptions
EMBEDDED_EXCEPTIONS = 30

ASCII_TERM_CHARS = "abcdefghijklmnopqrstuvwxyz"
CHINESE_PUNCTUATION = "，，，。。、；：？！“”（）《》…—"
FULL_WIDTH_OFFSET = 0xFEE0  # "A" (U+0041) + offset = "Ａ" (U+FF21)


def common_chinese_characters() -> list[str]:
    """The 3,755 level-1 characters of GB 2312 (the most common ones), spread over the CJK
    block as real text is, unlike a contiguous code-point range."""
    characters = []
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            if high == 0xD7 and low > 0xF9:
                break
            characters.append(bytes((high, low)).decode("gb2312"))
    return characters


def make_terms(rng: random.Random, chinese: list[str]) -> list[str]:
    """Distinct terms, 85 % Chinese (2–6 characters) and 15 % ASCII letters (3–6), in a
    seeded order."""
    terms: set[str] = set()
    while len(terms) < TERM_COUNT:
        if rng.random() < 0.85:
            alphabet, length = chinese, rng.randint(2, 6)
        else:
            # Two ASCII letters would match inside ordinary English words all the time,
            # which is not what a curated list contains.
            alphabet, length = ASCII_TERM_CHARS, rng.randint(3, 6)
        terms.add("".join(rng.choice(alphabet) for _ in range(length)))
    ordered = sorted(terms)
    rng.shuffle(ordered)
    return ordered


def disguise(rng: random.Random, term: str) -> str:
    """Write ``term`` the way an evader might: separators between characters, full-width
    letters and digits, or random case."""
    style = rng.randrange(3)
    if style == 0:
        separator = rng.choice([" ", "  ", "*", ".", "·", "_", "\u200b", "、", "-"])
        return separator.join(term)
    if style == 1:
        return "".join(chr(ord(c.upper()) + FULL_WIDTH_OFFSET) if c.isascii() and c.isalnum() else c for c in term)
    return "".join(c.upper() if rng.random() < 0.5 else c for c in term)


def make_text(rng: random.Random, chinese: list[str], terms: list[str]) -> str:
    """Chinese prose-like text with punctuation, ASCII words and numbers, and embedded terms
    (a third of them as written, the rest disguised)."""
    pieces: list[str] = []
    length = 0
    embed_every = TEXT_LENGTH // EMBEDDED_TERMS
    next_embed = embed_every // 2
    while length < TEXT_LENGTH:
        if length >= next_embed:
            term = rng.choice(terms)
            piece = term if rng.random() < 1 / 3 else disguise(rng, term)
            next_embed += embed_every
        else:
            roll = rng.random()
            if roll < 0.08:
                piece = rng.choice(CHINESE_PUNCTUATION)
            elif roll < 0.10:
                piece = f" {rng.choice(['CAST', 'App', 'AI', 'GDP', 'Python'])} "
            elif roll < 0.11:
                piece = str(rng.randint(1, 2025))
            else:
                piece = rng.choice(chinese)
        pieces.append(piece)
        length += len(piece)
    return "".join(pieces)[:TEXT_LENGTH]


def median_ms(function, runs: int) -> float:
    """Median wall time of ``function`` over ``runs`` runs, in milliseconds (``timeit``
    turns the garbage collector off while timing)."""
    return statistics.median(timeit.repeat(function, number=1, repeat=runs)) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    options = parser.parse_args()

    # Running this file directly puts bench/ on sys.path, not the project root.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from workflows.scanner import Scanner, _normalize, normalize

    rng = random.Random(SEED)
    chinese = common_chinese_characters()
    terms = make_terms(rng, chinese)
    text = make_text(rng, chinese, terms)
    triples = [(term, "bench", "review") for term in terms]

    build_ms = median_ms(lambda: Scanner(triples), 3)
    scanner = Scanner(triples)
    normalized_terms = [normalize(term)[0] for term in terms]

    def baseline() -> list[tuple[int, int, str]]:
        normalized, index = normalize(text)
        found = []
        for term, key in zip(terms, normalized_terms, strict=True):
            position = normalized.find(key)
            while position != -1:
                found.append((index[position], index[position + len(key) - 1] + 1, term))
                position = normalized.find(key, position + 1)
        return found

    # Both must report the same occurrences, or the timing comparison means nothing.
    expected = sorted(baseline())
    findings = scanner.scan(text)
    actual = sorted((f.start, f.end, f.term) for f in findings)
    if actual != expected:
        print(f"MISMATCH: scanner found {len(actual)}, baseline {len(expected)}")
        return 2

    # Interleave the two so that a shared machine slowing down or speeding up mid-run
    # affects both alike; the first scan above also warmed the normalization caches, as in
    # a long-lived process.
    scan_times: list[float] = []
    baseline_times: list[float] = []
    for _ in range(BASELINE_RUNS):
        baseline_times.append(median_ms(baseline, 1))
        scan_times.append(median_ms(lambda: scanner.scan(text), SCAN_RUNS))
    scan_ms = statistics.median(scan_times)
    best_scan_ms = min(timeit.repeat(lambda: scanner.scan(text), number=1, repeat=SCAN_RUNS)) * 1000
    baseline_ms = statistics.median(baseline_times)
    # The share of the scan spent normalizing (the private fast path that scan() uses; the
    # public normalize() also builds the full position list, which scan() never needs).
    normalize_ms = median_ms(lambda: _normalize(text), SCAN_RUNS)
    ratio = baseline_ms / scan_ms

    scan_ok = scan_ms <= TARGET_SCAN_MS
    ratio_ok = ratio >= TARGET_RATIO
    print(f"terms: {len(terms):,}; text: {len(text):,} characters; findings: {len(findings)}")
    print(f"build Scanner:          {build_ms:9.1f} ms")
    print(
        f"Scanner.scan (median):  {scan_ms:9.3f} ms   target ≤ {TARGET_SCAN_MS:g} ms: {'PASS' if scan_ok else 'MISS'}"
    )
    print(f"Scanner.scan (best):    {best_scan_ms:9.3f} ms")
    print(f"  of which normalizing: {normalize_ms:9.3f} ms (median)")
    print(f"str.find loop (median): {baseline_ms:9.3f} ms")
    print(f"speed-up:               {ratio:9.1f} ×    target ≥ {TARGET_RATIO:g} ×: {'PASS' if ratio_ok else 'MISS'}")

    # With context exceptions.
    excepting = terms[::EXCEPTION_SHARE]
    phrases = {term: [rng.choice(chinese) + term, term + rng.choice(chinese)] for term in excepting}
    quads = [(term, "bench", "review", phrases.get(term, ())) for term in terms]
    build_exc_ms = median_ms(lambda: Scanner(quads), 3)
    with_exceptions = Scanner(quads)
    embedded = [rng.choice(phrases[rng.choice(excepting)]) for _ in range(EMBEDDED_EXCEPTIONS)]
    step = len(text) // (EMBEDDED_EXCEPTIONS + 1)
    # "。" on both sides so that an embedded phrase does not run into a neighbouring term.
    text_exc = (
        "".join(
            text[i * step : (i + 1) * step] + (f"。{embedded[i]}。" if i < len(embedded) else "")
            for i in range(EMBEDDED_EXCEPTIONS + 1)
        )
        + text[(EMBEDDED_EXCEPTIONS + 1) * step :]
    )
    plain_findings = scanner.scan(text_exc)
    exc_findings = with_exceptions.scan(text_exc)
    # Each embedded phrase holds one occurrence of its term, which the phrase must except.
    excepted = len(plain_findings) - len(exc_findings)
    exc_times = [median_ms(lambda: with_exceptions.scan(text_exc), SCAN_RUNS) for _ in range(BASELINE_RUNS)]
    plain_times = [median_ms(lambda: scanner.scan(text_exc), SCAN_RUNS) for _ in range(BASELINE_RUNS)]
    exc_ms, plain_exc_ms = statistics.median(exc_times), statistics.median(plain_times)
    best_exc_ms = min(timeit.repeat(lambda: with_exceptions.scan(text_exc), number=1, repeat=SCAN_RUNS)) * 1000
    exc_ok = exc_ms <= TARGET_SCAN_MS and excepted == EMBEDDED_EXCEPTIONS
    print(
        f"with exceptions: {len(excepting):,} terms × 2 phrases; {EMBEDDED_EXCEPTIONS} phrases embedded; "
        f"findings {len(plain_findings)} → {len(exc_findings)} ({excepted} excepted)"
    )
    print(f"build Scanner (exc.):   {build_exc_ms:9.1f} ms")
    print(f"scan, no exceptions:    {plain_exc_ms:9.3f} ms (median, same text)")
    print(
        f"scan, with exceptions:  {exc_ms:9.3f} ms   target ≤ {TARGET_SCAN_MS:g} ms, every embedded phrase "
        f"excepted: {'PASS' if exc_ok else 'MISS'}"
    )
    print(f"scan, with exc. (best): {best_exc_ms:9.3f} ms")
    return 1 if options.strict and not (scan_ok and ratio_ok and exc_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
