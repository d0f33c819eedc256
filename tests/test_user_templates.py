"""Templates users bring: exported, edited, checked before rendering, sandboxed."""

from __future__ import annotations


import pytest
from docx import Document
from typer.testing import CliRunner

import reporttool as rt
from reporttool.cli import app
from reporttool.errors import TemplateProblem
from reporttool.templates import BUILTIN, template_set
from tests.conftest import DEPT_EXAMPLE, PROJECT_EXAMPLE
from tests.docx_reader import read_docx

runner = CliRunner(env={"COLUMNS": "300"})


@pytest.fixture
def exported(tmp_path):
    folder = tmp_path / "tpl"
    result = runner.invoke(app, ["templates", "export", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_exported_templates_lint_clean_and_render_the_same(exported, tmp_path):
    assert sorted(p.name for p in exported.iterdir()) == sorted(p.name for p in BUILTIN.iterdir())
    assert runner.invoke(app, ["templates", "lint", str(exported)]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(DEPT_EXAMPLE), "--template", str(exported), "-o", str(out), "-f", "md"])
    assert result.exit_code == 0, result.output
    builtin = rt.render_bytes(rt.load(DEPT_EXAMPLE), ["md"])["md"]
    assert (out / f"{DEPT_EXAMPLE.stem}.md").read_bytes() == builtin


def test_export_refuses_a_non_empty_folder(exported):
    result = runner.invoke(app, ["templates", "export", str(exported)])
    assert result.exit_code == 1 and "不是空目录" in result.stderr


def test_letterhead_in_a_users_word_template(exported, tmp_path):
    skin = exported / "report.docx"
    doc = Document(skin)
    header = doc.sections[0].header.paragraphs[0]
    header.text = "昆明市西山区政务服务管理局文件"
    doc.save(skin)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(PROJECT_EXAMPLE), "--template", str(exported), "-o", str(out), "-f", "docx"])
    assert result.exit_code == 0, result.output
    rendered = read_docx((out / f"{PROJECT_EXAMPLE.stem}.docx").read_bytes())
    assert rendered.doc.sections[0].header.paragraphs[0].text == "昆明市西山区政务服务管理局文件"
    assert rendered.headings[0] == (1, "一、基本情况")


def test_field_the_model_does_not_have_is_reported_before_rendering(exported, tmp_path):
    sections = exported / "kinds" / "dept_self" / "sections.j2"
    edit(sections, "{{ r.department.management }}", "{{ r.department.managment }}")
    line = next(i for i, t in enumerate(sections.read_text(encoding="utf-8").splitlines(), 1) if "managment" in t)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(DEPT_EXAMPLE), "--template", str(exported), "-o", str(out)])
    assert result.exit_code == 1
    assert f"模板目录 {exported} 有 1 处问题，未生成任何文件：" in result.stderr
    assert (f"{sections}:{line}: r.department.managment：报告数据中没有 managment（此处可用：name、self_name、"
            "rank、setup、divisions、subordinate_units、budget_units、staffing、vehicles、functions、work、management、"
            "staff_authorized、staff_actual）") in result.stderr
    assert not out.exists()


def test_outline_path_the_model_does_not_have(exported):
    outline = exported / "kinds" / "project_self" / "outline.yaml"
    edit(outline, "when: evaluation.process", "when: evaluation.proces")
    with pytest.raises(TemplateProblem) as info:
        template_set(str(exported))
    line = next(i for i, t in enumerate(outline.read_text(encoding="utf-8").splitlines(), 1) if "evaluation.proces" in t)
    [problem] = info.value.problems
    assert problem.format().startswith(f"{outline}:{line}:")
    assert "章节「绩效评价工作过程」的所需数据 evaluation.proces 无效：数据中没有 proces（可用：approach、purpose" in problem.message


PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ r.__init__.__globals__ }}",
    "{{ r._source.file }}",
    "{{ self._TemplateReference__context }}",
    "{% include '/etc/passwd' %}",
    "{% include '../../../../../../etc/passwd' %}",
    "{% import '/etc/passwd' as p %}",
    "{{ 'x' * 1000000000 }}",
    "{{ 9 ** 999999 }}",
    "{{ range(1000000000) | list }}",
    "{{ r.model_config.__class__ }}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_section_macros_fails_clearly(exported, tmp_path, payload):
    edit(exported / "kinds" / "dept_self" / "sections.j2", "{{ r.department.management }}", payload)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(DEPT_EXAMPLE), "--template", str(exported), "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "root:" not in result.output
    assert "模板" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("payload", ["{{ ''.__class__.__mro__ }}", "{{ 'x' * 1000000000 }}", "{% include '/etc/passwd' %}",
                                     "{{ doc.nothing }}"])
def test_injection_in_the_markdown_skin_fails_clearly(exported, payload):
    edit(exported / "report.md.j2", "{% for b in doc.blocks %}", payload + "{% for b in doc.blocks %}")
    result = runner.invoke(app, ["templates", "lint", str(exported)])
    assert result.exit_code == 1
    assert f"{exported / 'report.md.j2'}:5: 模板出错：" in result.stderr  # the line the payload is on


def test_injection_in_the_word_skin_fails_clearly(exported):
    skin = exported / "report.docx"
    doc = Document(skin)
    doc.add_paragraph("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    doc.save(skin)
    result = runner.invoke(app, ["templates", "lint", str(exported)])
    assert result.exit_code == 1
    assert f"{skin}: 模板出错（第 " in result.stderr and "模板不能访问 __class__" in result.stderr


def test_missing_template_folder(tmp_path):
    result = runner.invoke(app, ["validate", str(DEPT_EXAMPLE), "--template", str(tmp_path / "none")])
    assert result.exit_code == 1 and f"模板目录不存在：{tmp_path / 'none'}" in result.stderr


def test_builtin_templates_lint_clean():
    assert template_set().lint() == []


@pytest.mark.parametrize("kind", list(rt.REPORT_KINDS))
def test_fields_lists_what_a_template_can_read(kind, tmp_path):
    result = runner.invoke(app, ["templates", "fields", kind])
    assert result.exit_code == 0, result.output
    paths = [line.split()[0] for line in result.output.splitlines()[1:]]
    assert {"r.total_score", "r.grade", "r.report_title", "r.indicators[].total_score", "r.score_parts[].rate"} <= set(paths)
    assert not any("_" == p.split(".")[-1][:1] for p in paths)
    # Every listed path passes the lint: a macro printing all scalar fields of the report itself.
    scalars = [p for p in paths if p.count(".") == 1 and "[]" not in p]
    folder = tmp_path / "tpl"
    runner.invoke(app, ["templates", "export", str(folder)])
    sections = folder / "kinds" / kind / "sections.j2"
    sections.write_text(sections.read_text(encoding="utf-8") + "\n{% macro probe() %}\n"
                        + "".join("{{ %s is defined }}" % p for p in scalars) + "\n{% endmacro %}\n", encoding="utf-8")
    assert runner.invoke(app, ["templates", "lint", str(folder)]).exit_code == 0


def test_a_word_skin_whose_output_is_not_xml_is_refused_before_writing(exported, tmp_path):
    # An {% if %} opened in a paragraph and closed in a table's cell drops the opening tags of the table.
    skin = exported / "report.docx"
    doc = Document(skin)
    doc.add_paragraph("{% if false %}")
    doc.add_table(1, 1).cell(0, 0).text = "{% endif %}"
    doc.save(skin)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(DEPT_EXAMPLE), "--template", str(exported), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "word/document.xml 生成的 XML 无效" in result.stderr
    assert not out.exists()
