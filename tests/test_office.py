"""Every example opens in a real office suite: LibreOffice converts it to PDF and the PDF holds the report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

import reporttool as rt
from reporttool.templates import template_set
from tests.conftest import DEPT_EXAMPLE, EXAMPLES

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
REQUIRED = os.environ.get("REPORTTOOL_REQUIRE_OFFICE") == "1"
TIMEOUT = 300  # a long table can take minutes in LibreOffice; never hang the run

OFFICE_MISSING = None if SOFFICE and PDFTOTEXT else (
    "LibreOffice 或 pdftotext 未安装（apt-get install libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk poppler-utils）")
if OFFICE_MISSING and REQUIRED:
    raise RuntimeError(OFFICE_MISSING + "；REPORTTOOL_REQUIRE_OFFICE=1 要求必须运行")
needs_office = pytest.mark.skipif(bool(OFFICE_MISSING), reason=OFFICE_MISSING or "")
pytestmark = needs_office


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
