"""Annex tables (附件): built from the model alone, so they can be regenerated without the narrative."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .document import Cell, Column, Table, header_row, span, wide
from .model import FUNDING_LEVELS, Indicator, LevelLine, ProjectSelfReport, ReportBase, level_totals, ratio
from .tables import money_cell, pct_cell, points_cell, weight_cell

TEXT_WIDTH_MM = 156
_TEXT_COLUMNS = (("explanation", "指标解释", 3), ("criteria", "评分标准", 3), ("note", "评分说明", 2))


def _leaves(node: Indicator) -> list[Indicator]:
    return [node] if node.is_leaf else [leaf for c in node.children for leaf in _leaves(c)]


def _fit(fixed: list[Column], flexible: list[tuple[str, float]], align="left") -> list[Column]:
    """Give the flexible columns what the fixed ones leave of the text width, in proportion."""
    rest = TEXT_WIDTH_MM - sum(c.width_mm for c in fixed)
    total = sum(share for _, share in flexible) or 1
    return fixed + [Column(title, round(rest * share / total, 1), align) for title, share in flexible]


def indicator_rows(indicators: list[Indicator], tail: Callable[[Indicator], list[Cell]],
                   subtotal: Callable[[Indicator], list[Cell]] | None = None) -> list[list[Cell]]:
    """One row per leaf under 一级 | 二级 | 三级, the first two merged down their groups.

    Spans come from the tree, so every shape works: a 二级 that is a leaf spans 二级+三级, a 一级
    that is a leaf spans all three; levels deeper than three are folded into the 三级 column.
    """
    rows: list[list[Cell]] = []
    for l1 in indicators:
        if l1.is_leaf:
            rows.append(wide(l1.name, 3) + tail(l1))
            continue
        start = len(rows)
        for l2 in l1.children:
            if l2.is_leaf:
                rows.append([Cell(l1.name)] + wide(l2.name, 2) + tail(l2))
                continue
            first = len(rows)
            for l3 in l2.children:
                for leaf in _leaves(l3):
                    label = l3.name if leaf is l3 else f"{l3.name}／{leaf.name}"
                    rows.append([Cell(l1.name), Cell(l2.name), Cell(label)] + tail(leaf))
            span(rows, 1, first, len(rows) - first)
        if subtotal is not None:
            rows.append([Cell(l1.name)] + subtotal(l1))
        span(rows, 0, start, len(rows) - start)
    return rows


# --- 绩效评价指标评分表 -------------------------------------------------------------------

def score_table(report: ReportBase) -> Table:
    leaves = [leaf for ind in report.indicators for leaf in _leaves(ind)]
    texts = [(attr, title) for attr, title, _ in _TEXT_COLUMNS if any(getattr(leaf, attr) for leaf in leaves)]
    show_rate = report.settings.score_table_rate
    names = [Column("一级指标", 18), Column("二级指标", 20)]
    figures = [Column("分值", 14, "right"), Column("得分", 17, "right")] + ([Column("得分率", 20, "right")] if show_rate else [])
    flexible = [("三级指标", 4)] + [(title, share) for attr, title, share in _TEXT_COLUMNS if (attr, title) in texts]
    grown = _fit(names + figures, flexible)
    columns = names + [grown[len(names) + len(figures)]] + figures + grown[len(names) + len(figures) + 1:]

    def tail(weight, score, bold=False, texts_of: Indicator | None = None) -> list[Cell]:
        cells = [weight_cell(weight, bold), points_cell(score, bold)]
        if show_rate:
            cells.append(pct_cell(ratio(score, weight), bold))
        return cells + [Cell((getattr(texts_of, attr) or "") if texts_of else "") for attr, _ in texts]

    rows = [header_row([c.title for c in columns])]
    if isinstance(report, ProjectSelfReport):
        f = report.funds
        rows.append(wide("预算执行率", 3) + tail(f.weight, f.score))
    rows += indicator_rows(report.indicators, lambda leaf: tail(leaf.weight, leaf.score, texts_of=leaf),
                           lambda l1: wide("小计", 2, bold=True, align="center") + tail(l1.total_weight, l1.total_score, True))
    rows.append(wide("合计", 3, bold=True, align="center") + tail(report.total_weight, report.total_score, True))
    return Table(columns=columns, rows=rows, unit="单位：分")


# --- 项目支出绩效自评表 -------------------------------------------------------------------

def self_eval_form(report: ProjectSelfReport) -> Table:
    p, f = report.project, report.funds
    widths = [16, 18, 22, 18, 18, 14, 17, 33]
    columns = [Column(t, w) for t, w in zip(
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"], widths)]
    rows = [
        [Cell("项目名称", bold=True, align="center")] + wide(p.name, 7),
        [Cell("主管部门", bold=True, align="center")] + wide(p.department, 3)
        + [Cell("实施单位", bold=True, align="center")] + wide(p.implementer, 3),
    ]
    start = len(rows)
    rows.append([Cell("项目资金（万元）", bold=True, align="center")] + header_row(
        ["", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]))
    rows.append([Cell(""), Cell("年度资金总额"), money_cell(f.initial), money_cell(f.budget), money_cell(f.spent),
                 weight_cell(f.weight), pct_cell(f.execution_rate), points_cell(f.score)])
    for source in ("当年财政拨款", "上年结转资金", "其他资金"):
        line = f.line(source)
        label = ("其中：" if source == "当年财政拨款" else "") + source
        if line is None:
            rows.append([Cell(""), Cell(label)] + [Cell("—", align="right") for _ in range(3)]
                        + [Cell("—", align="center"), Cell("—", align="right"), Cell("—", align="center")])
        else:
            rows.append([Cell(""), Cell(label), money_cell(line.initial), money_cell(line.budget), money_cell(line.spent),
                         Cell("—", align="center"), pct_cell(ratio(line.spent, line.budget)), Cell("—", align="center")])
    span(rows, 0, start, len(rows) - start)
    start = len(rows)
    rows.append([Cell("年度总体目标", bold=True, align="center")] + wide("预期目标", 3, bold=True, align="center")
                + wide("实际完成情况", 4, bold=True, align="center"))
    for g in report.goals:
        rows.append([Cell("")] + wide(g.expected, 3) + wide(g.actual, 4))
    span(rows, 0, start, len(rows) - start)
    rows.append(header_row([c.title for c in columns]))
    rows += indicator_rows(report.indicators, lambda leaf: [
        Cell(leaf.target or ""), Cell(leaf.actual or ""), weight_cell(leaf.weight), points_cell(leaf.score),
        Cell(leaf.deviation or "")])
    rows.append(wide("总分", 5, bold=True, align="center") + [weight_cell(report.total_weight, True),
                                                              points_cell(report.total_score, True), Cell("")])
    rows.append(wide("评价等次", 5, bold=True, align="center") + wide(report.grade_ticks, 3, align="center"))
    return Table(columns=columns, rows=rows, header_rows=0, unit=f"（{report.year}年度）")


# --- 问题清单 -------------------------------------------------------------------------

def problem_list(report: ReportBase) -> Table:
    columns = [Column("问题分类", 24, "center"), Column("序号", 12, "center"), Column("责任单位", 26), Column("问题描述", 94)]
    rows = [header_row([c.title for c in columns])]
    categories: dict[str, list] = {}
    for p in report.problems:
        categories.setdefault(p.category, []).append(p)
    for category, items in categories.items():
        start = len(rows)
        for n, p in enumerate(items, 1):
            text = p.title + (f"：{p.detail}" if p.detail else "")
            rows.append([Cell(category), Cell(str(n), value=n, number="int"), Cell(p.unit or ""), Cell(text)])
        span(rows, 0, start, len(rows) - start)
    return Table(columns=columns, rows=rows)


# --- 预算执行表 -------------------------------------------------------------------------

def budget_execution(report: ReportBase) -> Table:
    lines: list[LevelLine] = report.funds.by_level
    columns = [Column("资金级次", 28, "center"), Column("年初预算数", 32, "right"), Column("实际到位数", 32, "right"),
               Column("实际支出数", 32, "right"), Column("执行率", 32, "right")]
    rows = [header_row(["资金级次", "年初预算数", "实际到位数", "实际支出数", "执行率（实际支出数÷年初预算数）"])]
    by_level = {line.level: line for line in lines}
    shown = [lv for lv in FUNDING_LEVELS if lv in by_level or lv in ("中央", "省级", "市级", "其他")
             or (lv == "区级" and "县级" not in by_level)]
    for level in shown:
        line = by_level.get(level)
        if line is None:
            rows.append([Cell(level, align="center")] + [money_cell(0) for _ in range(3)] + [pct_cell(None)])
        else:
            rows.append([Cell(level, align="center"), money_cell(line.initial), money_cell(line.received),
                         money_cell(line.spent), pct_cell(ratio(line.spent, line.initial))])
    t = level_totals(lines)
    rows.append([Cell("合计", bold=True, align="center"), money_cell(t["initial"], True), money_cell(t["received"], True),
                 money_cell(t["spent"], True), pct_cell(ratio(t["spent"], t["initial"]), True)])
    return Table(columns=columns, rows=rows, unit="单位：万元")


# --- 绩效目标表 / 调查问卷结果汇总表 ----------------------------------------------------------

def goal_table(report: ReportBase) -> Table:
    columns = [Column("目标", 30), Column("指标", 46), Column("年度指标值", 40), Column("实际完成值", 40)]
    rows = [header_row([c.title for c in columns])]
    for l1 in report.indicators:
        start = len(rows)
        for leaf in _leaves(l1):
            if leaf.target or leaf.actual:
                rows.append([Cell(l1.name), Cell(leaf.name), Cell(leaf.target or ""), Cell(leaf.actual or "")])
        span(rows, 0, start, len(rows) - start)
    return Table(columns=columns, rows=rows)


def survey_summary(report: ReportBase) -> Table:
    from .tables import survey_table

    table = survey_table(report)
    table.caption = None
    return table


def _has_targets(report: ReportBase) -> bool:
    return any(leaf.target or leaf.actual for ind in report.indicators for leaf in _leaves(ind))


@dataclass(frozen=True)
class Annex:
    name: str
    title: str
    build: Callable[[ReportBase], Table]
    applies: Callable[[ReportBase], bool]


ANNEXES: dict[str, Annex] = {a.name: a for a in (
    Annex("self_eval_form", "项目支出绩效自评表", self_eval_form, lambda r: isinstance(r, ProjectSelfReport)),
    Annex("score_table", "绩效评价指标评分表", score_table, lambda r: True),
    Annex("problem_list", "问题清单", problem_list, lambda r: bool(r.problems)),
    Annex("budget_execution", "预算执行表", budget_execution, lambda r: bool(r.funds.by_level)),
    Annex("goal_table", "绩效目标表", goal_table, _has_targets),
    Annex("survey_summary", "调查问卷结果汇总表", survey_summary, lambda r: r.survey is not None),
)}


def annex_plan(report: ReportBase, names: list[str]) -> list[tuple[int, Annex]]:
    """The annexes a report carries, numbered 附件1, 2… in outline order (numbers stay when some are regenerated alone)."""
    present = [ANNEXES[n] for n in names if ANNEXES[n].applies(report)]
    return list(enumerate(present, 1))


def resolve_names(requested: list[str]) -> list[str]:
    """Accept annex ids or their Chinese titles."""
    by_title = {a.title: a.name for a in ANNEXES.values()}
    return [by_title.get(n, n) for n in requested]
