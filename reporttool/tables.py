"""Tables drawn from the model. Each builder returns a Table; both renderers draw it."""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from .document import Cell, Column, Table, header_row, number_cell, wide
from .filters import money, pct, points, weight
from .model import DeptSelfReport, ProjectSelfReport, ReportBase, Spending, ratio

TableBuilder = Callable[[ReportBase], Table]

money_cell = number_cell(money, "money")
pct_cell = number_cell(pct, "pct")
points_cell = number_cell(points, "points")
weight_cell = number_cell(weight, "weight")


def _spending_rows(label: str, budget: Decimal | None, final: Decimal, total_final: Decimal,
                   bold: bool = False, indent: str = "") -> list[Cell]:
    return [Cell(indent + label, bold=bold), money_cell(budget, bold), money_cell(final, bold),
            pct_cell(ratio(final, total_final), bold), pct_cell(ratio(final, budget), bold)]


def dept_spending(report: DeptSelfReport) -> Table:
    f = report.funds
    base: Spending = f.execution_base
    fin = f.final
    total = fin.total
    rows = [header_row(["项目", f"预算数（{f.execution_base_label}）", "决算数", "占决算支出比例", "执行率"])]
    rows.append(_spending_rows("基本支出", base.basic_total, fin.basic_total, total))
    if fin.has_split:
        rows.append(_spending_rows("人员经费", base.personnel, fin.personnel, total, indent="其中："))
        rows.append(_spending_rows("公用经费", base.public, fin.public, total, indent="　　　"))
    rows.append(_spending_rows("项目支出", base.project, fin.project, total))
    rows.append(_spending_rows("合计", base.total, total, total, bold=True))
    cols = [Column("项目", 40), Column("预算数", 30, "right"), Column("决算数", 30, "right"),
            Column("占比", 28, "right"), Column("执行率", 28, "right")]
    return Table(columns=cols, rows=rows, caption=f"{report.year}年部门预算及决算支出情况", unit="单位：万元")


def dept_income(report: DeptSelfReport) -> Table:
    inc = report.funds.income
    rows = [header_row(["收入来源", "金额", "占收入合计比例"])]
    for label, value in (("财政拨款收入", inc.fiscal), ("其他收入", inc.other), ("年初结转结余", inc.carryover)):
        rows.append([Cell(label), money_cell(value), pct_cell(ratio(value, inc.total))])
    rows.append([Cell("合计", bold=True), money_cell(inc.total, True), pct_cell(ratio(inc.total, inc.total), True)])
    cols = [Column("收入来源", 60), Column("金额", 48, "right"), Column("占比", 48, "right")]
    return Table(columns=cols, rows=rows, caption=f"{report.year}年部门收入情况", unit="单位：万元")


def final_spending(report: ReportBase) -> Table:
    """决算支出 by kind with shares, for reports that quote no budget."""
    f = report.funds
    fin = f.final
    rows = [header_row(["支出类别", "决算数", "占支出合计比例"])]
    rows.append([Cell("基本支出"), money_cell(fin.basic_total), pct_cell(ratio(fin.basic_total, fin.total))])
    if fin.has_split:
        rows.append([Cell("其中：人员经费"), money_cell(fin.personnel), pct_cell(ratio(fin.personnel, fin.total))])
        rows.append([Cell("　　　公用经费"), money_cell(fin.public), pct_cell(ratio(fin.public, fin.total))])
    rows.append([Cell("项目支出"), money_cell(fin.project), pct_cell(ratio(fin.project, fin.total))])
    rows.append([Cell("合计", bold=True), money_cell(fin.total, True), pct_cell(ratio(fin.total, fin.total), True)])
    cols = [Column("支出类别", 60), Column("决算数", 48, "right"), Column("占比", 48, "right")]
    return Table(columns=cols, rows=rows, caption=f"{report.year}年部门支出情况", unit="单位：万元")


