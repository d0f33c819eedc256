"""Word output: a docxtpl template patched and compiled once, rendered many times.

docxtpl's per-render cost is mostly re-patching and re-compiling a template that does not
change, so the patched XML is compiled once and each render only fills it and re-zips.
Tables are emitted as OOXML with spans computed from the data (docxtpl's {% vm %} restarts
its merge per inner loop, which breaks nested indicator groups).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree
from markupsafe import Markup

from .document import Cell, Table
from .env import clean_text

TWIPS_PER_MM = 56.7
TABLE_FONT = "仿宋_GB2312"
_JINJA = re.compile(r"\{[{%]")
_XML_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml|docProps/core\.xml")


def _run(text: str, bold: bool, size: int) -> str:
    rpr = (f'<w:rPr><w:rFonts w:ascii="{TABLE_FONT}" w:hAnsi="{TABLE_FONT}" w:eastAsia="{TABLE_FONT}" w:cs="{TABLE_FONT}"/>'
           + ("<w:b/><w:bCs/>" if bold else "") + f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>')
    parts = [f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in clean_text(text).split("\n")]
    return f"<w:r>{rpr}{'<w:br/>'.join(parts)}</w:r>"


def _para(text: str, style: str, align: str, bold: bool = False, size: int = 24) -> str:
    jc = {"left": "left", "center": "center", "right": "right"}[align]
    return (f'<w:p><w:pPr><w:pStyle w:val="{style}"/><w:jc w:val="{jc}"/></w:pPr>'
            f"{_run(text, bold, size) if text else ''}</w:p>")


def _cell(table: Table, col: int, cell: Cell, widths: list[int]) -> str:
    span = cell.colspan
    width = sum(widths[col:col + span])
    props = [f'<w:tcW w:w="{width}" w:type="dxa"/>']
    if span > 1:
        props.append(f'<w:gridSpan w:val="{span}"/>')
    if cell.rowspan > 1:
        props.append('<w:vMerge w:val="restart"/>')
    elif cell.covered == "v":
        props.append("<w:vMerge/>")
    props.append('<w:vAlign w:val="center"/>')
    text = "" if cell.covered else cell.text
    return f"<w:tc><w:tcPr>{''.join(props)}</w:tcPr>{_para(text, 'rtTableText', table.align_of(col, cell), cell.bold)}</w:tc>"


def table_xml(table: Table) -> Markup:
    widths = [round(c.width_mm * TWIPS_PER_MM) for c in table.columns]
    out = []
    if table.caption:
        out.append(_para(table.caption, "rtTableCaption", "center", bold=True, size=28))
    if table.unit:
        out.append(_para(table.unit, "rtTableUnit", "right", size=21))
    border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                     for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    out.append(f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
               f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/>'
               '<w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar>'
               f'<w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>{"".join(f"<w:gridCol w:w={chr(34)}{w}{chr(34)}/>" for w in widths)}</w:tblGrid>')
    for r, row in enumerate(table.rows):
        trpr = "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if r < table.header_rows else "<w:trPr><w:cantSplit/></w:trPr>"
        cells = "".join(_cell(table, c, cell, widths) for c, cell in enumerate(row) if cell.covered != "h")
        out.append(f"<w:tr>{trpr}{cells}</w:tr>")
    out.append("</w:tbl>")
    # An empty paragraph after the table keeps the following text from gluing onto it.
    out.append('<w:p><w:pPr><w:pStyle w:val="rtTableText"/></w:pPr></w:p>')
    return Markup("".join(out))


class CompiledDocx:
    """A .docx template whose Jinja parts are patched and compiled once."""

    def __init__(self, path: Path, env: Any):
        from docxtpl import DocxTemplate  # heavy import, only when Word output is wanted

        self.path = path
        raw = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            self.entries = [(info, z.read(info.filename)) for info in z.infolist()]
        self._tpl = DocxTemplate(io.BytesIO(raw))
        self.templates: dict[str, Any] = {}
        for info, data in self.entries:
            if not _XML_PARTS.fullmatch(info.filename):
                continue
            text = data.decode("utf-8")
            if not _JINJA.search(text):
                continue
            patched = self._tpl.patch_xml(text)
            patched = re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)
            self.templates[info.filename] = env.from_string(patched)

    def _render_part(self, name: str, context: dict) -> bytes:
        xml = self.templates[name].render(context)
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        xml = self._tpl.resolve_listing(xml)
        data = xml.encode("utf-8")
        try:
            etree.fromstring(data)  # never write a package Word cannot open
        except etree.XMLSyntaxError as exc:
            raise ValueError(f"{name} 生成的 XML 无效：{exc}") from None
        return data

    def render(self, context: dict) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in self.entries:
                if info.filename in self.templates:
                    data = self._render_part(info.filename, context)
                z.writestr(info, data)
        return out.getvalue()
