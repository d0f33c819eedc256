"""Annex tables (附件): built from the report's view alone, so they can be regenerated without the narrative."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from .document import TEXT_WIDTH_MM, Cell, Column, Table, header_row, span, wide
from .model import FUND_SOURCES, FUNDING_LEVELS
from .tables import figure_cell, survey_table
from .view import Figure, leaves

NOTHING = Figure(Decimal(0), "money")  # a funding level the report does not use

_TEXT_COLUMNS = (("explanation", "指标解释", 3), ("description", "指标说明", 3), ("criteria", "评分标准", 3),
                 ("note", "评分说明", 3), ("opinion", "评价意见", 3), ("deduction", "扣分原因", 3))


def _fit(fixed: list[Column], flexible: list[tuple[str, float]], align="left") -> list[Column]:
    """Give the flexible columns what the fixed ones leave of the text width, in proportion."""
    rest = TEXT_WIDTH_MM - sum(c.width_mm for c in fixed)
    total = sum(share for _, share in flexible) or 1
    return fixed + [Column(title, round(rest * share / total, 1), align) for title, share in flexible]


def label(node: Any) -> str:
    """An indicator as the tables show it: with its code (A11 绩效目标合理性) when the report gives one."""
    return f"{node.code} {node.name}" if node.code else node.name


def indicator_rows(indicators: tuple, tail: Callable[[Any], list[Cell]],
                   subtotal: Callable[[Any], list[Cell]] | None = None) -> list[list[Cell]]:
    """One row per leaf under 一级 | 二级 | 三级, the first two merged down their groups.

    Spans come from the tree, so every shape works: a 二级 that is a leaf spans 二级+三级, a 一级
    that is a leaf spans all three; levels deeper than three are folded into the 三级 column.
    """
    rows: list[list[Cell]] = []
    for l1 in indicators:
        if l1.is_leaf:
            rows.append(wide(label(l1), 3) + tail(l1))
            continue
        start = len(rows)
        for l2 in l1.children:
            if l2.is_leaf:
                rows.append([Cell(label(l1))] + wide(label(l2), 2) + tail(l2))
                continue
            first = len(rows)
            for l3 in l2.children:
                for leaf in leaves(l3):
                    name = label(l3) if leaf is l3 else f"{label(l3)}／{label(leaf)}"
                    rows.append([Cell(label(l1)), Cell(label(l2)), Cell(name)] + tail(leaf))
            span(rows, 1, first, len(rows) - first)
        if subtotal is not None:
            rows.append([Cell(label(l1))] + subtotal(l1))
        span(rows, 0, start, len(rows) - start)
    return rows


# --- 绩效评价指标评分表 -------------------------------------------------------------------

def score_table(r: Any) -> Table:
    all_leaves = [leaf for ind in r.indicators for leaf in leaves(ind)]
    texts = [(attr, title) for attr, title, _ in _TEXT_COLUMNS if any(getattr(leaf, attr) for leaf in all_leaves)]
    show_rate = r.settings.score_table_rate
    # Names and figures as narrow as their usual content; the text columns share what is left.
    names = [Column("一级指标", 15), Column("二级指标", 17)] if texts else [Column("一级指标", 18), Column("二级指标", 20)]
    figures = [Column("分值", 12 if texts else 14, "right"), Column("得分", 16 if texts else 17, "right")] \
        + ([Column("得分率", 17, "right")] if show_rate else [])
    flexible = [("三级指标", 3 if texts else 4)] + [(title, share) for attr, title, share in _TEXT_COLUMNS if (attr, title) in texts]
    grown = _fit(names + figures, flexible)
    columns = names + [grown[len(names) + len(figures)]] + figures + grown[len(names) + len(figures) + 1:]

    def tail(weight, score, rate, bold=False, texts_of: Any = None) -> list[Cell]:
        cells = [figure_cell(weight, bold), figure_cell(score, bold)]
        if show_rate:
            cells.append(figure_cell(rate, bold))
        return cells + [Cell((getattr(texts_of, attr) or "") if texts_of else "") for attr, _ in texts]

    rows = [header_row([c.title for c in columns])]
    if r.execution_part:
        p = r.execution_part
        rows.append(wide(p.name, 3) + tail(p.weight, p.score, p.rate))
    rows += indicator_rows(r.indicators, lambda leaf: tail(leaf.weight, leaf.score, leaf.rate, texts_of=leaf),
                           lambda l1: wide("小计", 2, bold=True, align="center")
                           + tail(l1.total_weight, l1.total_score, l1.rate, True))
    rows.append(wide("合计", 3, bold=True, align="center") + tail(r.total_weight, r.total_score, r.score_rate, True))
    return Table(columns=columns, rows=rows, unit="单位：分")


# --- 项目支出绩效自评表 -------------------------------------------------------------------

def self_eval_form(r: Any) -> Table:
    p, f = r.project, r.funds
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
    rows.append([Cell(""), Cell("年度资金总额")] + [figure_cell(x) for x in (
        f.initial, f.budget, f.spent, f.weight, f.execution_rate, f.score)])
    dash = Cell("—", align="center")
    for i, line in enumerate(f.sources):
        label = ("其中：" if i == 0 else "") + FUND_SOURCES[i]
        if line is None:
            rows.append([Cell(""), Cell(label)] + [figure_cell(None) for _ in range(3)] + [dash, figure_cell(None), dash])
        else:
            rows.append([Cell(""), Cell(label)] + [figure_cell(x) for x in (line.initial, line.budget, line.spent)]
                        + [dash, figure_cell(line.rate), dash])
    span(rows, 0, start, len(rows) - start)
    start = len(rows)
    rows.append([Cell("年度总体目标", bold=True, align="center")] + wide("预期目标", 3, bold=True, align="center")
                + wide("实际完成情况", 4, bold=True, align="center"))
    for g in r.goals:
        rows.append([Cell("")] + wide(g.expected, 3) + wide(g.actual, 4))
    span(rows, 0, start, len(rows) - start)
    rows.append(header_row([c.title for c in columns]))
    rows += indicator_rows(r.indicators, lambda leaf: [
        Cell(leaf.target or ""), Cell(leaf.actual or ""), figure_cell(leaf.weight), figure_cell(leaf.score),
        Cell(leaf.deviation or "")])
    rows.append(wide("总分", 5, bold=True, align="center") + [figure_cell(r.total_weight, True),
                                                              figure_cell(r.total_score, True), Cell("")])
    rows.append(wide("评价等次", 5, bold=True, align="center") + wide(r.grade_ticks, 3, align="center"))
    return Table(columns=columns, rows=rows, header_rows=0, unit=f"（{r.year}年度）")


# --- 问题清单 -------------------------------------------------------------------------

def problem_list(r: Any) -> Table:
    columns = [Column("问题分类", 24, "center"), Column("序号", 12, "center"), Column("责任单位", 26), Column("问题描述", 94)]
    rows = [header_row([c.title for c in columns])]
    categories: dict[str, list] = {}
    for p in r.problems + r.more_problems:
        categories.setdefault(p.category, []).append(p)
    for category, items in categories.items():
        start = len(rows)
        for n, p in enumerate(items, 1):
            text = p.title + (f"：{p.detail}" if p.detail else "")
            rows.append([Cell(category), Cell(str(n), value=n, number="count"), Cell(p.unit or ""), Cell(text)])
        span(rows, 0, start, len(rows) - start)
    return Table(columns=columns, rows=rows)


# --- 预算执行表 -------------------------------------------------------------------------

def budget_execution(r: Any) -> Table:
    f = r.funds
    columns = [Column("资金级次", 28, "center"), Column("年初预算数", 32, "right"), Column("实际到位数", 32, "right"),
               Column("实际支出数", 32, "right"), Column("执行率", 32, "right")]
    total = f.by_level_total
    rows = [header_row(["资金级次", "年初预算数", "实际到位数", "实际支出数", f"执行率（{total.rate.base if total.rate else '实际支出数÷年初预算数'}）"])]
    by_level = {line.level: line for line in f.by_level}
    shown = [lv for lv in FUNDING_LEVELS if lv in by_level or lv in ("中央", "省级", "市级", "其他")
             or (lv == "区级" and "县级" not in by_level)]
    for level in shown:
        line = by_level.get(level)
        if line is None:
            rows.append([Cell(level, align="center")] + [figure_cell(NOTHING) for _ in range(3)] + [figure_cell(None)])
        else:
            rows.append([Cell(level, align="center")] + [figure_cell(x) for x in (line.initial, line.received, line.spent, line.rate)])
    rows.append([Cell("合计", bold=True, align="center")]
                + [figure_cell(x, True) for x in (total.initial, total.received, total.spent, total.rate)])
    return Table(columns=columns, rows=rows, unit="单位：万元")


# --- 绩效目标表 / 调查问卷结果汇总表 ----------------------------------------------------------

def goal_table(r: Any) -> Table:
    columns = [Column("目标", 30), Column("指标", 46), Column("年度指标值", 40), Column("实际完成值", 40)]
    rows = [header_row([c.title for c in columns])]
    for l1 in r.indicators:
        start = len(rows)
        for leaf in leaves(l1):
            if leaf.target or leaf.actual:
                rows.append([Cell(label(l1)), Cell(label(leaf)), Cell(leaf.target or ""), Cell(leaf.actual or "")])
        span(rows, 0, start, len(rows) - start)
    return Table(columns=columns, rows=rows)


def survey_summary(r: Any) -> Table:
    return survey_table(r, caption=None)


def _has_targets(r: Any) -> bool:
    return any(leaf.target or leaf.actual for ind in r.indicators for leaf in leaves(ind))


@dataclass(frozen=True)
class Annex:
    name: str
    title: str
    build: Callable[[Any], Table]
    applies: Callable[[Any], bool]


ANNEXES: dict[str, Annex] = {a.name: a for a in (
    Annex("self_eval_form", "项目支出绩效自评表", self_eval_form, lambda r: r.kind == "project_self" and r.scored),
    Annex("score_table", "绩效评价指标评分表", score_table, lambda r: r.scored),
    Annex("problem_list", "问题清单", problem_list, lambda r: bool(r.problems or r.more_problems)),
    Annex("budget_execution", "预算执行表", budget_execution, lambda r: bool(r.funds.by_level)),
    Annex("goal_table", "绩效目标表", goal_table, _has_targets),
    Annex("survey_summary", "调查问卷结果汇总表", survey_summary, lambda r: r.survey is not None),
)}


def annex_plan(r: Any, names: list[str]) -> list[tuple[int, Annex]]:
    """The annexes a report view carries, numbered 附件1, 2… in outline order (numbers stay when some are regenerated alone)."""
    present = [ANNEXES[n] for n in names if ANNEXES[n].applies(r)]
    return list(enumerate(present, 1))


def resolve_names(requested: list[str]) -> list[str]:
    """Accept annex ids or their Chinese titles."""
    by_title = {a.title: a.name for a in ANNEXES.values()}
    return [by_title.get(n, n) for n in requested]
