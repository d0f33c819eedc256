"""The fill-in workbook: a report's whole model as sheets a clerk fills in Excel, and read back.

The sheets come from the model itself (one module owns it): the report's own fields on 基本信息, each
block (项目基本情况, 部门资金…) a sheet of 项目/填写内容/说明 rows, each list (资金明细, 存在的问题…) a table,
the indicator tree one table with a column per level. Cells are found by their titles, never by address,
so a clerk may add rows, reorder or merge cells.
"""

from __future__ import annotations

import io
import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Iterator

from pydantic import BaseModel

from .document import display_width
from .errors import WARNING, InputError, Problem
from .model import KIND_TITLES, REPORT_KINDS, ReportBase, Unit
from .xlsxread import Sheet, Workbook, XCell
from .yamlio import Source

MARK_SHEET = "reporttool"          # hidden: says what the workbook is and which kind it holds
MARK = "reporttool 填报工作簿"
VERSION = "1"
GUIDE_SHEET = "填写说明"
ROOT_SHEET = "基本信息"
KEY_HEADERS = ("项目", "填写内容", "说明")  # a block sheet's columns
LEVEL_NAMES = ("一", "二", "三", "四", "五")
TREE_LEVELS = 3                   # columns for the indicator levels; more when a tree is deeper
TREE_FIRST = ("code", "weight", "score", "target", "actual", "deviation", "nature", "measure_unit", "measures")
# lists of names: one cell, items apart by 、 or a new line; other lists (sentences) one item a line
NAME_LISTS = {"divisions", "subordinate_units", "budget_units", "answers", "dimensions", "placeholders"}
_NAME_SPLIT = re.compile(r"[\n、，,；;]+")
_SPACES = re.compile(r"[\s\u3000]+")
MAX_EXAMPLE_ROWS = 1000  # rows a table's drop-downs and formats cover
LINE_HEIGHT = 15         # points a line of 11-point 宋体 takes


def squeeze(text: str) -> str:
    """A label as compared: spaces of 分散对齐 (“项 目 名 称”) and line breaks removed."""
    return _SPACES.sub("", text)


# --- the layout, from the model -----------------------------------------------------------------

@dataclass(frozen=True)
class Col:
    """One field on a sheet: a row of a block sheet or a column of a table."""
    key: tuple[str, ...]   # path inside the block or the list item
    title: str             # as the report names it; nested fields as 收入·财政拨款收入
    description: str
    kind: str              # money pct points weight count int decimal text date bool choice list
    choices: tuple[str, ...] = ()
    required: bool = False
    suggested: tuple[str, ...] = ()  # the usual values, offered in a drop-down that still takes others

    @property
    def header(self) -> str:
        return self.title + ("（万元）" if self.kind == "money" and "万元" not in self.title else "")


@dataclass(frozen=True)
class SheetSpec:
    name: str
    path: tuple[str, ...]   # where its data sits in the report
    cols: tuple[Col, ...]
    table: bool = False     # rows are the items of a list
    tree: bool = False      # the indicator tree
    title: str = ""
    parent: str = ""        # the block a list belongs to, to tell two lists of the same title apart


def _args(tp: Any) -> tuple:
    return typing.get_args(tp)


def _describe(tp: Any, metadata: list) -> tuple[str, tuple[str, ...]]:
    """(kind, choices) of a scalar annotation."""
    units = [m.name for m in metadata if isinstance(m, Unit)]
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            units += [m.name for m in tp.__metadata__ if isinstance(m, Unit)]
            tp = _args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in _args(tp) if a is not type(None)]
            if len(rest) > 1:
                return "text", ()
            tp = rest[0]
        elif origin is typing.Literal:
            return "choice", tuple(str(a) for a in _args(tp))
        else:
            break
    if units:
        return units[0], ()
    if tp is bool:
        return "bool", ("是", "否")
    if tp is int:
        return "int", ()
    if tp is Decimal:
        return "decimal", ()
    if tp is date:
        return "date", ()
    return "text", ()


