"""PDF through the office suite, and the table of contents in Word, Markdown and PDF."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile

import pytest
import yaml
from typer.testing import CliRunner

import reporttool as rt
from reporttool import office
from reporttool.cli import app
from reporttool.document import TOC_TITLE, Document, Heading, add_toc
from reporttool.formats.docx import toc_style_ids
from reporttool.formats.markdown import heading_anchors
from reporttool.formats.pdf import heading_pages
from reporttool.model import REPORT_KINDS
from reporttool.templates import BUILTIN, TemplateSet, kind_file, template_set
from tests.conftest import DEPT_EXAMPLE, HONGYUN_EXAMPLE, PDFTOTEXT, SOFFICE, example_data, needs_office, visible, write
from tests.docx_reader import read_docx

posix_scripts = pytest.mark.skipif(sys.platform == "win32", reason="stand-in programs are shell scripts")

runner = CliRunner(env={"COLUMNS": "300"})


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def script(folder, name: str, body: str):
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    path.chmod(0o755)
    return path


# A stand-in office suite that "converts" every input into a PDF with no bookmarks.
FAKE_SOFFICE = f"""#!{sys.executable}
import pathlib, sys
args = sys.argv[1:]
out = pathlib.Path(args[args.index("--outdir") + 1])
out.mkdir(parents=True, exist_ok=True)
for arg in args:
    if arg.endswith(".docx"):
        (out / (pathlib.Path(arg).stem + ".pdf")).write_bytes(b"%PDF-1.4\\n%%EOF\\n")
"""


def toc_lines(docx_bytes: bytes) -> list[tuple[str, str]]:
    """(style, text) of each line of a Word file's table of contents."""
    return [(p.style.name, p.text) for p in read_docx(docx_bytes).doc.paragraphs if re.fullmatch(r"toc \d", p.style.name, re.I)]


def xml_part(docx_bytes: bytes, part: str) -> str:
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as z:
        return z.read(part).decode("utf-8")


# --- with LibreOffice --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hongyun_pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    result = runner.invoke(app, ["render", str(HONGYUN_EXAMPLE), "-f", "docx,pdf,md", "-o", str(out)])
    pdf = out / "hongyun-2023-key-eval.pdf"
    pages = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, check=True,
                           timeout=60).stdout.split("\f") if pdf.exists() else []
    return result, out, pages


@needs_office
def test_render_pdf_holds_the_report_and_its_contents_with_page_numbers(hongyun_pdf):
    result, out, pages = hongyun_pdf
    assert result.exit_code == 0, result.output
    assert visible(out) == ["hongyun-2023-key-eval.docx", "hongyun-2023-key-eval.md", "hongyun-2023-key-eval.pdf"]
    assert f"已生成 {out / 'hongyun-2023-key-eval.pdf'}" in result.stdout
    doc = template_set().build(rt.load(HONGYUN_EXAMPLE))
    text = squeeze("".join(pages))
    assert squeeze(doc.title) in text
    for heading in doc.headings():
        assert squeeze(heading.text) in text, heading.text
    # the contents page lists every 一、 heading with the page the heading is printed on
    assert squeeze(TOC_TITLE) in squeeze(pages[0])
    listed = {}
    for page in pages:
        for line in page.splitlines():
            m = re.fullmatch(r"(.+?)\.{3,}\s*(\d+)", squeeze(line))
            if m:
                listed[m.group(1)] = int(m.group(2))
    contents_end = max(i for i, page in enumerate(pages) if re.search(r"\.{10,}\s*\d+", page))
    level_one = [h for h in doc.headings() if h.level == 1]
    assert level_one and all(squeeze(h.text) in listed for h in level_one), listed
    for heading in level_one:
        page = listed[squeeze(heading.text)]
        assert page > contents_end + 1
        found = [i + 1 for i, p in enumerate(pages) if i > contents_end and squeeze(heading.text) in squeeze(p)]
        assert found and found[0] == page, (heading.text, page, found)


