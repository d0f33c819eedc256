"""A report where every rule applies and passes, and one failing mutation per rule."""

from __future__ import annotations

import copy

from tests.conftest import example_data, DEPT_EXAMPLE, PROJECT_EXAMPLE, QINGSHI_EXAMPLE


def full_dept() -> dict:
    d = example_data(DEPT_EXAMPLE)
    d["funds"]["income"]["stated_total"] = "1,445.05"
    d["funds"].update({
        "received": "1,354.10", "stated_arrival_rate": "100%", "stated_execution_rate": "106.65%",
        "stated_usage_rate": "99.94%",
        "previous_final": "1,600.00", "stated_change": "-9.74%",
        "stated_shares": {"basic": "78.63%", "project": "21.37%", "personnel": "32.79%", "public": "45.84%"},
    })
    d["procurement"]["stated_rate"] = "93.89%"
    d["funds"]["income"]["stated_shares"] = {"fiscal": "100%", "other": "0%"}
    d["funds"]["three_public_actual"] = {"abroad": 0, "vehicles": "1.80", "reception": "0.30", "total": "2.10"}
    d["assets"]["stated_total"] = "237.93"
    d["assets"]["items"][0]["stated_share"] = "95.81%"
    d["assets"]["items"][1]["stated_share"] = "4.19%"
    d["indicators"][0]["score"] = 32
    d["conclusion"] = "部门整体支出绩效自评得分94.50分，评价等级为“优”。部门决策得分32分，部门管理得分19分。"
    # The 红云 2023 survey, with the weighted overall stated correctly.
    d["survey"] = {"groups": [
        {"name": "企业工作人员", "samples": 50, "satisfied": 50, "satisfaction": "99.90%", "weight": "20%"},
        {"name": "社区居民", "samples": 150, "satisfied": 150, "satisfaction": "99.16%", "weight": "20%"},
        {"name": "受帮扶对象", "samples": 100, "satisfied": 100, "satisfaction": "99.60%", "weight": "30%"},
        {"name": "部门工作人员", "samples": 50, "satisfied": 50, "satisfaction": "100%", "weight": "30%",
         "answers": {"very_satisfied": 50}},
    ], "stated_overall": "99.69%"}
    d["target_points"] = {"indicators": 17, "total": 72, "completed": 66, "incomplete": 6, "stated_rate": "91.67%"}
    return d


def full_project() -> dict:
    d = example_data(PROJECT_EXAMPLE)
    d["funds"]["by_level"] = [{"level": "区级", "initial": 90, "received": 90, "spent": 90}]
    return d


def full_key_project() -> dict:
    return example_data(QINGSHI_EXAMPLE)  # every stated share, rate and total of its funds table given


def _set(path: str, value):
    def mutate(d):
        node = d
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = copy.deepcopy(value)
        return d
    return mutate


_DELETE = object()


def _chain(*mutations):
    def mutate(d):
        for m in mutations:
            m(d)
        return d
    return mutate


LEAF = "indicators.0.children.0.children.0"  # 绩效目标合理性, weight 5, score 5

