"""The project self-evaluation as the forms really are: 预算执行率 as a leaf, rates on their declared base,
form layouts as data (财预〔2020〕10号 附1, a local form, the 一体化 export) and the layout files users write."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from typer.testing import CliRunner

import reporttool as rt
from reporttool.cli import app
from tests.conftest import ROOT, example_data, write
from tests.docx_reader import read_docx

LOCAL_EXAMPLE = ROOT / "examples" / "demo-2024-project-self-local.yaml"
runner = CliRunner(env={"COLUMNS": "300"})


@pytest.fixture
def local():
    return example_data(LOCAL_EXAMPLE)


def messages(tmp_path, data, rule):
    return [p.message for p in rt.validate(rt.load(write(tmp_path, data))) if p.rule == rule]


def form_rows(tmp_path, data, form=None):
    report = rt.load(write(tmp_path, data))
    layout = rt.forms.resolve(form) if form else None
    docx = read_docx(rt.annex_bytes(report, ["docx"], ["self_eval_form"], form=layout)["docx"])
    return docx.table_rows(0)


# --- 预算执行率 as a leaf of the tree -------------------------------------------------------

def test_execution_as_a_leaf_is_scored_once(tmp_path, local):
    report = rt.load(write(tmp_path, local))
    r = rt.view(report)
    assert r.execution_part is None and [p.name for p in r.score_parts] == ["决策", "过程", "产出", "效益"]
    assert (r.funds.scored_as, r.funds.execution_weight.text, r.funds.score.text) == ("预算执行率", "2分", "1.91分")
    md = rt.render_bytes(report, ["md"])["md"].decode()
    for absent in ("预算执行率（0分）", "预算执行率（10分）", "得0.00分", "| 预算执行率 |  |  |"):
        assert absent not in md, absent
    assert "预算执行率作为指标“预算执行率”计分，分值2分，按比例法计分，得1.91分。" in md
    assert rt.validate(report) == []


def test_leaf_score_follows_the_scoring_method(tmp_path, local):
    local["indicators"][1]["children"][0]["children"][1]["score"] = 2
    assert messages(tmp_path, local, "total.execution_score") == [
        "所填 2.00 与按预算执行率 95.31%、比例法计算的得分 1.91 不符（相差 0.09）"]


def test_without_the_leaf_the_separate_item_keeps_ten_points(tmp_path, project):
    del project["funds"]["weight"]
    r = rt.view(rt.load(write(tmp_path, project)))
    assert (r.execution_part.name, r.execution_part.weight.text, r.total_weight.text) == ("预算执行率", "10分", "100分")


# --- rates on their declared base ---------------------------------------------------------

def test_stated_rate_on_another_base_names_it(tmp_path, local):
    local["funds"]["stated_rate"] = "91.04%"   # 122.00 ÷ 134.00: on 全年预算数, while the form declares 实际到位数
    assert messages(tmp_path, local, "rate.execution") == [
        "所填 91.04% 与按全年执行数÷实际到位数计算的 95.31% 不符（相差 4.27 个百分点）；"
        "它等于按全年执行数÷全年预算数计算的 91.04%，请确认所说的是哪个基数"]
    local["funds"]["stated_rate"] = "93%"      # fits no base
    assert messages(tmp_path, local, "rate.execution") == [
        "所填 93.00% 与按全年执行数÷实际到位数计算的 95.31% 不符（相差 2.31 个百分点）；"
        "它与按全年执行数÷全年预算数计算的 91.04% 也不符"]


def test_rates_quoted_in_the_text_name_the_base_they_fit(tmp_path, local):
    local["conclusion"] = "预算执行率为91.04%。另一处写预算执行率为93%。资金到位率95.5%。"
    assert messages(tmp_path, local, "narrative.rate") == [
        "文字中写的「预算执行率为91.04%」与按全年执行数÷实际到位数计算的 95.31% 不符；"
        "它等于按全年执行数÷全年预算数计算的 91.04%，请确认所说的是哪个基数",
        "文字中写的「预算执行率为93%」与按全年执行数÷实际到位数计算的 95.31% 不符；"
        "它与按全年执行数÷全年预算数计算的 91.04% 也不符"]


def test_arrival_usage_and_adjusted_budget(tmp_path, local):
    local["funds"].update({"stated_arrival_rate": "95%", "stated_usage_rate": "95.31%"})
    assert messages(tmp_path, local, "rate.arrival") == [
        "所填 95.00% 与按实际到位数÷全年预算数计算的 95.52% 不符（相差 0.52 个百分点）"]
    assert messages(tmp_path, local, "rate.usage") == []
    local["funds"]["execution_base"] = "调整后预算数"
    for line, adjusted in zip(local["funds"]["lines"], ("122.00", "8.00")):
        line["adjusted"] = adjusted
    local["funds"]["stated_rate"] = "95.31%"
    r = rt.view(rt.load(write(tmp_path, local)))
    assert (r.funds.execution_rate.text, r.funds.execution_rate.base) == ("93.85%", "全年执行数÷调整后预算数")
    assert messages(tmp_path, local, "rate.execution") == [
        "所填 95.31% 与按全年执行数÷调整后预算数计算的 93.85% 不符（相差 1.46 个百分点）；"
        "它等于按全年执行数÷实际到位数计算的 95.31%，请确认所说的是哪个基数"]


# --- the rule pack's settings -------------------------------------------------------------

def test_rule_pack_switches_and_numbers(tmp_path, project):
    project["funds"]["lines"][0]["spent"] = 85     # 94.44%
    assert messages(tmp_path, project, "selfeval.low_execution_reason") == []
    project["settings"] = {"self_eval": {"low_execution_below": "95%"}}
    assert messages(tmp_path, project, "selfeval.low_execution_reason") == [
        "预算执行率 94.44%（全年执行数÷全年预算数）低于 95.00%，请说明原因（funds.reason）"]
    project["settings"]["self_eval"]["low_execution_reason"] = False
    assert messages(tmp_path, project, "selfeval.low_execution_reason") == []


def test_indicator_score_by_direction(tmp_path, project):
    leaf = project["indicators"][0]["children"][2]["children"][0]   # 按法定时限办结率, weight 15
    leaf.update({"target": "≤ 3天", "actual": "4天", "score": "11.25", "deviation": "个别事项需补正材料。"})
    assert messages(tmp_path, project, "selfeval.indicator_score") == []          # 3 ÷ 4 × 15
    leaf.update({"target": "不低于95%", "actual": "90%", "score": 15})
    assert messages(tmp_path, project, "selfeval.indicator_score") == [
        "所填 15.00 与按完成值÷指标值×分值（指标值 不低于95%，完成值 90%）计算的 14.21 不符（相差 0.79）"]
    leaf.update({"target": "按时办结", "actual": "基本按时", "score": 12})    # qualitative: left to the user
    assert messages(tmp_path, project, "selfeval.indicator_score") == []


# --- layouts --------------------------------------------------------------------------------

def test_each_layout_builds_its_form(tmp_path, local):
    cz = form_rows(tmp_path, local, "cz2020")
    # 分值 and 得分 are scored in the tree: the row name spans the columns they leave.
    assert cz[2][1:] == ["", "", "", "年初预算数", "全年预算数", "全年执行数", "执行率"]
    assert [row[1] for row in cz[3:7]] == ["年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"]
    loc = form_rows(tmp_path, local)                                               # settings.form_layout: local
    assert loc[2][:2] == ["项目负责人", "李敏"] and "0871-60000000" in loc[2]
    assert loc[3][1] == "经常性项目（√）　一次性项目（　）"
    assert loc[4][1:] == ["", "", "年初预算数", "全年预算数", "实际到位数", "全年执行数", "执行率"]
    assert loc[5][2:] == ["年度资金总额", "120.00", "134.00", "128.00", "122.00", "95.31%"]
    assert [row[1] for row in loc[6:11]] == ["其中：中央财政", "省级财政", "市级财政", "区级财政", "其他"]
    assert loc[8][2:] == ["市级财政", "30.00", "30.00", "28.00", "27.00", "96.43%"]
    assert loc[6][3:] == ["—"] * 5
    problems = next(row for row in loc if row[0] == "问题和建议")
    assert problems[-1] == "问题：1.市级、区级资金未全部按时到位；2.新建小区服务覆盖滞后\n建议：1.提前报送考核材料；2.新建小区同步配置服务站"
    assert [row[1] for row in loc if row[0] == "评价人员"] == ["姓名", "李敏", "赵刚"]
    yt = form_rows(tmp_path, local, "yitihua")
    header = next(row for row in yt if row[0] == "一级指标")
    assert header[3:] == ["指标性质", "度量单位", "年度指标值", "实际完成值", "权重", "得分", "偏差原因"]
    cost = next(row for row in yt if row[2] == "每人次服务成本")
    assert cost[3:9] == ["≤", "元", "≤100元", "96.2元", "10", "10.00"]
    assert yt[2][1:6] == ["", "年初预算", "调整后预算数", "预算执行数", "预算执行率"]


def test_separate_item_keeps_its_columns_in_the_local_layout(tmp_path, project):
    rows = form_rows(tmp_path, project, "local")
    assert rows[4][1:] == ["", "年初预算数", "全年预算数", "实际到位数", "全年执行数", "分值", "执行率", "得分"]
    assert rows[5][1:] == ["年度资金总额", "90.00", "90.00", "90.00", "90.00", "10", "100.00%", "10.00"]


def layout_file(tmp_path, text):
    path = tmp_path / "本区自评表.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_users_layout_file(tmp_path, local):
    path = layout_file(tmp_path, "name: 本区样式\nheader: [[name], [leader]]\nindicators:\n  columns: [target, actual, score]\n"
                                 "  titles: {score: 自评得分}\nfooter: [total]\n")
    local["settings"]["form_layout"] = path.name          # relative to the report file
    rows = form_rows(tmp_path, local)
    assert rows[1][:2] == ["项目负责人", "李敏"] and rows[2][0] == "年度总体目标"
    assert next(row for row in rows if row[0] == "一级指标")[3:] == ["年度指标值", "实际完成值", "自评得分"]


def test_a_bad_layout_file_is_refused_with_lines(tmp_path):
    path = layout_file(tmp_path, "name: 本区样式\nfunds:\n  columns: [initial, spent, spent]\n  rows: [total, cities]\n"
                                 "indicators:\n  columns: [target]\ncolour: red\n")
    with pytest.raises(rt.UserError) as info:
        rt.forms.load_layout(path)
    assert [f"{p.line}: {p.message}" for p in info.value.problems] == [
        "3: “spent”重复（第 3 行已列出）",
        "4: 只能取以下值之一：total、sources、levels，收到 cities",
        "7: 不认识的字段（可能拼写有误）；此处可用的字段：name、source、font_size、header、funds、goals、indicators、footer、titles",
    ]


def test_unknown_layout_name_is_located(tmp_path, local):
    local["settings"]["form_layout"] = "省级样式"
    with pytest.raises(rt.UserError) as info:
        rt.validate(rt.load(write(tmp_path, local)))
    [problem] = info.value.problems
    assert problem.dotted == "settings.form_layout" and problem.line is not None
    assert problem.message == ("找不到自评表样式“省级样式”：既不是内置样式（cz2020（财预〔2020〕10号 附1）、local（地方评价表）、"
                               "yitihua（一体化系统导出）），也不是样式文件")


@pytest.mark.parametrize("name", ["\0", "x" * 5000])
def test_a_layout_name_no_disk_can_hold_is_not_found(tmp_path, local, name):
    local["settings"]["form_layout"] = name
    with pytest.raises(rt.UserError) as info:
        rt.validate(rt.load(write(tmp_path, local)))
    [problem] = info.value.problems  # a message at the field, not a ValueError from the file system
    assert problem.dotted == "settings.form_layout" and problem.message.startswith("找不到自评表样式")


def test_cli_form_option(tmp_path, local):
    src = write(tmp_path, local)
    result = runner.invoke(app, ["annex", str(src), "--only", "self_eval_form", "-f", "md", "-o", str(tmp_path / "o"),
                                 "--form", "一体化系统导出"])
    assert result.exit_code == 0, result.output
    assert "| **指标性质** | **度量单位** |" in (tmp_path / "o" / "report-附件.md").read_text(encoding="utf-8")
    result = runner.invoke(app, ["render", str(src), "-o", str(tmp_path / "o"), "--form", "nope"])
    assert result.exit_code == 1 and "找不到自评表样式“nope”" in result.output


def test_check_passes_and_fails_on_the_local_example(tmp_path, local):
    assert runner.invoke(app, ["check", str(LOCAL_EXAMPLE)]).exit_code == 0
    local["funds"]["stated_arrival_rate"] = "100%"
    result = runner.invoke(app, ["check", str(write(tmp_path, local))])
    assert result.exit_code == 1 and "所填 100.00% 与按实际到位数÷全年预算数计算的 95.52% 不符（相差 4.48 个百分点）" in result.stdout


# --- on the page ------------------------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")


@pytest.mark.skipif(not (SOFFICE and PDFTOTEXT), reason="LibreOffice 或 pdftotext 未安装")
def test_every_layout_fits_the_page_and_keeps_numbers_whole(tmp_path):
    report = rt.load(LOCAL_EXAMPLE)
    sources = []
    for name in ("cz2020", "local", "yitihua"):
        folder = tmp_path / name
        sources += rt.render_annexes(report, ["docx", "xlsx"], folder, ["self_eval_form"], form=rt.forms.resolve(name))
    for source in sources:  # distinct names: LibreOffice writes <stem>.pdf
        source.rename(source.with_name(f"{source.parent.name}-{source.suffix[1:]}{source.suffix}"))
    files = sorted(str(p) for p in tmp_path.glob("*/*-*.*"))
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path / "pdf"), *files], capture_output=True, timeout=300, check=True)
    for pdf in sorted((tmp_path / "pdf").glob("*.pdf")):
        text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        words = set(text.split())
        for figure in ("120.00", "122.00", "95.31%", "1.91", "99.32") + (() if "yitihua" in pdf.name else ("134.00",)):
            assert figure in words, (pdf.name, figure)
        if "local" in pdf.name and "docx" in pdf.name:
            assert {"128.00", "96.43%", "40.00"} <= words and "经常性项目（√）" in text
        if "yitihua" in pdf.name and "docx" in pdf.name:
            assert "≤100" in text and "调整" in text


def test_a_report_cannot_name_a_layout_file_outside_its_folder(tmp_path, local):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("name: x\n", encoding="utf-8")
    (tmp_path / "r").mkdir()
    local["settings"]["form_layout"] = "../elsewhere.yaml"
    with pytest.raises(rt.UserError) as info:
        rt.load(write(tmp_path / "r", local))
    assert info.value.problems[0].message == (
        "自评表样式文件“../elsewhere.yaml”不在报告所在的文件夹内；请把样式文件放在报告旁边，或用 --form 指定")
    local["settings"]["form_layout"] = str(outside)  # an absolute path is outside too
    with pytest.raises(rt.UserError):
        rt.load(write(tmp_path / "r", local))
    import yaml
    local["settings"]["form_layout"] = "elsewhere.yaml"  # a report read from text has no folder at all
    with pytest.raises(rt.UserError):
        rt.load_text(yaml.safe_dump(local, allow_unicode=True), "<上传>")