@needs_office
def test_docx_made_with_the_pdf_carries_its_page_numbers(hongyun_pdf):
    _, out, _ = hongyun_pdf
    raw = (out / "hongyun-2023-key-eval.docx").read_bytes()
    pdf = (out / "hongyun-2023-key-eval.pdf").read_bytes()
    marks = dict(heading_pages(pdf))
    lines = toc_lines(raw)
    assert lines and all("\t" in text for _, text in lines)
    for _, text in lines:
        title, page = text.split("\t")
        assert marks[title] == int(page), text
    assert "updateFields" not in xml_part(raw, "word/settings.xml")  # nothing left for Word to fill in
    assert ' TOC \\o "1-2" \\h \\z \\u ' in xml_part(raw, "word/document.xml")


@needs_office
def test_annex_pdf(tmp_path):
    result = run("annex", DEPT_EXAMPLE, "-f", "pdf", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert visible(tmp_path) == ["xishan-2024-dept-self-附件.pdf"]
    text = squeeze(subprocess.run([PDFTOTEXT, str(tmp_path / "xishan-2024-dept-self-附件.pdf"), "-"],
                                  capture_output=True, text=True, check=True, timeout=60).stdout)
    assert "附件1" in text and "绩效评价指标评分表" in text


# --- the office suite absent, stuck or substituting fonts -----------------------------------------

def test_pdf_without_office_suite_is_one_message_and_nothing_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv(office.ENV_PROGRAM, "")
    monkeypatch.setattr(office, "INSTALLED", ())
    out = tmp_path / "out"
    result = run("render", DEPT_EXAMPLE, "-f", "docx,pdf", "-o", out)
    assert result.exit_code == 1
    assert office.INSTALL in result.stderr.splitlines()
    assert "apt-get install libreoffice-writer-nogui" in office.INSTALL and "libreoffice.org" in office.INSTALL
    assert not out.exists()


def test_pdf_is_not_a_default_format(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv(office.ENV_PROGRAM, "")
    result = run("render", DEPT_EXAMPLE, "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert visible(tmp_path) == ["xishan-2024-dept-self.docx", "xishan-2024-dept-self.md"]
    assert "pdf（PDF，需要 LibreOffice）" in run("render", "--help").stdout


@posix_scripts
def test_a_stuck_office_suite_is_killed_and_nothing_written(tmp_path, monkeypatch):
    soffice = script(tmp_path / "bin", "soffice", f"#!/bin/sh\nsleep 60 &\necho $! > {tmp_path / 'pid'}\nwait\n")
    monkeypatch.setenv(office.ENV_PROGRAM, str(soffice))
    monkeypatch.setenv(office.ENV_TIMEOUT, "0.5")
    out = tmp_path / "out"
    result = run("render", DEPT_EXAMPLE, "-f", "docx,pdf", "-o", out)
    assert result.exit_code == 1
    title = rt.view(rt.load(DEPT_EXAMPLE)).report_title
    assert f"LibreOffice 转换超时（每个文件限 0.5 秒）：「{title}」未能转换为 PDF；未写入任何文件" in result.stderr
    assert not out.exists()
    assert gone(int((tmp_path / "pid").read_text()))  # what the office suite started is killed with it


def gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for a parent that is not ours counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = f"/proc/{pid}/stat"
    return os.path.exists(stat) and open(stat).read().rsplit(")", 1)[1].split()[0] == "Z"


@posix_scripts
def test_office_suite_named_by_the_environment_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv(office.ENV_PROGRAM, str(tmp_path / "nowhere" / "soffice"))
    result = run("annex", DEPT_EXAMPLE, "-f", "pdf", "-o", tmp_path / "out")
    assert result.exit_code == 1 and f"环境变量 {office.ENV_PROGRAM} 指向的" in result.stderr
    assert not (tmp_path / "out").exists()


def stand_ins(tmp_path, monkeypatch, fc_match: str) -> None:
    """A stand-in office suite, and fc-match answering as ``fc_match`` (a shell script) does."""
    bin_dir = tmp_path / "bin"
    script(bin_dir, "fc-match", fc_match)
    monkeypatch.setenv(office.ENV_PROGRAM, str(script(bin_dir, "soffice", FAKE_SOFFICE)))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


@posix_scripts
def test_substituted_fonts_are_warned_once_each(tmp_path, monkeypatch):
    stand_ins(tmp_path, monkeypatch, "#!/bin/sh\necho 'Noto Serif CJK SC'\n")
    result = run("render", HONGYUN_EXAMPLE, "-f", "pdf,docx", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    warning = f"{HONGYUN_EXAMPLE}: ［警告］ 字体「方正小标宋简体」未安装，PDF 中以「Noto Serif CJK SC」代替"
    assert result.stderr.count(warning) == 1
    for font in ("仿宋_GB2312", "黑体", "楷体_GB2312"):
        assert f"字体「{font}」未安装" in result.stderr
    assert "Courier" not in result.stderr  # named by a style no text uses
    assert visible(tmp_path / "out") == ["hongyun-2023-key-eval.docx", "hongyun-2023-key-eval.pdf"]
    # a PDF without bookmarks gives no page numbers: Word is asked to fill them in
    raw = (tmp_path / "out" / "hongyun-2023-key-eval.docx").read_bytes()
    assert '<w:updateFields w:val="true"/>' in xml_part(raw, "word/settings.xml")


@posix_scripts
def test_installed_fonts_are_not_warned(tmp_path, monkeypatch):
    # every font asked for is there: fc-match answers with the family asked for
    stand_ins(tmp_path, monkeypatch, "#!/bin/sh\nprintf '%s' \"$3\" | sed -e 's/:lang=.*//' -e 's/\\\\//g'\n")
    result = run("render", DEPT_EXAMPLE, "-f", "pdf", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "［警告］ 字体" not in result.stderr


# --- the table of contents -------------------------------------------------------------------------

def test_docx_contents_field_lists_the_headings_when_no_office_suite_is_used(tmp_path):
    result = run("render", HONGYUN_EXAMPLE, "-f", "docx", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    raw = (tmp_path / "hongyun-2023-key-eval.docx").read_bytes()
    docx = read_docx(raw)
    headings = [(level, text) for level, text in docx.headings if level <= 2]
    assert [(int(style[-1]), text) for style, text in toc_lines(raw)] == headings  # no page numbers yet
    paragraphs = [(p.style.name, p.text) for p in docx.doc.paragraphs]
    assert paragraphs[1] == ("TOC Heading", TOC_TITLE)  # after the title, and not itself listed
    assert docx.headings[0] == (1, "一、部门基本情况")
    body = xml_part(raw, "word/document.xml")
    assert body.count('<w:instrText xml:space="preserve"> TOC \\o "1-2" \\h \\z \\u </w:instrText>') == 1
    # every line links to a bookmark on its heading
    for anchor in re.findall(r'<w:hyperlink w:anchor="([^"]+)"', body):
        assert f'w:name="{anchor}"/>' in body
    # the contents end, a new page begins, and the body follows
    assert body.index('w:fldCharType="end"') < body.index('<w:br w:type="page"/>') < body.rindex(">一、部门基本情况<")
    assert '<w:updateFields w:val="true"/>' in xml_part(raw, "word/settings.xml")  # Word fills in the pages
    styles = xml_part(raw, "word/styles.xml")
    for level in (1, 2):
        assert f'<w:outlineLvl w:val="{level - 1}"/>' in re.search(
            rf'<w:style [^>]*w:styleId="Heading{level}".*?</w:style>', styles, re.S).group(0)


def test_markdown_contents_link_to_the_headings(tmp_path):
    result = run("render", HONGYUN_EXAMPLE, "-f", "md", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    md = (tmp_path / "hongyun-2023-key-eval.md").read_text(encoding="utf-8")
    links = re.findall(r"^( *)- \[(.+)\]\(#(.+)\)$", md, re.M)
    headings = re.findall(r"^(##|###) (.+)$", md, re.M)
    assert [(len(indent) // 2 + 1, text) for indent, text, _ in links] == [(len(marks) - 1, t) for marks, t in headings]
    assert ("", "一、部门基本情况", "一部门基本情况") in links
    assert f"**{TOC_TITLE}**" in md.split("## 一、")[0]


def test_markdown_anchors_of_repeated_headings_are_numbered():
    doc = Document(kind="key_eval", title="报告", blocks=[
        Heading(1, "一、", "问题", "a"), Heading(2, "（一）", "Budget 执行", "b"), Heading(1, "二、", "问题", "c"),
        Heading(2, "（一）", "Budget 执行", "d")])
    add_toc(doc)
    assert list(heading_anchors(doc).values()) == ["一问题", "一budget-执行", "二问题", "一budget-执行-1"]


@pytest.mark.parametrize("kind", list(REPORT_KINDS))
def test_contents_follow_the_setting_else_the_outline(tmp_path, kind):
    data = yaml.safe_load((BUILTIN / kind_file(kind, "skeleton.yaml")).read_text(encoding="utf-8"))
    templates = template_set()
    by_default = templates.outline(kind).toc
    assert by_default == kind.startswith("key_eval")  # third-party reports are long
    for setting, expected in ((None, by_default), ("是", True), ("否", False)):
        if setting is not None:
            data["settings"] = {"toc": setting}
        doc = templates.build(rt.load(write(tmp_path, data)))
        assert (doc.toc() is not None) == expected, (kind, setting)
        md = rt.render_bytes(rt.load(write(tmp_path, data)), ["md"])["md"].decode("utf-8")
        assert (f"**{TOC_TITLE}**" in md) == expected


def test_contents_setting_is_yes_or_no(tmp_path):
    data = example_data(DEPT_EXAMPLE)
    data.setdefault("settings", {})["toc"] = "也许"
    result = run("validate", write(tmp_path, data))
    assert result.exit_code == 1 and "settings.toc（设置·目录） 应为 是 或 否，收到 也许" in result.stdout


def test_dept_report_has_contents_only_when_asked(tmp_path):
    plain = rt.render_bytes(rt.load(DEPT_EXAMPLE), ["docx"])["docx"]
    assert toc_lines(plain) == [] and "updateFields" not in xml_part(plain, "word/settings.xml")
    data = example_data(DEPT_EXAMPLE)
    data.setdefault("settings", {})["toc"] = "是"
    asked = rt.render_bytes(rt.load(write(tmp_path, data)), ["docx"])["docx"]
    listed = [(int(style[-1]), text) for style, text in toc_lines(asked)]
    assert listed and listed == [(level, text) for level, text in read_docx(asked).headings if level <= 2]


@needs_office
def test_contents_keep_their_styles_in_a_template_saved_by_libreoffice(tmp_path):
    saved = tmp_path / "saved"
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to",
                    "docx:MS Word 2007 XML", "--outdir", str(saved), str(BUILTIN / "report.docx")],
                   capture_output=True, timeout=300, check=True)
    assert 'w:styleId="Contents1"' in xml_part((saved / "report.docx").read_bytes(), "word/styles.xml")  # renamed
    raw = rt.render_bytes(rt.load(HONGYUN_EXAMPLE), ["docx"], templates=TemplateSet(saved))["docx"]
    docx = read_docx(raw)
    assert [(int(style[-1]), text) for style, text in toc_lines(raw)] == [h for h in docx.headings if h[0] <= 2]
    assert toc_style_ids(xml_part(raw, "word/styles.xml").encode()) == {1: "Contents1", 2: "Contents2"}


def test_pdf_bookmarks_of_a_file_that_is_not_ours_are_none():
    assert heading_pages(b"") == [] and heading_pages(b"%PDF-1.4\n%%EOF\n") == []
    assert heading_pages(b"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer\n<</Root 9 0 R>>\nstartxref\n9\n%%EOF") == []
