"""The one Jinja environment factory: strict about missing values, filters registered once."""

from __future__ import annotations

import re
from typing import Any, Literal

from jinja2 import BaseLoader, Environment, StrictUndefined, Undefined
from markupsafe import Markup

from . import filters
from .sandbox import ALLOWED_OUTPUT, Sandbox
from .view import Figure
from .text import _MD_LINE_START, LINE_BREAK, clean_text, md_escape

Flavor = Literal["text", "markdown", "docx"]


class TemplateOutputError(ValueError):
    pass


def md_block(value: str) -> Markup:
    """A paragraph for Markdown: inline markers escaped, and no accidental heading or list."""
    text = md_escape(clean_text(value, keep_breaks=True))
    return Markup(_MD_LINE_START.sub(_marker_escaped, text).replace(LINE_BREAK, "<br>"))


def _marker_escaped(m: re.Match) -> str:
    return m.group(1) + "\\" + m.group(2)


class Strict(StrictUndefined):
    """Missing values stop the render; not even repr() lets one reach the page as text."""

    __repr__ = StrictUndefined._fail_with_undefined_error


def _finalizer(flavor: Flavor):
    keep_breaks, markdown = flavor == "text", flavor == "markdown"

    def finalize(value: Any) -> Any:
        if type(value) is str:  # most of what a template prints: the checks below cannot apply
            value = clean_text(value, keep_breaks)
            return md_escape(value) if markdown else value
        if value is None:
            raise TemplateOutputError("模板输出了空值（None）：请先判断该字段是否填写")
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        if isinstance(value, Figure):
            value = value.text
        elif isinstance(value, Markup):
            return value
        elif isinstance(value, bool) or not isinstance(value, ALLOWED_OUTPUT):
            raise TemplateOutputError(f"模板只能输出文字和数字，不能输出{_what(value)}")
        if not isinstance(value, str):
            return value
        value = clean_text(value, keep_breaks)
        return md_escape(value) if markdown else value
    return finalize


def _what(value: Any) -> str:
    if isinstance(value, bool):
        return "真假值"
    if isinstance(value, (list, tuple, dict, set)):
        return "列表或映射"
    return "数据块（请写出其中的字段）"


def make_env(loader: BaseLoader | None = None, flavor: Flavor = "text", *, sandboxed: bool = False,
             **globals_: Any) -> Environment:
    """Our own templates run as they are; a user's run in the sandbox (``sandbox.py``)."""
    cls = Sandbox if sandboxed else Environment
    env = cls(
        loader=loader,
        undefined=Strict,
        autoescape=(flavor == "docx"),
        finalize=_finalizer(flavor),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    filters.register(env)
    env.filters["md"] = md_block
    env.globals.update(globals_)
    return env
