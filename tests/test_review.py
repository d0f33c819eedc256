"""`reporttool review`: received reports (Word, .doc, PDF, 自评表, Markdown, text) read and checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from typer.testing import CliRunner

import reporttool as rt
from reporttool.cli import app
from reporttool.kinds import KIND_TITLES
from reporttool.received import read_docx
from reporttool.review import review_file
from reporttool.templates import template_set
from tests.conftest import EXAMPLES, PROJECT_EXAMPLE
from tests.conftest import needs_office
from tests.test_office import convert

runner = CliRunner(env={"COLUMNS": "300"})

# A hand-typed 项目支出绩效自评报告: headings as plain paragraphs, a score table with merged cells.
HEAD = ["一级指标", "分值", "二级指标", "分值", "三级指标", "分值", "得分"]
ROWS = [  # 决策 states 20 but its children reach 35 (15 more); 项目立项 states 6, its leaves 5
    ["决策", "20", "项目立项", "6", "立项依据充分性", "3", "3"],   # the 一级 weights state 85 in all
    ["决策", "20", "项目立项", "6", "立项程序规范性", "2", "2"],
    ["决策", "20", "资金投入", "29", "预算编制科学性", "29", "28"],
    ["过程", "20", "资金管理", "20", "资金到位率", "10", "9"],
    ["过程", "20", "资金管理", "20", "预算执行率", "10", "11"],   # 得分 11 > 分值 10
    ["产出", "30", "产出数量", "30", "服务人次", "30", "30"],
    ["效益", "15", "社会效益", "15", "服务对象满意度", "15", "14"],
]
PARAGRAPHS = [
    "某区民政局2024年度社区养老服务项目支出绩效自评报告",
    "一、项目概况",
    "（一）项目基本情况",
    "项目年初预算100.00万元，全年预算120.00万元，全年执行108.00万元，预算执行率95.00%。",
    "全年执行108.00万元，较上年90.00万元增长16.67%。",
    "其中人员经费27.00万元，占全年执行108.00万元的30.00%。",  # 25.00%
    "二、项目绩效目标",
    "三、绩效目标实现情况",
    "经评价，本项目总得分97分，评价等级为“良”。",
    "四、存在的问题及原因分析",
    "五、下一步改进措施",
]
# 缺：自评结论 / 其他 sections the outline requires; 执行率 108÷120 = 90.00%; 较上年 18÷90 = 20.00% (16.67% is 18÷108);
# 占比 27÷108 = 25.00%; 总分: the table's leaves sum to 97, 97 is 优 not 良.


def received_docx(path: Path) -> Path:
    doc = Document()
    for text in PARAGRAPHS[:8]:
        doc.add_paragraph(text)
    table = doc.add_table(rows=1 + len(ROWS) + 1, cols=len(HEAD))
    for c, text in enumerate(HEAD):
        table.cell(0, c).text = text
    for r, row in enumerate(ROWS, 1):
        for c, text in enumerate(row):
            if c in (0, 1, 2, 3) and r > 1 and ROWS[r - 2][c] == text and ROWS[r - 2][0] == row[0]:
                continue  # merged below: the text is written once, in the merge's first cell
            table.cell(r, c).text = text
    for c in (0, 1, 2, 3):  # merge equal runs down, as Word users do
        start = 1
        for r in range(2, len(ROWS) + 2):
            same = r <= len(ROWS) and ROWS[r - 1][c] == ROWS[start - 1][c] and ROWS[r - 1][0] == ROWS[start - 1][0]
            if not same:
                if r - 1 > start:
                    table.cell(start, c).merge(table.cell(r - 1, c))
                start = r
    last = len(ROWS) + 1
    table.cell(last, 0).merge(table.cell(last, 5))
    table.cell(last, 0).text = "合计"
    table.cell(last, 6).text = "97"
    for text in PARAGRAPHS[8:]:
        doc.add_paragraph(text)
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def outlines():
    templates = template_set()
    return {k: templates.outline(k) for k in KIND_TITLES}


def by_rule(review) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in review.problems:
        out.setdefault(p.rule, []).append(p)
    return out


def test_merged_cells_are_resolved_to_a_grid(tmp_path):
    doc = read_docx(received_docx(tmp_path / "r.docx"))
    rows = doc.tables[0].rows
    assert rows[2][:4] == ["决策", "20", "项目立项", "6"]  # the merged cells' text in every cell they cover
    assert rows[-1][:6] == ["合计"] * 6 and rows[-1][6] == "97"


def test_each_error_class_is_found_with_its_place(tmp_path, outlines):
    review = review_file(received_docx(tmp_path / "r.docx"), outlines)
    found = by_rule(review)
    assert review.kind == "project_self" and review.score == 97
    weight = {p.title: p for p in found["tree.weight_sum"]}
    assert weight["一级指标「决策」·分值"].message == "所填 20 与下级指标所填分值合计 35 不符（相差 15）"
    assert weight["一级指标「决策」·分值"].place == "表1第2行第2列"
    assert weight["二级指标「项目立项」·分值"].message == "所填 6 与三级指标分值合计 5 不符（相差 1）"
    assert weight["二级指标「项目立项」·分值"].place == "表1第2行第4列"
    over = found["tree.score_range"][0]
    assert over.message == "得分 11.00 超过分值 10" and over.place == "表1第6行第7列"
    [total] = found["tree.total_weight"]
    assert (total.message, total.place) == ("指标分值合计为 85，应为 100", "表1第1行")
    grade = found["total.grade"][0]
    assert (grade.stated, grade.computed, grade.place) == ("良", "优", "第9段")
    rate = found["narrative.rate"][0]
    assert "按全年执行÷全年预算（108.00万元÷120.00万元）计算的 90.00% 不符" in rate.message and rate.place == "第4段"
    change = found["review.change"][0]
    assert change.computed == "20.00%" and "以本年数为基数" in change.message and change.place == "第5段"
    share = found["review.share"][0]
    assert share.computed == "25.00%" and share.place == "第6段"
    assert "缺少必备章节「综合评价情况及评价结论」" in {p.message for p in found["outline.missing"]}
    assert found["outline.level"][0].place == "第7段"
    assert review.errors == 12


def test_a_clean_report_gives_no_finding(tmp_path, outlines):
    for example in EXAMPLES:
        paths = rt.render(rt.load(example), ["docx", "md"], tmp_path)
        for path in paths:
            review = review_file(Path(path), outlines)
            assert review.problems == [], (path, [p.format() for p in review.problems])
            assert review.score is not None and review.grade


def test_text_statements_parent_and_children(tmp_path, outlines):
    text = tmp_path / "r.txt"
    text.write_text("某部门2024年度部门整体支出重点绩效评价报告\n"
                    "一、部门基本情况\n(一)过程情况分析\n"
                    "管理制度执行下设3个三级指标,指标权重11分,实际得分8.76分,得分率79.64%。\n"
                    "1)管理制度健全性指标分值3分,实际得分2.60分,得分率86.67%。\n"
                    "2)资金使用合规性指标分值3分,实际得分3分,得分率100%。\n"
                    "3)采购规范性指标分值2分,实际得分1.76分,得分率80%。\n", encoding="utf-8")
    found = by_rule(review_file(text, outlines))
    parent = found["tree.weight_sum"][0]
    assert "「管理制度执行」分值 11 与其下所列 3 个指标（管理制度健全性、资金使用合规性、采购规范性）分值合计 8 不符" in parent.message
    assert parent.place == "第4行"
    assert found["review.score_rate"][0].computed == "88.00%"


def test_the_form_workbook_is_checked_by_the_check_rules(tmp_path, outlines):
    report = rt.load(PROJECT_EXAMPLE)
    form = tmp_path / "自评表.xlsx"
    form.write_bytes(rt.annex_bytes(report, ["xlsx"], ["self_eval_form"])["xlsx"])
    review = review_file(form, outlines)
    assert (review.kind, review.score, review.grade, review.errors) == ("project_self", 98, "优", 0)


def test_a_folder_with_a_corrupt_file_still_reviews_the_others(tmp_path):
    folder = tmp_path / "收到"
    (folder / "二科").mkdir(parents=True)
    received_docx(folder / "二科" / "有误.docx")
    rt.render(rt.load(PROJECT_EXAMPLE), ["docx"], folder)
    (folder / "损坏.docx").write_bytes(b"PK\x03\x04 not really")
    (folder / "说明.pdf").write_bytes(b"%PDF-1.4 broken")
    summary = tmp_path / "汇总.xlsx"
    result = runner.invoke(app, ["review", str(folder), "--xlsx", str(summary), "-j", "2"])
    assert result.exit_code == 1, result.output
    assert "xishan-2024-project-self.docx：项目支出绩效自评报告，总分 98.00，等级 优，0 个错误，0 个警告" in result.output
    assert "损坏.docx：类型未知，1 个错误" in result.output
    wb = load_workbook(summary)
    rows = list(wb["汇总"].iter_rows(values_only=True))
    assert rows[0][:6] == ("文件", "报告类型", "总分", "等级", "错误", "警告")
    files = {Path(r[0]).name: r for r in rows[1:]}
    assert set(files) == {"有误.docx", "xishan-2024-project-self.docx", "损坏.docx", "说明.pdf"}
    assert files["xishan-2024-project-self.docx"][2:6] == (98, "优", 0, 0)
    findings = list(wb["问题清单"].iter_rows(values_only=True))
    places = {(Path(r[0]).name, r[1], r[3]) for r in findings[1:]}
    assert ("有误.docx", "表1第6行第7列", "tree.score_range") in places
    result = runner.invoke(app, ["review", str(folder / "二科"), "--json"])
    data = json.loads(result.output)
    [one] = data["files"]
    assert one["score"] == "97" and any(f["place"] == "表1第2行第2列" for f in one["findings"])


@needs_office
def test_a_pdf_and_a_doc_are_reviewed_with_their_pages(tmp_path, outlines):
    source = received_docx(tmp_path / "有误.docx")
    out = tmp_path / "out"
    for to in ("pdf", "doc"):
        assert convert([source], out, to).returncode == 0
    pdf = review_file(out / "有误.pdf", outlines)
    found = by_rule(pdf)
    assert found["tree.score_range"][0].place.endswith("（第1页）")
    assert "（相差 15）" in {p.title: p for p in found["tree.weight_sum"]}["一级指标「决策」·分值"].message
    assert found["total.grade"][0].place.startswith("第1页")
    doc = review_file(out / "有误.doc", outlines)
    assert {p.rule for p in doc.problems} >= {"tree.score_range", "tree.weight_sum", "total.grade", "narrative.rate"}


@needs_office
def test_our_reports_as_pdf_review_with_no_error(tmp_path, outlines):
    """Vertically centred merged cells, narrow columns one space apart, tables going on past a page,
    justified lines and a 目录 page: every example laid out by LibreOffice reads back as its figures."""
    sources = [Path(rt.render(rt.load(example), ["docx"], tmp_path)[0]) for example in EXAMPLES]
    out = tmp_path / "pdf"
    assert convert(sources, out, "pdf").returncode == 0
    for example, source in zip(EXAMPLES, sources):
        review = review_file(out / f"{source.stem}.pdf", outlines)
        errors = [p.format() for p in review.problems if p.severity == "error"]
        assert errors == [], (source.name, errors)
        report = rt.load(example)
        assert review.kind == report.kind
        assert review.score == rt.view(report).total_score.value.quantize(review.score)
        if report.kind == "dept_self":  # its score table (centred merged cells, 小计 rows, two pages) read in full
            assert not [p for p in review.problems if p.rule == "review.layout"], source.name
