"""Read an .xlsx exactly: each cell's stored text (6348.37 stays 6348.37), formulas and their cached values,
merged ranges, dates by their number format — bounded in size and time, no entity or link ever followed.

Works on the package's XML directly: one pass per sheet, no styles or drawing objects built.
"""

from __future__ import annotations

import bisect
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import NamedTuple

from lxml import etree

from .errors import InputError, Problem

MAX_FILE_BYTES = 50 * 2**20     # a year's workbook is well under 5 MB
MAX_PART_BYTES = 200 * 2**20    # one XML part, unpacked
MAX_TOTAL_BYTES = 400 * 2**20   # all parts read, unpacked
MAX_RATIO = 200                 # unpacked ÷ packed: a zip bomb packs a thousand times tighter
MAX_CELLS = 2_000_000
MAX_SHEETS = 255
EXCEL_DIGITS = 15               # Excel keeps 15 significant digits; more is binary noise (0.30000000000000004)

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})")
_DATE_CODE = re.compile(r"[ymdhs]|年|月|日")
_DATE_IDS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def parse_ref(ref: str) -> tuple[int, int]:
    """E12 -> (12, 5)."""
    m = _CELL.fullmatch(ref.upper())
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), column_number(m.group(1))


def excel_decimal(stored: str) -> Decimal:
    """A number as Excel stored it, to the digits Excel itself shows (15 significant)."""
    d = Decimal(stored)
    if len(d.as_tuple().digits) > EXCEL_DIGITS:  # 99.31999999999999 was typed 99.32
        d = Decimal(format(d, f".{EXCEL_DIGITS}g")).normalize()
    if d.as_tuple().exponent > 0:
        d = d.quantize(Decimal(1))  # 1E+3 -> 1000
    return d


class XCell(NamedTuple):
    """One cell as stored. ``kind``: s text, n number, b true/false, e error (#DIV/0!), "" a formula not yet computed."""
    text: str
    kind: str
    formula: str = ""
    is_date: bool = False  # a number shown in a date format
    percent: bool = False  # a number shown as a percentage (0.95 shows 95%)

    @property
    def number(self) -> Decimal | None:
        if self.kind != "n":
            return None
        try:
            return excel_decimal(self.text)
        except InvalidOperation:
            return None

    def as_date(self, date1904: bool = False) -> date | None:
        n = self.number
        if n is None or not self.is_date or not 0 < n < 2958466:
            return None
        base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
        if not date1904 and n < 61:  # Excel's 1900 counts a 29 February that never was
            n += 1
        return (base + timedelta(days=float(n))).date()


@dataclass
class Sheet:
    name: str
    index: int
    hidden: bool = False
    cells: dict[tuple[int, int], XCell] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # top, left, bottom, right
    _origin: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    _rows: list[int] = field(default_factory=list)
    _cols: dict[int, list[int]] = field(default_factory=dict)

    max_row: int = 0
    max_col: int = 0

    def finish(self, file: str = "") -> None:
        area = 0
        for top, left, bottom, right in self.merged:
            area += (bottom - top + 1) * (right - left + 1)
            if area > MAX_CELLS:
                raise _refuse(file, f"工作表“{self.name}”的合并单元格过多过大，不像是一份报告，已拒绝读取")
            for r in range(top, bottom + 1):
                for c in range(left, right + 1):
                    if (r, c) != (top, left):
                        self._origin[r, c] = (top, left)
        self.max_row = max((r for r, _ in self.cells), default=0)
        self.max_col = max((c for _, c in self.cells), default=0)
        by_row: dict[int, list[int]] = {}
        for r, c in self.cells:
            by_row.setdefault(r, []).append(c)
        self._cols = {r: sorted(cs) for r, cs in by_row.items()}
        self._rows = sorted(by_row)

    # Walk the cells there are, never the grid: one cell at XFD1048576 must not cost a billion steps.
    def filled_rows(self, first: int = 1, last: int | None = None) -> list[int]:
        """Rows from ``first`` to ``last`` that hold a cell."""
        lo = bisect.bisect_left(self._rows, first)
        hi = len(self._rows) if last is None else bisect.bisect_right(self._rows, last)
        return self._rows[lo:hi]

    def filled_cols(self, row: int) -> list[int]:
        """Columns of ``row`` that hold a cell."""
        return self._cols.get(row, [])

    def origin(self, row: int, col: int) -> tuple[int, int]:
        """The top-left cell of the merged range (row, col) lies in, or the cell itself."""
        return self._origin.get((row, col), (row, col))

    def covered(self, row: int, col: int) -> bool:
        """Inside a merged range, not its top-left cell: shows the top-left's value."""
        return (row, col) in self._origin

    def get(self, row: int, col: int) -> XCell | None:
        """The cell, a merged range's value wherever in the range."""
        return self.cells.get(self.origin(row, col))

    def text(self, row: int, col: int) -> str:
        cell = self.get(row, col)
        return cell.text if cell else ""

    def span(self, row: int, col: int) -> tuple[int, int, int, int]:
        for rng in self.merged:
            if rng[0] <= row <= rng[2] and rng[1] <= col <= rng[3]:
                return rng
        return row, col, row, col



