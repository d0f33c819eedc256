"""The fill-in workbook: every example through .xlsx and back, cells as clerks fill them, problems by cell."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import reporttool as rt
from reporttool import fillin
from reporttool.api import render_bytes
from reporttool.cli import app
from reporttool.convert import convert
from reporttool.errors import InputError, UserError
from reporttool.formats.xlsx import _with_values
from reporttool.loading import load_data, parse
from reporttool.model import REPORT_KINDS
from reporttool.xlsxread import read_workbook
from reporttool.yamlout import report_data

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.yaml"))
runner = CliRunner()


def _workbook(report) -> bytes:
    return fillin.write_workbook(report.kind, report_data(report))


def _read(raw: bytes, name: str = "填报.xlsx"):
    from reporttool.xlsxin import workbook_data
    return parse(*workbook_data(raw, name))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_through_workbook_and_back(tmp_path, example):
    xlsx, back = tmp_path / "数据.xlsx", tmp_path / "数据.yaml"
    for source, target in ((example, xlsx), (xlsx, back)):
        result = runner.invoke(app, ["convert", str(source), str(target)])
        assert result.exit_code == 0, result.output
    original = rt.load(example)
    assert rt.load(xlsx).model_dump() == original.model_dump()
    assert rt.load(back).model_dump() == original.model_dump()
    # the workbook renders the same report, word for word
    assert render_bytes(rt.load(xlsx), ["md"])["md"] == render_bytes(original, ["md"])["md"]


@pytest.mark.parametrize("kind", list(REPORT_KINDS))
def test_new_workbook_per_kind(tmp_path, kind):
    path = tmp_path / f"{kind}.xlsx"
    result = runner.invoke(app, ["new", kind, "-o", str(path)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(path)
    names = [s.name for s in fillin.layout(kind)]
    assert wb.sheetnames == [fillin.GUIDE_SHEET, *names, fillin.MARK_SHEET]
    assert wb[fillin.MARK_SHEET].sheet_state == "hidden"
    # drop-downs where a field has choices, headers explained, the header row frozen
    choice_sheets = [s for s in fillin.layout(kind) if any(c.choices for c in s.cols)]
    assert choice_sheets
    for spec in choice_sheets:
        assert wb[spec.name].data_validations.dataValidation, spec.name
    # the usual values offered (项目类型, 编制类型, 问题分类) in a drop-down that still takes others
    for spec in fillin.layout(kind):
        for col in spec.cols:
            if col.suggested:
                offered = [dv for dv in wb[spec.name].data_validations.dataValidation
                           if dv.formula1 == '"' + ",".join(col.suggested) + '"']
                assert offered and not offered[0].showErrorMessage, (spec.name, col.title)
    table = next(s for s in fillin.layout(kind) if s.table and not s.tree)
    ws = wb[table.name]
    assert ws.freeze_panes == "A3"
    assert ws.cell(row=2, column=1).comment is not None
    # the example is marked as such and reads back as a report whose only findings are the example's words
    validated = runner.invoke(app, ["validate", str(path)])
    assert validated.exit_code == 0, validated.output
    assert "示例文字" in validated.output
    assert "灰色斜体的内容是示例" in wb[fillin.GUIDE_SHEET]["A8"].value


def test_sheet_names_and_titles_are_unique_per_kind():
    for kind in REPORT_KINDS:
        specs = fillin.layout(kind)
        assert len({s.name for s in specs}) == len(specs)
        for spec in specs:
            heads = [c.header for c in spec.cols]
            assert len(set(heads)) == len(heads), spec.name
            assert all(len(s.name) <= 31 for s in specs)


# --- as clerks fill them -------------------------------------------------------------------------------

def _project_workbook(tmp_path) -> tuple[Path, openpyxl.Workbook]:
    report = rt.load(next(p for p in EXAMPLES if "xishan-2024-project" in p.name))
    path = tmp_path / "我局2024.xlsx"
    path.write_bytes(_workbook(report))
    return path, openpyxl.load_workbook(path)


def _row(ws, label: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if (ws.cell(row=r, column=1).value or "").replace(" ", "") == label)


def _col(ws, header: str, row: int = 2) -> int:
    return next(c for c in range(1, ws.max_column + 1) if ws.cell(row=row, column=c).value == header)


def test_cells_as_clerks_fill_them(tmp_path):
    path, wb = _project_workbook(tmp_path)
    funds = wb["项目资金"]
    # a label typed with 分散对齐 spaces, a rate typed as text with %, a score as "9.6分"
    funds.cell(row=_row(funds, "预算执行率（填报数）"), column=1).value = "预 算 执 行 率（填报数）"
    funds.cell(row=_row(funds, "预算执行率（填报数）"), column=2).value = "96%"
    lines = wb["资金明细"]
    c_budget, c_spent, c_initial = _col(lines, "全年预算数（万元）"), _col(lines, "全年执行数（万元）"), _col(lines, "年初预算数（万元）")
    lines.cell(row=3, column=c_initial).value = "1,234.56"           # a number stored as text, with a comma
    lines.cell(row=3, column=c_initial).data_type = "s"
    lines.cell(row=3, column=c_budget).value = "1234.56万元"          # with its unit
    lines.cell(row=3, column=c_spent).value = "=1200+34.56"           # a formula never computed by Excel
    lines.insert_rows(4)                                               # a blank row among the items
    info = wb["项目基本情况"]
    info.cell(row=_row(info, "实施单位"), column=2).value = "  某某区政务服务管理局  "   # trailing spaces
    basic = wb["基本信息"]
    from datetime import date
    basic.cell(row=_row(basic, "落款日期"), column=2).value = date(2025, 3, 28)     # an Excel date
    basic.cell(row=_row(basic, "落款日期"), column=2).number_format = "yyyy/m/d"
    how = wb["评价思路和过程"]
    how.cell(row=_row(how, "评价时段止"), column=2).value = "2024年12月31日"         # a date typed as text
    # the tree with 一级 cells merged over their rows and 二级 left blank under its first row
    tree = wb["指标体系"]
    ranges = [str(r) for r in tree.merged_cells.ranges]
    assert any(r.startswith("B") for r in ranges)  # reporttool merges each level down its rows
    for ref in ranges:
        tree.unmerge_cells(ref)  # the cells below become blank: "the same as above"
    for ref in ranges:
        if ref.startswith("A"):
            tree.merge_cells(ref)
    wb.save(path)

    report = rt.load(path)
    line = report.funds.lines[0]
    assert line.initial == Decimal("1234.56") and line.budget == Decimal("1234.56") and line.spent == Decimal("1234.56")
    assert report.funds.stated_rate == Decimal(96)
    assert report.project.implementer == "某某区政务服务管理局"
    assert report.signed_on == "2025年3月28日"
    assert report.evaluation.period_end == date(2024, 12, 31)
    original = rt.load(next(p for p in EXAMPLES if "xishan-2024-project" in p.name))
    assert [i.model_dump() for i in report.indicators] == [i.model_dump() for i in original.indicators]


def test_percent_as_fraction_is_said(tmp_path):
    path, wb = _project_workbook(tmp_path)
    funds = wb["项目资金"]
    cell = funds.cell(row=_row(funds, "预算执行率（填报数）"), column=2)
    cell.value, cell.number_format = 0.96, "General"
    wb.save(path)
    report = rt.load(path)
    assert report.funds.stated_rate == Decimal(96)
    found = [p for p in rt.validate(report) if p.rule == "xlsx.percent"]
    assert found and found[0].format().startswith(f"{path}:项目资金!B{cell.row}:")
    assert "按 96% 理解" in found[0].message


def test_formula_with_its_cached_value_and_without(tmp_path):
    path, wb = _project_workbook(tmp_path)
    lines = wb["资金明细"]
    spent = _col(lines, "全年执行数（万元）")
    lines.cell(row=3, column=spent).value = "=VLOOKUP(1,A1:B2,2)"   # nothing reporttool computes
    wb.save(path)
    with pytest.raises(InputError) as info:
        rt.load(path)
    message = str(info.value)
    assert f"{path}:资金明细!{lines.cell(row=3, column=spent).coordinate}:" in message
    assert "没有保存它的计算结果" in message and "缺少必填字段" not in message
    # the same formula as Excel saves it, its value beside it
    sheet_part = _sheet_part(path.read_bytes(), "资金明细")
    path.write_bytes(_with_values(path.read_bytes(), {sheet_part: {lines.cell(row=3, column=spent).coordinate: "47.99"}}))
    assert rt.load(path).funds.lines[0].spent == Decimal("47.99")


def _sheet_part(raw: bytes, name: str) -> str:
    book = read_workbook(raw, "x.xlsx")
    index = next(s.index for s in book.sheets if s.name == name)
    return f"xl/worksheets/sheet{index + 1}.xml"


def test_problems_name_sheet_and_cell_all_at_once(tmp_path):
    path, wb = _project_workbook(tmp_path)
    lines = wb["资金明细"]
    lines.cell(row=3, column=_col(lines, "全年执行数（万元）")).value = "四十八"
    tree = wb["指标体系"]
    score = _col(tree, "得分")
    leaf = next(r for r in range(3, tree.max_row + 1) if tree.cell(row=r, column=score).value is not None)
    tree.cell(row=leaf, column=score).value = 99
    info = wb["项目基本情况"]
    info.cell(row=_row(info, "项目名称"), column=1).value = "项目全称"
    wb.save(path)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    spent_cell = lines.cell(row=3, column=_col(lines, "全年执行数（万元）")).coordinate
    assert f"{path}:资金明细!{spent_cell}: funds.lines[0].spent" in result.output
    assert "应为金额（万元）" in result.output
    assert f"{path}:项目基本情况!A{_row(info, '项目全称')}:" in result.output and "不认识的项目“项目全称”" in result.output
    # the rules run once the structure reads: the score above its weight, at its cell
    info.cell(row=_row(info, "项目全称"), column=1).value = "项目名称"
    lines.cell(row=3, column=_col(lines, "全年执行数（万元）")).value = 48
    wb.save(path)
    checked = runner.invoke(app, ["check", str(path)])
    assert checked.exit_code == 1
    assert f"指标体系!{tree.cell(row=leaf, column=score).coordinate}" in checked.output


def test_unknown_header_is_located(tmp_path):
    path, wb = _project_workbook(tmp_path)
    lines = wb["资金明细"]
    lines.cell(row=2, column=2).value = "预算数"
    wb.save(path)
    with pytest.raises(InputError) as info:
        rt.load(path)
    assert f"{path}:资金明细!B2:" in str(info.value) and "不认识的表头（可能改动了列名）“预算数”" in str(info.value)
    assert "至少需要填写" not in str(info.value)


def test_workbook_of_another_program_is_refused_plainly(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便什么表格"
    path = tmp_path / "其他.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as info:
        rt.load(path)
    assert "无法识别的 Excel 工作簿" in str(info.value)


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_hostile_workbooks(tmp_path):
    rels = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x"/></Relationships>')
    book = (b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            b'<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
    bomb = _zip({"xl/workbook.xml": book, "xl/_rels/workbook.xml.rels": rels,
                 "xl/worksheets/sheet1.xml": b"<worksheet>" + b" " * (60 * 2**20) + b"</worksheet>"})
    entity = _zip({"xl/workbook.xml": b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa">]>' + book,
                   "xl/_rels/workbook.xml.rels": rels})
    for raw, needle in ((bomb, "解压后过大"), (entity, "DOCTYPE"), (b"PK\x03\x04xl/ broken", "已损坏")):
        path = tmp_path / "坏.xlsx"
        path.write_bytes(raw)
        with pytest.raises(InputError) as info:
            rt.load(path)
        assert needle in str(info.value)


def test_formulas_reporttool_can_compute(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws["A1"], ws["A2"], ws["A3"] = 1.5, 2, "文字"
    ws["B1"] = "=SUM(A1:A3)*2-(A1+1)/5"
    ws["B2"] = "=B3"
    ws["B3"] = "=B2"
    other = wb.create_sheet("另一表")
    other["A1"] = "='数据'!A1+数据!A2"
    buf = io.BytesIO()
    wb.save(buf)
    book = read_workbook(buf.getvalue(), "x.xlsx")
    data, second = book.sheets
    assert book.evaluate(data, 1, 2) == Decimal("6.5")
    assert book.evaluate(data, 2, 2) is None  # a loop is not a number
    assert book.evaluate(second, 1, 1) == Decimal("3.5")


def test_convert_refuses_what_the_target_cannot_hold(tmp_path):
    source = tmp_path / "r.yaml"
    source.write_text(EXAMPLES[0].read_text(encoding="utf-8") + "\nunknown_field: 1\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        convert(source, tmp_path / "r.xlsx")
    assert "不认识的字段" in str(info.value)
    # a file still being filled converts as it is, its problems listed
    half = tmp_path / "half.yaml"
    half.write_text("kind: project_self\nyear: 2025\nproject:\n  name: 某项目\n", encoding="utf-8")
    data, problems = convert(half, tmp_path / "half.xlsx")
    assert problems and any(p.severity == "error" for p in problems)
    back, _ = load_data_from(data, tmp_path / "half2.xlsx")
    assert back["project"]["name"] == "某项目" and back["year"] == 2025


def load_data_from(raw: bytes, path: Path):
    path.write_bytes(raw)
    return load_data(path)


def test_renamed_sheet_is_said_and_a_copied_workbook_still_reads(tmp_path):
    path, wb = _project_workbook(tmp_path)
    wb["存在的问题"].title = "问题（草稿）"
    del wb[fillin.MARK_SHEET]  # sheets copied into a new file lose the hidden mark
    wb.save(path)
    report = rt.load(path)
    assert report.problems == ()
    said = [p for p in rt.validate(report) if p.rule == "xlsx.unknown_sheet"]
    assert said and said[0].format().startswith(f"{path}:问题（草稿）:") and "没有读取" in said[0].message
