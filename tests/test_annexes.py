"""Annex tables: merges that follow the tree (docx XML and xlsx), figures equal to the model's, regenerated alone."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from lxml import etree
from openpyxl import load_workbook
from typer.testing import CliRunner

import reporttool as rt
from reporttool.cli import app
from tests.check_cases import full_dept, full_project
from tests.conftest import visible, DEPT_EXAMPLE, PROJECT_EXAMPLE, write
from tests.docx_reader import read_docx

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
runner = CliRunner(env={"COLUMNS": "300"})

# Every shape at once: a 一级 with two 二级 groups (one of them a single leaf), a 一级 whose children are
# leaves, and a 一级 that is itself a leaf.
SHAPES = [
    {"name": "决策", "children": [
        {"name": "目标", "children": [{"name": "甲", "weight": 10, "score": 9}, {"name": "乙", "weight": 10, "score": 10}]},
        {"name": "配置", "children": [{"name": "丙", "weight": 10, "score": 8}]}]},
    {"name": "管理", "children": [{"name": "丁", "weight": 20, "score": 20}, {"name": "戊", "weight": 10, "score": 7.5}]},
    {"name": "满意度", "weight": 40, "score": 38},
]
# (text, vMerge) per grid column of columns 一级 | 二级 | 三级 — "restart", "continue" or None; "span" = covered by gridSpan
EXPECTED = [
    [("决策", "restart"), ("目标", "restart"), ("甲", None)],
    [("", "continue"), ("", "continue"), ("乙", None)],
    [("", "continue"), ("配置", None), ("丙", None)],
    [("", "continue"), ("小计", None), ("", "span")],
    [("管理", "restart"), ("丁", None), ("", "span")],
    [("", "continue"), ("戊", None), ("", "span")],
    [("", "continue"), ("小计", None), ("", "span")],
    [("满意度", None), ("", "span"), ("", "span")],
    [("合计", None), ("", "span"), ("", "span")],
]
EXPECTED_XLSX = {"A5:A8", "B5:B6", "B8:C8", "A9:A11", "B9:C9", "B10:C10", "B11:C11", "A12:C12", "A13:C13"}


def shaped_report(tmp_path):
    data = full_dept()
    data["indicators"] = SHAPES
    data["conclusion"] = "评价结论。"
    for key in ("stated_total_score", "stated_grade"):
        data.pop(key, None)
    return rt.load(write(tmp_path, data))


def grid(tbl) -> list[list[tuple[str, str | None]]]:
    """The first three grid columns of each row: (text, vMerge state), gridSpan expanded."""
    rows = []
    for tr in tbl.iter(W + "tr"):
        cells = []
        for tc in tr.iter(W + "tc"):
            pr = tc.find(W + "tcPr")
            text = "".join(tc.itertext()).strip()
            vm = pr.find(W + "vMerge")
            state = None if vm is None else ("restart" if vm.get(W + "val") == "restart" else "continue")
            cells.append((text, state))
            span = pr.find(W + "gridSpan")
            cells += [("", "span")] * (int(span.get(W + "val")) - 1 if span is not None else 0)
        rows.append(cells[:3])
    return rows


def test_score_table_merges_follow_the_tree_in_docx(tmp_path):
    report = shaped_report(tmp_path)
    raw = rt.annex_bytes(report, ["docx"], ["score_table"])["docx"]
    root = etree.fromstring(read_docx(raw).xml().encode())
    tables = list(root.iter(W + "tbl"))
    assert len(tables) == 1
    rows = grid(tables[0])
    assert rows[0] == [("一级指标", None), ("二级指标", None), ("三级指标", None)]
    assert rows[1:] == EXPECTED


def test_score_table_merges_follow_the_tree_in_xlsx(tmp_path):
    report = shaped_report(tmp_path)
    wb = load_workbook(io.BytesIO(rt.annex_bytes(report, ["xlsx"], ["score_table"])["xlsx"]))
    ws = wb.worksheets[0]
    assert ws.title == "附件1 绩效评价指标评分表"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert merged - {"A2:E2", "A3:E3"} == EXPECTED_XLSX
    assert [ws.cell(row=r, column=3).value for r in (5, 6, 7)] == ["甲", "乙", "丙"]
    # Numbers are numbers, with formats; subtotals and the total add them up (their values: tests/test_xlsx.py).
    assert ws["E5"].value == 9 and ws["E5"].number_format == "0.00"
    assert ws["E8"].value == "=SUM(E5:E7)" and ws["E8"].number_format == "0.00"
    assert ws["E11"].value == "=SUM(E9:E10)"
    assert ws["D13"].value == "=SUM(D8,D11:D12)" and ws["E13"].value == "=SUM(E8,E11:E12)"
    assert ws.freeze_panes == "A5" and ws.print_title_rows == "$4:$4"
    assert int(ws.page_setup.paperSize) == 9  # A4 and ws.print_area == "'附件1 绩效评价指标评分表'!$A$1:$E$13"
    assert ws.column_dimensions["C"].width > ws.column_dimensions["D"].width


def test_score_table_in_markdown_shows_merged_cells_once(tmp_path):
    md = rt.annex_bytes(shaped_report(tmp_path), ["md"], ["score_table"])["md"].decode()
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows[2] == "| 决策 | 目标 | 甲 | 10 | 9.00 |"
    assert rows[3] == "|  |  | 乙 | 10 | 10.00 |"
    assert rows[6] == "| 管理 | 丁 |  | 20 | 20.00 |"
    assert rows[-1] == "| **合计** |  |  | **100** | **92.50** |"


def test_optional_score_table_columns(tmp_path):
    data = full_dept()
    data["settings"] = {"score_table_rate": True}
    report = rt.load(write(tmp_path, data))
    table = rt.annex_bytes(report, ["md"], ["score_table"])["md"].decode()
    header = next(line for line in table.splitlines() if line.startswith("| 一级指标"))
    assert header == "| 一级指标 | 二级指标 | 三级指标 | 分值 | 得分 | 得分率 | 评分标准 | 评分说明 |"
    assert "|  |  | 绩效指标明确性 | 5 | 4.00 | 80.00% | 指标细化、量化、可衡量得满分 | 部分指标量化程度不够，扣1分 |" in table


def test_project_form_figures_equal_the_model(tmp_path):
    report = rt.load(write(tmp_path, full_project()))
    docx = read_docx(rt.annex_bytes(report, ["docx"], ["self_eval_form"])["docx"])
    rows = docx.table_rows(0)
    assert rows[0][:2] == ["项目名称", "行政审批工作运行经费项目"]
    assert rows[1] == ["主管部门"] + ["昆明市西山区政务服务管理局"] * 3 + ["实施单位"] + ["昆明市西山区政务服务管理局"] * 3
    assert rows[2][1:] == ["", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    assert rows[3][1:] == ["年度资金总额", "90.00", "90.00", "90.00", "10", "100.00%", "10.00"]
    assert rows[-2][5:7] == ["100", "98.00"]
    assert rows[-1][-1] == "优√ 良□ 中□ 差□"
    leaf = next(r for r in rows if r[2] == "审批服务标准化水平")
    assert leaf[3:] == ["持续提升", "基本实现", "10", "8.00", "园区审批平台与全省系统对接尚未完成；2025年将推动数据对接。"]


def test_problem_list_and_budget_execution(tmp_path):
    data = full_dept()
    data["problems"].append({"id": "P3", "category": "预算管理", "title": "问题三", "unit": "财务室"})
    data["suggestions"][2]["answers"].append("P3")
    report = rt.load(write(tmp_path, data))
    docx = read_docx(rt.annex_bytes(report, ["docx"], ["problem_list", "budget_execution"])["docx"])
    problems = docx.table_rows(0)
    assert [r[:3] for r in problems[1:]] == [["预算管理", "1", "办公室"], ["预算管理", "2", "财务室"], ["绩效管理", "1", "办公室"]]
    assert problems[1][3].startswith("预算编制的精准度不够：年度决算支出超出年初预算")
    execution = docx.table_rows(1)
    assert execution[0][0] == "资金级次" and execution[0][4] == "执行率（实际支出数÷年初预算数）"
    assert [r[0] for r in execution[1:]] == ["中央", "省级", "市级", "区级", "其他", "合计"]
    assert execution[4] == ["区级", "1,354.10", "1,445.05", "1,444.16", "106.65%"]
    assert execution[-1] == ["合计", "1,354.10", "1,445.05", "1,444.16", "106.65%"]


def test_full_report_appends_annexes_each_on_a_new_page():
    report = rt.load(DEPT_EXAMPLE)
    files = rt.render_bytes(report)
    docx = read_docx(files["docx"])
    labels = [p for p in docx.doc.paragraphs if p.style.name == "rtAnnexLabel"]
    assert [p.text for p in labels] == ["附件1", "附件2", "附件3"]
    titles = [p.text for p in docx.doc.paragraphs if p.style.name == "rtAnnexTitle"]
    assert titles == ["绩效评价指标评分表", "问题清单", "预算执行表"]
    for label in labels:  # a new page: a page break, or a section break where the page turns landscape
        previous = label._p.getprevious()
        assert previous.xpath(".//w:br[@w:type='page'] | ./w:pPr/w:sectPr"), label.text
    body = [p.text for p in docx.doc.paragraphs]
    first = body.index("附件：1.绩效评价指标评分表")  # one annex a line, the later ones under the first (GB/T 9704)
    assert body[first:first + 3] == ["附件：1.绩效评价指标评分表", "　　　2.问题清单", "　　　3.预算执行表"]
    assert first < body.index("昆明市西山区政务服务管理局") < body.index("附件1")
    md = files["md"].decode()
    assert "\n附件：1.绩效评价指标评分表\n\n　　　2.问题清单\n\n　　　3.预算执行表\n" in md
    assert md.count('<div style="page-break-after: always"></div>') == 3


def test_annex_numbers_stay_when_regenerated_alone():
    report = rt.load(DEPT_EXAMPLE)
    md = rt.annex_bytes(report, ["md"], ["problem_list"])["md"].decode()
    assert md.lstrip().startswith("**附件2**")
    assert "page-break" not in md


def test_annex_cli(tmp_path):
    result = runner.invoke(app, ["annex", str(DEPT_EXAMPLE), "-o", str(tmp_path), "--only", "score_table,问题清单"])
    assert result.exit_code == 0, result.output
    stem = DEPT_EXAMPLE.stem
    assert visible(tmp_path) == sorted(f"{stem}-附件.{f}" for f in ("docx", "xlsx", "md"))
    wb = load_workbook(tmp_path / f"{stem}-附件.xlsx")
    assert wb.sheetnames == ["附件1 绩效评价指标评分表", "附件2 问题清单"]


@pytest.mark.parametrize("only, message", [
    ("budget", "没有这个附件：budget；可选：score_table（绩效评价指标评分表）、problem_list（问题清单）、budget_execution（预算执行表）"),
    ("self_eval_form", "本报告没有附件“项目支出绩效自评表”（报告类型不适用或缺少所需数据）：self_eval_form"),
])
def test_annex_cli_unknown_or_missing(tmp_path, only, message):
    result = runner.invoke(app, ["annex", str(DEPT_EXAMPLE), "-o", str(tmp_path), "--only", only])
    assert result.exit_code == 1
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_annex_refuses_invalid_input_unless_forced(tmp_path):
    data = full_project()
    data["stated_total_score"] = 50
    src = write(tmp_path, data)
    out = tmp_path / "out"
    result = runner.invoke(app, ["annex", str(src), "-o", str(out), "-f", "xlsx"])
    assert result.exit_code == 1 and not out.exists()
    result = runner.invoke(app, ["annex", str(src), "-o", str(out), "-f", "xlsx", "--force"])
    assert result.exit_code == 0
    assert visible(out) == ["report-附件.xlsx"]


def test_project_annexes_in_full_render():
    docx = read_docx(rt.render_bytes(rt.load(PROJECT_EXAMPLE), ["docx"])["docx"])
    titles = [p.text for p in docx.doc.paragraphs if p.style.name == "rtAnnexTitle"]
    assert titles == ["项目支出绩效自评表", "绩效评价指标评分表", "问题清单"]


@pytest.mark.parametrize("text", ['=1+1', '=HYPERLINK("http://example.invalid","点击查看")', "+1", "-1-1", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_text_cells_are_never_formulas(tmp_path, dept, text):
    dept["problems"][0]["title"] = text
    dept["indicators"][0]["children"][0]["children"][0]["name"] = text
    report = rt.load(write(tmp_path, dept))
    data = rt.annex_bytes(report, ["xlsx"])["xlsx"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
    # the only formulas are the totals' sums and rates, over cell references
    formulas = [f for s in sheets for f in re.findall(rb"<f>([^<]*)</f>", s)]
    assert formulas and all(re.fullmatch(rb"SUM\([A-Z0-9:,]+\)|[A-Z]+[0-9]+/[A-Z]+[0-9]+", f) for f in formulas)
    wb = load_workbook(io.BytesIO(data))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str) and text.strip() in c.value]
    assert cells and all(c.data_type == "s" for c in cells)
