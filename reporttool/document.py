"""The intermediate document both renderers draw: headings with ordinals, paragraphs, tables."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timezone
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Optional, Union

Align = Literal["left", "center", "right"]


@dataclass
class Heading:
    level: int
    ordinal: str
    title: str
    id: str
    kind: str = "heading"

    @property
    def text(self) -> str:
        return self.ordinal + self.title


@dataclass
class Paragraph:
    text: str
    kind: str = "paragraph"


def display_width(text: str) -> int:
    """Columns a string takes in a terminal or a spreadsheet: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


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


@dataclass
class Column:
    title: str
    width_mm: float
    align: Align = "left"


TEXT_WIDTH_MM = 156  # A4 less the official-document margins (28 + 26 mm)
TABLE_PT = Decimal(12)  # 小四, the tables' type size
PT_MM = Decimal("0.3528")
CELL_MARGINS_MM = Decimal("3.6")  # 80 twips each side, and a little room


def text_mm(text: str, size_pt: Decimal) -> Decimal:
    """How wide a line of text prints: CJK characters a full em, the rest a little over half."""
    ems = sum(Decimal(1) if display_width(c) == 2 else Decimal("0.55") for c in text)
    return ems * size_pt * PT_MM + CELL_MARGINS_MM


def fit_width(columns: list[Column], rows: list[list[Cell]] = ()) -> list[Column]:
    """Columns that fit the text block without breaking a number.

    A column holding numbers is at least as wide as its widest number prints (bold a little wider);
    when the columns are wider than the page, only what each has beyond that gives way, in proportion.
    """
    need = [Decimal(0)] * len(columns)
    cells = [(i, c) for row in rows for i, c in enumerate(row) if not c.covered and c.colspan == 1]
    numeric = {i for i, c in cells if c.number is not None}
    two, four = text_mm("字字", TABLE_PT), text_mm("字字字字", TABLE_PT)
    for i, cell in cells:
        if cell.number is not None:
            need[i] = max(need[i], text_mm(cell.text, TABLE_PT) * (Decimal("1.08") if cell.bold else 1))
        elif i in numeric:  # a number column's title may wrap, two characters a line
            need[i] = max(need[i], two)
        else:  # a label: four characters a line before it wraps
            need[i] = max(need[i], min(text_mm(cell.text, TABLE_PT), four))
    widths = [max(Decimal(str(c.width_mm)), n) for c, n in zip(columns, need)]
    over = sum(widths) - TEXT_WIDTH_MM
    if over > 0:
        slack = [w - n for w, n in zip(widths, need)]
        scale = max(Decimal(0), 1 - over / sum(slack)) if sum(slack) else Decimal(1)
        widths = [n + s * scale for n, s in zip(need, slack)]
    return [Column(c.title, round(float(w), 1), c.align) for c, w in zip(columns, widths)]


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Cell]]
    header_rows: int = 1
    caption: Optional[str] = None
    unit: Optional[str] = None
    kind: str = "table"
    size: Optional[int] = None  # font size in half-points where the table is not in the body size (a form)

    def align_of(self, col: int, cell: Cell) -> Align:
        return cell.align or self.columns[col].align


@dataclass
class PageBreak:
    kind: str = "pagebreak"


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


Block = Union[Heading, Paragraph, Table, PageBreak, AnnexHeading, Signature]


@dataclass
class Document:
    kind: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    author: str = "reporttool"  # the file's properties: who signs it, when it was made (W3CDTF, UTC)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    page_numbers: str = "单双页分置"  # or 居中 (settings.page_numbers)

    def headings(self) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading)]

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


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
