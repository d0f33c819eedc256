"""Every example opens in a real office suite: LibreOffice converts it to PDF and the PDF holds the report."""

from __future__ import annotations

import re
import subprocess

import pytest

import reporttool as rt
from reporttool.templates import template_set
from reporttool.forms import builtin, builtin_names
from tests.conftest import (DEPT_EXAMPLE, EXAMPLES, PDFTOTEXT, PROJECT_EXAMPLE, SOFFICE, needs_office, typical_project,
                            wide_tree_report, write)

pytestmark = needs_office
TIMEOUT = 300  # a long table can take minutes in LibreOffice; never hang the run


def convert(sources: list, outdir, to: str = "pdf") -> subprocess.CompletedProcess:
    """Files converted by LibreOffice into ``outdir`` (its own profile there, so parallel runs never collide)."""
    return subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{outdir}/profile", "--headless", "--convert-to", to,
         "--outdir", str(outdir), *map(str, sources)], capture_output=True, text=True, timeout=TIMEOUT)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pdf_texts(tmp_path_factory):
    """Render every example (report and annex workbook), convert all in one LibreOffice run."""
    folder = tmp_path_factory.mktemp("office")
    sources = []
    for example in EXAMPLES:
        report = rt.load(example)
        sources += rt.render(report, ["docx"], folder)
        sources += rt.render_annexes(report, ["xlsx"], folder)
    result = convert(sources, folder / "pdf")
    assert result.returncode == 0, result.stderr
    texts = {}
    for source in sources:
        pdf = folder / "pdf" / (source.stem + ".pdf")
        assert pdf.exists(), f"LibreOffice did not convert {source.name}: {result.stdout} {result.stderr}"
        texts[source.name] = squeeze(subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True,
                                                    check=True, timeout=60).stdout)
        # as laid out on the page: a figure broken inside its cell is not found whole here
        texts[source.name + ".layout"] = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True,
                                                        text=True, check=True, timeout=60).stdout
    return texts


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_docx_opens_and_holds_the_report(pdf_texts, example):
    report = rt.load(example)
    r = rt.view(report)
    text = pdf_texts[example.stem + ".docx"]
    doc = template_set().build(report)
    assert squeeze(r.report_title) in text
    for heading in doc.headings():
        assert squeeze(heading.text) in text, heading.text
    assert r.total_score.text in text
    assert f"评价等级为“{r.grade}”" in text
    assert "附件1" in text and "绩效评价指标评分表" in text


def test_key_figures_survive_in_the_pdf(pdf_texts):
    key = pdf_texts["hongyun-2023-key-eval.docx"]
    for figure in ("6,348.37万元", "6,055.68万元", "292.69万元", "95.39%", "90.52分", "91.67%", "99.69%"):
        assert figure in key
    dept = pdf_texts["xishan-2024-dept-self.docx"]
    for figure in ("1,354.10万元", "1,444.16万元", "106.65%", "0.89万元", "93.89%", "94.50分"):
        assert figure in dept
    assert rt.view(rt.load(DEPT_EXAMPLE)).funds.final.total.text in dept


def test_project_key_evaluation_figures_whole_on_the_page(pdf_texts):
    text = pdf_texts["qingshi-2021-2023-project-key-eval.docx"]
    for figure in ("2,545.00万元", "2,425.05万元", "95.29%", "89.26分", "88.50%", "87.19%", "93.75%"):
        assert figure in text
    layout = pdf_texts["qingshi-2021-2023-project-key-eval.docx.layout"]
    # the funds table's 小计 and 总计 rows, and the score table's subtotals, each on one line with whole numbers
    for row in (r"小计\s+840\.00\s+789\.00\s+33\.01%\s+93\.93%", r"总计\s+2,545\.00\s+2,425\.05\s+100\.00%\s+95\.29%",
                r"小计\s+30\s+26\.00", r"合计\s+100\s+89\.26"):
        assert re.search(row, layout), row


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_annex_workbook_opens(pdf_texts, example):
    text = pdf_texts[example.stem + "-附件.xlsx"]
    assert "绩效评价指标评分表" in text
    assert rt.view(rt.load(example)).total_score.number in text


@pytest.mark.parametrize("example, rows", [
    ("hongyun-2023-key-eval", (r"合计\s+350\s+100\.00%\s+99\.69%", r"部门工作人员\s+50\s+50\s+100\.00%\s+30\.00%\s+30\.00%")),
    ("qingshi-2021-2023-project-key-eval", (r"受益群众\s+260\s+95\s+30\s+10\s+5\s+400\s+87\.19%\s+80\.00%\s+69\.75%",
                                            r"合计\s+440\s+100\.00%\s+88\.50%")),
])
def test_survey_table_figures_whole(pdf_texts, example, rows):
    """The survey table's numbers each on one line: a column is never narrower than its widest figure."""
    layout = pdf_texts[example + ".docx.layout"]
    for row in rows:
        assert re.search(row, layout), row


# --- print-ready pages: widths from content, landscape, the 自评表 on one page ----------------------------

LAYOUTS = tuple(builtin_names())


