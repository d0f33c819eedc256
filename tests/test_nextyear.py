"""Next year's file from last year's, 较上年 figures, and last year's file beside this year's."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import reporttool as rt
import reporttool.yamlout  # noqa: F401  (rt.yamlout below)
from reporttool.api import render_bytes
from reporttool.cli import app
from reporttool.loading import load_data
from reporttool.view import view
from tests.docx_reader import read_docx

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.yaml"))
PROJECT = next(p for p in EXAMPLES if "xishan-2024-project" in p.name)
runner = CliRunner(env={"COLUMNS": "300"})


def _leaves(nodes):
    for node in nodes:
        if node.get("children"):
            yield from _leaves(node["children"])
        else:
            yield node


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("suffix", [".yaml", ".xlsx"])
def test_roll_forward_every_example(tmp_path, example, suffix):
    last = rt.load(example)
    target = tmp_path / f"next{suffix}"
    result = runner.invoke(app, ["new", "--from", str(example), "-o", str(target)])
    assert result.exit_code == 0, result.output
    data, _ = load_data(target)
    assert data["year"] == last.year + 1
    block = "department" if "department" in type(last).model_fields else "project"
    carried = rt.yamlout.plain(getattr(last, block).model_dump(exclude_defaults=True))
    yearly = ("period", "work")  # the year's own: moved on a year, or cleared
    assert {k: v for k, v in data[block].items() if k not in yearly} == {k: v for k, v in carried.items() if k not in yearly}
    assert not data[block].get("work")
    old_leaves, new_leaves = list(_leaves(rt.yamlout.report_data(last)["indicators"])), list(_leaves(data["indicators"]))
    assert [(n["name"], Decimal(n["weight"]), n.get("target")) for n in new_leaves] == \
        [(n["name"], Decimal(n["weight"]), n.get("target")) for n in old_leaves]
    assert all(n.get("score") is None and n.get("actual") is None for n in new_leaves)
    for cleared in ("problems", "suggestions", "experience", "conclusion", "signed_on", "stated_total_score"):
        assert not data.get(cleared), cleared
    assert Decimal(str(data["previous_total_score"])) == view(last).total_score.value
    if last.problems:
        assert [p["title"] for p in data["previous_problems"]][:len(last.problems)] == [p.title for p in last.problems]
    # the note of what was carried and what to fill
    if suffix == ".yaml":
        head = target.read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith("# 由 reporttool new --from") and "请填写或修改" in target.read_text(encoding="utf-8")
    else:
        import openpyxl
        guide = [c.value for c in openpyxl.load_workbook(target)["填写说明"]["A"] if c.value]
        assert any("请填写或修改" in str(v) for v in guide)
    # the rolled file is a form to fill: it does not validate until the year's figures are in
    assert runner.invoke(app, ["validate", str(target)]).exit_code == 1


def _filled_project(tmp_path: Path, spent: str) -> Path:
    rolled = tmp_path / "2025.yaml"
    assert runner.invoke(app, ["new", "--from", str(PROJECT), "-o", str(rolled)]).exit_code == 0
    data = yaml.safe_load(rolled.read_text(encoding="utf-8"))
    for leaf in _leaves(data["indicators"]):
        leaf["score"], leaf["actual"] = leaf["weight"], leaf["target"]
    data["funds"]["lines"][0].update(initial=100, budget=100, received=100, spent=spent)
    for goal in data["goals"]:
        goal["actual"] = "已完成。"
    data["previous_problems"][0]["status"] = "已整改"
    data["problems"] = [{"title": "部分审批事项网办深度不足", "detail": "仍需现场提交纸质材料。"}]
    data["suggestions"] = [{"title": "推进全程网办", "detail": "梳理事项清单，逐项取消纸质材料。", "answers": [1]}]
    data["signed_on"] = "2026-03-31"
    rolled.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return rolled


def test_filled_next_year_states_changes_in_both_formats(tmp_path):
    path = _filled_project(tmp_path, "100")
    report = rt.load(path)
    assert [p for p in rt.validate(report) if p.severity == "error"] == []
    out = render_bytes(report, ["md", "docx"])
    md, docx = out["md"].decode("utf-8"), read_docx(out["docx"]).text
    for said in ("全年执行数较上年（90.00万元）增加10.00万元（增长11.11%）", "较上年（98.00分）提高2.00分"):
        assert said in md and said in docx


def test_previous_file_fills_and_compares(tmp_path):
    path = _filled_project(tmp_path, "81")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in ("previous_total_score", "previous_grade", "previous_problems"):
        data.pop(key)
    data["funds"].pop("previous_spent")
    data["funds"]["reason"] = "部分系统运维合同年底未到付款节点。"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    plain = render_bytes(rt.load(path), ["md"])["md"].decode("utf-8")
    assert "较上年" not in plain
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(path), "--previous", str(PROJECT), "-f", "md", "-o", str(out)])
    assert result.exit_code == 0, result.output
    md = (out / "2025.md").read_text(encoding="utf-8")
    assert "全年执行数较上年（90.00万元）减少9.00万元（下降10.00%）" in md and "较上年（98.00分）提高0.10分" in md
    # last year's problem comes along and is followed up
    checked = runner.invoke(app, ["check", str(path), "--previous", str(PROJECT)])
    assert "previous.follow_up" in checked.output and "园区审批平台数据尚未完全共享" in checked.output
    # a previous figure stated differently from last year's file: both named
    data["funds"]["previous_spent"] = 80
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    checked = runner.invoke(app, ["check", str(path), "--previous", str(PROJECT)])
    assert "previous.mismatch" in checked.output and "所填 80 与上年文件" in checked.output and "算出的 90.00 不符" in checked.output