# rule id -> (kind, mutation, yaml path reported, exact message)
FAILING = {
    "tree.depth": ("dept", _set(LEAF + ".children", [{"name": "细项", "weight": 5, "score": 5}]),
                   "indicators[0].children[0].children[0].children[0]", "指标体系最多三级，此处是第 4 级"),
    "tree.score_range": ("dept", _set(LEAF + ".score", 6), "indicators[0].children[0].children[0].score",
                         "得分 6.00 超过分值 5"),
    "tree.weight_sum": ("dept", _set("indicators.0.weight", 36), "indicators[0].weight",
                        "所填 36 与下级指标所填分值合计 35 不符（相差 1）"),
    "tree.score_sum": ("dept", _set("indicators.0.score", 31), "indicators[0].score",
                       "所填 31.00 与下级指标得分合计 32.00 不符（相差 1.00）"),
    "tree.total_weight": ("dept", _chain(_set(LEAF + ".weight", 6), _set("indicators.0.weight", 36),
                                         _set("indicators.0.children.0.weight", 11)),
                          "indicators", "指标分值合计为 101，应为 100"),
    "total.score": ("dept", _set("stated_total_score", 90), "stated_total_score",
                    "所填 90.00 与各指标得分合计 94.50 不符（相差 4.50）"),
    "total.grade": ("dept", _set("stated_grade", "良"), "stated_grade", "所填等级“良”与总分 94.50 对应的等级“优”不符"),
    "total.execution_score": ("project", _set("funds.stated_score", 9), "funds.stated_score",
                              "所填 9.00 与按比例法计算的得分 10.00 不符（相差 1.00）"),
    "money.income_sum": ("dept", _set("funds.income.stated_total", 1400), "funds.income.stated_total",
                         "所填 1,400.00 与财政拨款收入、其他收入与年初结转结余之和 1,445.05 不符（相差 45.05）"),
    "money.basic_sum": ("dept", _set("funds.final.basic", 1100), "funds.final.basic",
                        "所填 1,100.00 与人员经费与公用经费之和 1,135.55 不符（相差 35.55）"),
    "money.spending_sum": ("dept", _set("funds.final.stated_total", 1400), "funds.final.stated_total",
                           "所填 1,400.00 与基本支出与项目支出之和 1,444.16 不符（相差 44.16）"),
    "money.carryover": ("dept", _set("funds.stated_carryover_end", 1), "funds.stated_carryover_end",
                        "所填 1.00 与收入合计减支出合计 0.89 不符（相差 0.11）；收入中没有填年初结转结余，若有，请补填 funds.income.carryover"),
    "money.carryover_negative": ("dept", _chain(_set("funds.income.fiscal", 1000), _set("funds.income.stated_total", 1000),
                                                _set("funds.stated_carryover_end", _DELETE)),
                                 "funds.income", "决算支出 1,444.16 大于收入合计 1,000.00，年末结转结余为负"),
    "money.shares": ("dept", _set("funds.stated_shares.personnel", "30%"), "funds.stated_shares.personnel",
                     "所填 30.00% 与按人员经费÷支出合计计算的 32.79% 不符（相差 2.79 个百分点）"),
    "money.shares_sum": ("dept", _chain(_set("settings", {"rate_tolerance": "0.05"}),
                                        _set("funds.stated_shares.basic", "78.66%"), _set("funds.stated_shares.project", "21.39%")),
                         "funds.stated_shares", "基本支出占比与项目支出占比合计为 100.05%，应为 100%"),
    # A share of this year's income stated as the share of income including the carryover.
    "money.income_shares": ("dept", _chain(_set("funds.income.carryover", 55), _set("funds.income.stated_total", "1,500.05")),
                            "funds.income.stated_shares.fiscal",
                            "所填 100.00% 与按财政拨款收入÷收入合计计算的 96.33% 不符（相差 3.67 个百分点）；"
                            "它等于按财政拨款收入÷本年收入合计计算的 100.00%，请确认所说的是哪个基数"),
    "money.three_public_sum": ("dept", _set("funds.three_public_actual.total", "2.01"), "funds.three_public_actual.total",
                               "所填 2.01 与因公出国（境）费、公务用车购置及运行费与公务接待费之和 2.10 不符（相差 0.09）"),
    "money.assets_sum": ("dept", _set("assets.stated_total", "840.84"), "assets.stated_total",
                         "所填 840.84 与各类资产账面价值（有净值的按净值）之和 237.93 不符（相差 602.91）；"
                         "它等于各类资产账面原值合计 840.84，资产总额应按净值计"),
    "money.asset_shares": ("dept", _set("assets.items.0.stated_share", "93.44%"), "assets.items[0].stated_share",
                           "所填 93.44% 与按账面价值÷资产总额计算的 95.81% 不符（相差 2.37 个百分点）；"
                           "它等于按账面原值÷账面原值合计计算的 93.44%，请确认所说的是哪个基数"),
    "money.levels_sum": ("dept", _set("funds.by_level.0.spent", 1400), "funds.by_level",
                         "所填 1,400.00 与决算支出合计 1,444.16 不符（相差 44.16）"),
    "money.projects_sum": ("dept", _set("goals.projects.0.amount", 400), "goals.projects",
                           "所列项目预算合计 400.00 超过项目支出预算 347.45"),
    "money.fund_source_duplicate": ("project", lambda d: d["funds"]["lines"].append(
        {"source": "当年财政拨款", "initial": 0, "budget": 0, "spent": 0}) or d,
        "funds.lines[1].source", "资金来源“当年财政拨款”重复填写"),
    "money.fund_lines": ("key_project", lambda d: d["funds"]["lines"].append(
        {"year": 2022, "name": "管网改造", "budget": 1, "spent": 1}) or d,
        "funds.lines[9]", "「管网改造」2022年的资金重复填写（第 5 行已填）"),
    # A share stated on the grand total where the table's base is the year's subtotal.
    "money.fund_shares": ("key_project", _set("funds.lines.0.stated_share", "11.79%"), "funds.lines[0].stated_share",
                          "所填 11.79% 与按预算安排÷当年预算安排小计计算的 35.71% 不符（相差 23.92 个百分点）；"
                          "它等于按预算安排÷预算安排总计计算的 11.79%，请确认所说的是哪个基数"),
    "money.funds_total": ("key_project", _set("funds.stated_spent", "2,452.05"), "funds.stated_spent",
                          "所填 2,452.05 与各行之和 2,425.05 不符（相差 27.00）"),
    "rate.execution": ("dept", _set("funds.stated_execution_rate", "95%"), "funds.stated_execution_rate",
                       "所填 95.00% 与按决算支出÷年初预算数计算的 106.65% 不符（相差 11.65 个百分点）"),
    "rate.arrival": ("dept", _set("funds.stated_arrival_rate", "99%"), "funds.stated_arrival_rate",
                     "所填 99.00% 与按实际到位数÷年初预算数计算的 100.00% 不符（相差 1.00 个百分点）"),
    "rate.usage": ("dept", _set("funds.stated_usage_rate", "95.39%"), "funds.stated_usage_rate",
                   "所填 95.39% 与按支出合计÷收入合计计算的 99.94% 不符（相差 4.55 个百分点）"),
    "rate.procurement": ("dept", _set("procurement.stated_rate", "90%"), "procurement.stated_rate",
                         "所填 90.00% 与按实际采购÷采购预算计算的 93.89% 不符（相差 3.89 个百分点）"),
    # A decline stated as the ratio instead of the change (红云 2023).
    "rate.change": ("dept", _set("funds.stated_change", "90.26%"), "funds.stated_change",
                    "所填 90.26% 与按（本年决算支出−上年决算支出）÷上年决算支出计算的 -9.74% 不符（相差 100.00 个百分点）"),
    "survey.weights": ("dept", _set("survey.groups.0.weight", "25%"), "survey.groups",
                       "各组权重合计为 105.00%，应为 100%"),
    # The overall satisfaction stated two ways (红云 2023: 99.69% and 100%).
    "survey.overall": ("dept", _set("survey.stated_overall", "100%"), "survey.stated_overall",
                       "所填 100.00% 与按各组满意度×权重之和计算的 99.69% 不符（相差 0.31 个百分点）"),
    "survey.counts": ("dept", _set("survey.groups.0.satisfied", 60), "survey.groups[0].satisfied",
                      "满意问卷 60 份多于有效问卷 50 份"),
    "survey.satisfaction": ("dept", _set("survey.groups.3.answers", {"very_satisfied": 40, "satisfied": 8, "neutral": 2}),
                            "survey.groups[3].satisfaction",
                            "所填 100.00% 与按（非常满意×100%＋比较满意×75%＋一般×50%＋比较不满意×25%＋非常不满意×0%）÷回答总数"
                            "计算的 94.00% 不符（相差 6.00 个百分点）"),
    "points.counts": ("dept", _set("target_points.incomplete", 5), "target_points.incomplete",
                      "已完成 66 个加未完成 5 个为 71 个，与评价点总数 72 个不符"),
    "points.rate": ("dept", _set("target_points.stated_rate", "92%"), "target_points.stated_rate",
                    "所填 92.00% 与按已完成÷评价点总数计算的 91.67% 不符（相差 0.33 个百分点）"),
    "narrative.subtotal": ("dept", _set("indicators.2.analysis", "部门绩效指标得分44分，完成情况良好。"),
                           "indicators[2].analysis", "文字中写的「部门绩效指标得分44分」与评分表中「部门绩效」得分 43.50 分不符"),
    "narrative.total": ("dept", _set("summary", "本部门自评得分95分。"), "summary",
                        "文字中写的「自评得分95分」与各指标得分合计 94.50 分不符"),
    "narrative.grade": ("dept", _set("other", "综合评价等级为“良”。"), "other",
                        "文字中写的「评价等级为“良”」与总分 94.50 对应的等级“优”不符"),
    "link.problem_id_duplicate": ("dept", _set("problems.1.id", "P1"), "problems[1].id", "问题编号“P1”与第 1 个问题重复"),
    "link.missing_problem": ("dept", _set("suggestions.0.answers", ["P9"]), "suggestions[0].answers[0]", "引用的问题“P9”不存在"),
    "link.unanswered": ("dept", _chain(_set("suggestions.0.answers", []), _set("suggestions.2.answers", ["P1"])),
                        "problems[1]", "没有任何建议回应这个问题"),
    "outline.required": ("dept", _set("department.functions", []), "department.functions",
                         "缺少必备章节「部门概况／部门职能」所需的数据，请填写 department.functions"),
}

