"""Every derived figure is computed from its parts."""

from decimal import Decimal as D

import pytest

import reporttool as rt
from tests.conftest import DEPT_EXAMPLE, PROJECT_EXAMPLE, write


def test_dept_example_figures():
    r = rt.view(rt.load(DEPT_EXAMPLE))
    f = r.funds
    assert f.budget.total.value == D("1354.10")
    assert f.final.basic_total.value == D("1135.55")      # 473.54 + 662.01
    assert f.final.total.text == "1,444.16万元"            # 1135.55 + 308.61
    assert f.income.total.value == D("1445.05")
    assert f.carryover_end.text == "0.89万元"              # 收入合计 − 支出合计
    assert f.execution_base_label == "年初预算数"
    assert (f.execution_rate.text, f.execution_rate.base) == ("106.65%", "决算支出÷年初预算数")  # 1444.16 / 1354.10
    assert (r.procurement.rate.text, r.procurement.rate.base) == ("93.89%", "实际采购÷采购预算")  # 17.37 / 18.50
    assert [i.total_score.value for i in r.indicators] == [D(32), D(19), D("43.5")]
    assert [i.total_weight.text for i in r.indicators] == ["35分", "20分", "45分"]
    assert r.total_score.text == "94.50分" and r.total_weight.value == D(100)
    assert r.grade == "优"
    assert r.department.staff_authorized.value == 23 and r.department.staff_actual.value == 23
    assert r.goals.projects_total.value == D("90.00")
    assert f.final.basic_share.text == "78.63%" and f.final.basic_share.base == "基本支出÷支出合计"


def test_project_example_figures():
    r = rt.view(rt.load(PROJECT_EXAMPLE))
    assert r.funds.spent.value == D(90) and r.funds.budget.value == D(90)
    assert r.funds.execution_rate.value == 1 and r.funds.execution_rate.base == "全年执行数÷全年预算数"
    assert r.funds.score.value == D(10)
    assert r.total_weight.value == D(100)                 # 10 for 执行率 + 90 in the tree
    assert r.total_score.value == D(98)
    assert [p.name for p in r.score_parts][0] == "预算执行率"
    assert r.grade_ticks == "优√ 良□ 中□ 差□"


def test_adjusted_budget_becomes_the_base(tmp_path, dept):
    dept["funds"]["adjusted_budget"] = {"basic": 1100, "project": 344.16}
    r = rt.view(rt.load(write(tmp_path, dept)))
    assert r.funds.execution_base_label == "调整后预算数"
    assert r.funds.execution_rate.value == 1 and r.funds.execution_rate.base == "决算支出÷调整后预算数"


@pytest.mark.parametrize("score, grade", [
    ("90", "优"), ("89.995", "良"), ("80", "良"), ("79.99", "中"), ("60", "中"), ("59.99", "差"), ("0", "差"),
])
def test_grade_bands_use_the_unrounded_total(tmp_path, project, score, grade):
    # Nothing spent: the 执行率 part scores 0, so the total is the one leaf's score.
    project["funds"]["lines"][0]["spent"] = 0
    project["indicators"] = [{"name": "产出指标", "children": [{"name": "数量指标", "children": [
        {"name": "完成数量", "weight": 90, "score": score}]}]}]
    for key in ("stated_total_score", "stated_grade"):
        project.pop(key)
    r = rt.view(rt.load(write(tmp_path, project)))
    assert r.total_score.value == D(score)
    assert r.grade == grade


def test_custom_bands(tmp_path, project):
    project["settings"] = {"grade_bands": [{"grade": "A", "min": 95}, {"grade": "B", "min": 0}]}
    project.pop("stated_grade")
    r = rt.view(rt.load(write(tmp_path, project)))
    assert r.grade == "A" and r.grade_ticks == "A√ B□"


@pytest.mark.parametrize("spent, method, score", [
    (90, "比例", D(10)), (81, "比例", D(9)), (81, "分档", D(7)), (54, "分档", D(5)), (53, "分档", D(0)),
])
def test_execution_score(tmp_path, project, spent, method, score):
    project["funds"]["lines"][0]["spent"] = spent
    project["funds"]["scoring"] = method
    r = rt.view(rt.load(write(tmp_path, project)))
    assert r.funds.score.value == score


def test_money_is_decimal_not_float(tmp_path, dept):
    dept["funds"]["final"]["project"] = "0.1"
    dept["funds"]["final"]["public"] = "0.2"
    r = rt.view(rt.load(write(tmp_path, dept)))
    assert isinstance(r.funds.final.public.value, D)
    assert r.funds.final.public.value + r.funds.final.project.value == D("0.3")


def test_yaml_floats_load_exactly(tmp_path):
    from reporttool.yamlio import loads
    data, _ = loads("a: 1354.10\nb: 0.1\n")
    assert data == {"a": D("1354.10"), "b": D("0.1")}


def test_arrival_change_and_three_public(tmp_path, dept):
    dept["funds"].update({
        "received": 1354.10, "previous_final": "1,600.00",
        "three_public_budget": {"vehicles": 2, "reception": 0.5},
        "three_public_actual": {"vehicles": 1.8, "reception": 0.3},
        "stated_arrival_rate": "100%",
    })
    report = rt.load(write(tmp_path, dept))
    r = rt.view(report)
    assert r.funds.arrival_rate.value == 1
    assert r.funds.change_from_previous.text == "-9.74%"     # (1444.16 − 1600) / 1600
    assert r.funds.three_public_actual.amount.value == D("2.1")
    assert rt.validate(report) == []
    md = rt.render_bytes(report, ["md"])["md"].decode()
    assert "资金到位率100.00%（实际到位数÷年初预算数）" in md
    assert "支出较上年1,600.00万元下降9.74%" in md
    assert "“三公”经费支出2.10万元" in md
