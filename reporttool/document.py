"""The intermediate document both renderers draw: headings with ordinals, paragraphs, tables."""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from functools import lru_cache
from datetime import datetime, timezone
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Literal, Optional, Union

Align = Literal["left", "center", "right"]


@dataclass
class Heading:
    level: int
    ordinal: str
    title: str
    id: str
    kind: str = "heading"
    seq: int = 0  # position among the document's headings (1, 2, …): what a table of contents points at

    @property
    def text(self) -> str:
        return self.ordinal + self.title


@dataclass
class Paragraph:
    text: str
    kind: str = "paragraph"


def _wide(c: str) -> bool:
    return unicodedata.east_asian_width(c) in "WF"


def display_width(text: str) -> int:
    """Columns a string takes in a terminal or a spreadsheet: CJK characters count double."""
    return sum(2 if _wide(c) else 1 for c in text)


_WORD = re.compile(r"[0-9A-Za-z.,%‰+\-−/:≥≤><=~]+")


NumberKind = Literal["money", "pct", "points", "weight", "count"]


@dataclass
class Cell:
    text: str = ""
    rowspan: int = 1
    colspan: int = 1
    covered: Optional[Literal["v", "h"]] = None  # part of a span that starts above / to the left
    bold: bool = False
    align: Optional[Align] = None
    value: Optional[Union[Decimal, int]] = None  # the unrounded number, for spreadsheets
    number: Optional[NumberKind] = None
    # What a spreadsheet may compute this figure from, as a clerk would: the cells a 小计/合计 adds up, or
    # (numerator, denominator) of a rate on its own row. Word and Markdown print the figure and ignore these.
    total_of: tuple["Cell", ...] = field(default=(), repr=False, compare=False)
    ratio_of: Optional[tuple["Cell", "Cell"]] = field(default=None, repr=False, compare=False)


@dataclass
class Column:
    title: str
    width_mm: float = 0.0  # set by Table from the content (fit), or given for a form laid out by its own grid
    align: Align = "left"


TEXT_WIDTH_MM = Decimal(156)  # A4 portrait less the official-document margins (28 + 26 mm)
LANDSCAPE_WIDTH_MM = Decimal(225)  # A4 landscape, the same margins turned (37 + 35 mm)
TABLE_PT = Decimal(12)  # 小四, the body tables' type size
WIDE_TABLE_SIZES = (Decimal("10.5"), Decimal(10), Decimal("9.5"), Decimal(9))  # 五号 … 小五, for landscape tables
LANDSCAPE_HEIGHT_MM = Decimal(156)
PT_MM = Decimal("0.3528")
CELL_MARGINS_MM = Decimal("3.6")  # 80 twips each side, and a little room
LABEL_CHARS = 6  # a label this long stays on one line (一级/二级指标 names)
TEXT_CHARS = 8  # a long text column is given at least this many characters a line, else the table turns landscape


@lru_cache(maxsize=8192)
def ems(text: str) -> float:
    """How many ems a line of text takes: CJK characters a full em, the rest a little over half."""
    return sum(1.0 if _wide(c) else 0.55 for c in text)


@lru_cache(maxsize=8192)  # the same labels and figures recur in every table and every report
def text_mm(text: str, size_pt: Decimal) -> Decimal:
    """How wide a line of text prints in a cell, its margins included."""
    return Decimal(repr(ems(text))) * size_pt * PT_MM + CELL_MARGINS_MM


@dataclass
class Need:
    """What one column needs, in mm: ``hard`` it never goes below (a number), ``soft`` a short label whole, ``want`` unwrapped."""
    hard: Decimal = Decimal(0)
    soft: Decimal = Decimal(0)
    want: Decimal = Decimal(0)

    def widen(self, other: "Need") -> None:
        self.hard, self.soft, self.want = max(self.hard, other.hard), max(self.soft, other.soft), max(self.want, other.want)


def cell_need(text: str, number: bool, size: Decimal, in_number_column: bool = False, whole: int = LABEL_CHARS) -> Need:
    """A number is never broken; a label up to ``whole`` characters stays whole; longer text wraps."""
    return Need(*_need(text, number, size, in_number_column, whole))


