"""The self-evaluation rule pack: what 预算管理一体化 self-evaluation modules and reviewers check on a project's 自评表.

Each rule has an id (registered in ``checks.RULE_IDS``), a switch and its numbers in ``settings.self_eval``;
the rules apply to project self-evaluation reports. Sources, as summarised in the domain notes:

- 财预〔2020〕10号 第十三条 and 附1: the form (年度指标值 / 实际完成值 / 偏差原因分析及改进措施), 产出, 效益 and
  满意度 all scored;
- manuals of the 一体化 self-evaluation modules (they vary by place): quantitative score by direction, a reason
  when a target is missed or 执行率 < 90%, ≥ 30% over target counted as 偏离, total capped by 执行率 bands;
- what reviewers flag in received forms: placeholders (`*`, `—`, `/`), 资金到位率 given full marks below 100%.

Arithmetic is an error; judgement calls (over target, placeholders, full marks) are warnings.
"""

from __future__ import annotations

from typing import Any, Iterator

from .checks import LEVEL_CN, _differs, _mismatch, _walk
from .errors import WARNING, Problem
from .model import ProjectSelfReport, ReportBase
from .view import Figure
from .yamlio import Source

DEVIATION = "请填写偏差原因分析及改进措施（deviation）"


def _leaves(r: Any) -> Iterator[tuple[Any, tuple, str]]:
    """(leaf, its path, how the report names it) for every leaf of the indicator tree."""
    for node, path, level in _walk(r.indicators, ("indicators",), 1):
        if node.is_leaf:
            yield node, path, f"{LEVEL_CN.get(level, f'{level}级')}指标「{node.name}」"


def _applies(report: ReportBase, r: Any) -> bool:
    return isinstance(report, ProjectSelfReport) and r.scored


def _filled(text: str | None, rules: Any) -> bool:
    return bool(text) and text.strip() not in rules.placeholders


