"""The annex workbook as a clerk works in it: totals are formulas that carry their values, titles fit their rows."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest
from lxml import etree
from openpyxl import load_workbook

import reporttool as rt
from reporttool.document import Cell, Column, Table
from reporttool.formats.xlsx import workbook
from tests.check_cases import full_dept
from tests.conftest import DEPT_EXAMPLE, EXAMPLES, HONGYUN_EXAMPLE, PROJECT_EXAMPLE, write
from tests.test_annexes import SHAPES

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
TOTALS = {"小计", "合计", "总计", "总分"}


def raw_sheets(data: bytes) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    """Each sheet's cells as stored: {sheet: {A1: (formula, cached value or text)}}, read from the XML itself."""
    sheets = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        rels = {r.get("Id"): r.get("Target") for r in etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
        for sheet in etree.fromstring(z.read("xl/workbook.xml")).iter(MAIN + "sheet"):
            target = rels[sheet.get(REL + "id")].lstrip("/")
            root = etree.fromstring(z.read(target if target.startswith("xl/") else "xl/" + target))
            cells = {}
            for c in root.iter(MAIN + "c"):
                f, v = c.find(MAIN + "f"), c.find(MAIN + "v")
                text = "".join(c.find(MAIN + "is").itertext()) if c.get("t") == "inlineStr" else None
                cells[c.get("r")] = (None if f is None else f.text, text if v is None else v.text)
            sheets[sheet.get("name")] = cells
    return sheets


def numbers(cells: dict[str, tuple[str | None, str | None]]) -> dict[str, Decimal]:
    return {ref: Decimal(v) for ref, (f, v) in cells.items() if v is not None and re.fullmatch(r"-?\d+(\.\d+)?(E[+-]?\d+)?", v)}


def _arguments(text: str) -> list[str]:
    args, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            args.append(text[start:i])
            start = i + 1
    return args + [text[start:]]


def _cells_of(area: str) -> list[str]:
    first, _, last = area.partition(":")
    (c1, r1), (c2, r2) = (re.fullmatch(r"([A-Z]+)(\d+)", ref).groups() for ref in (first, last or first))
    assert c1 == c2, area  # our totals add up one column
    return [f"{c1}{r}" for r in range(int(r1), int(r2) + 1)]


def evaluate(formula: str, values: dict[str, Decimal]) -> Decimal:
    """What a spreadsheet computes for the formulas the annexes use: SUM (text and empty cells count nothing), A/B."""
    ratio = re.fullmatch(r"([A-Z]+\d+)/([A-Z]+\d+)", formula)
    if ratio:
        return values[ratio[1]] / values[ratio[2]]
    assert formula.startswith("SUM(") and formula.endswith(")"), formula
    total = Decimal(0)
    for arg in _arguments(formula[4:-1]):
        total += evaluate(arg, values) if arg.startswith("SUM(") else sum(
            (values.get(ref, Decimal(0)) for ref in _cells_of(arg)), Decimal(0))
    return total


def row_of(ref: str) -> int:
    return int(re.sub(r"[A-Z]+", "", ref))


def formula_refs(formula: str) -> set[str]:
    return {ref for area in re.findall(r"[A-Z]+\d+(?::[A-Z]+\d+)?", formula) for ref in _cells_of(area)}


def shaped(tmp_path, **settings):
    data = full_dept()
    data["indicators"] = SHAPES
    data["conclusion"] = "评价结论。"
    data["settings"] = settings
    for key in ("stated_total_score", "stated_grade"):
        data.pop(key, None)
    return rt.load(write(tmp_path, data))


def test_subtotals_and_total_are_sums_over_exactly_their_rows(tmp_path):
    report = shaped(tmp_path, score_table_rate=True)
    data = rt.annex_bytes(report, ["xlsx"], ["score_table"])["xlsx"]
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    # rows 5–7 决策's leaves, 8 its 小计; 9–10 管理's leaves, 11 its 小计; 12 满意度 (a leaf 一级); 13 合计
    assert [ws[f"B{r}"].value for r in (8, 11)] == ["小计", "小计"] and ws["A13"].value == "合计"
    for col in "DE":
        assert ws[f"{col}8"].value == f"=SUM({col}5:{col}7)"
        assert ws[f"{col}11"].value == f"=SUM({col}9:{col}10)"
        assert ws[f"{col}13"].value == f"=SUM({col}8,{col}11:{col}12)"  # the 小计 and the 一级 that is a leaf
        assert all(isinstance(ws[f"{col}{r}"].value, (int, float)) for r in (5, 6, 7, 9, 10, 12))
    # 得分率 = 得分÷分值 of the row itself
    assert [ws[f"F{r}"].value for r in (5, 8, 13)] == ["=E5/D5", "=E8/D8", "=E13/D13"]

    # The cached value beside each formula is the view's figure, exact.
    r = rt.view(report)
    cells = raw_sheets(data)["附件1 绩效评价指标评分表"]
    assert cells["E8"] == ("SUM(E5:E7)", "27")
    assert Decimal(cells["E11"][1]) == r.indicators[1].total_score.value == Decimal("27.5")
    assert Decimal(cells["D13"][1]) == r.total_weight.value and Decimal(cells["E13"][1]) == r.total_score.value
    assert Decimal(cells["F8"][1]) == r.indicators[0].rate.value
    assert Decimal(cells["F13"][1]) == r.score_rate.value == Decimal("0.925")


def test_budget_execution_and_survey_totals(tmp_path):
    dept = raw_sheets(rt.annex_bytes(rt.load(DEPT_EXAMPLE), ["xlsx"], ["budget_execution"])["xlsx"])
    cells = next(iter(dept.values()))
    total = rt.view(rt.load(DEPT_EXAMPLE)).funds.by_level_total
    assert cells["B10"] == ("SUM(B5:B9)", format(total.initial.value, "f"))
    assert cells["D10"] == ("SUM(D5:D9)", format(total.spent.value, "f"))
    assert cells["E10"][0] == "D10/B10" and Decimal(cells["E10"][1]) == total.rate.value  # 实际支出数÷年初预算数

    report = rt.load(HONGYUN_EXAMPLE)
    s = rt.view(report).survey
    sheet = raw_sheets(rt.annex_bytes(report, ["xlsx"], ["survey_summary"])["xlsx"])
    cells = next(iter(sheet.values()))
    # 有效问卷合计 under 有效问卷 (column B), not under 满意问卷
    assert cells["B3"][1] == "有效问卷（份）" and cells["B8"] == ("SUM(B4:B7)", str(s.samples.value))
    assert cells["C8"] == (None, None)
    assert cells["E8"][0] == "SUM(E4:E7)" and Decimal(cells["E8"][1]) == s.weight_total.value
    assert cells["F8"][0] == "SUM(F4:F7)" and Decimal(cells["F8"][1]) == s.overall.value
    md = rt.annex_bytes(report, ["md"], ["survey_summary"])["md"].decode()
    assert "| **合计** | **350** |  |  | **100.00%** | **99.69%** |" in md


def test_form_total_counts_the_execution_score_beside_the_tree():
    """The 总分 of the 财预〔2020〕10号 form adds the leaves and the 预算执行率 分值/得分 of the funds block."""
    data = rt.annex_bytes(rt.load(PROJECT_EXAMPLE), ["xlsx"], ["self_eval_form"])["xlsx"]
    cells = next(iter(raw_sheets(data).values()))
    label = {v: ref for ref, (f, v) in cells.items() if f is None and v}
    total_row, funds_row = row_of(label["总分"]), row_of(label["年度资金总额"])
    formulas = {ref: f for ref, (f, _) in cells.items() if f and row_of(ref) == total_row}
    assert len(formulas) == 2  # 分值 and 得分
    values = numbers(cells)
    for ref, formula in formulas.items():
        outside = [x for x in formula_refs(formula) if row_of(x) == funds_row]
        assert len(outside) == 1  # the funds block's 分值 (10) or 得分, beside the leaves
        assert evaluate(formula, values) == Decimal(cells[ref][1])
    r = rt.view(rt.load(PROJECT_EXAMPLE))
    assert sorted(Decimal(cells[ref][1]) for ref in formulas) == sorted([r.total_score.value, r.total_weight.value])


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_formula_gives_its_cached_value(example):
    """Evaluated over the cached values, each formula gives its own cached value; every total row is formulas."""
    data = rt.annex_bytes(rt.load(example), ["xlsx"])["xlsx"]
    count = 0
    for name, cells in raw_sheets(data).items():
        values = numbers(cells)
        for ref, (formula, value) in cells.items():
            if formula:
                count += 1
                assert value is not None, (name, ref)
                assert evaluate(formula, values) == Decimal(value), (name, ref, formula)
        rows: dict[int, list[str]] = {}
        for ref in cells:
            rows.setdefault(row_of(ref), []).append(ref)
        for refs in rows.values():
            if any(cells[ref][1] in TOTALS and cells[ref][0] is None for ref in refs):
                figures = [ref for ref in refs if ref in values]
                assert figures and all(cells[ref][0] for ref in figures), (name, refs)
    assert count


def _table(rows: list[list[Cell]], widths=(30, 30)) -> Table:
    return Table(columns=[Column(f"列{i}", w, "right") for i, w in enumerate(widths)], rows=rows, header_rows=0,
                 laid_out=True)


def test_a_total_is_a_formula_only_where_it_gives_the_figure():
    three, dash, four = (Cell("3", value=Decimal(3), number="money"), Cell("—"),
                         Cell("4.25", value=Decimal("4.25"), number="money"))
    good = Cell("7.25", value=Decimal("7.25"), number="money", total_of=(three, dash, four))
    wrong = Cell("9.00", value=Decimal(9), number="money", total_of=(three, four))
    rate = Cell("141.67%", value=Decimal("4.25") / 3, number="pct", ratio_of=(four, three))
    rows = [[Cell("甲"), three], [Cell("乙"), dash], [Cell("丙"), four], [Cell("合计"), good], [Cell("另计"), wrong],
            [Cell("比率"), rate]]
    cells = next(iter(raw_sheets(workbook([("附件1", "表", _table(rows))])).values()))
    assert cells["B6"] == ("SUM(B3:B5)", "7.25")  # a "—" between the figures is inside the range: SUM skips text
    assert cells["B7"] == (None, "9")  # the parts do not add up to it: the figure as printed
    assert cells["B8"] == ("B5/B3", format(Decimal("4.25") / 3, "f"))


def test_a_total_of_many_scattered_cells_nests_its_sums():
    """Excel takes 255 arguments a call: 300 scattered parts are summed in nested SUMs, and still add up."""
    rows, parts = [], []
    for i in range(300):
        parts.append(Cell(str(i), value=Decimal(i) / 4, number="points"))
        rows += [[Cell("项"), parts[-1]], [Cell("空"), Cell("")]]
    total = Cell("", value=sum(p.value for p in parts), number="points", total_of=tuple(parts))
    cells = next(iter(raw_sheets(workbook([("附件1", "表", _table(rows + [[Cell("合计"), total]]))])).values()))
    formula, value = cells[f"B{3 + len(rows)}"]
    assert formula.startswith("SUM(SUM(B3,B5,") and formula.count("SUM(") == 3
    assert evaluate(formula, numbers(cells)) == Decimal(value) == Decimal("11212.5")


def test_title_row_fits_its_font_and_wraps_on_a_narrow_table():
    def title_row(title: str, widths: tuple) -> tuple[float, bool]:
        ws = load_workbook(io.BytesIO(workbook([("附件1", title, _table([[Cell("甲")] * len(widths)], widths))]))).active
        return ws.row_dimensions[2].height, ws["A2"].alignment.wrap_text

    short, wraps = title_row("问题清单", (30, 30))
    long, _ = title_row("某某区2024年度部门整体支出绩效评价指标评分汇总表", (20, 20))
    assert wraps and short >= 16 * 1.2  # a 16 pt line
    assert long >= 2 * short - 10  # two lines: 25 characters of 16 pt do not fit 40 mm


def test_landscape_tables_print_landscape():
    table = _table([[Cell("甲"), Cell("乙")]])
    table.landscape = True  # set by the builders of tables wider than a portrait page
    ws = load_workbook(io.BytesIO(workbook([("附件1", "表", table)]))).active
    assert ws.page_setup.orientation == "landscape"


# --- a clerk changes a score: LibreOffice recalculates ----------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
REQUIRED = os.environ.get("REPORTTOOL_REQUIRE_OFFICE") == "1"
# LibreOffice keeps an .xlsx's cached values unless told to recalculate on load (Tools ▸ Options ▸ Calc ▸
# Formula ▸ Recalculation on file load: Always = 0).
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """Every example's workbook, and the department's with one leaf score changed, recalculated by LibreOffice."""
    if not SOFFICE:
        if REQUIRED:
            raise RuntimeError("LibreOffice 未安装；REPORTTOOL_REQUIRE_OFFICE=1 要求必须运行")
        pytest.skip("LibreOffice 未安装（apt-get install libreoffice-calc-nogui）")
    folder = tmp_path_factory.mktemp("recalc")
    sources = {}
    for example in EXAMPLES:
        sources[example.stem] = folder / f"{example.stem}.xlsx"
        sources[example.stem].write_bytes(rt.annex_bytes(rt.load(example), ["xlsx"])["xlsx"])
    wb = load_workbook(sources[DEPT_EXAMPLE.stem])
    ws = wb["附件1 绩效评价指标评分表"]
    ws["E5"] = ws["E5"].value + 1.25  # the first leaf's 得分, as a clerk types it
    sources["edited"] = folder / "edited.xlsx"
    wb.save(sources["edited"])
    profile = folder / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    result = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                             "xlsx:Calc MS Excel 2007 XML", "--outdir", str(folder / "out"), *map(str, sources.values())],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return {name: load_workbook(folder / "out" / path.name, data_only=True) for name, path in sources.items()}


