"""The CLI, in-process: exit codes 0 ok, 1 invalid input, 2 usage; messages, never tracebacks."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from typer.testing import CliRunner

import reporttool as rt
from reporttool.cli import app
from reporttool.model import KIND_TITLES
from reporttool.templates import template_set
from tests.conftest import visible, DEPT_EXAMPLE, EXAMPLES, PROJECT_EXAMPLE, write
from tests.docx_reader import read_docx

runner = CliRunner(env={"COLUMNS": "300"})  # keep usage errors on one line


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_render_example(tmp_path, example):
    result = run("render", example, "-o", tmp_path)
    assert result.exit_code == 0, result.output
    docx, md = tmp_path / f"{example.stem}.docx", tmp_path / f"{example.stem}.md"
    assert f"已生成 {docx}" in result.stdout and f"已生成 {md}" in result.stdout
    outline = template_set().outline(yaml.safe_load(example.read_text(encoding="utf-8"))["kind"])
    first = "一、" + next(s.title for s in outline.sections if s.numbered)
    assert read_docx(docx.read_bytes()).headings[0] == (1, first)
    assert md.read_text(encoding="utf-8").startswith("# ")


def test_render_one_format(tmp_path):
    result = run("render", PROJECT_EXAMPLE, "-f", "md", "-o", tmp_path)
    assert result.exit_code == 0
    assert visible(tmp_path) == [f"{PROJECT_EXAMPLE.stem}.md"]


def test_render_unknown_format_is_a_usage_error(tmp_path):
    result = run("render", PROJECT_EXAMPLE, "-f", "xlsx", "-o", tmp_path)
    assert result.exit_code == 2
    assert "可选格式：docx（Word）、md（Markdown）、pdf（PDF，需要 LibreOffice）" in result.output
    assert list(tmp_path.iterdir()) == []


def test_render_missing_file(tmp_path):
    result = run("render", tmp_path / "nope.yaml")
    assert result.exit_code == 1
    assert f"找不到文件：{tmp_path / 'nope.yaml'}" in result.stderr


def test_render_refuses_errors_unless_forced(tmp_path, dept):
    dept["stated_grade"] = "良"
    src = write(tmp_path, dept)
    out = tmp_path / "out"
    result = run("render", src, "-o", out)
    assert result.exit_code == 1
    assert "输入有 1 个错误，未生成报告" in result.stderr
    assert "stated_grade（评价等级（填报数）） 所填等级“良”与总分 94.50 对应的等级“优”不符" in result.stderr
    assert not out.exists()
    result = run("render", src, "-o", out, "--force")
    assert result.exit_code == 0
    assert "已按 --force 生成" in result.stderr and "所填等级“良”" in result.stderr
    assert (out / "report.docx").exists()


def test_validate_clean_files():
    result = run("validate", *EXAMPLES)
    assert result.exit_code == 0
    assert all(f"✓ {p}：无问题" in result.stdout for p in EXAMPLES)


def test_validate_lists_every_problem_of_every_file(tmp_path, dept):
    dept["funds"]["income"]["fiscal"] = "abc"
    bad_schema = write(tmp_path, dept, "a.yaml")
    dept["funds"]["income"]["fiscal"] = 1445.05
    dept["stated_total_score"] = 90
    dept["suggestions"][0]["answers"] = ["P9"]
    bad_rules = write(tmp_path, dept, "b.yaml")
    result = run("validate", bad_schema, bad_rules, DEPT_EXAMPLE)
    assert result.exit_code == 1
    out = result.stdout
    assert "funds.income.fiscal（收入·财政拨款收入） 应为金额（万元）" in out
    assert "以上结构问题修正后，还会继续核对合计、比率与大纲" in out
    assert "stated_total_score（总得分（填报数）） 所填 90.00 与各指标得分合计 94.50 不符（相差 4.50）" in out
    assert "引用的问题“P9”不存在" in out
    assert f"✗ {bad_schema}：1 个错误，0 个警告" in out
    assert f"✗ {bad_rules}：2 个错误，0 个警告" in out
    assert f"✓ {DEPT_EXAMPLE}：无问题" in out


def test_validate_without_files_is_a_usage_error():
    assert run("validate").exit_code == 2


@pytest.mark.parametrize("kind", list(KIND_TITLES))
def test_new_skeleton_validates_and_renders(tmp_path, kind):
    target = tmp_path / f"{kind}.yaml"
    assert run("new", kind, "-o", target).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert "# " in text and "万元" in text
    assert run("validate", target).exit_code == 0
    assert run("render", target, "-o", tmp_path / "out").exit_code == 0
    assert run("new", kind, "-o", target).exit_code == 1  # will not overwrite
    assert run("new", kind, "-o", target, "--force").exit_code == 0


def test_new_prints_to_stdout():
    result = run("new", "project_self")
    assert result.exit_code == 0 and result.stdout.startswith("# 项目支出绩效自评报告")


def test_new_unknown_kind():
    result = run("new", "key")
    assert result.exit_code == 2
    assert "未知的报告类型 key，可选" in result.output


def _schema_keys(schema: dict, defs: dict, prefix=()) -> set[str]:
    """Every property name reachable in a JSON Schema."""
    keys = set()
    stack = [schema]
    seen = set()
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref and ref not in seen:
                seen.add(ref)
                stack.append(defs[ref.split("/")[-1]])
            keys.update(node.get("properties", {}))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return keys


@pytest.mark.parametrize("kind", list(KIND_TITLES))
def test_schema_has_chinese_titles_and_the_skeleton_names_every_field(kind):
    result = run("schema", kind)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["properties"]["year"]["title"] == "评价年度"
    assert schema["$defs"]["Evaluation"]["properties"]["purpose"]["title"] == "评价目的"
    for definition in schema["$defs"].values():
        for name, prop in definition.get("properties", {}).items():
            assert prop.get("title") and prop.get("description"), (definition["title"], name)
    skeleton = run("new", kind).stdout
    missing = sorted(k for k in _schema_keys(schema, schema["$defs"]) if f"{k}:" not in skeleton)
    assert missing == []


def test_schema_of_all_kinds():
    schema = json.loads(run("schema").stdout)
    assert schema["title"] == "reporttool 报告数据"
    assert set(schema["discriminator"]["mapping"]) == set(KIND_TITLES)


def uncomment(text: str, keys: tuple[str, ...]) -> str:
    """Enable the commented example blocks that start with one of ``keys`` (and their indented lines)."""
    out, active = [], None
    for line in text.splitlines():
        m = re.match(r"^(\s*)# ((\S+?):.*)$", line)
        if m and m.group(3) in keys:
            active = len(m.group(1))
            out.append(m.group(1) + m.group(2))
        elif active is not None and re.match(rf"^\s{{{active}}}#   ", line):
            out.append(line.replace("#   ", "  ", 1))
        else:
            active = None
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("kind, keys", [
    ("dept_self", ("survey", "target_points", "stated_change", "previous_final", "stated_shares", "received", "stated_usage_rate",
                   "stated_arrival_rate", "three_public_budget", "three_public_actual", "stated_total",
                   "stated_total_score", "stated_grade", "stated_rate")),
    ("project_self", ("survey", "target_points", "stated_rate", "stated_score", "by_level", "stated_total_score",
                      "stated_grade")),
])
def test_skeleton_examples_of_stated_figures_agree(tmp_path, kind, keys):
    text = uncomment(run("new", kind).stdout, keys)
    for key in keys:
        assert re.search(rf"^\s*{key}:", text, re.M), key
    target = write(tmp_path, text)
    result = run("validate", target)
    assert result.exit_code == 0 and "0 个错误" in result.stdout, result.stdout
    assert all("示例文字" in line for line in result.stdout.splitlines()[:-1]), result.stdout


@pytest.mark.parametrize("kind", list(KIND_TITLES))
def test_each_commented_line_of_the_skeleton_validates_alone(tmp_path, kind):
    lines = run("new", kind).stdout.splitlines()
    optional = [i for i, line in enumerate(lines) if re.match(r"^\s*# [a-z_]+:", line)]
    assert len(optional) >= 5
    for i in optional:
        edited = lines[:i] + [re.sub(r"^(\s*)# ", r"\1", lines[i])] + lines[i + 1:]
        result = run("validate", write(tmp_path, "\n".join(edited) + "\n"))
        assert result.exit_code == 0 and "0 个错误" in result.stdout, (lines[i], result.stdout)


def test_unwritable_output_folder_is_a_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("render", PROJECT_EXAMPLE, "-o", blocker / "out")
    assert result.exit_code == 1
    assert "无法写入" in result.stderr and "请检查目录是否存在" in result.stderr


@pytest.mark.parametrize("text, message", [
    ("kind: dept_self\n? [a, b]\n: 1\n", "r.yaml:2:3: YAML 语法错误：字段名不能是列表或映射"),
    ("kind: dept_self\nyear: !!python/object:os.system ls\n", "r.yaml:2:7: 不支持的 YAML 标签（以 !! 或 ! 开头），出于安全不会执行"),
])
def test_unsafe_or_odd_yaml(tmp_path, text, message):
    result = run("validate", write(tmp_path, text, "r.yaml"))
    assert result.exit_code == 1
    assert message.replace("r.yaml", str(tmp_path / "r.yaml")) in result.stdout
    assert "以上结构问题修正后" not in result.stdout


@pytest.mark.parametrize("args", [
    ["new", "dept_self", "-o"], ["outline", "export", "dept_self"], ["templates", "export"],
])
def test_every_writing_command_reports_disk_errors(tmp_path, args):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(*args, blocker / "sub" / "x.yaml")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "无法写入" in result.stderr and "请检查目录是否存在" in result.stderr


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.output.strip() == f"reporttool {rt.__version__}"


@pytest.mark.parametrize("kind", list(KIND_TITLES.values()))
def test_new_accepts_the_chinese_kind_names(kind):
    result = run("new", kind)
    assert result.exit_code == 0 and "kind:" in result.output


def test_help_and_usage_errors_in_chinese():
    help_text = run("render", "--help").output
    assert "用法：" in help_text and "选项" in help_text and "显示本帮助并退出" in help_text
    assert "Usage" not in help_text and "Show this message" not in help_text
    missing = run("render")
    assert missing.exit_code == 2 and "缺少参数" in missing.output and "Missing" not in missing.output
    typo = run("render", str(PROJECT_EXAMPLE), "--formt", "md")
    assert typo.exit_code == 2 and "没有这个选项：--formt（是否想写 --force、--form、--format？）" in typo.output


def test_marks_fall_back_on_a_gbk_console(monkeypatch):
    import io
    import sys

    from reporttool import cli

    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="gbk"))
    assert (cli.mark(True), cli.mark(False)) == ("√", "×")
    "√×".encode("gbk")  # both printable there


def test_main_on_a_gbk_console_prints_no_traceback(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "reporttool", "validate", str(PROJECT_EXAMPLE)],
                            capture_output=True, env={**__import__("os").environ, "PYTHONIOENCODING": "gbk"})
    assert result.returncode == 0, result.stderr.decode("gbk", "replace")
    assert "√".encode("gbk") in result.stdout and b"Traceback" not in result.stderr


def test_help_and_a_one_file_check_load_only_what_they_use():
    import subprocess
    import sys

    probe = ("import sys, reporttool.cli as c\nsys.argv = ['reporttool', *sys.argv[1:]]\ntry:\n    c.main()\nexcept SystemExit:\n    pass\n"
             "print([m for m in ('jinja2', 'docxtpl', 'lxml', 'openpyxl', 'reporttool.view', 'multiprocessing', 'typer.rich_utils')"
             " if m in sys.modules], file=sys.stderr)")

    def loaded(*args):
        run = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True)
        return run.stderr.strip().splitlines()[-1]
    assert loaded("--help") == "['typer.rich_utils']"  # the rich help it prints, nothing of the rendering
    # a check reads the outline, not the templates: no Jinja, no Word machinery; rich only to print help or an error
    assert loaded("validate", str(PROJECT_EXAMPLE)) == "['reporttool.view']"
