"""The intermediate document both renderers draw: headings with ordinals, paragraphs, tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
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


@dataclass
class Cell:
    text: str = ""
    rowspan: int = 1
    colspan: int = 1
    covered: Optional[Literal["v", "h"]] = None  # part of a span that starts above / to the left
    bold: bool = False
    align: Optional[Align] = None


@dataclass
class Column:
    title: str
    width_mm: float
    align: Align = "left"


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Cell]]
    header_rows: int = 1
    caption: Optional[str] = None
    unit: Optional[str] = None
    kind: str = "table"

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


Block = Union[Heading, Paragraph, Table, PageBreak, AnnexHeading]


@dataclass
class Document:
    kind: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    signer: str = ""
    signed_on: Optional[date] = None

    def headings(self) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading)]


def header_row(titles: list[str]) -> list[Cell]:
    return [Cell(t, bold=True, align="center") for t in titles]


def merge_down(rows: list[list[Cell]], col: int) -> None:
    """Merge equal consecutive cells of a column (only within the spans of columns to its left)."""
    start = 0
    while start < len(rows):
        end = start + 1
        while (end < len(rows)
               and rows[end][col].text == rows[start][col].text
               and rows[start][col].text
               and all(rows[end][c].covered == "v" for c in range(col))):
            end += 1
        if end - start > 1:
            rows[start][col].rowspan = end - start
            for r in range(start + 1, end):
                rows[r][col].covered = "v"
        start = end
