"""`reporttool serve`: the library's draft, annex, review and outline work as Chinese web pages.

Nothing here decides a figure or a rule: each page hands its upload to the batch runner's work
function in a worker process and shows what comes back. Each request's files live in a folder of its
own, removed when the response is made (kept under --data when the operator asks); what it made is kept
for download a short while under an address no other request can guess.
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
import shutil
import tempfile
import threading
import time
import zipfile
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import batch
from ..errors import ERROR, WARNING, Problem, UserError
from ..formats import ANNEX_FORMATS, DEFAULT_ANNEX_FORMATS, DEFAULT_REPORT_FORMATS, FORMATS, REPORT_FORMATS
from ..kinds import KIND_TITLES
from .pool import Workers
from .uploads import MB, Limits, safe_name, save, unpack

HERE = Path(__file__).parent
DATA_SUFFIXES = (".xlsx", ".yaml", ".yml")
OUTLINE_SUFFIXES = (".yaml", ".yml")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
MEDIA = {**{f.suffix: f.media_type for f in FORMATS.values()}, ".yaml": "application/yaml; charset=utf-8",
         ".zip": "application/zip"}
TOKEN_COOKIE = "reporttool_token"
OUTLINE_COOKIE = "reporttool_outline"  # the browser's adapted outline, by its token in Results
PAGE_ANNEX_FORMATS = ("xlsx",)  # ticked at first: annex tables go on being edited in Excel


@dataclass(frozen=True)
class Choice:
    """One checkbox of a form."""
    name: str
    label: str
    checked: bool = False


def format_choices(names: tuple[str, ...], ticked: tuple[str, ...], office: bool) -> list[Choice]:
    """The output formats a form offers, from the registry; those the office suite makes only when it is here."""
    offered = [FORMATS[n] for n in names if office or not FORMATS[n].needs_office]
    return [Choice(f.name, f"{f.title}（{f.suffix}）", f.name in ticked) for f in offered]


@dataclass(frozen=True)
class Settings:
    """How the operator started the page (`reporttool serve --help` says each)."""
    host: str = "127.0.0.1"
    port: int = 8000
    data: Path | None = None       # keep every request's uploads and outputs here
    token: str | None = None       # required in the address (?token=), a header or the cookie it sets
    workers: int = field(default_factory=batch.default_jobs)
    limits: Limits = Limits()
    keep_minutes: float = 30.0     # how long a result or a session's outline is kept after its last use
    keep_bytes: int = 512 * MB     # all results held at once

    @property
    def hosts(self) -> tuple[str, ...] | None:
        """The Host headers accepted: only the machine's own names when bound to it (no DNS rebinding)."""
        return LOOPBACK if self.host in LOOPBACK else None


@dataclass(frozen=True)
class SessionOutline:
    """An adapted outline uploaded on the outlines page, used by that browser's drafts and reviews."""
    name: str
    kind: str
    content: bytes

    @property
    def label(self) -> str:
        return f"{self.name}（{KIND_TITLES.get(self.kind, self.kind)}）"


class Results:
    """What requests made (and outlines set for a session), by an unguessable token, for a while after last
    use; the least recently used go first when memory is short."""

    def __init__(self, minutes: float, max_bytes: int):
        self.seconds, self.max_bytes = minutes * 60, max_bytes
        self._items: OrderedDict[str, tuple[float, int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, item: dict[str, bytes] | SessionOutline) -> str:
        token = secrets.token_urlsafe(24)
        size = len(item.content) if isinstance(item, SessionOutline) else sum(map(len, item.values()))
        with self._lock:
            self._items[token] = (time.monotonic(), size, item)
            self._sweep()
        return token

    def get(self, token: str) -> Any:
        with self._lock:
            self._sweep()
            if token not in self._items:
                return None
            _, size, item = self._items.pop(token)
            self._items[token] = (time.monotonic(), size, item)  # in use: kept longer
        return item

    def _sweep(self) -> None:
        now = time.monotonic()
        while self._items and now - next(iter(self._items.values()))[0] > self.seconds:
            self._items.popitem(last=False)
        while len(self._items) > 1 and sum(size for _, size, _ in self._items.values()) > self.max_bytes:
            self._items.popitem(last=False)


def attachment(name: str) -> str:
    """Content-Disposition with the Chinese name for every browser (RFC 6266 / 5987) and an ASCII fallback."""
    suffix = Path(name).suffix
    fallback = "".join(c for c in Path(name).stem if c.isascii() and (c.isalnum() or c in "-_"))
    fallback = fallback if any(c.isalnum() for c in fallback) else "reporttool"
    return f"attachment; filename=\"{fallback}{suffix}\"; filename*=UTF-8''{quote(name, safe='')}"


class Page:
    """One request's working folder, removed afterwards unless the operator keeps uploads under --data."""

    def __init__(self, settings: Settings):
        if settings.data is not None:
            base = settings.data / time.strftime("%Y%m%d")
            base.mkdir(parents=True, exist_ok=True)
            self.folder = Path(tempfile.mkdtemp(prefix=time.strftime("%H%M%S-"), dir=base))
            self.keep = True
        else:
            self.folder = Path(tempfile.mkdtemp(prefix="reporttool-serve-"))
            self.keep = False

    def __enter__(self) -> "Page":
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)