@lru_cache(maxsize=16384)  # a table is measured at each type size tried, and labels recur across reports
def _need(text: str, number: bool, size: Decimal, in_number_column: bool, whole: int) -> tuple[Decimal, Decimal, Decimal]:
    want = max((text_mm(line, size) for line in text.split("\n")), default=Decimal(0)) if text else Decimal(0)
    if number:
        return want, want, want
    whole_mm = text_mm("字" * (2 if in_number_column else whole), size)
    # a figure or a word inside text never breaks either (173件, ≥95%, 2025年)
    unbroken = max((text_mm(w, size) for w in _WORD.findall(text)), default=Decimal(0))
    return unbroken, min(want, whole_mm), want


def allot(needs: list[Need], total: Decimal, narrowest: Decimal, shape: "Shape | None" = None) -> list[Decimal]:
    """Widths for columns that share ``total`` mm.

    Every column first gets its soft need (numbers and short labels whole); what is left goes to the columns
    whose text would still wrap (where the table's shape is given, step by step to the column that saves
    the most lines), else in proportion to how much more they want; a table whose text all fits
    spreads the rest evenly by width. When even the soft needs do not fit, only what labels have beyond
    their hard need gives way, never below one character.
    """
    base = [max(n.hard, n.soft, narrowest) for n in needs]
    extra = total - sum(base)
    if extra < 0 and shape is not None:  # not even the labels fit whole: from the numbers up, fewest lines first
        floor = [max(n.hard, narrowest) for n in needs]
        widths, left, short = _fewest_lines(shape, floor, total - sum(floor), needs)
        return [w + left * w / sum(widths) for w in widths]
    if extra < 0:
        floor = [max(n.hard, narrowest) for n in needs]
        give = [b - f for b, f in zip(base, floor)]
        scale = max(Decimal(0), 1 - (-extra) / sum(give)) if sum(give) else Decimal(1)
        return [f + g * scale for f, g in zip(floor, give)]
    short = [max(n.want - b, Decimal(0)) for n, b in zip(needs, base)]
    if sum(short) > extra and shape is not None:  # widen, a step at a time, the column that saves the most lines
        base, extra, short = _fewest_lines(shape, base, extra, needs)
    if sum(short) >= extra:
        return [b + extra * s / sum(short) for b, s in zip(base, short)]
    widths = [b + s for b, s in zip(base, short)]
    left = total - sum(widths)
    return [w + left * w / sum(widths) for w in widths]


MOVES_PER_COLUMN = 40  # enough to settle a table; each move costs a pass over the cells of every column


def _greedy(shape: "Shape", widths: list, total: float) -> tuple[list, float, float]:
    widths = list(widths)
    left = total - sum(widths)
    lines = shape.cell_lines(widths)
    cost = shape.cost(lines)
    # a column's widenings change only when it or a column sharing a cell with it widened
    steps = [shape.widenings(widths, j) for j in range(len(widths))]
    for _ in range(MOVES_PER_COLUMN * len(widths)):
        if left <= 1e-6:
            break
        best = None
        for j in range(len(widths)):
            for grow in [step for step, exact in steps[j] if exact <= left][:3]:  # the three smallest that fit
                before = widths[j]
                widths[j] = before + grow
                gain = (cost - shape.cost(shape.widened(widths, lines, j))) / grow
                widths[j] = before  # restored exactly (adding and taking away a float may not)
                if gain > 1e-9 and (best is None or gain > best[0]):
                    best = (gain, j, grow)
        if best is None:
            break
        _, j, grow = best
        widths[j] += grow
        left -= grow
        lines = shape.widened(widths, lines, j)
        cost = shape.cost(lines)
        for k in shape.linked[j] if j < len(shape.linked) else (j,):
            steps[k] = shape.widenings(widths, k)
    return widths, left, cost


def _fewest_lines(shape: "Shape", base: list[Decimal], extra: Decimal, needs: list[Need]):
    """Hand out ``extra`` mm where it saves the most lines per mm: each move widens one column just enough
    for one of its cells to lose a line. Two starts (as given, and every row held to the fewest lines the
    width allows); the better result is kept."""
    floor = [float(b) for b in base]
    total = float(sum(base) + extra)
    even = shape.even_lines(floor, total)
    starts = (floor, even) if shape.thorough else (even,)
    widths, left, cost = min((_greedy(shape, start, total) for start in starts), key=lambda found: found[2])
    out = [Decimal(str(w)) for w in widths]
    return out, Decimal(str(max(left, 0))), [max(n.want - w, Decimal(0)) for n, w in zip(needs, out)]


