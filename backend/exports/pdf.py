"""The PDF document every built-in export renders into: fpdf2 with an embedded CJK font, wrapping, paged tables.

Font: Noto Sans CJK TC Regular (Adobe/Google, SIL Open Font License 1.1), from the PyPI package
`cvttf-NotoSansCJK-Regular` (requirements.txt), so a fresh install renders Korean, Japanese and
Chinese without any system font. Every Noto Sans CJK regional font carries the full Hangul, Kana
and Han repertoire (the region only picks default glyph forms: the Traditional Chinese forms here);
fpdf2 embeds only the glyphs a document uses (a subset of a few tens of KB). Latin text uses the
same font, so one font covers a name like "김민준 / 田中太郎 / 王小明".

Tables: fpdf2's own `table()` re-lays out the whole table (minutes for 10,000 rows, measured), and
`cell()` costs ~50 us a cell; a row here is drawn with `text()` (~6 us) and lines, and a cell is
measured and wrapped (`wrap`: one pass, at spaces, or by character inside a long unbroken string)
only when its length could overflow its column.
Rows never split across pages; the header row repeats on every page. A single cell is capped at
MAX_CELL_LINES lines (the rest is cut with an ellipsis) so that no row is taller than a page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from fpdf import FPDF

FONT = "cjk"
MAX_CELL_LINES = 12
PAD = 1.2  # mm inside a cell


@cache
def font_path() -> str:
    """The CJK font file of the installed package."""
    import cvttf_NotoSansCJK_Regular

    return cvttf_NotoSansCJK_Regular.get_TTF_path()


def wrap(text: str, limit: float, widths) -> list[str]:
    """Greedy line breaking in one pass: at spaces where possible, else inside the word (by character).

    `limit` and `widths` (code point -> advance) are in font units (1/1000 em): fpdf2's own
    `multi_cell(dry_run=True)` re-measures the line for every character (quadratic, measured ~20 ms
    for a 150-character cell), which a 10,000-row table cannot afford.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_w = "", 0.0
        space = widths[32]
        for word in paragraph.split(" "):
            word_w = sum(widths[ord(c)] for c in word)
            gap = space if line else 0.0
            if line_w + gap + word_w <= limit:
                line, line_w = (line + " " + word if line else word), line_w + gap + word_w
                continue
            if line:
                lines.append(line)
                line, line_w = "", 0.0
            if word_w <= limit:
                line, line_w = word, word_w
                continue
            for ch in word:  # a word wider than the column: break it by character
                w = widths[ord(ch)]
                if line and line_w + w > limit:
                    lines.append(line)
                    line, line_w = "", 0.0
                line, line_w = line + ch, line_w + w
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Column:
    """A table column: its title, width in mm and alignment ("L" or "R")."""

    title: str
    width: float
    align: str = "L"