def survey_table(report: ReportBase) -> Table:
    s = report.survey
    rows = [header_row(["调查对象", "有效问卷（份）", "满意问卷（份）", "满意度", "权重", "加权满意度"])]
    for g in s.groups:
        rows.append([Cell(g.name), Cell("—" if g.samples is None else str(g.samples), align="right", value=g.samples, number="int"),
                     Cell("—" if g.satisfied is None else str(g.satisfied), align="right", value=g.satisfied, number="int"),
                     pct_cell(g.satisfaction / 100), pct_cell(g.weight / 100), pct_cell(g.satisfaction * g.weight / 10000)])
    samples = s.samples
    rows.append([Cell("合计", bold=True), Cell("—" if samples is None else str(samples), align="right", bold=True,
                                              value=samples, number="int"),
                 Cell(""), Cell(""), pct_cell(s.weight_total / 100, True), pct_cell(s.overall / 100, True)])
    cols = [Column("调查对象", 36), Column("有效问卷", 24, "right"), Column("满意问卷", 24, "right"),
            Column("满意度", 24, "right"), Column("权重", 20, "right"), Column("加权满意度", 28, "right")]
    return Table(columns=cols, rows=rows, caption="满意度调查结果")


def dept_project_goals(report: DeptSelfReport) -> Table:
    rows = [header_row(["序号", "项目名称", "预算金额", "绩效目标"])]
    for i, p in enumerate(report.goals.projects, 1):
        rows.append([Cell(str(i), align="center"), Cell(p.name), money_cell(p.amount), Cell(p.goal)])
    rows.append(wide("合计", 2, bold=True, align="center") + [money_cell(report.goals.projects_total, True), Cell("")])
    cols = [Column("序号", 12, "center"), Column("项目名称", 44), Column("预算金额", 26, "right"), Column("绩效目标", 74)]
    return Table(columns=cols, rows=rows, caption="部门项目绩效目标", unit="单位：万元")


def score_summary(report: ReportBase) -> Table:
    rows = [header_row(["指标", "分值", "得分", "得分率"])]
    if isinstance(report, ProjectSelfReport):
        f = report.funds
        rows.append([Cell("预算执行率"), weight_cell(f.weight), points_cell(f.score), pct_cell(ratio(f.score, f.weight))])
    for ind in report.indicators:
        rows.append([Cell(ind.name), weight_cell(ind.total_weight), points_cell(ind.total_score), pct_cell(ind.rate)])
    rows.append([Cell("合计", bold=True), weight_cell(report.total_weight, True),
                 points_cell(report.total_score, True), pct_cell(report.score_rate, True)])
    cols = [Column("指标", 62), Column("分值", 30, "right"), Column("得分", 30, "right"), Column("得分率", 34, "right")]
    return Table(columns=cols, rows=rows, caption="一级指标得分情况", unit="单位：分")


def project_funds(report: ProjectSelfReport) -> Table:
    f = report.funds
    rows = [header_row(["资金来源", "年初预算数", "全年预算数", "实际到位数", "全年执行数", "执行率"])]
    for line in f.lines:
        rows.append([Cell(line.source), money_cell(line.initial), money_cell(line.budget), money_cell(line.received),
                     money_cell(line.spent), pct_cell(ratio(line.spent, line.budget))])
    rows.append([Cell("合计", bold=True), money_cell(f.initial, True), money_cell(f.budget, True),
                 money_cell(f.received, True), money_cell(f.spent, True), pct_cell(f.execution_rate, True)])
    cols = [Column("资金来源", 32)] + [Column(t, 25, "right") for t in ("年初", "全年", "到位", "执行")] + [Column("执行率", 24, "right")]
    return Table(columns=cols, rows=rows, caption="项目资金情况", unit="单位：万元")


def project_goals(report: ProjectSelfReport) -> Table:
    rows = [header_row(["序号", "预期目标", "实际完成情况"])]
    for i, g in enumerate(report.goals, 1):
        rows.append([Cell(str(i), align="center"), Cell(g.expected), Cell(g.actual)])
    cols = [Column("序号", 12, "center"), Column("预期目标", 72), Column("实际完成情况", 72)]
    return Table(columns=cols, rows=rows, caption="年度总体目标完成情况")


TABLES: dict[str, TableBuilder] = {
    "dept_spending": dept_spending,
    "dept_income": dept_income,
    "dept_project_goals": dept_project_goals,
    "score_summary": score_summary,
    "project_funds": project_funds,
    "project_goals": project_goals,
    "final_spending": final_spending,
    "survey_table": survey_table,
}