def column_needs(rows: list[list[Cell]], count: int, size: Decimal, header_rows: int = 1) -> list[Need]:
    """Each column's need from the cells that sit in it alone (a cell spanning columns gives way to them);
    column titles may wrap, two characters a line."""
    return needs_at(need_keys(rows, header_rows), count, size)


BOLD_FIGURES = Decimal("1.08")  # bold figures print a little wider


def need_keys(rows: list[list[Cell]], header_rows: int = 1) -> list[tuple[int, str, bool, bool, bool]]:
    """What each column's need is measured from, the same at every type size: (column, text, a number,
    in a number column or the header, bold figure)."""
    cells = [(r, i, c) for r, row in enumerate(rows) for i, c in enumerate(row) if not c.covered and c.colspan == 1]
    numeric = {i for _r, i, c in cells if c.number is not None}
    return [(i, cell.text, cell.number is not None, i in numeric or r < header_rows, cell.bold and cell.number is not None)
            for r, i, cell in cells]


def needs_at(keys: list[tuple[int, str, bool, bool, bool]], count: int, size: Decimal) -> list[Need]:
    hard, soft, want = [Decimal(0)] * count, [Decimal(0)] * count, [Decimal(0)] * count
    for i, text, number, narrow, bold in keys:
        h, s, w = _need(text, number, size, narrow, LABEL_CHARS)
        if bold:
            h, s, w = h * BOLD_FIGURES, s * BOLD_FIGURES, w * BOLD_FIGURES
        if h > hard[i]:
            hard[i] = h
        if s > soft[i]:
            soft[i] = s
        if w > want[i]:
            want[i] = w
    return [Need(*n) for n in zip(hard, soft, want)]


TEXT_HEIGHT_MM = Decimal(225)  # A4 portrait less the top and bottom margins (37 + 35 mm)
LINE_PITCH = Decimal("1.15")  # a table line's height over its type size, where a table sets its own size
ROW_PADDING_MM = Decimal("0.3")  # borders per row
WRAP_MARGINS_MM = Decimal("2.9")  # what a cell's margins take from a wrapping line (measured on LibreOffice's pages)


@lru_cache(maxsize=65536)  # each type size asks again for the same cells
def _fewest_chars(ems: tuple[float, ...], lines: int) -> int:
    """The fewest characters a line at which text of these lines' ems fits in ``lines`` lines."""
    low, high = 1, max(1, math.ceil(max(ems)))
    while low < high:
        mid = (low + high) // 2
        if sum(math.ceil(e / mid - 1e-9) for e in ems) <= lines:
            high = mid
        else:
            low = mid + 1
    return low


class Grid:
    """A table's cells as their text measures, the same at every type size: where each sits and spans, each line's
    ems, the cells over each column, and each cell's lines at a number of characters a line (remembered)."""

    def __init__(self, rows: list[list[Cell]]):
        self.rows = len(rows)
        self.cells = [(r, c, cell.colspan, cell.rowspan, tuple(map(ems, cell.text.split("\n"))))
                      for r, row in enumerate(rows) for c, cell in enumerate(row) if not cell.covered and cell.text]
        width = max((c + span for _r, c, span, _rs, _e in self.cells), default=0)
        self.touching: list[list[int]] = [[] for _ in range(width)]
        for i, (_r, c, span, _rs, _e) in enumerate(self.cells):
            for j in range(c, c + span):
                self.touching[j].append(i)
        self.rowspans = [(r, rowspan) for r, _c, _s, rowspan, _e in self.cells]
        self.linked = [sorted({k for i in cells for k in range(self.cells[i][1], self.cells[i][1] + self.cells[i][2])} | {j})
                       for j, cells in enumerate(self.touching)]
        # the cells over each column, grouped by the columns they span (each group shares its line length)
        self.groups: list[list[tuple[int, int, list[int]]]] = []
        for cells in self.touching:
            spans: dict[tuple[int, int], list[int]] = {}
            for i in cells:
                spans.setdefault((self.cells[i][1], self.cells[i][2]), []).append(i)
            self.groups.append([(c, span, members) for (c, span), members in spans.items()])
        # for the fewest even lines: the cells alone in a column, where a one-line cell counts only if it is the
        # longest one-line cell of its column and height (fewer characters a line never fit a longer line)
        longest: dict[tuple[int, int], float] = {}
        self.alone: list[tuple[int, int, tuple[float, ...]]] = []
        for _r, c, span, rowspan, line_ems in self.cells:
            if span != 1:
                continue
            if len(line_ems) == 1:
                longest[(c, rowspan)] = max(longest.get((c, rowspan), 0.0), line_ems[0])
            else:
                self.alone.append((c, rowspan, line_ems))
        self.alone += [(c, rowspan, (e,)) for (c, rowspan), e in longest.items()]
        self.most = max((sum(math.ceil(e - 1e-9) for e in line_ems) for _c, _rs, line_ems in self.alone), default=1)
        self.known: dict[tuple[int, float], int] = {}  # (cell, characters a line) -> its lines


