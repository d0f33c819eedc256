"""Where templates live, and the compiled set of them: outlines, section macros, Markdown and Word skins.

A TemplateSet compiles everything once; render as many reports through it as you like.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, TemplateError, TemplateNotFound

from .annexes import ANNEXES
from .build import annex_blocks, annex_tables, build_document
from .document import Document, Table
from .env import make_env
from .errors import Problem, TemplateProblem
from .model import REPORT_KINDS, ReportBase
from .outline import Outline, load_outline
from .render_docx import CompiledDocx, table_xml
from .render_md import md_table
from .tables import TABLES

_PACKAGED = Path(__file__).parent / "templates"
BUILTIN = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parent.parent / "templates"

MARKDOWN_TEMPLATE = "report.md.j2"
DOCX_TEMPLATE = "report.docx"


class TemplateSet:
    def __init__(self, root: Path | str | None = None):
        self.roots = [Path(root), BUILTIN] if root else [BUILTIN]
        loader = FileSystemLoader([str(r) for r in self.roots])
        self.text_env = make_env(loader, "text")
        self.md_env = make_env(loader, "markdown")
        self.md_env.filters["md_table"] = md_table
        self.docx_env = make_env(None, "docx")
        self.docx_env.filters["docx_table"] = table_xml
        self._outlines: dict[str, Outline] = {}
        self._macros: dict[str, Any] = {}
        self._md = None
        self._docx: CompiledDocx | None = None

    def lint(self) -> list[Problem]:
        """Every problem in the templates, found without rendering any report."""
        from .lint import lint_sections, lint_skins

        problems: list[Problem] = []
        for kind, model in REPORT_KINDS.items():
            try:
                problems += lint_sections(self.text_env, kind, model, self.outline(kind),
                                          str(self.find(f"kinds/{kind}/outline.yaml")))
            except TemplateProblem as exc:
                problems += exc.problems or [Problem(message=exc.message, rule="template.load")]
            except TemplateNotFound as exc:
                problems.append(Problem(message=f"找不到模板 {exc.name}（只能引用模板目录内的文件）", rule="template.syntax"))
            except TemplateError as exc:
                problems.append(Problem(message=f"模板语法错误：{exc.message}", file=getattr(exc, "filename", "") or "",
                                        line=getattr(exc, "lineno", None), rule="template.syntax"))
        unique = dict.fromkeys(problems + lint_skins(self))  # shared macros are checked once per kind
        return list(unique)

    def find(self, relpath: str) -> Path:
        for root in self.roots:
            if (root / relpath).is_file():
                return root / relpath
        raise TemplateProblem(f"找不到模板文件 {relpath}（查找位置：{'、'.join(map(str, self.roots))}）")

    def outline(self, kind: str) -> Outline:
        if kind not in self._outlines:
            outline = load_outline(self.find(f"kinds/{kind}/outline.yaml"))
            self._lint(kind, outline)
            self._outlines[kind] = outline
        return self._outlines[kind]

    def custom_outline(self, path: Path | str) -> Outline:
        """A user's outline file, checked against this template set and the model before use."""
        from .lint import lint_sections

        outline = load_outline(path)
        if outline.kind not in REPORT_KINDS:
            raise TemplateProblem(f"大纲文件 {path} 的报告类型 {outline.kind!r} 未知，可选：{'、'.join(REPORT_KINDS)}")
        self._lint(outline.kind, outline)
        problems = [p for p in lint_sections(self.text_env, outline.kind, REPORT_KINDS[outline.kind], outline, str(path))
                    if p.rule == "template.outline_path"]
        if problems:
            raise TemplateProblem(f"大纲文件 {path} 引用了数据模型中没有的数据：", problems)
        return outline

    def macros_template(self, kind: str) -> Any:
        if kind not in self._macros:
            try:
                self._macros[kind] = self.text_env.get_template(f"kinds/{kind}/sections.j2")
            except TemplateError as exc:
                raise TemplateProblem(f"模板 kinds/{kind}/sections.j2 有误：{exc}") from None
        return self._macros[kind]

    def _lint(self, kind: str, outline: Outline) -> None:
        names = set(self.macros_template(kind).make_module({"r": None}).__dict__)
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
            raise TemplateProblem(f"大纲 kinds/{kind}/outline.yaml 引用了不存在的内容：" + "；".join(missing))

    def build(self, report: ReportBase, outline: Outline | None = None) -> Document:
        outline = outline or self.outline(report.kind)
        try:
            macros = self.macros_template(report.kind).make_module({"r": report})
            return build_document(report, outline, macros)
        except TemplateNotFound as exc:
            raise TemplateProblem(f"模板 kinds/{report.kind}/sections.j2 引用了找不到的模板 {exc.name}（只能引用模板目录内的文件）") from None
        except Exception as exc:  # template code is the user's: whatever it raises is a template problem
            raise TemplateProblem(f"模板 kinds/{report.kind}/sections.j2 生成正文时出错：{_describe(exc)}") from None

    def annex_tables(self, report: ReportBase, only: list[str] | None = None,
                     outline: Outline | None = None) -> list[tuple[str, str, Table]]:
        return annex_tables(report, outline or self.outline(report.kind), only)

    @staticmethod
    def annex_document(report: ReportBase, tables: list[tuple[str, str, Table]]) -> Document:
        """The annexes alone, each on its own page, with the numbers they have in the full report."""
        return Document(kind=report.kind, title="", blocks=annex_blocks(tables, first_page=True))

    def markdown(self, doc: Document) -> str:
        try:
            if self._md is None:
                self._md = self.md_env.get_template(MARKDOWN_TEMPLATE)
            return self._md.render(doc=doc).rstrip("\n") + "\n"
        except Exception as exc:  # template code is the user's: whatever it raises is a template problem
            raise TemplateProblem(f"Markdown 模板 {MARKDOWN_TEMPLATE} 渲染出错：{_describe(exc)}") from None

    def docx(self, doc: Document) -> bytes:
        if self._docx is None:
            self._docx = CompiledDocx(self.find(DOCX_TEMPLATE), self.docx_env)
        try:
            return self._docx.render({"doc": doc})
        except Exception as exc:  # template code is the user's: whatever it raises is a template problem
            raise TemplateProblem(f"Word 模板 {self._docx.path} 渲染出错：{_describe(exc)}") from None


def _describe(exc: Exception) -> str:
    if isinstance(exc, TemplateNotFound):
        return f"找不到模板 {exc.name}（只能引用模板目录内的文件）"
    if isinstance(exc, (TemplateError, ValueError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


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
