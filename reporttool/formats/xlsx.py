"""Annex tables as a workbook: one sheet per annex, the docx's merges, numbers stored as numbers."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from decimal import Decimal

from ..document import AnnexHeading, Cell, Document, Shape, Table
from ..text import clean_text
from . import OutputFormat

NUMBER_FORMATS = {"money": "#,##0.00", "pct": "0.00%", "points": "0.00", "weight": "General", "count": "0"}
FONT, SIZE = "仿宋_GB2312", 11  # the cells
LABEL_FONT, LABEL_SIZE = "黑体", 14  # 附件N
TITLE_FONT, TITLE_SIZE = "方正小标宋简体", 16
UNIT_SIZE = 10

PT_PER_MM = 72 / 25.4
# Excel measures a column in digits of the workbook's default font (Calibri 11 in openpyxl's, as in
# Excel's: 7 of 96 pixels an inch), its padding included; LibreOffice reads it the same way.
DIGIT_PT = 7 * 72 / 96
LINE_EM = 1.4  # CJK faces (仿宋, Noto CJK) set their lines about 1.4 em apart


def _excel_width(mm: float) -> float:
    return round(mm * PT_PER_MM / DIGIT_PT, 2)


def _height(lines: int, size: float) -> float:
    return round(lines * size * LINE_EM + 4, 1)


def _size(table: Table) -> float:
    """The cells' type size: a table Word sets smaller (the form, a landscape table) keeps that size."""
    return min(SIZE, table.size / 2) if table.size else SIZE


def _row_heights(table: Table) -> list[float]:
    """Row heights in points, from how many lines each row's text wraps to in its (merged) columns — the
    estimate Word's layout uses (document.Shape), at the workbook's size.

    Office suites do not grow rows for wrapped text in merged cells, so this is estimated here.
    """
    size = _size(table)
    lines = Shape(table.rows, Decimal(str(size))).lines([c.width_mm for c in table.columns])
    return [_height(n, size) for n in lines]


def _title_lines(title: str, width_mm: float) -> int:
    return Shape([[Cell(title)]], Decimal(TITLE_SIZE)).lines([width_mm])[0]


MAX_FORMULA = 8192  # characters Excel allows in a formula
MAX_ARGUMENTS = 255  # arguments Excel allows in one function call


def _sum(refs: list[str]) -> str:
    """SUM over the references, nested where there are more than one call takes."""
    while len(refs) > MAX_ARGUMENTS:
        refs = [f"SUM({','.join(refs[i:i + MAX_ARGUMENTS])})" for i in range(0, len(refs), MAX_ARGUMENTS)]
    return f"SUM({','.join(refs)})"


def _number(value: Decimal | int) -> str:
    return str(value) if isinstance(value, int) else format(value, "f")


def _ranges(places: list[tuple[int, int]], top: int) -> list[str]:
    """References to the cells at (row, column), consecutive rows of a column as one range: D5:D9, D12."""
    from openpyxl.utils import get_column_letter

    refs = []
    for col in sorted({c for _, c in places}):
        letter = get_column_letter(col + 1)
        rows = sorted({r for r, c in places if c == col})
        start = rows[0]
        for prev, row in zip(rows, rows[1:] + [None]):
            if row != prev + 1:
                refs.append(f"{letter}{top + start}" + (f":{letter}{top + prev}" if prev > start else ""))
                start = row
    return refs


def _formulas(table: Table, top: int) -> dict[tuple[int, int], tuple[str, str]]:
    """(row, column) -> (formula, its value) for each total and rate a clerk's edits should move.

    Only where the formula gives exactly the figure the report prints (SUM skips a "—"); otherwise the
    cell keeps the plain figure.
    """
    where: dict[int, tuple[int, int] | None] = {}
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row):
            if not cell.covered:
                where[id(cell)] = None if id(cell) in where else (r, c)  # a cell object used twice has no one place
    out: dict[tuple[int, int], tuple[str, str]] = {}
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row):
            if cell.covered or cell.value is None:
                continue
            formula = None
            if cell.total_of:
                places = [where.get(id(p)) for p in cell.total_of]
                values = [p.value for p in cell.total_of if p.value is not None]
                if None not in places and (r, c) not in places and values and sum(values) == cell.value:
                    formula = _sum(_ranges(places, top))
            elif cell.ratio_of:
                num, den = cell.ratio_of
                places = [where.get(id(num)), where.get(id(den))]
                if None not in places and num.value is not None and den.value \
                        and Decimal(num.value) / Decimal(den.value) == cell.value:
                    formula = "/".join(_ranges([place], top)[0] for place in places)
            if formula and len(formula) < MAX_FORMULA:
                out[(r, c)] = (formula, _number(cell.value))
    return out


_FORMULA_CELL = re.compile(rb'(<c r="([A-Z]+[0-9]+)"[^>]*><f>[^<]*</f>)<v\s*(?:/>|></v>)')


