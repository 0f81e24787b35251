"""``manage.py import_sensitive_terms FILE [--deactivate-missing]``: load a sensitive-word list.

The file is UTF-8 (a BOM is allowed), one term a line, with optional ``category``,
``severity`` and ``exceptions`` columns separated by commas or tabs; the exceptions are
phrases containing the term, separated by ``|``, in which the term is no finding::

    # comments and blank lines are skipped
    敏感词
    某某,politics,block
    传销,illegal,block,防范传销|打击传销
    另一个词\tads\tnotice

Category defaults to "general", severity to "review" (notice / review / block). A line without
the exceptions column leaves a stored term's exceptions as they are. The import is
all or nothing: every bad line is reported (line number and problem, in Chinese and English)
and nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from workflows.models import SensitiveTerm, Severity
from workflows.scanner import normalize

REFUSED = "导入失败，未写入任何数据（import refused, nothing written）：\n"
DEFAULT_CATEGORY = "general"
DEFAULT_SEVERITY = Severity.REVIEW.value
SEVERITIES = tuple(Severity.values)
COLUMN_SEPARATOR = re.compile(r"[,\t]")
MAX_COLUMNS = 4
EXCEPTION_SEPARATOR = "|"
BATCH_SIZE = 500

TERM_MAX_LENGTH = SensitiveTerm._meta.get_field("term").max_length
CATEGORY_MAX_LENGTH = SensitiveTerm._meta.get_field("category").max_length


@dataclass(frozen=True)
class TermLine:
    """One term of the file, validated."""

    line: int
    term: str
    category: str
    severity: str
    # None without the exceptions column: a stored term keeps its own.
    exceptions: tuple[str, ...] | None = None


class TermFileError(Exception):
    """The file cannot be imported; ``errors`` holds one message per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def line_error(number: int, chinese: str, english: str) -> str:
    """An error message in the house style: Chinese first, English in full-width brackets."""
    return f"第 {number} 行：{chinese}（line {number}: {english}）"