@dataclass
class Workbook:
    file: str
    sheets: list[Sheet]
    date1904: bool = False

    def sheet(self, name: str) -> Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)

    def problem(self, sheet: Sheet | None, row: int | None, col: int | None, message: str, **kw) -> Problem:
        if sheet is None:
            return Problem(message=message, file=self.file, **kw)
        return Problem(message=message, file=self.file, sheet=sheet.name, sheet_no=sheet.index, line=row, column=col, **kw)

    def evaluate(self, sheet: Sheet, row: int, col: int) -> Decimal | None:
        """A formula's value when the file holds none (written by a program, never opened in Excel):
        + − × ÷, parentheses, cell references and SUM over ranges. None when it uses anything else."""
        return _Evaluator(self).cell(sheet, row, col)


def _refuse(file: str, message: str) -> InputError:
    return InputError("无法读取 Excel 工作簿", [Problem(message=message, file=file, rule="xlsx.read")])


class _Package:
    def __init__(self, raw: bytes, file: str):
        self.file = file
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(raw))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise _refuse(file, "文件已损坏或不是 Excel 工作簿（.xlsx）；请在 Excel 中打开后另存为 .xlsx 再试") from None
        self.names = {i.filename: i for i in infos}
        self.budget = MAX_TOTAL_BYTES

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str) -> bytes:
        info = self.names.get(name)
        if info is None:
            raise _refuse(self.file, f"工作簿缺少 {name}，文件不完整；请在 Excel 中打开后另存为 .xlsx 再试")
        if info.file_size > MAX_PART_BYTES or info.file_size > max(info.compress_size, 1) * MAX_RATIO \
                or info.file_size > self.budget:
            raise _refuse(self.file, f"工作簿中的 {name} 解压后过大（{info.file_size:,} 字节），不像是一份报告的数据，已拒绝读取")
        self.budget -= info.file_size
        try:
            with self.zip.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
            raise _refuse(self.file, f"工作簿中的 {name} 已损坏（或加了密码），无法读取") from None
        if len(data) > info.file_size:
            raise _refuse(self.file, f"工作簿中的 {name} 与记录的大小不符，文件已损坏")
        return data


