"""Two lean Platypus flowables for Chinese text: a text block and a ruled grid.

ReportLab's ``Paragraph`` parses markup and its ``Table`` draws every cell with its own
text object; an application form made of them took some 40 times as long as a one-line
page. These flowables wrap plain text with per-character widths cached once per font, draw
all of a flowable's text in one text object and its rules in one path, and split across
pages line by line (a grid repeats its header row). A text block holds several parts (a
heading and its body, a title and subtitles) and a grid may carry its heading as a caption:
fewer flowables, less of Platypus's per-flowable work, and a heading never ends a page
alone. They live in the Platypus story like any flowable: frames, page templates and
spacing still apply.

This module imports ReportLab at the top: import it inside the functions that render.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.platypus.flowables import Flowable

# Characters that may not begin a line (避头): they hang at the end of the previous one.
NO_LINE_START = frozenset("，。、；：？！）》」』”’〕】…%,.;:?!)]}")
# A run of Latin letters, digits and the punctuation inside numbers, addresses and e-mails
# breaks as one word; every other character (Chinese) may break on its own.
TOKEN = re.compile(r"[A-Za-z0-9_@.\-+/:%,#&=~]+|\s+|.", re.DOTALL)
ASCENT = 0.86  # of the font size: the height of the glyphs above the baseline
MIN_LINES_AFTER_HEADING = 2

_char_widths: dict[str, dict[str, float]] = {}


def text_width(text: str, font: str, size: float) -> float:
    """Width in points; per-character widths are looked up once per font and process."""
    widths = _char_widths.get(font)
    if widths is None:
        widths = _char_widths[font] = {}
    face = None
    total = 0.0
    for ch in text:
        w = widths.get(ch)
        if w is None:
            face = face or getFont(font)
            w = widths[ch] = face.stringWidth(ch, 1000)
        total += w
    return total * size / 1000


def wrap_lines(text: str, width: float, font: str, size: float, first_indent: float = 0) -> list[str]:
    """Greedy line breaking: Chinese between any two characters, Latin words whole (split
    only when longer than a line), closing punctuation never at the start of a line. Each
    line break of the text starts a new paragraph (indented again)."""
    lines: list[str] = []
    for paragraph_text in (text or "").replace("\r\n", "\n").split("\n"):
        available = width - first_indent
        if text_width(paragraph_text, font, size) <= available:  # the usual table cell
            lines.append(paragraph_text.rstrip())
            continue
        line = ""
        line_width = 0.0
        for token in TOKEN.findall(paragraph_text):
            w = text_width(token, font, size)
            if line_width + w <= available or token in NO_LINE_START:
                if line or not token.isspace():  # no leading blanks on a wrapped line
                    line += token
                    line_width += w
                continue
            if token.isspace():  # break at the blank
                if line:
                    lines.append(line.rstrip())
                    available, line, line_width = width, "", 0.0
                continue
            if w > width:  # a word longer than any line: break it by characters
                for ch in token:
                    cw = text_width(ch, font, size)
                    if line and line_width + cw > available:
                        lines.append(line.rstrip())
                        available, line, line_width = width, "", 0.0
                    line += ch
                    line_width += cw
                continue
            if line:
                lines.append(line.rstrip())
                available = width
            line, line_width = token, w
        lines.append(line.rstrip())
    return lines


class TextWriter:
    """One PDF text object (BT … ET) written straight into the page's content stream.

    ReportLab's text object formats every coordinate with its pure-Python ``fp_str`` and
    repeats the font operator before every string of a CID font; for a form of a few hundred
    short lines that was a third of the time. This writes ``Tm`` and ``Tj`` with f-strings
    and switches the font only when the size (or, for TrueType, the 256-glyph subset)
    changes. The encoding is ReportLab's own (``formatForPdf`` for CID fonts, the subsets of
    ``splitString`` for TrueType), so the text stays extractable.
    """

    def __init__(self, canvas: Any, font: str) -> None:
        self.canvas = canvas
        self.face = getFont(font)
        self.dynamic = bool(self.face._dynamicFont)
        self.doc = canvas._doc
        # Registers the font in the document's resources (and gives its /F name).
        self.internal = None if self.dynamic else self.doc.getInternalFontName(font)
        self.size = 0.0
        self.selected: str | None = None
        self.ops: list[str] = ["BT"]

    def set_size(self, size: float) -> None:
        if size != self.size:
            self.size = size
            self.selected = None

    def line(self, x: float, y: float, text: str) -> None:
        ops = self.ops
        ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm")
        if self.dynamic:
            for subset, chunk in self.face.splitString(text, self.doc):
                name = self.face.getSubsetInternalName(subset, self.doc)
                if name != self.selected:
                    ops.append(f"{name} {self.size:g} Tf")
                    self.selected = name
                ops.append(f"({self.canvas._escape(chunk)}) Tj")
        else:
            if self.selected is None:
                ops.append(f"{self.internal} {self.size:g} Tf")
                self.selected = self.internal
            ops.append(f"({self.face.formatForPdf(text)}) Tj")

    def finish(self) -> None:
        if len(self.ops) > 1:
            self.ops.append("ET")
            self.canvas.addLiteral("\n".join(self.ops))
        self.ops = ["BT"]


def rules(canvas: Any, xs: list[float], ys: list[float], *, color: Any, width: float) -> None:
    """The lines of a grid in one path (canvas.grid formats every point with fp_str)."""
    top, bottom, left, right = ys[0], ys[-1], xs[0], xs[-1]
    parts = [f"{color.red:.3f} {color.green:.3f} {color.blue:.3f} RG {width:.2f} w"]
    parts.extend(f"{x:.2f} {bottom:.2f} m {x:.2f} {top:.2f} l" for x in xs)
    parts.extend(f"{left:.2f} {y:.2f} m {right:.2f} {y:.2f} l" for y in ys)
    parts.append("S")
    canvas.addLiteral(" ".join(parts))


@dataclass(frozen=True)
class Style:
    size: float
    leading: float
    align: str = "LEFT"  # LEFT, CENTER or RIGHT
    first_indent: float = 0
    space_before: float = 0
    space_after: float = 0
    heading: bool = False  # keeps at least two lines of what follows on its page


@dataclass(frozen=True)
class Line:
    text: str
    style: Style
    gap: float  # space above the line
    indent: float  # of a paragraph's first line
    heading: bool

    @property
    def height(self) -> float:
        return self.gap + self.style.leading


def _lay_out(parts: list[tuple[str, Style]], width: float, font: str) -> list[Line]:
    lines: list[Line] = []
    pending_gap = 0.0
    for number, (value, style) in enumerate(parts):
        gap = pending_gap + (style.space_before if number else 0)
        for paragraph_text in (value or "").replace("\r\n", "\n").split("\n"):
            for index, line in enumerate(wrap_lines(paragraph_text, width, font, style.size, style.first_indent)):
                lines.append(Line(line, style, gap, style.first_indent if index == 0 else 0, style.heading))
                gap = 0.0
        pending_gap = style.space_after
    return lines


def _draw_lines(canvas: Any, lines: list[Line], width: float, top: float, font: str) -> None:
    writer = TextWriter(canvas, font)
    y = top
    for line in lines:
        y -= line.gap
        style = line.style
        size = style.size
        writer.set_size(size)
        baseline = y - (style.leading - size) / 2 - size * ASCENT
        if line.text:
            if style.align == "LEFT":
                x = line.indent
            else:
                spare = width - text_width(line.text, font, size)
                x = spare if style.align == "RIGHT" else spare / 2
            writer.line(x, baseline, line.text)
        y -= style.leading
    writer.finish()


class TextBlock(Flowable):
    """Parts of plain text, each in its own style, wrapped to the frame; splits between
    lines, never leaving a heading without two lines of what follows."""

    def __init__(
        self, parts: list[tuple[str, Style]], *, font: str, lines: list[Line] | None = None, width: float = 0
    ) -> None:
        super().__init__()
        self.parts = parts
        self.font = font
        self._lines = lines
        self._width = width
        self.spaceBefore = parts[0][1].space_before if parts else 0
        self.spaceAfter = parts[-1][1].space_after if parts else 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        if self._lines is None or self._width != avail_width:
            self._lines = _lay_out(self.parts, avail_width, self.font)
            self._width = avail_width
        self.width = avail_width
        self.height = sum(line.height for line in self._lines)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        lines = self._lines or []
        used = 0.0
        fit = 0
        while fit < len(lines) and used + lines[fit].height <= avail_height:
            used += lines[fit].height
            fit += 1
        if fit >= len(lines):
            return []
        fit = _keep_headings(lines, fit)
        if fit == 0:
            return []
        tail = lines[fit:]
        tail[0] = Line(tail[0].text, tail[0].style, 0.0, tail[0].indent, tail[0].heading)  # top of a page
        head = TextBlock(self.parts, font=self.font, lines=lines[:fit], width=avail_width)
        head.spaceAfter = 0
        rest = TextBlock(self.parts, font=self.font, lines=tail, width=avail_width)
        rest.spaceBefore = 0
        return [head, rest]

    def draw(self) -> None:
        _draw_lines(self.canv, self._lines or [], self.width, self.height, self.font)


def _keep_headings(lines: list[Line], fit: int) -> int:
    """Move a break back above a heading followed by fewer than two lines on the page."""
    index = fit - 1
    following = 0
    while index >= 0 and not lines[index].heading:
        following += 1
        index -= 1
    if index >= 0 and following < MIN_LINES_AFTER_HEADING and fit < len(lines):
        while index > 0 and lines[index - 1].heading:
            index -= 1
        return index
    return fit


class Grid(Flowable):
    """A ruled table of plain strings with fixed column widths, optionally under a caption
    (its heading): cells wrap, rows split across pages line by line, the header row repeats,
    label columns are shaded. The caption stays with the header and the first row."""

    def __init__(
        self,
        rows: list[list[str]],
        widths: list[float],
        *,
        font: str,
        size: float = 9.5,
        leading: float = 13,
        header: bool = True,
        aligns: tuple[str, ...] | None = None,
        shaded_columns: tuple[int, ...] = (),
        caption: tuple[str, Style] | None = None,
        padding: tuple[float, float, float] = (5, 3, 4),  # horizontal, top, bottom
        header_color: str = "#EEF2F7",
        shade_color: str = "#F5F7FA",
        rule_color: str = "#5B6572",
        rule_width: float = 0.5,
        wrapped: list[list[list[str]]] | None = None,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.widths = widths
        self.font, self.size, self.leading = font, size, leading
        self.header = header
        self.aligns = aligns or ("LEFT",) * len(widths)
        self.shaded_columns = shaded_columns
        self.caption = caption
        self.padding = padding
        self.colors = (header_color, shade_color, rule_color)
        self.rule_width = rule_width
        self._cells = wrapped  # per row, per column: the wrapped lines
        self._caption_lines: list[Line] = []
        if caption is not None:
            self.spaceBefore = caption[1].space_before

    def _clone(self, cells: list[list[list[str]]], *, caption: bool) -> Grid:
        return Grid(
            [],
            self.widths,
            font=self.font,
            size=self.size,
            leading=self.leading,
            header=self.header,
            aligns=self.aligns,
            shaded_columns=self.shaded_columns,
            caption=self.caption if caption else None,
            padding=self.padding,
            header_color=self.colors[0],
            shade_color=self.colors[1],
            rule_color=self.colors[2],
            rule_width=self.rule_width,
            wrapped=cells,
        )

    def _layout(self) -> list[list[list[str]]]:
        if self._cells is None:
            inner = [w - 2 * self.padding[0] for w in self.widths]
            self._cells = [
                [
                    wrap_lines("" if value is None else str(value), width, self.font, self.size)
                    for value, width in zip(row, inner, strict=True)
                ]
                for row in self.rows
            ]
        return self._cells

    def _row_height(self, cells: list[list[str]]) -> float:
        return max(len(lines) for lines in cells) * self.leading + self.padding[1] + self.padding[2]

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        cells = self._layout()
        if self.caption is not None and not self._caption_lines:
            self._caption_lines = _lay_out([self.caption], avail_width, self.font)
        self._caption_height = sum(line.height for line in self._caption_lines) + (
            self.caption[1].space_after if self.caption else 0
        )
        self._heights = [self._row_height(row) for row in cells]
        self.width = sum(self.widths)
        self.height = self._caption_height + sum(self._heights)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        cells = self._cells or []
        first = 1 if self.header else 0
        head_rows = cells[:first]
        used = self._caption_height + sum(self._heights[:first])
        index = first
        while index < len(cells) and used + self._heights[index] <= avail_height:
            used += self._heights[index]
            index += 1
        if index >= len(cells):
            return []
        # Part of the next row fits: split its cells line by line (two lines at least).
        spare_lines = int((avail_height - used - self.padding[1] - self.padding[2]) // self.leading)
        row = cells[index]
        tallest = max(len(lines) for lines in row)
        if spare_lines >= 2 and tallest - spare_lines >= 1:
            top = [lines[:spare_lines] for lines in row]
            rest = [lines[spare_lines:] or [""] for lines in row]
            return [
                self._clone([*cells[:index], top], caption=True),
                self._clone([*head_rows, rest, *cells[index + 1 :]], caption=False),
            ]
        if index == first:
            return []  # not even the caption, the header and one row: the frame moves on
        return [self._clone(cells[:index], caption=True), self._clone([*head_rows, *cells[index:]], caption=False)]

    def draw(self) -> None:
        canvas = self.canv
        cells = self._cells or []
        header_color, shade_color, rule_color = self.colors
        table_height = self.height - self._caption_height
        xs = [0.0]
        for w in self.widths:
            xs.append(xs[-1] + w)
        ys = [table_height]
        for h in self._heights:
            ys.append(ys[-1] - h)

        canvas.saveState()
        if self._caption_lines:
            _draw_lines(canvas, self._caption_lines, self.width, self.height, self.font)
        if self.header and cells:
            canvas.setFillColor(colors.HexColor(header_color))
            canvas.rect(0, ys[1], self.width, self._heights[0], stroke=0, fill=1)
        if self.shaded_columns:
            canvas.setFillColor(colors.HexColor(shade_color))
            for column in self.shaded_columns:
                canvas.rect(xs[column], 0, self.widths[column], table_height, stroke=0, fill=1)
        canvas.setFillColor(colors.black)

        writer = TextWriter(canvas, self.font)
        writer.set_size(self.size)
        pad_x, pad_top, pad_bottom = self.padding
        for r, row in enumerate(cells):
            inner_height = self._heights[r] - pad_top - pad_bottom
            header_row = self.header and r == 0
            for c, lines in enumerate(row):
                align = "LEFT" if header_row else self.aligns[c]
                # Vertically centred in the row.
                top = ys[r] - pad_top - (inner_height - len(lines) * self.leading) / 2
                y = top - (self.leading - self.size) / 2 - self.size * ASCENT
                for line in lines:
                    if line:
                        if align == "LEFT":
                            x = xs[c] + pad_x
                        else:
                            spare = self.widths[c] - 2 * pad_x - text_width(line, self.font, self.size)
                            x = xs[c] + pad_x + (spare if align == "RIGHT" else spare / 2)
                        writer.line(x, y, line)
                    y -= self.leading
        writer.finish()
        rules(canvas, xs, ys, color=colors.HexColor(rule_color), width=self.rule_width)
        canvas.restoreState()
