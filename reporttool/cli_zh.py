"""The command line's own words in Chinese: usage lines, panel titles and usage errors.

Typer (and the click it builds on) print English for these, and a clerk reads every line of it. The
patches are small and each is skipped if the library no longer has what it changes; tests pin the
Chinese output.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import re
import sys
from typing import Any, Callable

PANEL_TITLES = {
    "ARGUMENTS_PANEL_TITLE": "参数", "OPTIONS_PANEL_TITLE": "选项", "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误", "ABORTED_TEXT": "已中止。", "DEFAULT_STRING": "[默认：{}]",
    "REQUIRED_LONG_STRING": "[必填]", "DEPRECATED_STRING": "（已停用）",
    "RICH_HELP": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
}
KINDS = {"argument": "参数", "option": "选项", "parameter": "参数"}
_EXTRA = [
    (re.compile(r"Got unexpected extra arguments? \((.*)\)"), r"多余的参数：\1"),
    (re.compile(r"No such command '(.*)'\."), r"没有这个命令：\1"),
    (re.compile(r"Missing command\."), "缺少命令"),
    (re.compile(r"Option '(.*)' requires an argument\."), r"选项 \1 后面需要一个值"),
    (re.compile(r"'(.*)' is not a valid integer\."), r"“\1”不是整数"),
    (re.compile(r"Show this message and exit\."), "显示本帮助并退出。"),
]


def translate(text: str) -> str:
    for pattern, chinese in _EXTRA:
        text = pattern.sub(chinese, text)
    return text


def _module(*names: str) -> Any:
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _panels(rich: Any) -> None:
    for name, text in PANEL_TITLES.items():
        if hasattr(rich, name):
            setattr(rich, name, text)
    highlighter = getattr(rich, "OptionHighlighter", None)
    if highlighter is not None:
        highlighter.highlights = [h.replace("Usage: ", "用法：") for h in highlighter.highlights]


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches a module as it is first imported: typer imports its rich help (a sixth of a cold
    command's start) only to print help or an error, and so should we."""

    def __init__(self, name: str, patch: Callable[[Any], None]):
        self.name, self.patch = name, patch

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader, patch = spec.loader, self.patch

        class Patching(importlib.abc.Loader):
            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: Any) -> None:
                loader.exec_module(module)
                patch(module)

        spec.loader = Patching()
        return spec


def when_imported(name: str, patch: Callable[[Any], None]) -> None:
    if name in sys.modules:
        patch(sys.modules[name])
    elif not any(isinstance(f, _PatchOnImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport(name, patch))


def install() -> None:
    when_imported("typer.rich_utils", _panels)
    formatting = _module("typer._click.formatting", "click.formatting")
    exceptions = _module("typer._click.exceptions", "click.exceptions")
    if formatting is not None and hasattr(formatting, "HelpFormatter"):
        original = formatting.HelpFormatter.write_usage

        def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
            original(self, prog, args.replace("[OPTIONS]", "[选项]").replace("COMMAND", "命令")
                     .replace("[ARGS]", "[参数]"), "用法：" if prefix is None else prefix)

        formatting.HelpFormatter.write_usage = write_usage
    core = _module("typer._click.core", "click.core")
    command = getattr(core, "Command", None)
    if command is not None and hasattr(command, "get_help_option"):
        original_help = command.get_help_option

        def get_help_option(self: Any, ctx: Any) -> Any:
            option = original_help(self, ctx)
            if option is not None and getattr(option, "help", None):
                option.help = translate(option.help)
            return option

        command.get_help_option = get_help_option
    if exceptions is None:
        return

    def hint(exc: Any) -> str:
        if getattr(exc, "param_hint", None) is not None:
            value = exc.param_hint
            return " / ".join(value) if isinstance(value, (list, tuple)) else str(value)
        param = getattr(exc, "param", None)
        if param is None:
            return ""
        try:
            return str(param.get_error_hint(exc.ctx))
        except TypeError:
            return str(param.get_error_hint())

    def bad_parameter(self: Any) -> str:
        where = hint(self)
        return f"{where} 的值无效：{translate(str(self.message))}" if where else f"值无效：{translate(str(self.message))}"

    def missing(self: Any) -> str:
        kind = KINDS.get(self.param_type or getattr(self.param, "param_type_name", ""), "参数")
        return f"缺少{kind} {hint(self)}".rstrip() + "。"

    def no_such_option(self: Any) -> str:
        near = f"（是否想写 {'、'.join(sorted(self.possibilities))}？）" if self.possibilities else ""
        return f"没有这个选项：{self.option_name}{near}"

    def usage(self: Any) -> str:
        return translate(str(self.message))

    for cls, fn in (("UsageError", usage), ("BadParameter", bad_parameter), ("MissingParameter", missing),
                    ("NoSuchOption", no_such_option)):
        if hasattr(exceptions, cls):
            getattr(exceptions, cls).format_message = fn
