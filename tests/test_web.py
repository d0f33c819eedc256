"""`reporttool serve`: every page, download, limit and refusal, through Starlette's in-process client."""
from __future__ import annotations

import io
import re
import tempfile
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from docx import Document
from openpyxl import load_workbook

warnings.filterwarnings("ignore", message=".*httpx2.*")  # Starlette's test client still takes httpx
from starlette.testclient import TestClient  # noqa: E402

import reporttool as rt  # noqa: E402
from reporttool.kinds import KIND_TITLES  # noqa: E402
from reporttool.web import Settings, create_app  # noqa: E402
from reporttool.web.uploads import Limits, safe_name  # noqa: E402
from tests.conftest import DEPT_EXAMPLE, EXAMPLES, PROJECT_EXAMPLE, example_data, needs_office  # noqa: E402

BASE = "http://127.0.0.1"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(workers=2)), base_url=BASE) as c:
        yield c


@pytest.fixture(autouse=True)
def fresh_browser(request):
    """Each test as a new browser: no cookie (a session's outline) carried over from the one before."""
    yield
    if "client" in request.fixturenames:
        request.getfixturevalue("client").cookies.clear()


def downloads(page: str) -> list[str]:
    return re.findall(r'href="(/files/[^"]+)"', page)


def rows(page: str) -> list[list[str]]:
    return [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", page, re.S)]


def disposition_name(response) -> str:
    header = response.headers["content-disposition"]
    assert header.startswith("attachment; filename=\"") and header.split('"')[1].isascii()
    return unquote(header.split("filename*=UTF-8''")[1])


def with_error() -> bytes:
    data = example_data(DEPT_EXAMPLE)
    data["stated_total_score"] = 90  # the leaves give 94.50
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def test_every_page_opens_in_chinese(client):
    for path, heading in (("/", "预算绩效评价报告工具"), ("/draft", "起草报告"), ("/annex", "重新生成附件"),
                          ("/review", "审核报告"), ("/outlines", "大纲")):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f"<h1>{heading}</h1>" in page.text and 'lang="zh-CN"' in page.text
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and "没有这个页面" in missing.text


def test_skeletons_and_outline_files_download_with_chinese_names(client):
    for kind in KIND_TITLES:
        book = client.get(f"/skeleton/{kind}.xlsx")
        assert book.status_code == 200 and book.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert disposition_name(book) == f"{KIND_TITLES[kind]}-填报工作簿.xlsx"
        assert load_workbook(io.BytesIO(book.content)).sheetnames
        text = client.get(f"/skeleton/{kind}.yaml")
        assert yaml.safe_load(text.content)["kind"] == kind
        outline = client.get(f"/outlines/{kind}.yaml")
        assert yaml.safe_load(outline.content)["kind"] == kind and disposition_name(outline) == f"{kind}-大纲.yaml"
    assert client.get("/skeleton/nokind.xlsx").status_code == 404


def test_outlines_page_numbers_by_position_and_checks_an_upload(client):
    page = client.get("/outlines").text
    assert "一、部门概况" in page and "（一）部门机构设置、编制" in page
    exported = client.get("/outlines/dept_self.yaml").content
    ok = client.post("/outlines", files={"outline": ("我们的大纲.yaml", exported)})
    assert ok.status_code == 200 and "我们的大纲.yaml" in ok.text and "正在使用" in ok.text
    bad = client.post("/outlines", files={"outline": ("坏.yaml", b"kind: dept_self\nsections: []\n")})
    assert bad.status_code == 422 and "可以使用" not in bad.text and "章节" in bad.text


def test_a_clean_file_is_drafted_and_every_output_downloads(client):
    sent = client.post("/draft", files={"file": ("西山.yaml", DEPT_EXAMPLE.read_bytes())},
                       data={"formats": ["docx", "md"], "annex_formats": ["xlsx"]})
    assert sent.status_code == 200 and "已生成" in sent.text
    links = downloads(sent.text)
    names = {unquote(link.rsplit("/", 1)[1]) for link in links}
    assert names == {"西山.docx", "西山.md", "西山-附件.xlsx", "全部.zip"}
    got = {unquote(link.rsplit("/", 1)[1]): client.get(link) for link in links}
    assert got["西山.docx"].headers["content-type"].endswith("wordprocessingml.document")
    assert got["西山.md"].headers["content-type"].startswith("text/markdown")
    headings = [p.text for p in Document(io.BytesIO(got["西山.docx"].content)).paragraphs if p.style.name.startswith("Heading 1")]
    markdown = got["西山.md"].content.decode("utf-8")
    assert headings and all(h in markdown for h in headings)
    assert "94.50" in markdown
    with zipfile.ZipFile(io.BytesIO(got["全部.zip"].content)) as z:
        assert sorted(z.namelist()) == ["西山-附件.xlsx", "西山.docx", "西山.md"]
        assert z.read("西山.docx") == got["西山.docx"].content
    assert disposition_name(got["西山-附件.xlsx"]) == "西山-附件.xlsx"


def test_problems_are_listed_with_place_and_both_figures_and_nothing_is_made(client):
    refused = client.post("/draft", files={"file": ("有误.yaml", with_error())})
    assert refused.status_code == 422 and "未生成" in refused.text and not downloads(refused.text)
    table = [r for r in rows(refused.text) if len(r) == 5]
    total = next(r for r in table if "90" in r[2])
    assert total[0].startswith("第") and total[0].endswith("列") and total[3].startswith("94.5")
    assert "/tmp" not in refused.text  # the server's folders are not the user's business
    forced = client.post("/draft", files={"file": ("有误.yaml", with_error())}, data={"force": "on"})
    assert forced.status_code == 200 and [unquote(x.rsplit("/", 1)[1]) for x in downloads(forced.text)] == ["有误.docx", "有误.md", "全部.zip"]


def test_a_workbook_is_drafted_with_its_cells_named(client):
    from reporttool.convert import data_bytes
    data = example_data(DEPT_EXAMPLE)
    data["stated_total_score"] = 90
    book = data_bytes("dept_self", data, Path("填报.xlsx"))
    page = client.post("/draft", files={"file": ("填报.xlsx", book)})
    assert page.status_code == 422
    assert any("!" in r[0] for r in rows(page.text) if len(r) == 5)  # 工作表!单元格


def test_annexes_alone(client):
    page = client.post("/annex", files={"file": ("西山.yaml", DEPT_EXAMPLE.read_bytes())},
                       data={"only": ["score_table"], "formats": ["xlsx", "docx"]})
    assert page.status_code == 200
    names = sorted(unquote(x.rsplit("/", 1)[1]) for x in downloads(page.text))
    assert names == ["全部.zip", "西山-附件.docx", "西山-附件.xlsx"]
    wrong = client.post("/annex", files={"file": ("西山.yaml", DEPT_EXAMPLE.read_bytes())}, data={"only": ["self_eval_form"]})
    assert wrong.status_code == 422 and not downloads(wrong.text)


@pytest.mark.parametrize("name, content, message", [
    ("报告.docx", b"PK", "不是数据文件"),
    ("data.yaml", b"kind: [unclosed\n", "第"),
    ("data.xlsx", b"not a workbook", "xlsx"),
])
def test_bad_files_get_a_message_not_a_500(client, name, content, message):
    page = client.post("/draft", files={"file": (name, content)})
    assert page.status_code in (400, 422) and message in page.text and "Traceback" not in page.text
    assert client.get("/").status_code == 200  # and the server goes on


def test_a_missing_file_and_a_wrong_kind_of_outline(client):
    assert "请选择数据文件" in client.post("/draft", data={"formats": ["docx"]}, files={"x": ("", b"")}).text
    other = client.get("/outlines/project_self.yaml").content
    page = client.post("/draft", files={"file": ("西山.yaml", DEPT_EXAMPLE.read_bytes()), "outline": ("项目.yaml", other)})
    assert page.status_code in (400, 422) and "大纲是 project_self 类型" in page.text


def received_zip() -> bytes:
    docx = rt.render_bytes(rt.load(DEPT_EXAMPLE), ["docx"])["docx"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("一科/西山.docx", docx)
        z.writestr("../../逃出.docx", docx)                       # zip slip
        z.writestr("二科/炸弹.docx", b"\0" * (3 * 2 ** 20))         # unpacks past the per-file limit
        z.writestr("套娃.zip", b"PK")
        z.writestr("损坏.docx", b"PK\x03\x04 not really")
    return buffer.getvalue()


def test_review_reads_a_zip_as_a_folder_and_refuses_what_escapes_or_explodes():
    app = create_app(Settings(workers=1, limits=Limits(file_bytes=2 * 2 ** 20)))
    with TestClient(app, base_url=BASE) as c:
        page = c.post("/review", files=[("files", ("收到.zip", received_zip())), ("files", ("另一份.md", b"# x\n"))],
                      data={"kind": "auto"})
        assert page.status_code == 200
        text = page.text
        assert "指向压缩包之外" in text and "超过 2 MB" in text and "只展开一层" in text
        summary = {r[0]: r for r in rows(text) if len(r) == 6}
        files = {re.sub(r"<[^>]+>", "", k): v for k, v in summary.items()}
        assert files["收到/一科/西山.docx"][1] == "部门整体支出绩效自评报告" and files["收到/一科/西山.docx"][4].endswith("0")
        assert "收到/损坏.docx" in files and "另一份.md" in files and not any("逃出" in f for f in files)
        assert "reporttool-serve" not in text and tempfile.gettempdir() + "/" not in text  # only the names sent
        book = c.get(downloads(text)[0])
        assert disposition_name(book) == "审核汇总.xlsx"
        sheet = load_workbook(io.BytesIO(book.content))["汇总"]
        assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == set(files)


def test_sizes_counts_and_time_are_limited():
    limits = Limits(file_bytes=1000, request_bytes=50_000, files=2, seconds=0.001)
    with TestClient(create_app(Settings(workers=1, limits=limits)), base_url=BASE, raise_server_exceptions=False) as c:
        big = c.post("/draft", files={"file": ("大.yaml", b"#" * 2000)})
        assert big.status_code == 400 and "超过 1 KB，未处理" in big.text
        huge = c.post("/draft", files={"file": ("巨.yaml", b"#" * 60_000)})
        assert huge.status_code == 413 and "上传过大" in huge.text
        many = c.post("/review", files=[("files", (f"{i}.md", b"#")) for i in range(5)])
        assert many.status_code == 400
        slow = c.post("/draft", files={"file": ("西.yaml", b"kind: dept_self\n")})
        assert slow.status_code == 400 and "处理超过" in slow.text
        assert c.get("/").status_code == 200


def test_token_host_and_length_are_checked():
    with TestClient(create_app(Settings(workers=1, token="口令42")), base_url=BASE) as c:
        assert c.get("/").status_code == 401
        first = c.get("/?token=%E5%8F%A3%E4%BB%A442")
        assert first.status_code == 200 and "reporttool_token" in first.headers["set-cookie"]
        assert "?token=" in first.text  # the links carry it
        assert c.get("/draft").status_code == 200  # the cookie now does
    with TestClient(create_app(Settings(workers=1, token="t")), base_url=BASE) as c:
        assert c.get("/", headers={"X-Reporttool-Token": "t"}).status_code == 200
        assert c.get("/", headers={"Authorization": "Bearer t"}).status_code == 200
    with TestClient(create_app(Settings(workers=1)), base_url="http://evil.example") as c:
        assert c.get("/").status_code == 400  # a page bound to this machine answers only its own names
    with TestClient(create_app(Settings(workers=1)), base_url=BASE) as c:
        chunked = c.post("/draft", content=iter([b"x"]), headers={"content-type": "multipart/form-data; boundary=x"})
        assert chunked.status_code == 411


def test_uploads_leave_nothing_behind_unless_kept(tmp_path, client):
    before = set(Path(tempfile.gettempdir()).glob("reporttool-serve-*"))
    client.post("/draft", files={"file": ("西山.yaml", DEPT_EXAMPLE.read_bytes())})
    client.post("/draft", files={"file": ("坏.yaml", b"kind: [")})
    assert set(Path(tempfile.gettempdir()).glob("reporttool-serve-*")) == before
    with TestClient(create_app(Settings(workers=1, data=tmp_path)), base_url=BASE) as c:
        c.post("/draft", files={"file": ("西山.yaml", DEPT_EXAMPLE.read_bytes())})
    kept = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert "西山.yaml" in kept and "西山.docx" in kept


def test_results_are_not_shared_between_uploads(client):
    link = downloads(client.post("/draft", files={"file": ("西山.yaml", DEPT_EXAMPLE.read_bytes())}).text)[0]
    token = link.split("/")[2]
    assert len(token) >= 32 and client.get(link).status_code == 200
    assert client.get(link.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404


def test_twenty_uploads_at_once(client):
    def one(i: int) -> int:
        page = client.post("/draft", files={"file": (f"报告{i}.yaml", DEPT_EXAMPLE.read_bytes())})
        return page.status_code if "已生成" in page.text else -1
    with ThreadPoolExecutor(20) as pool:
        assert list(pool.map(one, range(20))) == [200] * 20


def test_every_example_drafts_clean(client):
    for example in EXAMPLES:
        page = client.post("/draft", files={"file": (example.name, example.read_bytes())})
        assert page.status_code == 200 and "0 个错误" in page.text, example.name


@pytest.mark.parametrize("raw, safe", [("../../etc/passwd", "passwd"), ("C:\\Users\\a\\报告.docx", "报告.docx"),
                                       ("a<b>:|.yaml", "ab.yaml"), ("\x00\x1f", "上传文件"), (".yaml", "上传文件.yaml")])
def test_upload_names_stay_in_their_folder(raw, safe):
    assert safe_name(raw) == safe


def test_the_command_starts_the_page_as_asked(monkeypatch, tmp_path):
    import uvicorn
    from typer.testing import CliRunner

    from reporttool.cli import app

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda asgi, **kw: started.append((asgi, kw)))
    runner = CliRunner()
    alone = runner.invoke(app, ["serve", "--port", "8123", "--max-file-mb", "5"])
    assert alone.exit_code == 0 and "http://127.0.0.1:8123/" in alone.output and "注意" not in alone.output
    assert started[-1][1] == {"host": "127.0.0.1", "port": 8123, "log_level": "warning"}
    with TestClient(started[-1][0], base_url=BASE) as c:
        assert "单个文件不超过 5 MB" in c.get("/draft").text
    shared = runner.invoke(app, ["serve", "--host", "0.0.0.0"])
    assert shared.exit_code == 0 and "局域网内任何人都能打开" in shared.output
    guarded = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--token", "t1", "--data", str(tmp_path)])
    assert "注意" not in guarded.output and "?token=t1" in guarded.output
    with TestClient(started[-1][0], base_url="http://192.168.1.5:8000") as c:
        assert c.get("/").status_code == 401 and c.get("/?token=t1").status_code == 200  # any name, but the token


def test_a_task_is_timed_from_when_a_worker_takes_it_not_while_it_waits():
    import asyncio
    import time as clock

    from reporttool.errors import UserError
    from reporttool.web.pool import Workers

    async def go(workers: Workers) -> None:
        together = await asyncio.gather(*(workers.run(clock.sleep, 0.3) for _ in range(4)), return_exceptions=True)
        assert together == [None] * 4  # 1.2 s in all on one worker, each well inside its second
        with pytest.raises(UserError, match="处理超过 1 秒"):
            await workers.run(clock.sleep, 3)
        assert await workers.run(clock.sleep, 0) is None  # the renewed pool goes on

    workers = Workers(1, seconds=1.0)
    try:
        asyncio.run(go(workers))
    finally:
        workers.close()


def test_a_worker_slow_to_start_does_not_use_up_the_first_task_s_time():
    import asyncio
    import time as clock
    from functools import partial

    from reporttool.web.pool import Workers

    workers = Workers(1, seconds=1.0, start=partial(clock.sleep, 1.5))  # a start as slow as a loaded machine's
    try:
        assert asyncio.run(workers.run(clock.sleep, 0.3)) is None
    finally:
        workers.close()


@needs_office
def test_a_report_and_its_annexes_as_pdf(client):
    assert 'value="pdf"' in client.get("/draft").text  # offered only where the office suite is
    page = client.post("/draft", files={"file": ("西山.yaml", DEPT_EXAMPLE.read_bytes())},
                       data={"formats": ["docx", "pdf"], "annex_formats": ["pdf"]})
    assert page.status_code == 200
    names = {unquote(x.rsplit("/", 1)[1]): x for x in downloads(page.text)}
    assert set(names) == {"西山.docx", "西山.pdf", "西山-附件.pdf", "全部.zip"}
    pdf = client.get(names["西山.pdf"])
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_an_outline_uploaded_once_serves_the_session_until_cleared(client):
    adapted = yaml.safe_load(client.get("/outlines/dept_self.yaml").content)
    next(s for s in adapted["sections"] if s["id"] == "problems")["title"] = "存在的主要问题"  # the bureau's wording
    text = yaml.safe_dump(adapted, allow_unicode=True).encode()
    set_ = client.post("/outlines", files={"outline": ("本局大纲.yaml", text)})
    assert set_.status_code == 200 and "正在使用：本局大纲.yaml（部门整体支出绩效自评报告）" in set_.text
    form = client.get("/draft").text
    assert 'name="session_outline" checked' in form and "本局大纲.yaml" in form
    project = rt.render_bytes(rt.load(PROJECT_EXAMPLE), ["md"])["md"]
    kinds = [next(r[1] for r in rows(client.post("/review", files=[("files", ("项目.md", project))], data=sent).text)
                  if len(r) == 6) for sent in ({"session_outline": "on"}, {})]
    assert kinds == ["部门整体支出绩效自评报告", "项目支出绩效自评报告"]  # the outline says the kind, as --outline does
    with_it = client.post("/draft", files={"file": ("西山.yaml", DEPT_EXAMPLE.read_bytes())},
                          data={"formats": ["md"], "session_outline": "on"})
    without = client.post("/draft", files={"file": ("西山.yaml", DEPT_EXAMPLE.read_bytes())}, data={"formats": ["md"]})
    drafted = [client.get(downloads(p.text)[0]).text for p in (with_it, without)]
    assert "## 五、存在的主要问题" in drafted[0] and "## 五、存在的问题" in drafted[1]
    cleared = client.post("/outlines", data={"clear": "on"}, files={"x": ("", b"")})
    assert cleared.status_code == 200 and "正在使用" not in cleared.text
    assert 'name="session_outline"' not in client.get("/draft").text
