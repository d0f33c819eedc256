"""Reports as published: nothing forced that a report does not have."""

from __future__ import annotations

import reporttool as rt
from tests.conftest import HONGYUN_EXAMPLE, example_data, write


def render_md(tmp_path, data, force=False):
    report = rt.load(write(tmp_path, data))
    problems = rt.validate(report)
    return report, problems, rt.render_bytes(report, ["md"])["md"].decode()


def test_department_report_without_budget(tmp_path, dept):
    del dept["funds"]["budget"]
    dept["funds"]["stated_execution_rate"] = "106.65%"
    report, problems, md = render_md(tmp_path, dept)
    assert [p.format().split(" ", 1)[1] for p in problems if p.severity == "error"] == []
    [warning] = [p for p in problems if p.rule == "rate.execution"]
    assert warning.severity == "warning" and "无法核对：预算数为零或未填写" in warning.message
    body = md.split("附件：")[0]  # the 预算执行表 annex has budgets by funding level of its own
    assert "预算执行率" not in body and "预算数" not in body and "预算支出" not in body
    assert "2024年部门决算支出1,444.16万元" in md and "| **合计** | **1,444.16** | **100.00%** |" in md


def test_report_without_scores(tmp_path, dept):
    del dept["indicators"]
    dept["conclusion"] = "部门整体支出绩效目标基本实现。"
    for key in ("stated_total_score", "stated_grade"):
        dept.pop(key, None)
    dept["stated_grade"] = "优"
    report, problems, md = render_md(tmp_path, dept)
    assert [p for p in problems if p.severity == "error"] == []
    [warning] = [p for p in problems if p.rule == "total.grade"]
    assert "无法核对：报告没有填写指标体系" in warning.message
    r = rt.view(report)
    assert (r.scored, r.total_score, r.grade, r.grade_ticks) == (False, None, None, None)
    assert "部门整体支出绩效目标基本实现。" in md
    for absent in ("得分", "评价等级", "未评分", "0.00分", "绩效评价指标评分表", "具体绩效分析"):
        assert absent not in md, absent


def test_project_report_without_scores(tmp_path, project):
    del project["indicators"]
    for key in ("stated_total_score", "stated_grade"):
        project.pop(key, None)
    project["conclusion"] = "项目按期完成。"
    report, problems, md = render_md(tmp_path, project)
    assert [p for p in problems if p.severity == "error"] == []
    assert "项目支出绩效自评表" not in md and "预算执行率（10分）" not in md and "得0.00分" not in md
    assert "评价等级" not in md


def test_key_evaluation_without_income(tmp_path):
    data = example_data(HONGYUN_EXAMPLE)
    del data["funds"]["income"]
    for key in ("stated_carryover_end", "stated_usage_rate"):
        data["funds"].pop(key)
    report, problems, md = render_md(tmp_path, data)
    assert [p for p in problems if p.severity == "error"] == []
    assert "2023年部门支出总额6,055.68万元" in md and "收入总额" not in md


def test_scope_is_never_invented(tmp_path, dept):
    del dept["evaluation"]["scope"]
    report = rt.load(write(tmp_path, dept))
    [problem] = [p for p in rt.validate(report) if p.severity == "error"]
    assert problem.rule == "outline.required" and "evaluation.scope" in problem.message
    md = rt.render_bytes(report, ["md"])["md"].decode()  # what --force renders
    assert "### （四）评价对象及评价时段\n\n【待补充：缺少评价思路和过程·评价对象及范围（evaluation.scope）】" in md
    assert "年部门整体支出，评价时段" not in md


def test_parent_is_compared_with_its_childrens_stated_figures(tmp_path, dept):
    # As published: 部门管理 states 20; its 二级 state one point more in all, because one of them is one
    # above its own leaves.
    l1 = dept["indicators"][1]
    assert sum(leaf["weight"] for c in l1["children"] for leaf in c["children"]) == 20
    l1["weight"] = 20
    first, *rest = l1["children"]
    first["weight"] = sum(leaf["weight"] for leaf in first["children"]) + 1
    for c in rest:
        c["weight"] = sum(leaf["weight"] for leaf in c["children"])
    found = {p.dotted: p.message for p in rt.validate(rt.load(write(tmp_path, dept))) if p.rule == "tree.weight_sum"}
    assert found == {
        "indicators[1].weight": "所填 20 与下级指标所填分值合计 21 不符（相差 1）",
        "indicators[1].children[0].weight": f"所填 {first['weight']} 与三级指标分值合计 {first['weight'] - 1} 不符（相差 1）",
    }


