"""Tables drawn from the report's view. Each builder returns a Table; every renderer draws it."""

from __future__ import annotations

from typing import Any, Callable

from .document import Cell, Column, Table, header_row, span, wide
from .filters import MISSING
from .model import ANSWERS
from .view import Figure

TableBuilder = Callable[[Any], "Table | None"]  # None: nothing to show for this report


def figure_cell(fig: Figure | None, bold: bool = False) -> Cell:
    """A number as printed (unit from the figure), with its unrounded value for spreadsheets."""
    if fig is None:
        return Cell(MISSING, align="right", bold=bold)
    return Cell(fig.number, align="right", bold=bold, value=fig.value, number=fig.unit)


def sums(total: list[Cell], parts: list[list[Cell]], columns: Any) -> None:
    """A total row: each of its cells in ``columns`` adds up the parts' cells in the same column."""
    for c in columns:
        total[c].total_of = tuple(part[c] for part in parts)


def rate_of_row(cell: Cell, fig: Figure | None, named: dict[str, Cell]) -> Cell:
    """A rate whose base is one of its row's cells over another (得分÷分值): it may be computed from them.

    Any other base (a difference, a weighted sum, another row's figure) leaves the rate a plain figure.
    """
    parts = fig.base.split("÷") if fig is not None else ()
    if len(parts) == 2 and all(p in named for p in parts):
        cell.ratio_of = (named[parts[0]], named[parts[1]])
    return cell


def _spending_row(label: str, budget: Figure | None, final: Figure, share: Figure | None, execution: Figure | None,
                  bold: bool = False) -> list[Cell]:
    return [Cell(label, bold=bold)] + [figure_cell(f, bold) for f in (budget, final, share, execution)]


def dept_spending(r: Any) -> Table:
    f = r.funds
    base, fin = f.execution_base, f.final
    if base is None:  # a report that gives no budget: spending and shares only, no invented 预算数
        return final_spending(r)
    rows = [header_row(["项目", f"预算数（{f.execution_base_label}）", "决算数", "占决算支出比例", "执行率"])]
    rows.append(_spending_row("基本支出", base.basic_total, fin.basic_total, fin.basic_share, f.basic_execution))
    if fin.has_split:
        rows.append(_spending_row("其中：人员经费", base.personnel, fin.personnel, fin.personnel_share, f.personnel_execution))
        rows.append(_spending_row("　　　公用经费", base.public, fin.public, fin.public_share, f.public_execution))
    rows.append(_spending_row("项目支出", base.project, fin.project, fin.project_share, f.project_execution))
    rows.append(_spending_row("合计", base.total, fin.total, fin.total_share, f.execution_rate, bold=True))
    cols = [Column("项目"), Column("预算数", align="right"), Column("决算数", align="right"),
            Column("占比", align="right"), Column("执行率", align="right")]
    return Table(columns=cols, rows=rows, caption=f"{r.year}年部门预算及决算支出情况", unit="单位：万元")


def dept_income(r: Any) -> Table | None:
    inc = r.funds.income
    if inc is None:
        return None
    rows = [header_row(["收入来源", "金额", "占收入合计比例"])]
    for label, value, share in (("财政拨款收入", inc.fiscal, inc.fiscal_share), ("其他收入", inc.other, inc.other_share),
                                ("年初结转结余", inc.carryover, inc.carryover_share)):
        rows.append([Cell(label), figure_cell(value), figure_cell(share)])
    rows.append([Cell("合计", bold=True), figure_cell(inc.total, True), figure_cell(inc.total_share, True)])
    cols = [Column("收入来源"), Column("金额", align="right"), Column("占比", align="right")]
    return Table(columns=cols, rows=rows, caption=f"{r.year}年部门收入情况", unit="单位：万元")


def final_spending(r: Any) -> Table:
    """决算支出 by kind with shares, for reports that quote no budget."""
    f = r.funds
    fin = f.final
    rows = [header_row(["支出类别", "决算数", "占支出合计比例"])]
    rows.append([Cell("基本支出"), figure_cell(fin.basic_total), figure_cell(fin.basic_share)])
    if fin.has_split:
        rows.append([Cell("其中：人员经费"), figure_cell(fin.personnel), figure_cell(fin.personnel_share)])
        rows.append([Cell("　　　公用经费"), figure_cell(fin.public), figure_cell(fin.public_share)])
    rows.append([Cell("项目支出"), figure_cell(fin.project), figure_cell(fin.project_share)])
    rows.append([Cell("合计", bold=True), figure_cell(fin.total, True), figure_cell(fin.total_share, True)])
    cols = [Column("支出类别"), Column("决算数", align="right"), Column("占比", align="right")]
    return Table(columns=cols, rows=rows, caption=f"{r.year}年部门支出情况", unit="单位：万元")


