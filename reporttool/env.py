"""The one Jinja environment factory: strict about missing values, filters registered once."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2 import BaseLoader, Environment, FileSystemBytecodeCache, StrictUndefined, TemplateNotFound, Undefined
from markupsafe import Markup

from . import filters
from .sandbox import ALLOWED_OUTPUT, Sandbox
from .view import Figure
from .text import _MD_LINE_START, LINE_BREAK, clean_text, md_escape

Flavor = Literal["text", "markdown", "docx"]


class TemplateOutputError(ValueError):
    pass


class FolderLoader(BaseLoader):
    """Jinja's view of a template set's folders (``templates.Folders``): nothing outside them is found."""

    def __init__(self, folders: Any):
        self.folders = folders

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        from .templates import NotFound

        try:
            return self.folders.source(template)
        except NotFound:
            raise TemplateNotFound(template) from None


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


class _Compiled(FileSystemBytecodeCache):
    """Our own templates' compiled code, kept between runs: compiling them is a third of a cold ``render``.

    Jinja checks each entry against its template's source, and Python's version is in every entry; a
    cache that cannot be read or written is only slower, never an error. A user's templates are never
    kept (they run sandboxed, compiled each time)."""

    def load_bytecode(self, bucket: Any) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            pass

    def dump_bytecode(self, bucket: Any) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def cache_dir() -> Path:
    """The user's cache folder for reporttool (%LOCALAPPDATA%, $XDG_CACHE_HOME or ~/.cache)."""
    base = os.environ.get("LOCALAPPDATA") if os.name == "nt" else os.environ.get("XDG_CACHE_HOME")
    return Path(base or Path.home() / ".cache") / "reporttool"


def _compiled_cache(flavor: Flavor) -> _Compiled | None:
    # one folder per Jinja version and flavor: the compiled code depends on both (autoescape is per flavor)
    return _cache_in(str(cache_dir() / f"templates-jinja{jinja2.__version__}" / flavor))


@functools.lru_cache(maxsize=None)
def _cache_in(folder: str) -> _Compiled | None:
    try:
        Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return _Compiled(folder)


def from_source(env: Environment, source: str, name: str) -> Any:
    """A template from text (a Word part), its compiled code kept like a file template's."""
    cache = env.bytecode_cache
    if cache is None:
        return env.from_string(source)
    bucket = cache.get_bucket(env, name, None, source)
    if bucket.code is None:
        bucket.code = env.compile(source, name)
        cache.set_bucket(bucket)
    return env.template_class.from_code(env, bucket.code, env.make_globals(None))


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
        bytecode_cache=None if sandboxed else _compiled_cache(flavor),
    )
    filters.register(env)
    env.filters["md"] = md_block
    env.globals.update(globals_)
    return env