class Shape:
    """A table's cells as their text measures, to tell how many lines each row takes at given widths (fast: floats)."""

    def __init__(self, rows: list[list[Cell]], size: Decimal, thorough: bool = False, grid: Grid | None = None):
        # thorough: also widen from the narrowest widths (a form's rows differ too much for one start)
        grid = grid or Grid(rows)
        self.size, self.rows, self.thorough = size, grid.rows, thorough
        self.em, self.margins = float(size * PT_MM), float(WRAP_MARGINS_MM)
        self.cells, self.touching, self.rowspans = grid.cells, grid.touching, grid.rowspans
        self.linked, self.groups, self.grid = grid.linked, grid.groups, grid
        self._known = grid.known  # lines at a number of characters a line: the same at every size
        self._steps: dict[tuple[int, float], list] = {}  # (cell, its width) -> where it loses a line

    # The layout search calls these a few hundred thousand times a report: plain loops, no generator or max().
    def _lines(self, i: int, widths: list) -> int:
        _r, c, span, _rs, _e = self.cells[i]
        return self._lines_at(i, self.per_line(widths, c, span))

    def _lines_at(self, i: int, per_line: float) -> int:
        """Cell ``i``'s lines at ``per_line`` characters a line (remembered: the search asks again and again)."""
        known = self._known.get((i, per_line))
        if known is None:
            known = 0
            for e in self.cells[i][4]:
                n = math.ceil(e / per_line - 1e-9)
                known += n if n > 1 else 1
            self._known[(i, per_line)] = known
        return known

    def per_line(self, widths: list, c: int, span: int) -> float:
        """Characters a line holds: whole characters only, a CJK character never squeezes into what is left."""
        width = float(widths[c] if span == 1 else sum(widths[c:c + span]))
        n = math.floor((width - self.margins) / self.em + 0.05)
        return n if n > 1 else 1.0

    def cell_lines(self, widths: list) -> list[int]:
        return [self._lines(i, widths) for i in range(len(self.cells))]

    def lines(self, widths: list, cell_lines: list[int] | None = None) -> list[int]:
        """Lines per row: each row as tall as its most wrapped cell, a merged cell's lines shared over its rows."""
        out = [1] * self.rows
        for (r, rowspan), need in zip(self.rowspans, cell_lines or self.cell_lines(widths)):
            if rowspan == 1:
                if need > out[r]:
                    out[r] = need
            else:
                last = r + rowspan - 1
                have = sum(out[r:last + 1])
                if need > have:
                    out[last] += need - have
        return out

    def height_mm(self, widths: list) -> Decimal:
        pitch = self.size * LINE_PITCH * PT_MM
        return sum(n * pitch + ROW_PADDING_MM for n in self.lines(widths))

    def cost(self, cell_lines: list[int]) -> float:
        """Rows' lines, and a little of every cell's lines so that equal text columns widen together."""
        return sum(self.lines([], cell_lines)) + 0.01 * sum(cell_lines)

    def widened(self, widths: list, cell_lines: list[int], col: int) -> list[int]:
        """The cells' lines once column ``col`` has its new width (only the cells over it change)."""
        out = list(cell_lines)
        for c, span, members in self.groups[col] if col < len(self.groups) else ():
            per_line = self.per_line(widths, c, span)  # once for the cells that share it
            for i in members:
                out[i] = self._lines_at(i, per_line)
        return out

    def even_lines(self, floor: list, total: float) -> list:
        """The narrowest widths (from ``floor``) at which no cell takes more than L lines a row, for the fewest
        L the total width allows; ``floor`` itself when no L fits."""
        alone, most, em, margins = self.grid.alone, self.grid.most, self.em, self.margins

        def at(lines: int) -> list:
            widths = list(floor)
            for c, rowspan, line_ems in alone:
                if c < len(widths):
                    need = _fewest_chars(line_ems, lines * rowspan) * em + margins + 0.05
                    if need > widths[c]:
                        widths[c] = need
            return widths

        # more lines never need more width, so the fewest that fit are found by halving (a long text has hundreds)
        if sum(at(most)) > total:
            return list(floor)
        low, high = 1, most
        while low < high:
            mid = (low + high) // 2
            if sum(at(mid)) <= total:
                high = mid
            else:
                low = mid + 1
        return at(low)

    def widenings(self, widths: list, col: int) -> list[tuple[float, float]]:
        """The widenings of column ``col`` that take a line off one of its cells, smallest first:
        (the widening to 0.01 mm, the least exact widening that rounds to it)."""
        found: dict[float, float] = {}
        for c, span, members in self.groups[col] if col < len(self.groups) else ():
            width = float(sum(widths[c:c + span]))
            per_line = self.per_line(widths, c, span)
            for i in members:
                steps = self._steps.get((i, width))
                if steps is None:
                    steps = self._steps[(i, width)] = []
                    for e in self.cells[i][4]:
                        lines = math.ceil(e / per_line - 1e-9)
                        if lines > 1:
                            grow = math.ceil(e / (lines - 1) - 1e-9) * self.em + self.margins - width + 0.05
                            if grow > 0:
                                steps.append(grow)
                for grow in steps:
                    step = round(grow, 2)
                    found[step] = min(grow, found.get(step, grow))
        return sorted(found.items())


