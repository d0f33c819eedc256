"""The one Jinja environment factory: sandboxed, StrictUndefined, filters registered once."""

from __future__ import annotations

import re
from typing import Any, Literal

from jinja2 import BaseLoader, StrictUndefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from . import filters
from .model import ratio

# Characters XML 1.0 forbids. Word's manual line break \x0b is kept apart: in paragraph text it
# survives as the in-paragraph break (a newline separates paragraphs), and each output maps it.
LINE_BREAK = "\x0b"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INVALID_KEEP_BREAK = re.compile("[\x00-\x08\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-]|\d+[.)])(?=\s|$)", re.M)

Flavor = Literal["text", "markdown", "docx"]


class TemplateOutputError(ValueError):
    pass


def clean_text(value: str, keep_breaks: bool = False) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if keep_breaks:
        return _INVALID_KEEP_BREAK.sub("", value)
    return _INVALID_XML.sub("", value.replace(LINE_BREAK, "\n"))


def invalid_chars(value: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in _INVALID_XML.findall(value.replace("\x0b", ""))})


def md_escape(value: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", value)


def md_block(value: str) -> Markup:
    """A paragraph for Markdown: inline markers escaped, and no accidental heading or list."""
    text = md_escape(clean_text(value, keep_breaks=True))
    return Markup(_MD_LINE_START.sub(r"\1\\\2", text).replace(LINE_BREAK, "<br>"))


def _finalizer(flavor: Flavor):
    def finalize(value: Any) -> Any:
        if value is None:
            raise TemplateOutputError("模板输出了空值（None）：请先判断该字段是否填写")
        if isinstance(value, Markup) or not isinstance(value, str):
            return value
        value = clean_text(value, keep_breaks=(flavor == "text"))
        return md_escape(value) if flavor == "markdown" else value
    return finalize


MAX_REPEAT = 100_000


class Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing size bombs such as 'x' * 10**9."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("模板中的乘方过大，已拒绝")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise SecurityError("模板中的重复次数过大，已拒绝")
        return super().call_binop(context, operator, left, right)


def make_env(loader: BaseLoader | None = None, flavor: Flavor = "text", **globals_: Any) -> Sandbox:
    env = Sandbox(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=(flavor == "docx"),
        finalize=_finalizer(flavor),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    filters.register(env)
    env.filters["md"] = md_block
    env.filters["ratio"] = ratio
    env.globals.update(globals_)
    return env