def test_indicator_codes_are_shown_in_tables(tmp_path, dept):
    dept["indicators"][0]["code"] = "A"
    dept["indicators"][0]["children"][0]["code"] = "A1"
    dept["indicators"][0]["children"][0]["children"][0]["code"] = "A11"
    md = rt.annex_bytes(rt.load(write(tmp_path, dept)), ["md"], ["score_table"])["md"].decode()
    assert "| A 部门决策 | A1 目标设定 | A11 " in md
    # and the tree's paths are kept as they are
    assert rt.view(rt.load(write(tmp_path, dept))).indicators[0].code == "A"


def narrative(tmp_path, dept, **texts):
    for key, text in texts.items():
        if key == "analysis":
            dept["indicators"][2]["analysis"] = text
        else:
            dept[key] = text
    return [(p.rule, p.message) for p in rt.validate(rt.load(write(tmp_path, dept))) if p.rule.startswith("narrative.")]


def test_total_of_100_is_the_maximum_not_a_score(tmp_path, dept):
    assert narrative(tmp_path, dept, summary="指标体系总分100分，自评得分94.5分。") == []


def test_score_in_a_sentence_about_one_indicator_is_that_indicators(tmp_path, dept):
    text = "部门绩效方面，各项重点工作均按期完成，本项指标经逐项核对后自评得分43.5分。"
    assert narrative(tmp_path, dept, conclusion=text) == []


def test_score_in_an_indicators_own_analysis_is_that_indicators(tmp_path, dept):
    assert narrative(tmp_path, dept, analysis="本指标评价得分43.5分，满分45分。") == []
    [(rule, message)] = narrative(tmp_path, dept, analysis="本指标评价得分44分。")
    assert rule == "narrative.subtotal" and "与评分表中「部门绩效」得分 43.50 分不符" in message


def test_genuine_catch_another_indicator_quoted_in_a_section(tmp_path, dept):
    [(rule, message)] = narrative(tmp_path, dept, analysis="部门决策得分33分。")
    assert rule == "narrative.subtotal" and message == "文字中写的「部门决策得分33分」与评分表中「部门决策」得分 32.00 分不符"


def rates(tmp_path, data, text):
    data["summary"] = text
    return [p.message for p in rt.validate(rt.load(write(tmp_path, data))) if p.rule == "narrative.rate"]


def test_rates_quoted_in_text_at_their_own_precision(tmp_path, dept):
    assert rates(tmp_path, dept, "预算执行率为106.65%，预算执行率达106.7%，政府采购执行率93.89%。") == []
    assert rates(tmp_path, dept, "项目预算执行率为96.5%。") == []  # some project's, not the department's
    assert rates(tmp_path, dept, "资金到位率为98.00%。") == ["文字中写了「资金到位率为98.00%」，但报告数据中没有算出它的数字（缺少基数）"]


def test_project_rate_in_text(tmp_path, project):
    assert rates(tmp_path, project, "项目预算执行率为100%。") == []
    assert rates(tmp_path, project, "项目预算执行率为96.5%。") == [
        "文字中写的「预算执行率为96.5%」与按全年执行数÷全年预算数计算的 100.00% 不符"]


def test_wording_as_a_person_would_write_it(tmp_path, project, dept):
    project["project"]["type"] = "经常性项目"
    project["project"]["name"] = "2024年行政审批工作运行经费"
    report = rt.load(write(tmp_path, project))
    md = rt.render_bytes(report, ["md"])["md"].decode()
    assert "经常性项目项目" not in md and "属于经常性项目" in md
    assert rt.view(report).report_title == "2024年行政审批工作运行经费项目支出绩效自评报告"
    dept["department"]["functions"] = ["只有一项职能。"]
    md = rt.render_bytes(rt.load(write(tmp_path, dept, "d.yaml")), ["md"])["md"].decode()
    assert "\n只有一项职能。\n" in md and "1.只有一项职能" not in md
    assert "部门共安排项目" not in md and "纳入绩效目标的项目1个" in md


