"""Read YAML input with line numbers, exact decimals and no silent surprises."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Problem
from .yamlscan import UNSHIELD, scan

# Walking an alias-expanded tree is what explodes, so bound the walk, not the file.
MAX_NODES = 200_000
MAX_DEPTH = 60                 # nested mappings and lists; a report needs about 12
MAX_FILE_CHARS = 10_000_000    # a year's report data is well under 1 MB


# libyaml's parser when present (several times faster); same constructors either way.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    """SafeLoader that reads numbers exactly as typed: floats as Decimal, no YAML 1.1 octal or base 60."""

    shielded = True  # whether the text had line separators shielded from the parser (values restore them)

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        # PyYAML's resolve, less what a safe loader never has (path and wildcard resolvers): libyaml calls it per node
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return self.DEFAULT_SCALAR_TAG
        return self.DEFAULT_SEQUENCE_TAG if kind is yaml.SequenceNode else self.DEFAULT_MAPPING_TAG


class TypedInt(int):
    """A whole number that remembers how it was typed (0100), for a text field that got a number."""

    typed: str


class TypedDecimal(Decimal):
    """A decimal that remembers how it was typed (99.80, 1e3)."""

    typed: str


def typed(cls: type, value: Any, text: str) -> Any:
    out = cls(value)
    out.typed = text
    return out


_DIGITS = re.compile(r"[-+]?[0-9]+")


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    if _DIGITS.fullmatch(text):  # 0100 is one hundred as typed (YAML 1.1 would read 64)
        return typed(TypedInt, int(text, 10), text)
    return text  # 0x1F, 0o17, 0b101, 1:30: kept as typed; a number field then says it is not a number


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    if ":" in text:  # 1:30.5 is not 90.5
        return text
    try:
        return typed(TypedDecimal, text.replace("_", ""), text)
    except InvalidOperation:
        # .inf / .nan spellings: keep YAML's meaning so validation can refuse them.
        return yaml.SafeLoader.construct_yaml_float(loader, node)


_FOLDED_SPACE = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]) "
                           r"(?=[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef])")


def _construct_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    value = node.value
    if node.style == ">" or (not node.style and node.start_mark.line != node.end_mark.line):
        value = _FOLDED_SPACE.sub("", value)  # folding joins lines with a space; Chinese has none
    return value.translate(UNSHIELD) if loader.shielded else value


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        # 2025-13-01: keep the text so validation reports it at its path.
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass
class Source:
    """Where each path of the data sits in the file: (line, column) in YAML, (row, column, sheet) in a workbook."""

    file: str
    positions: dict[tuple, tuple] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)  # found while reading (e.g. removed characters)
    escapes: bool = True  # whether values may hold characters typed as escapes ("\x08"); raw ones are removed

    sheets: tuple[str, ...] = ()  # a workbook's sheets, in order
    errors: list[Problem] = field(default_factory=list)  # found reading cells (a formula with no value): shown with the schema's
    draft: str = ""  # the form the data was read from (a 自评表 lacks the report's narrative): what it lacks is to write, not wrong

    def locate(self, path: tuple) -> tuple:
        path = tuple(path)
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return None, None
            path = path[:-1]

    def problem(self, path: tuple, message: str, **kw: Any) -> Problem:
        line, col, *sheet = self.locate(path)
        if sheet:
            kw.update(sheet=sheet[0], sheet_no=self.sheets.index(sheet[0]) if sheet[0] in self.sheets else 0)
        return Problem(message=message, path=tuple(path), file=self.file, line=line, column=col, **kw)


_NOT_YAML = [
    (b"%PDF", "PDF 文件"),
    (b"\xd0\xcf\x11\xe0", "旧版 Word/Excel 文件（.doc/.xls，请先在 Word 或 Excel 中另存为 .docx/.xlsx）"),
]


def _not_yaml(raw: bytes) -> str | None:
    """What a file is when it is plainly not YAML text, in words a clerk knows."""
    if raw.startswith(b"PK\x03\x04"):
        if b"word/" in raw[:4096] or b"word/document.xml" in raw:
            return "Word 文档（.docx）"
        if b"xl/" in raw[:4096] or b"xl/workbook.xml" in raw:
            return "Excel 工作簿（.xlsx）"
        return "压缩包（zip）"
    return next((what for magic, what in _NOT_YAML if raw.startswith(magic)), None)


def decode(raw: bytes, file: str) -> str:
    what = _not_yaml(raw)
    if what:
        hint = ("检查他人报告是否符合大纲请用：reporttool outline check " + file) if "Word" in what or "PDF" in what else \
            "报告数据请写在 YAML 文件中（reporttool new 报告类型 -o 文件.yaml 生成带说明的模板）"
        raise InputError("这不是 YAML 数据文件", [Problem(
            message=f"这是{what}，不是 YAML 数据文件；{hint}", file=file, rule="input.not_yaml")])
    try:
        if raw.startswith(codecs.BOM_UTF8):
            return raw[len(codecs.BOM_UTF8):].decode("utf-8")
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return raw.decode("utf-16")
    except UnicodeDecodeError as exc:
        bom = "UTF-8" if raw.startswith(codecs.BOM_UTF8) else "UTF-16"
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("无法读取输入文件", [Problem(
            message=f"文件开头标明是 {bom} 编码，但内容不是（可能被截断或混入了其他编码的文字），"
                    "请在编辑器中另存为“UTF-8”编码后重试", file=file, line=line, rule="input.encoding")]) from None
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
                     file=file, line=line, rule="input.encoding")],
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
    (("found character that cannot start any token",), "YAML 语法错误：此处的符号不能作为文字的开头（如 @、`、% 或制表符），请给整段文字加引号"),
    (("unacceptable character", "special characters are not allowed"), "含有不能使用的特殊字符，请删去后重试"),
    (("found unexpected end of stream",), "YAML 语法错误：文件在引号或括号闭合之前就结束了"),
    (("expected a comment or a line break",), "YAML 语法错误：本行的值后面还有多余的内容；含有引号、冒号或 # 的文字请整段加引号"),
    (("found unknown escape character",), "YAML 语法错误：双引号中的反斜杠 \\ 用法不对；请改用单引号，或把 \\ 写成 \\\\"),
    (("did not find expected node content", "expected the node content"), "YAML 语法错误：此处缺少内容，请检查“- ”或“:”后面"),
    (("found duplicate anchor",), "YAML 语法错误：锚点（&）名称重复"),
    (("found unexpected ':'",), "YAML 语法错误：此处不能出现“:”，请给含冒号的文字加引号"),
    (("block sequence entries are not allowed",), "YAML 语法错误：冒号后不能直接写“- ”列表项，列表应另起一行"),
]


def _yaml_problem(exc: yaml.YAMLError, file: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark else None
    col = mark.column + 1 if mark else None
    text = str(getattr(exc, "problem", "") or exc)
    said = f"{text} {getattr(exc, 'context', '') or ''}"
    message = next((m for needles, m in _YAML_MESSAGES if any(n in said for n in needles)),
                   "YAML 语法错误：无法识别此处的写法，请检查本行及上一行的缩进、冒号、引号和括号")
    context = getattr(exc, "context_mark", None)
    if context and any(w in str(getattr(exc, "context", "")) for w in ("flow", "quoted scalar")):
        # Point at the bracket or quote that was left open, not where the parser gave up.
        line, col = context.line + 1, context.column + 1
    return Problem(message=message, file=file, line=line, column=col, rule="yaml.syntax",
                   extra={"detail": said.strip()})  # the parser's own words, for --json


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_SCALARS = {tag: _Loader.yaml_constructors[tag] for tag in (
    _STR, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp")}


class _Reader:
    """One pass over the composed nodes: bounds, key checks and positions, building the values as it goes.

    The plain tags are built here (PyYAML's generic constructor costs more than the whole walk); any
    other tag is built by the loader, and a failure there is raised only when the keys were all right.
    """

    def __init__(self, loader: _Loader, src: Source):
        self.loader, self.src = loader, src
        self.problems: list[Problem] = []
        self.failed: yaml.YAMLError | None = None
        self.budget = MAX_NODES
        self.open: set[int] = set()

    def guard(self, node: yaml.Node, path: tuple) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise InputError(
                "输入文件过大或锚点（&/*）引用层层展开过多，已拒绝读取",
                [Problem(message=f"数据项超过 {MAX_NODES} 个（锚点与别名展开后计），请拆分文件或减少别名的嵌套使用",
                         file=self.src.file, line=node.start_mark.line + 1, rule="yaml.size")])
        if len(path) > MAX_DEPTH:
            raise InputError("输入文件嵌套过深", [Problem(
                message=f"数据嵌套超过 {MAX_DEPTH} 层，请检查缩进", file=self.src.file, line=node.start_mark.line + 1,
                rule="yaml.depth")])
        if id(node) in self.open:
            raise InputError("别名引用了自身", [Problem(
                message="别名（*）引用了包含它自己的锚点（&），数据会无限展开；请直接写出数据", file=self.src.file,
                line=node.start_mark.line + 1, column=node.start_mark.column + 1, rule="yaml.alias_loop")])

    def read(self, node: yaml.Node, path: tuple) -> Any:
        self.guard(node, path)
        if isinstance(node, yaml.ScalarNode):
            build = _SCALARS.get(node.tag)
            return build(self.loader, node) if build else self.other(node)
        self.open.add(id(node))
        if isinstance(node, yaml.MappingNode):
            out = self.mapping(node, path)
        else:
            out = []
            for i, item in enumerate(node.value):
                self.src.positions[path + (i,)] = (item.start_mark.line + 1, item.start_mark.column + 1)
                out.append(self.read(item, path + (i,)))
        self.open.discard(id(node))
        return out if node.tag in (_SEQ, _MAP) else self.other(node)

    def mapping(self, node: yaml.MappingNode, path: tuple) -> dict:
        out: dict[str, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem("YAML 语法错误：字段名不能是列表或映射", path, line, col, "yaml.key")
                continue
            if key_node.tag != _STR:
                self.problem(f"字段名应为英文字段名（如 name），这里是“{key_node.value or '空'}”：数字、日期、true/false "
                             "和空值不能作字段名", path, line, col, "yaml.key")
                continue
            key = key_node.value
            if key in seen:
                self.problem(f"字段“{key}”重复出现（第 {seen[key]} 行和第 {line} 行），后一个会覆盖前一个，请合并或删除其一",
                             path + (key,), line, col, "yaml.duplicate_key")
                continue
            seen[key] = line
            self.src.positions[path + (key,)] = (line, col)
            out[_construct_str(self.loader, key_node)] = self.read(value_node, path + (key,))
        return out

    def problem(self, message: str, path: tuple, line: int, col: int, rule: str) -> None:
        self.problems.append(Problem(message=message, path=path, file=self.src.file, line=line, column=col, rule=rule))

    def other(self, node: yaml.Node) -> Any:
        """A tag other than the plain ones (!!set, !!binary, an unknown one): the loader's own constructor."""
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.failed = self.failed or exc
            return None


def loads(text: str, file: str = "<输入>") -> tuple[Any, Source]:
    """Parse YAML text; returns the data and a Source for locating paths (and warnings found reading)."""
    if len(text) > MAX_FILE_CHARS:
        raise InputError("输入文件过大", [Problem(
            message=f"文件超过 {MAX_FILE_CHARS:,} 个字符，不像是一份报告的数据，已拒绝读取", file=file, rule="yaml.size")])
    scanned = scan(text, file)
    if scanned.errors:
        raise InputError(f"YAML 写法有 {len(scanned.errors)} 处错误", scanned.errors)
    src = Source(file=file, warnings=scanned.warnings, escapes="\\" in scanned.text)
    loader = _Loader(scanned.text)
    loader.shielded = scanned.shielded
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError("输入文件为空", [Problem(message="文件中没有任何内容，请参照 `reporttool new` 生成的模板填写", file=file, line=1, column=1)])
        src.positions[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
        reader = _Reader(loader, src)
        data = reader.read(node, ())
        if reader.problems:
            raise InputError("输入文件的字段名有误", reader.problems)
        if reader.failed:
            raise reader.failed
    except yaml.YAMLError as exc:
        raise InputError("无法解析 YAML", [_yaml_problem(exc, file)]) from None
    except RecursionError:
        raise InputError("输入文件嵌套过深", [Problem(message="数据嵌套层次过深，请检查缩进和括号", file=file,
                                                     rule="yaml.depth")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "列表" if isinstance(data, list) else "单个值"
        raise InputError("输入文件结构不对", [Problem(
            message=f"顶层应为“字段: 值”的映射，实际是{kind}", file=file, line=src.positions[()][0], column=1)])
    return data, src


def read_input(path: str | Path) -> bytes:
    """A data file's bytes, or a message a clerk understands."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"找不到文件：{p}") from None
    except IsADirectoryError:
        raise InputError(f"这是一个文件夹，不是数据文件：{p}") from None
    except OSError as exc:
        raise InputError(f"无法读取文件 {p}：{exc.strerror}") from None


def is_workbook(raw: bytes) -> bool:
    return _not_yaml(raw) == "Excel 工作簿（.xlsx）"


def load_file(path: str | Path) -> tuple[Any, Source]:
    return loads(decode(read_input(path), str(path)), str(path))
