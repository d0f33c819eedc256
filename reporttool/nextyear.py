"""Next year's file from last year's, and last year's figures beside this year's (较上年).

``roll_forward`` keeps what stays from one year to the next (the unit, its functions and staffing, the
indicator tree with its weights, targets and criteria) and clears what each year fills anew (figures,
scores, actual values, narrative), carrying last year's results into the ``previous_*`` fields.
``with_previous`` fills those fields of a report from last year's file, and names every figure the
two files state differently.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any, Iterator

from .errors import WARNING, Problem
from .loading import field_title, source_of
from .model import REPORT_KINDS, ReportBase
from .view import view
from .yamlout import report_data

# Indicator fields a year keeps: what is measured and how; the rest is the year's result.
KEPT_INDICATOR = ("name", "code", "weight", "explanation", "description", "criteria", "target", "measures",
                  "nature", "measure_unit", "children")
# Whole blocks that are the year's own: cleared, to be written anew.
CLEARED = ("title", "summary", "conclusion", "other", "experience", "problems", "more_problems", "suggestions",
           "survey", "target_points", "signed_on", "stated_total_score", "stated_grade", "previous_total_score",
           "previous_grade", "previous_problems")
CLEARED_EVALUATION = ("period_start", "period_end", "process")
TO_FILL = None  # a field written empty: the key stays in the file where the figure belongs


def _indicators(nodes: list[dict]) -> list[dict]:
    out = []
    for node in nodes:
        kept = {k: v for k, v in node.items() if k in KEPT_INDICATOR}
        if node.get("children"):
            kept["children"] = _indicators(node["children"])
        else:
            kept["score"] = TO_FILL
            kept["actual"] = TO_FILL
        out.append(kept)
    return out


def _clear_amounts(line: dict, keep: tuple[str, ...]) -> dict:
    return {k: (v if k in keep else TO_FILL) for k, v in line.items() if not k.startswith("stated_")}


def roll_forward(report: ReportBase) -> tuple[dict, str]:
    """(next year's data, the note of what was carried and what to fill) for a complete report of last year."""
    r = view(report)
    data = report_data(report)
    year = report.year
    filled: list[str] = []  # what the clerk must fill, as the report names it
    for key in CLEARED:
        data.pop(key, None)
    data["year"] = year + 1
    if "start_year" in data:
        data.pop("start_year")
    evaluation = data.get("evaluation") or {}
    for key in CLEARED_EVALUATION:
        evaluation.pop(key, None)
    if data.get("indicators"):
        data["indicators"] = _indicators(data["indicators"])
        filled.append("指标体系：各末级指标的得分、实际完成值（偏差原因、评分说明按本年情况填写）")
    if r.scored:
        data["previous_total_score"] = r.total_score.value
        data["previous_grade"] = r.grade
    problems = [*report.problems, *report.more_problems]
    if problems:
        data["previous_problems"] = [{"title": p.title, "status": TO_FILL} for p in problems]
        filled.append("上年问题整改情况：每个上年问题的整改情况（已整改、整改中、未整改）")
    funds = data.get("funds") or {}
    kind = report.kind
    if kind in ("dept_self", "key_eval"):
        data["funds"] = _dept_funds(funds, r)
        filled.append("部门资金：本年收入、预算、决算支出（上年决算支出已带入 previous_final）")
    elif kind == "project_self":
        funds["lines"] = [_clear_amounts(line, ("source",)) for line in funds.get("lines", [])]
        funds["by_level"] = [_clear_amounts(line, ("level",)) for line in funds.get("by_level", [])]
        if not funds["by_level"]:
            funds.pop("by_level")
        funds.pop("reason", None)
        for key in [k for k in funds if k.startswith("stated_")]:
            funds.pop(key)
        funds["previous_spent"] = r.funds.spent.value
        filled.append("项目资金：各资金来源的年初预算数、全年预算数、实际到位数、全年执行数（上年全年执行数已带入）")
        data["goals"] = [{"expected": g["expected"], "actual": TO_FILL} for g in data.get("goals", [])]
        filled.append("年度总体目标：实际完成情况（预期目标沿用上年，请按本年批复修改）")
    elif kind == "key_eval_project":
        filled.append("项目资金：按年度核对资金明细，补充新年度的预算安排与支出")
    department = data.get("department") or {}
    if department.pop("work", None):
        filled.append("部门工作完成情况：本年的重点工作及完成情况")
    project = data.get("project") or {}
    if isinstance(project.get("period"), str) and str(year) in project["period"]:
        project["period"] = project["period"].replace(str(year), str(year + 1))
        filled.append(f"实施周期：已改为“{project['period']}”，请核对")
    if "procurement" in data:
        data["procurement"] = {k: (v if k == "items" else TO_FILL) for k, v in data["procurement"].items()
                               if not k.startswith("stated_") and k != "count"}
        filled.append("政府采购情况：本年采购预算、实际采购金额")
    if "assets" in data:
        data["assets"] = {"items": [_clear_amounts(i, ("name",)) for i in data["assets"].get("items", [])]}
        filled.append("资产情况：本年末各类资产的账面原值、净值")
    if kind in ("dept_self", "key_eval"):
        goals = data.get("goals")
        if goals and goals.get("projects"):
            goals["projects"] = [{"name": p["name"], "goal": p["goal"]} for p in goals["projects"]]
    filled += ["评价结论、主要经验做法、存在的问题、改进措施及建议：按本年情况撰写", "落款日期"]
    carried = _carried(kind)
    note = "\n".join([
        f"由 reporttool new --from 根据 {report.year} 年的数据生成，评价年度已改为 {year + 1} 年。",
        "沿用上年：" + "；".join(carried) + "。",
        "已带入上年结果：" + "；".join(x for x in (
            f"上年总得分 {r.total_score.number} 分、等级“{r.grade}”" if r.scored else "",
            "上年支出（用于计算较上年增减）" if kind != "key_eval_project" else "",
            f"上年列出的 {len(problems)} 个问题（请填写整改情况）" if problems else "") if x) + "。",
        "请填写或修改：",
        *(f"  · {item}" for item in filled),
    ])
    return data, note


def _carried(kind: str) -> list[str]:
    model = REPORT_KINDS[kind]
    block = {"dept_self": "department", "key_eval": "department", "project_self": "project",
             "key_eval_project": "project"}[kind]
    return [f"{model.model_fields[block].title}" + ("（工作完成情况除外）" if block == "department" else ""), "评价思路和过程（评价时段、工作过程除外）",
            "指标体系的名称、分值、年度指标值、指标解释与评分标准", "设置"]


def _dept_funds(funds: dict, r: Any) -> dict:
    out: dict = {key: {k: TO_FILL for k in funds[key] if not k.startswith("stated_") and k != "stated_shares"}
                 for key in ("income", "budget", "adjusted_budget", "final") if funds.get(key)}
    out.setdefault("final", {"project": TO_FILL})
    out["previous_final"] = r.funds.final.total.value
    if "received" in funds:
        out["received"] = TO_FILL
    if "expense_items" in funds:
        out["expense_items"] = [{"name": i["name"], "amount": TO_FILL, "previous": i["amount"]} for i in funds["expense_items"]]
    for key in ("by_level",):
        if funds.get(key):
            out[key] = [_clear_amounts(line, ("level",)) for line in funds[key]]
    return out


# --- last year's file beside this year's --------------------------------------------------------

def load_report(file: Any, previous: Any = None) -> tuple[ReportBase, list[Problem]]:
    """The report, with last year's figures beside it when a previous year's file is given; and what comparing found."""
    from .loading import load

    report = load(file)
    if previous is None:
        return report, []
    return with_previous(report, load(previous), str(previous))

def _previous_figures(last: ReportBase) -> dict[tuple, Any]:
    """The figures of last year's report that this year's carries as previous_*: path -> value."""
    r = view(last)
    out: dict[tuple, Any] = {}
    if r.scored:
        out[("previous_total_score",)] = r.total_score.value
        out[("previous_grade",)] = r.grade
    funds = r.funds
    if last.kind in ("dept_self", "key_eval"):
        out[("funds", "previous_final")] = funds.final.total.value
    elif last.kind == "project_self":
        out[("funds", "previous_spent")] = funds.spent.value
    return out


def with_previous(report: ReportBase, last: ReportBase, last_file: str = "") -> tuple[ReportBase, list[Problem]]:
    """``report`` with last year's figures filled in where it states none, and a problem for each figure
    both state differently (a wrong carry-over or a revised figure: say which)."""
    src = source_of(report)
    problems = []
    if last.kind != report.kind:
        return report, [src.problem((), f"上年文件 {last_file} 是 {last.kind} 类型，本年是 {report.kind} 类型，未作比较",
                                    rule="previous.mismatch")]
    if last.year != report.year - 1:
        problems.append(src.problem(("year",), f"上年文件 {last_file} 的评价年度是 {last.year} 年，本年是 {report.year} 年",
                                    rule="previous.mismatch", severity=WARNING))
    data = report.model_dump(exclude_defaults=True)
    data["kind"] = report.kind
    changed = False
    kind_model = type(report)
    for path, value in _previous_figures(last).items():
        here: Any = data
        for part in path[:-1]:
            here = here.setdefault(part, {})
        stated = here.get(path[-1])
        if stated is None:
            here[path[-1]] = value
            changed = True
        elif str(stated) != str(value) and _number(stated) != _number(value):
            problems.append(src.problem(
                path, f"所填 {stated} 与上年文件 {last_file} 算出的 {value} 不符", title=field_title(kind_model, path),
                rule="previous.mismatch", severity=WARNING, stated=stated, computed=value))
    if not report.previous_problems and (last.problems or last.more_problems):
        data["previous_problems"] = [{"title": p.title} for p in (*last.problems, *last.more_problems)]
        changed = True
    if not changed:
        return report, problems
    merged = kind_model.model_validate(copy.deepcopy(data))
    merged._source = src
    return merged, problems


def _number(value: Any) -> Any:
    from decimal import Decimal, InvalidOperation
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value


# --- the follow-up rule --------------------------------------------------------------------------

SIMILAR = 0.6  # titles this alike name the same problem (reworded from one year to the next)


def _same_problem(a: str, b: str) -> bool:
    return a in b or b in a or difflib.SequenceMatcher(None, a, b).ratio() >= SIMILAR


def follow_up_rules(report: ReportBase, r: Any, src: Any) -> Iterator[Problem]:
    now = [p.title for p in (*report.problems, *report.more_problems)]
    for i, p in enumerate(report.previous_problems):
        if p.status == "已整改" or any(_same_problem(p.title, t) for t in now):
            continue
        yield src.problem(("previous_problems", i), "上年报告列出的这个问题，本年既未说明已整改，也未再列入存在的问题；"
                          "请填写整改情况（已整改、整改中、未整改），仍未解决的请在本年问题中说明",
                          title=f"上年问题「{p.title}」", rule="previous.follow_up", severity=WARNING)
