"""Build templates/report.docx: the Word skin in the official-document look (GB/T 9704-2012).

Run after changing the look:  python tools/make_docx_template.py
The .docx is committed; edit it in Word if you prefer, keeping the Jinja tags intact.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips

from reporttool.document import TEXT_WIDTH_MM, TOC_LEVELS
from reporttool.formats.docx import toc_style
from reporttool.formats.docx_look import (CAPTION_STYLE, FANGSONG, FONT_TABLE, HEAD_STYLE, HEITI, KAITI, SONGTI,
                                         TABLE_STYLE, TEXT_STYLE, UNIT_STYLE, XIAOBIAOSONG, dated)

LINE = Pt(28.95)  # 22 lines in the 225 mm text block
PAGE_INDENT = Twips(280)  # one 4号 character


def set_fonts(rpr_owner, name: str) -> None:
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def style_text(style, font: str, size: float, bold: bool = False) -> None:
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    set_fonts(style.element, font)


def style_para(style, *, indent: bool, align=WD_ALIGN_PARAGRAPH.JUSTIFY, line=LINE, before=0, after=0) -> None:
    pf = style.paragraph_format
    pf.alignment = align
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    pf.line_spacing = line
    ppr = style.element.get_or_add_pPr()
    for old in ppr.findall(qn("w:ind")) + ppr.findall(qn("w:pBdr")):
        ppr.remove(old)
    ind = ppr.get_or_add_ind()  # in its place in the schema order, before jc
    if indent:
        ind.set(qn("w:firstLineChars"), "200")
        ind.set(qn("w:firstLine"), "640")
    else:  # both: Word reads firstLineChars over firstLine, and Normal's would be inherited
        ind.set(qn("w:firstLineChars"), "0")
        ind.set(qn("w:firstLine"), "0")


def paragraph_style(doc, name: str, base: str = "Normal"):
    try:
        return doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles[base]
        return style


def table_style(doc) -> None:
    """rtTable: the tables' rules and cell margins, so editing the style in Word changes every table."""
    style = doc.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.TABLE)
    style.base_style = doc.styles["Normal Table"]
    tblpr = OxmlElement("w:tblPr")
    jc = OxmlElement("w:jc")
    jc.set(qn("w:val"), "center")
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{side}")
        for attr, value in (("val", "single"), ("sz", "4"), ("space", "0"), ("color", "000000")):
            line.set(qn(f"w:{attr}"), value)
        borders.append(line)
    margins = OxmlElement("w:tblCellMar")
    for side, width in (("top", 0), ("left", 80), ("bottom", 0), ("right", 80)):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(width))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    for el in (jc, borders, margins):
        tblpr.append(el)
    style.element.append(tblpr)


def tag(doc, text: str, style: str = "Normal", font: str | None = None):
    """A paragraph holding a Jinja tag; the run carries East Asian fonts itself."""
    p = doc.add_paragraph(style=style)
    run = p.add_run(text)
    if font:
        set_fonts(run._r, font)
    return p


def toc_styles(doc) -> None:
    """目录: its heading centred in 黑体 (outside the TOC itself), a line per heading with dot leaders to the page."""
    heading = doc.styles["TOC Heading"]  # Word's own: outline level 9, so never listed in the TOC
    style_text(heading, HEITI, 16)
    style_para(heading, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    for level in range(1, TOC_LEVELS + 1):
        style = doc.styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH, builtin=True)
        style.style_id = toc_style(level)
        style.base_style = doc.styles["Normal"]
        style_text(style, FANGSONG, 16)
        style_para(style, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
        style.paragraph_format.left_indent = Pt(32 * (level - 1))  # two characters per level
        style.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)


def page_number_footer(footer, side: str) -> None:
    """— N — in 4号 宋体, one character in from the page's outer edge (GB/T 9704); ``side`` is left or right.

    ``settings.page_numbers: 居中`` centres them: the footer holds both paragraphs and a tag picks
    one at rendering. Tags in their own paragraphs survive a save in Word or LibreOffice.
    """
    footer.paragraphs[0].add_run("{%p if doc.page_numbers == '居中' %}")
    page_number(footer.add_paragraph(), "center")
    footer.add_paragraph("{%p else %}")
    page_number(footer.add_paragraph(), side)
    footer.add_paragraph("{%p endif %}")


def page_number(p, side: str) -> None:
    p.paragraph_format.first_line_indent = Pt(0)
    p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT}.get(side, WD_ALIGN_PARAGRAPH.CENTER)
    if side == "right":
        p.paragraph_format.right_indent = PAGE_INDENT
    elif side == "left":
        p.paragraph_format.left_indent = PAGE_INDENT

    def run(text=None, fld=None, instr=None):
        r = p.add_run(text or "")
        r.font.size = Pt(14)
        set_fonts(r._r, SONGTI)
        if fld:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), fld)
            r._r.append(el)
        if instr:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = instr
            r._r.append(el)

    run("— ")
    run(fld="begin")
    run(instr=" PAGE ")
    run(fld="separate")
    run("1")
    run(fld="end")
    run(" —")


