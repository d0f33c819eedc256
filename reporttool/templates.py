"""Where templates live, and the compiled set of them: outlines, section macros and the skins of the formats.

A TemplateSet compiles everything once; render as many reports through it as you like. The
built-in set is ours and runs as it is; a user's folder (laid over the built-in one) runs in the
sandbox, with a time limit on every render, and may read nothing outside its own folders.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from typing import Any, Callable, Iterator

from .annexes import ANNEXES
from .build import annex_blocks, annex_tables, build_document
from .document import Document, Table
from .errors import Problem, TemplateProblem, UserError
from .formats import FORMATS
from .forms import FormLayout, layout_for
from .model import ReportBase
from .outline import Outline, load_outline
from .tables import TABLES
from .view import view

# Jinja is imported where a template is compiled or fails, not here: `validate` reads only the outlines.

_PACKAGED = Path(__file__).parent / "templates"
BUILTIN = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parent.parent / "templates"

MAX_TEMPLATE_BYTES = 1024 * 1024  # a template text file; ours are under 10 KB


def kind_file(kind: str, name: str) -> str:
    """Where a kind's outline, section macros and skeleton live in a template folder."""
    return f"kinds/{kind}/{name}"


class NotFound(LookupError):
    """No file of that name in the template folders (Jinja's loader turns it into TemplateNotFound)."""


def template_path(name: str) -> list[str]:
    """A template name's folders and file; a name that climbs out of the folder is not found (as Jinja's loaders say)."""
    pieces = []
    for piece in name.split("/"):
        if os.sep in piece or (os.altsep and os.altsep in piece) or piece == os.path.pardir:
            raise NotFound(name)
        if piece and piece != ".":
            pieces.append(piece)
    return pieces


class Folders:
    """Templates from a list of folders and from nothing outside them (symlinks included)."""

    def __init__(self, roots: list[Path]):
        self.roots = [Path(os.path.realpath(r)) for r in roots]

    def locate(self, name: str) -> Path:
        pieces = template_path(name)
        for root in self.roots:
            candidate = root.joinpath(*pieces)
            if not os.path.lexists(candidate):
                continue
            real = Path(os.path.realpath(candidate))
            if os.path.commonpath([real, root]) != str(root):
                raise file_problem(candidate, f"指向模板目录之外（{real}），已拒绝：模板只能使用模板目录内的文件")
            if not real.is_file():
                raise file_problem(candidate, "不是普通文件，已拒绝")
            return real
        raise NotFound(name)

    def read(self, name: str, limit: int) -> tuple[Path, bytes]:
        path = self.locate(name)
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise file_problem(path, f"文件超过 {limit // 1024} KB，不像是模板，已拒绝")
        return path, data

    def source(self, name: str) -> tuple[str, str, Callable[[], bool]]:
        """A text template's source, its file, and whether it is still the same (Jinja's get_source)."""
        path, data = self.read(name, MAX_TEMPLATE_BYTES)
        try:
            source = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise file_problem(path, "模板文件不是 UTF-8 编码，请用 UTF-8 保存", line) from None
        mtime = path.stat().st_mtime
        return source, str(path), lambda: _mtime(path) == mtime


def file_problem(path: Path, message: str, line: int | None = None) -> TemplateProblem:
    return TemplateProblem("模板文件无法使用：", [Problem(message=message, file=str(path), line=line, rule="template.file")])


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