def parse_terms(data: bytes) -> list[TermLine]:
    """Decode and validate a term file; raise ``TermFileError`` listing every bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # exc.object is what the decoder saw: the data after any BOM, which exc.start indexes.
        line = exc.object[: exc.start].count(b"\n") + 1
        raise TermFileError([line_error(line, "不是有效的 UTF-8 编码", "not valid UTF-8")]) from exc

    errors: list[str] = []
    terms: list[TermLine] = []
    seen: dict[str, TermLine] = {}  # by exact term
    seen_normalized: dict[str, TermLine] = {}  # by normalized form
    # Split on newlines only: str.splitlines() also breaks on form feeds, U+2028 and the like,
    # which would make our line numbers disagree with the user's editor.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        columns = [column.strip() for column in COLUMN_SEPARATOR.split(stripped)]
        if len(columns) > MAX_COLUMNS:
            errors.append(
                line_error(
                    number,
                    f"列数过多：{len(columns)} 列，最多 4 列（词语,类别,严重程度,例外短语）",
                    f"too many columns: {len(columns)}, at most 4 (term,category,severity,exceptions)",
                )
            )
            continue
        term = columns[0]
        category = (columns[1] if len(columns) > 1 else "") or DEFAULT_CATEGORY
        severity_text = columns[2] if len(columns) > 2 else ""
        severity = severity_text.lower() or DEFAULT_SEVERITY
        exceptions = (
            tuple(p.strip() for p in columns[3].split(EXCEPTION_SEPARATOR) if p.strip()) if len(columns) > 3 else None
        )

        problems: list[str] = []
        if not term:
            problems.append(line_error(number, "词语为空", "empty term"))
        elif len(term) > TERM_MAX_LENGTH:
            problems.append(
                line_error(
                    number,
                    f"词语过长：{len(term)} 个字符，最多 {TERM_MAX_LENGTH} 个",
                    f"term too long: {len(term)} characters, at most {TERM_MAX_LENGTH}",
                )
            )
        elif not normalize(term)[0]:
            # Only separators (punctuation, spaces, symbols): it would match everywhere, or,
            # as the scanner ignores it, nowhere; either way not what was meant.
            problems.append(
                line_error(
                    number,
                    f'词语 "{term}" 去除空白和标点后为空',
                    f'term "{term}" is empty once spaces and punctuation are removed',
                )
            )
        if len(category) > CATEGORY_MAX_LENGTH:
            problems.append(
                line_error(
                    number,
                    f"类别过长：{len(category)} 个字符，最多 {CATEGORY_MAX_LENGTH} 个",
                    f"category too long: {len(category)} characters, at most {CATEGORY_MAX_LENGTH}",
                )
            )
        if severity not in SEVERITIES:
            problems.append(
                line_error(
                    number,
                    f'未知的严重程度 "{severity_text}"，应为 notice、review 或 block',
                    f'unknown severity "{severity_text}", expected notice, review or block',
                )
            )
        key = normalize(term)[0]
        for phrase in exceptions or ():
            # An exception must contain its term and say more, else it excepts nothing or all.
            phrase_key = normalize(phrase)[0]
            if key and (key not in phrase_key or phrase_key == key):
                problems.append(
                    line_error(
                        number,
                        f'例外短语 "{phrase}" 须包含词语 "{term}" 且不同于它',
                        f'exception "{phrase}" must contain the term "{term}" and differ from it',
                    )
                )
        if problems:
            errors.extend(problems)
            continue

        entry = TermLine(number, term, category, severity, exceptions)
        if term in seen:
            errors.append(
                line_error(
                    number,
                    f'词语 "{term}" 与第 {seen[term].line} 行重复',
                    f'term "{term}" duplicates line {seen[term].line}',
                )
            )
            continue
        if key in seen_normalized:
            # "ABC" and "ａｂｃ" are different rows but the same word to the scanner; two
            # severities for one word would be a contradiction nobody can resolve later.
            other = seen_normalized[key]
            errors.append(
                line_error(
                    number,
                    f'词语 "{term}" 与第 {other.line} 行的 "{other.term}" 规范化后相同',
                    f'term "{term}" is the same as "{other.term}" on line {other.line} once normalized',
                )
            )
            continue
        seen[term] = seen_normalized[key] = entry
        terms.append(entry)

    if errors:
        raise TermFileError(errors)
    if not terms:
        # An empty list is almost certainly the wrong file; with --deactivate-missing it
        # would switch every term off.
        raise TermFileError(["文件中没有任何词语（the file contains no terms）"])
    return terms


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    deactivated: int


def sensitive_terms_import(*, terms: list[TermLine], deactivate_missing: bool = False) -> ImportResult:
    """Write validated terms in one transaction.

    Side effects, in order: creates the new terms (active); updates category and severity of
    existing ones and re-activates them; with ``deactivate_missing``, deactivates the active
    terms the file does not list. ``updated_at`` is set explicitly on bulk updates, since
    ``auto_now`` does not apply to them and ``current_scanner`` relies on it to notice
    changes.
    """
    now = timezone.now()
    listed = {entry.term for entry in terms}
    with transaction.atomic():
        # Lock the existing rows: a concurrent import waits here instead of interleaving
        # its updates with ours (a no-op on SQLite, which serializes writers anyway).
        existing = {row.term: row for row in SensitiveTerm.objects.select_for_update()}
        to_create: list[SensitiveTerm] = []
        to_update: list[SensitiveTerm] = []
        unchanged = 0
        for entry in terms:
            row = existing.get(entry.term)
            if row is None:
                to_create.append(
                    SensitiveTerm(
                        term=entry.term,
                        category=entry.category,
                        severity=entry.severity,
                        exceptions=list(entry.exceptions or ()),
                        active=True,
                    )
                )
                continue
            exceptions = list(entry.exceptions) if entry.exceptions is not None else row.exceptions
            if (row.category, row.severity, row.exceptions, row.active) == (
                entry.category,
                entry.severity,
                exceptions,
                True,
            ):
                unchanged += 1
            else:
                row.category, row.severity, row.active = entry.category, entry.severity, True
                row.exceptions = exceptions
                row.updated_at = now
                to_update.append(row)

        to_deactivate = (
            [row.pk for term, row in existing.items() if row.active and term not in listed]
            if deactivate_missing
            else []
        )

        SensitiveTerm.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        SensitiveTerm.objects.bulk_update(
            to_update, ["category", "severity", "exceptions", "active", "updated_at"], batch_size=BATCH_SIZE
        )
        for offset in range(0, len(to_deactivate), BATCH_SIZE):
            SensitiveTerm.objects.filter(pk__in=to_deactivate[offset : offset + BATCH_SIZE]).update(
                active=False, updated_at=now
            )
    return ImportResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=unchanged,
        deactivated=len(to_deactivate),
    )


class Command(BaseCommand):
    help = (
        "导入敏感词表：每行一个词语，可选“类别,严重程度,例外短语”三列（逗号或制表符分隔，例外短语以 | 分隔）；"
        "全部成功或全部不写入。 Load a sensitive-word list: one term a line, optional "
        "category,severity,exceptions columns (comma or tab separated, exceptions |-separated); all or nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="UTF-8 text file, one term a line")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="停用文件中未列出的词语（deactivate active terms the file does not list）",
        )

    def handle(self, *args, file: Path, deactivate_missing: bool, **options) -> None:
        try:
            data = file.read_bytes()
        except FileNotFoundError as exc:
            raise CommandError(f"文件不存在：{file}（file not found: {file}）") from exc
        except OSError as exc:
            raise CommandError(f"无法读取文件：{file}（cannot read file: {file}: {exc.strerror}）") from exc
        try:
            terms = parse_terms(data)
        except TermFileError as exc:
            raise CommandError(REFUSED + "\n".join(exc.errors)) from exc

        result = sensitive_terms_import(terms=terms, deactivate_missing=deactivate_missing)

        chinese = f"敏感词导入完成：新建 {result.created} 个，更新 {result.updated} 个，未变 {result.unchanged} 个"
        english = f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}"
        if deactivate_missing:
            chinese += f"，停用 {result.deactivated} 个"
            english += f", deactivated {result.deactivated}"
        self.stdout.write(f"{chinese}（{english}）")
