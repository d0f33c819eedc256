"""The outline is data: sections, nesting and ordinals come from the outline file and position."""

from __future__ import annotations

import shutil

import pytest

import reporttool as rt
from reporttool.errors import InputError, TemplateProblem
from reporttool.templates import BUILTIN, TemplateSet
from tests.conftest import DEPT_EXAMPLE, PROJECT_EXAMPLE, write


def headings(report, templates=None):
    templates = templates or TemplateSet()
    return [(h.level, h.text) for h in templates.build(report).headings()]


def top(report, templates=None):
    return [t for level, t in headings(report, templates) if level == 1]


def test_dept_outline_order_and_ordinals():
    hs = headings(rt.load(DEPT_EXAMPLE))
    assert [t for lv, t in hs if lv == 1] == [
        "一、部门概况", "二、绩效目标", "三、评价思路和过程", "四、评价结论和绩效分析",
        "五、存在的问题", "六、改进措施及建议", "七、其他需要说明的情况"]
    assert [t for lv, t in hs if lv == 2][:7] == [
        "（一）部门机构设置、编制", "（二）部门职能", "（三）部门工作完成情况", "（四）部门管理制度",
        "（五）部门资金来源及使用情况", "（六）政府采购情况", "（七）固定资产情况"]
    assert (3, "1.部门决策") in hs and (3, "3.部门绩效") in hs


def test_optional_section_left_out_renumbers_the_rest(tmp_path, dept):
    dept.pop("procurement")
    dept.pop("other")
    dept["experience"] = [{"title": "做法一", "detail": "说明。"}]
    hs = headings(rt.load(write(tmp_path, dept)))
    assert (2, "（六）固定资产情况") in hs
    assert not any("政府采购" in t for _, t in hs)
    assert [t for lv, t in hs if lv == 1][-3:] == ["五、主要经验做法", "六、存在的问题", "七、改进措施及建议"]


def test_unnumbered_summary_does_not_take_a_position(tmp_path, dept):
    dept["summary"] = "本报告摘要。"
    hs = headings(rt.load(write(tmp_path, dept)))
    assert hs[0] == (1, "摘要")
    assert hs[1] == (1, "一、部门概况")


def test_items_follow_fixed_children_in_one_sequence():
    hs = headings(rt.load(PROJECT_EXAMPLE))
    i = hs.index((1, "四、绩效评价指标分析"))
    assert hs[i + 1:i + 5] == [(2, "（一）预算执行情况"), (2, "（二）产出指标"), (2, "（三）效益指标"), (2, "（四）满意度指标")]


def test_project_outline():
    assert top(rt.load(PROJECT_EXAMPLE)) == [
        "一、基本情况", "二、绩效评价工作开展情况", "三、综合评价情况及评价结论", "四、绩效评价指标分析",
        "五、主要经验及做法", "六、存在的问题及原因分析", "七、有关建议"]


def custom_root(tmp_path, kind="dept_self"):
    """A template folder holding a copy of one kind's files, to edit in a test."""
    root = tmp_path / "tpl"
    shutil.copytree(BUILTIN / "kinds" / kind, root / "kinds" / kind)
    return root, root / "kinds" / kind / "outline.yaml"


def test_edited_outline_drives_both_outputs(tmp_path):
    root, outline = custom_root(tmp_path)
    text = outline.read_text(encoding="utf-8").replace("title: 存在的问题\n", "title: 存在的主要问题\n")
    outline.write_text(text, encoding="utf-8")
    templates = TemplateSet(root)
    report = rt.load(DEPT_EXAMPLE)
    assert "五、存在的主要问题" in top(report, templates)
    out = rt.render_bytes(report, ["md"], templates=templates)
    assert "## 五、存在的主要问题" in out["md"].decode()


def test_outline_requiring_more_data_reports_it(tmp_path, dept):
    root, outline = custom_root(tmp_path)
    text = outline.read_text(encoding="utf-8").replace(
        "    required: false\n    each: experience", "    each: experience")
    outline.write_text(text, encoding="utf-8")
    problems = rt.validate(rt.load(DEPT_EXAMPLE), templates=TemplateSet(root))
    assert [p.rule for p in problems] == ["outline.required"]
    assert "缺少必备章节「主要经验做法」所需的数据，请填写 experience" in problems[0].format()


@pytest.mark.parametrize("edit, expected", [
    (("id: functions\n", "id: organization\n"), "章节标识 'organization' 重复"),
    (("    synonyms: [部门基本情况, 基本情况]\n", "    synonym: [部门基本情况]\n"), "sections[1].synonym"),
    (("body: [{text: management}]", "body: [{text: management, table: score_summary}]"), "每个内容块须且只能填写 text 或 table 之一"),
])
def test_outline_file_is_validated(tmp_path, edit, expected):
    root, outline = custom_root(tmp_path)
    outline.write_text(outline.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    with pytest.raises(InputError) as info:
        TemplateSet(root).outline("dept_self")
    assert expected in str(info.value)
    assert f"{outline}:" in str(info.value)


def test_outline_naming_a_missing_macro_is_refused_before_rendering(tmp_path):
    root, outline = custom_root(tmp_path)
    outline.write_text(outline.read_text(encoding="utf-8").replace("{text: management}", "{text: managment}"),
                       encoding="utf-8")
    with pytest.raises(TemplateProblem) as info:
        TemplateSet(root).outline("dept_self")
    assert "章节「部门管理制度」的文字块 managment（sections.j2 中没有这个宏）" in str(info.value)


@pytest.mark.parametrize("kind", list(rt.REPORT_KINDS))
def test_builtin_outlines_name_only_macros_and_tables_that_exist(kind):
    # the built-in set skips this check when it loads (it is ours); this is where it is made
    templates = TemplateSet()
    templates._check_references(kind, templates.outline(kind))