def _xml(data: bytes, file: str, part: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise _refuse(file, f"工作簿中的 {part} 不是有效的 XML，文件已损坏") from None
    if root.getroottree().docinfo.doctype:
        raise _refuse(file, f"工作簿中的 {part} 含有 DOCTYPE 声明，Excel 不会这样写，已拒绝读取")
    return root


def _texts(node: etree._Element) -> str:
    """A string item's text: its runs joined, phonetic guides (rPh) left out."""
    first = node[0] if len(node) == 1 else None
    if first is not None and first.tag == _NS + "t":
        return first.text or ""  # the common case: one plain run
    out = []
    for t in node.iter(_NS + "t"):
        if t.getparent().tag != _NS + "rPh":
            out.append(t.text or "")
    return "".join(out)


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for p in (str(PurePosixPath(base).parent) + "/" + target).split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/".join(parts)


_PERCENT_IDS = {9, 10}


def _number_styles(pkg: _Package) -> list[str]:
    """For each cell style: "date", "pct" or "" — what its number format shows."""
    if not pkg.has("xl/styles.xml"):
        return []
    root = _xml(pkg.read("xl/styles.xml"), pkg.file, "xl/styles.xml")
    custom = {}
    for fmt in root.iter(_NS + "numFmt"):
        code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", fmt.get("formatCode", "")).lower()
        custom[fmt.get("numFmtId")] = "date" if _DATE_CODE.search(code) else "pct" if "%" in code else ""
    xfs = root.find(_NS + "cellXfs")
    if xfs is None:
        return []
    out = []
    for xf in xfs.iter(_NS + "xf"):
        fid = xf.get("numFmtId", "0")
        number = int(fid) if fid.isdigit() else -1
        out.append(custom.get(fid, "date" if number in _DATE_IDS else "pct" if number in _PERCENT_IDS else ""))
    return out


def read_workbook(raw: bytes, file: str) -> Workbook:
    if len(raw) > MAX_FILE_BYTES:
        raise _refuse(file, f"文件超过 {MAX_FILE_BYTES // 2**20} MB，不像是一份报告的数据，已拒绝读取")
    pkg = _Package(raw, file)
    book = _xml(pkg.read("xl/workbook.xml"), file, "xl/workbook.xml")
    pr = book.find(_NS + "workbookPr")
    date1904 = pr is not None and pr.get("date1904") in ("1", "true")
    rels_part = "xl/_rels/workbook.xml.rels"
    rels = {r.get("Id"): r.get("Target", "") for r in _xml(pkg.read(rels_part), file, rels_part)}
    strings: list[str] = []
    if pkg.has("xl/sharedStrings.xml"):
        strings = [_texts(si) for si in _xml(pkg.read("xl/sharedStrings.xml"), file, "sharedStrings").iter(_NS + "si")]
    dates = _number_styles(pkg)
    sheets: list[Sheet] = []
    budget = [MAX_CELLS]
    for i, node in enumerate(book.iter(_NS + "sheet")):
        if i >= MAX_SHEETS:
            raise _refuse(file, f"工作表超过 {MAX_SHEETS} 个，已拒绝读取")
        part = _target("xl/workbook.xml", rels.get(node.get(_REL), ""))
        sheet = Sheet(name=node.get("name", ""), index=i, hidden=node.get("state", "visible") != "visible")
        if pkg.has(part):  # a chart sheet or a missing part holds no cells
            _read_sheet(pkg.read(part), sheet, strings, dates, file, budget)
        sheet.finish(file)
        sheets.append(sheet)
    return Workbook(file=file, sheets=sheets, date1904=date1904)


_EMPTY_CELL = re.compile(rb"<c [^>]*(?:/>|></c>)")


def _read_sheet(data: bytes, sheet: Sheet, strings: list[str], dates: list[str], file: str, budget: list[int]) -> None:
    if data.count(b"<c ") == data.count(b'<c r="'):
        # Cells with a format and nothing in them are most of a styled sheet; with every cell addressed,
        # leaving them out moves nothing, and the parser then sees only what holds a value.
        data = _EMPTY_CELL.sub(b"", data)
    parser = etree.XMLPullParser(events=("start", "end"), tag=(_NS + "row", _NS + "c", _NS + "mergeCell"),
                                 resolve_entities=False, no_network=True, load_dtd=False)
    row, col = 0, 0
    try:
        for start in range(0, len(data), 1 << 20):
            parser.feed(data[start:start + (1 << 20)])
            for event, el in parser.read_events():
                tag = el.tag
                if event == "start":
                    if tag == _NS + "row":  # a row without its number follows the one before
                        number = el.get("r")
                        row, col = (int(number) if number and number.isdigit() else row + 1), 0
                    continue
                if tag == _NS + "c":
                    ref = el.get("r")
                    if not len(el):  # formatted but empty: most cells of a styled sheet
                        if ref is None:
                            col += 1
                        el.clear()
                        continue
                    if ref:
                        row, col = parse_ref(ref)
                    else:
                        col += 1
                    cell = _cell(el, strings, dates)
                    if cell is not None:
                        budget[0] -= 1
                        if budget[0] < 0:
                            raise _refuse(file, f"单元格超过 {MAX_CELLS:,} 个，不像是一份报告的数据，已拒绝读取")
                        sheet.cells[row, col] = cell
                    el.clear()
                elif tag == _NS + "row":
                    el.clear()
                elif tag == _NS + "mergeCell":
                    top_left, _, bottom_right = el.get("ref", "").partition(":")
                    try:
                        (t, lft), (b, rgt) = parse_ref(top_left), parse_ref(bottom_right or top_left)
                    except ValueError:
                        continue
                    if (b - t + 1) * (rgt - lft + 1) > MAX_CELLS:
                        raise _refuse(file, f"工作表“{sheet.name}”的合并区域 {el.get('ref')} 过大，已拒绝读取")
                    sheet.merged.append((t, lft, b, rgt))
        parser.close()
    except etree.XMLSyntaxError:
        raise _refuse(file, f"工作表“{sheet.name}”不是有效的 XML，文件已损坏") from None
    except ValueError:
        raise _refuse(file, f"工作表“{sheet.name}”中有无效的单元格地址，文件已损坏") from None


_F, _V, _IS = _NS + "f", _NS + "v", _NS + "is"


def _cell(el: etree._Element, strings: list[str], dates: list[str]) -> XCell | None:
    f = v = inline = None
    for child in el:
        tag = child.tag
        if tag == _V:
            v = child
        elif tag == _F:
            f = child
        elif tag == _IS:
            inline = child
    kind = el.get("t", "n")
    formula = ""
    if f is not None:
        # part of a shared formula has no text of its own: it sits on another cell
        formula = (f.text or "").strip() or "?"
    value = v.text if v is not None else None
    if kind == "inlineStr":
        value, kind = (_texts(inline) if inline is not None else ""), "s"
    elif kind == "s" and value is not None:
        try:
            value = strings[int(value)]
        except (ValueError, IndexError):
            value = ""
    elif kind == "str":
        kind = "s"
    if value is None:
        return XCell("", "", formula) if formula else None
    if kind == "s" and not value and not formula:
        return None
    style = el.get("s")
    shows = dates[int(style)] if kind == "n" and style and style.isdigit() and int(style) < len(dates) else ""
    if kind == "d":  # ISO date typed as such (rare)
        kind = "s"
    return XCell(value, kind if kind in ("s", "n", "b", "e") else "s", formula, shows == "date", shows == "pct")


# --- formulas without a cached value ------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|(?P<ref>(?:'(?:[^']|'')+'|[^\s'!()+\-*/,:=<>&^\"]+)!"
                    r"\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?|\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)"
                    r"|(?P<fn>SUM)\s*\(|(?P<op>[-+*/(),]))", re.IGNORECASE)