def pages_of(pdf) -> list[str]:
    """Each page's text as laid out (pdftotext -layout)."""
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    return text.split("\f")[:-1]


def landscape_pages(pdf) -> list[bool]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    return [float(w) > float(h) for w, h in sizes]


@pytest.fixture(scope="module")
def print_ready(tmp_path_factory):
    """A 35-leaf report with three text columns of 40 characters, and the 自评表 alone of the project example and
    of a typical 20-leaf project in every layout, converted in one LibreOffice run."""
    folder = tmp_path_factory.mktemp("print")
    wide = rt.load(write(folder, wide_tree_report(35, 40), "wide.yaml"))
    sources = rt.render(wide, ["docx"], folder)
    for name, data in (("example", None), ("typical", typical_project(20))):
        report = rt.load(PROJECT_EXAMPLE) if data is None else rt.load(write(folder, data, f"{name}.yaml"))
        for layout in LAYOUTS:
            [form] = rt.render_annexes(report, ["docx"], folder / f"{name}-{layout}", only=["self_eval_form"],
                                       form=builtin(layout))
            sources.append(form.rename(folder / f"{name}-{layout}.docx"))  # one name each for one conversion
    result = convert(sources, folder / "pdf")
    assert result.returncode == 0, result.stderr
    return wide, {source.stem: folder / "pdf" / (source.stem + ".pdf") for source in sources}


def test_wide_score_table_turns_landscape_and_takes_at_most_four_pages(print_ready):
    wide, pdfs = print_ready
    pages, turned = pages_of(pdfs["wide"]), landscape_pages(pdfs["wide"])
    first = next(i for i, p in enumerate(pages) if re.search(r"^\s*附件\s*1\s*$", p, re.M))
    last = next(i for i, p in enumerate(pages) if re.search(r"^\s*附件\s*2\s*$", p, re.M)) - 1
    assert last - first + 1 <= 4, f"score table on pages {first + 1}–{last + 1}"
    assert all(turned[first:last + 1]) and not any(turned[:first]) and not any(turned[last + 1:])
    # the text it holds: 35 rows of three 40-character cells would fill about two landscape pages
    text_pages = 35 * 3 * 40 / (53 * 28)
    assert last - first + 1 <= 2 * text_pages + 1
    for page in pages[first + 1:last + 1]:  # never a repeated header with a single row under it
        rows = len(re.findall(r"解释\s*\d+：", page)) + len(re.findall(r"小计|合计", page))
        assert rows >= 2, page
    layout = "\n".join(pages[first:last + 1])
    r = rt.view(wide)
    for figure in (r.total_score.number, r.total_weight.number) + tuple(l1.total_score.number for l1 in r.indicators):
        assert re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d.,%])", layout), figure


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("project", ["example", "typical"])
def test_self_evaluation_form_on_one_page(print_ready, project, layout):
    pdf = print_ready[1][f"{project}-{layout}"]
    pages = pages_of(pdf)
    assert len(pages) == 1, f"{project} {layout}: {len(pages)} pages"
    assert "项目支出绩效自评表" in pages[0] and "总分" in re.sub(r"\s+", "", pages[0])


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_table_figure_whole_on_the_page(pdf_texts, example):
    """Every money figure, percentage and score the tables print is on the page in one piece."""
    layout = pdf_texts[example.stem + ".docx.layout"]
    doc = template_set().build(rt.load(example))
    figures = {c.text for t in doc.tables() for row in t.rows for c in row
               if c.number in ("money", "pct", "points") and not c.covered}
    assert figures
    for figure in sorted(figures):
        assert re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d.,%])", layout), figure


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_annex_workbook_figures_whole_on_the_page(pdf_texts, example):
    """Every figure of the annex tables prints whole from the workbook: no ###, no number broken in its cell."""
    layout = pdf_texts[example.stem + "-附件.xlsx.layout"]
    assert "###" not in layout
    md = rt.annex_bytes(rt.load(example), ["md"])["md"].decode()
    cells = {c.strip().strip("*") for line in md.splitlines() if line.startswith("| ") for c in line.split("|")}
    figures = {c for c in cells if re.fullmatch(r"-?\d[\d,]*(\.\d+)?%?", c)}
    assert figures
    for figure in figures:
        assert re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d.,%])", layout), figure


@pytest.mark.parametrize("example", [e for e in EXAMPLES if rt.load(e).signed_on], ids=lambda p: p.name)
def test_signature_date_never_alone_on_a_page(tmp_path, example):
    """The signer and the date under it print on one page (a long title once pushed the date alone onto the next)."""
    report = rt.load(example)
    [docx] = rt.render(report, ["docx"], tmp_path)
    assert convert([docx], tmp_path / "pdf").returncode == 0
    pages = [re.sub(r"\s+", "", p) for p in pages_of(tmp_path / "pdf" / (docx.stem + ".pdf"))]
    signed = re.escape(re.sub(r"\s+", "", rt.view(report).signer)) + r"(?:—\d+—)?\d{4}年\d{1,2}月"
    assert any(re.search(signed, p) for p in pages)