def test_totals_follow_a_changed_score(recalculated):
    before = load_workbook(io.BytesIO(rt.annex_bytes(rt.load(DEPT_EXAMPLE), ["xlsx"])["xlsx"]))["附件1 绩效评价指标评分表"]
    ws = recalculated["edited"]["附件1 绩效评价指标评分表"]
    old = raw_sheets(rt.annex_bytes(rt.load(DEPT_EXAMPLE), ["xlsx"])["xlsx"])["附件1 绩效评价指标评分表"]
    subtotals = [r for r in range(5, ws.max_row + 1) if before[f"B{r}"].value == "小计"]
    total = next(r for r in range(5, ws.max_row + 1) if before[f"A{r}"].value == "合计")
    first, *others = subtotals
    assert ws[f"E{first}"].value == pytest.approx(float(old[f"E{first}"][1]) + 1.25)
    assert ws[f"E{total}"].value == pytest.approx(float(old[f"E{total}"][1]) + 1.25)
    for r in others:
        assert ws[f"E{r}"].value == pytest.approx(float(old[f"E{r}"][1]))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_libreoffice_computes_the_cached_values(recalculated, example):
    ours = raw_sheets(rt.annex_bytes(rt.load(example), ["xlsx"])["xlsx"])
    theirs = recalculated[example.stem]
    checked = 0
    for name, cells in ours.items():
        for ref, (formula, value) in cells.items():
            if formula:
                assert theirs[name][ref].value == pytest.approx(float(value), rel=1e-12), (name, ref, formula)
                checked += 1
    assert checked
