"""Read YAML input with line numbers, exact decimals and no silent surprises."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Problem

# Walking an alias-expanded tree is what explodes, so bound the walk, not the file.
MAX_NODES = 200_000


# libyaml's parser when present (several times faster); same constructors either way.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    """SafeLoader that reads floats as Decimal so money stays exact."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        # .inf / .nan spellings: keep YAML's meaning so validation can refuse them.
        return yaml.SafeLoader.construct_yaml_float(loader, node)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        # 2025-13-01: keep the text so validation reports it at its path.
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass
class Source:
    """Where each YAML path sits in the file."""

    file: str
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: tuple) -> tuple[int | None, int | None]:
        path = tuple(path)
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return None, None
            path = path[:-1]

    def problem(self, path: tuple, message: str, **kw: Any) -> Problem:
        line, col = self.locate(path)
        return Problem(message=message, path=tuple(path), file=self.file, line=line, column=col, **kw)


def decode(raw: bytes, file: str) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        # Files saved by Windows tools in mainland China are GBK; GB18030 is its superset.
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        line = raw[: utf8_error.start].count(b"\n") + 1
        raise InputError(
            "无法读取输入文件",
            [Problem(message="文件既不是 UTF-8 也不是 GBK/GB18030 编码，请在编辑器中另存为“UTF-8”编码后重试",
                     file=file, line=line)],
        ) from None


# What PyYAML (pure or libyaml) says -> what a clerk should read. First match wins.
_YAML_MESSAGES = [
    (("'\\t'", "\\t", "tab character"), "缩进中不能使用制表符（Tab），请改用空格"),
    (("mapping values are not allowed",), "YAML 语法错误：此处不能出现“:”，请检查缩进，或给含冒号的文字加引号"),
    (("could not find expected ':'",), "YAML 语法错误：缺少“:”，每个字段应写成“字段: 值”"),
    (("found undefined alias",), "YAML 语法错误：引用了未定义的锚点（*别名）"),
    (("expected ',' or ']'",), "YAML 语法错误：方括号列表 [...] 没有闭合，或项与项之间缺少逗号"),
    (("expected ',' or '}'",), "YAML 语法错误：花括号 {...} 没有闭合，或项与项之间缺少逗号"),
    (("did not find expected key", "expected <block end>"), "YAML 语法错误：缩进不一致，同一层的字段应左侧对齐"),
    (("while scanning a quoted scalar",), "YAML 语法错误：引号没有闭合"),
    (("unhashable key",), "YAML 语法错误：字段名不能是列表或映射"),
    (("could not determine a constructor",), "不支持的 YAML 标签（以 !! 或 ! 开头），出于安全不会执行；请删去标签，只写数据"),
    (("did not find expected '-' indicator",), "YAML 语法错误：列表项应以“- ”开头并与上一项对齐"),
]


def _yaml_problem(exc: yaml.YAMLError, file: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark else None
    col = mark.column + 1 if mark else None
    text = str(getattr(exc, "problem", "") or exc)
    said = f"{text} {getattr(exc, 'context', '') or ''}"
    message = next((m for needles, m in _YAML_MESSAGES if any(n in said for n in needles)), f"YAML 语法错误：{text}")
    context = getattr(exc, "context_mark", None)
    if context and any(w in str(getattr(exc, "context", "")) for w in ("flow", "quoted scalar")):
        # Point at the bracket or quote that was left open, not where the parser gave up.
        line, col = context.line + 1, context.column + 1
    return Problem(message=message, file=file, line=line, column=col)


def _walk(node: yaml.Node, path: tuple, src: Source, problems: list[Problem], budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise InputError(
            "输入文件过大或锚点（&/*）引用层层展开过多，已拒绝读取",
            [Problem(message=f"展开后的节点超过 {MAX_NODES} 个，请减少锚点与别名的嵌套使用",
                     file=src.file, line=node.start_mark.line + 1)],
        )
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(Problem(
                    message=f"字段“{key}”重复出现（第 {seen[key]} 行和第 {line} 行），后一个会覆盖前一个，请合并或删除其一",
                    path=path + (key,), file=src.file, line=line, column=key_node.start_mark.column + 1,
                    rule="yaml.duplicate_key"))
                continue
            seen[key] = line
            src.positions[path + (key,)] = (line, key_node.start_mark.column + 1)
            _walk(value_node, path + (key,), src, problems, budget)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            src.positions[path + (i,)] = (item.start_mark.line + 1, item.start_mark.column + 1)
            _walk(item, path + (i,), src, problems, budget)


def loads(text: str, file: str = "<输入>") -> tuple[Any, Source]:
    """Parse YAML text; returns the data and a Source for locating paths."""
    src = Source(file=file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError("输入文件为空", [Problem(message="文件中没有任何内容，请参照 `reporttool new` 生成的模板填写", file=file, line=1, column=1)])
        problems: list[Problem] = []
        src.positions[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
        _walk(node, (), src, problems, [MAX_NODES])
        if problems:
            raise InputError("输入文件有重复字段", problems)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise InputError("无法解析 YAML", [_yaml_problem(exc, file)]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "列表" if isinstance(data, list) else "单个值"
        raise InputError("输入文件结构不对", [Problem(
            message=f"顶层应为“字段: 值”的映射，实际是{kind}", file=file, line=src.positions[()][0], column=1)])
    return data, src


def load_file(path: str | Path) -> tuple[Any, Source]:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"找不到文件：{p}") from None
    except IsADirectoryError:
        raise InputError(f"这是一个文件夹，不是 YAML 文件：{p}") from None
    except OSError as exc:
        raise InputError(f"无法读取文件 {p}：{exc.strerror}") from None
    return loads(decode(raw, str(path)), str(path))