def build(path: Path) -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(25)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), "579")

    normal = doc.styles["Normal"]
    style_text(normal, FANGSONG, 16)
    style_para(normal, indent=True)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)

    title = paragraph_style(doc, "rtTitle")
    style_text(title, XIAOBIAOSONG, 22)
    style_para(title, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36), after=16)

    for level, font, bold in ((1, HEITI, False), (2, KAITI, False), (3, FANGSONG, True), (4, FANGSONG, False)):
        h = doc.styles[f"Heading {level}"]
        style_text(h, font, 16, bold)
        style_para(h, indent=True)
        h.paragraph_format.keep_with_next = True

    for name, font, size, bold, align, line in (
        (TEXT_STYLE, FANGSONG, 12, False, WD_ALIGN_PARAGRAPH.LEFT, 1.0),
        (CAPTION_STYLE, HEITI, 14, True, WD_ALIGN_PARAGRAPH.CENTER, LINE),
        (UNIT_STYLE, FANGSONG, 10.5, False, WD_ALIGN_PARAGRAPH.RIGHT, 1.0),
        ("rtSignature", FANGSONG, 16, False, WD_ALIGN_PARAGRAPH.RIGHT, LINE),
        ("rtAnnexLabel", HEITI, 16, False, WD_ALIGN_PARAGRAPH.LEFT, LINE),
        ("rtAnnexTitle", XIAOBIAOSONG, 18, False, WD_ALIGN_PARAGRAPH.CENTER, Pt(32)),
    ):
        s = paragraph_style(doc, name)
        style_text(s, font, size, bold)
        style_para(s, indent=False, align=align, line=line)
    head = paragraph_style(doc, HEAD_STYLE, TEXT_STYLE)  # font and size from the table text
    head.font.bold = True
    head.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table_style(doc)
    for name in (TEXT_STYLE, CAPTION_STYLE, UNIT_STYLE, "rtTitle", "rtAnnexTitle"):
        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        doc.styles[name].element.get_or_add_pPr().insert(0, snap)
    doc.styles["rtSignature"].paragraph_format.right_indent = Pt(64)
    doc.styles["rtSignature"].paragraph_format.keep_with_next = True  # the date never alone on a page
    toc_styles(doc)
    doc.styles["rtAnnexTitle"].paragraph_format.space_after = Pt(12)

    doc.core_properties.title = "{{ doc.title }}"
    doc.core_properties.author = "reporttool"
    doc.core_properties.comments = "reporttool"

    tag(doc, "{%p if doc.title %}")
    tag(doc, "{{ doc.title_text }}", "rtTitle", XIAOBIAOSONG)
    tag(doc, "{%p endif %}")

    tag(doc, "{%p for b in doc.blocks %}")
    for level in (1, 2, 3, 4):
        cond = f"b.level == {level}" if level < 4 else "b.level >= 4"
        tag(doc, f"{{%p {'if' if level == 1 else 'elif'} b.kind == 'heading' and {cond} %}}")
        font = {1: HEITI, 2: KAITI}.get(level, FANGSONG)
        heading = tag(doc, "{{ b.text }}", f"Heading {level}", font)
        heading.runs[0]._r.addprevious(heading.add_run("{{r b | docx_anchor }}")._r)  # its bookmark, for the TOC
    tag(doc, "{%p elif b.kind == 'toc' %}")
    tag(doc, "{{ b.title }}", "TOC Heading", HEITI)
    tag(doc, "{{p b | docx_toc }}")
    tag(doc, "{%p elif b.kind == 'paragraph' %}")
    tag(doc, "{{ b.text }}", "Normal", FANGSONG)
    tag(doc, "{%p elif b.kind == 'table' %}")
    tag(doc, "{{p b | docx_table }}")
    tag(doc, "{%p elif b.kind == 'pagebreak' %}")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    tag(doc, "{%p elif b.kind == 'section' %}")
    tag(doc, "{{p b | docx_section }}")
    tag(doc, "{%p elif b.kind == 'annex' %}")
    tag(doc, "{{ b.label }}", "rtAnnexLabel", HEITI)
    tag(doc, "{{ b.title }}", "rtAnnexTitle", XIAOBIAOSONG)
    tag(doc, "{%p elif b.kind == 'signature' %}")
    doc.add_paragraph()
    tag(doc, "{{ b.signer }}", "rtSignature", FANGSONG)
    tag(doc, "{%p if b.signed_on %}")
    tag(doc, "{{ b.signed_on | cndate }}", "rtSignature", FANGSONG)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")

    doc.settings.odd_and_even_pages_header_footer = True
    page_number_footer(section.footer, "right")            # odd pages
    page_number_footer(section.even_page_footer, "left")   # even pages
    doc.save(path)
    finish_package(path)


def _font_table() -> str:
    fonts = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/><w:family w:val="roman"/>'
        f'<w:pitch w:val="variable"/></w:font>' for name, alt in FONT_TABLE)
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f'{fonts}<w:font w:name="Times New Roman"><w:charset w:val="00"/><w:family w:val="roman"/>'
            '<w:pitch w:val="variable"/></w:font></w:fonts>')


def finish_package(path: Path) -> None:
    """What python-docx cannot write: properties filled at render time, reporttool as the application, our fonts."""
    with zipfile.ZipFile(path) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
    core = parts["docProps/core.xml"].decode()
    core = re.sub(r"<dc:creator>.*?</dc:creator>", "<dc:creator>{{ doc.author }}</dc:creator>", core)
    core = re.sub(r"<cp:lastModifiedBy\s*/>|<cp:lastModifiedBy>.*?</cp:lastModifiedBy>",
                  "<cp:lastModifiedBy>reporttool</cp:lastModifiedBy>", core)
    core = dated(core)
    app = parts["docProps/app.xml"].decode()
    app = re.sub(r"<Application>.*?</Application>", "<Application>reporttool</Application>", app)
    app = re.sub(r"\s*<(Template|AppVersion)>.*?</\1>", "", app)
    parts.update({"docProps/core.xml": core.encode(), "docProps/app.xml": app.encode(),
                  "word/fontTable.xml": _font_table().encode()})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "templates" / "report.docx"
    build(target)
    print(f"wrote {target}")
