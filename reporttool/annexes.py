"""Annex tables (附件): built from the report's view alone, so they can be regenerated without the narrative."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from .document import (TEXT_HEIGHT_MM, TEXT_WIDTH_MM, WIDE_TABLE_SIZES, Cell, Column, Need, Shape, Table, allot, cell_need, cells_key,
                       header_row, height_mm, laid_out_once, span, text_mm, wide)
from .forms import FOOTER_ROWS, FUNDS_COLUMNS, HEADER_FIELDS, INDICATOR_COLUMNS
from .model import PROJECT_TERMS
from .tables import figure_cell, rate_of_row, sums, survey_table
from .view import Figure, leaves, shown_levels

NOTHING = Figure(Decimal(0), "money")  # a funding level the report does not use

_TEXT_COLUMNS = (("explanation", "指标解释"), ("description", "指标说明"), ("criteria", "评分标准"),
                 ("note", "评分说明"), ("opinion", "评价意见"), ("deduction", "扣分原因"))


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
    texts = [(attr, title) for attr, title in _TEXT_COLUMNS if any(getattr(leaf, attr) for leaf in all_leaves)]
    show_rate = r.settings.score_table_rate
    columns = [Column("一级指标"), Column("二级指标"), Column("三级指标"), Column("分值", align="right"),
               Column("得分", align="right")] + ([Column("得分率", align="right")] if show_rate else []) \
        + [Column(title) for _, title in texts]

    def tail(weight, score, rate, bold=False, texts_of: Any = None) -> list[Cell]:
        cells = [figure_cell(weight, bold), figure_cell(score, bold)]
        if show_rate:
            cells.append(rate_of_row(figure_cell(rate, bold), rate, {columns[3].title: cells[0], columns[4].title: cells[1]}))
        return cells + [Cell((getattr(texts_of, attr) or "") if texts_of else "") for attr, _ in texts]

    # Each 小计 adds up its 一级's leaves; the 合计 adds up the 小计 (a 一级 that is a leaf counts itself).
    parts: list[list[Cell]] = []
    group: list[list[Cell]] = []
    firsts = {id(l1) for l1 in r.indicators}

    def leaf_tail(leaf: Any) -> list[Cell]:
        cells = tail(leaf.weight, leaf.score, leaf.rate, texts_of=leaf)
        (parts if id(leaf) in firsts else group).append(cells)
        return cells

    def subtotal(l1: Any) -> list[Cell]:
        cells = tail(l1.total_weight, l1.total_score, l1.rate, True)
        sums(cells, group, (0, 1))
        group.clear()
        parts.append(cells)
        return wide("小计", 2, bold=True, align="center") + cells

    rows = [header_row([c.title for c in columns])]
    if r.execution_part:
        p = r.execution_part
        parts.append(tail(p.weight, p.score, p.rate))
        rows.append(wide(p.name, 3) + parts[-1])
    rows += indicator_rows(r.indicators, leaf_tail, subtotal)
    total = tail(r.total_weight, r.total_score, r.score_rate, True)
    sums(total, parts, (0, 1))
    rows.append(wide("合计", 3, bold=True, align="center") + total)
    return Table(columns=columns, rows=rows, unit="单位：分")


# --- 项目支出绩效自评表 -------------------------------------------------------------------
# The layout (forms.py) says which blocks, rows and columns the form has; this builds whatever it says.
# Blocks share one grid as wide as the widest block; a narrower block lets one text column span the rest.
# Widths come from the content: a number never wraps, text shares what is left.



@dataclass
class _Band:
    """One block's columns (each: its texts, whether they are numbers, how many characters stay whole) and
    which column spans the grid columns this band lacks."""
    columns: list[tuple[list[str], bool, int]]
    stretch: int
    starts: list[int] = field(default_factory=list)
    spans: list[int] = field(default_factory=list)

    def place(self, width: int) -> None:
        extra = width - len(self.columns)
        self.spans = [1 + (extra if i == self.stretch else 0) for i in range(len(self.columns))]
        self.starts = [sum(self.spans[:i]) for i in range(len(self.columns))]

    def needs(self, size: Decimal) -> list[Need]:
        """What each column needs at this type size: numbers whole, labels whole up to a few characters."""
        out = []
        for texts, number, whole in self.columns:
            need = Need(soft=text_mm("字" * 2, size))  # a column title may wrap, two characters a line
            for t in texts:
                need.widen(cell_need(t, number and t != "—", size, whole=whole))
            out.append(need)
        return out

    def row(self, cells: list[Cell]) -> list[Cell]:
        """A row written in this band's columns (spans and covered cells included), on the shared grid."""
        out: list[Cell] = []
        for i, cell in enumerate(cells):
            if cell.covered == "h":
                continue
            last = i + cell.colspan - 1
            cell.colspan = self.starts[last] + self.spans[last] - self.starts[i]
            out += [cell] + [Cell(covered="h") for _ in range(cell.colspan - 1)]
        return out


