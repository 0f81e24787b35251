"""Input of the rules area, one form per input — a sensitive term, a term list to import, a
calendar entry, a reason, the filters of the rule-change log — each checked here whether it
came from a page or the API, every problem at once (``workflows.inputs.InputForm``).

A term list is the format of ``manage.py import_sensitive_terms``: UTF-8 (a BOM is allowed),
one term a line with optional ``category``, ``severity`` and ``exceptions`` columns, comma
separated (CSV, quotes allowed) or tab separated; the exceptions are phrases separated by ``|``
(``传销,illegal,block,防范传销|打击传销``); blank lines and lines starting with ``#`` are skipped,
and so is a first line ``term,category,severity[,exceptions]`` (or ``词语,类别,严重程度[,例外短语]``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from administration.audit import ACTION_LABELS, SUBJECTS
from workflows import inputs
from workflows.exceptions import InvalidInput
from workflows.models import CalendarDay, CalendarDayKind, SensitiveTerm, Severity
from workflows.scanner import normalize

TERM_MAX_LENGTH = SensitiveTerm._meta.get_field("term").max_length
CATEGORY_MAX_LENGTH = SensitiveTerm._meta.get_field("category").max_length
NOTE_MAX_LENGTH = CalendarDay._meta.get_field("note").max_length
REASON_MAX_LENGTH = 2000
DEFAULT_CATEGORY = "general"
DEFAULT_SEVERITY = Severity.REVIEW.value
IMPORT_MAX_BYTES = 5 * 1024 * 1024
HEADERS = (
    {"term", "category", "severity"},
    {"词语", "类别", "严重程度"},
    {"term", "category", "severity", "exceptions"},
    {"词语", "类别", "严重程度", "例外短语"},
)
EXCEPTIONS_MAX = 50
EXCEPTION_MAX_LENGTH = 100
# Phrases are written one a line on the page, "|"-separated in a term list file.
EXCEPTION_SEPARATORS = ("\r\n", "\n", "\r", "|")
# Calendar entries are for the years around now; an entry far off is a mistyped year.
CALENDAR_YEARS = range(2000, 2100)


def _label(model: Any, name: str) -> Any:
    return model._meta.get_field(name).verbose_name


class Reason(inputs.Text):
    """Why the rule changes (kept as the audit event's reason): required when ``required``."""

    def __init__(self, *, required: bool = False) -> None:
        super().__init__(label=gettext_lazy("修改理由"), max_length=REASON_MAX_LENGTH)
        self.needed = required

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        if self.needed and not text:
            raise self.refuse(_("请填写“%(label)s”"))
        return text


def normalized_twin(term: str, *, exclude: int | None = None) -> SensitiveTerm | None:
    """Another stored term the scanner would take for ``term`` (the same once normalized)."""
    key = normalize(term)[0]
    rows = SensitiveTerm.objects.exclude(pk=exclude).exclude(term=term).only("pk", "term", "active")
    return next((row for row in rows.iterator() if normalize(row.term)[0] == key), None)


class Word(inputs.Text):
    """The word of a term: required, at most ``TERM_MAX_LENGTH`` characters, and something
    left once spaces and punctuation are removed (else it would match nothing)."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        if not text:
            raise self.refuse(_("请填写“%(label)s”"))
        if not normalize(text)[0]:
            raise ValidationError(_("词语“%(term)s”去除空格和标点后为空，无法匹配任何内容") % {"term": text})
        return text


def split_phrases(value: Any) -> list[str] | None:
    """The exception phrases of ``value`` — a list of strings (API), or text with one phrase a
    line or ``|``-separated — stripped, empty ones dropped; None when it is neither."""
    if value is None:
        return []
    if isinstance(value, str):
        for separator in EXCEPTION_SEPARATORS:
            value = value.replace(separator, "\n")
        items: list[Any] = value.split("\n")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        return None
    if not all(isinstance(item, str) for item in items):
        return None
    return [item.strip() for item in items if item.strip()]


def phrase_problems(term: str, phrases: list[str]) -> list[str]:
    """Why these cannot be the exceptions of ``term``: each must contain the term (as the
    scanner compares, ignoring case, width, spaces and punctuation) and say more than it, at
    most ``EXCEPTION_MAX_LENGTH`` characters, none twice, at most ``EXCEPTIONS_MAX``."""
    problems = []
    key = normalize(term)[0]
    if len(phrases) > EXCEPTIONS_MAX:
        problems.append(_("例外短语最多 %(max)s 个（现有 %(n)s 个）") % {"max": EXCEPTIONS_MAX, "n": len(phrases)})
    seen: dict[str, str] = {}
    for phrase in phrases:
        phrase_key = normalize(phrase)[0]
        if len(phrase) > EXCEPTION_MAX_LENGTH:
            problems.append(
                _("例外短语“%(phrase)s”过长，最多 %(max)s 个字符") % {"phrase": phrase, "max": EXCEPTION_MAX_LENGTH}
            )
        elif key and key not in phrase_key:
            problems.append(_("例外短语“%(phrase)s”不含词语“%(term)s”") % {"phrase": phrase, "term": term})
        elif phrase_key == key:
            problems.append(_("例外短语“%(phrase)s”与词语本身相同，会使该词语失效") % {"phrase": phrase})
        elif phrase_key in seen:
            problems.append(_("例外短语“%(phrase)s”与“%(other)s”重复") % {"phrase": phrase, "other": seen[phrase_key]})
        else:
            seen[phrase_key] = phrase
    return problems


class Phrases(inputs.InputField):
    """The exception phrases of a term: a list of strings, or text with one phrase a line."""

    def to_python(self, value: Any) -> list[str]:
        phrases = split_phrases(value)
        if phrases is None:
            raise self.refuse(_("“%(label)s”必须是文本或文本列表"))
        return phrases


class TermInput(inputs.InputForm):
    """A sensitive term: the word (not stored yet, nor the same as a stored one once
    normalized), its category (default "general") and severity (default 需人工审核), its
    exception phrases (each containing the term; ``phrase_problems``; left as they are when a
    change does not send them); ``instance`` is the term being changed, whose change needs a
    reason."""

    term = Word(label=_label(SensitiveTerm, "term"), max_length=TERM_MAX_LENGTH)
    category = inputs.Text(label=_label(SensitiveTerm, "category"), max_length=CATEGORY_MAX_LENGTH)
    severity = inputs.Choice(
        label=_label(SensitiveTerm, "severity"),
        values=list(Severity.values),
        message=gettext_lazy("“%(label)s”必须是 notice（提示）、review（需人工审核）或 block（须人工决定）"),
    )
    exceptions = Phrases(label=_label(SensitiveTerm, "exceptions"))
    reason = Reason()

    def __init__(self, data: Any, *, instance: SensitiveTerm | None = None) -> None:
        super().__init__(data)
        self.instance = instance
        self.exceptions_sent = data is not None and "exceptions" in data
        if instance is not None:
            self.fields["reason"] = Reason(required=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.exceptions_sent and self.instance is not None:
            data["exceptions"] = list(self.instance.exceptions)
        term, phrases = data.get("term"), data.get("exceptions")
        if term and phrases:
            for problem in phrase_problems(term, phrases):
                self.add_error("exceptions", problem)
        return data

    def clean_term(self) -> str:
        term = self.cleaned_data["term"]
        own = self.instance.pk if self.instance is not None else None
        same = SensitiveTerm.objects.exclude(pk=own).filter(term=term).first()
        if same is not None:
            raise ValidationError(
                _("词语“%(term)s”已存在") % {"term": term}
                if same.active
                else _("词语“%(term)s”已存在（已停用，可在列表中重新启用）") % {"term": term}
            )
        twin = normalized_twin(term, exclude=own)
        if twin is not None:
            raise ValidationError(
                _("词语“%(term)s”与已有词语“%(other)s”相同（扫描时不区分大小写、全角半角，并忽略空格和标点）")
                % {"term": term, "other": twin.term}
            )
        return term

    def clean_category(self) -> str:
        return self.cleaned_data["category"] or DEFAULT_CATEGORY

    def clean_severity(self) -> str:
        return self.cleaned_data["severity"] or DEFAULT_SEVERITY


class ReasonInput(inputs.InputForm):
    """Only a reason, required: switching a term off or on, removing a calendar entry."""

    reason = Reason(required=True)


@dataclass(frozen=True)
class TermLine:
    line: int
    term: str
    category: str
    severity: str
    # None when the line has no exceptions column: a stored term keeps its own.
    exceptions: tuple[str, ...] | None = None


def _columns(line: str) -> list[str]:
    delimiter = "\t" if "\t" in line and "," not in line else ","
    return [column.strip() for column in next(csv.reader([line], delimiter=delimiter, strict=True))]


class Upload(inputs.InputField):
    """An uploaded file (or bytes), read whole: at most ``IMPORT_MAX_BYTES``."""

    def to_python(self, value: Any) -> bytes:
        if value in (None, ""):
            raise self.refuse(_("请选择要导入的文件"))
        if isinstance(value, bytes):
            data = value
        elif hasattr(value, "read"):
            if getattr(value, "size", 0) and value.size > IMPORT_MAX_BYTES:
                raise self.refuse(_("文件不得超过 %(n)s MB"), n=IMPORT_MAX_BYTES // (1024 * 1024))
            data = value.read(IMPORT_MAX_BYTES + 1)
        else:
            raise self.refuse(_("请选择要导入的文件"))
        if len(data) > IMPORT_MAX_BYTES:
            raise self.refuse(_("文件不得超过 %(n)s MB"), n=IMPORT_MAX_BYTES // (1024 * 1024))
        return data


class TermImportInput(inputs.InputForm):
    """A term list (see the module's docstring), whether terms the list does not name are
    switched off (``deactivate_missing``), and an optional reason. After ``problems()`` is
    empty, ``lines`` holds the terms and ``digest`` the file's SHA-256."""

    file = Upload(label=gettext_lazy("词表文件"))
    deactivate_missing = inputs.Flag(label=gettext_lazy("停用文件中未列出的词语"))
    reason = Reason()

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.lines: list[TermLine] = []
        self.digest = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        content = data.get("file")
        if content is None:
            return data
        self.digest = hashlib.sha256(content).hexdigest()
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            message = _("第 %(n)s 行：不是有效的 UTF-8 编码（请以 UTF-8 保存 CSV）") % {"n": line}
            raise ValidationError(message) from None
        problems: list[str] = []
        seen: dict[str, TermLine] = {}
        seen_normalized: dict[str, TermLine] = {}
        # Newlines only: str.splitlines() also breaks on form feeds and U+2028, and the line
        # numbers would disagree with the user's editor.
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for number, raw in enumerate(lines, start=1):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            try:
                columns = _columns(stripped)
            except csv.Error:
                problems.append(_("第 %(n)s 行：引号不成对") % {"n": number})
                continue
            if not seen and {c.lower() for c in columns if c} in HEADERS:
                continue  # a header row
            found = self._line(number, columns)
            if isinstance(found, list):
                problems.extend(found)
                continue
            key = normalize(found.term)[0]
            if found.term in seen:
                problems.append(
                    _("第 %(n)s 行：词语“%(term)s”与第 %(m)s 行重复")
                    % {"n": number, "term": found.term, "m": seen[found.term].line}
                )
            elif key in seen_normalized:
                other = seen_normalized[key]
                problems.append(
                    _("第 %(n)s 行：词语“%(term)s”与第 %(m)s 行的“%(other)s”规范化后相同")
                    % {"n": number, "term": found.term, "m": other.line, "other": other.term}
                )
            else:
                seen[found.term] = seen_normalized[key] = found
                self.lines.append(found)
        if not problems and not self.lines:
            problems.append(_("文件中没有任何词语"))
        if not problems:
            problems = self._against_stored(bool(data.get("deactivate_missing")))
        if problems:
            raise ValidationError(problems)
        return data

    def _line(self, number: int, columns: list[str]) -> TermLine | list[str]:
        if len(columns) > 4:
            return [
                _("第 %(n)s 行：列数过多（%(count)s 列），最多 4 列：词语,类别,严重程度,例外短语")
                % {"n": number, "count": len(columns)}
            ]
        term = columns[0]
        category = (columns[1] if len(columns) > 1 else "") or DEFAULT_CATEGORY
        severity_text = columns[2] if len(columns) > 2 else ""
        severity = severity_text.lower() or DEFAULT_SEVERITY
        problems = []
        if not term:
            problems.append(_("第 %(n)s 行：词语为空") % {"n": number})
        elif len(term) > TERM_MAX_LENGTH:
            problems.append(
                _("第 %(n)s 行：词语过长（%(count)s 个字符），最多 %(max)s 个")
                % {"n": number, "count": len(term), "max": TERM_MAX_LENGTH}
            )
        elif not normalize(term)[0]:
            problems.append(_("第 %(n)s 行：词语“%(term)s”去除空格和标点后为空") % {"n": number, "term": term})
        if len(category) > CATEGORY_MAX_LENGTH:
            problems.append(
                _("第 %(n)s 行：类别过长（%(count)s 个字符），最多 %(max)s 个")
                % {"n": number, "count": len(category), "max": CATEGORY_MAX_LENGTH}
            )
        if severity not in Severity.values:
            problems.append(
                _("第 %(n)s 行：未知的严重程度“%(value)s”，应为 notice、review 或 block")
                % {"n": number, "value": severity_text}
            )
        phrases = (split_phrases(columns[3]) or []) if len(columns) > 3 else None
        if term and phrases:
            problems.extend(
                _("第 %(n)s 行：%(problem)s") % {"n": number, "problem": p} for p in phrase_problems(term, phrases)
            )
        return problems or TermLine(number, term, category, severity, None if phrases is None else tuple(phrases))

    def _against_stored(self, deactivate_missing: bool) -> list[str]:
        """A listed term the scanner would take for another stored term that stays active (with
        ``deactivate_missing`` none does: every active term the file does not list is
        switched off)."""
        if deactivate_missing:
            return []
        listed = {line.term for line in self.lines}
        by_key = {normalize(line.term)[0]: line for line in self.lines}
        clashes = []
        for row in SensitiveTerm.objects.filter(active=True).exclude(term__in=listed).only("term").iterator():
            line = by_key.get(normalize(row.term)[0])
            if line is not None:
                clashes.append((line.line, line.term, row.term))
        return [
            _("第 %(n)s 行：词语“%(term)s”与已启用的词语“%(other)s”规范化后相同")
            % {"n": number, "term": term, "other": other}
            for number, term, other in sorted(clashes)
        ]


class Day(inputs.Date):
    """A calendar entry's date: required, within ``CALENDAR_YEARS``, without an entry yet."""

    def to_python(self, value: Any) -> dt.date:
        day = super().to_python(value)
        if day is None:
            raise self.refuse(_("请填写“%(label)s”"))
        if day.year not in CALENDAR_YEARS:
            raise self.refuse(
                _("“%(label)s”须在 %(first)s 年至 %(last)s 年之间"), first=CALENDAR_YEARS[0], last=CALENDAR_YEARS[-1]
            )
        existing = CalendarDay.objects.filter(date=day).first()
        if existing is not None:
            raise ValidationError(
                _("%(date)s 已有日历调整（%(kind)s），如需修改请先删除")
                % {"date": day.isoformat(), "kind": existing.get_kind_display()}
            )
        return day


class CalendarDayInput(inputs.InputForm):
    """One of CAST's calendar entries: a day off (放假) or a weekend day worked (调休上班)."""

    date = Day(label=_label(CalendarDay, "date"))
    kind = inputs.Choice(
        label=_label(CalendarDay, "kind"),
        values=list(CalendarDayKind.values),
        message=gettext_lazy("“%(label)s”必须是 holiday（放假）或 workday（调休上班）"),
    )
    note = inputs.Text(label=_label(CalendarDay, "note"), max_length=NOTE_MAX_LENGTH)
    reason = Reason()

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        if not kind:
            raise ValidationError(_("请选择“%(label)s”") % {"label": self.fields["kind"].label})
        return kind


FILTER_FIELDS = ("subject", "action", "actor", "since", "until")


class RuleChangeFilter(inputs.InputForm):
    """The filters of the rule-change log: what changed (subject type), how (action), who
    (actor: a user id), and from/to which day (local dates, both included)."""

    subject = inputs.Choice(
        label=gettext_lazy("对象类型"), values=lambda: list(SUBJECTS), message=gettext_lazy("未知的对象类型")
    )
    action = inputs.Choice(
        label=gettext_lazy("操作"), values=lambda: list(ACTION_LABELS), message=gettext_lazy("未知的操作")
    )
    actor = inputs.Count(label=gettext_lazy("操作人"), maximum=2**62)
    since = inputs.Date(label=gettext_lazy("起始日期"))
    until = inputs.Date(label=gettext_lazy("截止日期"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if isinstance(since, dt.date) and isinstance(until, dt.date) and since > until:
            raise ValidationError(_("起始日期不得晚于截止日期"))
        return data


def checked(form: inputs.InputForm) -> dict[str, Any]:
    """The form's cleaned data, or InvalidInput listing every problem."""
    problems = form.problems()
    if problems:
        raise InvalidInput(problems)
    return form.cleaned_data
