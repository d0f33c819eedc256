"""outline check: headings found in any report, matched to the outline by meaning, every finding type."""

from __future__ import annotations

import json

import pytest
from docx import Document
from typer.testing import CliRunner

import reporttool as rt
from reporttool.cli import app
from reporttool.outline_check import check_file, read_headings, split_ordinal
from reporttool.templates import template_set
from tests.conftest import DEPT_EXAMPLE, EXAMPLES, ROOT

runner = CliRunner(env={"COLUMNS": "300"})
OUTLINES = {k: template_set().outline(k) for k in rt.REPORT_KINDS}

# A department report written by hand: the standard outline, numbered as a clerk would.
GOOD = """昆明市某某局2024年部门整体支出绩效自评报告
一、部门概况
（一）部门机构设置、编制
本局内设3个科室。
（二）部门职能
1.负责全区的某项工作，并组织实施。
（三）部门工作完成情况
全年完成各项任务。
（四）部门资金来源及使用情况
2024年部门预算支出100.00万元。
二、绩效目标
（一）部门总目标
保障部门正常运转。
三、评价思路和过程
（一）评价目的
了解资金使用效果。
（二）评价依据
1.《中华人民共和国预算法》。
（三）评价对象及评价时段
本局2024年部门整体支出。
四、评价结论和绩效分析
（一）评价结论
自评得分95分。
（二）具体绩效分析
1.部门决策
决策合理。
五、存在的问题
（一）预算编制不够精准
年中调整较多。
六、改进措施及建议
（一）细化预算
加强预算编制。
"""


