"""自评表 layouts are data: which header fields, funds rows and columns, indicator columns and footer rows a
项目支出绩效自评表 has. One YAML file per built-in layout (``templates/forms/``); a user may write their own.

A layout file is validated like an outline: unknown keys, unknown fields, repeated columns, every problem
with file:line. It names things from the vocabularies below and holds no code.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import Field

from .errors import InputError, Problem, in_file_order
from .loading import source_of, validated
from .model import Model, ReportBase
from .text import clean_text
from .yamlio import load_file

# What a layout may name, each with the title the form prints unless the layout gives its own.
HEADER_FIELDS = {"name": "项目名称", "department": "主管部门", "implementer": "实施单位", "leader": "项目负责人",
                 "phone": "联系电话", "term": "项目类型", "type": "项目类别", "period": "实施周期"}
FUNDS_COLUMNS = {"initial": "年初预算数", "adjusted": "调整后预算数", "budget": "全年预算数", "received": "实际到位数",
                 "spent": "全年执行数", "weight": "分值", "rate": "执行率", "arrival_rate": "到位率", "score": "得分",
                 "reason": "原因"}
FUNDS_ROWS = {"total": "年度资金总额", "sources": "按资金来源（当年财政拨款、上年结转资金、其他资金）",
              "levels": "按资金级次（中央、省级、市级、区级、其他）"}
INDICATOR_COLUMNS = {"nature": "指标性质", "unit": "度量单位", "target": "年度指标值", "actual": "实际完成值",
                     "weight": "分值", "score": "得分", "deviation": "偏差原因分析及改进措施"}
FOOTER_ROWS = {"total": "总分", "grade": "评价等次", "problems": "问题和建议", "evaluators": "评价人员"}

MAX_LAYOUT_BYTES = 64 * 1024  # a layout is a few hundred bytes
MAX_TITLE = 40

FORMS = Path(__file__).parent / "templates" / "forms"
if not FORMS.is_dir():
    FORMS = Path(__file__).resolve().parent.parent / "templates" / "forms"
DEFAULT = "cz2020"

class FundsBlock(Model):
    title: str = Field("项目资金（万元）", title="栏目名称", description="资金栏左侧的名称", max_length=MAX_TITLE)
    columns: tuple[Literal[tuple(FUNDS_COLUMNS)], ...] = Field(
        title="列", description="从左到右：" + "、".join(f"{k}（{v}）" for k, v in FUNDS_COLUMNS.items())
        + "；预算执行率作为指标计分时，weight 与 score 两列自动省去", min_length=1, max_length=10)
    rows: tuple[Literal[tuple(FUNDS_ROWS)], ...] = Field(
        ("total", "sources"), title="行", description="从上到下：" + "、".join(f"{k}（{v}）" for k, v in FUNDS_ROWS.items()),
        min_length=1, max_length=3)
    # default={} (copied for each object), not default_factory=dict: see outline.Block
    titles: dict[Literal[tuple(FUNDS_COLUMNS)], str] = Field(
        default={}, title="列标题", description="改写列标题，如 spent: 预算执行数")


class IndicatorsBlock(Model):
    columns: tuple[Literal[tuple(INDICATOR_COLUMNS)], ...] = Field(
        title="列", description="一级、二级、三级指标之后从左到右：" + "、".join(f"{k}（{v}）" for k, v in INDICATOR_COLUMNS.items()),
        min_length=1, max_length=7)
    titles: dict[Literal[tuple(INDICATOR_COLUMNS)], str] = Field(
        default={}, title="列标题", description="改写列标题，如 weight: 权重")


class FormLayout(Model):
    name: str = Field(title="样式名称", description="如 财预〔2020〕10号 附1", max_length=MAX_TITLE)
    source: Optional[str] = Field(None, title="依据", description="样式出自哪份文件或系统", max_length=200)
    font_size: Decimal = Field(Decimal(12), title="字号（磅）", description="表格文字的字号，如 12（小四）、10.5（五号）",
                               ge=8, le=16)
    header: tuple[tuple[Literal[tuple(HEADER_FIELDS)], ...], ...] = Field(
        (("name",), ("department", "implementer")), title="表头",
        description="表头各行，每行 1–4 项：" + "、".join(f"{k}（{v}）" for k, v in HEADER_FIELDS.items()), max_length=6)
    funds: Optional[FundsBlock] = Field(None, title="项目资金", description="资金栏；不填则表中没有资金栏")
    goals: bool = Field(True, title="年度总体目标", description="是否列出年度总体目标（预期目标、实际完成情况）")
    indicators: IndicatorsBlock = Field(title="绩效指标", description="绩效指标栏的列")
    footer: tuple[Literal[tuple(FOOTER_ROWS)], ...] = Field(
        ("total", "grade"), title="表尾", description="从上到下：" + "、".join(f"{k}（{v}）" for k, v in FOOTER_ROWS.items()),
        max_length=4)
    titles: dict[Literal[tuple(HEADER_FIELDS) + tuple(FOOTER_ROWS)], str] = Field(
        default={}, title="名称", description="改写表头项或表尾行的名称，如 term: 项目属性")


def _repeats(data: Any, src: Any) -> list[Problem]:
    """The same column or row named twice in one list: the form would print it twice."""
    problems = []
    lists = [(("header", i), row) for i, row in enumerate(data.get("header") or []) if isinstance(row, list)]
    for block, key in (("funds", "columns"), ("funds", "rows"), ("indicators", "columns")):
        value = data.get(block)
        if isinstance(value, dict) and isinstance(value.get(key), list):
            lists.append(((block, key), value[key]))
    if isinstance(data.get("footer"), list):
        lists.append((("footer",), data["footer"]))
    seen_header: dict[str, tuple] = {}
    for path, items in lists:
        seen: dict[Any, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, str):
                continue
            earlier = seen_header.get(item) if path[0] == "header" else None
            if item in seen or earlier:
                first = src.locate(path + (seen[item],) if item in seen else earlier)[0]
                problems.append(src.problem(path + (i,), f"“{item}”重复（第 {first} 行已列出）", title="自评表样式",
                                            rule="form.repeat"))
            seen.setdefault(item, i)
            if path[0] == "header":
                seen_header.setdefault(item, path + (i,))
    return problems


def load_layout(path: str | Path) -> FormLayout:
    """Read and validate a layout file; every problem at once, located."""
    p = Path(path)
    if p.is_file() and p.stat().st_size > MAX_LAYOUT_BYTES:
        raise InputError(f"自评表样式文件 {p} 超过 {MAX_LAYOUT_BYTES // 1024} KB，不像是样式文件，已拒绝读取")
    data, src = load_file(p)
    layout, problems = validated(FormLayout, data, src)
    problems += _repeats(data, src)
    if problems:
        raise InputError(f"自评表样式文件 {path} 有误", in_file_order(problems))
    return layout


@functools.lru_cache(maxsize=None)
def builtin(name: str) -> FormLayout:
    return load_layout(FORMS / f"{name}.yaml")


def builtin_names() -> dict[str, str]:
    """Built-in layouts: id -> Chinese name."""
    return {p.stem: builtin(p.stem).name for p in sorted(FORMS.glob("*.yaml"))}


def _named(spec: str) -> str | None:
    """A built-in layout's id from its id or its Chinese name."""
    names = builtin_names()
    return spec if spec in names else next((k for k, v in names.items() if v == spec), None)


