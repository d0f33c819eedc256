"""The sandbox user templates run in: only the view is reachable, sizes and time are bounded.

Built-in templates are ours and run without it. A user's template folder may come from anyone, so
its templates see nothing but plain values: an allow-list of attributes per type (the view's
declared fields, the document's blocks, a few harmless string methods), no callable but macros and
filters, no result larger than MAX_TEXT characters or MAX_INT_BITS bits, and TIME_LIMIT seconds
for each render.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import sys
import time
from datetime import date
from decimal import Decimal
from typing import Any, Iterator

from jinja2 import filters as jinja_filters
from jinja2 import pass_environment, pass_eval_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace

from . import document
from .view import SPECS

MAX_TEXT = 1_000_000     # characters any one value may grow to
MAX_WIDTH = 1_000        # widths and counts given to filters (center, indent, %-formats…)
MAX_INT_BITS = 4_096     # integers a template computes (2**4096 is far beyond any figure)
TIME_LIMIT = 10.0        # seconds for one render of a user template


class TemplateTimeout(Exception):
    pass


def _document_attrs() -> dict[type, frozenset[str]]:
    out = {}
    for cls in (document.Heading, document.Paragraph, document.Cell, document.Column, document.Table,
                document.PageBreak, document.SectionBreak, document.AnnexHeading, document.Signature, document.Toc,
                document.TocEntry, document.Document):
        out[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    out[document.Heading] |= {"text"}
    out[document.Document] |= {"ends_landscape", "title_lines", "title_text"}
    return out


SAFE_ATTRS: dict[type, frozenset[str]] = {cls: frozenset(fields) for cls, fields in SPECS.items()} | _document_attrs()
_STR = frozenset({"strip", "lstrip", "rstrip", "startswith", "endswith", "upper", "lower", "split", "splitlines",
                  "count", "find", "isdigit", "title", "capitalize"})
_PLAIN = {str: _STR, dict: frozenset({"items", "keys", "values", "get"}), list: frozenset({"count", "index"}),
          tuple: frozenset({"count", "index"}), date: frozenset({"year", "month", "day"})}
_JINJA_OWN = (LoopContext, Macro, Undefined, Namespace, Cycler, Joiner, Context)


def _too_long(size: int) -> None:
    if size > MAX_TEXT:
        raise SecurityError(f"模板生成的文字过长（超过 {MAX_TEXT:,} 个字符），已拒绝")


def _small(value: Any, what: str) -> None:
    if isinstance(value, int) and abs(value) > MAX_WIDTH:
        raise SecurityError(f"模板中{what}过大（{value}，上限 {MAX_WIDTH}），已拒绝")


_FORMAT_SPEC = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent_format(fmt: str) -> None:
    for m in _FORMAT_SPEC.finditer(fmt):
        for part in m.groups():
            if part == "*":
                raise SecurityError("模板的 % 格式中不能用 * 指定宽度")
            if part is not None:
                _small(int(part), "格式宽度")


def _int_bits(value: Any) -> int:
    return value.bit_length() if isinstance(value, int) and not isinstance(value, bool) else 0


# Filters whose arguments can make a value explode, each checked before it runs.

def _center(value: str, width: int = 80) -> str:
    _small(width, "center 宽度")
    return jinja_filters.do_center(value, width)


def _indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    size = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    _small(size, "indent 宽度")
    _too_long(len(str(s)) + (str(s).count("\n") + 1) * size)
    return jinja_filters.do_indent(s, width, first, blank)


def _format(value: str, *args: Any, **kwargs: Any) -> str:
    _check_percent_format(str(value))
    return jinja_filters.do_format(value, *args, **kwargs)


@pass_eval_context
def _replace(eval_ctx: Any, s: str, old: str, new: str, count: int | None = None) -> str:
    text = str(s)
    hits = len(text) + 1 if not old else text.count(str(old))
    if count is not None and count >= 0:
        hits = min(hits, count)
    _too_long(len(text) + hits * max(0, len(str(new)) - len(str(old))))
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def _join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> str:
    items = list(value)
    _too_long(len(str(d)) * len(items) + sum(len(str(i)) for i in items if isinstance(i, str)))
    return jinja_filters.sync_do_join(eval_ctx, items, d, attribute)


@pass_environment
def _wordwrap(environment: Any, s: str, width: int = 79, break_long_words: bool = True,
              wrapstring: str | None = None, break_on_hyphens: bool = True) -> str:
    _too_long(len(str(s)) * (1 + len(wrapstring or "\n")))
    return jinja_filters.do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)


def _batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
    _small(linecount, "batch 数量")
    return jinja_filters.do_batch(value, linecount, fill_with)


def _slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    _small(slices, "slice 数量")
    return jinja_filters.sync_do_slice(value, slices, fill_with)


BOUNDED_FILTERS = {"center": _center, "indent": _indent, "format": _format, "replace": _replace, "join": _join,
                   "wordwrap": _wordwrap, "batch": _batch, "slice": _slice}


class Sandbox(ImmutableSandboxedEnvironment):
    """Only declared view fields, document blocks and a few string methods; bounded sizes."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.filters.update(BOUNDED_FILTERS)
        self.globals.pop("lipsum", None)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        allowed = SAFE_ATTRS.get(type(obj))
        if allowed is not None:
            return attr in allowed
        for kind, names in _PLAIN.items():
            if isinstance(obj, kind):
                return attr in names
        if isinstance(obj, _JINJA_OWN) or type(obj).__name__ == "TemplateModule":
            return super().is_safe_attribute(obj, attr, value)
        return False  # numbers, dates' methods, anything else: nothing to read

    def wrap_str_format(self, value: Any) -> None:
        # str.format and format_map are not on the allow-list at all: widths in them are size bombs.
        return None

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        # Fail where it happens: an undefined marker must never reach the page as text.
        raise SecurityError(f"模板不能访问 {attribute}（只能读取报告数据中列出的字段）")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and (abs(right) > 64 or _int_bits(left) * abs(right) > MAX_INT_BITS):
            raise SecurityError("模板中的乘方过大，已拒绝")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                    _too_long(len(seq) * n)
            if _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
                raise SecurityError("模板中的数字过大，已拒绝")
        if operator == "%" and isinstance(left, str):
            _check_percent_format(left)
        result = super().call_binop(context, operator, left, right)
        if _int_bits(result) > MAX_INT_BITS:
            raise SecurityError("模板中的数字过大，已拒绝")
        if isinstance(result, (str, list, tuple)):
            _too_long(len(result))
        return result


@contextlib.contextmanager
def time_limit(seconds: float | None = None) -> Iterator[None]:
    """Stop a user template that runs longer than ``seconds``, on any platform and in any thread.

    A trace function sees every line the compiled template runs (loops included) and raises once
    the deadline has passed; C-level work is bounded by the size limits above instead.
    """
    limit = TIME_LIMIT if seconds is None else seconds
    deadline = time.monotonic() + limit
    previous = sys.gettrace()
    events = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal events
        events += 1
        if not events & 1023 and time.monotonic() > deadline:
            raise TemplateTimeout(f"模板运行超过 {limit:g} 秒，已停止（可能有过大的循环）")
        return tracer

    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(previous)


ALLOWED_OUTPUT = (str, int, float, Decimal, date)
