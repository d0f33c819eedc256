"""The tables' look lives in report.docx: editing its styles changes every table, in Word and in LibreOffice."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from typer.testing import CliRunner

import reporttool as rt
from reporttool.cli import app
from reporttool.formats.docx_look import FONT_TABLE, HEAD_STYLE, TABLE_STYLE, TABLE_STYLES, TEXT_STYLE
from reporttool.templates import BUILTIN, TemplateSet
from lxml import etree

from tests.conftest import DEPT_EXAMPLE, EXAMPLES, ROOT
from tests.docx_reader import read_docx
from tests.conftest import PDFTOTEXT, needs_office
from tests.test_office import convert

runner = CliRunner(env={"COLUMNS": "300"})
DEMO_EXAMPLE = next(p for p in EXAMPLES if p.name.startswith("demo-"))  # the local 自评表 layout, 10.5 pt
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
EDITED_PT, EDITED_RULE = 20, 24  # table text 20 pt, rules 3 pt (eighths of a point)


def test_report_docx_is_what_the_tool_builds(tmp_path):
    """templates/report.docx is committed: its styles, body and footers are what tools/make_docx_template.py makes."""
    spec = importlib.util.spec_from_file_location("make_docx_template", ROOT / "tools" / "make_docx_template.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.build(tmp_path / "report.docx")

    def ours(path: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(path) as z:
            styles = etree.fromstring(z.read("word/styles.xml"))
            parts = {f"style {s.get(W + 'styleId')}": s for s in styles.iter(f"{W}style")
                     if re.match(r"rt|Normal$|Heading\d$", s.get(W + "styleId", ""))}
            for name in ("word/document.xml", "word/footer1.xml", "word/footer2.xml"):
                parts[name] = etree.fromstring(z.read(name))
            return {name: etree.tostring(el, method="c14n", exclusive=True) for name, el in parts.items()}

    built, committed = ours(tmp_path / "report.docx"), ours(BUILTIN / "report.docx")
    assert len(built) > 10 and built == committed, "run python tools/make_docx_template.py and commit templates/report.docx"


def edited_template(folder: Path) -> Path:
    """A template folder whose report.docx has bigger table text and thicker table rules, edited as Word would."""
    folder.mkdir()
    shutil.copy(BUILTIN / "report.docx", folder / "report.docx")
    doc = Document(folder / "report.docx")
    doc.styles[TEXT_STYLE].font.size = Pt(EDITED_PT)
    for side in doc.styles[TABLE_STYLE].element.find(qn("w:tblPr")).find(qn("w:tblBorders")):
        side.set(qn("w:sz"), str(EDITED_RULE))
    doc.save(folder / "report.docx")
    return folder


def render_with(template: Path | None, example: Path, out: Path) -> Path:
    args = ["render", str(example), "-o", str(out), "-f", "docx"] + (["--template", str(template)] if template else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out / f"{example.stem}.docx"


def cell_runs(raw: bytes) -> list:
    return read_docx(raw).doc.element.body.findall(f".//{W}tc//{W}r")


def test_cells_name_styles_and_carry_only_data(tmp_path):
    """Rules, fonts and sizes come from the template's styles; bold totals and a form's own size are data."""
    out = render_with(edited_template(tmp_path / "tpl"), DEMO_EXAMPLE, tmp_path / "out")
    docx = read_docx(out.read_bytes())
    body = docx.doc.element.body
    assert not body.findall(f".//{W}tblBorders") and not body.findall(f".//{W}tcBorders")
    assert not body.findall(f".//{W}tbl//{W}rFonts")
    tables = body.findall(f".//{W}tbl")
    assert len(tables) >= 4 and all(t.find(f"{W}tblPr/{W}tblStyle").get(f"{W}val") == TABLE_STYLE for t in tables)
    for table in tables:
        sizes = {sz.get(f"{W}val") for sz in table.iter(f"{W}sz")}
        # the 自评表 sets its own size (its layout's, local: 10.5 pt, or smaller to keep to one page);
        # every other table (portrait, none is landscape here) takes the style's
        if "项目名称" in "".join(table.itertext()):
            assert len(sizes) == 1 and 16 <= int(sizes.pop()) <= 21
        else:
            assert sizes == set(), sizes
    styles = {p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") for t in tables for p in t.iter(f"{W}p")}
    assert styles == {TEXT_STYLE, HEAD_STYLE}
    bold_totals = [r for r in cell_runs(out.read_bytes()) if r.find(f"{W}rPr/{W}b") is not None]
    assert "合计" in {"".join(t.text for t in r.iter(f"{W}t")) for r in bold_totals}
    # the output's styles are the edited template's
    assert docx.doc.styles[TEXT_STYLE].font.size.pt == EDITED_PT
    rules = docx.doc.styles[TABLE_STYLE].element.find(qn("w:tblPr")).find(qn("w:tblBorders"))
    assert {side.get(qn("w:sz")) for side in rules} == {str(EDITED_RULE)} and len(rules) == 6
    builtin = read_docx(rt.render_bytes(rt.load(DEMO_EXAMPLE), ["docx"])["docx"])
    assert [docx.table_rows(i) for i in range(len(tables))] == [builtin.table_rows(i) for i in range(len(tables))]


def test_a_template_without_table_styles_gets_the_built_in_ones(tmp_path):
    """A template exported before the tables had styles still draws ruled tables in the official look."""
    folder = tmp_path / "old"
    folder.mkdir()
    with zipfile.ZipFile(BUILTIN / "report.docx") as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    styles = parts["word/styles.xml"].decode()
    for style_id in (TABLE_STYLE, HEAD_STYLE):
        styles, n = re.subn(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', "", styles, flags=re.S)
        assert n == 1
    parts["word/styles.xml"] = styles.encode()
    write_package(folder / "report.docx", parts)
    docx = read_docx(render_with(folder, DEPT_EXAMPLE, tmp_path / "out").read_bytes())
    assert docx.doc.styles[TABLE_STYLE].element.find(qn("w:tblPr")).find(qn("w:tblBorders")) is not None
    assert docx.doc.styles[HEAD_STYLE].base_style.name == TEXT_STYLE and docx.doc.styles[HEAD_STYLE].font.bold


def write_package(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def as_libreoffice_saves(parts: dict[str, bytes]) -> dict[str, bytes]:
    """What a LibreOffice save does to our template (seen with LibreOffice 7.4), without LibreOffice."""
    parts = dict(parts)
    for name in [n for n in parts if re.fullmatch(r"word/(document|footer\d+)\.xml", n)]:
        xml = parts[name].decode()
        xml = re.sub(r"\{%.*?%\}", lambda m: m.group(0).replace("'", "&apos;").replace(">", "&gt;"), xml)
        parts[name] = re.sub(r'w:val="rt([A-Z])', r'w:val="Rt\1', xml).encode()  # style ids capitalised
    styles = parts["word/styles.xml"].decode()
    styles = re.sub(r'w:styleId="rt(?!Table")', 'w:styleId="Rt', styles)
    styles = re.sub(r'<w:basedOn w:val="rtTableText"/>', '<w:basedOn w:val="RtTableText"/>', styles)
    parts["word/styles.xml"] = re.sub(r'(w:styleId="rtTable".*?)<w:jc w:val="center"/>', r"\1", styles, flags=re.S).encode()
    parts["word/fontTable.xml"] = re.sub(rb"<w:altName [^>]*/>", b"", parts["word/fontTable.xml"])
    parts["docProps/core.xml"] = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", parts["docProps/core.xml"])
    return parts


def check_same_report(raw: bytes, builtin: bytes) -> None:
    """Headings, tables and figures as the built-in template renders them; every style named exists."""
    docx, expected = read_docx(raw), read_docx(builtin)
    assert docx.headings == expected.headings and len(docx.headings) > 10
    assert [docx.table_rows(i) for i in range(len(docx.doc.tables))] == \
        [expected.table_rows(i) for i in range(len(expected.doc.tables))]
    assert docx.text == expected.text
    ids = {s.style_id for s in docx.doc.styles}
    names = [s.name for s in docx.doc.styles]
    assert all(names.count(name) == 1 for name, _ in TABLE_STYLES)  # the template's own, none added beside them
    named = set(re.findall(r'<w:(?:pStyle|tblStyle) w:val="([^"]+)"', docx.xml()))
    assert named <= ids and {TABLE_STYLE} <= named
    assert all(t.find(f"{W}tblPr/{W}jc").get(f"{W}val") == "center" for t in docx.doc.element.body.iter(f"{W}tbl"))
    footers = [docx.xml(n) for n in ("word/footer1.xml", "word/footer2.xml")]
    assert sorted(re.findall(r'<w:jc w:val="(\w+)"/>', "".join(footers))) == ["left", "right"]
    fonts = docx.xml("word/fontTable.xml")
    assert all(re.search(rf'w:name="{name}"><w:altName w:val="{alt}"/>', fonts) for name, alt in FONT_TABLE)
    assert docx.doc.core_properties.created is not None


def test_a_template_as_libreoffice_saves_it_lints_and_renders_the_report(tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    with zipfile.ZipFile(BUILTIN / "report.docx") as z:
        write_package(folder / "report.docx", as_libreoffice_saves({i.filename: z.read(i) for i in z.infolist()}))
    assert "&apos;" in zipfile.ZipFile(folder / "report.docx").read("word/document.xml").decode()
    result = runner.invoke(app, ["templates", "lint", str(folder)])
    assert result.exit_code == 0, result.output
    report = rt.load(DEPT_EXAMPLE)
    check_same_report(rt.render_bytes(report, ["docx"], templates=TemplateSet(folder))["docx"],
                      rt.render_bytes(report, ["docx"])["docx"])


@pytest.mark.parametrize("change, message", [
    (lambda xml: xml.replace(b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                             b"http://purl.oclc.org/ooxml/wordprocessingml/main"), "Strict Open XML"),
    (lambda xml: xml.replace(b"docx_table", b"upper"), "没有输出表格的 {{p b | docx_table }} 段落"),
])
def test_what_cannot_work_is_named_by_lint(tmp_path, change, message):
    folder = tmp_path / "bad"
    folder.mkdir()
    with zipfile.ZipFile(BUILTIN / "report.docx") as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["word/document.xml"] = change(parts["word/document.xml"])
    write_package(folder / "report.docx", parts)
    result = runner.invoke(app, ["templates", "lint", str(folder)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if message in line]) == 1


# --- the same in LibreOffice ------------------------------------------------------------------------

def word_heights(pdf: Path, word: str) -> list[tuple[int, float]]:
    """(page, height in pt) of each occurrence of a word in the PDF; pdftotext boxes are 1.3 × the type size."""
    xml = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60).stdout
    found = []
    for page, text in enumerate(xml.split("<page ")[1:], 1):
        for m in re.finditer(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', text):
            if m.group(3) == word:
                found.append((page, float(m.group(2)) - float(m.group(1))))
    return found


def thickest_rule(pdf: Path, page: int, dpi: int = 144) -> float:
    """The thickest horizontal line (in pt) across at least a third of the page: a table's rules."""
    out = pdf.parent / f"{pdf.stem}-rule"
    subprocess.run([shutil.which("pdftoppm"), "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf), str(out)],
                   check=True, timeout=60)
    data = next(pdf.parent.glob(f"{out.name}*.pgm")).read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+\d+\s", data)
    width, height, pixels = int(header.group(1)), int(header.group(2)), data[header.end():]
    best = run = 0
    for y in range(height):
        row = bytes(1 if b < 128 else 0 for b in pixels[y * width:(y + 1) * width])
        run = run + 1 if max(map(len, row.split(b"\0"))) > width // 3 else 0
        best = max(best, run)
    return best * 72 / dpi


@needs_office
def test_the_edited_style_shows_in_libreoffice(tmp_path):
    edited = render_with(edited_template(tmp_path / "tpl"), DEPT_EXAMPLE, tmp_path / "edited")
    builtin = render_with(None, DEPT_EXAMPLE, tmp_path / "builtin")
    for docx in (edited, builtin):
        result = convert([docx], docx.parent)
        assert result.returncode == 0, result.stderr
    # 78.63% is printed only in the spending table's cells
    (page, size), = word_heights(tmp_path / "edited" / f"{DEPT_EXAMPLE.stem}.pdf", "78.63%")
    (builtin_page, builtin_size), = word_heights(tmp_path / "builtin" / f"{DEPT_EXAMPLE.stem}.pdf", "78.63%")
    assert round(builtin_size / 1.3) == 12 and round(size / 1.3) == EDITED_PT
    assert thickest_rule(tmp_path / "builtin" / f"{DEPT_EXAMPLE.stem}.pdf", builtin_page) <= 1
    assert thickest_rule(tmp_path / "edited" / f"{DEPT_EXAMPLE.stem}.pdf", page) >= EDITED_RULE / 8 - 0.5


@needs_office
def test_a_template_saved_by_libreoffice_lints_and_renders_the_report(tmp_path):
    saved = tmp_path / "saved"
    result = convert([BUILTIN / "report.docx"], saved, 'docx:MS Word 2007 XML')
    assert result.returncode == 0, result.stderr
    shutil.rmtree(saved / "profile")
    document = zipfile.ZipFile(saved / "report.docx").read("word/document.xml").decode()
    assert "&apos;" in document  # what broke lint before
    result = runner.invoke(app, ["templates", "lint", str(saved)])
    assert result.exit_code == 0, result.output
    for example in EXAMPLES:
        out = render_with(saved, example, tmp_path / "out")
        check_same_report(out.read_bytes(), rt.render_bytes(rt.load(example), ["docx"])["docx"])
    # and LibreOffice opens what it renders, with the same pages as the built-in template gives
    built = render_with(None, DEPT_EXAMPLE, tmp_path / "builtin")
    for docx in (tmp_path / "out" / built.name, built):
        assert convert([docx], docx.parent).returncode == 0
    pages = [len(subprocess.run([PDFTOTEXT, str(d / f"{DEPT_EXAMPLE.stem}.pdf"), "-"], capture_output=True, text=True,
                                timeout=60).stdout.split("\f")) for d in (tmp_path / "out", tmp_path / "builtin")]
    assert pages[0] == pages[1]