def _model_of(tp: Any) -> tuple[type[BaseModel] | None, bool]:
    """(model class, is a list) an annotation leads to; (None, is a list) for scalars."""
    listed = False
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = _args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in _args(tp) if a is not type(None)]
            models = [a for a in rest if _model_of(a)[0] is not None]
            if not models:
                return None, listed or any(_model_of(a)[1] for a in rest)
            tp = models[0]
        elif origin in (list, tuple):
            listed = True
            tp = _args(tp)[0]
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp, listed
        else:
            return None, listed


def _flatten(model: type[BaseModel], key: tuple, title: str, required: bool,
             lists: list[tuple[tuple, str, type[BaseModel]]]) -> list[Col]:
    """The scalar fields of ``model`` (nested blocks folded in as 块·字段); lists of blocks are put aside."""
    cols = []
    for name, info in model.model_fields.items():
        if name == "kind" and not key and issubclass(model, ReportBase):
            continue  # the workbook's kind is its hidden mark
        sub, listed = _model_of(info.annotation)
        here = key + (name,)
        label = (title + "·" if title else "") + (info.title or name)
        if sub is not None and listed:
            lists.append((here, info.title or name, sub))
        elif sub is not None:
            cols += _flatten(sub, here, label, required and info.is_required(), lists)
        elif listed:
            cols.append(Col(here, label, info.description or "", "list", (), required and info.is_required()))
        else:
            kind, choices = _describe(info.annotation, info.metadata)
            cols.append(Col(here, label, info.description or "", kind, choices, required and info.is_required(),
                            tuple(info.examples or ())))
    return cols


_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@lru_cache(maxsize=None)
def layout(kind: str) -> tuple[SheetSpec, ...]:
    """The sheets of a kind's workbook, in the order a clerk fills them."""
    model = REPORT_KINDS[kind]
    own = [k for k in model.model_fields if k not in ReportBase.model_fields and k != "kind"]
    order = own + [k for k in ReportBase.model_fields]
    root_cols: list[Col] = []
    sheets: list[SheetSpec] = []
    for name in order:
        info = model.model_fields[name]
        sub, listed = _model_of(info.annotation)
        title = info.title or name
        if sub is None:
            kind_, choices = _describe(info.annotation, info.metadata)
            root_cols.append(Col((name,), title, info.description or "", "list" if listed else kind_, choices,
                                 info.is_required()))
            continue
        if listed:
            sheets += _list_sheets([((name,), title, sub)], "")
            continue
        lists: list = []
        cols = _flatten(sub, (), "", True, lists)
        sheets.append(SheetSpec(_sheet_name(title), (name,), tuple(cols), title=title))
        sheets += _list_sheets([((name,) + k, t, m) for k, t, m in lists], title)
    names = [s.name for s in sheets]
    dup = {n for n in names if names.count(n) > 1}
    sheets = [s if s.name not in dup else SheetSpec(_sheet_name(f"{s.parent}·{s.name}"), s.path, s.cols,
                                                       s.table, s.tree, s.title, s.parent) for s in sheets]
    names = [s.name for s in sheets] + [ROOT_SHEET, GUIDE_SHEET, MARK_SHEET]
    if len(set(names)) != len(names):
        raise TypeError(f"two sheets of {kind} share a name")  # the model grew a clash: rename a title
    return (SheetSpec(ROOT_SHEET, (), tuple(root_cols), title=ROOT_SHEET), *sheets)


def _sheet_name(title: str) -> str:
    return _SHEET_NAME_BAD.sub("", title)[:31]


def _list_sheets(lists: list[tuple[tuple, str, type[BaseModel]]], parent: str) -> list[SheetSpec]:
    out = []
    for key, title, item in lists:
        inner: list = []
        cols = _flatten(item, (), "", True, inner)
        tree = any(k[-1] == "children" and m is item for k, _, m in inner)
        if tree:
            cols = sorted([c for c in cols if c.key[0] != "name"],
                          key=lambda c: TREE_FIRST.index(c.key[0]) if c.key[0] in TREE_FIRST else len(TREE_FIRST))
            name_col = next(c for c in _flatten(item, (), "", True, []) if c.key == ("name",))
            cols = [name_col] + cols
        elif inner:
            raise TypeError(f"a list inside the items of {key} has no sheet")  # the model grew: give it one
        out.append(SheetSpec(_sheet_name(title), key, tuple(cols), table=True, tree=tree, title=title, parent=parent))
    return out