def choices() -> str:
    return "、".join(f"{k}（{v}）" for k, v in builtin_names().items())


def resolve(spec: str, folder: Path | None = None) -> FormLayout:
    """A layout by built-in name or by file path.

    With ``folder`` (a layout named inside a report) the file must lie in the report's folder or below it:
    a report handed to us must not make us read files elsewhere. A path given on the command line is the user's own.
    """
    name = _named(spec.strip())
    if name is not None:
        return builtin(name)
    missing = f"找不到自评表样式“{clean_text(spec)}”：既不是内置样式（{choices()}），也不是样式文件"
    try:  # a name no disk can hold (a NUL, too long) is simply not a file
        path = Path(spec)
        if folder is not None:
            path = (folder / path).resolve()
            if not path.is_relative_to(folder.resolve()):
                raise InputError(f"自评表样式文件“{spec}”不在报告所在的文件夹内；请把样式文件放在报告旁边，或用 --form 指定")
        found = path.is_file()
    except (ValueError, OSError):
        found = False
    if not found:
        raise InputError(missing)
    return load_layout(path)


def layout_for(report: ReportBase, chosen: FormLayout | None = None) -> FormLayout:
    """The layout a report's 自评表 uses: the one chosen on the command line, else ``settings.form_layout``, else 财预〔2020〕10号 附1."""
    if chosen is not None:
        return chosen
    spec = report.settings.form_layout
    if spec is None:
        return builtin(DEFAULT)
    src = source_of(report)
    # a report read from text (an upload) has no folder: only the built-in layouts, never a file
    folder = Path(src.file).parent if src.file and not src.file.startswith("<") else Path("/nonexistent-folder")
    try:
        return resolve(spec, folder)
    except InputError as exc:
        if exc.problems:
            raise
        raise InputError("自评表样式有误", [src.problem(("settings", "form_layout"), exc.message, title="设置·自评表样式",
                                                       rule="form.layout")]) from None
