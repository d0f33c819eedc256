"""Reports written by others, read as a reviewer reads them: paragraphs and tables, each with its place.

A received file may be damaged or hostile: every reader is bounded (size, parts, paragraphs, cells,
time) and turns what it cannot read into a UserError naming the file. Word files are read from
their XML (styles mapped once per document, merged cells resolved to a grid); PDFs through
poppler's ``pdftotext -layout`` (columns kept by position); .doc through LibreOffice; Markdown and
text exports line by line, with their pipe or tab tables.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UserError

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PARAGRAPHS = 200_000
MAX_CELLS = 500_000
PDF_SECONDS = 60
SUFFIXES = (".docx", ".doc", ".pdf", ".md", ".markdown", ".txt", ".text")
PDFTOTEXT_MISSING = ("未找到 pdftotext，无法读取 PDF：Debian/Ubuntu 上运行 sudo apt-get install poppler-utils；"
                     "Windows 上安装 poppler 并把其 bin 文件夹加入 PATH")


@dataclass
class Para:
    no: int              # 段 (Word) or 行 (text, PDF) number, counted as the reader counts them
    text: str
    bold: bool = False
    style: str = ""      # the paragraph style's name (Word)
    page: int | None = None


@dataclass
class TableRead:
    no: int                                 # 表N, counted from 1 in document order
    rows: list[list[str]]                   # merged cells resolved: a merged cell's text in every cell it covers
    page: int | None = None
    lines: list[int] = field(default_factory=list)  # for text and PDF tables, each row's line number
    pages: list[int] = field(default_factory=list)  # for PDF tables, each row's page (a table may go on)
    layout: bool = False  # rows are a PDF's lines: wrapped cells and vertically centred merged cells unresolved

    def place(self, row: int, col: int | None = None) -> str:
        """表2第3行第4列 (rows and columns from 1), with the page of a PDF."""
        where = f"表{self.no}第{row + 1}行" + (f"第{col + 1}列" if col is not None else "")
        page = self.pages[row] if row < len(self.pages) else self.page
        return where + (f"（第{page}页）" if page else "")


@dataclass
class Received:
    file: str
    unit: str                               # 段 or 行: what Para.no counts
    paragraphs: list[Para]
    tables: list[TableRead]
    title: str = ""

    def place(self, para: Para) -> str:
        return (f"第{para.page}页" if para.page else "") + f"第{para.no}{self.unit}"


def read_bounded(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise UserError(f"找不到文件：{path}") from None
    except OSError as exc:
        raise UserError(f"无法读取文件 {path}：{exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UserError(f"{path} 超过 {MAX_FILE_BYTES // 2**20} MB，不像是一份报告，未检查")
    return raw


# --- Word ---------------------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{%s}" % _W
_R = W + "r"
_RUN_HOLDERS = frozenset(W + tag for tag in ("hyperlink", "ins", "smartTag", "fldSimple"))
_DOCX_PARTS = frozenset({"word/document.xml", "word/styles.xml"})
_OFF = ("0", "false", "off")


def _on(element) -> bool | None:
    """A w:b-like toggle: None when absent (the style decides)."""
    if element is None:
        return None
    return element.get(W + "val", "true") not in _OFF


def _styles(root) -> tuple[dict[str, tuple[str, bool]], tuple[str, bool]]:
    """Paragraph style id -> (name, bold), read once per document; and the default style's."""
    styles: dict[str, tuple[str, bool]] = {}
    default = ("Normal", False)
    if root is None:
        return styles, default
    for s in root.iterfind(W + "style"):
        if s.get(W + "type") != "paragraph":
            continue
        name = s.find(W + "name")
        entry = (name.get(W + "val", "") if name is not None else "", bool(_on(s.find(f"{W}rPr/{W}b"))))
        styles[s.get(W + "styleId", "")] = entry
        if s.get(W + "default") in ("1", "true"):
            default = entry
    return styles, default


def _runs(p):
    """The runs of a paragraph in document order, with those inside links, insertions and fields."""
    for child in p:
        if child.tag == _R:
            yield child
        elif child.tag in _RUN_HOLDERS:
            yield from (r for r in child if r.tag == _R)