def execution_leaf(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """预算执行率 is scored once: beside the tree (财预〔2020〕10号) or as one leaf in it (local forms), never both."""
    if not _applies(report, r):
        return
    measuring = [(leaf, path, label) for leaf, path, label in _leaves(r) if leaf.measures == "预算执行率"]
    for leaf, path, label in measuring[1:]:
        yield src.problem(path + ("measures",), f"预算执行率已由指标「{measuring[0][0].name}」计分，不能再由本指标计分",
                          title=label, rule="selfeval.execution_leaf")
    if measuring and report.funds.weight is not None:
        leaf = measuring[0][0]
        yield src.problem(("funds", "weight"), f"预算执行率已作为指标「{leaf.name}」计分（分值 {leaf.weight.number}），"
                          "此处不应再填写分值（删去 funds.weight）", title="项目资金·分值", rule="selfeval.execution_leaf")


def indicator_score(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """≥ (and =): 完成值 ÷ 指标值 × 分值, at most 分值; ≤: 指标值 ÷ 完成值 × 分值; qualitative text is left to the user."""
    rules = r.settings.self_eval
    if not (_applies(report, r) and rules.indicator_score):
        return
    for leaf, path, label in _leaves(r):
        computed = leaf.direction_score
        if computed is None or leaf.measures is not None or not _differs(leaf.score, computed, r.settings.tolerance):
            continue
        yield _mismatch(src, path + ("score",), label + "·得分", "selfeval.indicator_score", leaf.score, computed,
                        f"按{computed.base}（指标值 {leaf.target}，完成值 {leaf.actual}）计算的")


def deviation_reason(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """A target missed (or points lost) needs 偏差原因分析及改进措施."""
    rules = r.settings.self_eval
    if not (_applies(report, r) and rules.deviation_reason):
        return
    for leaf, path, label in _leaves(r):
        if _filled(leaf.deviation, rules) or leaf.measures == "预算执行率" and _filled(r.funds.reason, rules):
            continue
        if leaf.completion is not None and leaf.completion.value < 1:
            why = f"未达到年度指标值（指标值 {leaf.target}，完成值 {leaf.actual}）"
        elif leaf.score.value < leaf.weight.value:
            why = f"得分 {leaf.score.number} 低于分值 {leaf.weight.number}"
        else:
            continue
        yield src.problem(path, f"{why}，{DEVIATION}", title=label, rule="selfeval.deviation_reason")


def low_execution_reason(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """执行率 below the threshold (90% in the 一体化 manuals) needs a reason."""
    rules, f = r.settings.self_eval, r.funds
    if not (isinstance(report, ProjectSelfReport) and rules.low_execution_reason) or f.execution_rate is None:
        return
    if f.execution_rate.value >= rules.low_execution_below.value or _filled(f.reason, rules):
        return
    yield src.problem(("funds",), f"预算执行率 {f.execution_rate.number}（{f.execution_rate.base}）低于 "
                      f"{rules.low_execution_below.number}，请说明原因（funds.reason）", title="项目资金·执行偏差原因",
                      rule="selfeval.low_execution_reason", stated=f.execution_rate.number)


def score_cap(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """The total may not exceed the cap of the 执行率 band it falls in (the strictest band that applies)."""
    rules, f = r.settings.self_eval, r.funds
    if not (_applies(report, r) and rules.score_cap) or f.execution_rate is None:
        return
    under = [band for band in rules.score_caps if f.execution_rate.value < band.below.value]
    if not under:
        return
    band = min(under, key=lambda b: b.max_score.value)
    if r.total_score.value > band.max_score.value + r.settings.tolerance:
        path = ("stated_total_score",) if report.stated_total_score is not None else ("indicators",)
        yield src.problem(path, f"预算执行率 {f.execution_rate.number} 低于 {band.below.number}，总分不应超过 "
                          f"{band.max_score.number} 分，现为 {r.total_score.number} 分", title="总得分",
                          rule="selfeval.score_cap", stated=r.total_score.number, computed=band.max_score.number)


def over_target(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """A completed value ≥ 30% above its target is a 偏离: the target was set low, or the figure is wrong."""
    rules = r.settings.self_eval
    if not (_applies(report, r) and rules.over_target):
        return
    limit = 1 + rules.over_target_percent.value
    for leaf, path, label in _leaves(r):
        if leaf.direction == "≤" or leaf.completion is None or leaf.completion.value < limit:
            continue
        over = Figure(leaf.completion.value - 1, "pct")
        yield src.problem(path + ("actual",), f"完成值 {leaf.actual} 超过年度指标值 {leaf.target} 的 {over.number}"
                          f"（超过 {rules.over_target_percent.number} 视为偏离：指标值是否定得偏低，或完成值有误？）",
                          title=label + "·实际完成值", rule="selfeval.over_target", severity=WARNING)


def required_dimensions(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """产出, 效益 and 满意度 indicators are all present (at any level: 满意度 often sits under 效益)."""
    rules = r.settings.self_eval
    if not (_applies(report, r) and rules.required_dimensions):
        return
    names = [node.name for node, _, _ in _walk(r.indicators, ("indicators",), 1)]
    listed = "、".join(rules.dimensions)
    for word in rules.dimensions:
        if not any(word in name for name in names):
            yield src.problem(("indicators",), f"指标体系中没有“{word}”类指标（{listed}指标均应设置）",
                              title="指标体系", rule="selfeval.required_dimensions")


def placeholder(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """`*`, `—`, `/` typed where a value belongs: left over from a received form."""
    rules = r.settings.self_eval
    if not (isinstance(report, ProjectSelfReport) and rules.placeholder):
        return
    fields = [(path + (key,), f"{label}·{title}", getattr(leaf, key))
              for leaf, path, label in _leaves(r) for key, title in (("target", "年度指标值"), ("actual", "实际完成值"))]
    fields += [(("goals", i, key), f"年度总体目标·{title}", getattr(g, key)) for i, g in enumerate(r.goals)
               for key, title in (("expected", "预期目标"), ("actual", "实际完成情况"))]
    for path, title, text in fields:
        if text is not None and text.strip() in rules.placeholders:
            yield src.problem(path, f"只填了占位符“{text.strip()}”，请填写实际内容（不适用的指标应删去并说明）",
                              title=title, rule="selfeval.placeholder", severity=WARNING)


def arrival_full_marks(report: ReportBase, r: Any, src: Source) -> Iterator[Problem]:
    """A 资金到位率 indicator at full marks while the money did not all arrive."""
    rules, f = r.settings.self_eval, r.funds
    if not (_applies(report, r) and rules.arrival_full_marks) or f.arrival_rate is None or f.arrival_rate.value >= 1:
        return
    for leaf, path, label in _leaves(r):
        if (leaf.measures == "资金到位率" or "到位率" in leaf.name) and leaf.score.value >= leaf.weight.value:
            yield src.problem(path + ("score",), f"资金到位率 {f.arrival_rate.number}（{f.arrival_rate.base}）低于 100%，"
                              f"本指标却得满分 {leaf.score.number}", title=label + "·得分", rule="selfeval.arrival_full_marks",
                              severity=WARNING, stated=leaf.score.number, computed=f.arrival_rate.number)


SELFEVAL_RULES = [execution_leaf, indicator_score, deviation_reason, low_execution_reason, score_cap, over_target,
                  required_dimensions, placeholder, arrival_full_marks]