def test_the_outline_chooses_whether_notes_go_into_the_analysis(tmp_path, dept):
    from reporttool.templates import template_set
    dept["indicators"][2]["children"][0]["children"][0]["note"] = "佐证：年度工作总结。"
    report = rt.load(write(tmp_path, dept))
    assert "佐证：年度工作总结。" in rt.render_bytes(report, ["md"])["md"].decode().split("附件：")[0]
    from reporttool.templates import BUILTIN, kind_file
    text = (BUILTIN / kind_file("dept_self", "outline.yaml")).read_text(encoding="utf-8")
    assert "item_body: indicator_analysis\n" in text
    path = tmp_path / "本区大纲.yaml"
    path.write_text(text.replace("item_body: indicator_analysis\n", "item_body: indicator_analysis_without_notes\n"),
                    encoding="utf-8")
    brief = template_set().custom_outline(path)
    body = rt.render_bytes(report, ["md"], outline=brief)["md"].decode().split("附件：")[0]
    assert "佐证：年度工作总结。" not in body


def test_share_on_another_base_names_both(tmp_path, dept):
    dept["funds"]["stated_shares"] = {"personnel": "41.70%"}  # 473.54 ÷ 1,135.55 (基本支出), said to be of 总支出
    [problem] = [p for p in rt.validate(rt.load(write(tmp_path, dept))) if p.rule == "money.shares"]
    assert problem.message == ("所填 41.70% 与按人员经费÷支出合计计算的 32.79% 不符（相差 8.91 个百分点）；"
                               "它等于按人员经费÷基本支出计算的 41.70%，请确认所说的是哪个基数")


def test_income_of_this_year_and_income_in_all(tmp_path, dept):
    dept["funds"]["income"]["carryover"] = "10.00"
    dept["funds"]["income"]["stated_total"] = "1,445.05"  # the report quotes this year's income as 收入合计
    [problem] = [p for p in rt.validate(rt.load(write(tmp_path, dept))) if p.rule == "money.income_sum"]
    assert problem.message.endswith("；它等于不含年初结转结余的本年收入合计 1,445.05（两者是不同的数，本年收入请填 stated_this_year）")
    dept["funds"]["income"]["stated_total"] = "1,455.05"
    dept["funds"]["income"]["stated_this_year"] = "1,445.05"
    assert [p for p in rt.validate(rt.load(write(tmp_path, dept))) if p.rule == "money.income_sum"] == []


def test_expense_item_change_agrees(tmp_path, dept):
    dept["funds"]["expense_items"] = [{"name": "培训费", "amount": "3.00", "previous": "4.00", "stated_change": "-1.00",
                                       "stated_change_rate": "-25%"}]
    report = rt.load(write(tmp_path, dept))
    assert [p for p in rt.validate(report) if p.rule == "money.item_change"] == []
    item = rt.view(report).funds.expense_items[0]
    assert (item.change.text, item.change_rate.text) == ("-1.00万元", "-25.00%")


def test_procurement_as_a_count(tmp_path, dept):
    dept["procurement"]["items"] = []
    dept["procurement"]["count"] = 3
    md = rt.render_bytes(rt.load(write(tmp_path, dept)), ["md"])["md"].decode()
    assert "涉及3个采购项目" in md


def test_annexes_of_a_report_that_has_none(tmp_path, project):
    import pytest
    del project["indicators"]
    for key in ("stated_total_score", "stated_grade"):
        project.pop(key, None)
    project["problems"], project["suggestions"] = [], []
    with pytest.raises(rt.UserError, match="没有附件可生成"):
        rt.annex_bytes(rt.load(write(tmp_path, project)), ["xlsx"])


def test_procurement_and_assets_as_text_only(tmp_path, dept):
    dept["procurement"] = {"text": "本年度未实施政府采购。"}
    dept["assets"] = {"text": "资产管理按制度执行，账实相符。"}
    report, problems, md = render_md(tmp_path, dept)
    assert [p for p in problems if p.severity == "error"] == []
    assert "\n本年度未实施政府采购。\n" in md and "\n资产管理按制度执行，账实相符。\n" in md
    assert "政府采购预算" not in md and "账面原值" not in md


