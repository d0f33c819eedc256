"""YAML file -> validated model, with every schema problem located and named in Chinese."""

from __future__ import annotations

import contextlib
import difflib
import gc
import re
import types
import typing
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel, ValidationError

from .errors import InputError, Problem, in_file_order
from .model import KIND_TITLES, REPORT_KINDS, ReportBase, shown
from .yamlio import Source, decode, is_workbook, loads, read_input

_SIMPLE = {
    "missing": "缺少必填字段",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能带小数",
    "list_type": "应为列表（每一项以“- ”开头）",
    "tuple_type": "应为列表（每一项以“- ”开头）",
    "model_type": "应为“字段: 值”形式的映射",
    "model_attributes_type": "应为“字段: 值”形式的映射",
    "dict_type": "应为“字段: 值”形式的映射",
    "date_type": "应为日期，格式如 2024-12-31",
    "date_parsing": "应为日期，格式如 2024-12-31",
    "date_from_datetime_parsing": "应为日期，格式如 2024-12-31",
    "date_from_datetime_inexact": "应为日期，不要带时间",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_type": "应为 是/否（true/false）",
}


def _unwrap(tp: Any) -> Any:
    """The model class (or None) a field annotation leads to, through Optional/list/Annotated."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            models = [a for a in typing.get_args(tp) if _unwrap(a) is not None]
            return _unwrap(models[0]) if models else None
        elif origin in (list, tuple, set):
            tp = typing.get_args(tp)[0]
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
        else:
            return None


LEVELS = {1: "一", 2: "二", 3: "三", 4: "四"}


def _item_label(data: Any) -> str | None:
    if isinstance(data, dict):
        for key in ("name", "title", "kind", "source", "grade"):
            if isinstance(data.get(key), str):
                return f"「{data[key]}」"
    return None


def field_title(model: type[BaseModel], path: tuple, data: Any = None) -> str:
    """How the report names the field at ``path``: the last two titles, e.g. 决算支出·人员经费."""
    titles: list[str] = []
    current: type[BaseModel] | None = model
    level = 0  # depth in the indicator tree, named 一级/二级/三级 as the report does
    in_tree = False
    for part in path:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and part < len(data) else None
            label = _item_label(data) or ""
            if in_tree:
                level += 1
                titles[-1] = f"{LEVELS.get(level, level)}级指标"
            if titles:
                titles[-1] += label
            elif label:
                titles.append(label)
            continue
        data = data.get(part) if isinstance(data, dict) else None
        info = current.model_fields.get(part) if current else None
        if info is None:
            current = None
            continue
        in_tree = part == "indicators" or (part == "children" and level > 0)
        titles.append(info.title or part)
        current = _unwrap(info.annotation)
    return "·".join(titles[-2:])


def _message(err: dict, model: type[BaseModel], path: tuple) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind.startswith("rt_"):
        return err["msg"]
    if kind == "value_error":  # our own validators' words
        return str(ctx.get("error") or err["msg"])
    if kind == "extra_forbidden":
        owner: Any = model
        for part in path[:-1]:
            if isinstance(part, str) and owner is not None and part in owner.model_fields:
                owner = _unwrap(owner.model_fields[part].annotation)
        fields = list(owner.model_fields) if owner else []
        near = difflib.get_close_matches(str(path[-1]), fields, n=1, cutoff=0.6) if path else []
        guess = f"是否想写 {near[0]}？" if near else ""
        return f"不认识的字段（可能拼写有误）；{guess}此处可用的字段：{'、'.join(fields)}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", ""))) or [str(ctx.get("expected", ""))]
        return f"只能取以下值之一：{'、'.join(choices)}，收到 {shown(err.get('input'))}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"应不小于 {ctx.get('ge', ctx.get('gt'))}，收到 {shown(err.get('input'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"应不大于 {ctx.get('le', ctx.get('lt'))}，收到 {shown(err.get('input'))}"
    if kind == "too_short":
        return f"至少需要填写 {ctx.get('min_length')} 项"
    if kind in _SIMPLE:
        text = _SIMPLE[kind]
        if kind not in ("missing",) and "input" in err and not isinstance(err["input"], (dict, list)):
            text += f"，收到 {shown(err['input'])}"
        return text
    return "取值无效，请对照 reporttool new 生成的模板检查本字段"


def _clean_loc(loc: tuple) -> tuple:
    # Drop pydantic's union/function markers so the path is the YAML path.
    return tuple(p for p in loc if isinstance(p, int) or not (p.startswith(("function-", "union[", "literal[")) or p in ("str", "int")))


def problems_from_validation(exc: ValidationError, model: type[BaseModel], data: Any, src: Source) -> list[Problem]:
    problems = []
    seen = set()
    errors = exc.errors(include_url=False)
    inside = {_clean_loc(e["loc"])[:i] for e in errors for i in range(len(_clean_loc(e["loc"])))}
    for err in errors:
        path = _clean_loc(err["loc"])
        if err["type"] == "too_short" and path in inside:
            continue  # pydantic also calls a list too short when an item of it failed: the item says why
        message = _message(err, model, path)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        problems.append(src.problem(path, message, title=field_title(model, path, data), rule="schema." + err["type"]))
    return problems


def validated(model: type[BaseModel], data: Any, src: Source) -> tuple[Any, list[Problem]]:
    """A settings-like file (outline, form layout) as its model, or None with every schema problem located."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, problems_from_validation(exc, model, data, src)


def parse(data: dict, src: Source) -> ReportBase:
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in REPORT_KINDS:
        known = "、".join(f"{k}（{v}）" for k, v in KIND_TITLES.items())
        message = "缺少报告类型" if kind is None else f"未知的报告类型 {shown(kind)}"
        raise InputError("无法识别报告类型", [src.problem(("kind",), f"{message}，可选：{known}", title="报告类型", rule="schema.kind")])
    model = REPORT_KINDS[kind]
    try:
        report = model.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, model, data, src)
        # a cell that could not be read is said once, not again as a field left empty
        unread = {p.path for p in src.errors if p.path}
        problems = src.errors + [p for p in problems if not any(p.path[:len(u)] == u for u in unread)]
        raise InputError("输入不符合要求", in_file_order(problems)) from None
    if src.errors:
        raise InputError("输入不符合要求", in_file_order(src.errors))
    report._source = src
    if report.settings.form_layout is not None:
        from .forms import layout_for  # forms reads files with this module's helpers
        layout_for(report)  # a wrong layout name or a bad layout file is an input error, found on loading
    return report


def load_data(path: str | Path) -> tuple[dict, Source]:
    """A report's data from YAML, a fill-in workbook or an official 自评表 (.xlsx), as plain mappings
    with where each field sits."""
    raw, file = read_input(path), str(path)
    if is_workbook(raw):
        from .xlsxin import workbook_data  # openpyxl-free, but only needed for workbooks
        return workbook_data(raw, file)
    return loads(decode(raw, file), file)


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Reading, checking and rendering build many small objects and no cycles: the cyclic collector would only
    walk them again and again as they grow (a quarter of the time of reading a 3,500-leaf file, a fourteenth of
    rendering a report). It runs again afterwards, on what is left."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load(path: str | Path) -> ReportBase:
    """Read and validate a report (.yaml or .xlsx); raises InputError listing every schema problem."""
    with no_cycle_collection():
        data, src = load_data(path)
        return parse(data, src)


def load_text(text: str, file: str = "<输入>") -> ReportBase:
    with no_cycle_collection():
        data, src = loads(text, file)
        return parse(data, src)


def source_of(report: ReportBase) -> Source:
    return getattr(report, "_source", None) or Source(file="<输入>")