def height_mm(rows: list[list[Cell]], widths: list[float], size: Decimal) -> Decimal:
    """How tall the rows print at this size."""
    return Shape(rows, size).height_mm(widths)


def _too_tight(needs: list[Need], widths: list[Decimal], size: Decimal) -> bool:
    """Whether a long text column would get fewer than TEXT_CHARS characters a line."""
    least = text_mm("字" * TEXT_CHARS, size)
    return any(w < least < n.want for n, w in zip(needs, widths))


FIT_CACHE = 512  # tables whose layout is kept: a report re-rendered lays its tables out once (0: none kept)
_FITTED: dict = {}


def cells_key(rows: list[list[Cell]]) -> tuple:
    """What a table's layout depends on: each cell's text, kind and span."""
    return tuple((c.text, c.number is not None, c.bold, c.colspan, c.rowspan, c.covered) for row in rows for c in row)


def laid_out_once(key: tuple, compute: Callable[[], Any]) -> Any:
    """A layout computed once for the same content (the oldest forgotten past FIT_CACHE)."""
    if not FIT_CACHE:
        return compute()
    found = _FITTED.get(key)
    if found is None:
        found = _FITTED[key] = compute()
        if len(_FITTED) > FIT_CACHE:
            del _FITTED[next(iter(_FITTED))]
    return found


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Cell]]
    header_rows: int = 1
    caption: Optional[str] = None
    unit: Optional[str] = None
    kind: str = "table"
    size: Optional[int] = None  # font size in half-points where the table is not in the body size
    landscape: bool = False  # too wide for a portrait page: its own landscape section
    laid_out: bool = False  # widths given (a form laid out by its own grid), not fitted here

    def __post_init__(self) -> None:
        if not self.laid_out:
            self.fit()

    def fit(self) -> None:
        """Widths from the content (the same content is laid out once: a re-render reuses it)."""
        key = (self.header_rows, len(self.columns), cells_key(self.rows))
        self.landscape, self.size, widths = laid_out_once(key, self._fit)
        self.columns = [Column(c.title, w, c.align) for c, w in zip(self.columns, widths)]

    def _fit(self) -> tuple[bool, Optional[int], list[float]]:
        """Portrait in the body size when it fits, else landscape, 五号 down to 小五."""
        landscape, size_hp = False, self.size
        count = len(self.columns)
        narrowest = text_mm("字", TABLE_PT)
        grid, keys = Grid(self.rows), need_keys(self.rows, self.header_rows)  # the same at every size tried
        needs = needs_at(keys, count, TABLE_PT)
        shape = Shape(self.rows, TABLE_PT, grid=grid)
        fits = sum(max(n.hard, n.soft, narrowest) for n in needs) <= TEXT_WIDTH_MM
        widths = allot(needs, TEXT_WIDTH_MM, narrowest, shape) if fits else []  # else landscape, whatever they are
        if not fits or _too_tight(needs, widths, TABLE_PT):
            # landscape when the portrait page cannot hold it, or when turning it saves paper
            def turned(size: Decimal) -> tuple[list[Decimal], int]:
                shape = Shape(self.rows, size, grid=grid)
                wide = allot(needs_at(keys, count, size), LANDSCAPE_WIDTH_MM, text_mm("字", size), shape)
                return wide, math.ceil(shape.height_mm(wide) / LANDSCAPE_HEIGHT_MM)

            # the largest size that takes no more pages than the smallest
            *larger, size = WIDE_TABLE_SIZES
            wide, pages = turned(size)
            for bigger in larger:
                option = turned(bigger)
                if option[1] <= pages:
                    size, (wide, pages) = bigger, option
                    break
            if not fits or pages < math.ceil(shape.height_mm(widths) / TEXT_HEIGHT_MM):
                landscape, size_hp, widths = True, int(size * 2), wide
        return landscape, size_hp, [round(float(w), 1) for w in widths]

    @property
    def width_mm(self) -> Decimal:
        return LANDSCAPE_WIDTH_MM if self.landscape else TEXT_WIDTH_MM

    def align_of(self, col: int, cell: Cell) -> Align:
        return cell.align or self.columns[col].align


