"""Outlines a 财政局 can define: exported, edited, validated, then used by render, validate and outline check."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from reporttool.cli import app
from tests.conftest import DEPT_EXAMPLE, example_data, write

runner = CliRunner(env={"COLUMNS": "300"})


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def outline(tmp_path):
    path = tmp_path / "outline.yaml"
    assert run("outline", "export", "dept_self", path).exit_code == 0
    return path


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_show(tmp_path):
    result = run("outline", "show", "project_self")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "项目支出绩效自评报告（project_self）"
    assert lines[1].startswith("摘要") and "可选" in lines[1]
    assert "四、绩效评价指标分析" in result.stdout and "  （一）预算执行情况" in result.stdout
    assert lines[-1] == "附件：1.项目支出绩效自评表；2.绩效评价指标评分表；3.问题清单；4.预算执行表"


def test_export_refuses_to_overwrite(outline):
    assert run("outline", "export", "dept_self", outline).exit_code == 1
    assert run("outline", "export", "dept_self", outline, "--force").exit_code == 0


def test_edited_outline_drives_render_validate_and_check(tmp_path, outline):
    edit(outline, "    title: 存在的问题\n", "    title: 存在的主要问题\n")                       # rename
    edit(outline, "        title: 部门职能\n", "        title: 部门职能\n        required: false\n")  # mark optional
    edit(outline, "  - id: other\n    title: 其他需要说明的情况\n", "  - id: use\n    title: 评价结果应用\n"
         "    when: other\n    body: [{text: other}]\n  - id: other\n    title: 其他需要说明的情况\n")   # add a required one
    data = example_data(DEPT_EXAMPLE)
    data["department"]["functions"] = []
    src = write(tmp_path, data)
    out = tmp_path / "out"
    result = run("render", src, "--outline", outline, "-o", out, "-f", "md")
    assert result.exit_code == 0, result.output
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "部门职能" not in md                                  # optional and empty: left out, renumbered
    assert "### （二）部门工作完成情况" in md
    assert "## 五、存在的主要问题" in md and "## 七、评价结果应用" in md
    assert run("outline", "check", out / "report.md", "--outline", outline).exit_code == 0
    # the built-in outline does not know the renamed and added sections
    builtin = run("outline", "check", out / "report.md", "--kind", "dept_self")
    assert "「评价结果应用」不是大纲中的章节" in builtin.stdout
    # the added section is required: without its data, validation says so
    data.pop("other")
    result = run("validate", write(tmp_path, data, "b.yaml"), "--outline", outline)
    assert result.exit_code == 1
    assert "缺少必备章节「评价结果应用」所需的数据，请填写 other" in result.stdout


def test_outline_of_another_kind_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    run("outline", "export", "project_self", path)
    result = run("validate", DEPT_EXAMPLE, "--outline", path)
    assert result.exit_code == 1
    assert "大纲是 project_self 类型，报告是 dept_self 类型，两者不符" in result.stdout + result.stderr


def line_of(path, needle):
    return next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in t)


@pytest.mark.parametrize("old, new, needle, expected", [
    ("    synonyms: [部门基本情况, 基本情况]\n", "    synonym: [部门基本情况]\n", "synonym:",
     ":{line}:5: sections[1].synonym（章节「部门概况」） 不认识的字段（可能拼写有误）"),
    ("      - id: functions\n", "      - id: organization\n", "- id: organization",
     ":{line}:9: sections[1].children[1].id（章节标识） 章节标识 'organization' 重复（第 {first} 行已使用）"),
    ("        body: [{text: management}]\n", "        body: [{text: management}]\n        children:\n"
     "          - {id: a, title: 甲, children: [{id: b, title: 乙, children: [{id: c, title: 丙, children: [{id: d, title: 丁}]}]}]}\n",
     None, "章节最多 5 层（一、（一）1.（1）①），此处是第 6 层"),
    ("        when: department.functions\n", "        when: department.funcs\n", "department.funcs",
     ":{line}:9: sections[1].children[1].when（所需数据） 章节「部门职能」的所需数据 department.funcs 无效：数据中没有 funcs"),
    ("{text: organization}", "{text: organisation}", None,
     "章节「部门机构设置、编制」的文字块 organisation（sections.j2 中没有这个宏）"),
])
def test_outline_file_problems_are_located(outline, old, new, needle, expected):
    edit(outline, old, new)
    if needle:
        lines = [i for i, t in enumerate(outline.read_text(encoding="utf-8").splitlines(), 1) if needle in t]
        expected = expected.format(line=lines[-1], first=line_of(outline, "- id: organization"))
    result = run("render", DEPT_EXAMPLE, "--outline", outline, "-o", outline.parent / "out")
    assert result.exit_code == 1
    assert expected in result.stderr
    assert not (outline.parent / "out").exists()
