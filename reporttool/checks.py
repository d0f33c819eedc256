"""Rules every figure must satisfy: sums, ranges, stated versus computed.

Each rule has a stable id and yields Problems located in the YAML file.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator

from pydantic import BaseModel

from .text import invalid_chars
from .errors import ERROR, WARNING, Problem
from .filters import q2
from .loading import field_title, source_of
from .model import DeptFunds, FundTotals, KeyEvalProjectReport, ProjectSelfReport, ReportBase
from .view import Figure, problem_number, view
from .yamlio import Source

HUNDRED = Decimal(100)
MAX_DEPTH = 3

# Every rule id the checker can report, with what it checks.
RULE_IDS = {
    "tree.depth": "指标体系不超过三级",
    "tree.score_range": "末级指标得分在 0 与分值之间",
    "tree.weight_sum": "上级指标所填分值等于下级分值合计",
    "tree.score_sum": "上级指标所填得分等于下级得分合计",
    "tree.total_weight": "总分值为 100",
    "tree.duplicate_name": "同级指标不重名（警告）",
    "tree.uneven": "同级指标层级一致：末级指标旁边的指标没有下级（警告；多为缩进少了一级）",
    "total.score": "所填总得分等于各指标得分合计",
    "total.grade": "所填评价等级与总分所在分档一致",
    "total.execution_score": "所填预算执行率得分与计分方法一致",
    "money.income_sum": "收入合计等于各项收入之和",
    "money.basic_sum": "基本支出等于人员经费与公用经费之和",
    "money.spending_sum": "支出合计等于基本支出与项目支出之和",
    "money.carryover": "年末结转结余等于收入合计减支出合计",
    "money.carryover_negative": "年末结转结余不为负（警告）",
    "money.shares": "所填各类支出占比等于计算值",
    "money.shares_sum": "所填基本支出与项目支出占比合计为 100%",
    "money.income_shares": "所填各项收入占比等于占收入合计的计算值",
    "money.three_public_sum": "所填“三公”经费合计等于各分项之和",
    "money.assets_sum": "所填资产总额等于各类资产账面价值之和",
    "money.asset_shares": "所填各类资产占比等于占资产总额的计算值",
    "money.levels_sum": "按资金级次分列的支出合计等于支出合计",
    "money.item_change": "单列支出项目所填较上年增减额、增减率等于按本年与上年支出计算的值",
    "money.procurement_count": "所填采购项目数等于所列采购项目的个数",
    "money.projects_sum": "所列项目预算合计不超过项目支出预算（警告）",
    "money.fund_source_duplicate": "项目资金来源不重复",
    "money.fund_lines": "多年度资金明细：同一年度同一子项目只填一行，同一年度各行都写或都不写子项目名称，年度在评价时段内",
    "money.fund_shares": "所填各子项目、各年度资金占比等于计算值",
    "money.funds_total": "所填预算安排总计、支出金额总计等于各行之和",
    "rate.execution": "所填预算执行率等于按其基数计算的值",
    "rate.arrival": "所填资金到位率等于计算值",
    "rate.procurement": "所填政府采购执行率等于计算值",
    "rate.change": "所填较上年增减等于（本年−上年）÷上年",
    "rate.usage": "所填资金使用率等于支出合计÷收入合计",
    "survey.weights": "满意度调查各组权重合计为 100%",
    "survey.overall": "所填综合满意度等于各组满意度的加权平均",
    "survey.counts": "满意问卷数不超过有效问卷数；有效问卷数等于各选项回答人数合计",
    "survey.satisfaction": "所填各组满意度等于按回答人数和选项分值计算的值",
    "points.counts": "评价点：已完成 + 未完成 = 总数",
    "points.rate": "所填完成率等于已完成 ÷ 总数",
    "narrative.subtotal": "文字中引用的一级指标得分等于评分表",
    "narrative.total": "文字中引用的总得分等于评分表",
    "narrative.grade": "文字中引用的评价等级等于计算的等级",
    "narrative.rate": "文字中引用的比率（预算执行率、资金到位率等）等于按其基数计算的值",
    "link.problem_id_duplicate": "问题编号不重复",
    "link.missing_problem": "建议引用的问题存在",
    "link.unanswered": "每个问题至少有一条建议回应（警告）",
    "outline.required": "大纲中的必备章节有数据",
    "text.control_chars": "文字中没有无法写入 Word 的控制字符（警告，已删除）",
    "text.skeleton": "没有留下模板中的示例文字（警告）",
    "date.other_year": "日期、实施周期和标题中的年份属于评价年度（警告；多见于沿用上年文件）",
    "previous.follow_up": "上年报告列出的问题，本年已整改或再次列出（警告）",
    "money.fund_totals": "自评表“年度资金总额”一行的各数等于各资金来源之和",
    "text.overview_missing": "项目自评报告有项目概况（警告；从自评表读入时常缺）",
    "selfeval.execution_leaf": "预算执行率只计分一次：作为末级指标计分时不再单列分值，也只由一个指标计分",
    "selfeval.indicator_score": "定量指标的得分等于按指标方向由年度指标值和实际完成值计算的得分",
    "selfeval.deviation_reason": "未达到年度指标值（或未得满分）的指标填写了偏差原因分析及改进措施",
    "selfeval.low_execution_reason": "预算执行率低于设定比例（默认 90%）时说明了原因",
    "selfeval.score_cap": "总分不超过预算执行率所在分档的上限（默认不启用）",
    "selfeval.over_target": "实际完成值没有超过年度指标值 30% 以上（警告；多为指标值定得偏低）",
    "selfeval.required_dimensions": "指标体系包含产出、效益、满意度指标",
    "selfeval.placeholder": "年度指标值、实际完成值和年度总体目标没有只填占位符（*、—、/）（警告）",
    "selfeval.arrival_full_marks": "资金到位率低于 100% 时“资金到位率”指标没有得满分（警告）",
}

Rule = Callable[[ReportBase, Any, Source], Iterable[Problem]]  # (model, its view, where it came from)


def _mismatch(src: Source, path: tuple, title: str, rule: str, stated: Figure, computed: Figure, what: str) -> Problem:
    """A stated figure against the one computed from its parts; rates say their base."""
    if computed.unit == "pct":
        gap = f"{q2(abs(stated.value - computed.value) * HUNDRED)} 个百分点"
        what = f"按{computed.base}计算的"
    else:
        gap = Figure(abs(stated.value - computed.value), computed.unit).number
    return src.problem(
        path, f"所填 {stated.number} 与{what} {computed.number} 不符（相差 {gap}）",
        title=title, rule=rule, stated=stated.number, computed=computed.number)


def _differs(stated: Figure, computed: Figure, tol: Decimal) -> bool:
    scale = HUNDRED if computed.unit == "pct" else 1  # rate tolerances are in percentage points
    return abs(stated.value - computed.value) * scale > tol


# --- indicator tree ---------------------------------------------------------------------

def _walk(nodes: tuple, path: tuple, level: int) -> Iterator[tuple[Any, tuple, int]]:
    for i, node in enumerate(nodes):
        here = path + (i,)
        yield node, here, level
        yield from _walk(node.children, here + ("children",), level + 1)


LEVEL_CN = {1: "一级", 2: "二级", 3: "三级"}


def tree_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    tol = r.settings.tolerance
    yield from _sibling_rules(r.indicators, ("indicators",), 1, src)
    for node, path, level in _walk(r.indicators, ("indicators",), 1):
        label = f"{LEVEL_CN.get(level, f'{level}级')}指标「{node.name}」"
        if level > MAX_DEPTH:
            yield src.problem(path, f"指标体系最多三级，此处是第 {level} 级", title=label, rule="tree.depth")
        if node.is_leaf:
            if node.score is not None and node.weight is not None and node.score.value > node.weight.value + tol:
                yield src.problem(path + ("score",), f"得分 {node.score.number} 超过分值 {node.weight.number}",
                                  title=label + "·得分", rule="tree.score_range", stated=node.score.number,
                                  computed=node.weight.number)
            continue
        for key, total_key, what, unit, rule in (("weight", "total_weight", "分值", "weight", "tree.weight_sum"),
                                                 ("score", "total_score", "得分", "points", "tree.score_sum")):
            stated = getattr(node, key)
            if stated is None:
                continue
            # The children as the report writes them: a child's own stated figure where it gives one.
            as_written = Figure(sum((getattr(c, key) or getattr(c, total_key)).value for c in node.children), unit)
            states = any(not c.is_leaf and getattr(c, key) is not None for c in node.children)
            kids = LEVEL_CN.get(level + 1, "下级") if all(c.is_leaf for c in node.children) else "下级"
            if _differs(stated, as_written, tol):
                yield _mismatch(src, path + (key,), f"{label}·{what}", rule, stated, as_written,
                                f"{kids}指标{'所填' if states else ''}{what}合计")
        yield from _sibling_rules(node.children, path + ("children",), level + 1, src)
    if r.scored and abs(r.total_weight.value - HUNDRED) > tol:
        parts = f"（其中{r.execution_part.name} {r.execution_part.weight.number} 分）" if r.execution_part else ""
        yield src.problem(("indicators",), f"指标分值合计为 {r.total_weight.number}{parts}，应为 100",
                          title="指标体系", rule="tree.total_weight", stated=r.total_weight.number, computed="100")


def _sibling_rules(children: tuple, path: tuple, level: int, src: Source) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for i, c in enumerate(children):
        here = path + (i,)
        label = f"{LEVEL_CN.get(level, f'{level}级')}指标「{c.name}」"
        if c.name in seen:
            yield src.problem(here, f"与同级的第 {seen[c.name] + 1} 个指标重名（是否重复粘贴了？）", title=label,
                              rule="tree.duplicate_name", severity=WARNING)
        seen.setdefault(c.name, i)
    deeper = next((c for c in children if not c.is_leaf), None)
    if deeper is not None:
        for i, c in enumerate(children):
            if c.is_leaf:
                yield src.problem(path + (i,), f"是末级指标，而同级的「{deeper.name}」下还有下级指标：是否少缩进了一级？",
                                  title=f"{LEVEL_CN.get(level, f'{level}级')}指标「{c.name}」", rule="tree.uneven",
                                  severity=WARNING)


def total_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    tol = r.settings.tolerance
    if not r.scored:
        for key, title in (("stated_total_score", "总得分（填报数）"), ("stated_grade", "评价等级（填报数）")):
            if getattr(r, key) is not None:
                yield src.problem((key,), "无法核对：报告没有填写指标体系（indicators）", title=title,
                                  rule="total.score" if key == "stated_total_score" else "total.grade", severity=WARNING)
        return
    if r.stated_total_score is not None and _differs(r.stated_total_score, r.total_score, tol):
        yield _mismatch(src, ("stated_total_score",), "总得分（填报数）", "total.score",
                        r.stated_total_score, r.total_score, "各指标得分合计")
    if r.stated_grade is not None:
        grades = [b.grade for b in r.settings.grade_bands]
        if r.stated_grade not in grades:
            yield src.problem(("stated_grade",), f"等级应为 {'、'.join(grades)} 之一，收到 “{r.stated_grade}”",
                              title="评价等级（填报数）", rule="total.grade")
        elif r.stated_grade != r.grade:
            yield src.problem(("stated_grade",),
                              f"所填等级“{r.stated_grade}”与总分 {r.total_score.number} 对应的等级“{r.grade}”不符",
                              title="评价等级（填报数）", rule="total.grade", stated=r.stated_grade, computed=r.grade)


# --- money ------------------------------------------------------------------------------

def _spending_rules(s: Any, path: tuple, title: str, tol: Decimal, src: Source) -> Iterator[Problem]:
    if s.has_split and s.basic is not None and _differs(s.basic, s.basic_total, tol):
        yield _mismatch(src, path + ("basic",), title + "·基本支出", "money.basic_sum",
                        s.basic, s.basic_total, "人员经费与公用经费之和")
    if s.stated_total is not None and _differs(s.stated_total, s.total, tol):
        yield _mismatch(src, path + ("stated_total",), title + "·支出合计", "money.spending_sum",
                        s.stated_total, s.total, "基本支出与项目支出之和")


def _rate_rule(src: Source, path: tuple, title: str, rule: str, stated: Figure | None,
               computed: Figure | None, tol: Decimal, base_missing: str) -> Iterator[Problem]:
    """A stated rate against its computed value; the message names the base from the same Figure the report prints."""
    if stated is None:
        return
    if computed is None:
        yield src.problem(path, f"无法核对：{base_missing}", title=title, rule=rule, severity=WARNING)
        return
    if _differs(stated, computed, tol):
        yield _mismatch(src, path, title, rule, stated, computed, "")


def _other_bases(stated: Figure, computed: Figure, alternatives: Iterable[Figure], fits: Callable[[Figure], bool]) -> str:
    """What a rate that misses its declared base is on: another base it fits, or none of them."""
    others = [alt for alt in alternatives if alt.base != computed.base and alt.value != computed.value]
    fitting = next((alt for alt in others if fits(alt)), None)
    if fitting is not None:
        return f"；它等于按{fitting.base}计算的 {fitting.number}，请确认所说的是哪个基数"
    if others:
        return "；它与" + "、".join(f"按{alt.base}计算的 {alt.number}" for alt in others) + " 也不符"
    return ""


def _based_rate_rule(src: Source, path: tuple, title: str, rule: str, stated: Figure | None, computed: Figure | None,
                     alternatives: Iterable[Figure], tol: Decimal, base_missing: str) -> Iterator[Problem]:
    """A stated rate against its declared base; when it misses, the message says which base it fits, if any."""
    for problem in _rate_rule(src, path, title, rule, stated, computed, tol, base_missing):
        if problem.severity == ERROR:
            problem = _hint(problem, _other_bases(stated, computed, alternatives, lambda alt: not _differs(stated, alt, tol)))
        yield problem


def dept_money_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    if not isinstance(report.funds, DeptFunds):
        return
    f, tol = r.funds, r.settings.tolerance
    inc = f.income
    if inc is not None and inc.stated_total is not None and _differs(inc.stated_total, inc.total, tol):
        problem = _mismatch(src, ("funds", "income", "stated_total"), "收入合计", "money.income_sum",
                            inc.stated_total, inc.total, "财政拨款收入、其他收入与年初结转结余之和")
        if not _differs(inc.stated_total, inc.this_year, tol):
            problem = _hint(problem, f"；它等于不含年初结转结余的本年收入合计 {inc.this_year.number}（两者是不同的数，"
                                     "本年收入请填 stated_this_year）")
        yield problem
    if inc is not None and inc.stated_this_year is not None and _differs(inc.stated_this_year, inc.this_year, tol):
        yield _mismatch(src, ("funds", "income", "stated_this_year"), "本年收入合计", "money.income_sum",
                        inc.stated_this_year, inc.this_year, "财政拨款收入与其他收入之和")
    for key, title in (("budget", "预算支出"), ("adjusted_budget", "调整后预算"), ("final", "决算支出")):
        s = getattr(f, key)
        if s is not None:
            yield from _spending_rules(s, ("funds", key), title, tol, src)
    if f.stated_carryover_end is not None:
        if f.carryover_end is None:
            yield src.problem(("funds", "stated_carryover_end"), "无法核对：未填写收入 income",
                              title="年末结转结余", rule="money.carryover", severity=WARNING)
        elif _differs(f.stated_carryover_end, f.carryover_end, tol):
            problem = _mismatch(src, ("funds", "stated_carryover_end"), "年末结转结余", "money.carryover",
                                f.stated_carryover_end, f.carryover_end, "收入合计减支出合计")
            if not f.income.carryover.value:
                problem = _hint(problem, "；收入中没有填年初结转结余，若有，请补填 funds.income.carryover")
            yield problem
    if f.carryover_end is not None and f.carryover_end.negative:
        yield src.problem(("funds", "income"),
                          f"决算支出 {f.final.total.number} 大于收入合计 {f.income.total.number}，年末结转结余为负",
                          title="收入", rule="money.carryover_negative", severity=WARNING)
    rtol = r.settings.rate_tolerance
    no_budget = "预算数为零或未填写"
    yield from _based_rate_rule(src, ("funds", "stated_execution_rate"), "预算执行率", "rate.execution",
                                f.stated_execution_rate, f.execution_rate, f.execution_rates, rtol, no_budget)
    yield from _rate_rule(src, ("funds", "stated_arrival_rate"), "资金到位率", "rate.arrival",
                          f.stated_arrival_rate, f.arrival_rate, rtol, "实际到位数或预算数未填写（或为零）")
    yield from _rate_rule(src, ("funds", "stated_usage_rate"), "资金使用率", "rate.usage",
                          f.stated_usage_rate, f.usage_rate, rtol, "收入合计为零或未填写")
    yield from _rate_rule(src, ("funds", "stated_change"), "较上年增减", "rate.change",
                          f.stated_change, f.change_from_previous, rtol, "上年决算支出为零或未填写")
    if r.procurement is not None:
        p = r.procurement
        yield from _rate_rule(src, ("procurement", "stated_rate"), "政府采购执行率", "rate.procurement",
                              p.stated_rate, p.rate, rtol, "采购预算或实际采购未填写（或为零）")
    yield from _share_rules(r, src)
    yield from _level_rules(f.by_level_total, f.final.total, "决算支出合计", src, tol)
    goals = getattr(r, "goals", None)
    base = f.execution_base
    if goals is not None and goals.projects and base is not None \
            and goals.projects_total.value > base.project.value + tol:
        yield src.problem(("goals", "projects"),
                          f"所列项目预算合计 {goals.projects_total.number} 超过项目支出预算 {base.project.number}",
                          title="部门项目具体计划目标", rule="money.projects_sum", severity=WARNING,
                          stated=goals.projects_total.number, computed=base.project.number)


def project_money_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    if not isinstance(report, ProjectSelfReport):
        return
    f, tol = r.funds, r.settings.tolerance
    sources = [line.source for line in f.lines]
    for i, line in enumerate(f.lines):
        if sources.index(line.source) != i:
            yield src.problem(("funds", "lines", i, "source"), f"资金来源“{line.source}”重复填写",
                              title="资金来源", rule="money.fund_source_duplicate")
    rtol = r.settings.rate_tolerance
    yield from _based_rate_rule(src, ("funds", "stated_rate"), "预算执行率", "rate.execution",
                                f.stated_rate, f.execution_rate, f.execution_rates, rtol, f"{f.execution_base}为零或未填写")
    yield from _based_rate_rule(src, ("funds", "stated_arrival_rate"), "资金到位率", "rate.arrival",
                                f.stated_arrival_rate, f.arrival_rate, (), rtol, "实际到位数未填写（或全年预算数为零）")
    yield from _based_rate_rule(src, ("funds", "stated_usage_rate"), "资金使用率", "rate.usage",
                                f.stated_usage_rate, f.usage_rate, f.execution_rates, rtol, "实际到位数为零或未填写")
    yield from _level_rules(f.by_level_total, f.spent, "全年执行数合计", src, tol)
    stated = report.funds.stated_totals
    for key in FundTotals.model_fields if stated else ():
        said = getattr(stated, key)
        if said is not None and getattr(f, key) is not None and _differs(Figure(said, "money"), getattr(f, key), tol):
            yield _mismatch(src, ("funds", "stated_totals", key), f"年度资金总额·{FundTotals.model_fields[key].title}",
                            "money.fund_totals", Figure(said, "money"), getattr(f, key), "各资金来源之和")
    if f.execution_rate is None:  # its base not given: the rate, and the score from it, cannot be checked
        return
    if f.stated_score is not None and _differs(f.stated_score, f.score, tol):
        yield _mismatch(src, ("funds", "stated_score"), "预算执行率得分", "total.execution_score",
                        f.stated_score, f.score, f"按{f.scoring}法计算的得分")
    if f.scored_as is not None:  # 预算执行率 scored as a leaf of the tree: its score follows the same method
        for node, path, level in _walk(r.indicators, ("indicators",), 1):
            if node.is_leaf and node.measures == "预算执行率" and _differs(node.score, f.score, tol):
                yield _mismatch(src, path + ("score",), f"{LEVEL_CN.get(level, '末级')}指标「{node.name}」·得分",
                                "total.execution_score", node.score, f.score,
                                f"按预算执行率 {f.execution_rate.number if f.execution_rate else '—'}、{f.scoring}法计算的得分")


def _fund_line_label(line: Any) -> str:
    return f"「{line.name}」{line.year}年" if line.name else f"{line.year}年"


def year_funds_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """The multi-year funds table of a project key evaluation: its rows, shares, rates and totals."""
    if not isinstance(report, KeyEvalProjectReport):
        return
    f, tol, rtol = r.funds, r.settings.tolerance, r.settings.rate_tolerance
    seen: dict[tuple, int] = {}
    for i, line in enumerate(report.funds.lines):
        path = ("funds", "lines", i)
        what = _fund_line_label(line)
        if (line.year, line.name) in seen:
            yield src.problem(path, f"{what}的资金重复填写（第 {seen[line.year, line.name] + 1} 行已填）",
                              title="项目资金·资金明细", rule="money.fund_lines")
        seen.setdefault((line.year, line.name), i)
        if not r.first_year <= line.year <= report.year:
            yield src.problem(path + ("year",), f"年度 {line.year} 不在评价时段 {r.years_text} 之内",
                              title="项目资金·年度", rule="money.fund_lines")
    for year in f.years:
        if len({line.name is None for line in year.lines}) > 1:
            i = next(i for i, x in enumerate(report.funds.lines) if x.year == year.year and x.name is None)
            yield src.problem(("funds", "lines", i), f"{year.year}年的其他行写了子项目名称，这一行没有；同一年度各行都写或都不写",
                              title="项目资金·子项目", rule="money.fund_lines")
    for year in f.years:
        for line in year.lines:
            path = ("funds", "lines", seen[line.year, line.name])
            what = _fund_line_label(line)
            yield from _share_rule(src, path + ("stated_share",), f"{what}资金占比", "money.fund_shares",
                                   line.stated_share, line.share, rtol, "当年预算安排小计为零",
                                   line.share_of_total, line.spent_share)
            yield from _rate_rule(src, path + ("stated_rate",), f"{what}预算执行率", "rate.execution",
                                  line.stated_rate, line.rate, rtol, "预算安排为零")
    for key, title, computed in (("stated_budget", "预算安排总计", f.total.budget), ("stated_spent", "支出金额总计", f.total.spent)):
        stated = getattr(f, key)
        if stated is not None and _differs(stated, computed, tol):
            yield _mismatch(src, ("funds", key), title, "money.funds_total", stated, computed, "各行之和")
    yield from _rate_rule(src, ("funds", "stated_rate"), "总体预算执行率", "rate.execution",
                          f.stated_rate, f.total.rate, rtol, "预算安排总计为零")


SHARES = {"basic": ("基本支出占比", "basic_share"), "project": ("项目支出占比", "project_share"),
          "personnel": ("人员经费占比", "personnel_share"), "public": ("公用经费占比", "public_share")}


def _share_rules(r: Any, src: Source) -> Iterator[Problem]:
    f = r.funds
    stated = f.stated_shares
    if stated is None:
        return
    rtol = r.settings.rate_tolerance
    for key, (title, computed) in SHARES.items():
        yield from _share_rule(src, ("funds", "stated_shares", key), title, "money.shares", getattr(stated, key),
                               getattr(f.final, computed), rtol, "决算支出未分列人员经费和公用经费",
                               getattr(f.final, f"{key}_of_basic", None))
    if stated.basic is not None and stated.project is not None:
        total = Figure(stated.basic.value + stated.project.value, "pct")
        # Two figures each rounded to 0.01 may miss 100 by up to 0.01 between them.
        if abs(total.value - 1) * HUNDRED > Decimal("0.01"):
            yield src.problem(("funds", "stated_shares"), f"基本支出占比与项目支出占比合计为 {total.number}，应为 100%",
                              title="支出占比", rule="money.shares_sum", stated=total.number, computed="100.00%")


def _share_rule(src: Source, path: tuple, title: str, rule: str, stated: Figure | None, computed: Figure | None,
                tol: Decimal, base_missing: str, *others: Figure | None) -> Iterator[Problem]:
    """A stated share against its computed value; when it fits another base the report also uses, say which."""
    for problem in _rate_rule(src, path, title, rule, stated, computed, tol, base_missing):
        fits = next((o for o in others if o is not None and not _differs(stated, o, tol)), None)
        if problem.severity == ERROR and fits is not None:
            problem = _hint(problem, f"；它等于按{fits.base}计算的 {fits.number}，请确认所说的是哪个基数")
        yield problem


def asset_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """Income shares, the 三公 total and the assets: figures a department report states beside its money tables."""
    funds = r.funds
    tol, rtol = r.settings.tolerance, r.settings.rate_tolerance
    inc = getattr(funds, "income", None)
    if inc is not None and inc.stated_shares is not None:
        for key, title in (("fiscal", "财政拨款收入占比"), ("other", "其他收入占比"), ("carryover", "年初结转结余占比")):
            yield from _share_rule(src, ("funds", "income", "stated_shares", key), title, "money.income_shares",
                                   getattr(inc.stated_shares, key), getattr(inc, f"{key}_share"), rtol, "收入合计为零",
                                   getattr(inc, f"{key}_of_this_year", None))
    for key, title in (("three_public_budget", "“三公”经费预算"), ("three_public_actual", "“三公”经费支出")):
        t = getattr(funds, key, None)
        if t is not None and t.has_split and t.total is not None and _differs(t.total, t.amount, tol):
            yield _mismatch(src, ("funds", key, "total"), title + "合计", "money.three_public_sum",
                            t.total, t.amount, "因公出国（境）费、公务用车购置及运行费与公务接待费之和")
    a = getattr(r, "assets", None)
    if a is None:
        return
    if a.stated_total is not None and a.total is not None and _differs(a.stated_total, a.total, tol):
        problem = _mismatch(src, ("assets", "stated_total"), "资产总额", "money.assets_sum", a.stated_total, a.total,
                            "各类资产账面价值（有净值的按净值）之和")
        if not _differs(a.stated_total, a.original_total, tol):
            problem = _hint(problem, f"；它等于各类资产账面原值合计 {a.original_total.number}，资产总额应按净值计")
        yield problem
    for i, item in enumerate(a.items):
        yield from _share_rule(src, ("assets", "items", i, "stated_share"), f"「{item.name}」占资产总额比例",
                               "money.asset_shares", item.stated_share, item.share, rtol, "资产总额为零",
                               item.original_share)


def _hint(problem: Problem, text: str) -> Problem:
    return dataclasses.replace(problem, message=problem.message + text)


def expense_item_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    funds = r.funds
    tol, rtol = r.settings.tolerance, r.settings.rate_tolerance
    for i, item in enumerate(getattr(funds, "expense_items", ())):
        path = ("funds", "expense_items", i)
        if item.change is None:
            for key in ("stated_change", "stated_change_rate"):
                if getattr(item, key) is not None:
                    yield src.problem(path + (key,), "无法核对：未填写上年支出 previous", title=f"「{item.name}」较上年增减",
                                      rule="money.item_change", severity=WARNING)
            continue
        if item.stated_change is not None and _differs(item.stated_change, item.change, tol):
            yield _mismatch(src, path + ("stated_change",), f"「{item.name}」较上年增减额", "money.item_change",
                            item.stated_change, item.change, "本年支出减上年支出")
        yield from _rate_rule(src, path + ("stated_change_rate",), f"「{item.name}」较上年增减率", "money.item_change",
                              item.stated_change_rate, item.change_rate, rtol, "上年支出为零")
    p = getattr(r, "procurement", None)
    if p is not None and p.count is not None and p.items and p.count.value != len(p.items):
        yield src.problem(("procurement", "count"), f"所填采购项目数 {p.count.number} 个与所列采购项目 {len(p.items)} 个不符",
                          title="采购项目数", rule="money.procurement_count", stated=p.count.number,
                          computed=str(len(p.items)))


def _level_rules(level_total: Any, total: Figure, what: str, src: Source, tol: Decimal) -> Iterator[Problem]:
    if level_total is not None and _differs(level_total.spent, total, tol):
        yield _mismatch(src, ("funds", "by_level"), "预算执行（按资金级次）·实际支出数合计", "money.levels_sum",
                        level_total.spent, total, what)


# --- survey and target points -----------------------------------------------------------

def survey_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    s = r.survey
    if s is None:
        return
    rtol = r.settings.rate_tolerance
    unweighted = [i for i, g in enumerate(s.groups) if g.weight is None]
    if unweighted and len(unweighted) < len(s.groups):
        for i in unweighted:
            yield src.problem(("survey", "groups", i), "其他调查对象填写了权重，这一组没有；各组都填权重才能计算综合满意度",
                              title=f"调查对象「{s.groups[i].name}」·权重", rule="survey.weights")
    if s.weight_total is not None and abs(s.weight_total.value - 1) * HUNDRED > rtol:
        yield src.problem(("survey", "groups"), f"各组权重合计为 {s.weight_total.number}，应为 100%",
                          title="满意度调查·权重", rule="survey.weights", stated=s.weight_total.number, computed="100.00%")
    for i, g in enumerate(s.groups):
        where = ("survey", "groups", i)
        if g.samples is not None and g.satisfied is not None and g.satisfied.value > g.samples.value:
            yield src.problem(where + ("satisfied",), f"满意问卷 {g.satisfied.number} 份多于有效问卷 {g.samples.number} 份",
                              title=f"调查对象「{g.name}」·满意问卷数", rule="survey.counts")
        if g.answered is not None and g.samples is not None and g.samples.value != g.answered.value:
            yield src.problem(where + ("samples",), f"有效问卷 {g.samples.number} 份与各选项回答人数合计 {g.answered.number} 份不符",
                              title=f"调查对象「{g.name}」·有效问卷数", rule="survey.counts",
                              stated=g.samples.number, computed=g.answered.number)
        if g.answered is not None:
            yield from _rate_rule(src, where + ("satisfaction",), f"调查对象「{g.name}」·满意度", "survey.satisfaction",
                                  g.satisfaction, g.rate, rtol, "回答人数合计为零")
    yield from _rate_rule(src, ("survey", "stated_overall"), "综合满意度", "survey.overall",
                          s.stated_overall, s.overall, rtol, "各组都填写权重 weight 才能计算综合满意度")


def points_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    t = r.target_points
    if t is None:
        return
    if t.completed.value > t.total.value:
        yield src.problem(("target_points", "completed"), f"已完成 {t.completed.number} 个多于评价点总数 {t.total.number} 个",
                          title="绩效目标实现情况·已完成", rule="points.counts")
    elif t.incomplete is not None and t.incomplete.value != t.not_completed.value:
        yield src.problem(("target_points", "incomplete"),
                          f"已完成 {t.completed.number} 个加未完成 {t.incomplete.number} 个为 "
                          f"{t.completed.value + t.incomplete.value} 个，与评价点总数 {t.total.number} 个不符",
                          title="绩效目标实现情况·未完成", rule="points.counts")
    yield from _rate_rule(src, ("target_points", "stated_rate"), "评价点完成率", "points.rate",
                          t.stated_rate, t.rate, r.settings.rate_tolerance, "评价点总数为零")


# --- figures quoted in the narrative ----------------------------------------------------

_NUMBER = r"(\d+(?:\.\d+)?)"
_STOP = r"[^。；;！？\n]"


def _narratives(r: Any) -> Iterator[tuple[tuple, str, Any]]:
    """(path, text, the indicator whose own analysis it is — or None)."""
    for key in ("summary", "conclusion", "other"):
        text = getattr(r, key)
        if text:
            yield (key,), text, None
    for node, path, _ in _walk(r.indicators, ("indicators",), 1):
        if node.analysis:
            yield path + ("analysis",), node.analysis, node


_SENTENCE = re.compile(r"[^。；;！？\n]+")
_MAXIMUM = ("总分", "满分")


def narrative_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """Scores and grades quoted in the text, each matched to what its sentence is about.

    A score quoted in an indicator's own analysis, or in a sentence naming one 一级 indicator, is
    that indicator's; 总分/满分 followed by the maximum is the maximum, not a score.
    """
    if not r.scored:
        return
    tol = r.settings.tolerance
    grades = "|".join(re.escape(b.grade) for b in r.settings.grade_bands)
    total_re = re.compile(rf"(总得分|自评得分|评价得分|综合得分|总分)(?:为|是|达|：|:)?\s*{_NUMBER}\s*分")
    grade_re = re.compile(rf"(?:评价)?等级(?:为|是|：|:)?\s*[“\"「]?({grades})[”\"」]?")
    subtotal_res = [(ind, re.compile(re.escape(ind.name) + rf"{_STOP}{{0,24}}?得分(?:为|是|：|:)?\s*{_NUMBER}\s*分"))
                    for ind in r.indicators]
    for path, text, owner in _narratives(r):
        checked: set[int] = set()  # where each quoted number starts, so none is judged twice
        for ind, pattern in subtotal_res:
            for m in pattern.finditer(text):
                checked.add(m.start(1))
                yield from _quoted_score(src, path, m, ind, tol)
        for sentence in _SENTENCE.finditer(text):
            named = [ind for ind in r.indicators if ind.name in sentence.group(0)]
            subject = owner or (named[0] if len(named) == 1 else None)
            for m in total_re.finditer(sentence.group(0)):
                if sentence.start() + m.start(2) in checked:
                    continue
                maximum = subject.total_weight if subject is not None else r.total_weight
                if m.group(1) in _MAXIMUM and not _differs(Figure(Decimal(m.group(2)), "weight"), maximum, tol):
                    continue
                if subject is None:
                    quoted, total = Figure(Decimal(m.group(2)), "points"), r.total_score
                    if _differs(quoted, total, tol):
                        yield src.problem(path, f"文字中写的「{m.group(0)}」与各指标得分合计 {total.number} 分不符",
                                          title="文字中的总得分", rule="narrative.total", stated=quoted.number,
                                          computed=total.number)
                else:
                    yield from _quoted_score(src, path, m, subject, tol, group=2)
        for m in grade_re.finditer(text):
            if owner is None and m.group(1) != r.grade:
                yield src.problem(path, f"文字中写的「{m.group(0)}」与总分 {r.total_score.number} 对应的等级“{r.grade}”不符",
                                  title="文字中的评价等级", rule="narrative.grade", stated=m.group(1), computed=r.grade)


_RATES = (("预算执行率", ("funds", "execution_rate")), ("资金到位率", ("funds", "arrival_rate")),
          ("资金使用率", ("funds", "usage_rate")), ("政府采购执行率", ("procurement", "rate")),
          ("综合满意度", ("survey", "overall")))


def narrative_rate_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """A rate quoted in the text equals the computed one, at the precision the text writes it."""
    texts = [(path, text) for path, text, _ in _narratives(r)]
    # In a department's report, "项目预算执行率" is some project's rate, not the department's.
    not_after = "" if r.kind == "project_self" else r"(?<!项目)"
    for name, (block, attr) in _RATES:
        computed = getattr(getattr(r, block, None), attr, None)
        alternatives = getattr(r.funds, "execution_rates", ()) if name == "预算执行率" else ()
        pattern = re.compile(rf"{not_after}{name}(?:为|是|达到|达|：|:)?\s*(\d+(?:\.\d+)?)\s*[%％]")
        for path, text in texts:
            for m in pattern.finditer(text):
                if computed is None:
                    yield src.problem(path, f"文字中写了「{m.group(0)}」，但报告数据中没有算出它的数字（缺少基数）",
                                      title=f"文字中的{name}", rule="narrative.rate", severity=WARNING)
                    continue
                quoted = Decimal(m.group(1))
                places = Decimal(1).scaleb(quoted.as_tuple().exponent)

                def fits(fig: Figure) -> bool:  # at the precision the text writes it: 106.7% fits 106.65%
                    return (fig.value * HUNDRED).quantize(places, rounding="ROUND_HALF_UP") == quoted

                if not fits(computed):
                    hint = _other_bases(Figure(quoted / HUNDRED, "pct"), computed, alternatives, fits)
                    yield src.problem(path, f"文字中写的「{m.group(0)}」与按{computed.base}计算的 {computed.number} 不符{hint}",
                                      title=f"文字中的{name}", rule="narrative.rate", stated=f"{m.group(1)}%",
                                      computed=computed.number)


def _quoted_score(src: Source, path: tuple, m: re.Match, ind: Any, tol: Decimal, group: int = 1) -> Iterator[Problem]:
    quoted = Figure(Decimal(m.group(group)), "points")
    if _differs(quoted, ind.total_score, tol):
        yield src.problem(path, f"文字中写的「{m.group(0)}」与评分表中「{ind.name}」得分 {ind.total_score.number} 分不符",
                          title="文字中的指标得分", rule="narrative.subtotal", stated=quoted.number,
                          computed=ind.total_score.number)


# --- problems and suggestions -----------------------------------------------------------

def link_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
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
            number = problem_number(report, ref)
            if number is None:
                yield src.problem(("suggestions", i, "answers", j), f"引用的问题“{ref}”不存在",
                                  title=f"建议「{s.title}」·对应问题", rule="link.missing_problem")
            answered.add(number)
    if report.suggestions:
        for i, p in enumerate(report.problems):
            if i + 1 not in answered:
                yield src.problem(("problems", i), "没有任何建议回应这个问题",
                                  title=f"问题「{p.title}」", rule="link.unanswered", severity=WARNING)


def _texts(value, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _texts(getattr(value, name), path + (name,))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _texts(item, path + (i,))


def overview_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    if isinstance(report, ProjectSelfReport) and report.project.overview is None:
        yield src.problem(("project", "overview"), "没有项目概况（立项依据、主要内容和资金安排），报告中标为【待补充】；"
                          "请在 project.overview 中补写", title="项目基本情况·项目概况", rule="text.overview_missing",
                          severity=WARNING)


def text_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    if not src.escapes:  # the file's own control characters were removed (with a warning) when it was read
        return
    for path, text in _texts(report, ()):
        bad = invalid_chars(text)
        if bad:
            yield src.problem(path, f"含有无法写入 Word 的控制字符 {'、'.join(bad)}，生成时已删除（多为从其他软件粘贴带入）",
                              title=field_title(type(report), path), rule="text.control_chars", severity=WARNING)


_PLACEHOLDER = re.compile(r"某某|^(问题|建议|做法|经验|重点工作)[一二三四五]$|^[^，。]{0,8}(说明|表现|措施|原因分析|目的|过程|"
                          r"预期目标|实际完成情况|文字说明)。$")


@functools.lru_cache(maxsize=None)
def _skeleton_texts(kind: str) -> dict[tuple, str]:
    """Placeholder texts of the built-in skeleton of a kind, by their path."""
    from .templates import BUILTIN, kind_file
    from .yamlio import load_file

    data, _ = load_file(BUILTIN / kind_file(kind, "skeleton.yaml"))
    out: dict[tuple, str] = {}

    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, str) and _PLACEHOLDER.search(value):
            out[path] = value
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,))

    walk(data, ())
    return out


def _at(node: Any, path: tuple) -> Any:
    for part in path:
        if isinstance(part, int):
            node = node[part] if isinstance(node, tuple) and part < len(node) else None
        else:
            node = getattr(node, part, None) if isinstance(node, BaseModel) else None
        if node is None:
            return None
    return node


def skeleton_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    for path, text in _skeleton_texts(report.kind).items():  # only where the skeleton has a placeholder
        if _at(report, path) == text:
            yield src.problem(path, f"“{text}”是模板（reporttool new）中的示例文字，请改为本报告的内容",
                              title=field_title(type(report), path), rule="text.skeleton", severity=WARNING)


_YEAR = re.compile(r"(?<!\d)(20\d\d)(?=\s*年)")


def year_rules(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    year = r.year

    def other(path: tuple, what: str, found: int) -> Problem:
        return src.problem(path, f"{what}是 {found} 年，而评价年度是 {year} 年（是否沿用了上年的文件？）",
                           title=field_title(type(report), path), rule="date.other_year", severity=WARNING,
                           stated=str(found), computed=str(year))

    for path, value in ((("evaluation", "period_start"), r.evaluation.period_start),
                        (("evaluation", "period_end"), r.evaluation.period_end),
                        (("assets", "as_of"), getattr(r, "assets", None) and r.assets.as_of)):
        if value is not None and value.year != year:
            yield other(path, "日期", value.year)
    if r.signed_on:
        signed = int(r.signed_on[:4])
        if signed < year or signed > year + 1:
            yield other(("signed_on",), "落款日期", signed)
    texts = [(("title",), r.title), (("project", "period"), getattr(getattr(r, "project", None), "period", None))]
    for path, text in texts:
        for found in {int(y) for y in _YEAR.findall(text or "")} - {year}:
            yield other(path, f"“{text}”中的年份", found)


from .selfeval_rules import SELFEVAL_RULES  # noqa: E402 -- the pack is written with the helpers above
from .nextyear import follow_up_rules  # noqa: E402

RULES: list[Rule] = [tree_rules, total_rules, dept_money_rules, project_money_rules, survey_rules, points_rules,
                     expense_item_rules, asset_rules, year_funds_rules, narrative_rules, narrative_rate_rules, link_rules,
                     text_rules, overview_rules, skeleton_rules, year_rules, follow_up_rules, *SELFEVAL_RULES]


def run_rules(report: ReportBase, rules: Iterable[Rule] = RULES) -> list[Problem]:
    src, r = source_of(report), view(report)
    return list(src.warnings) + [p for rule in rules for p in rule(report, r, src)]