# --- writing ----------------------------------------------------------------------------------

NUMBER_FORMATS = {"money": "#,##0.00", "pct": "0.00%", "points": "0.00", "weight": "General", "count": "0",
                  "int": "0", "decimal": "General", "date": "yyyy-mm-dd"}
FONT = "宋体"


def _get(data: Any, key: tuple) -> Any:
    for part in key:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _cell_value(col: Col, value: Any) -> Any:
    """What goes in the cell for a field's value."""
    if value is None:
        return None
    if col.kind == "list":
        sep = "、" if col.key[-1] in NAME_LISTS else "\n"
        return sep.join(str(v) for v in value)
    if col.kind == "bool":
        return "是" if value else "否"
    if col.kind == "pct" and isinstance(value, (int, Decimal)):
        return Decimal(value).scaleb(-2)  # 95.39 (%) is the fraction 0.9539, shown 95.39%
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return value
    if isinstance(value, date):
        return value if col.kind == "date" else value.isoformat()
    if isinstance(value, int):
        return value
    return str(value)


def write_workbook(kind: str, data: dict | None, note: str = "") -> bytes:
    """The fill-in workbook of ``kind``: ``data`` (plain report data) in its cells, or the kind's example
    (grey, marked as such) when None."""
    from openpyxl import Workbook as OpenWorkbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    example = data is None
    if example:
        data = _example(kind)
    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    need_fill = PatternFill("solid", fgColor="FFF2CC")
    plain, bold = Font(name=FONT, size=11), Font(name=FONT, size=11, bold=True)
    grey = Font(name=FONT, size=11, italic=True, color="808080")
    title_font = Font(name=FONT, size=14, bold=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    value_font = grey if example else plain

    wb = OpenWorkbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    _guide(guide, kind, note, example, title_font, plain, wrap)

    def put(ws, row: int, column: int, col: Col, value: Any) -> None:
        cell = ws.cell(row=row, column=column)
        cell.value = _cell_value(col, value)
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text stays text: "=1+1" is never a formula
        if col.kind in NUMBER_FORMATS:
            cell.number_format = NUMBER_FORMATS[col.kind]
        elif col.kind in ("text", "list", "choice", "bool"):
            cell.number_format = "@"  # typed digits stay as typed (0871, 2024年)
        cell.font = value_font
        cell.alignment = wrap
        cell.border = border

    def choices(ws, col: Col, ref: str) -> None:
        offered = col.choices or col.suggested
        listed = ",".join(offered)
        if not offered or len(listed) > 250 or any("," in c or '"' in c for c in offered):
            return
        dv = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True, showErrorMessage=bool(col.choices),
                            errorTitle="请从列表中选择", error=f"{col.title}只能取：{'、'.join(col.choices)}")
        ws.add_data_validation(dv)
        dv.add(ref)

    for spec in layout(kind):
        ws = wb.create_sheet(spec.name)
        ws.sheet_properties.tabColor = "4472C4" if spec.table else "70AD47"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape"  # printed for a colleague to check: as wide as the sheet
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        block = _get(data, spec.path) if spec.path else data
        ws.cell(row=1, column=1, value=spec.title).font = title_font
        if not spec.table:
            ws.cell(row=1, column=2, value="每行一个项目，在“填写内容”一列填写；黄色为必填").font = plain
            for c, head in enumerate(KEY_HEADERS, 1):
                cell = ws.cell(row=2, column=c, value=head)
                cell.font, cell.fill, cell.alignment, cell.border = bold, head_fill, centre, border
            for r, col in enumerate(spec.cols, 3):
                label = ws.cell(row=r, column=1, value=col.header)
                label.font, label.alignment, label.border = bold, wrap, border
                if col.required:
                    label.fill = need_fill
                put(ws, r, 2, col, _get(block, col.key))
                text = ws.cell(row=r, column=3, value=_guide_text(col))
                text.font, text.alignment, text.border = plain, wrap, border
                choices(ws, col, f"B{r}")
            ws.column_dimensions["A"].width = 30
            ws.column_dimensions["B"].width = 60
            ws.column_dimensions["C"].width = 60
            ws.freeze_panes = "B3"
            _fit_rows(ws, 3)
            continue
        items = list(block or ())
        rows = list(_tree_rows(items)) if spec.tree else [(None, item) for item in items]
        levels = max([TREE_LEVELS] + [len(path) for path, _ in rows]) if spec.tree else 0
        heads = [f"{LEVEL_NAMES[i]}级指标" for i in range(levels)] + [c.header for c in spec.cols[1 if spec.tree else 0:]]
        cols = ([spec.cols[0]] * levels + list(spec.cols[1:])) if spec.tree else list(spec.cols)
        ws.cell(row=1, column=2, value="每行一项；灰色斜体为示例，请改写或删除" if example else "每行一项").font = plain
        for c, (head, col) in enumerate(zip(heads, cols), 1):
            cell = ws.cell(row=2, column=c, value=head)
            cell.font, cell.fill, cell.alignment, cell.border = bold, need_fill if col.required else head_fill, centre, border
            cell.comment = Comment(_guide_text(col), "reporttool", width=300, height=120)
            letter = get_column_letter(c)
            ws.column_dimensions[letter].width = 14 if col.kind not in ("text", "list") else 24 if spec.tree and c <= levels else 30
            choices(ws, col, f"{letter}3:{letter}{MAX_EXAMPLE_ROWS}")
            if col.kind in NUMBER_FORMATS or col.kind in ("text", "list", "choice", "bool"):
                fmt = NUMBER_FORMATS.get(col.kind, "@")
                for r in range(3 + len(rows), 3 + len(rows) + 20):  # rows a clerk adds get the column's format
                    ws.cell(row=r, column=c).number_format = fmt
        for r, (path, item) in enumerate(rows, 3):
            if spec.tree:
                for level, name in enumerate(path):
                    cell = ws.cell(row=r, column=level + 1, value=name)
                    cell.data_type = "s"
                    cell.font, cell.alignment, cell.border = value_font, wrap, border
                for level in range(len(path), levels):
                    ws.cell(row=r, column=level + 1).border = border
                for c, col in enumerate(spec.cols[1:], levels + 1):
                    put(ws, r, c, col, _get(item, col.key))
            else:
                for c, col in enumerate(spec.cols, 1):
                    put(ws, r, c, col, _get(item, col.key))
        if spec.tree:
            _merge_levels(ws, rows, levels)
        ws.freeze_panes = ws.cell(row=3, column=levels + 1 if spec.tree else 1)
        _fit_rows(ws, 3)
    mark = wb.create_sheet(MARK_SHEET)
    mark["A1"], mark["B1"] = MARK, VERSION
    mark["A2"], mark["B2"] = "kind", kind
    mark.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _fit_rows(ws, first: int) -> None:
    """Rows as tall as their wrapped text: office suites do not grow a row on opening."""
    from openpyxl.utils import get_column_letter

    widths = {c: ws.column_dimensions[get_column_letter(c)].width or 10 for c in range(1, ws.max_column + 1)}
    for row in ws.iter_rows(min_row=first):
        lines = 1
        for cell in row:
            if isinstance(cell.value, str) and cell.value:
                per_line = max(1, int(widths.get(cell.column, 10)) - 1)
                lines = max(lines, sum(-(-display_width(part) // per_line) or 1 for part in cell.value.split("\n")))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = LINE_HEIGHT * min(lines, 20)


def _guide_text(col: Col) -> str:
    parts = ["必填。" if col.required else ""]
    parts.append(col.description)
    if col.choices:
        parts.append(f"（可选：{'、'.join(col.choices)}）")
    if col.kind == "list":
        parts.append("（多项用“、”隔开或换行）" if col.key[-1] in NAME_LISTS else "（每项一行，单元格内换行按 Alt+Enter）")
    if col.kind == "pct":
        parts.append("（填 95% 或 95.39%）")
    return "".join(p for p in parts if p)


def _guide(ws, kind: str, note: str, example: bool, title_font, plain, wrap) -> None:
    lines = [
        (GUIDE_TITLE.format(title=KIND_TITLES[kind]), title_font),
        ("报告类型：" + KIND_TITLES[kind] + f"（{kind}），不要修改隐藏的 {MARK_SHEET} 工作表", plain),
        ("· 每个工作表一块内容：绿色标签的表按“项目 / 填写内容”逐行填写，蓝色标签的表每行一项（可增删行）。", plain),
        ("· 黄色底色的是必填项；表头单元格的批注（鼠标悬停）是该栏的说明；有下拉箭头的单元格请从列表中选择。", plain),
        ("· 金额单位一律是“万元”；百分数填 95% 或 95.39%；合计、执行率、得分、等级由程序计算，不要手算。", plain),
        ("· 指标体系：一级、二级、三级指标各占一列，同一上级的可合并单元格或留空（沿用上一行）；上级指标单独一行时可填其分值。", plain),
        ("· 填好后运行：reporttool validate 本文件.xlsx   再运行：reporttool render 本文件.xlsx", plain),
    ]
    if example:
        lines.append(("· 灰色斜体的内容是示例，请改写为本单位的内容或删除。", plain))
    if note:
        lines.append(("", plain))
        lines += [(line, plain) for line in note.splitlines()]
    for r, (text, font) in enumerate(lines, 1):
        cell = ws.cell(row=r, column=1, value=text)
        cell.font, cell.alignment = font, wrap
        if isinstance(cell.value, str):
            cell.data_type = "s"
    ws.column_dimensions["A"].width = 110


def _tree_rows(items: list, path: tuple = ()) -> Iterator[tuple[tuple[str, ...], dict]]:
    """(names from the top level down, the node) for each node that needs its own row: a node with figures
    or notes of its own, or a leaf. A bare parent is named on its first child's row."""
    for item in items:
        here = path + (str(item.get("name", "")),)
        own = {k: v for k, v in item.items() if k not in ("name", "children") and v not in (None, "", [], ())}
        children = list(item.get("children") or ())
        if own or not children:
            yield here, item
        yield from _tree_rows(children, here)


def _merge_levels(ws, rows: list[tuple[tuple, dict]], levels: int) -> None:
    """Merge a level's cells down the rows of one node (the look of a printed 指标体系)."""
    for level in range(levels):
        start = 0
        for i in range(1, len(rows) + 1):
            prev = rows[start][0]
            same = i < len(rows) and len(prev) > level and rows[i][0][:level + 1] == prev[:level + 1] \
                and len(rows[i][0]) > level
            if same:
                continue
            if i - 1 > start and len(prev) > level:
                ws.merge_cells(start_row=3 + start, start_column=level + 1, end_row=3 + i - 1, end_column=level + 1)
            start = i


def _example(kind: str) -> dict:
    from .templates import BUILTIN, kind_file
    from .yamlio import load_file

    data, _ = load_file(BUILTIN / kind_file(kind, "skeleton.yaml"))
    return data


# --- reading ----------------------------------------------------------------------------------

GUIDE_TITLE = "{title} —— 填报工作簿"


def _kind_of(book: Workbook) -> tuple[str, tuple[Sheet, int, int]] | None:
    """The kind a fill-in workbook holds and the cell that says so: the hidden mark, or (when the mark
    was lost copying sheets to a new file) the title of 填写说明."""
    mark = book.sheet(MARK_SHEET)
    if mark is not None and mark.text(1, 1) == MARK:
        return mark.text(2, 2).strip(), (mark, 2, 2)
    guide = book.sheet(GUIDE_SHEET)
    if guide is not None:
        titles = {GUIDE_TITLE.format(title=t): k for k, t in KIND_TITLES.items()}
        if guide.text(1, 1).strip() in titles:
            return titles[guide.text(1, 1).strip()], (guide, 1, 1)
    return None


def is_fillin(book: Workbook) -> bool:
    return _kind_of(book) is not None


class _Reader:
    def __init__(self, book: Workbook):
        self.book = book
        self.src = Source(file=book.file, sheets=tuple(s.name for s in book.sheets))
        self.shown = 0

    def problem(self, sheet: Sheet, row: int, col: int | None, message: str, title: str = "", severity: str = "error",
                rule: str = "xlsx.cell", path: tuple = ()) -> Problem:
        return Problem(message=message, path=path, title=title, file=self.book.file, line=row, column=col,
                       sheet=sheet.name, sheet_no=sheet.index, severity=severity, rule=rule)

    def at(self, path: tuple, sheet: Sheet, row: int, col: int) -> None:
        self.src.positions[path] = (row, col, sheet.name)

    # one cell -> the value handed to the model (which says what is wrong with it)
    def value(self, sheet: Sheet, row: int, col: int, field: Col, path: tuple) -> Any:
        cell = sheet.get(row, col)
        if cell is None:
            return None
        if cell.kind == "" and cell.formula:
            number = self.book.evaluate(sheet, *sheet.origin(row, col))
            if number is None:
                self.src.errors.append(self.problem(
                    sheet, row, col, "此单元格是公式，文件中没有保存它的计算结果（由程序生成、未在 Excel 中打开保存过），"
                    "且无法直接算出：请在 Excel 中打开并保存后重试，或直接填写数值", field.title, path=path, rule="xlsx.formula"))
                return None
            cell = XCell(format(number, "f"), "n", cell.formula)
        if cell.kind == "e":
            self.src.errors.append(self.problem(
                sheet, row, col, f"单元格显示错误值 {cell.text}，请修正公式或直接填写数值", field.title, path=path,
                rule="xlsx.error_value"))
            return None
        return self.convert(cell, field, sheet, row, col, path)

    def convert(self, cell: XCell, field: Col, sheet: Sheet, row: int, col: int, path: tuple) -> Any:
        text = cell.text.strip() if cell.kind in ("s", "b") else cell.text
        if cell.kind == "s" and not text:
            return None
        kind = field.kind
        if kind == "list":
            parts = (_NAME_SPLIT if field.key[-1] in NAME_LISTS else re.compile(r"\n+")).split(text)
            items = [p.strip() for p in parts if p.strip()]
            if field.key[-1] == "answers":  # question numbers typed 1、2 refer by position
                return [int(p) if p.isdigit() else p for p in items]
            return items
        if kind == "bool":
            if cell.kind == "b":
                return text == "1"
            return {"是": True, "否": False}.get(squeeze(text), text)
        if kind == "choice":
            squeezed = squeeze(text)
            return squeezed if squeezed in field.choices else text
        if cell.kind == "n":
            if kind == "date" or cell.is_date:
                day = cell.as_date(self.book.date1904)
                if day is not None:
                    return day if kind == "date" else f"{day.year}年{day.month}月{day.day}日"
            number = cell.number
            if number is None:
                return text
            if kind == "pct":
                return self.percent(number, cell.percent, sheet, row, col, field, path)
            if kind in ("text", "date"):
                return format(number, "f")  # digits typed where words go: the words
            if kind in ("int", "count") and number == number.to_integral_value():
                return int(number)
            return number
        if kind == "pct" and text and not text.endswith(("%", "％")):
            try:
                number = Decimal(text.replace(",", ""))
            except InvalidOperation:
                return text
            return self.percent(number, False, sheet, row, col, field, path)
        return text

    def percent(self, number: Decimal, shown_as_percent: bool, sheet: Sheet, row: int, col: int, field: Col,
                path: tuple) -> Decimal:
        if shown_as_percent:
            return _whole(number.scaleb(2))
        if 0 < abs(number) <= 1:
            as_pct = _whole(number.scaleb(2))
            self.src.warnings.append(self.problem(
                sheet, row, col, f"填的是 {number}，按 {as_pct}% 理解；若指 {number}% 请填写“{number}%”", field.title,
                severity=WARNING, rule="xlsx.percent", path=path))
            return as_pct
        return number

    # sheets
    def header_row(self, sheet: Sheet, wanted: set[str]) -> int | None:
        best, best_hits = None, 0
        for row in sheet.filled_rows(1, 12):
            hits = sum(squeeze(sheet.text(row, c)) in wanted for c in sheet.filled_cols(row))
            if hits > best_hits:
                best, best_hits = row, hits
        return best

    def block(self, sheet: Sheet, spec: SheetSpec, out: dict) -> None:
        by_title = {squeeze(c.header): c for c in spec.cols} | {squeeze(c.title): c for c in spec.cols}
        head = self.header_row(sheet, {squeeze(h) for h in KEY_HEADERS})
        if head is None:
            self.src.errors.append(self.problem(sheet, 1, 1, f"找不到表头（{'、'.join(KEY_HEADERS)}），请不要删除表头行",
                                                rule="xlsx.header"))
            return
        columns = {squeeze(sheet.text(head, c)): c for c in range(1, sheet.max_col + 1)}
        label_col, value_col = columns.get(KEY_HEADERS[0], 1), columns.get(KEY_HEADERS[1], 2)
        seen: dict[Col, int] = {}
        for row in sheet.filled_rows(head + 1):
            label = squeeze(sheet.text(row, label_col))
            if not label or sheet.covered(row, label_col):
                continue
            field = by_title.get(label)
            if field is None:
                if sheet.get(row, value_col) is not None:
                    self.src.errors.append(self.problem(
                        sheet, row, label_col, f"不认识的项目“{sheet.text(row, label_col).strip()}”（可能改动了项目名称）；"
                        f"此表可填的项目：{'、'.join(c.title for c in spec.cols)}", rule="xlsx.unknown_field"))
                continue
            if field in seen:
                self.src.errors.append(self.problem(
                    sheet, row, label_col, f"“{field.title}”重复出现（第 {seen[field]} 行已有），请删除其一",
                    rule="xlsx.duplicate_field"))
                continue
            seen[field] = row
            path = spec.path + field.key
            self.at(path, sheet, row, value_col)
            value = self.value(sheet, row, value_col, field, path)
            if value is not None:
                _put(out, path, value)
        for field, row in seen.items():  # a block is as far down as its first field
            for depth in range(len(spec.path) + 1, len(spec.path) + len(field.key)):
                key = (spec.path + field.key)[:depth]
                if key not in self.src.positions or self.src.positions[key][0] > row:
                    self.src.positions[key] = (row, value_col, sheet.name)
        if spec.path and spec.path not in self.src.positions:
            self.src.positions[spec.path] = (head, value_col, sheet.name)

    def table(self, sheet: Sheet, spec: SheetSpec, out: dict) -> None:
        fields = list(spec.cols[1:] if spec.tree else spec.cols)
        by_head = {squeeze(c.header): c for c in fields} | {squeeze(c.title): c for c in fields}
        levels_wanted = {f"{n}级指标" for n in LEVEL_NAMES}
        head = self.header_row(sheet, set(by_head) | (levels_wanted if spec.tree else set()))
        if head is None:
            self.src.errors.append(self.problem(sheet, 1, 1, "找不到表头行，请不要删除表头", rule="xlsx.header"))
            return
        columns: dict[Col, int] = {}
        levels: list[int] = []
        for c in sheet.filled_cols(head):
            text = squeeze(sheet.text(head, c))
            if not text:
                continue
            if spec.tree and text in levels_wanted:
                levels.append(c)
            elif text in by_head and by_head[text] not in columns:
                columns[by_head[text]] = c
            else:
                why = "重复的表头" if text in by_head else "不认识的表头（可能改动了列名）"
                self.src.errors.append(self.problem(sheet, head, c, f"{why}“{sheet.text(head, c).strip()}”；此表的列："
                                                    f"{'、'.join(f.header for f in fields)}", rule="xlsx.header"))
        self.src.positions.setdefault(spec.path, (head, 1, sheet.name))
        if spec.tree:
            self.tree(sheet, spec, head, levels, columns, out)
            return
        items = []
        for row in sheet.filled_rows(head + 1):
            if not any(sheet.get(row, c) is not None and not sheet.covered(row, c) for c in columns.values()):
                continue  # a blank row (or one whose only content is a merged cell above)
            path = spec.path + (len(items),)
            item: dict = {}
            self.at(path, sheet, row, min(columns.values()))
            for field, c in columns.items():
                self.at(path + field.key, sheet, row, c)
                value = self.value(sheet, row, c, field, path + field.key)
                if value is not None:
                    _put(item, field.key, value)
            items.append(item)
        if items:
            _put(out, spec.path, items)

    def tree(self, sheet: Sheet, spec: SheetSpec, head: int, levels: list[int], columns: dict[Col, int], out: dict,
             last: int | None = None) -> None:
        if not levels:
            self.src.errors.append(self.problem(sheet, head, 1, "找不到“一级指标”“二级指标”等列", rule="xlsx.header"))
            return
        roots: list[dict] = []
        open_path: list[tuple[dict, tuple]] = []  # the node open at each level and its data path
        for row in sheet.filled_rows(head + 1, last):
            names = [sheet.text(row, c).strip() for c in levels]
            own = any(sheet.get(row, c) is not None and not sheet.covered(row, c) for c in columns.values())
            depth = max((i + 1 for i, n in enumerate(names) if n), default=0)
            if depth == 0:
                if own:
                    self.src.errors.append(self.problem(sheet, row, levels[0], "这一行填了数据，但没有填写指标名称",
                                                        spec.title, rule="xlsx.tree"))
                continue
            if sheet.covered(row, levels[depth - 1]) and not own:
                continue  # the rest of a merged name: no node of its own
            for level in range(depth):
                name = names[level]
                last = level == depth - 1
                current = open_path[level] if level < len(open_path) else None
                if not name and current is not None and not last:
                    continue  # left blank: the same as the row above
                if not name:
                    self.src.errors.append(self.problem(sheet, row, levels[level],
                                                        f"缺少{LEVEL_NAMES[level]}级指标名称", spec.title, rule="xlsx.tree"))
                    break
                continuing = current is not None and current[0]["name"] == name and \
                    (not last or sheet.covered(row, levels[level]))
                if continuing:
                    continue
                siblings = roots if level == 0 else open_path[level - 1][0].setdefault("children", [])
                path = (spec.path if level == 0 else open_path[level - 1][1] + ("children",)) + (len(siblings),)
                node = {"name": name}
                siblings.append(node)
                del open_path[level:]
                open_path.append((node, path))
                self.at(path, sheet, row, levels[level])
                self.at(path + ("name",), sheet, row, levels[level])
            else:
                node, path = open_path[depth - 1]
                for field, c in columns.items():
                    self.at(path + field.key, sheet, row, c)
                    value = self.value(sheet, row, c, field, path + field.key)
                    if value is not None:
                        _put(node, field.key, value)
        if roots:
            _put(out, spec.path, roots)

    def read(self) -> tuple[dict, Source]:
        kind, (where, row, col) = _kind_of(self.book)
        if kind not in REPORT_KINDS:
            raise InputError("无法识别的填报工作簿", [self.problem(where, row, col, f"报告类型“{kind}”无法识别",
                                                           rule="xlsx.kind")])
        data: dict = {"kind": kind}
        self.src.positions[("kind",)] = (row, col, where.name)
        specs = layout(kind)
        for spec in specs:
            sheet = self.book.sheet(spec.name)
            if sheet is None:
                continue  # a sheet deleted is a block not filled in
            (self.table if spec.table else self.block)(sheet, spec, data)
        known = {s.name for s in specs} | {GUIDE_SHEET, MARK_SHEET}
        for sheet in self.book.sheets:
            if sheet.name not in known and not sheet.hidden and sheet.cells:
                self.src.warnings.append(self.problem(
                    sheet, None, None, f"工作表“{sheet.name}”不是本工作簿原有的（改过名字？），其中的内容没有读取；"
                    f"原有的工作表：{'、'.join(s.name for s in specs)}", severity=WARNING, rule="xlsx.unknown_sheet"))
        first = self.book.sheet(ROOT_SHEET)
        self.src.positions[()] = (1, 1, first.name if first else self.book.sheets[0].name)
        return data, self.src


def _whole(d: Decimal) -> Decimal:
    """1E+2 is written 100."""
    return d.quantize(Decimal(1)) if d.as_tuple().exponent > 0 else d


def _put(out: dict, key: tuple, value: Any) -> None:
    for part in key[:-1]:
        out = out.setdefault(part, {})
    out[key[-1]] = value


def read(book: Workbook) -> tuple[dict, Source]:
    return _Reader(book).read()


__all__ = ["layout", "write_workbook", "read", "is_fillin"]