def _grid_widths(bands: list[_Band], width: int, size: Decimal, rows: list[list[Cell]]) -> list[float]:
    """One grid for all bands: each grid column needs the most any band's column over it needs, shared by its span."""
    needs = [Need() for _ in range(width)]
    for band in bands:
        for i, need in enumerate(band.needs(size)):
            n = band.spans[i]
            share = Need(need.hard / n, need.soft / n, need.want / n)
            for j in range(band.starts[i], band.starts[i] + n):
                needs[j].widen(share)
    return [round(float(w), 1) for w in allot(needs, TEXT_WIDTH_MM, text_mm("字", size), Shape(rows, size, thorough=True))]


FORM_SIZES = WIDE_TABLE_SIZES + (Decimal("8.5"), Decimal(8))  # 五号 … 小五, then a little smaller
FORM_HEIGHT_MM = TEXT_HEIGHT_MM - 36  # the page less 附件N, the form's title and its year line (32 mm measured)


def _groups(cells: int, parts: int) -> list[int]:
    """``cells`` grid columns split into ``parts`` groups as evenly as possible (the later ones take the rest)."""
    size, more = divmod(cells, parts)
    return [size + (1 if i >= parts - more else 0) for i in range(parts)]


def _ticks(chosen: str | None) -> str:
    return "　".join(f"{term}（{'√' if term == chosen else '　'}）" for term in PROJECT_TERMS)


def _header_value(p: Any, key: str) -> str:
    return _ticks(p.term) if key == "term" else (getattr(p, key) or "")


def _problems_and_suggestions(r: Any) -> str:
    lines = []
    for title, items in (("问题", r.problems), ("建议", r.suggestions)):
        if items:
            lines.append(f"{title}：" + "；".join(f"{n}.{x.title}" for n, x in enumerate(items, 1)))
    return "\n".join(lines)


def _level_label(level: str) -> str:
    return level if level == "其他" else f"{level}财政"


