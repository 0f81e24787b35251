"""Scan findings shown in the text they were found in: ranges wrapped in <mark>, the rest escaped."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from .scanner import normalize


def mark_ranges(text: str, findings: list[dict[str, Any]]) -> SafeString:
    """``text`` escaped, with each finding's range wrapped in <mark>; overlapping ranges merge."""
    ranges = sorted((f["start"], f["end"], i, f) for i, f in enumerate(findings))
    merged: list[list[Any]] = []
    for start, end, _i, finding in ranges:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].append(finding)
        else:
            merged.append([start, end, [finding]])
    parts: list[SafeString] = []
    position = 0
    for start, end, group in merged:
        parts.append(escape(text[position:start]))
        title = "；".join(f"{f['term']}（{f.get('category', '')} / {f.get('severity', '')}）" for f in group)
        parts.append(format_html('<mark class="finding" title="{}">{}</mark>', title, text[start:end]))
        position = end
    parts.append(escape(text[position:]))
    return format_html_join("", "{}", ((p,) for p in parts))


def findings_in(text: str, labels: set[str], findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings that belong to this text: same field label, a range inside it, and the text
    there still reads as the term."""
    kept = []
    for f in findings:
        start, end = f.get("start"), f.get("end")
        if f.get("field") not in labels or not isinstance(start, int) or not isinstance(end, int):
            continue
        if 0 <= start < end <= len(text) and normalize(text[start:end])[0] == normalize(str(f.get("term", "")))[0]:
            kept.append(f)
    return kept