class _Unsupported(Exception):
    pass


class _Evaluator:
    MAX_DEPTH = 40

    def __init__(self, book: Workbook):
        self.book = book
        self.busy: set[tuple[str, int, int]] = set()

    def cell(self, sheet: Sheet, row: int, col: int) -> Decimal | None:
        try:
            return self._cell(sheet, row, col)
        except (_Unsupported, InvalidOperation, ZeroDivisionError, RecursionError):
            return None

    def _cell(self, sheet: Sheet, row: int, col: int) -> Decimal:
        cell = sheet.get(row, col)
        if cell is None or cell.kind == "" and not cell.formula:
            return Decimal(0)  # an empty cell counts 0 in a sum, as in Excel
        if cell.kind == "n" and cell.text:
            return cell.number if cell.number is not None else Decimal(0)
        if cell.kind == "s" and not cell.formula:
            raise _Unsupported  # text in an arithmetic formula is #VALUE! in Excel
        key = (sheet.name, row, col)
        if key in self.busy or len(self.busy) > self.MAX_DEPTH or cell.formula == "?":
            raise _Unsupported
        self.busy.add(key)
        try:
            return self._formula(sheet, cell.formula)
        finally:
            self.busy.discard(key)

    def _formula(self, sheet: Sheet, text: str) -> Decimal:
        tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.lstrip("=")
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise _Unsupported
            kind = m.lastgroup
            tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.tokens, self.i, self.sheet = tokens, 0, sheet
        value = self._sum()
        if self.i != len(tokens):
            raise _Unsupported
        return value

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        tok = self._peek()
        if tok is None:
            raise _Unsupported
        self.i += 1
        return tok

    def _sum(self) -> Decimal:
        value = self._product()
        while self._peek() in (("op", "+"), ("op", "-")):
            op = self._take()[1]
            rhs = self._product()
            value = value + rhs if op == "+" else value - rhs
        return value

    def _product(self) -> Decimal:
        value = self._unary()
        while self._peek() in (("op", "*"), ("op", "/")):
            op = self._take()[1]
            rhs = self._unary()
            value = value * rhs if op == "*" else value / rhs
        return value

    def _unary(self) -> Decimal:
        if self._peek() == ("op", "-"):
            self._take()
            return -self._unary()
        if self._peek() == ("op", "+"):
            self._take()
            return self._unary()
        kind, text = self._take()
        if kind == "num":
            return Decimal(text)
        if kind == "op" and text == "(":
            value = self._sum()
            if self._take() != ("op", ")"):
                raise _Unsupported
            return value
        if kind == "ref":
            cells = self._range(text)
            if len(cells) != 1:
                raise _Unsupported
            return self._value(*cells[0])
        if kind == "fn":
            total = Decimal(0)
            while True:
                tok = self._peek()
                if tok and tok[0] == "ref":
                    self._take()
                    for sheet, r, c in self._range(tok[1]):
                        cell = sheet.get(r, c)
                        if cell is not None and (cell.kind == "n" or cell.formula):
                            total += self._value(sheet, r, c)  # SUM skips text, as Excel does
                else:
                    total += self._sum()
                sep = self._take()
                if sep == ("op", ")"):
                    return total
                if sep != ("op", ","):
                    raise _Unsupported
        raise _Unsupported

    def _value(self, sheet: Sheet, r: int, c: int) -> Decimal:
        state = (self.tokens, self.i, self.sheet)
        try:
            return self._cell(sheet, r, c)
        finally:
            self.tokens, self.i, self.sheet = state

    def _range(self, text: str) -> list[tuple[Sheet, int, int]]:
        sheet = self.sheet
        if "!" in text:
            name, _, text = text.rpartition("!")
            name = name[1:-1].replace("''", "'") if name.startswith("'") else name
            sheet = self.book.sheet(name)
            if sheet is None:
                raise _Unsupported
        first, _, last = text.partition(":")
        (r1, c1), (r2, c2) = parse_ref(first), parse_ref(last or first)
        if (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1) > 100_000:
            raise _Unsupported
        return [(sheet, r, c) for r in range(min(r1, r2), max(r1, r2) + 1) for c in range(min(c1, c2), max(c1, c2) + 1)]
