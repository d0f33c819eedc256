"""Rules every figure must satisfy: sums, ranges, stated versus computed.

Each rule has a stable id and yields Problems located in the YAML file.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable, Iterable, Iterator

from .errors import WARNING, Problem
from .filters import money, pct_value, points, weight
from .loading import source_of
from .model import DeptSelfReport, Indicator, ProjectSelfReport, ReportBase, Spending
from .yamlio import Source

HUNDRED = Decimal(100)
MAX_DEPTH = 3

Rule = Callable[[ReportBase, Source], Iterable[Problem]]


def _mismatch(src: Source, path: tuple, title: str, rule: str, stated: Decimal, computed: Decimal,
              what: str, fmt: Callable = money) -> Problem:
    diff = stated - computed
    return src.problem(
        path, f"所填 {fmt(stated)} 与{what} {fmt(computed)} 不符（相差 {fmt(abs(diff))}）",
        title=title, rule=rule, stated=stated, computed=computed)


def _differs(stated: Decimal, computed: Decimal, tol: Decimal) -> bool:
    return abs(stated - computed) > tol


# --- indicator tree ---------------------------------------------------------------------

def _walk(nodes: list[Indicator], path: tuple, level: int) -> Iterator[tuple[Indicator, tuple, int]]:
    for i, node in enumerate(nodes):
        here = path + (i,)
        yield node, here, level
        yield from _walk(node.children, here + ("children",), level + 1)


LEVEL_CN = {1: "一级", 2: "二级", 3: "三级"}


def tree_rules(report: ReportBase, src: Source) -> Iterator[Problem]:
    tol = report.settings.tolerance
    for node, path, level in _walk(report.indicators, ("indicators",), 1):
        label = f"{LEVEL_CN.get(level, f'{level}级')}指标「{node.name}」"
        if level > MAX_DEPTH:
            yield src.problem(path, f"指标体系最多三级，此处是第 {level} 级", title=label, rule="tree.depth")
        if node.is_leaf:
            if node.score > node.weight + tol:
                yield src.problem(path + ("score",), f"得分 {points(node.score)} 超过分值 {weight(node.weight)}",
                                  title=label + "·得分", rule="tree.score_range", stated=node.score, computed=node.weight)
            continue
        if node.weight is not None and _differs(node.weight, node.total_weight, tol):
            yield _mismatch(src, path + ("weight",), label + "·分值", "tree.weight_sum",
                            node.weight, node.total_weight, "下级指标分值合计", weight)
        if node.score is not None and _differs(node.score, node.total_score, tol):
            yield _mismatch(src, path + ("score",), label + "·得分", "tree.score_sum",
                            node.score, node.total_score, "下级指标得分合计", points)
    if _differs(report.total_weight, HUNDRED, tol):
        parts = f"（其中预算执行率 {weight(report.extra_weight)} 分）" if report.extra_weight else ""
        yield src.problem(("indicators",), f"指标分值合计为 {weight(report.total_weight)}{parts}，应为 100",
                          title="指标体系", rule="tree.total_weight", stated=report.total_weight, computed=HUNDRED)


def total_rules(report: ReportBase, src: Source) -> Iterator[Problem]:
    tol = report.settings.tolerance
    if report.stated_total_score is not None and _differs(report.stated_total_score, report.total_score, tol):
        yield _mismatch(src, ("stated_total_score",), "总得分（填报数）", "total.score",
                        report.stated_total_score, report.total_score, "各指标得分合计", points)
    if report.stated_grade is not None:
        grades = [b.grade for b in report.settings.grade_bands]
        if report.stated_grade not in grades:
            yield src.problem(("stated_grade",), f"等级应为 {'、'.join(grades)} 之一，收到 {report.stated_grade!r}",
                              title="评价等级（填报数）", rule="total.grade")
        elif report.stated_grade != report.grade:
            yield src.problem(("stated_grade",),
                              f"所填等级“{report.stated_grade}”与总分 {points(report.total_score)} 对应的等级“{report.grade}”不符",
                              title="评价等级（填报数）", rule="total.grade", stated=report.stated_grade, computed=report.grade)


# --- money ------------------------------------------------------------------------------

def _spending_rules(s: Spending, path: tuple, title: str, tol: Decimal, src: Source) -> Iterator[Problem]:
    if s.has_split and s.basic is not None and _differs(s.basic, s.basic_total, tol):
        yield _mismatch(src, path + ("basic",), title + "·基本支出", "money.basic_sum",
                        s.basic, s.basic_total, "人员经费与公用经费之和")
    if s.stated_total is not None and _differs(s.stated_total, s.total, tol):
        yield _mismatch(src, path + ("stated_total",), title + "·支出合计", "money.spending_sum",
                        s.stated_total, s.total, "基本支出与项目支出之和")


def _rate_rule(src: Source, path: tuple, title: str, rule: str, stated: Decimal | None,
               computed: Decimal | None, base: str, tol: Decimal) -> Iterator[Problem]:
    if stated is None:
        return
    if computed is None:
        yield src.problem(path, f"无法核对：{base}为零或未填写", title=title, rule=rule, severity=WARNING)
        return
    percent = computed * HUNDRED
    if _differs(stated, percent, tol):
        yield _mismatch(src, path, title, rule, stated, percent, f"按{base}计算的", pct_value)


def dept_money_rules(report: ReportBase, src: Source) -> Iterator[Problem]:
    if not isinstance(report, DeptSelfReport):
        return
    f, tol = report.funds, report.settings.tolerance
    if f.income is not None and f.income.stated_total is not None and _differs(f.income.stated_total, f.income.total, tol):
        yield _mismatch(src, ("funds", "income", "stated_total"), "收入合计", "money.income_sum",
                        f.income.stated_total, f.income.total, "财政拨款收入、其他收入与年初结转结余之和")
    for key, title in (("budget", "预算支出"), ("adjusted_budget", "调整后预算"), ("final", "决算支出")):
        s = getattr(f, key)
        if s is not None:
            yield from _spending_rules(s, ("funds", key), title, tol, src)
    if f.stated_carryover_end is not None:
        if f.carryover_end is None:
            yield src.problem(("funds", "stated_carryover_end"), "无法核对：未填写收入 income",
                              title="年末结转结余", rule="money.carryover", severity=WARNING)
        elif _differs(f.stated_carryover_end, f.carryover_end, tol):
            yield _mismatch(src, ("funds", "stated_carryover_end"), "年末结转结余", "money.carryover",
                            f.stated_carryover_end, f.carryover_end, "收入合计减支出合计")
    if f.carryover_end is not None and f.carryover_end < 0:
        yield src.problem(("funds", "income"), f"决算支出 {money(f.final.total)} 大于收入合计 {money(f.income.total)}，年末结转结余为负",
                          title="收入", rule="money.carryover_negative", severity=WARNING)
    base = f"决算支出÷{f.execution_base_label}"
    yield from _rate_rule(src, ("funds", "stated_execution_rate"), "预算执行率", "rate.execution",
                          f.stated_execution_rate, f.execution_rate, base, tol)
    yield from _rate_rule(src, ("funds", "stated_arrival_rate"), "资金到位率", "rate.arrival",
                          f.stated_arrival_rate, f.arrival_rate, f"实际到位数÷{f.execution_base_label}", tol)
    if report.procurement is not None:
        p = report.procurement
        yield from _rate_rule(src, ("procurement", "stated_rate"), "政府采购执行率", "rate.procurement",
                              p.stated_rate, p.rate, "实际采购÷采购预算", tol)


def project_money_rules(report: ReportBase, src: Source) -> Iterator[Problem]:
    if not isinstance(report, ProjectSelfReport):
        return
    f, tol = report.funds, report.settings.tolerance
    sources = [line.source for line in f.lines]
    for i, line in enumerate(f.lines):
        if sources.index(line.source) != i:
            yield src.problem(("funds", "lines", i, "source"), f"资金来源“{line.source}”重复填写",
                              title="资金来源", rule="money.fund_source_duplicate")
    yield from _rate_rule(src, ("funds", "stated_rate"), "预算执行率", "rate.execution",
                          f.stated_rate, f.execution_rate, "全年执行数÷全年预算数", tol)
    if f.stated_score is not None and _differs(f.stated_score, f.score, tol):
        yield _mismatch(src, ("funds", "stated_score"), "预算执行率得分", "total.execution_score",
                        f.stated_score, f.score, f"按{f.scoring}法计算的得分", points)


# --- problems and suggestions -----------------------------------------------------------

def link_rules(report: ReportBase, src: Source) -> Iterator[Problem]:
    ids: dict[str, int] = {}
    for i, p in enumerate(report.problems):
        if p.id is None:
            continue
        if p.id in ids:
            yield src.problem(("problems", i, "id"), f"问题编号“{p.id}”与第 {ids[p.id] + 1} 个问题重复",
                              title="问题编号", rule="link.problem_id_duplicate")
        ids.setdefault(p.id, i)
    answered = set()
    for i, s in enumerate(report.suggestions):
        for j, ref in enumerate(s.answers):
            target = report.problem_by_ref(ref)
            if target is None:
                yield src.problem(("suggestions", i, "answers", j), f"引用的问题“{ref}”不存在",
                                  title=f"建议「{s.title}」·对应问题", rule="link.missing_problem")
            else:
                answered.add(id(target))
    if any(s.answers for s in report.suggestions):
        for i, p in enumerate(report.problems):
            if id(p) not in answered:
                yield src.problem(("problems", i), "没有任何建议回应这个问题",
                                  title=f"问题「{p.title}」", rule="link.unanswered", severity=WARNING)


RULES: list[Rule] = [tree_rules, total_rules, dept_money_rules, project_money_rules, link_rules]


def run_rules(report: ReportBase, rules: Iterable[Rule] = RULES) -> list[Problem]:
    src = source_of(report)
    return [p for rule in rules for p in rule(report, src)]
