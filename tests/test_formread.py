"""The official 项目支出绩效自评表 read back: every layout, forms as people fill them, problems by cell."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import reporttool as rt
from reporttool.api import annex_bytes
from reporttool.cli import app
from reporttool.forms import builtin_names, resolve
from reporttool.model import EXECUTION_BASES
from reporttool.view import leaves, view

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.yaml"))
PROJECT_EXAMPLES = [p for p in EXAMPLES if rt.load(p).kind == "project_self"]
runner = CliRunner(env={"COLUMNS": "300"})


def _leaf_figures(report) -> list[tuple]:
    r = view(report)
    return [(x.name, x.weight, x.score, x.target, x.actual, x.deviation) for i in r.indicators for x in leaves(i)]


@pytest.mark.parametrize("layout", sorted(builtin_names()))
@pytest.mark.parametrize("example", PROJECT_EXAMPLES, ids=lambda p: p.stem)
def test_our_form_reads_back_to_the_same_figures(tmp_path, example, layout):
    source = rt.load(example)
    path = tmp_path / "自评表.xlsx"
    path.write_bytes(annex_bytes(source, ["xlsx"], ["self_eval_form"], form=resolve(layout))["xlsx"])
    back = rt.load(path)
    a, b = view(source), view(back)
    assert _leaf_figures(back) == _leaf_figures(source)
    assert (b.total_score, b.grade, b.funds.spent, b.funds.initial) == (a.total_score, a.grade, a.funds.spent, a.funds.initial)
    form = resolve(layout)
    if EXECUTION_BASES[source.funds.execution_base] in form.funds.columns:  # the form shows the rate's base
        assert b.funds.execution_rate == a.funds.execution_rate
    assert back.stated_total_score == a.total_score.value and back.stated_grade == a.grade
    assert (back.project.name, back.project.department, back.project.implementer, back.year) == \
        (source.project.name, source.project.department, source.project.implementer, source.year)
    assert [(g.expected, g.actual) for g in back.goals] == [(g.expected, g.actual) for g in source.goals]
    assert not [p for p in rt.validate(back) if p.severity == "error"]


# --- forms built as people fill them -------------------------------------------------------------

def _sheet(rows: list[list], merges: list[str], path: Path, extra=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for ref in merges:
        ws.merge_cells(ref)
    if extra:
        extra(ws)
    wb.save(path)
    return path


def _cz2020_form(tmp_path: Path, spent_total="=SUM(E9:E11)") -> Path:
    """财预〔2020〕10号 附1 as a clerk fills it: a 填报单位 row above the title, 分散对齐 labels, a 备注 column,
    numbers typed as text, placeholders, ≥ inside the target, 一级/二级 merged, a formula never computed."""
    rows = [
        ["填报单位：某区某局（盖章）"],
        ["项目支出绩效自评表"],
        ["（2024年度）"],
        ["项 目 名 称", "社区便民服务项目"],
        ["主管部门", "某区某局", None, None, "实施单位", "某区便民服务中心"],
        ["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", "备注"],
        [None, "年度资金总额", 100, 100, spent_total, 10, "90%", 9],
        [None, None, None, None, None, None, None, None],
        [None, "其中：当年财政拨款", "80", "80", 72],
        [None, "上年结转资金", 20, 20, 18],
        [None, "其他资金", "—", "—", "—", "—", "—", "—"],
        ["年度总体目标", "预期目标", None, None, "实际完成情况"],
        [None, "全年开展便民服务不少于 5000 人次。", None, None, "全年服务 5200 人次。"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施", "备注"],
        ["产出指标", "数量指标", "服务人次", "≥5000人次", "5200人次", 20, 20],
        [None, None, "服务站点数", "10个", "10个", 20, 20],
        [None, "质量指标", "服务合格率", "≥95%", "96%", "20", 20],
        ["效益指标", "社会效益指标", "群众办事时间缩短", "≥20%", "18%", 20, 18, "新站点运行不足一年，明年继续跟踪。"],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "95%", "10", 10],
        ["总分", None, None, None, None, 100, "=SUM(G15:G19)+H7"],  # 88 + 9
        ["评价等次", None, None, None, None, "优☑ 良□ 中□ 差□"],
    ]
    merges = ["A2:H2", "A3:H3", "B4:H4", "A6:A11", "A12:A13", "B12:D12", "E12:H12", "B13:D13", "E13:H13",
              "A15:A17", "B15:B16", "A20:E20", "A21:E21", "F21:H21"]
    return _sheet(rows, merges, tmp_path / "自评表.xlsx")


def test_a_hand_filled_form_reads(tmp_path):
    report = rt.load(_cz2020_form(tmp_path))
    assert report.year == 2024 and report.project.name == "社区便民服务项目"
    assert report.project.implementer == "某区便民服务中心"
    lines = {line.source: line for line in report.funds.lines}
    assert set(lines) == {"当年财政拨款", "上年结转资金"}  # 其他资金 only had placeholders
    assert lines["当年财政拨款"].initial == Decimal(80) and lines["上年结转资金"].spent == Decimal(18)
    assert report.funds.stated_totals.spent == Decimal(90)  # the formula, computed
    assert report.funds.stated_rate == Decimal(90) and report.funds.weight == Decimal(10)
    assert report.stated_total_score == Decimal(97) and report.stated_grade == "优"
    tree = report.indicators
    assert [i.name for i in tree] == ["产出指标", "效益指标", "满意度指标"]
    assert [c.name for c in tree[0].children] == ["数量指标", "质量指标"]
    assert [x.name for x in tree[0].children[0].children] == ["服务人次", "服务站点数"]
    leaf = tree[1].children[0].children[0]
    assert (leaf.target, leaf.actual, leaf.weight, leaf.score) == ("≥20%", "18%", Decimal(20), Decimal(18))
    assert leaf.deviation.startswith("新站点")
    assert [(g.expected, g.actual) for g in report.goals] == [("全年开展便民服务不少于 5000 人次。", "全年服务 5200 人次。")]
    problems = rt.validate(report)
    assert not [p for p in problems if p.severity == "error"], [p.format() for p in problems]
    # what the form lacks for the report is listed, located on the form
    missing = {p.rule for p in problems}
    assert {"text.overview_missing", "outline.required"} <= missing


def test_a_wrong_total_names_both_figures_and_the_cell(tmp_path):
    path = _cz2020_form(tmp_path, spent_total=95)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "自评表!E7" in result.output and "money.fund_totals" in result.output
    assert "所填 95.00 与各资金来源之和 90.00 不符" in result.output


def test_render_drafts_the_report_with_the_gaps_marked(tmp_path):
    path = _cz2020_form(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(path), "-f", "md", "-o", str(out)])
    assert result.exit_code == 0, result.output
    md = (out / "自评表.md").read_text(encoding="utf-8")
    assert "【待补充：项目概况" in md and "【待补充：缺少存在的问题" in md
    assert "全年执行90.00万元，预算执行率90.00%" in md and "97.00分" in md
    assert "项目支出绩效自评表中没有报告必备章节" in result.output


def test_yitihua_export_with_nature_and_unit_columns(tmp_path):
    rows = [
        ["项目支出绩效自评表（2025年度）"],
        ["项目名称", "信息系统运维项目"],
        ["主管部门", "某区数据局", None, "实施单位", "某区数据局"],
        ["预算执行情况（万元）", None, "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分", "原因"],
        [None, "年度资金总额", 50, 48, 48, 1, 10, 10],
        [None, "其中：当年财政拨款", 50, 48, 48],
        ["年度总体目标", "预期目标", None, None, "实际完成情况"],
        [None, "系统全年稳定运行。", None, None, "全年可用率 99.9%。"],
        ["一级指标", "二级指标", "三级指标", "指标性质", "度量单位", "年度指标值", "实际完成值", "权重", "得分", "偏差原因"],
        ["产出指标", "质量指标", "系统可用率", "≥", "%", "99", "99.9", 50, 50],
        ["效益指标", "社会效益指标", "业务中断次数", "≤", "次", "2", "1", 30, 30],
        ["满意度指标", "服务对象满意度指标", "用户满意度", "≥", "%", "90", "*", 10, 10],
        ["总分", None, None, None, None, None, None, 100, 100],
    ]
    merges = ["B2:I2", "A4:A6", "A7:A8"]

    def percent_format(ws):
        ws["F5"].number_format = "0.00%"
    report = rt.load(_sheet(rows, merges, tmp_path / "一体化.xlsx", percent_format))
    assert report.year == 2025
    line = report.funds.lines[0]
    assert (line.initial, line.adjusted, line.budget, line.spent) == (Decimal(50), Decimal(48), Decimal(48), Decimal(48))
    assert report.funds.stated_rate == Decimal(100)
    leaf = report.indicators[1].children[0].children[0]
    assert (leaf.nature, leaf.measure_unit, leaf.target, leaf.actual) == ("≤", "次", "2", "1")
    placeholder = report.indicators[2].children[0].children[0]
    assert placeholder.actual == "*"  # kept as written: the placeholder rule says it was not filled
    found = {p.rule for p in rt.validate(report)}
    assert "selfeval.placeholder" in found


def test_a_local_form_with_levels_ticks_and_evaluators(tmp_path):
    rows = [
        ["项目支出绩效评价表"],
        ["（2024年度）"],
        ["项目名称", "养老服务补助"],
        ["主管部门", "某区民政局", None, "实施单位", "某区养老中心"],
        ["项目负责人", "王某", None, "联系电话", "0871-1234567"],
        ["项目类型", "经常性项目（√）　一次性项目"],
        ["项目资金（万元）", None, "年初预算数", "全年预算数", "实际到位数", "全年执行数", "执行率"],
        [None, "年度资金总额", 100, 100, 95, 90, "90%"],
        [None, "其中：中央财政", "—", "—", "—", "—", "—"],
        [None, "省级财政", 60, 60, 60, 58, None],
        [None, "区级财政", 40, 40, 35, 32, None],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        ["过程", "资金管理", "预算执行率", "100%", "90%", 10, 9, "部分资金年底到位。"],
        ["产出", "数量指标", "服务人次", "≥1000人次", "1200人次", 90, 90],
        ["总分", None, None, None, None, 100, 99],
        ["评价等次", None, None, None, None, "优√ 良□ 中□ 差□"],
        ["问题和建议", None, None, "问题：1.资金到位偏晚；2.台账不全\n建议：1.提前申报；2.完善台账"],
        ["评价人员", "姓名", "职务/职称", None, "单位", None, "签字"],
        [None, "王某", "科长", None, "某区民政局"],
    ]
    merges = ["A7:A11", "A18:A19", "B6:H6"]
    report = rt.load(_sheet(rows, merges, tmp_path / "评价表.xlsx"))
    assert report.project.term == "经常性项目" and report.project.leader == "王某"
    assert [(lv.level, lv.spent) for lv in report.funds.by_level] == [("省级", Decimal(58)), ("区级", Decimal(32))]
    assert report.funds.lines[0].received == Decimal(95)
    execution = report.indicators[0].children[0].children[0]
    assert execution.measures == "预算执行率"  # scored in the tree, as local forms do
    assert [p.title for p in report.problems] == ["资金到位偏晚", "台账不全"]
    assert [(s.title, s.answers) for s in report.suggestions] == [("提前申报", (1,)), ("完善台账", (2,))]
    assert [(e.name, e.position, e.unit) for e in report.evaluators] == [("王某", "科长", "某区民政局")]
    assert report.stated_grade == "优"


def test_a_workbook_that_is_no_form_is_refused(tmp_path):
    path = _sheet([["项目名称", "某项目"], ["随便写的表格"]], [], tmp_path / "x.xlsx")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1 and "既不是 reporttool 的填报工作簿" in result.output


def test_a_cell_at_the_far_corner_costs_nothing(tmp_path):
    import time

    path = _cz2020_form(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb.active["XFD1048576"] = "远处的一个单元格"
    wb.save(path)
    start = time.perf_counter()
    report = rt.load(path)
    assert time.perf_counter() - start < 2  # cells are walked, never the grid
    assert report.stated_total_score == Decimal(97)