@dataclass
class PageBreak:
    kind: str = "pagebreak"


@dataclass
class SectionBreak:
    """A new page turned the other way: the pages before it were landscape or not."""
    landscape_before: bool = False
    kind: str = "section"


@dataclass
class AnnexHeading:
    label: str  # 附件1
    title: str
    kind: str = "annex"


@dataclass
class Signature:
    signer: str
    signed_on: Optional[str] = None  # as the report writes it: 2025年3月31日, or a month
    kind: str = "signature"


TOC_TITLE = "目　录"
TOC_LEVELS = 2  # 一、 and （一）


@dataclass
class TocEntry:
    level: int
    text: str            # the heading as printed: 一、部门基本情况
    seq: int             # the heading's seq
    page: Optional[int] = None  # known once the pages are laid out (a PDF made in the same run)


@dataclass
class Toc:
    """目录: the level 1–2 headings after the title; page numbers where a layout gave them."""
    title: str
    entries: list[TocEntry]
    # For the office suite's own layout: page numbers as fields it computes while laying out the pages
    # (a Word TOC field keeps the numbers it was saved with, in LibreOffice as in WPS).
    live_pages: bool = False
    kind: str = "toc"


Block = Union[Heading, Paragraph, Table, PageBreak, SectionBreak, AnnexHeading, Signature, Toc]


TITLE_CHARS = 20  # characters a line of the title holds: 二号 (22 pt) across the 156 mm text block
_TITLE_BREAKS = re.compile(r"(?<![\d—–\-])(?=(?:19|20)\d\d(?:年|—|-))|(?=关于)|(?<=关于)|(?=(?:部门整体支出|项目支出|项目重点|重点绩效|绩效自评|绩效评价))")


