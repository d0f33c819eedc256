"""Every rule of the checker: a passing case (the full reports) and a failing case with its exact message."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import reporttool as rt
from reporttool.checks import RULE_IDS
from reporttool.cli import app
from tests.check_cases import FAILING, WARNINGS, full_dept, full_key_project, full_project
from tests.conftest import write

runner = CliRunner(env={"COLUMNS": "300"})
FULL = {"dept": full_dept, "project": full_project, "key_project": full_key_project}


@pytest.mark.parametrize("kind", ["dept", "project"])
def test_full_reports_pass_every_rule(tmp_path, kind):
    assert rt.validate(rt.load(write(tmp_path, FULL[kind]()))) == []


def test_every_rule_has_a_failing_case():
    assert set(FAILING) == set(RULE_IDS)


@pytest.mark.parametrize("rule", sorted(FAILING))
def test_rule_fails_with_its_message(tmp_path, rule):
    kind, mutate, path, message = FAILING[rule]
    report = rt.load(write(tmp_path, mutate(FULL[kind]())))
    found = [p for p in rt.validate(report) if p.rule == rule]
    assert [(p.dotted, p.message) for p in found] == [(path, message)]
    assert found[0].severity == ("warning" if rule in WARNINGS else "error")
    assert found[0].line is not None and found[0].file.endswith("report.yaml")


def test_stated_figures_are_compared_never_used(tmp_path):
    data = full_dept()
    data["stated_total_score"] = "88.88"
    data["funds"]["stated_execution_rate"] = "77.77%"
    report = rt.load(write(tmp_path, data))
    md = rt.render_bytes(report, ["md"], outline=None)["md"].decode()
    assert "自评得分94.50分" in md and "预算执行率106.65%" in md
    assert "88.88" not in md and "77.77" not in md


def test_several_independent_errors_in_one_run(tmp_path):
    data = full_dept()
    for rule in ("total.score", "rate.change", "survey.overall", "link.missing_problem", "narrative.total"):
        data = FAILING[rule][1](data)
    result = runner.invoke(app, ["check", "--json", str(write(tmp_path, data))])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    rules = sorted(p["rule"] for p in doc["files"][0]["problems"])
    assert rules == ["link.missing_problem", "narrative.total", "rate.change", "survey.overall", "total.score"]
    change = next(p for p in doc["files"][0]["problems"] if p["rule"] == "rate.change")
    assert (change["stated"], change["computed"], change["path"]) == ("90.26%", "-9.74%", "funds.stated_change")


def test_check_prints_a_table(tmp_path):
    data = FAILING["survey.overall"][1](full_dept())
    path = write(tmp_path, data)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"== {path}"
    assert lines[1].split() == ["位置", "级别", "规则", "字段", "填报数", "计算数", "说明"]
    assert lines[2].split()[1:6] == ["错误", "survey.overall", "综合满意度", "100.00%", "99.69%"]
    assert lines[-1] == f"✗ {path}：1 个错误，0 个警告"


def test_check_warnings_only_exit_zero(tmp_path):
    path = write(tmp_path, FAILING["money.projects_sum"][1](full_dept()))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0
    assert "警告" in result.stdout and "money.projects_sum" in result.stdout


def test_check_clean_json(tmp_path):
    result = runner.invoke(app, ["check", "--json", str(write(tmp_path, full_project()))])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["files"][0]["problems"] == []


def test_tolerance_is_configurable(tmp_path):
    data = full_dept()
    data["stated_total_score"] = "94.55"
    assert [p.rule for p in rt.validate(rt.load(write(tmp_path, data)))] == ["total.score"]
    data["settings"] = {"tolerance": "0.1"}
    assert rt.validate(rt.load(write(tmp_path, data))) == []
