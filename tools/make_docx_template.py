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
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips

FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
LINE = Pt(28.95)  # 22 lines in the 225 mm text block
PAGE_INDENT_MARK = 281


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
    ind = OxmlElement("w:ind")
    if indent:
        ind.set(qn("w:firstLineChars"), "200")
        ind.set(qn("w:firstLine"), "640")
    else:
        ind.set(qn("w:firstLine"), "0")
    ppr.append(ind)


def paragraph_style(doc, name: str, base: str = "Normal"):
    try:
        return doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles[base]
        return style


def tag(doc, text: str, style: str = "Normal", font: str | None = None):
    """A paragraph holding a Jinja tag; the run carries East Asian fonts itself."""
    p = doc.add_paragraph(style=style)
    run = p.add_run(text)
    if font:
        set_fonts(run._r, font)
    return p


def page_number_footer(paragraph, side: str) -> None:
    """— N — in 4号 宋体, one character in from the page's outer edge (GB/T 9704); ``side`` is left or right.

    The alignment is a tag, filled at rendering: ``settings.page_numbers: 居中`` centres both.
    """
    p = paragraph
    p.paragraph_format.first_line_indent = Pt(0)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if side == "right" else WD_ALIGN_PARAGRAPH.LEFT
    # one 4号 character in; 281 twips marks the attribute finish_package turns into a tag
    if side == "right":
        p.paragraph_format.right_indent = Twips(PAGE_INDENT_MARK)
    else:
        p.paragraph_format.left_indent = Twips(PAGE_INDENT_MARK)

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
        ("rtTableText", FANGSONG, 12, False, WD_ALIGN_PARAGRAPH.LEFT, 1.0),
        ("rtTableCaption", HEITI, 14, False, WD_ALIGN_PARAGRAPH.CENTER, LINE),
        ("rtTableUnit", FANGSONG, 10.5, False, WD_ALIGN_PARAGRAPH.RIGHT, 1.0),
        ("rtSignature", FANGSONG, 16, False, WD_ALIGN_PARAGRAPH.RIGHT, LINE),
        ("rtAnnexLabel", HEITI, 16, False, WD_ALIGN_PARAGRAPH.LEFT, LINE),
        ("rtAnnexTitle", XIAOBIAOSONG, 18, False, WD_ALIGN_PARAGRAPH.CENTER, Pt(32)),
    ):
        s = paragraph_style(doc, name)
        style_text(s, font, size, bold)
        style_para(s, indent=False, align=align, line=line)
    for name in ("rtTableText", "rtTableCaption", "rtTableUnit", "rtTitle", "rtAnnexTitle"):
        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        doc.styles[name].element.get_or_add_pPr().insert(0, snap)
    doc.styles["rtSignature"].paragraph_format.right_indent = Pt(64)
    doc.styles["rtAnnexTitle"].paragraph_format.space_after = Pt(12)

    doc.core_properties.title = "{{ doc.title }}"
    doc.core_properties.author = "reporttool"
    doc.core_properties.comments = "reporttool"

    tag(doc, "{%p if doc.title %}")
    tag(doc, "{{ doc.title }}", "rtTitle", XIAOBIAOSONG)
    tag(doc, "{%p endif %}")

    tag(doc, "{%p for b in doc.blocks %}")
    for level in (1, 2, 3, 4):
        cond = f"b.level == {level}" if level < 4 else "b.level >= 4"
        tag(doc, f"{{%p {'if' if level == 1 else 'elif'} b.kind == 'heading' and {cond} %}}")
        font = {1: HEITI, 2: KAITI}.get(level, FANGSONG)
        tag(doc, "{{ b.text }}", f"Heading {level}", font)
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
    page_number_footer(section.footer.paragraphs[0], "right")            # odd pages
    page_number_footer(section.even_page_footer.paragraphs[0], "left")   # even pages
    doc.save(path)
    finish_package(path)


# The Chinese fonts the styles name, each with the face Word or WPS uses where the official font is missing.
FONT_TABLE = ((FANGSONG, "仿宋"), (KAITI, "楷体"), (XIAOBIAOSONG, "宋体"), (HEITI, "SimHei"), (SONGTI, "SimSun"))


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
    core = re.sub(r"(<dcterms:(created|modified) [^>]*>)[^<]*", r"\1{{ doc.created }}", core)
    app = parts["docProps/app.xml"].decode()
    app = re.sub(r"<Application>.*?</Application>", "<Application>reporttool</Application>", app)
    app = re.sub(r"\s*<(Template|AppVersion)>.*?</\1>", "", app)
    for name in [n for n in parts if re.fullmatch(r"word/footer\d*\.xml", n)]:
        xml = parts[name].decode()
        for side in ("left", "right"):
            xml = xml.replace(f'<w:jc w:val="{side}"/>', f"<w:jc w:val=\"{{{{ 'center' if doc.page_numbers == '居中' else '{side}' }}}}\"/>")
        xml = xml.replace(f'"{PAGE_INDENT_MARK}"', "\"{{ 0 if doc.page_numbers == '居中' else 280 }}\"")
        parts[name] = xml.encode()
    parts.update({"docProps/core.xml": core.encode(), "docProps/app.xml": app.encode(),
                  "word/fontTable.xml": _font_table().encode()})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "templates" / "report.docx"
    build(target)
    print(f"wrote {target}")
