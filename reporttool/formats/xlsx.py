"""Annex tables as a workbook: one sheet per annex, the docx's merges, numbers stored as numbers."""

from __future__ import annotations

import io
import math

from ..document import AnnexHeading, Document, Table, display_width
from ..env import clean_text
from . import OutputFormat

NUMBER_FORMATS = {"money": "#,##0.00", "pct": "0.00%", "points": "0.00", "weight": "General", "count": "0"}
FONT = "仿宋_GB2312"


def _excel_width(mm: float) -> float:
    # Excel widths count characters of the default font (about 1.9 mm each); CJK text needs room.
    return round(mm / 1.9 + 1.5, 1)


LINE_POINTS = 15


def _row_heights(table: Table) -> list[float]:
    """Row heights in points, from how many lines the widest text wraps to in its (merged) columns.

    Office suites do not grow rows for wrapped text in merged cells, so this is estimated here.
    """
    widths = [_excel_width(c.width_mm) for c in table.columns]
    lines = [1] * len(table.rows)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row):
            if cell.covered or not cell.text:
                continue
            room = max(1.0, sum(widths[c:c + cell.colspan]) - 1)
            need = sum(math.ceil(display_width(part) / room) or 1 for part in cell.text.split("\n"))
            # A tall cell spanning rows shares its height among them.
            lines[r] = max(lines[r], math.ceil(need / cell.rowspan))
    return [n * LINE_POINTS + 3 for n in lines]


def workbook(annexes: list[tuple[str, str, Table]]) -> bytes:
    """annexes: (label 附件N, title, table). Returns the .xlsx file."""
    from openpyxl import Workbook  # heavy import, only when a workbook is asked for
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="F2F2F2")
    # Style objects are shared, not built per cell: building them dominates large tables.
    fonts = {bold: Font(name=FONT, size=11, bold=bold) for bold in (False, True)}
    aligns = {h: Alignment(horizontal=h, vertical="center", wrap_text=True) for h in ("left", "center", "right")}
    for label, title, table in annexes:
        ws = wb.create_sheet(f"{label} {title}"[:31])
        ncols = len(table.columns)
        last = get_column_letter(ncols)
        ws["A1"] = label
        ws["A1"].font = Font(name="黑体", size=14)
        ws["A2"] = clean_text(title)
        ws["A2"].data_type = "s"
        ws["A2"].font = Font(name="方正小标宋简体", size=16)
        ws["A2"].alignment = Alignment(horizontal="center", vertical="center")
        ws.merge_cells(f"A2:{last}2")
        top = 3
        if table.unit:
            ws.cell(row=3, column=1, value=clean_text(table.unit)).alignment = Alignment(horizontal="right")
            ws.cell(row=3, column=1).font = Font(name=FONT, size=10)
            ws.merge_cells(f"A3:{last}3")
            top = 4
        for r, row in enumerate(table.rows):
            excel_row = top + r
            for c, cell in enumerate(row):
                target = ws.cell(row=excel_row, column=c + 1)
                target.border = border
                if cell.covered:
                    continue
                if cell.value is not None:
                    target.value = cell.value
                    target.number_format = NUMBER_FORMATS[cell.number]
                elif cell.text:
                    target.value = clean_text(cell.text)
                    target.data_type = "s"  # text stays text: "=1+1" or "=HYPERLINK(…)" is never a formula
                target.font = fonts[cell.bold]
                target.alignment = aligns[table.align_of(c, cell)]
                if r < table.header_rows:
                    target.fill = header_fill
                if cell.rowspan > 1 or cell.colspan > 1:
                    ws.merge_cells(start_row=excel_row, start_column=c + 1,
                                   end_row=excel_row + cell.rowspan - 1, end_column=c + cell.colspan)
        for r, height in enumerate(_row_heights(table)):
            ws.row_dimensions[top + r].height = height
        for c, column in enumerate(table.columns, 1):
            ws.column_dimensions[get_column_letter(c)].width = _excel_width(column.width_mm)
        end = top + len(table.rows) - 1
        if table.header_rows:
            ws.freeze_panes = ws.cell(row=top + table.header_rows, column=1)
            ws.print_title_rows = f"{top}:{top + table.header_rows - 1}"
        ws.print_area = f"A1:{last}{end}"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def annexes_of(doc: Document) -> list[tuple[str, str, Table]]:
    """(附件N, title, table) for each annex heading followed by its table."""
    blocks = doc.blocks
    return [(b.label, b.title, nxt) for b, nxt in zip(blocks, blocks[1:])
            if isinstance(b, AnnexHeading) and isinstance(nxt, Table)]


def render(_skin: None, doc: Document) -> bytes:
    return workbook(annexes_of(doc))


FORMAT = OutputFormat("xlsx", ".xlsx", "Excel", None, lambda templates: None, render, full_report=False)