class TemplateSet:
    def __init__(self, root: Path | str | None = None):
        self.roots = [Path(root), BUILTIN] if root else [BUILTIN]
        self.sandboxed = root is not None
        self.folders = Folders(self.roots)
        self._outlines: dict[str, Outline] = {}
        self._macros: dict[str, Any] = {}
        self._skins: dict[str, Any] = {}

    @functools.cached_property
    def loader(self) -> Any:
        from .env import FolderLoader

        return FolderLoader(self.folders)

    @functools.cached_property
    def text_env(self) -> Any:
        return self.env("text")

    def env(self, flavor: str) -> Any:
        """A Jinja environment of this set: sandboxed when the templates are a user's."""
        from .env import make_env

        return make_env(None if flavor == "docx" else self.loader, flavor, sandboxed=self.sandboxed)

    def find(self, relpath: str) -> Path:
        try:
            return self.folders.locate(relpath)
        except NotFound:
            raise TemplateProblem(f"找不到模板文件 {relpath}（查找位置：{'、'.join(map(str, self.roots))}）") from None

    def read_binary(self, relpath: str, limit: int) -> tuple[Path, bytes]:
        try:
            return self.folders.read(relpath, limit)
        except NotFound:
            raise TemplateProblem(f"找不到模板文件 {relpath}（查找位置：{'、'.join(map(str, self.roots))}）") from None

    @contextlib.contextmanager
    def running(self, what: str) -> Iterator[None]:
        """Template code: a user's runs under the time limit; whatever it raises becomes a located message."""
        try:
            if self.sandboxed:
                from .sandbox import time_limit

                with time_limit():
                    yield
            else:
                yield
        except UserError:
            raise
        except Exception as exc:  # template code may be a user's: whatever it raises is a template problem
            raise template_problem(what, exc) from None

    # --- outlines and section macros ---------------------------------------------------------

    def outline(self, kind: str) -> Outline:
        if kind not in self._outlines:
            outline = load_outline(self.find(kind_file(kind, "outline.yaml")))
            if self.sandboxed:  # ours are checked by the tests; a user's may name a macro their sections.j2 lacks
                self._check_references(kind, outline)
            self._outlines[kind] = outline
        return self._outlines[kind]

    def custom_outline(self, path: Path | str) -> Outline:
        """A user's outline file, checked against the view and this template set before use."""
        outline = load_outline(path)
        self._check_references(outline.kind, outline, str(path))
        return outline

    def macros_template(self, kind: str) -> Any:
        if kind not in self._macros:
            name = kind_file(kind, "sections.j2")
            with self.running(name):
                self._macros[kind] = self.text_env.get_template(name)
        return self._macros[kind]

    def macro_names(self, kind: str) -> set[str]:
        """The macros sections.j2 defines, read from its syntax tree (nothing runs)."""
        from jinja2 import nodes

        name = kind_file(kind, "sections.j2")
        with self.running(name):
            source, filename, _ = self.folders.source(name)
            tree = self.text_env.parse(source, name, filename)
        return {m.name for m in tree.body if isinstance(m, nodes.Macro)}

    def _check_references(self, kind: str, outline: Outline, where: str = "") -> None:
        names = self.macro_names(kind)
        missing = []
        for s in outline.walk():
            for block in s.body:
                if block.text is not None and block.text not in names:
                    missing.append(f"章节「{s.title}」的文字块 {block.text}（sections.j2 中没有这个宏）")
                if block.table is not None and block.table not in TABLES:
                    missing.append(f"章节「{s.title}」的表格 {block.table}（可用：{'、'.join(TABLES)}）")
            if s.item_body and s.item_body not in names:
                missing.append(f"章节「{s.title}」的逐项正文 {s.item_body}（sections.j2 中没有这个宏）")
        for name in outline.annexes:
            if name not in ANNEXES:
                missing.append(f"附件 {name}（可用：{'、'.join(ANNEXES)}）")
        if missing:
            raise TemplateProblem(f"大纲 {where or kind_file(kind, 'outline.yaml')} 引用了不存在的内容：" + "；".join(missing))

    # --- building and rendering ----------------------------------------------------------------

    def build(self, report: ReportBase, outline: Outline | None = None, form: FormLayout | None = None) -> Document:
        outline = outline or self.outline(report.kind)
        layout = layout_for(report, form)
        r = view(report)
        name = kind_file(report.kind, "sections.j2")
        with self.running(name):
            from jinja2.environment import TemplateModule

            template = self.macros_template(report.kind)
            context = template.new_context({"r": r})
            try:
                return build_document(r, outline, TemplateModule(template, context), layout)
            finally:
                # the macros and their context refer to each other: freed here, not left for the cyclic collector
                context.vars.clear()

    def annex_tables(self, report: ReportBase, only: list[str] | None = None, outline: Outline | None = None,
                     form: FormLayout | None = None) -> list[tuple[str, str, Table]]:
        return annex_tables(view(report), outline or self.outline(report.kind), only, layout_for(report, form))

    @staticmethod
    def annex_document(report: ReportBase, tables: list[tuple[str, str, Table]]) -> Document:
        """The annexes alone, each on its own page, with the numbers they have in the full report."""
        return Document(kind=report.kind, title="", blocks=annex_blocks(tables, first_page=True),
                        starts_landscape=bool(tables) and tables[0][2].landscape)

    def skin(self, fmt: str) -> Any:
        """A format's skin, compiled once."""
        if fmt not in self._skins:
            spec = FORMATS[fmt]
            with self.running(self._skin_name(fmt)):
                self._skins[fmt] = spec.compile(self)
        return self._skins[fmt]

    def _skin_name(self, fmt: str) -> str:
        skin = FORMATS[fmt].skin
        return str(self.find(skin)) if skin else fmt

    def render(self, fmt: str, doc: Document) -> bytes:
        spec = FORMATS[fmt]
        compiled = self.skin(fmt)
        with self.running(self._skin_name(fmt)):
            return spec.render(compiled, doc)

    def markdown(self, doc: Document) -> str:
        return self.render("md", doc).decode("utf-8")

    def docx(self, doc: Document) -> bytes:
        return self.render("docx", doc)

    def lint(self) -> list[Problem]:
        """Every problem in the templates: static checks, then a trial run of each kind and skin."""
        from .lint import lint_template_set

        return lint_template_set(self)