def test_empty_procurement_names_what_to_fill(tmp_path, dept):
    dept["procurement"] = {"stated_rate": "90%"}
    dept["assets"] = {"as_of": "2024-12-31"}
    with __import__("pytest").raises(rt.InputError) as e:
        rt.load(write(tmp_path, dept))
    text = str(e.value)
    assert "请填写采购预算 budget、实际采购 actual、采购项目 items，或采购情况说明 text" in text
    assert "请填写资产明细 items，或资产情况说明 text" in text


def test_three_public_as_a_total(tmp_path, dept):
    dept["funds"]["three_public_actual"] = {"total": "2.10"}
    dept["funds"]["three_public_budget"] = {"abroad": 0, "vehicles": "2.00", "reception": "0.50"}
    report, problems, md = render_md(tmp_path, dept)
    assert [p for p in problems if p.rule == "money.three_public_sum"] == []
    assert "“三公”经费支出2.10万元，预算2.50万元。" in md


def test_three_public_split_lists_what_was_given(tmp_path, dept):
    dept["funds"]["three_public_actual"] = {"vehicles": "1.80", "reception": "0.30", "total": "2.10"}
    report, problems, md = render_md(tmp_path, dept)
    assert [p for p in problems if p.rule == "money.three_public_sum"] == []
    assert "“三公”经费支出2.10万元（公务用车购置及运行费1.80万元，公务接待费0.30万元）。" in md


def test_assets_total_and_shares_when_the_report_gives_the_total(tmp_path, dept):
    report, problems, md = render_md(tmp_path, dept)
    assert "固定资产账面原值785.70万元、净值227.97万元；" in md and "资产总额" not in md  # classes may be a part
    dept["assets"]["items"].insert(0, {"name": "流动资产", "original": "120.00"})
    dept["assets"]["stated_total"] = "357.93"
    report, problems, md = render_md(tmp_path, dept)
    assert [p for p in problems if p.rule.startswith("money.asset")] == []
    assert ("资产总额357.93万元，其中：流动资产账面原值120.00万元（占33.53%）；"
            "固定资产账面原值785.70万元、净值227.97万元（占63.69%）；无形资产账面原值55.14万元、净值9.96万元（占2.78%）。") in md


def test_satisfaction_from_answer_counts(tmp_path):
    data = example_data(HONGYUN_EXAMPLE)
    data["survey"] = {"groups": [
        {"name": "受益群众", "answers": {"very_satisfied": 120, "satisfied": 60, "neutral": 15, "dissatisfied": 4,
                                      "very_dissatisfied": 1}, "samples": 200, "satisfaction": "86.75%"},
        {"name": "实施单位", "answers": {"very_satisfied": 18, "satisfied": 2}},
    ]}
    report, problems, md = render_md(tmp_path, data)
    assert [p.message for p in problems if p.rule.startswith("survey.")] == []
    s = rt.view(report).survey
    assert [g.rate.text for g in s.groups] == ["86.75%", "97.50%"] and s.overall is None
    assert "受益群众满意度86.75%，实施单位满意度97.50%。满意度按（非常满意×100%＋比较满意×75%＋一般×50%＋比较不满意×25%＋非常不满意×0%）÷回答总数计算。" in md
    assert "综合满意度为" not in md and "权重" not in md  # no group weights: no overall figure
    assert "| 调查对象 | 非常满意 | 比较满意 | 一般 | 比较不满意 | 非常不满意 | 回答总数 | 满意度 |" in md
    # the scale is the report's: 比较满意 counted at 80%
    data["survey"]["scale"] = {"satisfied": "80%"}
    data["survey"]["groups"][0]["samples"] = 201
    data["survey"]["groups"][1]["weight"] = "40%"
    problems = rt.validate(rt.load(write(tmp_path, data)))
    assert sorted((p.dotted, p.message) for p in problems if p.rule.startswith("survey.")) == [
        ("survey.groups[0]", "其他调查对象填写了权重，这一组没有；各组都填权重才能计算综合满意度"),
        ("survey.groups[0].samples", "有效问卷 201 份与各选项回答人数合计 200 份不符"),
        ("survey.groups[0].satisfaction", "所填 86.75% 与按（非常满意×100%＋比较满意×80%＋一般×50%＋比较不满意×25%＋非常不满意×0%）"
                                          "÷回答总数计算的 88.25% 不符（相差 1.50 个百分点）"),
    ]