def self_eval_form(r: Any, layout: Any) -> Table:
    p, f = r.project, r.funds
    size = layout.font_size
    bold = dict(bold=True, align="center")
    dash = Cell("—", align="center")
    names = lambda key: layout.titles.get(key) or HEADER_FIELDS.get(key) or FOOTER_ROWS[key]  # noqa: E731

    # Indicators: 一级 | 二级 | 三级 | the layout's columns.
    ind_cols = list(layout.indicators.columns)
    ind_titles = ["一级指标", "二级指标", "三级指标"] + [layout.indicators.titles.get(c) or INDICATOR_COLUMNS[c] for c in ind_cols]
    ind_value = {"nature": lambda leaf: Cell(leaf.nature or "", align="center"),
                 "unit": lambda leaf: Cell(leaf.measure_unit or "", align="center"),
                 "target": lambda leaf: Cell(leaf.target or ""), "actual": lambda leaf: Cell(leaf.actual or ""),
                 "weight": lambda leaf: figure_cell(leaf.weight), "score": lambda leaf: figure_cell(leaf.score),
                 "deviation": lambda leaf: Cell(leaf.deviation or "")}
    leaf_cells: list[dict[str, Cell]] = []  # each leaf's cells by column, for 总分

    def leaf_tail(leaf: Any) -> list[Cell]:
        leaf_cells.append({c: ind_value[c](leaf) for c in ind_cols})
        return list(leaf_cells[-1].values())

    ind_rows = indicator_rows(r.indicators, leaf_tail)
    # Funds: 项目资金 | row | the layout's columns (分值 and 得分 only where 预算执行率 is scored beside the tree).
    funds = layout.funds
    fund_cols = [c for c in funds.columns if r.execution_part or c not in ("weight", "score")] if funds else []
    fund_rows: list[tuple[str, Any]] = []
    fund_groups: list[str] = []
    for group in (funds.rows if funds else ()):
        rows = {"total": [f.total_row], "sources": list(f.source_rows), "levels": list(f.level_rows)}[group]
        for i, row in enumerate(rows):
            label = row.label if group != "levels" else _level_label(row.label)
            fund_rows.append((("其中：" if i == 0 and group != "total" else "") + label, row if group != "total" else None))
            fund_groups.append(group)

    def fund_cell(col: str, row: Any) -> Cell:
        if row is None:  # 年度资金总额
            special = {"weight": figure_cell(f.execution_weight), "score": figure_cell(f.score),
                       "reason": Cell(f.reason or "")}
            return special.get(col) or figure_cell(getattr(f.total_row, col))
        if col in ("weight", "score"):
            return dash
        return Cell("") if col == "reason" else figure_cell(getattr(row, col))

    def fund_line(label: str, row: Any) -> list[Cell]:
        cells = [fund_cell(c, row) for c in fund_cols]
        named = {FUNDS_COLUMNS[c]: x for c, x in zip(fund_cols, cells)}
        for c, x in zip(fund_cols, cells):
            if c in ("rate", "arrival_rate"):
                rate_of_row(x, getattr(f.total_row if row is None else row, c), named)
        return [Cell(""), Cell(label)] + cells

    fund_body = [fund_line(label, row) for label, row in fund_rows]
    # 年度资金总额 adds up the rows by source (the rows by level are another split of it)
    for total in (body for body, group in zip(fund_body, fund_groups) if group == "total"):
        sums(total, [body for body, group in zip(fund_body, fund_groups) if group == "sources"],
             [2 + i for i, c in enumerate(fund_cols) if c in ("initial", "adjusted", "budget", "received", "spent")])

    # Each band's columns: the texts they print, whether numbers, how many characters of a label stay whole.
    def texts(rows: list[list[Cell]], i: int) -> list[str]:
        return [row[i].text for row in rows if len(row) > i and not row[i].covered and row[i].colspan == 1]

    numeric_ind = {"weight", "score"}
    ind_band = _Band(
        [([names(k) for row in layout.header for k in row] + texts(ind_rows, 0), False, 2),
         (texts(ind_rows, 1), False, 2), (texts(ind_rows, 2), False, 4)]
        + [(texts(ind_rows, 3 + i) + ([r.total_weight.number, r.total_score.number] if c in numeric_ind else []),
            c in numeric_ind, 4) for i, c in enumerate(ind_cols)],
        3 + ind_cols.index("deviation") if "deviation" in ind_cols else 2)
    bands = [ind_band]
    fund_band = None
    if funds:
        fund_band = _Band(
            [([], False, 2), ([label for label, _ in fund_rows], False, 2)]
            + [(texts(fund_body, 2 + i), c != "reason", 4) for i, c in enumerate(fund_cols)],
            2 + fund_cols.index("reason") if "reason" in fund_cols else 1)
        bands.append(fund_band)
    width = max(len(b.columns) for b in bands)
    for band in bands:
        band.place(width)
    rows: list[list[Cell]] = []
    for fields in layout.header:
        row: list[Cell] = []
        for key, cells in zip(fields, _groups(width, len(fields))):
            row += [Cell(names(key), **bold)] + wide(_header_value(p, key), cells - 1)
        rows.append(row)
    if funds:
        start = len(rows)
        rows.append(fund_band.row([Cell(funds.title, **bold)] + header_row(
            [""] + [funds.titles.get(c) or FUNDS_COLUMNS[c] for c in fund_cols])))
        rows += [fund_band.row(row) for row in fund_body]
        span(rows, 0, start, len(rows) - start)
    if layout.goals:
        start = len(rows)
        expected, actual = _groups(width - 1, 2)
        rows.append([Cell("年度总体目标", **bold)] + wide("预期目标", expected, **bold) + wide("实际完成情况", actual, **bold))
        rows += [[Cell("")] + wide(g.expected, expected) + wide(g.actual, actual) for g in r.goals]
        span(rows, 0, start, len(rows) - start)
    rows.append(ind_band.row(header_row(ind_titles)))
    rows += [ind_band.row(row) for row in ind_rows]
    # 总分 and 评价等次 name the columns up to 分值 (or 得分); the other rows name the three indicator columns.
    label_cols = 3 + next((i for i, c in enumerate(ind_cols) if c in numeric_ind), 0)
    rest = len(ind_titles) - label_cols
    for key in layout.footer:
        if key == "total":
            totals = {"weight": figure_cell(r.total_weight, True), "score": figure_cell(r.total_score, True)}
            for c, cell in totals.items():  # the leaves, and 预算执行率 where it is scored in the funds block
                outside = [body[2 + fund_cols.index(c)] for body, group in zip(fund_body, fund_groups)
                           if group == "total" and c in fund_cols]
                cell.total_of = tuple(leaf[c] for leaf in leaf_cells if c in leaf) + tuple(outside)
            rows.append(ind_band.row(wide(names(key), label_cols, **bold)
                                     + [totals.get(c) or Cell("") for c in ind_cols[label_cols - 3:]]))
        elif key == "grade":
            rows.append(ind_band.row(wide(names(key), label_cols, **bold) + wide(r.grade_ticks, rest, align="center")))
        elif key == "problems":
            rows.append(ind_band.row(wide(names(key), 3, **bold) + wide(_problems_and_suggestions(r), len(ind_cols))))
        else:  # 评价人员: 姓名 | 职务/职称 | 单位 | 签字, one row each (one empty row to sign when none is listed)
            titles = ["姓名", "职务/职称", "单位", "签字"][:min(4, width - 1)]
            groups = _groups(width - 1, len(titles))
            start = len(rows)
            rows.append([Cell(names(key), **bold)] + [c for t, n in zip(titles, groups) for c in wide(t, n, **bold)])
            people = [[e.name, e.position or "", e.unit or "", ""][:len(titles)] for e in r.evaluators] or [[""] * len(titles)]
            rows += [[Cell("")] + [c for t, n in zip(person, groups) for c in wide(t, n)] for person in people]
            span(rows, 0, start, len(rows) - start)
    base = f"　执行率＝{f.execution_rate.base}" if f.execution_rate and "rate" in fund_cols else ""
    # The form keeps to one page: the layout's type size, or the largest smaller one that fits (8 pt at least).
    def one_page() -> tuple[Decimal, list[float]]:
        sizes = [size] + [s for s in FORM_SIZES if s < size]
        tried: dict[Decimal, tuple[list[float], bool]] = {}

        def fits(i: int) -> bool:
            widths = _grid_widths(bands, width, sizes[i], rows)
            tried[sizes[i]] = (widths, height_mm(rows, widths, sizes[i]) <= FORM_HEIGHT_MM)
            return tried[sizes[i]][1]

        low, high = 0, len(sizes) - 1  # the first size that fits, found in a few tries (smaller sizes need less room)
        if fits(0):
            return sizes[0], tried[sizes[0]][0]
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (low, mid) if fits(mid) else (mid, high)
        chosen = sizes[high]
        return chosen, tried[chosen][0] if chosen in tried else _grid_widths(bands, width, chosen, rows)

    bands_key = tuple((tuple(texts), number, whole) for b in bands for texts, number, whole in b.columns)
    size, widths = laid_out_once(("form", size, width, bands_key, cells_key(rows)), one_page)
    columns = [Column(t, w) for t, w in zip(ind_titles + [""] * width, widths)]
    return Table(columns=columns, rows=rows, header_rows=0, unit=f"（{r.year}年度）{base}", size=round(size * 2), laid_out=True)