def survey_table(r: Any, caption: str | None = "满意度调查结果") -> Table:
    """One row per surveyed group: its answer counts when the report gives them, weights when it has them."""
    s = r.survey
    by_answers = any(g.answered is not None for g in s.groups)
    weighted = s.overall is not None
    cols = [Column("调查对象")]
    if by_answers:
        cols += [Column(title, align="right") for _, title, _ in ANSWERS] + [Column("回答总数", align="right")]
    else:
        cols += [Column("有效问卷（份）", align="right"), Column("满意问卷（份）", align="right")]
    cols += [Column("满意度", align="right")] + ([Column("权重", align="right"), Column("加权满意度", align="right")] if weighted else [])
    rows = [header_row([c.title for c in cols])]
    for g in s.groups:
        if by_answers:
            counts = [figure_cell(None if g.answers is None else getattr(g.answers, key))
                      for key, _, _ in ANSWERS] + [figure_cell(g.answered if g.answered is not None else g.samples)]
        else:
            counts = [figure_cell(g.samples), figure_cell(g.satisfied)]
        rows.append([Cell(g.name)] + counts + [figure_cell(g.rate)]
                    + ([figure_cell(g.weight), figure_cell(g.weighted)] if weighted else []))
    if weighted or s.samples is not None:
        # 有效问卷合计 under the counts it adds up (回答总数, or 有效问卷 when groups give no answer counts)
        count = len(ANSWERS) + 1 if by_answers else 1
        total = [Cell("合计", bold=True)] + [Cell("") for _ in range(count - 1)] + [figure_cell(s.samples, True)]
        total += [Cell("") for _ in range(len(cols) - len(total) - (2 if weighted else 0))]
        total += [figure_cell(s.weight_total, True), figure_cell(s.overall, True)] if weighted else []
        sums(total, rows[1:], [count] + ([len(cols) - 2, len(cols) - 1] if weighted else []))
        rows.append(total)
    return Table(columns=cols, rows=rows, caption=caption)


def dept_project_goals(r: Any) -> Table:
    rows = [header_row(["序号", "项目名称", "预算金额", "绩效目标"])]
    for i, p in enumerate(r.goals.projects, 1):
        rows.append([Cell(str(i), align="center"), Cell(p.name), figure_cell(p.amount), Cell(p.goal)])
    rows.append(wide("合计", 2, bold=True, align="center") + [figure_cell(r.goals.projects_total, True), Cell("")])
    cols = [Column("序号", align="center"), Column("项目名称"), Column("预算金额", align="right"), Column("绩效目标")]
    return Table(columns=cols, rows=rows, caption="部门项目绩效目标", unit="单位：万元")


def score_summary(r: Any) -> Table | None:
    if not r.scored:
        return None
    rows = [header_row(["指标", "分值", "得分", "得分率"])]
    for part in r.score_parts:
        rows.append([Cell(part.name), figure_cell(part.weight), figure_cell(part.score), figure_cell(part.rate)])
    rows.append([Cell("合计", bold=True), figure_cell(r.total_weight, True),
                 figure_cell(r.total_score, True), figure_cell(r.score_rate, True)])
    cols = [Column("指标"), Column("分值", align="right"), Column("得分", align="right"), Column("得分率", align="right")]
    return Table(columns=cols, rows=rows, caption="一级指标得分情况", unit="单位：分")


def project_funds(r: Any) -> Table:
    f = r.funds
    rows = [header_row(["资金来源", "年初预算数", "全年预算数", "实际到位数", "全年执行数", "执行率"])]
    for line in f.lines:
        rows.append([Cell(line.source)] + [figure_cell(x) for x in (line.initial, line.budget, line.received, line.spent, line.rate)])
    rows.append([Cell("合计", bold=True)] + [figure_cell(x, True) for x in (f.initial, f.budget, f.received, f.spent, f.execution_rate)])
    cols = [Column("资金来源")] + [Column(t, align="right") for t in ("年初", "全年", "到位", "执行")] + [Column("执行率", align="right")]
    return Table(columns=cols, rows=rows, caption="项目资金情况", unit="单位：万元")


def project_goals(r: Any) -> Table:
    rows = [header_row(["序号", "预期目标", "实际完成情况"])]
    for i, g in enumerate(r.goals, 1):
        rows.append([Cell(str(i), align="center"), Cell(g.expected), Cell(g.actual)])
    cols = [Column("序号", align="center"), Column("预期目标"), Column("实际完成情况")]
    return Table(columns=cols, rows=rows, caption="年度总体目标完成情况")


def year_funds(r: Any) -> Table:
    """预算安排、支出金额、资金占比、预算执行率 by year and sub-project, with 小计 per year and 总计."""
    f = r.funds
    names = [Column("年度", align="center")] + ([Column("子项目")] if f.named else [])
    cols = names + [Column(t, align="right") for t in ("预算安排", "支出金额", "资金占比", "预算执行率")]
    rows = [header_row([c.title for c in cols])]

    def figures(line: Any, bold: bool = False) -> list[Cell]:
        return [figure_cell(x, bold) for x in (line.budget, line.spent, line.share, line.rate)]

    for year in f.years:
        start = len(rows)
        for line in year.lines:
            rows.append([Cell(f"{year.year}年", align="center")] + ([Cell(line.name or "")] if f.named else []) + figures(line))
        if f.named and len(year.lines) > 1:
            rows.append([Cell(f"{year.year}年", align="center"), Cell("小计", bold=True, align="center")]
                        + figures(year.subtotal, True))
        span(rows, 0, start, len(rows) - start)
    rows.append(wide("总计", len(names), bold=True, align="center") + figures(f.total, True))
    return Table(columns=cols, rows=rows, caption=f"{r.years_text}项目资金安排及使用情况", unit="单位：万元")


TABLES: dict[str, TableBuilder] = {
    "dept_spending": dept_spending,
    "dept_income": dept_income,
    "dept_project_goals": dept_project_goals,
    "score_summary": score_summary,
    "project_funds": project_funds,
    "project_goals": project_goals,
    "final_spending": final_spending,
    "survey_table": survey_table,
    "year_funds": year_funds,
}