def test_key_evaluation_of_a_project(tmp_path):
    from tests.conftest import QINGSHI_EXAMPLE
    data = example_data(QINGSHI_EXAMPLE)
    report, problems, md = render_md(tmp_path, data)
    assert problems == []
    assert md.startswith("# 青石区农村饮水安全巩固提升项目2021—2023年度重点绩效评价报告\n")
    assert "部门整体" not in md
    assert "评价时段为2021年1月1日至2023年12月31日。" in md
    assert ("2021—2023年，青石区农村饮水安全巩固提升项目共安排预算2,545.00万元，实际支出2,425.05万元，"
            "预算执行率95.29%（支出金额÷预算安排）。其中：2021年安排840.00万元、支出789.00万元，执行率93.93%；") in md
    assert "| 年度 | 子项目 | 预算安排 | 支出金额 | 资金占比 | 预算执行率 |" in md
    assert "|  | **小计** | **840.00** | **789.00** | **33.01%** | **93.93%** |" in md
    assert "| **总计** |  | **2,545.00** | **2,425.05** | **100.00%** | **95.29%** |" in md
    assert "（1）绩效目标合理性：分值3分，得分2.50分。扣分原因：2021年未设定水质检测的年度目标。" in md
    assert "| 一级指标 | 二级指标 | 三级指标 | 分值 | 得分 | 指标解释 | 评分标准 | 扣分原因 |" in md
    problem_list = md.split("问题清单</b>")[1].split("**附件")[0]
    assert problem_list.count("\n| ") - 2 == len(data["problems"]) + len(data["more_problems"]) == 7
    assert "两处工程验收资料缺少监理签字" in problem_list and "两处工程验收资料缺少监理签字" not in md.split("附件：")[0]


def test_project_funds_without_sub_projects(tmp_path):
    from tests.conftest import QINGSHI_EXAMPLE
    data = example_data(QINGSHI_EXAMPLE)
    data["funds"] = {"lines": [{"year": 2022, "budget": "900", "spent": "855"}, {"year": 2023, "budget": "600", "spent": "600"}]}
    del data["start_year"]
    report, problems, md = render_md(tmp_path, data)
    assert [p for p in problems if p.rule.startswith("money.")] == []
    assert "| 年度 | 预算安排 | 支出金额 | 资金占比 | 预算执行率 |" in md and "小计" not in md.split("附件：")[0]
    assert "| 2022年 | 900.00 | 855.00 | 60.00% | 95.00% |" in md
    assert md.startswith("# 青石区农村饮水安全巩固提升项目2022—2023年度重点绩效评价报告\n")


def test_project_funds_lines_out_of_place(tmp_path):
    from tests.conftest import QINGSHI_EXAMPLE
    data = example_data(QINGSHI_EXAMPLE)
    data["funds"]["lines"][0]["year"] = 2020        # before start_year 2021
    del data["funds"]["lines"][4]["name"]           # 2022 管网改造 without its name
    problems = rt.validate(rt.load(write(tmp_path, data)))
    assert [(p.dotted, p.message) for p in problems if p.rule == "money.fund_lines"] == [
        ("funds.lines[0].year", "年度 2020 不在评价时段 2021—2023年 之内"),
        ("funds.lines[4]", "2022年的其他行写了子项目名称，这一行没有；同一年度各行都写或都不写"),
    ]


def test_key_evaluation_without_target_points(tmp_path):
    data = example_data(HONGYUN_EXAMPLE)
    del data["target_points"]
    report, problems, md = render_md(tmp_path, data)
    assert [p for p in problems if p.severity == "error"] == []
    assert "绩效目标实现情况" not in md and "评价点" not in md
