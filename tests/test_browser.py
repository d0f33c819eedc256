"""The page in a real browser: Debian's Chromium, driven headless by Playwright (no browser download).

CI sets REPORTTOOL_REQUIRE_BROWSER=1: there the test must run, not skip. Screenshots go to
REPORTTOOL_SCREENSHOTS when set (to look at the pages), else to the test's own folder."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from docx import Document

from reporttool.convert import data_bytes
from reporttool.web import Settings, create_app
from tests.conftest import DEPT_EXAMPLE, example_data

CHROMIUM = os.environ.get("REPORTTOOL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("REPORTTOOL_REQUIRE_BROWSER") == "1"
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None
MISSING = ("找不到 Chromium（apt-get install chromium）" if not CHROMIUM else
           "没有安装 playwright（pip install -e '.[test]'）" if sync_playwright is None else "")
if MISSING and REQUIRED:
    raise RuntimeError(MISSING + "；REPORTTOOL_REQUIRE_BROWSER=1 要求必须运行")
pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING)


@pytest.fixture(scope="module")
def server():
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(Settings(port=port, workers=2)), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(200):
        if running.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("REPORTTOOL_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def workbook_with_an_error(tmp_path: Path) -> Path:
    data = example_data(DEPT_EXAMPLE)
    data["stated_total_score"] = 90  # the leaves give 94.50
    path = tmp_path / "西山填报.xlsx"
    path.write_bytes(data_bytes("dept_self", data, path))
    return path


def test_a_clerk_drafts_a_report_and_a_reviewer_reads_a_summary(server, browser, tmp_path, shots):
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN")
    page.goto(server + "/")
    page.screenshot(path=str(shots / "1-首页.png"), full_page=True)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "A"  # the page is walked by keyboard

    page.goto(server + "/draft")
    page.screenshot(path=str(shots / "2-起草.png"), full_page=True)
    assert page.evaluate("[...document.querySelectorAll('input, select')].every(e => e.labels.length > 0)")
    page.focus("#file")
    for _ in range(15):  # every field in turn, then the button, by keyboard alone
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    assert page.evaluate("document.activeElement.textContent") == "检查并生成"
    book = workbook_with_an_error(tmp_path)
    page.set_input_files("#file", str(book))
    page.click("button[type=submit]")
    page.wait_for_selector("section.errors table")
    page.screenshot(path=str(shots / "3-问题.png"), full_page=True)
    cells = page.locator("section.errors tbody tr").first.locator("td").all_inner_texts()
    assert "!" in cells[0] and cells[1] == "总得分（填报数）" and cells[2:4] == ["90.00", "94.50"]
    assert page.locator("ul.downloads").count() == 0

    page.goto(server + "/draft")
    page.set_input_files("#file", str(book))
    page.check("input[name=force]")
    page.check("input[name=formats][value=md]")
    page.click("button[type=submit]")
    page.wait_for_selector("ul.downloads")
    listed = page.locator("ul.downloads li").all_inner_texts()
    assert listed == ["西山填报-附件.xlsx", "西山填报.docx", "西山填报.md", "全部文件（.zip）"]
    page.screenshot(path=str(shots / "4-下载.png"), full_page=True)
    with page.expect_download() as info:
        page.click("text=西山填报.docx")
    download = info.value
    assert download.suggested_filename == "西山填报.docx"
    saved = tmp_path / "下载.docx"
    download.save_as(str(saved))
    doc = Document(str(saved))
    assert any("部门整体支出绩效自评报告" in p.text for p in doc.paragraphs[:3])

    received = tmp_path / "收到"
    received.mkdir()
    import reporttool as rt
    report = rt.load(DEPT_EXAMPLE)
    (received / "西山.docx").write_bytes(rt.render_bytes(report, ["docx"])["docx"])
    (received / "西山.md").write_bytes(rt.render_bytes(report, ["md"])["md"])
    (received / "损坏.docx").write_bytes(b"PK\x03\x04 broken")
    page.goto(server + "/review")
    page.screenshot(path=str(shots / "5-审核.png"), full_page=True)
    page.set_input_files("#files", [str(p) for p in sorted(received.iterdir())])
    page.click("button[type=submit]")
    page.wait_for_selector("tbody tr")
    page.screenshot(path=str(shots / "6-审核结果.png"), full_page=True)
    summary = {r.locator("td").first.inner_text(): r.locator("td").all_inner_texts()
               for r in page.locator("main > table tbody tr").all()}
    assert summary["西山.docx"][1:4] == ["部门整体支出绩效自评报告", "94.50", "优"] and summary["西山.docx"][4] == "0"
    assert summary["西山.md"][4] == "0" and summary["损坏.docx"][4] == "1"

    page.goto(server + "/annex")
    page.screenshot(path=str(shots / "8-附件.png"), full_page=True)
    assert page.locator("input[name=formats][value=xlsx]").is_checked()

    page.goto(server + "/outlines")
    assert page.locator("text=一、部门概况").count() >= 1
    with page.expect_download() as info:
        page.locator("details").first.locator("text=下载大纲文件").click()
    adapted = tmp_path / "本局大纲.yaml"
    info.value.save_as(str(adapted))
    adapted.write_text(adapted.read_text(encoding="utf-8").replace("title: 存在的问题", "title: 存在的主要问题"), encoding="utf-8")
    page.set_input_files("#outline", str(adapted))
    page.click("text=检查并使用")
    page.wait_for_selector("text=正在使用")
    page.screenshot(path=str(shots / "7-大纲.png"), full_page=True)
    page.goto(server + "/review")
    assert page.locator("input[name=session_outline]").is_checked()  # the session's outline, until cleared