def template_problem(what: str, exc: BaseException) -> TemplateProblem:
    """A template's failure as one located line: file:line: 模板出错：reason."""
    file, line = _location(exc)
    where = ""
    if file == "<template>":  # a part of the Word skin: its lines are its paragraphs (see formats/docx.py)
        file, line, where = what, None, f"（第 {max(1, (line or 2) - 1)} 段附近）"
    problem = Problem(message=f"模板出错{where}：{describe(exc)}", file=file or what, line=line, rule="template.runtime")
    return TemplateProblem(f"模板 {what} 无法使用：", [problem])


def _location(exc: BaseException) -> tuple[str, int | None]:
    from jinja2 import TemplateSyntaxError

    if isinstance(exc, TemplateSyntaxError):
        return exc.filename or exc.name or "", exc.lineno
    found: tuple[str, int | None] = ("", None)
    tb = exc.__traceback__
    while tb is not None:
        frame_globals = tb.tb_frame.f_globals
        template = frame_globals.get("__jinja_template__")
        if template is not None:  # a compiled template's own frame
            found = (template.filename or "<template>", template.get_corresponding_lineno(tb.tb_lineno))
        elif "__jinja_exception__" in frame_globals:  # a frame Jinja rewrote to the template's line
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        if found[0] and isinstance(exc, RecursionError):
            break  # where the cycle starts, not where Python gave up
        tb = tb.tb_next
    return found


def describe(exc: BaseException) -> str:
    from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError
    from jinja2.exceptions import SecurityError, UndefinedError

    from .env import TemplateOutputError
    from .sandbox import TemplateTimeout

    if isinstance(exc, (TemplateTimeout, SecurityError, TemplateOutputError)):
        return str(exc)
    if isinstance(exc, TemplateNotFound):
        return f"找不到模板 {exc.name}（只能引用模板目录内的文件）"
    if isinstance(exc, TemplateSyntaxError):
        return f"语法错误：{exc.message}"
    if isinstance(exc, UndefinedError):
        return f"使用了不存在的变量或字段（{exc.message}）"
    if isinstance(exc, ZeroDivisionError):
        return "除数为零"
    if isinstance(exc, RecursionError):
        return "模板引用了自身或相互引用，形成循环（import、include 或 extends）"
    if isinstance(exc, MemoryError):
        return "内存不足：模板生成的内容过大"
    if isinstance(exc, (TypeError, ValueError, ArithmeticError, LookupError)):
        return f"运算或取值出错，类型不符或数值无效（{exc}）"
    if isinstance(exc, TemplateError):
        return f"模板错误（{exc}）"
    return f"{type(exc).__name__}：{exc}"


@functools.lru_cache(maxsize=8)
def template_set(root: str | None = None) -> TemplateSet:
    """The built-in templates, or a user's folder over them, checked once before first use."""
    if root is None:
        return TemplateSet()
    folder = Path(root)
    if not folder.is_dir():
        raise TemplateProblem(f"模板目录不存在：{folder}")
    templates = TemplateSet(folder)
    problems = templates.lint()
    if problems:
        raise TemplateProblem(f"模板目录 {folder} 有 {len(problems)} 处问题，未生成任何文件：", problems)
    return templates


__all__ = ["TemplateSet", "template_set", "kind_file", "BUILTIN"]
