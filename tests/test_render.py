"""Every example renders; the .docx is re-opened and its headings, figures and tables checked."""

from __future__ import annotations

from collections import Counter

import pytest

import reporttool as rt
from reporttool.document import title_lines
from reporttool.errors import TemplateProblem, ValidationFailed
from reporttool.templates import TemplateSet
from tests.conftest import visible, DEPT_EXAMPLE, EXAMPLES, PROJECT_EXAMPLE, example_data, figures, write
from tests.docx_reader import md_headings, read_docx


@pytest.fixture(scope="module")
def rendered():
    out = {}
    for path in EXAMPLES:
        report = rt.load(path)
        files = rt.render_bytes(report)
        out[path.name] = (report, read_docx(files["docx"]), files["md"].decode("utf-8"))
    return out


def test_examples_folder_is_covered(rendered):
    assert len(EXAMPLES) >= 2
    assert {rt.load(p).kind for p in EXAMPLES} == set(rt.REPORT_KINDS)  # an example of every kind


@pytest.mark.parametrize("example", [p.name for p in EXAMPLES])
def test_example_is_clean_and_word_and_markdown_agree(rendered, example):
    report, docx, md = rendered[example]
    assert [p for p in rt.validate(report) if p.severity == "error"] == []
    ir = [(h.level, h.text) for h in TemplateSet().build(report).headings()]
    assert docx.headings == ir
    assert md_headings(md) == ir
    title = rt.view(report).report_title
    assert docx.doc.paragraphs[0].text == "\n".join(title_lines(title))  # broken where the words part
    assert md.splitlines()[0] == f"# {title}"
    # The same figures, the same number of times, in both outputs.
    assert Counter(figures(docx.text)) == Counter(figures(md))
    assert docx.body_runs_without_east_asian_font() == []


def test_dept_docx_figures_and_tables(rendered):
    report, docx, md = rendered[DEPT_EXAMPLE.name]
    text = docx.text
    for figure in ("1,354.10万元", "1,444.16万元", "106.65%", "0.89万元", "93.89%", "94.50分", "785.70万元"):
        assert figure in text
    assert "评价等级为“优”" in text
    spending = docx.table_rows(0)
    assert spending[0] == ["项目", "预算数（年初预算数）", "决算数", "占决算支出比例", "执行率"]
    assert spending[-1] == ["合计", "1,354.10", "1,444.16", "100.00%", "106.65%"]
    assert spending[2] == ["其中：人员经费", "—", "473.54", "32.79%", "—"]
    scores = docx.table_rows(2)
    assert scores[1:] == [["部门决策", "35", "32.00", "91.43%"], ["部门管理", "20", "19.00", "95.00%"],
                          ["部门绩效", "45", "43.50", "96.67%"], ["合计", "100", "94.50", "94.50%"]]
    # The 合计 label spans the first two columns of the project goals table.
    assert docx.table_rows(1)[-1][:3] == ["合计", "合计", "90.00"]
    assert '<w:gridSpan w:val="2"/>' in docx.xml()
    signature = [p.text for p in docx.doc.paragraphs if p.style.name == "rtSignature"]
    assert signature == ["昆明市西山区政务服务管理局", "2025年8月4日"]


def test_project_docx_figures(rendered):
    report, docx, md = rendered[PROJECT_EXAMPLE.name]
    assert "98.00分" in docx.text and "优√ 良□ 中□ 差□" in docx.text
    assert docx.table_rows(0)[-1] == ["合计", "90.00", "90.00", "90.00", "90.00", "100.00%"]
    assert docx.table_rows(2)[1] == ["预算执行率", "10", "10.00", "100.00%"]