# --- 问题清单 -------------------------------------------------------------------------

def problem_list(r: Any) -> Table:
    columns = [Column("问题分类", align="center"), Column("序号", align="center"), Column("责任单位"), Column("问题描述")]
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
    columns = [Column("资金级次", align="center"), Column("年初预算数", align="right"), Column("实际到位数", align="right"),
               Column("实际支出数", align="right"), Column("执行率", align="right")]
    total = f.by_level_total
    rows = [header_row(["资金级次", "年初预算数", "实际到位数", "实际支出数", f"执行率（{total.rate.base if total.rate else '实际支出数÷年初预算数'}）"])]
    by_level = {line.level: line for line in f.by_level}

    def line_row(label: Cell, line: Any, bold: bool = False) -> list[Cell]:
        row = [label] + [figure_cell(x, bold) for x in (line.initial, line.received, line.spent)]
        return row + [rate_of_row(figure_cell(line.rate, bold), line.rate, {c.title: x for c, x in zip(columns, row)})]

    for level in shown_levels(set(by_level)):
        line = by_level.get(level)
        if line is None:
            rows.append([Cell(level, align="center")] + [figure_cell(NOTHING) for _ in range(3)] + [figure_cell(None)])
        else:
            rows.append(line_row(Cell(level, align="center"), line))
    rows.append(line_row(Cell("合计", bold=True, align="center"), total, True))
    sums(rows[-1], rows[1:-1], (1, 2, 3))
    return Table(columns=columns, rows=rows, unit="单位：万元")


# --- 绩效目标表 / 调查问卷结果汇总表 ----------------------------------------------------------

def goal_table(r: Any) -> Table:
    columns = [Column("目标"), Column("指标"), Column("年度指标值"), Column("实际完成值")]
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
    build: Callable[..., Table]
    applies: Callable[[Any], bool]
    laid_out: bool = False  # built after a form layout (forms.py), given as the second argument

    def table(self, r: Any, layout: Any) -> Table:
        return self.build(r, layout) if self.laid_out else self.build(r)


ANNEXES: dict[str, Annex] = {a.name: a for a in (
    Annex("self_eval_form", "项目支出绩效自评表", self_eval_form, lambda r: r.kind == "project_self" and r.scored, True),
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