FAILING["text.control_chars"] = ("dept", _set("department.management", "制度\x08健全\x00。"), "department.management",
                                 "含有无法写入 Word 的控制字符 U+0000、U+0008，生成时已删除（多为从其他软件粘贴带入）")

FAILING["narrative.rate"] = ("dept", _set("summary", "预算执行率为96.5%，执行进度较好。"), "summary",
                              "文字中写的「预算执行率为96.5%」与按决算支出÷年初预算数计算的 106.65% 不符")
# A published report: a decrease stated in 万元 with two digits swapped; the percentage fits the real amount.
FAILING["money.item_change"] = ("dept", _set("funds.expense_items", [
    {"name": "会议费", "amount": "2.50", "previous": "15.75", "stated_change": "-12.35", "stated_change_rate": "-84.13%"}]),
    "funds.expense_items[0].stated_change", "所填 -12.35 与本年支出减上年支出 -13.25 不符（相差 0.90）")
FAILING["money.procurement_count"] = ("dept", _set("procurement.count", 3), "procurement.count",
                                      "所填采购项目数 3 个与所列采购项目 2 个不符")
FAILING["tree.duplicate_name"] = ("dept", lambda d: d["indicators"][0]["children"].append(
    copy.deepcopy(d["indicators"][0]["children"][0])) or d, "indicators[0].children[2]",
    "与同级的第 1 个指标重名（是否重复粘贴了？）")