def test_official_page_setup(rendered):
    _, docx, _ = rendered[DEPT_EXAMPLE.name]
    section = docx.doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)] == [37, 35, 28, 26]
    footer = docx.xml("word/footer1.xml") if "word/footer1.xml" in docx.xml("[Content_Types].xml") else ""
    assert "PAGE" in footer and "— " in footer
    styles = docx.doc.styles
    assert styles["Normal"].font.size.pt == 16
    assert styles["rtTitle"].font.size.pt == 22
    assert styles["Heading 1"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "黑体"
    assert docx.doc.core_properties.title == "昆明市西山区政务服务管理局2024年部门整体支出绩效自评报告"


def _with_text(tmp_path, dept, text):
    dept["department"]["management"] = text
    return rt.load(write(tmp_path, dept))


def test_markup_characters_print_literally(tmp_path, dept):
    text = 'A&B<C>"D" 得分<60 </w:t><w:p>'
    files = rt.render_bytes(_with_text(tmp_path, dept, text))
    docx = read_docx(files["docx"])
    assert text in docx.text
    md = files["md"].decode()
    assert r'A&B\<C\>"D" 得分\<60 \</w:t\>\<w:p\>' in md


def test_control_characters_become_breaks_or_vanish(tmp_path, dept):
    files = rt.render_bytes(_with_text(tmp_path, dept, "第一行\x0b第二行\x00\x08\x1f\ufffe完"))
    docx = read_docx(files["docx"])
    para = next(p for p in docx.doc.paragraphs if p.text.startswith("第一行"))
    assert para.text == "第一行\n第二行完"
    assert "<w:br/>" in para._p.xml


def test_render_refuses_invalid_input_and_writes_nothing(tmp_path, dept):
    dept["stated_total_score"] = 50
    report = rt.load(write(tmp_path, dept))
    out = tmp_path / "out"
    with pytest.raises(ValidationFailed) as info:
        rt.render(report, outdir=out)
    assert "total.score" in [p.rule for p in info.value.problems]
    assert not out.exists()
    paths = rt.render(report, outdir=out, force=True)
    assert visible(out) == ["report.docx", "report.md"] == sorted(p.name for p in paths)


def test_templates_compile_once_and_render_many(tmp_path, dept):
    templates = TemplateSet()
    first = rt.render_bytes(rt.load(DEPT_EXAMPLE), templates=templates)
    compiled = templates.skin("docx"), templates.skin("md")
    dept["department"]["name"] = "另一个局"
    second = rt.render_bytes(rt.load(write(tmp_path, dept)), templates=templates)
    assert (templates.skin("docx"), templates.skin("md")) == compiled
    assert "另一个局" in read_docx(second["docx"]).text
    assert "另一个局" not in read_docx(first["docx"]).text


def test_missing_value_in_a_template_fails_loudly(tmp_path):
    from tests.test_outline import custom_root
    root, _ = custom_root(tmp_path)
    macros = root / "kinds" / "dept_self" / "sections.j2"
    text = macros.read_text(encoding="utf-8")
    macros.write_text(text.replace("{{ r.department.management }}", "{{ r.department.managment }}"), encoding="utf-8")
    with pytest.raises(TemplateProblem) as info:
        rt.render_bytes(rt.load(DEPT_EXAMPLE), templates=TemplateSet(root))
    assert "managment" in str(info.value)


def test_printing_none_fails_instead_of_writing_none(tmp_path, dept):
    from tests.test_outline import custom_root
    root, _ = custom_root(tmp_path)
    macros = root / "kinds" / "dept_self" / "sections.j2"
    text = macros.read_text(encoding="utf-8")
    macros.write_text(text.replace("{{ r.department.management }}", "{{ r.department.management }}{{ r.summary }}"),
                      encoding="utf-8")
    with pytest.raises(TemplateProblem) as info:
        rt.render_bytes(rt.load(DEPT_EXAMPLE), templates=TemplateSet(root))
    assert "模板输出了空值（None）" in str(info.value)


def test_written_files_get_ordinary_permissions(tmp_path):
    import os
    import stat
    old = os.umask(0o022)
    try:
        paths = rt.render(rt.load(PROJECT_EXAMPLE), outdir=tmp_path)
    finally:
        os.umask(old)
    assert [stat.S_IMODE(p.stat().st_mode) for p in paths] == [0o644, 0o644]
    assert visible(tmp_path) == sorted(p.name for p in paths)  # no temp files left


def test_rerender_keeps_hand_edits(tmp_path):
    report = rt.load(PROJECT_EXAMPLE)
    out = tmp_path / "out"
    docx, md = rt.render(report, outdir=out)
    rt.render(report, outdir=out)  # untouched since we wrote it: replaced quietly
    md.write_text(md.read_text(encoding="utf-8") + "\n手工补充的一段。\n", encoding="utf-8")
    edited = md.read_bytes()
    before = docx.read_bytes()
    with pytest.raises(rt.UserError) as info:
        rt.render(report, outdir=out)
    assert f"未覆盖：{md} 在上次生成之后被修改过" in str(info.value)
    assert md.read_bytes() == edited and docx.read_bytes() == before   # nothing written, not even the docx
    rt.render(report, outdir=out, force=True)
    assert (out / (md.name + ".bak")).read_bytes() == edited
    assert "手工补充" not in md.read_text(encoding="utf-8")


def test_foreign_file_is_not_overwritten(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "xishan-2024-project-self.docx").write_bytes(b"someone else's file")
    with pytest.raises(rt.UserError):
        rt.render(rt.load(PROJECT_EXAMPLE), outdir=out)
    assert (out / "xishan-2024-project-self.docx").read_bytes() == b"someone else's file"
    rt.render(rt.load(PROJECT_EXAMPLE), outdir=out, force=True)
    rt.render(rt.load(PROJECT_EXAMPLE), outdir=out, force=True)
    assert sorted(p.name for p in out.iterdir() if ".bak" in p.name) == ["xishan-2024-project-self.docx.bak"]


def test_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    import os
    report = rt.load(PROJECT_EXAMPLE)
    docx, md = rt.render(report, outdir=tmp_path)
    old = docx.read_bytes()

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        rt.render(report, outdir=tmp_path)
    assert docx.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_word_file_properties_and_fonts():
    import datetime
    import io
    import zipfile
    report = rt.load(DEPT_EXAMPLE)
    data = rt.render_bytes(report, ["docx"])["docx"]
    props = read_docx(data).doc.core_properties
    assert props.title == rt.view(report).report_title and props.author == "昆明市西山区政务服务管理局"
    assert props.last_modified_by == "reporttool"
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((props.created.replace(tzinfo=datetime.timezone.utc) - now).total_seconds()) < 600
    assert props.modified == props.created
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        app = z.read("docProps/app.xml").decode()
        fonts = z.read("word/fontTable.xml").decode()
    assert "<Application>reporttool</Application>" in app and "Macintosh" not in app
    # the official fonts, each with the face Word or WPS falls back to
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts
    assert '<w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/>' in fonts
    assert "ＭＳ" not in fonts


def test_page_numbers_outside_edge_or_centred(tmp_path):
    import io
    import re
    import zipfile

    def footers(data: bytes) -> dict[str, str]:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            settings = z.read("word/settings.xml").decode()
            assert "<w:evenAndOddHeaders/>" in settings
            return {n: re.search(r"<w:pPr>.*?</w:pPr>", z.read(n).decode()).group(0)
                    for n in z.namelist() if re.fullmatch(r"word/footer\d+\.xml", n)}

    report = rt.load(DEPT_EXAMPLE)
    ppr = sorted(footers(rt.render_bytes(report, ["docx"])["docx"]).values())
    # odd pages right, even pages left, one 4号 character (280 twips) in from the edge (GB/T 9704)
    assert [('w:right="280"' in p and '<w:jc w:val="right"/>' in p, 'w:left="280"' in p and '<w:jc w:val="left"/>' in p)
            for p in ppr] in ([(True, False), (False, True)], [(False, True), (True, False)])
    data = example_data(DEPT_EXAMPLE)
    data["settings"] = {"page_numbers": "居中"}
    ppr = footers(rt.render_bytes(rt.load(write(tmp_path, data)), ["docx"])["docx"]).values()
    assert all('<w:jc w:val="center"/>' in p and '="0"' in p for p in ppr) and len(ppr) == 2


def test_short_tables_and_totals_are_kept_together():
    from reporttool.formats.docx import table_xml
    from reporttool.tables import score_summary
    from reporttool.annexes import score_table
    r = rt.view(rt.load(DEPT_EXAMPLE))

    def kept(table) -> list[bool]:
        rows = str(table_xml(table)).split("<w:tr>")[1:]
        return ["<w:keepNext/>" in row for row in rows]

    short = score_summary(r)  # 5 rows: none may be left alone on a page
    assert kept(short) == [True] * (len(short.rows) - 1) + [False]
    assert "<w:keepNext/>" in str(table_xml(short)).split("<w:tbl>")[0]  # caption and unit stay with it
    long = score_table(r)      # the rows above each 小计 and the 合计 keep with them; others may break
    flags = kept(long)
    totals = [i for i, row in enumerate(long.rows) if row[0].text in ("小计", "合计") or
              any(c.text in ("小计", "合计") for c in row if not c.covered)]
    assert len(long.rows) > 8 and all(flags[i - 1] for i in totals) and not all(flags[:-1])


@pytest.mark.parametrize("title, lines", [
    ("昆明市西山区政务服务管理局2024年部门整体支出绩效自评报告", ["昆明市西山区政务服务管理局", "2024年部门整体支出绩效自评报告"]),
    ("红云街道办事处2023年部门整体支出重点绩效评价报告", ["红云街道办事处", "2023年部门整体支出重点绩效评价报告"]),
    ("青石县2021—2023年城乡供水保障项目重点绩效评价报告", ["青石县2021—2023年城乡供水保障", "项目重点绩效评价报告"]),
    ("西山区2024年部门整体支出绩效自评报告", ["西山区2024年部门整体支出绩效自评报告"]),
    ("西山区政务服务管理局\n2024年度绩效自评报告", ["西山区政务服务管理局", "2024年度绩效自评报告"]),  # the user's own break
])
def test_a_long_title_breaks_where_the_words_part(tmp_path, dept, title, lines):
    dept["title"] = title
    report = rt.load(write(tmp_path, dept))
    files = rt.render_bytes(report)
    docx = read_docx(files["docx"])
    assert docx.doc.paragraphs[0].text.split("\n") == lines
    assert files["md"].decode().splitlines()[0] == "# " + "".join(lines)  # one line in Markdown