def _runs_text(p) -> tuple[str, bool | None, list]:
    parts: list[str] = []
    runs = []
    for r in _runs(p):
        text = []
        for child in r:
            tag = child.tag
            if tag == W + "t":
                text.append(child.text or "")
            elif tag == W + "tab":
                text.append("\t")
            elif tag in (W + "br", W + "cr"):
                text.append("\n")
        joined = "".join(text)
        parts.append(joined)
        runs.append((joined, _on(r.find(f"{W}rPr/{W}b"))))
    return "".join(parts), None, runs


def _table(tbl, no: int, budget: list[int]) -> TableRead:
    """A Word table as a grid: gridSpan repeats a cell across its columns, vMerge down its rows."""
    rows: list[list[str]] = []
    for tr in tbl.iterfind(W + "tr"):
        row: list[str] = []
        before = tr.find(f"{W}trPr/{W}gridBefore")
        row += [""] * int(before.get(W + "val", "0")) if before is not None and before.get(W + "val", "").isdigit() else []
        for tc in tr.iterfind(W + "tc"):
            span_el = tc.find(f"{W}tcPr/{W}gridSpan")
            span = int(span_el.get(W + "val")) if span_el is not None and (span_el.get(W + "val") or "").isdigit() else 1
            span = max(1, min(span, 64))
            merge = tc.find(f"{W}tcPr/{W}vMerge")
            text = "\n".join(_runs_text(p)[0] for p in tc.iterfind(W + "p")).strip()
            if merge is not None and merge.get(W + "val", "continue") == "continue" and rows:
                above = rows[-1]
                col = len(row)
                text = above[col] if col < len(above) else ""
            row += [text] * span
            budget[0] -= span
            if budget[0] < 0:
                raise UserError(f"表格单元格超过 {MAX_CELLS:,} 个，不像是一份报告，未检查")
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    return TableRead(no, [r + [""] * (width - len(r)) for r in rows])


def read_docx(path: Path, raw: bytes | None = None) -> Received:
    """Body paragraphs (numbered as Word's body paragraphs are) and tables of a received .docx."""
    from lxml import etree

    from .formats.docx import read_package
    from .formats.docx_look import parse_xml

    raw = read_bounded(path) if raw is None else raw
    parts = dict((info.filename, data) for info, data in read_package(path, raw, "Word 文件", _DOCX_PARTS))
    def parsed(name: str):
        try:
            return parse_xml(parts[name]) if name in parts else None
        except etree.XMLSyntaxError as exc:
            raise UserError(f"无法读取 Word 文件 {path}：部件 {name} 不是有效的 XML（{exc}）") from None

    styles, default = _styles(parsed("word/styles.xml"))
    body = parsed("word/document.xml").find(W + "body")
    if body is None:
        raise UserError(f"无法读取 Word 文件 {path}：没有正文")
    paragraphs: list[Para] = []
    tables: list[TableRead] = []
    budget = [MAX_CELLS]
    n = 0
    for child in body:
        if child.tag == W + "p":
            n += 1
            if n > MAX_PARAGRAPHS:
                raise UserError(f"{path} 有超过 {MAX_PARAGRAPHS:,} 个段落，不像是一份报告，未检查")
            text, _, runs = _runs_text(child)
            text = text.strip()
            if not text:
                continue
            sid = child.find(f"{W}pPr/{W}pStyle")
            style, style_bold = styles.get(sid.get(W + "val", "") if sid is not None else "", default)
            bold = bool(runs) and all(b or (b is None and style_bold) for t, b in runs if t.strip())
            paragraphs.append(Para(n, text, bold, style))
        elif child.tag == W + "tbl":
            tables.append(_table(child, len(tables) + 1, budget))
    return Received(str(path), "段", paragraphs, tables)


# --- .doc, PDF ----------------------------------------------------------------------------

def read_doc(path: Path) -> Received:
    """An old Word file, saved as .docx by LibreOffice first (when it is installed)."""
    from . import office

    raw = read_bounded(path)
    try:
        converted = office.convert({str(path): (".doc", raw)}, "docx")[str(path)]
    except UserError as exc:
        raise UserError(f"无法读取 {path}（旧版 .doc）：{exc.message}；也可在 Word 中另存为 .docx 后再审核") from None
    return read_docx(path, converted)


