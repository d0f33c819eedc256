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

    def place(self, row: int, col: int | None = None) -> str:
        """表2第3行第4列 (rows and columns from 1), with the page of a PDF."""
        where = f"表{self.no}第{row + 1}行" + (f"第{col + 1}列" if col is not None else "")
        return where + (f"（第{self.page}页）" if self.page else "")


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

    from .formats.docx import _SAFE_XML, read_package

    raw = read_bounded(path) if raw is None else raw
    parts = dict((info.filename, data) for info, data in read_package(path, raw, "Word 文件", _DOCX_PARTS))
    def parsed(name: str):
        try:
            return etree.fromstring(parts[name], _SAFE_XML) if name in parts else None
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
    lines = [(page_no, line) for page_no, page in enumerate(text.split("\f"), 1) for line in page.splitlines()]
    table: TableRead | None = None
    starts: list[int] = []
    para: Para | None = None
    for no, (page_no, line) in enumerate(lines, 1):
        cells = [(m.start(), m.group(0)) for m in _LAYOUT_CELL.finditer(line)]
        if not cells:
            para = None  # a blank line ends a paragraph, not a table (rows are apart by blank lines)
            continue
        continues = table is not None and len(cells) == 1 and len(starts) > 1 and cells[0][0] >= starts[1] - 1
        if len(cells) >= 3 or (table is not None and (len(cells) >= 2 or continues)):
            if table is None or table.page != page_no:
                table = TableRead(len(received.tables) + 1, [], page_no)
                received.tables.append(table)
                starts = [s for s, _ in cells]
            row = [""] * len(starts)
            for s, text in cells:
                row[min(range(len(starts)), key=lambda c: abs(starts[c] - s))] += text
            if continues and table.rows:  # a cell's wrapped text: joined to the row above
                table.rows[-1] = [a + b for a, b in zip(table.rows[-1], row)]
            else:
                table.rows.append(row)
                table.lines.append(no)
            para = None
            continue
        table = None
        if para is not None:
            joined = para.text + line.strip()
            para.text = joined if _CJK_END.search(para.text) else para.text + " " + line.strip()
        else:
            para = Para(no, line.strip(), page=page_no)
            received.paragraphs.append(para)
    return received


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
