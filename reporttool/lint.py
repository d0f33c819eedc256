"""Check templates before anything renders, as strictly as rendering would.

Section macros are read statically: variables are typed from the report's view (``r`` is the
view, ``{% set %}`` and ``{% for %}`` carry types, item macros get their item's type from the
outline, shared macros get the types of their call sites), and every attribute chain must name a
declared field of the view. Then each kind's skeleton report is built through the templates and
each format's skin renders a sample document, under the same sandbox and time limit as a real
render, so lint refuses whatever render would.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from jinja2 import TemplateError, TemplateNotFound, nodes

from .document import (AnnexHeading, Cell, Column, Document, Heading, PageBreak, Paragraph, SectionBreak, Signature, Table,
                       add_toc)
from .errors import Problem, UserError
from .formats import SKINS
from .model import REPORT_KINDS
from .outline import Outline
from .view import SPECS, ListOf, report_view_class


def fields_of(kind: Any) -> dict[str, Any] | None:
    """The declared fields of a view type, or None for plain values and unknown types."""
    return SPECS.get(kind) if isinstance(kind, type) else None


def _chain(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_chain(node.node)}.{node.attr}"
    return "…"


class _Checker:
    def __init__(self, name: str, filename: str, templates: Any):
        self.name = name
        self.filename = filename
        self.templates = templates
        self.env = templates.text_env
        self.problems: list[Problem] = []
        self.calls: dict[str, list[list[Any]]] = {}  # imported macro -> argument types at each call

    def loadable(self, name: str) -> bool:
        from .templates import NotFound

        try:
            self.templates.folders.locate(name)
            return True
        except NotFound:
            return False

    def error(self, node: nodes.Node, text: str) -> None:
        self.problems.append(Problem(message=text, file=self.filename, line=node.lineno, rule="template.field"))

    def typeof(self, node: nodes.Node, env: dict) -> Any:
        if isinstance(node, nodes.Name):
            return env.get(node.name)
        if isinstance(node, nodes.Getattr):
            base = self.typeof(node.node, env)
            if node.attr.startswith("_"):
                self.error(node, f"{_chain(node)}：模板不允许访问以下划线开头的属性")
                return None
            fields = fields_of(base)
            if fields is not None:
                if node.attr not in fields:
                    self.error(node, f"{_chain(node)}：报告数据中没有 {node.attr}（此处可用：{'、'.join(fields)}）")
                    return None
                return fields[node.attr].spec
            return None
        if isinstance(node, nodes.Call):
            args = [self.typeof(a, env) for a in node.args]
            for kw in node.kwargs:
                self.typeof(kw.value, env)
            func = node.node
            if isinstance(func, nodes.Getattr) and isinstance(func.node, nodes.Name) and env.get(func.node.name) == "module":
                self.calls.setdefault(func.attr, []).append(args)
            elif isinstance(func, nodes.Getattr) and fields_of(self.typeof(func.node, env)) is not None:
                self.error(node, f"{_chain(func)}：报告数据只能读取，不能调用")
            else:
                self.typeof(func, env)
            return None
        if isinstance(node, nodes.Getitem):
            base = self.typeof(node.node, env)
            self.typeof(node.arg, env)
            return base.item if isinstance(base, ListOf) else None
        if isinstance(node, nodes.Or):
            left, right = self.typeof(node.left, env), self.typeof(node.right, env)
            return left if left is not None else right
        if isinstance(node, nodes.Filter) and node.name in ("first", "last"):
            base = self.typeof(node.node, env) if node.node is not None else None
            return base.item if isinstance(base, ListOf) else None
        for child in node.iter_child_nodes():
            if isinstance(child, nodes.Expr):
                self.typeof(child, env)
        return None

    def body(self, stmts: list[nodes.Node], env: dict) -> None:
        for stmt in stmts:
            self.statement(stmt, env)

    def statement(self, node: nodes.Node, env: dict) -> None:
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
            env[node.target.name] = self.typeof(node.node, env)
        elif isinstance(node, nodes.For):
            kind = self.typeof(node.iter, env)
            inner = dict(env, loop=None)
            if isinstance(node.target, nodes.Name):
                inner[node.target.name] = kind.item if isinstance(kind, ListOf) else None
            if node.test is not None:
                self.typeof(node.test, inner)
            self.body(node.body, inner)
            self.body(node.else_, env)
        elif isinstance(node, nodes.Macro):
            return  # macros are checked one by one with their parameter types
        elif isinstance(node, (nodes.Import, nodes.FromImport, nodes.Include)):
            if not isinstance(node.template, nodes.Const):
                self.error(node, "只能引用固定文件名的模板")
            elif not self.loadable(node.template.value):
                self.error(node, f"找不到模板 {node.template.value}（只能引用模板目录内的文件）")
            if isinstance(node, nodes.Import):
                env[node.target] = "module"
        else:
            for child in node.iter_child_nodes():
                if isinstance(child, nodes.Expr):
                    self.typeof(child, env)
                else:
                    self.statement(child, env)

    def macros(self, tree: nodes.Template, env: dict, params: dict[str, list[Any]]) -> None:
        self.body(tree.body, env)
        for macro in tree.find_all(nodes.Macro):
            scope = dict(env)
            for i, arg in enumerate(macro.args):
                types_ = params.get(macro.name, [])
                scope[arg.name] = types_[i] if i < len(types_) else None
            self.body(macro.body, scope)


def lint_sections(templates: Any, kind: str, outline: Outline) -> list[Problem]:
    """Problems in kinds/<kind>/sections.j2 and the macro files it imports, typed against the view."""
    from .templates import kind_file

    env = templates.text_env
    name = kind_file(kind, "sections.j2")
    source, filename, _ = templates.folders.source(name)
    checker = _Checker(name, filename, templates)
    params: dict[str, list[Any]] = {}
    for s in outline.walk():
        if s.each and s.item_body:
            spec = _path_spec(report_view_class(kind), s.each)
            params[s.item_body] = [spec.item if isinstance(spec, ListOf) else None, None]
    tree = env.parse(source, name, filename)
    checker.macros(tree, {"r": report_view_class(kind)}, params)
    problems = []
    for imp in tree.find_all(nodes.Import):
        if isinstance(imp.template, nodes.Const) and checker.loadable(imp.template.value):
            imported, ifile, _ = templates.folders.source(imp.template.value)
            sub = _Checker(imp.template.value, ifile, templates)
            merged = {m: next(iter(calls), []) for m, calls in checker.calls.items()}
            sub.macros(env.parse(imported, imp.template.value, ifile), {}, merged)
            problems += sub.problems
    return problems + checker.problems


def _path_spec(root: type, dotted: str) -> Any:
    current: Any = root
    for part in dotted.split("."):
        fields = fields_of(current)
        current = fields[part].spec if fields and part in fields else None
    return current


def sample_document() -> Document:
    """One block of every kind, to render a skin once before any report goes through it."""
    table = Table(columns=[Column("甲", 50), Column("乙", 50, "right")],
                  rows=[[Cell("甲", bold=True), Cell("乙", bold=True)], [Cell("一", rowspan=2), Cell("1.00", value=Decimal(1), number="money")],
                        [Cell(covered="v"), Cell("2.00")], [Cell("合计", colspan=2), Cell(covered="h")]],
                  caption="表", unit="单位：万元")
    blocks = [Heading(level, "一、", "标题", f"h{level}") for level in (1, 2, 3, 4, 5)]
    blocks += [Paragraph("正文"), table, Signature("单位", "2025年1月1日"), PageBreak(), AnnexHeading("附件1", "附表"), table,
               SectionBreak(), AnnexHeading("附件2", "附表"), table, SectionBreak(landscape_before=True)]
    doc = Document(kind="sample", title="标题", blocks=blocks)
    add_toc(doc)
    return doc


def lint_skins(templates: Any) -> list[Problem]:
    doc = sample_document()
    problems: list[Problem] = []
    for fmt in SKINS:
        try:
            templates.render(fmt.name, doc)
        except UserError as exc:
            problems += _as_problems(exc, "template.skin")
    return problems


@functools.lru_cache(maxsize=None)
def _skeleton(kind: str) -> Any:
    """The built-in skeleton of a kind, which validates and fills every section."""
    from .loading import load
    from .templates import BUILTIN, kind_file

    return load(BUILTIN / kind_file(kind, "skeleton.yaml"))


def _as_problems(exc: UserError, rule: str) -> list[Problem]:
    return exc.problems or [Problem(message=exc.message, rule=rule)]


def lint_template_set(templates: Any) -> list[Problem]:
    """Everything render --template would refuse, found before any report is rendered."""
    from .templates import kind_file, template_problem

    problems: list[Problem] = []
    for kind in REPORT_KINDS:
        try:
            outline = templates.outline(kind)
            found = lint_sections(templates, kind, outline)
            problems += found
            if not found:  # a trial run: errors only running shows (1/0, loops, sizes, time)
                templates.build(_skeleton(kind), outline)
        except UserError as exc:
            problems += _as_problems(exc, "template.load")
        except TemplateError as exc:
            problems += template_problem(kind_file(kind, "sections.j2"), exc).problems
    problems += lint_skins(templates)
    return list(dict.fromkeys(problems))  # shared macros are checked once per kind
