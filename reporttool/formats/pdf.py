"""PDF: the Word file as the office suite lays it out (LibreOffice, headless, see office.py).

Drawn with the Word skin, so the PDF is the .docx page for page. The table of contents gets its
page numbers from that layout: LibreOffice computes them while it lays out the pages, and the
PDF's bookmarks tell which page each heading fell on, so a .docx made in the same run carries
the same numbers.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from .. import office
from ..document import Document
from ..errors import RenderWarning
from . import OutputFormat, docx


def compile_skin(templates: Any) -> docx.CompiledDocx:
    return templates.skin("docx")


def render(compiled: docx.CompiledDocx, doc: Document) -> bytes:
    source = docx.render(compiled, doc.for_layout())
    for font, face in office.substitutes(docx.fonts_used(source)):
        warnings.warn(RenderWarning(f"字体「{font}」未安装，PDF 中以「{face}」代替"), stacklevel=2)
    label = doc.title or "附件"
    return office.convert({label: (docx.FORMAT.suffix, source)})[label]


def paginate(doc: Document, pdf: bytes) -> Document:
    """The document with its table of contents numbered as the PDF lays it out (unchanged where it cannot tell)."""
    toc = doc.toc()
    if toc is None:
        return doc
    marks, i, pages = heading_pages(pdf), 0, {}
    for entry in toc.entries:
        want = _squeeze(entry.text)
        while i < len(marks) and _squeeze(marks[i][0]) != want:
            i += 1
        if i == len(marks):
            return doc  # not every heading found: Word fills the numbers in on opening
        pages[entry.seq] = marks[i][1]
        i += 1
    return doc.with_toc_pages(pages)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- the PDF's bookmarks, as LibreOffice writes them (a classic cross-reference table) ------------

MAX_ITEMS = 20_000
_XREF_ROW = re.compile(rb"(\d+) (\d+)(?: ([nf]))?")
_REF = rb"\s*(\d+)\s+\d+\s+R"


def heading_pages(pdf: bytes) -> list[tuple[str, int]]:
    """(title, page from 1) of each bookmark in reading order; [] for a PDF laid out otherwise."""
    try:
        return _Reader(pdf).bookmarks()
    except (ValueError, KeyError, IndexError, UnicodeDecodeError):
        return []


class _Reader:
    def __init__(self, pdf: bytes):
        self.pdf = pdf
        start = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf[-2048:])
        pos = int(start.group(1)) if start else -1
        if pos < 0 or not pdf.startswith(b"xref", pos):
            raise ValueError("no cross-reference table")
        trailer = pdf.index(b"trailer", pos)
        self.offsets: dict[int, int] = {}
        number = 0
        for row in _XREF_ROW.finditer(pdf, pos + 4, trailer):
            if row.group(3) is None:
                number = int(row.group(1))
                continue
            if row.group(3) == b"n":
                self.offsets[number] = int(row.group(1))
            number += 1
        self.trailer = pdf[trailer:pdf.index(b"startxref", trailer)]

    def obj(self, number: int) -> bytes:
        at = self.offsets[number]
        if not re.match(rb"%d\s+\d+\s+obj" % number, self.pdf[at:at + 32]):
            raise ValueError("cross-reference table does not match")
        end = self.pdf.index(b"endobj", at)
        return self.pdf[at:end]

    @staticmethod
    def ref(data: bytes, key: bytes) -> int | None:
        found = re.search(rb"/" + key + rb"(?![A-Za-z])" + _REF, data)
        return int(found.group(1)) if found else None

    def pages(self, root: int) -> dict[int, int]:
        """Page object -> page number, in the page tree's order."""
        order: list[int] = []
        stack, seen = [root], set()
        while stack and len(seen) < MAX_ITEMS:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            data = self.obj(node)
            kids = re.search(rb"/Kids\s*\[([^\]]*)\]", data)
            if kids and re.search(rb"/Type\s*/Pages(?![A-Za-z])", data):
                stack.extend(reversed([int(k) for k in re.findall(_REF, kids.group(1))]))
            else:
                order.append(node)
        return {page: n for n, page in enumerate(order, 1)}

    def bookmarks(self) -> list[tuple[str, int]]:
        catalog = self.obj(self.ref(self.trailer, b"Root"))
        outlines, page_tree = self.ref(catalog, b"Outlines"), self.ref(catalog, b"Pages")
        if outlines is None or page_tree is None:
            return []
        pages = self.pages(page_tree)
        found: list[tuple[str, int]] = []
        stack, seen = [self.ref(self.obj(outlines), b"First")], set()
        while stack and len(seen) < MAX_ITEMS:  # depth first: a heading, its subheadings, then the next
            item = stack.pop()
            if item is None or item in seen:
                continue
            seen.add(item)
            data = self.obj(item)
            stack += [self.ref(data, b"Next"), self.ref(data, b"First")]
            target = re.search(rb"/(?:Dest|D)\s*\[" + _REF, data)
            title = re.search(rb"/Title\s*(<[^>]*>|\((?:\\.|[^\\)])*\))", data)
            if target and title and int(target.group(1)) in pages:
                found.append((_text(title.group(1)), pages[int(target.group(1))]))
        return found


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _text(string: bytes) -> str:
    """A PDF text string: <hex> or (literal), UTF-16 with its byte order mark, else PDFDocEncoding (≈ Latin-1)."""
    if string.startswith(b"<"):
        raw = bytes.fromhex(re.sub(rb"\s", b"", string[1:-1]).decode("ascii"))
    else:
        raw = re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m.group(1), 8) & 0xFF]) if m.group(1)[:1].isdigit()
                     else _ESCAPES.get(m.group(1), m.group(1)), string[1:-1], flags=re.S)
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


FORMAT = OutputFormat("pdf", ".pdf", "PDF", None, compile_skin, render, needs_office=True, paginate=paginate,
                      media_type="application/pdf")