def scrub(text: str) -> str:
    """A message without the server's own folders: the user knows a file by the name they sent."""
    return _WORK_PATHS.sub("", text) if text else text


_WORK_PATHS = re.compile(re.escape(tempfile.gettempdir().rstrip("/")) + r"/reporttool-serve-[^/\s]+/(?:(?:in|out|outline)/)?"
                         r"|(?<![\w/])/\S*?/\d{8}/\d{6}-[^/\s]+/(?:(?:in|out|outline)/)?")


def problem_rows(problems: list[Problem]) -> dict[str, list[dict]]:
    """Problems as the page's table shows them, errors and warnings apart."""
    rows: dict[str, list[dict]] = {ERROR: [], WARNING: []}
    for p in problems:
        rows[ERROR if p.severity == ERROR else WARNING].append({
            "place": p.place_cn, "field": p.title or p.dotted, "stated": "" if p.stated is None else str(p.stated),
            "computed": "" if p.computed is None else str(p.computed), "message": scrub(p.message)})
    return rows


def create_app(settings: Settings = Settings()) -> Starlette:
    pages = Environment(loader=FileSystemLoader(HERE / "pages"), autoescape=select_autoescape(default=True),
                        trim_blocks=True, lstrip_blocks=True)
    results = Results(settings.keep_minutes, settings.keep_bytes)
    state: dict[str, Any] = {}
    office_lock = asyncio.Lock()
    limits = settings.limits

    def session_outline(request: Request) -> SessionOutline | None:
        item = results.get(request.cookies.get(OUTLINE_COOKIE, ""))
        return item if isinstance(item, SessionOutline) else None

    def html(page_name: str, request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("session_outline", session_outline(request))
        token = request.query_params.get("token", "") if settings.token else ""
        body = pages.get_template(page_name).render(kinds=KIND_TITLES, limits=limits, token=token,
                                               data_suffixes=DATA_SUFFIXES, outline_suffixes=OUTLINE_SUFFIXES,
                                               keep_minutes=f"{settings.keep_minutes:g}",
                                               suffix=f"?token={quote(token)}" if token else "", **context)
        return HTMLResponse(body, status)

    def outlines() -> dict:
        from ..outline import listing
        from ..templates import template_set
        templates = template_set()
        return {kind: listing(templates.outline(kind)) for kind in KIND_TITLES}

    async def form(request: Request) -> Any:
        try:
            return await request.form(max_files=limits.files + 2, max_fields=50)
        except HTTPException as exc:
            raise UserError(f"上传的内容无法读取（{exc.detail}）；{limits.describe()}") from None

    def uploads(data: Any, name: str) -> list[UploadFile]:
        return [f for f in data.getlist(name) if isinstance(f, UploadFile) and f.filename]

    async def one_file(data: Any, folder: Path, suffixes: tuple[str, ...], what: str) -> Path:
        files = uploads(data, "file")
        if not files:
            raise UserError(f"请选择{what}（{'、'.join(suffixes)}）")
        path = await save(files[0], folder, limits)
        if path.suffix.lower() not in suffixes:
            raise UserError(f"{path.name} 不是{what}：请上传 {'、'.join(suffixes)} 文件")
        return path

    async def outline_file(data: Any, folder: Path, request: Request) -> str | None:
        files = uploads(data, "outline")
        session = session_outline(request) if data.get("session_outline") == "on" else None
        if not files and session is None:
            return None
        if files:
            path = await save(files[0], folder / "outline", limits)
        else:
            path = folder / "outline" / session.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(session.content)
        if path.suffix.lower() not in OUTLINE_SUFFIXES:
            raise UserError(f"大纲文件 {path.name} 应为 .yaml 文件")
        from ..templates import template_set
        template_set().custom_outline(path)  # a bad outline is said before any work
        return str(path)

    def chosen(data: Any, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v for v in allowed if v in data.getlist(name))

    async def pdfs(outcomes: list[batch.Outcome], jobs: list[batch.Job], opts: batch.Options) -> None:
        if any(o.pdf_source for o in outcomes):
            async with office_lock:  # one office process at a time: it takes seconds and much memory
                await asyncio.to_thread(batch.pdfs, jobs, dict(enumerate(outcomes)), opts)

    def made(request: Request, page: Page, source: Path, outcomes: list[batch.Outcome], notes: list[str],
             **context: Any) -> HTMLResponse:
        """The result of a draft or an annex upload: its problems, and what it made kept for download."""
        outcome = outcomes[0]
        written = outcome.status == batch.WRITTEN
        files = {Path(p).name: Path(p).read_bytes() for o in outcomes for p in o.paths} if written else {}
        notes = [scrub(n) for n in notes + [o.message for o in outcomes if o.message]]
        return html("draft_result.html", request, status=200 if written else 422, name=source.name, outcome=outcome,
                    notes=notes, rows=problem_rows(outcome.problems), files=sorted(files),
                    download=results.add(files) if files else "", **context)


    # --- pages --------------------------------------------------------------------------------

    async def home(request: Request) -> Response:
        return html("home.html", request, office=office_available())

    async def draft(request: Request) -> Response:
        office = office_available()
        if request.method == "GET":
            return html("draft.html", request, report_choices=format_choices(REPORT_FORMATS, DEFAULT_REPORT_FORMATS, office),
                        annex_choices=format_choices(ANNEX_FORMATS, PAGE_ANNEX_FORMATS, office))
        with Page(settings) as page:
            data = await form(request)
            source = await one_file(data, page.folder / "in", DATA_SUFFIXES, "数据文件")
            outline = await outline_file(data, page.folder, request)
            formats = chosen(data, "formats", REPORT_FORMATS) or DEFAULT_REPORT_FORMATS  # none ticked: as the command line
            annex_formats = chosen(data, "annex_formats", ANNEX_FORMATS)
            job = batch.Job(source, page.folder / "out")
            opts = batch.Options("render", formats, force=data.get("force") == "on", outline=outline)
            outcome = await state["workers"].run(batch.do_one, job, opts)
            outcomes, notes = [outcome], []
            if outcome.status == batch.WRITTEN and annex_formats:
                annex_opts = batch.Options("annex", annex_formats, force=True, outline=outline)
                annexes = await state["workers"].run(batch.do_one, job, annex_opts)
                if annexes.status == batch.WRITTEN:
                    await pdfs([annexes], [job], annex_opts)
                    outcomes.append(annexes)
                elif annexes.message:
                    notes.append(annexes.message)
            await pdfs([outcome], [job], opts)
            return made(request, page, source, outcomes, notes)

    async def annex(request: Request) -> Response:
        from ..annexes import ANNEXES
        names = [Choice(name, a.title) for name, a in ANNEXES.items()]
        if request.method == "GET":
            return html("annex.html", request, annex_names=names,
                        annex_choices=format_choices(ANNEX_FORMATS, PAGE_ANNEX_FORMATS, office_available()))
        with Page(settings) as page:
            data = await form(request)
            source = await one_file(data, page.folder / "in", DATA_SUFFIXES, "数据文件")
            only = chosen(data, "only", tuple(c.name for c in names)) or None
            formats = chosen(data, "formats", ANNEX_FORMATS) or DEFAULT_ANNEX_FORMATS
            job = batch.Job(source, page.folder / "out")
            opts = batch.Options("annex", formats, force=data.get("force") == "on", only=only)
            outcome = await state["workers"].run(batch.do_one, job, opts)
            await pdfs([outcome], [job], opts)
            return made(request, page, source, [outcome], [], annex=True)

    async def review(request: Request) -> Response:
        from ..received import SUFFIXES
        from ..review import WORKBOOK_SUFFIXES, Review, summary_workbook
        accepted = SUFFIXES + WORKBOOK_SUFFIXES
        if request.method == "GET":
            return html("review.html", request, accepted=accepted)
        with Page(settings) as page:
            data = await form(request)
            outline = await outline_file(data, page.folder, request)
            kind = data.get("kind") if data.get("kind") in KIND_TITLES else None
            sent = uploads(data, "files")
            if not sent:
                raise UserError(f"请选择收到的报告（{'、'.join(accepted)}，或装有它们的 .zip）")
            if len(sent) > limits.files:
                raise UserError(f"一次最多审核 {limits.files} 个文件")
            found, notes, budget = [], [], [limits.files, limits.request_bytes]
            for upload in sent:
                path = await save(upload, page.folder / "in", limits)
                if path.suffix.lower() == ".zip":
                    inside, said = unpack(path, page.folder / "in" / path.stem, accepted, limits, budget)
                    found += inside
                    notes += said
                elif path.suffix.lower() in accepted:
                    found.append(path)
                else:
                    notes.append(f"{path.name} 不是可审核的文件类型，未审核")
            opts = batch.Options("review", outline=outline, kind=kind)
            done = await asyncio.gather(*(state["workers"].run(batch.do_one, batch.Job(p, page.folder), opts) for p in found),
                                        return_exceptions=True)
            reviews = []
            for path, outcome in zip(found, done):
                shown = str(path.relative_to(page.folder / "in"))
                if isinstance(outcome, UserError):
                    outcome = batch.Outcome(shown, batch.FAILED, message=outcome.message)
                elif isinstance(outcome, BaseException):
                    raise outcome
                outcome.source = shown
                outcome.problems = [replace(p, file=shown, message=scrub(p.message)) for p in outcome.problems]
                outcome.message = scrub(outcome.message)
                review = Review.from_outcome(outcome)
                note = scrub(review.note)
                review.note = "" if note in {p.message for p in review.problems} else note  # said once, in the table
                reviews.append(review)
        token = results.add({"审核汇总.xlsx": await asyncio.to_thread(summary_workbook, reviews)}) if reviews else ""
        return html("review_result.html", request, reviews=reviews, notes=notes, download=token,
                    rows={r.file: problem_rows(r.problems) for r in reviews})

    async def outlines_page(request: Request) -> Response:
        listed, problems, custom, cookie = outlines(), [], None, None
        if request.method == "POST":
            with Page(settings) as page:
                data = await form(request)
                files = uploads(data, "outline")
                if data.get("clear") == "on":
                    cookie = ""
                elif not files:
                    raise UserError("请选择大纲文件（.yaml）")
                else:
                    path = await save(files[0], page.folder, limits)
                    from ..outline import listing
                    from ..templates import template_set
                    try:
                        outline = template_set().custom_outline(path)
                        custom = (path.name, outline.name, listing(outline))
                        cookie = results.add(SessionOutline(path.name, outline.kind, path.read_bytes()))
                    except UserError as exc:
                        problems = exc.problems or [Problem(message=exc.message, file=path.name)]
        context = {} if cookie is None else {"session_outline": results.get(cookie) if cookie else None}
        response = html("outlines.html", request, listed=listed, custom=custom, rows=problem_rows(problems),
                        status=422 if problems else 200, **context)
        if cookie:
            response.set_cookie(OUTLINE_COOKIE, cookie, httponly=True, samesite="strict")
        elif cookie == "":
            response.delete_cookie(OUTLINE_COOKIE)
        return response

    async def skeleton(request: Request) -> Response:
        from ..convert import data_bytes
        kind, ext = request.path_params["kind"], request.path_params["ext"]
        if kind not in KIND_TITLES or ext not in ("xlsx", "yaml"):
            raise HTTPException(404)
        name = f"{KIND_TITLES[kind]}-填报{'工作簿' if ext == 'xlsx' else ''}.{ext}"
        content = await asyncio.to_thread(data_bytes, kind, None, Path(name))
        return Response(content, media_type=MEDIA["." + ext], headers={"Content-Disposition": attachment(name)})

    async def outline_file_download(request: Request) -> Response:
        from ..templates import kind_file, template_set
        kind = request.path_params["kind"]
        if kind not in KIND_TITLES:
            raise HTTPException(404)
        content = template_set().find(kind_file(kind, "outline.yaml")).read_bytes()
        return Response(content, media_type=MEDIA[".yaml"], headers={"Content-Disposition": attachment(f"{kind}-大纲.yaml")})

    async def download(request: Request) -> Response:
        files = results.get(request.path_params["token"])
        name = request.path_params["name"]
        if not isinstance(files, dict):
            return html("message.html", request, 404, title="下载已过期",
                        message=f"生成的文件 {settings.keep_minutes:g} 分钟无人下载即删除，请重新上传生成。")
        if name == "全部.zip":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
                for each, content in files.items():
                    z.writestr(each, content)
            content, name = buffer.getvalue(), "全部.zip"
        elif name in files:
            content = files[name]
        else:
            raise HTTPException(404)
        return Response(content, media_type=MEDIA.get(Path(name).suffix, "application/octet-stream"),
                        headers={"Content-Disposition": attachment(name), "Cache-Control": "no-store"})

    # --- errors: a message page, never a traceback ------------------------------------------------

    async def user_error(request: Request, exc: UserError) -> Response:
        return html("message.html", request, 400, title="无法处理", message=scrub(exc.message),
                    rows=problem_rows(list(exc.problems)))

    async def http_error(request: Request, exc: HTTPException) -> Response:
        text = {404: "没有这个页面或文件", 405: "请从页面上的表单提交"}.get(exc.status_code, "请求无法处理")
        return html("message.html", request, exc.status_code, title=text, message=str(exc.detail or ""))

    async def server_error(request: Request, exc: Exception) -> Response:
        return html("message.html", request, 500, title="处理时出错",
                    message=scrub(f"{type(exc).__name__}：{exc}。服务仍在运行，可返回重试；如仍出错，请把文件交给管理员。"))

    @asynccontextmanager
    async def lifespan(app: Starlette):
        state["workers"] = Workers(settings.workers, limits.seconds)
        try:
            yield
        finally:
            state.pop("workers").close()

    routes = [
        Route("/", home),
        Route("/draft", draft, methods=["GET", "POST"]),
        Route("/annex", annex, methods=["GET", "POST"]),
        Route("/review", review, methods=["GET", "POST"]),
        Route("/outlines", outlines_page, methods=["GET", "POST"]),
        Route("/skeleton/{kind}.{ext}", skeleton),
        Route("/outlines/{kind}.yaml", outline_file_download),
        Route("/files/{token}/{name}", download),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={UserError: user_error, HTTPException: http_error, Exception: server_error})
    return Guard(app, settings, pages)


def office_available() -> bool:
    from .. import office
    try:
        office.find_soffice()
    except UserError:
        return False
    return True


class Guard:
    """Before any route: the host names served, the access token, and the size of what is sent."""

    def __init__(self, app: Any, settings: Settings, pages: Environment):
        self.app, self.settings, self.pages = app, settings, pages

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        s = self.settings
        host = headers.get("host", "").rsplit(":", 1)[0] if not headers.get("host", "").startswith("[") \
            else headers.get("host", "").split("]")[0] + "]"
        if s.hosts is not None and host not in s.hosts:
            return await self._refuse(send, 400, "地址不对", "本页面只接受本机地址（127.0.0.1 或 localhost）的访问。")
        set_cookie = False
        if s.token:
            query = dict(p.split("=", 1) for p in scope.get("query_string", b"").decode("latin-1").split("&") if "=" in p)
            cookies = dict(c.strip().split("=", 1) for c in headers.get("cookie", "").split(";") if "=" in c)
            given = [query.get("token", ""), headers.get("x-reporttool-token", ""),
                     headers.get("authorization", "").removeprefix("Bearer "), cookies.get(TOKEN_COOKIE, "")]
            if not any(g and secrets.compare_digest(unquote(g).encode(), s.token.encode()) for g in given):
                return await self._refuse(send, 401, "需要访问口令",
                                          "请使用管理员给出的完整地址（带 ?token=…）打开本页面。")
            set_cookie = cookies.get(TOKEN_COOKIE) != s.token
        if scope["method"] == "POST":
            length = headers.get("content-length")
            if length is None or not length.isdigit():
                return await self._refuse(send, 411, "无法接收", "上传须带有长度（Content-Length）。")
            if int(length) > s.limits.request_bytes:
                return await self._refuse(send, 413, "上传过大", f"本次上传 {int(length) / MB:.1f} MB；{s.limits.describe()}。")

        async def sending(message: dict) -> None:
            if set_cookie and message["type"] == "http.response.start":
                cookie = f"{TOKEN_COOKIE}={quote(s.token)}; HttpOnly; SameSite=Strict; Path=/"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        await self.app(scope, receive, sending)

    async def _refuse(self, send: Any, status: int, title: str, message: str) -> None:
        body = self.pages.get_template("message.html").render(title=title, message=message, kinds=KIND_TITLES,
                                                              limits=self.settings.limits, token="", suffix="", rows={})
        response = HTMLResponse(body, status)
        await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})