def _with_values(data: bytes, values: dict[str, dict[str, str]]) -> bytes:
    """openpyxl writes a formula or a value: put each formula's value beside it (<c><f>…</f><v>…</v></c>).

    A viewer that does not recalculate (a phone, a previewer, pandas) then still sees the figures.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            cells = values.get(info.filename)
            if cells:
                body = _FORMULA_CELL.sub(
                    lambda m: m.group(1) + b"<v>" + cells[m.group(2).decode()].encode() + b"</v>"
                    if m.group(2).decode() in cells else m.group(0), body)
            dst.writestr(info, body)
    return out.getvalue()


def _merge(ws, top: int, left: int, bottom: int, right: int) -> None:
    """Merge a range whose cells already carry their borders: openpyxl's merge_cells would draw each edge
    again, cell by cell (three quarters of a large table's time)."""
    from openpyxl.cell.cell import MergedCell
    from openpyxl.worksheet.merge import MergedCellRange

    ws.merged_cells.add(MergedCellRange(ws, f"{get_letter(left)}{top}:{get_letter(right)}{bottom}"))
    for row in range(top, bottom + 1):
        for col in range(left, right + 1):
            if (row, col) != (top, left):
                covered = MergedCell(ws, row, col)
                old = ws._cells.get((row, col))
                if old is not None:
                    covered._style = copy.copy(old._style)
                ws._cells[row, col] = covered


def get_letter(col: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(col)


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
    fonts = {(size, bold): Font(name=FONT, size=size, bold=bold)
             for size in {_size(table) for _, _, table in annexes} for bold in (False, True)}
    aligns = {h: Alignment(horizontal=h, vertical="center", wrap_text=True) for h in ("left", "center", "right")}
    values: dict = {}  # sheet -> {cell: the formula's value}
    shapes: dict = {}  # a look -> the style it came to: set once, then copied (openpyxl's setters hash every part)

    def styled(target, key: tuple, **look) -> None:
        if key in shapes:
            target._style = copy.copy(shapes[key])
            return
        for name, value in look.items():
            setattr(target, name, value)
        shapes[key] = copy.copy(target._style)
    for label, title, table in annexes:
        ws = wb.create_sheet(f"{label} {title}"[:31])
        ncols = len(table.columns)
        last = get_column_letter(ncols)
        ws["A1"] = label
        ws["A1"].font = Font(name=LABEL_FONT, size=LABEL_SIZE)
        ws.row_dimensions[1].height = _height(1, LABEL_SIZE)
        ws["A2"] = clean_text(title)
        ws["A2"].data_type = "s"
        ws["A2"].font = Font(name=TITLE_FONT, size=TITLE_SIZE)
        ws["A2"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        # a long title on a narrow table takes two lines; the row is as tall as they are, with air around
        width = sum(c.width_mm for c in table.columns)
        ws.row_dimensions[2].height = _height(_title_lines(ws["A2"].value, width), TITLE_SIZE) + 6
        ws.merge_cells(f"A2:{last}2")
        top = 3
        if table.unit:
            ws.cell(row=3, column=1, value=clean_text(table.unit)).alignment = Alignment(horizontal="right")
            ws.cell(row=3, column=1).font = Font(name=FONT, size=UNIT_SIZE)
            ws.merge_cells(f"A3:{last}3")
            top = 4
        formulas = _formulas(table, top)
        size = _size(table)
        for r, row in enumerate(table.rows):
            excel_row = top + r
            for c, cell in enumerate(row):
                target = ws.cell(row=excel_row, column=c + 1)
                if cell.covered:
                    styled(target, ("covered",), border=border)
                    continue
                number_format = None
                if cell.value is not None:
                    formula = formulas.get((r, c))
                    target.value = cell.value if formula is None else "=" + formula[0]
                    if formula:
                        values.setdefault(ws, {})[target.coordinate] = formula[1]
                    number_format = NUMBER_FORMATS[cell.number]
                elif cell.text:
                    target.value = clean_text(cell.text)
                    target.data_type = "s"  # text stays text: "=1+1" or "=HYPERLINK(…)" is never a formula
                align = table.align_of(c, cell)
                head = r < table.header_rows
                styled(target, (size, cell.bold, align, head, number_format), border=border, font=fonts[size, cell.bold],
                       alignment=aligns[align], **({"fill": header_fill} if head else {}),
                       **({"number_format": number_format} if number_format else {}))
                if cell.rowspan > 1 or cell.colspan > 1:
                    _merge(ws, excel_row, c + 1, excel_row + cell.rowspan - 1, c + cell.colspan)
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
        ws.page_setup.orientation = "landscape" if getattr(table, "landscape", False) else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
    out = io.BytesIO()
    wb.save(out)
    return _with_values(out.getvalue(), {ws.path.lstrip("/"): cells for ws, cells in values.items()})


def annexes_of(doc: Document) -> list[tuple[str, str, Table]]:
    """(附件N, title, table) for each annex heading followed by its table."""
    blocks = doc.blocks
    return [(b.label, b.title, nxt) for b, nxt in zip(blocks, blocks[1:])
            if isinstance(b, AnnexHeading) and isinstance(nxt, Table)]


def render(_skin: None, doc: Document) -> bytes:
    return workbook(annexes_of(doc))


FORMAT = OutputFormat("xlsx", ".xlsx", "Excel", None, lambda templates: None, render, full_report=False,
                      media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