_CJK_END = re.compile(r"[\u3000-\u9fff\uff00-\uffef]$")  # a line ending in CJK joins the next without a space
_LAYOUT_CELL = re.compile(r"\S+(?: \S+)*")  # in a PDF's layout text, cells are apart by two or more spaces
_FOLIO = re.compile(r"\s*[—\-－]*\s*(?:第\s*)?\d+\s*(?:页)?\s*[—\-－]*\s*")
_TOKEN = re.compile(r"\S+")  # narrow columns are only one space apart: a table line is cut into words
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
# a justified line is laid out with a space between every character: 预 算 支 出 1,354.10 万 元
_JUSTIFIED = re.compile(rf"(?<=[{_CJK}]) (?=\S)|(?<=\S) (?=[{_CJK}])")


def _unjustified(text: str) -> str:
    return _JUSTIFIED.sub("", text)


def _starts_paragraph(line: str, previous: str, width: int) -> bool:
    """A PDF line opens a paragraph after a short line, when indented further, or with a heading's ordinal."""
    from .outline_check import split_ordinal

    if len(_unjustified(previous.rstrip())) < width - 3:
        return True
    indent, before = len(line) - len(line.lstrip()), len(previous) - len(previous.lstrip())
    return indent > before or bool(split_ordinal(line.strip())[0])