class Document(FPDF):
    """An A4 document with a title line on each page and 'page n of N' at the foot."""

    def __init__(self, title: str, subtitle: str = ""):
        """A document titled `title` (shown on every page)."""
        super().__init__(format="A4", unit="mm")
        self.doc_title, self.doc_subtitle = title, subtitle
        self.generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.add_font(FONT, "", font_path())
        self.set_font(FONT, size=9)
        self.set_margins(14, 16, 14)
        self.set_auto_page_break(True, margin=16)
        self.set_title(title)
        self.set_creator("SoftFactory platform API")
        self.add_page()

    def header(self) -> None:
        """Title and subtitle, then a rule."""
        self.set_font(FONT, size=13)
        self.cell(0, 7, self.doc_title, new_x="LMARGIN", new_y="NEXT")
        if self.doc_subtitle:
            self.set_font(FONT, size=9)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, self.doc_subtitle, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(4)
        self.set_font(FONT, size=9)

    def footer(self) -> None:
        """Page n of N and when the document was made."""
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"Generated {self.generated}", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        """A section heading."""
        self.ln(2)
        self.set_font(FONT, size=11)
        self.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=9)

    def paragraph(self, text: str) -> None:
        """Wrapped text (long unbroken strings are broken by character)."""
        self.multi_cell(0, 4.6, text, new_x="LMARGIN", new_y="NEXT")

    def facts(self, pairs: Iterable[tuple[str, str]], label_width: float = 45) -> None:
        """Label / value lines; values wrap."""
        for label, value in pairs:
            self.set_text_color(90, 90, 90)
            self.cell(label_width, 5.2, label)
            self.set_text_color(0, 0, 0)
            self.multi_cell(0, 5.2, value, new_x="LMARGIN", new_y="NEXT")

    def table(self, columns: Sequence[Column], rows: Iterable[Sequence[str]], size: float = 8) -> int:
        """Draw `rows` (strings) under `columns`, paging as needed; returns how many rows were drawn."""
        self.set_font(FONT, size=size)
        line_h = size * 0.3528 * 1.3  # points to mm, with leading
        em = size * 0.3528  # the widest glyph (a CJK ideograph) is one em
        fits = [max(1, int((c.width - 2 * PAD) / em)) for c in columns]  # lengths that always fit
        total_w = sum(c.width for c in columns)
        self._table_header(columns, line_h, total_w)
        drawn = 0
        for row in rows:
            cells = [self._lines(text, c.width - 2 * PAD, fit) for text, c, fit in zip(row, columns, fits, strict=True)]
            height = max(len(lines) for lines in cells) * line_h + 2 * PAD
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
                self.set_font(FONT, size=size)
                self._table_header(columns, line_h, total_w)
            self._table_row(columns, cells, line_h, height, total_w)
            drawn += 1
        self.ln(2)
        return drawn

    def _lines(self, text: str, width: float, fit: int) -> list[str]:
        if len(text) <= fit and "\n" not in text:
            return [text]
        lines = wrap(text, width / self.font_size * 1000, self.current_font.cw)
        if len(lines) > MAX_CELL_LINES:
            lines = [*lines[:MAX_CELL_LINES - 1], lines[MAX_CELL_LINES - 1][:-1] + "…"]
        return lines

    def _table_header(self, columns: Sequence[Column], line_h: float, total_w: float) -> None:
        y = self.get_y()
        height = line_h + 2 * PAD
        self.set_fill_color(232, 236, 242)
        self.rect(self.l_margin, y, total_w, height, style="DF")
        self.set_fill_color(255, 255, 255)
        x, baseline = self.l_margin, y + PAD + line_h * 0.78
        for column in columns:  # through fpdf2's text(): it also puts the font on a new page
            width = self._width(column.title)
            self.text(x + PAD if column.align == "L" else x + column.width - PAD - width, baseline, column.title)
            x += column.width
        self.set_y(y + height)

    def _table_row(self, columns: Sequence[Column], cells: list[list[str]], line_h: float, height: float,
                   total_w: float) -> None:
        y = self.get_y()
        self.line(self.l_margin, y + height, self.l_margin + total_w, y + height)
        self._row_text(columns, cells, line_h, y)
        self.set_y(y + height)

    def _width(self, text: str) -> float:
        """Width of `text` in the current font (mm), from the font's advance widths."""
        widths = self.current_font.cw
        return sum(widths[ord(c)] for c in text) * self.font_size / 1000

    def _row_text(self, columns: Sequence[Column], cells: list[list[str]], line_h: float, y: float) -> None:
        """A row's text as one content-stream write.

        fpdf2's text() costs ~100 us a call on a loaded box (it re-checks colours, fonts, quad
        points per call): 70,000 cells took ~8 s of a 10,000-row export. The same operators are
        written here directly: BT/Td/Tj/ET per line, the font's own `encode_text` (which also adds
        the glyphs to the embedded subset), black fill for the text (q/0 g/Q), the font having been
        put on the page by the header row's text() calls.
        """
        font, k, top = self.current_font, self.k, self.h
        ops = ["q 0 g"]
        x = self.l_margin
        baseline = y + PAD + line_h * 0.78
        for column, lines in zip(columns, cells, strict=True):
            for i, line in enumerate(lines):
                if line:
                    tx = x + PAD if column.align == "L" else x + column.width - PAD - self._width(line)
                    ty = (top - baseline - i * line_h) * k
                    ops.append(f"BT {tx * k:.2f} {ty:.2f} Td {font.encode_text(line)} ET")
            x += column.width
        ops.append("Q")
        self._out(" ".join(ops))
