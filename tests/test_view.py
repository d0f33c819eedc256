"""The view: computed once from a frozen model, every figure with its unit and base, templates do no arithmetic."""

from __future__ import annotations

import html
import re
import zipfile

import pytest
from jinja2 import nodes
from pydantic import ValidationError

import reporttool as rt
from reporttool.env import make_env
from reporttool.templates import BUILTIN
from tests.conftest import DEPT_EXAMPLE, HONGYUN_EXAMPLE, PROJECT_EXAMPLE, example_data, write


def test_a_validated_report_cannot_change_under_its_view():
    report = rt.load(DEPT_EXAMPLE)
    before = rt.view(report).total_score
    with pytest.raises(ValidationError):
        report.indicators[0].children[0].children[0].score = 0
    with pytest.raises(AttributeError):
        report.indicators.append(report.indicators[0])  # lists are tuples
    assert rt.view(report).total_score == before and rt.view(report) is rt.view(report)
    assert [p.rule for p in rt.validate(report) if p.severity == "error"] == []


def test_a_copy_gets_its_own_view():
    report = rt.load(DEPT_EXAMPLE)
    rt.view(report)
    copy = report.model_copy(update={"stated_total_score": None, "year": 2025})
    assert rt.view(copy).year == 2025 and rt.view(report).year == 2024


def _ops(tree: nodes.Node) -> list[str]:
    arithmetic = (nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow, nodes.Neg)
    return [type(n).__name__ for n in tree.find_all(arithmetic)]


def _builtin_templates() -> list[tuple[str, str]]:
    out = [(str(p.relative_to(BUILTIN)), p.read_text(encoding="utf-8")) for p in sorted(BUILTIN.rglob("*.j2"))]
    with zipfile.ZipFile(BUILTIN / "report.docx") as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                text = z.read(name).decode("utf-8")
                out.append((f"report.docx:{name}", html.unescape(re.sub(r"<[^>]+>", "", text))))  # tags split by runs
    return out


@pytest.mark.parametrize("name, source", _builtin_templates(), ids=lambda x: x if "/" in x or ":" in x else "")
def test_builtin_templates_do_no_arithmetic(name, source):
    env = make_env(None, "text")
    source = re.sub(r"([{][{%])(p|tr|tc|r) ", r"\1 ", source)  # docxtpl's paragraph/row/cell/run tags
    assert _ops(env.parse(source)) == [], name


def test_the_arithmetic_check_can_fail():
    env = make_env(None, "text")
    assert _ops(env.parse("{{ t.total - t.completed }}{{ x / 100 }}")) == ["Sub", "Div"]


# A rate printed in the text names its base, and the check of a stated figure names the same base.
RATES = [
    (DEPT_EXAMPLE, ("funds", "execution_rate"), ("funds", "stated_execution_rate"), "rate.execution"),
    (DEPT_EXAMPLE, ("procurement", "rate"), ("procurement", "stated_rate"), "rate.procurement"),
    (PROJECT_EXAMPLE, ("funds", "execution_rate"), ("funds", "stated_rate"), "rate.execution"),
    (HONGYUN_EXAMPLE, ("funds", "usage_rate"), ("funds", "stated_usage_rate"), "rate.usage"),
    (HONGYUN_EXAMPLE, ("target_points", "rate"), ("target_points", "stated_rate"), "points.rate"),
]


@pytest.mark.parametrize("example, figure, stated, rule", RATES, ids=[r[3] + ":" + r[0].stem for r in RATES])
def test_rates_name_their_base_in_text_and_checks(tmp_path, example, figure, stated, rule):
    report = rt.load(example)
    fig = rt.view(report)
    for part in figure:
        fig = getattr(fig, part)
    assert fig.unit == "pct" and fig.base
    md = rt.render_bytes(report, ["md"])["md"].decode()
    assert f"{fig.text}（{fig.base}）" in md or f"{fig.text}，{fig.base}" in md
    data = example_data(example)
    target = data
    for part in stated[:-1]:
        target = target[part]
    target[stated[-1]] = "12.34%"
    [problem] = [p for p in rt.validate(rt.load(write(tmp_path, data))) if p.rule == rule]
    assert f"与按{fig.base}计算的 {fig.number} 不符" in problem.message


def test_adjusted_budget_is_named_beside_its_amount(tmp_path):
    data = example_data(HONGYUN_EXAMPLE)
    data["funds"]["budget"] = {"basic": 3000, "project": 3700}
    data["funds"]["adjusted_budget"] = {"basic": 3100, "project": 3800}
    md = rt.render_bytes(rt.load(write(tmp_path, data)), ["md"])["md"].decode()
    assert "调整后预算数6,900.00万元，预算执行率87.76%（决算支出÷调整后预算数）" in md
    assert "6,700.00" not in md


def test_view_fields_are_declared_with_titles():
    from reporttool.view import SPECS, report_view_class

    for kind in rt.REPORT_KINDS:
        fields = SPECS[report_view_class(kind)]
        assert {"total_score", "grade", "report_title", "funds", "indicators"} <= set(fields)
        assert all(d.title for d in fields.values())