def findings(tmp_path, text, name="r.txt", kind="dept_self"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = check_file(path, OUTLINES, kind)
    return [(f.kind, f.where, f.message) for f in result.findings]


def test_hand_written_report_passes(tmp_path):
    assert findings(tmp_path, GOOD) == []


def test_removed_swapped_and_unnumbered_give_exactly_those_findings(tmp_path):
    text = GOOD.replace("二、绩效目标\n（一）部门总目标\n保障部门正常运转。\n", "")          # a required section removed
    text = text.replace("三、评价思路和过程", "二、评价思路和过程")
    # 五 and 六 swapped, numbered in their new order by the author
    problems = "五、存在的问题\n（一）预算编制不够精准\n年中调整较多。\n"
    advice = "六、改进措施及建议\n（一）细化预算\n加强预算编制。\n"
    text = text.replace(problems + advice, advice.replace("六、", "四、") + problems.replace("五、", "五、"))
    text = text.replace("四、评价结论和绩效分析", "三、评价结论和绩效分析")
    text = text.replace("（三）部门工作完成情况", "部门工作完成情况")                          # an ordinal deleted
    lines = text.splitlines()
    assert findings(tmp_path, text) == [
        ("ordinal", f"第 {lines.index('部门工作完成情况') + 1} 行", "「部门工作完成情况」缺少序号，应为“（三）”"),
        ("order", f"第 {lines.index('五、存在的问题') + 1} 行", "章节「存在的问题」应在「改进措施及建议」之前"),
        ("missing", "—", "缺少必备章节「绩效目标」"),
    ]


@pytest.mark.parametrize("edit, expected", [
    (("（二）部门职能", "（三）部门职能"), ("ordinal", "第 5 行", "「部门职能」的序号应为“（二）”，实际为“（三）”")),
    (("（二）部门职能", "二、部门职能"), ("level", "第 5 行", "「部门职能」应为二级标题（如“（一）”），实际为一级标题")),
    (("（一）部门总目标\n", "（一）部门总目标\n（二）部门总目标\n"), ("duplicate", "第 13 行", "章节「部门总目标」重复出现（第 12 行已出现）")),
    (("二、绩效目标", "二、党建工作"), ("unknown", "第 11 行", "「党建工作」不是大纲中的章节")),
    (("（一）部门总目标", "（一）年度重点任务"), ("unknown", "第 12 行", "「年度重点任务」不是「绩效目标」下的章节")),
])
def test_each_finding_type(tmp_path, edit, expected):
    assert expected in findings(tmp_path, GOOD.replace(*edit))


def test_synonyms_match_by_meaning(tmp_path):
    text = GOOD.replace("一、部门概况", "一、部门基本情况").replace("五、存在的问题", "五、存在问题及原因分析")
    text = text.replace("六、改进措施及建议", "六、有关建议").replace("（二）部门职能", "（二）部门职责")
    assert findings(tmp_path, text) == []


def test_ordinal_styles_are_equivalent(tmp_path):
    text = GOOD.replace("（一）部门机构设置、编制", "(一)部门机构设置、编制").replace("1.部门决策", "1、部门决策")
    assert findings(tmp_path, text) == []


def test_lost_ordinal_like_the_hongyun_reference(tmp_path):
    text = GOOD.replace("五、存在的问题", "、存在的问题")
    assert ("ordinal", "第 27 行", "「存在的问题」缺少序号，应为“五、”") in findings(tmp_path, text)


def test_ordinals_in_sentences_and_tables_are_not_headings(tmp_path):
    doc = Document()
    doc.add_paragraph("某某局2024年部门整体支出绩效自评报告")
    for line in GOOD.splitlines()[1:]:
        doc.add_paragraph(line)
    doc.add_paragraph("三、本段是一句完整的正文，说明三项工作均已完成，并且句子很长，超过了标题通常的长度。")
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "一、表格中的文字"
    table.cell(0, 1).text = "（二）也不是标题"
    path = tmp_path / "plain.docx"
    doc.save(path)
    title, headings = read_headings(path, set())
    assert title == "某某局2024年部门整体支出绩效自评报告"
    assert "三、本段是一句完整的正文" not in [h.text[:10] for h in headings]
    assert not any("表格" in h.text or "也不是标题" in h.text for h in headings)
    assert check_file(path, OUTLINES, "dept_self").findings == []


def test_docx_heading_styles_without_ordinals_and_bold_headings(tmp_path):
    doc = Document()
    doc.add_paragraph("某某局2024年部门整体支出绩效自评报告", style="Title")
    lines = GOOD.splitlines()[1:]
    for line in lines:
        number, level, title = split_ordinal(line)
        if level in (1, 2):
            doc.add_paragraph(title, style=f"Heading {level}")  # styled, ordinal left to Word's numbering
        else:
            doc.add_paragraph(line)
    path = tmp_path / "styled.docx"
    doc.save(path)
    _, headings = read_headings(path, set())
    assert [(h.level, h.title) for h in headings][:3] == [(1, "部门概况"), (2, "部门机构设置、编制"), (2, "部门职能")]
    assert {f.kind for f in check_file(path, OUTLINES, "dept_self").findings} == {"ordinal"}

    bold = Document()
    bold.add_paragraph("某某局2024年部门整体支出绩效自评报告")
    bold.add_paragraph().add_run("部门概况").bold = True
    bold.add_paragraph("这是一段正文，不加粗。")
    path = tmp_path / "bold.docx"
    bold.save(path)
    assert [h.title for h in read_headings(path, set())[1]] == ["部门概况"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
@pytest.mark.parametrize("fmt", ["docx", "md"])
def test_our_own_output_passes_for_every_kind(tmp_path, example, fmt):
    report = rt.load(example)
    path = rt.render(report, [fmt], tmp_path)[0]
    result = check_file(path, OUTLINES)
    assert result.kind == report.kind
    assert result.findings == []
    assert len(result.headings) == len(template_set().build(report).headings())


def test_cli_checks_many_files_and_summarises(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text(GOOD.replace("二、绩效目标\n（一）部门总目标\n保障部门正常运转。\n", ""), encoding="utf-8")
    result = runner.invoke(app, ["outline", "check", str(good), str(bad)])
    assert result.exit_code == 1
    out = result.stdout.splitlines()
    assert "自动判断为 dept_self（部门整体支出绩效自评报告），依据：标题含“部门整体支出绩效自评”" in out
    assert out[-2:] == [f"✓ {good}：符合大纲", f"✗ {bad}：1 个错误，4 个警告"]
    data = json.loads(runner.invoke(app, ["outline", "check", "--json", "--kind", "dept_self", str(bad)]).stdout)
    assert data["ok"] is False and data["files"][0]["errors"] == 1
    assert {f["type"] for f in data["files"][0]["findings"]} == {"missing", "ordinal"}


def test_references_are_checked(tmp_path):
    reference = ROOT.parent / "shared" / "reference" / "hongyun-2023-key-eval.txt"
    if not reference.exists():
        pytest.skip("shared/reference is not beside this checkout")
    result = runner.invoke(app, ["outline", "check", str(reference)])
    assert result.exit_code == 1
    assert "依据：标题含“部门整体支出重点绩效评价”" in result.stdout
    assert "「主要经验及做法」缺少序号，应为“六、”" in result.stdout


def test_kind_auto_from_headings_when_the_title_does_not_say(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("某某报告\n" + GOOD.split("\n", 1)[1], encoding="utf-8")
    result = check_file(path, OUTLINES)
    assert result.kind == "dept_self" and "匹配的标题最多" in result.guessed


def test_unsupported_file(tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(b"%PDF")
    result = runner.invoke(app, ["outline", "check", str(path)])
    assert result.exit_code == 1 and "不支持的文件类型" in result.stderr


def _zip(members: dict) -> bytes:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            if callable(data):
                with z.open(name, "w") as fh:
                    data(fh)
            else:
                z.writestr(name, data)
    return buf.getvalue()


def _zeros(fh):
    for _ in range(70):
        fh.write(b"\0" * 2**20)


HOSTILE_DOCX = {
    "not a zip": (b"this is text", "不是有效的 .docx"),
    "empty": (b"", "不是有效的 .docx"),
    "truncated": (None, "不是有效的 .docx"),
    "malformed xml": ({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document><w:body>"}, "不是有效的 XML"),
    "billion laughs": ({"[Content_Types].xml": "<Types/>", "word/document.xml":
                        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><l>&b;</l>'},
                       "DTD"),
    "zip bomb": ({"[Content_Types].xml": "<Types/>", "word/document.xml": "<x/>", "word/big.bin": _zeros}, "压缩炸弹"),
    "no document": ({"[Content_Types].xml": "<Types/>"}, "缺少 word/document.xml"),
}


@pytest.mark.parametrize("case", list(HOSTILE_DOCX))
def test_hostile_docx_is_a_message(tmp_path, case):
    content, needle = HOSTILE_DOCX[case]
    if content is None:
        whole = rt.render_bytes(rt.load(DEPT_EXAMPLE), ["docx"])["docx"]
        content = whole[: len(whole) // 2]
    elif isinstance(content, dict):
        content = _zip(content)
    path = tmp_path / "收到的报告.docx"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["outline", "check", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert needle in result.stderr and "Traceback" not in result.output


def test_a_line_of_dots_is_read_in_linear_time(tmp_path):
    import time
    path = tmp_path / "r.txt"
    path.write_text("某某报告\n一、部门概况\n" + "." * 30000 + "\n" + "。" * 30000 + "1\n", encoding="utf-8")
    start = time.monotonic()
    result = CliRunner().invoke(app, ["outline", "check", str(path), "--kind", "dept_self"])
    assert time.monotonic() - start < 2
    assert result.exit_code == 1 and "识别出 1 个标题" in result.output


def test_markdown_with_single_hash_sections(tmp_path):
    path = tmp_path / "r.md"
    path.write_text("# 标题\n\n# 一、基本情况\n\n正文。\n\n# 存在的问题\n\n正文。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["outline", "check", str(path), "--kind", "project_self"])
    assert result.exit_code == 1, result.output
    assert "识别出 2 个标题" in result.output  # both # sections, at level 1
    assert "「存在的问题」缺少序号，应为“二、”" in result.output


def test_many_paragraphs_are_read_quickly(tmp_path):
    import time
    from docx import Document
    doc = Document()
    doc.add_paragraph("某某局2024年部门整体支出绩效自评报告")
    doc.add_paragraph("一、部门概况")
    for i in range(20000):
        doc.add_paragraph(f"第{i}段正文，说明情况。")
    path = tmp_path / "big.docx"
    doc.save(path)
    start = time.monotonic()
    result = CliRunner().invoke(app, ["outline", "check", str(path), "--kind", "dept_self"])
    assert result.exit_code == 1 and time.monotonic() - start < 15


# --- where outline check misled (headings as hand-written reports have them) ------------------------

LONG = "四、评价结论和绩效分析：综合评价结论、绩效目标实现情况、满意度调查结果以及部门决策、部门管理、部门绩效各项指标的具体分析"


@pytest.mark.parametrize("edit", [
    ("（三）部门工作完成情况", "(三)部门工作完成情况。"),                 # a heading ending with 。
    ("（一）部门总目标\n保障部门正常运转。\n",                              # a table's header cells in a .txt export
     "（一）部门总目标\n保障部门正常运转。\n指标\n绩效目标\n完成情况\n"),
    ("1.部门决策", "1。\n部门决策"),                                        # an ordinal alone on its line
    ("六、改进措施及建议", "六、工作建议"),                                   # 工作建议 means 建议
    ("四、评价结论和绩效分析", LONG),                                        # a 58-character heading
])
def test_headings_as_written_by_hand(tmp_path, edit):
    assert len(LONG) - len("四、") == 58  # the title alone, as long as the published one that was missed
    assert findings(tmp_path, GOOD.replace(*edit)) == []


def test_a_section_at_another_level_is_a_level_finding_not_missing(tmp_path):
    text = GOOD.replace("六、改进措施及建议\n（一）细化预算\n加强预算编制。\n", "（二）改进措施及建议\n加强预算编制。\n")
    found = findings(tmp_path, text)
    assert not [f for f in found if f[0] == "missing"]
    assert any(f[0] == "level" and "改进措施及建议" in f[2] for f in found)


@pytest.mark.parametrize("title", ["青石区农村饮水安全项目（2023年度）重点绩效评价报告",
                                   "关于某区养老服务专项资金使用情况的重点绩效评价报告"])
def test_kind_auto_for_a_project_key_evaluation(tmp_path, title):
    path = tmp_path / "r.txt"
    path.write_text(title + "\n" + GOOD.split("\n", 1)[1], encoding="utf-8")
    assert check_file(path, OUTLINES).kind == "key_eval_project"
