"""Read back a rendered .docx the way a reviewer would: headings, paragraphs, tables."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from docx import Document
from docx.oxml.ns import qn

from reporttool.formats.docx import well_formed


@dataclass
class Docx:
    doc: object
    raw: bytes

    @property
    def headings(self) -> list[tuple[int, str]]:
        out = []
        for p in self.doc.paragraphs:
            m = re.fullmatch(r"Heading (\d)", p.style.name)
            if m:
                out.append((int(m.group(1)), p.text))
        return out

    @property
    def text(self) -> str:
        parts = [p.text for p in self.doc.paragraphs]
        for t in self.doc.tables:
            for row in t.rows:
                parts.extend(c.text for c in row.cells)
        return "\n".join(parts)

    def table_rows(self, index: int) -> list[list[str]]:
        return [[c.text for c in row.cells] for row in self.doc.tables[index].rows]

    def xml(self, part: str = "word/document.xml") -> str:
        with zipfile.ZipFile(io.BytesIO(self.raw)) as z:
            return z.read(part).decode("utf-8")

    def body_runs_without_east_asian_font(self) -> list[str]:
        """Text whose East Asian font is set neither on its run nor by its paragraph style (or those it is based on)."""
        bad = []
        for p in self.doc.paragraphs:
            for r in p.runs:
                if r.text.strip() and not (_east_asian(r._r) or _style_east_asian(p.style)):
                    bad.append(r.text)
        return bad


def _east_asian(element) -> str | None:
    rpr = element.find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


def _style_east_asian(style) -> str | None:
    while style is not None:
        if _east_asian(style.element):
            return _east_asian(style.element)
        style = style.base_style
    return None


def read_docx(raw: bytes) -> Docx:
    assert_well_formed(raw)
    return Docx(Document(io.BytesIO(raw)), raw)


def assert_well_formed(raw: bytes) -> None:
    """Every XML part parses strictly (namespaces checked): what Word needs to open the file at all.

    Our own templates' output is checked here, not at each render (a user's is checked as it renders)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                well_formed(z.read(name), name)


def md_headings(md: str) -> list[tuple[int, str]]:
    out = []
    for line in md.splitlines():
        m = re.match(r"^(#{2,6}) (.+)$", line)
        if m:
            out.append((len(m.group(1)) - 1, m.group(2)))
    return out