def title_lines(title: str) -> tuple[str, ...]:
    """A long title in lines broken where the words part: the user's own breaks (a new line in ``title``),
    else before the year (unit name / year and kind), after 关于 or before what kind of report it is; a title
    too long for two lines takes the latest such break each line allows, else TITLE_CHARS characters,
    never inside a number."""
    given = tuple(line.strip() for line in title.split("\n") if line.strip())
    if len(given) > 1 or ems(title) <= TITLE_CHARS:
        return given or (title,)
    cuts = [m.start() for m in _TITLE_BREAKS.finditer(title) if 0 < m.start() < len(title)]
    fitting = [c for c in cuts if max(ems(title[:c]), ems(title[c:])) <= TITLE_CHARS]
    if fitting:  # the year break first, else the most even
        years = [c for c in fitting if title[c:c + 2] in ("19", "20")]
        cut = years[0] if years else min(fitting, key=lambda c: abs(ems(title[:c]) - ems(title[c:])))
        return title[:cut], title[cut:]
    lines, start = [], 0
    while ems(title[start:]) > TITLE_CHARS:
        room = [c for c in cuts if start < c and ems(title[start:c]) <= TITLE_CHARS]
        cut = room[-1] if room else start + TITLE_CHARS
        while not room and cut > start + 1 and title[cut - 1].isdigit() and title[cut].isdigit():
            cut -= 1
        lines.append(title[start:cut])
        start = cut
    return tuple(lines + [title[start:]])


@dataclass
class Document:
    kind: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    author: str = "reporttool"  # the file's properties: who signs it, when it was made (W3CDTF, UTC)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    page_numbers: str = "单双页分置"  # or 居中 (settings.page_numbers)
    starts_landscape: bool = False  # annex tables alone, the first of them landscape

    def __post_init__(self) -> None:
        from .text import clean_text  # broken as it prints: a character that never prints takes no width

        self.title_lines = title_lines(clean_text(self.title)) if self.title else ()
        self.title = "".join(self.title_lines)  # one line where a line is all there is (Markdown, properties)

    @property
    def title_text(self) -> str:
        """The title as the printed page breaks it."""
        return "\n".join(self.title_lines)

    @property
    def ends_landscape(self) -> bool:
        """Whether the last pages are landscape (the document's closing page setup says so)."""
        breaks = [b for b in self.blocks if isinstance(b, SectionBreak)]
        return not breaks[-1].landscape_before if breaks else self.starts_landscape

    def headings(self) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading)]

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def toc(self) -> Optional[Toc]:
        return next((b for b in self.blocks if isinstance(b, Toc)), None)

    @property
    def update_fields(self) -> bool:
        """Whether Word should fill in the table of contents on opening: it has no page numbers yet."""
        toc = self.toc()
        return toc is not None and not toc.live_pages and any(e.page is None for e in toc.entries)

    def with_toc_pages(self, pages: dict[int, int]) -> "Document":
        """This document with the page of each heading (by seq) in its table of contents."""
        blocks = [dataclasses.replace(b, entries=[dataclasses.replace(e, page=pages.get(e.seq)) for e in b.entries])
                  if isinstance(b, Toc) else b for b in self.blocks]
        return dataclasses.replace(self, blocks=blocks)

    def for_layout(self) -> "Document":
        """This document as the office suite should lay it out: its table of contents numbered by that layout."""
        return dataclasses.replace(self, blocks=[dataclasses.replace(b, live_pages=True) if isinstance(b, Toc) else b
                                                 for b in self.blocks])


def add_toc(doc: Document) -> None:
    """Number the headings and put a table of contents of levels 1–2 after the title, then a new page."""
    headings = doc.headings()
    for n, heading in enumerate(headings, 1):
        heading.seq = n
    entries = [TocEntry(h.level, h.text, h.seq) for h in headings if h.level <= TOC_LEVELS]
    if entries:
        doc.blocks[0:0] = [Toc(TOC_TITLE, entries), PageBreak()]


def header_row(titles: list[str]) -> list[Cell]:
    return [Cell(t, bold=True, align="center") for t in titles]


def span(rows: list[list[Cell]], col: int, start: int, count: int, colspan: int = 1) -> None:
    """Merge ``count`` rows of a column downwards from ``start`` (the spans are computed, never guessed)."""
    if count > 1:
        rows[start][col].rowspan = count
        for r in range(start + 1, start + count):
            rows[r][col] = Cell(covered="v", colspan=colspan)


def wide(text: str, colspan: int, **kw) -> list[Cell]:
    """A cell spanning ``colspan`` columns, followed by the cells it covers."""
    return [Cell(text, colspan=colspan, **kw)] + [Cell(covered="h") for _ in range(colspan - 1)]
