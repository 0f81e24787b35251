"""Chinese first, English second, nothing left untranslated: every text of every template
goes through the translation tags, and the English catalogue translates every message."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# Chinese characters (full-width punctuation between variables, such as "：" or "（）", is
# layout, not a label).
CJK = re.compile(r"[\u3400-\u9fff]")
# What may stand outside the translation tags: template tags, variables, comments.
STRIP = [
    re.compile(r"\{% *blocktranslate.*?%\}.*?\{% *endblocktranslate *%\}", re.S),
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{% *comment *%\}.*?\{% *endcomment *%\}", re.S),
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\{.*?\}\}", re.S),
    re.compile(r"<!--.*?-->", re.S),
]


def test_no_template_text_outside_the_translation_tags():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".txt"):
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in STRIP:
            text = pattern.sub(" ", text)
        for line in text.splitlines():
            if CJK.search(line):
                offenders.append(f"{path.relative_to(ROOT)}: {line.strip()[:80]}")
    assert offenders == []


def test_the_english_catalogue_translates_every_message():
    po = (ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]  # the first block is the header
    assert len(entries) > 900
    untranslated = [
        e
        for e in entries
        if re.search(r'^msgstr(\[\d\])? ""\s*$', e, re.M) and not re.search(r'^msgstr(\[\d\])? ""\n"', e, re.M)
    ]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert untranslated == [] and fuzzy == []
    compiled = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.mo"
    assert compiled.stat().st_mtime >= (ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po").stat().st_mtime - 5