def read_pdf(path: Path) -> Received:
    """A PDF's text layer, page by page; a scanned PDF without text says so."""
    program = shutil.which("pdftotext")
    if program is None:
        raise UserError(PDFTOTEXT_MISSING)
    read_bounded(path)
    try:
        run = subprocess.run([program, "-layout", "-enc", "UTF-8", "-q", str(path), "-"], capture_output=True,
                             timeout=PDF_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise UserError(f"读取 PDF {path} 超过 {PDF_SECONDS} 秒，未检查") from None
    if run.returncode != 0:
        raise UserError(f"无法读取 PDF {path}：文件已损坏或已加密")
    text = run.stdout.decode("utf-8", "replace")
    if not text.strip():
        raise UserError(f"PDF {path} 没有文字层（可能是扫描件），无法审核其中的文字和数字")
    received = Received(str(path), "行", [], [])
    pages = text.split("\f")
    lines = [(page_no, line, [(m.start(), _unjustified(m.group(0))) for m in _LAYOUT_CELL.finditer(line)])
             for page_no, page in enumerate(pages, 1) for line in page.splitlines()]
    width = _prose_width(lines)
    table: TableRead | None = None
    last: TableRead | None = None  # the table a page's first table may continue, its header repeated
    centres: list[float] = []
    on_page = 0
    para: Para | None = None
    previous = ""
    skip = 0
    for no, (page_no, line, cells) in enumerate(lines, 1):
        if no <= skip:
            continue  # a header's further lines, read with its first
        if not cells:
            para = None  # a blank line ends a paragraph, not a table (rows are apart by blank lines)
            continue
        celllike = len(cells) == 1 and len(cells[0][1]) <= 30 and not cells[0][1].endswith(("。", "；"))
        if len(cells) >= 3 or (table is not None and (len(cells) >= 2 or celllike and (
                _row_follows(lines, no) or no - table.lines[-1] <= 2))):
            if table is None or on_page != page_no:
                head = [line]  # a header wrapped over lines (一级指 / 标): its lines up to the first figure
                while len(head) < 4 and no + len(head) - 1 < len(lines) and lines[no + len(head) - 1][2] \
                        and not any(ch.isdigit() for ch in lines[no + len(head) - 1][1]):
                    head.append(lines[no + len(head) - 1][1])
                on_page, centres, skip = page_no, _centres(head), no + len(head) - 1
                row = _in_columns(head, centres)
                if last is not None and last.pages[-1] == page_no - 1 and "".join(row) == "".join(last.rows[0]):
                    table, para = last, None  # the same table on the next page, under its repeated header
                    continue
                table = TableRead(len(received.tables) + 1, [], page_no, layout=True)
                received.tables.append(table)
            else:
                row = _in_columns([line], centres)
            table.rows.append(row)  # one per line: a wrapped cell or a merged cell's text between rows too
            table.lines.append(no)
            table.pages.append(page_no)
            last, para = table, None
            continue
        table = None
        if _FOLIO.fullmatch(line):  # a page number: not text, and a table goes on past it
            para = None
            continue
        last = None
        stripped = _unjustified(line.strip())
        if para is not None and not _starts_paragraph(line, previous, width):
            para.text = para.text + stripped if _CJK_END.search(para.text) else para.text + " " + stripped
        else:
            para = Para(no, stripped, page=page_no)
            received.paragraphs.append(para)
        previous = line
    return received


def _tokens(line: str) -> list[tuple[float, str]]:
    return [(m.start() + len(m.group(0)) / 2, m.group(0)) for m in _TOKEN.finditer(line)]


def _centres(head: list[str]) -> list[float]:
    """A table's columns: the centres of its header's words, over the lines the header takes."""
    centres: list[float] = []
    for centre, _ in sorted(t for line in head for t in _tokens(line)):
        if centres and centre - centres[-1] < 2:
            continue
        centres.append(centre)
    return centres


def _in_columns(lines: list[str], centres: list[float]) -> list[str]:
    """Each word to the column whose heading it sits under (narrow columns are one space apart)."""
    row = [""] * len(centres)
    for line in lines:
        for centre, text in _tokens(line):
            col = min(range(len(centres)), key=lambda c: abs(centres[c] - centre))
            row[col] = _unjustified(f"{row[col]} {text}" if row[col] else text)
    return row


def _row_follows(lines: list, no: int) -> bool:
    """Whether a table row (two cells or more) comes within the next two lines (line numbers from 1)."""
    for _, _, cells in lines[no:no + 2]:
        if len(cells) >= 2:
            return True
    return False


def _prose_width(lines: list) -> int:
    """How far a full line of running text reaches (lines of one cell, spaces of justification out)."""
    widths = sorted(cells[0][0] + len(cells[0][1]) for _, _, cells in lines if len(cells) == 1 and len(cells[0][1]) >= 10)
    return widths[int(len(widths) * 0.8)] if widths else 0


# --- Markdown and text --------------------------------------------------------------------

def read_text(path: Path) -> Received:
    from .yamlio import decode

    lines = decode(read_bounded(path), str(path)).splitlines()
    if len(lines) > MAX_PARAGRAPHS:
        raise UserError(f"{path} 有超过 {MAX_PARAGRAPHS:,} 行，不像是一份报告，未检查")
    received = Received(str(path), "行", [], [])
    _lines_into(received, lines, None, layout=False)
    return received


_PIPE_RULE = re.compile(r"^\|?\s*:?-{2,}")


def _md_cell(text: str) -> str:
    """A Markdown cell as it reads: no ** markers, escapes undone, <br> a line break."""
    text = re.sub(r"<br\s*/?>", "\n", text.strip())
    text = re.sub(r"\*\*(.*?)\*\*", r"\1", text)
    return re.sub(r"\\(.)", r"\1", text).strip()


def _cells(line: str, layout: bool) -> list[tuple[int, str]]:
    """A line's cells with where each starts: | pipes |, tabs, or (PDF layout) runs of two or more spaces."""
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
        cells = re.split(r"(?<!\\)\|", stripped[1:-1])
        return [(i, _md_cell(c)) for i, c in enumerate(cells)]
    if "\t" in line:
        return [(i, c.strip()) for i, c in enumerate(line.split("\t"))]
    if layout:
        return [(m.start(), m.group(0)) for m in _LAYOUT_CELL.finditer(line)]
    return []


def _lines_into(received: Received, lines: list[str], page: int | None, layout: bool) -> None:
    """Lines as paragraphs, except runs of table lines (two or more cells), which become a table."""
    table: TableRead | None = None
    starts: list[int] = []
    for i, line in enumerate(lines, 1):
        no = i
        cells = _cells(line, layout)
        if _PIPE_RULE.match(line.strip()) and table is not None:
            continue  # the | --- | line under a Markdown header
        if len(cells) >= 2 and (table is not None or len(cells) >= 3 or not layout):
            if table is None:
                table = TableRead(len(received.tables) + 1, [], page)
                received.tables.append(table)
                starts = [s for s, _ in cells]
            if layout:
                row = [""] * len(starts)
                for s, text in cells:
                    col = min(range(len(starts)), key=lambda c: abs(starts[c] - s))
                    row[col] = (row[col] + " " + text).strip()
                table.rows.append(row)
            else:
                table.rows.append([c for _, c in cells])
            table.lines.append(no)
            continue
        table = None
        text = line.strip()
        if text:
            received.paragraphs.append(Para(no, text, page=page))


def read_received(path: Path) -> Received:
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return read_docx(path)
    if suffix == ".doc":
        return read_doc(path)
    if suffix == ".pdf":
        return read_pdf(path)
    if suffix in (".md", ".markdown", ".txt", ".text"):
        return read_text(path)
    raise UserError(f"不支持的文件类型：{path}（可审核 .docx、.doc、.pdf、.xlsx、.md、.txt）")