FAILING["tree.uneven"] = ("dept", lambda d: d["indicators"][0]["children"].append(
    {"name": "预算编制", "weight": 0, "score": 0}) or d, "indicators[0].children[2]",
    "是末级指标，而同级的「目标设定」下还有下级指标：是否少缩进了一级？")
FAILING["text.skeleton"] = ("dept", _set("problems.0.title", "问题一"), "problems[0].title",
                             "“问题一”是模板（reporttool new）中的示例文字，请改为本报告的内容")
# Last year's file rolled forward: the title still says 2023.
FAILING["date.other_year"] = ("dept", _set("title", "某某局2023年部门整体支出绩效自评报告"), "title",
                              "“某某局2023年部门整体支出绩效自评报告”中的年份是 2023 年，而评价年度是 2024 年（是否沿用了上年的文件？）")

# Last year's report listed a problem this year's neither resolves nor repeats.
FAILING["previous.follow_up"] = ("dept", _set("previous_problems", [{"title": "公务用车管理制度不健全", "status": "整改中"}]),
                                 "previous_problems[0]", "上年报告列出的这个问题，本年既未说明已整改，也未再列入存在的问题；"
                                 "请填写整改情况（已整改、整改中、未整改），仍未解决的请在本年问题中说明")

FAILING["money.fund_totals"] = ("project", _set("funds.stated_totals", {"spent": "95.00"}), "funds.stated_totals.spent",
                                "所填 95.00 与各资金来源之和 90.00 不符（相差 5.00）")
