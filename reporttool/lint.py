"""Check templates against the model before anything renders.

Section macros are read statically: variables are typed from the model (``r`` is the report,
``{% set %}`` and ``{% for %}`` carry types, item macros get their item's type from the outline,
shared macros get the types of their call sites), and every attribute chain is resolved against
the model's fields and properties. Skins are rendered once on a sample document holding every
kind of block.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import TemplateNotFound, nodes
from pydantic import BaseModel

from .errors import Problem
from .document import AnnexHeading, Cell, Column, Document, Heading, PageBreak, Paragraph, Signature, Table

SECTIONS = "kinds/{kind}/sections.j2"


@dataclass(frozen=True)
class ListOf:
    item: Any


def type_of(annotation: Any) -> Any:
    """A model class, ListOf(...), or None when the value is a plain scalar or unknown."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return type_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        known = [t for t in (type_of(a) for a in typing.get_args(annotation)) if t is not None]
        return known[0] if len(known) == 1 else None
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        return ListOf(type_of(args[0])) if args else ListOf(None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


@functools.lru_cache(maxsize=None)
def attribute_type(model: type[BaseModel], attr: str) -> tuple[bool, Any]:
    """(exists, type) of ``model.attr``: a field, a property, or any other public attribute."""
    if attr in model.model_fields:
        return True, type_of(model.model_fields[attr].annotation)
    member = getattr(model, attr, None)
    if member is None:
        return False, None
    func = member.fget if isinstance(member, property) else getattr(member, "func", None)
    if func is not None:
        try:
            return True, type_of(typing.get_type_hints(func).get("return"))
        except Exception:  # unresolvable annotation: exists, type unknown
            return True, None
    return True, None


def path_type(model: type[BaseModel], dotted: str) -> tuple[bool, Any]:
    current: Any = model
    for part in dotted.split("."):
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return True, None
        exists, current = attribute_type(current, part)
        if not exists:
            return False, None
    return True, current


def _chain(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_chain(node.node)}.{node.attr}"
    return "…"


class _Checker:
    def __init__(self, name: str, filename: str, env: Any = None):
        self.name = name
        self.filename = filename
        self.env = env
        self.problems: list[Problem] = []
        self.calls: dict[str, list[list[Any]]] = {}  # imported macro -> argument types at each call

    def loadable(self, name: str) -> bool:
        try:
            self.env.loader.get_source(self.env, name)
            return True
        except TemplateNotFound:
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
            if isinstance(base, type) and issubclass(base, BaseModel):
                exists, kind = attribute_type(base, node.attr)
                if not exists:
                    fields = "、".join(base.model_fields)
                    self.error(node, f"{_chain(node)}：数据模型 {base.__name__} 中没有 {node.attr}（可用字段：{fields}）")
                return kind
            return None
        if isinstance(node, nodes.Call):
            args = [self.typeof(a, env) for a in node.args]
            for kw in node.kwargs:
                self.typeof(kw.value, env)
            func = node.node
            if isinstance(func, nodes.Getattr) and isinstance(func.node, nodes.Name) and env.get(func.node.name) == "module":
                self.calls.setdefault(func.attr, []).append(args)
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


def lint_sections(env: Any, kind: str, report_model: type[BaseModel], outline: Any, outline_file: str = "") -> list[Problem]:
    """Problems in kinds/<kind>/sections.j2, the macro files it imports, and the outline's data paths."""
    name = SECTIONS.format(kind=kind)
    source, filename, _ = env.loader.get_source(env, name)
    checker = _Checker(name, filename, env)
    params: dict[str, list[Any]] = {}
    problems = []
    outline_lines = Path(outline_file).read_text(encoding="utf-8").splitlines() if outline_file else []
    for s in outline.walk():
        for key, field in (("when", s.when), ("each", s.each)):
            if field and not path_type(report_model, field)[0]:
                line = next((i for i, text in enumerate(outline_lines, 1) if re.search(rf"\b{key}:\s*{re.escape(field)}\s*$", text)), None)
                problems.append(Problem(message=f"章节「{s.title}」引用的数据 {field} 在数据模型中不存在",
                                        file=outline_file, line=line, rule="template.outline_path"))
        if s.each and s.item_body:
            exists, kind_ = path_type(report_model, s.each)
            params[s.item_body] = [kind_.item if isinstance(kind_, ListOf) else None, None]
    tree = env.parse(source, name, filename)
    checker.macros(tree, {"r": report_model}, params)
    for imp in tree.find_all(nodes.Import):
        if isinstance(imp.template, nodes.Const) and checker.loadable(imp.template.value):
            imported, ifile, _ = env.loader.get_source(env, imp.template.value)
            sub = _Checker(imp.template.value, ifile, env)
            merged = {m: next(iter(calls), []) for m, calls in checker.calls.items()}
            sub.macros(env.parse(imported, imp.template.value, ifile), {}, merged)
            problems += sub.problems
    return problems + checker.problems


def sample_document() -> Document:
    """One block of every kind, to render a skin once before any report goes through it."""
    table = Table(columns=[Column("甲", 50), Column("乙", 50, "right")],
                  rows=[[Cell("甲", bold=True), Cell("乙", bold=True)], [Cell("一", rowspan=2), Cell("1.00", value=Decimal(1), number="money")],
                        [Cell(covered="v"), Cell("2.00")], [Cell("合计", colspan=2), Cell(covered="h")]],
                  caption="表", unit="单位：万元")
    blocks = [Heading(level, "一、", "标题", f"h{level}") for level in (1, 2, 3, 4, 5)]
    blocks += [Paragraph("正文"), table, Signature("单位", date(2025, 1, 1)), PageBreak(), AnnexHeading("附件1", "附表"), table]
    return Document(kind="sample", title="标题", blocks=blocks)


def lint_skins(templates: Any) -> list[Problem]:
    doc = sample_document()
    problems = []
    for name, render in (("report.md.j2", templates.markdown), ("report.docx", templates.docx)):
        try:
            render(doc)
        except Exception as exc:  # a user's skin may fail in ways of its own: report it, never crash
            text = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            problems.append(Problem(message=f"试生成时出错：{text}", file=str(templates.find(name)), rule="template.skin"))
    return problems