FAILING["text.overview_missing"] = ("project", _set("project.overview", _DELETE), "project.overview",
                                    "没有项目概况（立项依据、主要内容和资金安排），报告中标为【待补充】；请在 project.overview 中补写")

WARNINGS = {"text.overview_missing", "previous.follow_up", "money.carryover_negative", "money.projects_sum", "link.unanswered", "text.control_chars", "text.skeleton",
            "date.other_year", "tree.duplicate_name", "tree.uneven"}

# The self-evaluation rule pack (reporttool/selfeval_rules.py).
ONLINE = "indicators.0.children.1.children.0"     # 线上审批率: weight 15, ≥95%, 100%
ENTRUSTED = "indicators.0.children.0.children.1"  # 园区委托办理事项数: weight 10, 12项
FAILING["selfeval.execution_leaf"] = ("project", _set(ENTRUSTED + ".measures", "预算执行率"), "funds.weight",
                                      "预算执行率已作为指标「园区委托办理事项数」计分（分值 10），此处不应再填写分值（删去 funds.weight）")
FAILING["selfeval.indicator_score"] = ("project", _set(ONLINE + ".actual", "90%"), "indicators[0].children[1].children[0].score",
                                       "所填 15.00 与按完成值÷指标值×分值（指标值 ≥95%，完成值 90%）计算的 14.21 不符（相差 0.79）")
FAILING["selfeval.deviation_reason"] = ("project", _set("indicators.1.children.1.children.0.deviation", _DELETE),
                                        "indicators[1].children[1].children[0]",
                                        "得分 8.00 低于分值 10，请填写偏差原因分析及改进措施（deviation）")
FAILING["selfeval.low_execution_reason"] = ("project", _set("funds.lines.0.spent", 80), "funds",
                                            "预算执行率 88.89%（全年执行数÷全年预算数）低于 90.00%，请说明原因（funds.reason）")
FAILING["selfeval.score_cap"] = ("project", _chain(_set("settings", {"self_eval": {"score_cap": True}}),
                                                   _set("funds.lines.0.spent", 70), _set("funds.reason", "部分合同跨年支付。")),
                                 "stated_total_score", "预算执行率 77.78% 低于 80.00%，总分不应超过 89.00 分，现为 95.78 分")
FAILING["selfeval.over_target"] = ("project", _set("indicators.1.children.0.children.0.target", "≥50%"),
                                   "indicators[1].children[0].children[0].actual",
                                   "完成值 80%以上 超过年度指标值 ≥50% 的 60.00%（超过 30.00% 视为偏离：指标值是否定得偏低，或完成值有误？）")
FAILING["selfeval.required_dimensions"] = ("project", _set("indicators.2", _DELETE), "indicators",
                                           "指标体系中没有“满意度”类指标（产出、效益、满意度指标均应设置）")
FAILING["selfeval.placeholder"] = ("project", _set(ENTRUSTED + ".actual", "/"), "indicators[0].children[0].children[1].actual",
                                   "只填了占位符“/”，请填写实际内容（不适用的指标应删去并说明）")
FAILING["selfeval.arrival_full_marks"] = ("project", _chain(_set("funds.lines.0.received", 85), _set(ENTRUSTED + ".measures", "资金到位率")),
                                          "indicators[0].children[0].children[1].score",
                                          "资金到位率 94.44%（实际到位数÷全年预算数）低于 100%，本指标却得满分 10.00")
WARNINGS |= {"selfeval.over_target", "selfeval.placeholder", "selfeval.arrival_full_marks"}
