"""The frozen view of a validated report: the only thing templates, tables, annexes and checks read.

Built once per report from the frozen model. Every model field appears under its own name, each
number as a ``Figure`` (value, unit and, for a rate, its base in words); every derived figure —
totals, rates, shares, scores, grade — is computed in this module and nowhere else. A view holds
plain values only (str, int, bool, date, Decimal, tuples, Figures, nested views), so nothing a
template can reach runs code.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sys
import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Optional

from pydantic import BaseModel

from . import filters
from .model import (
    ANSWERS, EXECUTION_BASES, FUND_SOURCES, FUNDING_LEVELS, KIND_TITLES, REPORT_KINDS, AssetItem, Assets, DeptFunds,
    DeptSelfReport, Department, ExpenseItem, Goals, GradeBand, Income, Indicator, KeyEvalProjectReport, KeyEvalReport,
    FundYearLine, YearFunds, LevelLine, Procurement, ProjectFunds, ProjectSelfReport, FundLine, ReportBase,
    Settings, Spending, Suggestion, Survey, SurveyGroup, TargetPoints, ThreePublic, Unit,
)

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

_FORMAT = {"money": filters.money, "pct": filters.pct, "points": filters.points,
           "weight": filters.weight, "count": filters.count}
_UNIT_WORD = {"money": "万元", "pct": "", "points": "分", "weight": "分", "count": ""}


@dataclass(frozen=True, slots=True)
class Figure:
    """A number that knows its unit and, for a rate, the base it was computed on.

    ``{{ fig }}`` prints ``fig.text`` (``1,444.16万元``, ``106.65%``, ``94.50分``); ``fig.number`` is
    the same without the unit word; ``fig.base`` names a rate's base (``决算支出÷年初预算数``).
    """

    value: Decimal | int  # a rate is a fraction: 0.9539 prints as 95.39%
    unit: str             # money | pct | points | weight | count
    base: str = ""

    @property
    def number(self) -> str:
        return _FORMAT[self.unit](self.value)

    @property
    def text(self) -> str:
        return self.number + _UNIT_WORD[self.unit]

    @property
    def negative(self) -> bool:
        return self.value < 0

    @property
    def zero(self) -> bool:
        return self.value == 0

    @property
    def magnitude(self) -> "Figure":
        return Figure(abs(self.value), self.unit, self.base)

    def __str__(self) -> str:
        return self.text


def figure(value: Decimal | int | None, unit: str, base: str = "") -> Figure | None:
    return None if value is None else Figure(value, unit, base)


def rate(part: Figure | Decimal | int | None, whole: Figure | Decimal | int | None, base: str) -> Figure | None:
    """part ÷ whole as a rate, or None when a part is unknown or the base is missing or zero."""
    part, whole = _raw(part), _raw(whole)
    if part is None or not whole:
        return None
    return Figure(Decimal(part) / Decimal(whole), "pct", base)


def total(parts: Any, unit: str) -> Figure | None:
    """The sum of the parts, or None when any part is unknown (a total is never guessed)."""
    values = [_raw(p) for p in parts]
    if any(v is None for v in values):
        return None
    return Figure(sum(values, ZERO if unit != "count" else 0), unit)


def _raw(x: Figure | Decimal | int | None) -> Decimal | int | None:
    return x.value if isinstance(x, Figure) else x


# --- types of view fields, for the template lint and the documentation -----------------------

@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class Derived:
    title: str
    spec: Any = Figure
    description: str = ""


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One row of the score summary: a 一级 indicator, or the project form's 预算执行率."""

    name: str
    weight: Figure
    score: Figure
    rate: Optional[Figure]


@dataclass(frozen=True, slots=True)
class FundYear:
    """One year of a multi-year funds table: its lines (one per sub-project) and their 小计."""

    year: int
    lines: tuple
    subtotal: Any


@dataclass(frozen=True, slots=True)
class FundRow:
    """One row of a form's funds block (年度资金总额, a source, a funding level), its rates on the declared base."""

    label: str
    initial: Optional[Figure]
    adjusted: Optional[Figure]
    budget: Optional[Figure]
    received: Optional[Figure]
    spent: Optional[Figure]
    rate: Optional[Figure]
    arrival_rate: Optional[Figure]


FUND_ROW_FIELDS = {"label": Derived("行名", str), "initial": Derived("年初预算数"), "adjusted": Derived("调整后预算数"),
                   "budget": Derived("全年预算数"), "received": Derived("实际到位数"), "spent": Derived("全年执行数"),
                   "rate": Derived("执行率", description="按所填基数"), "arrival_rate": Derived("到位率")}

SCORE_PART_FIELDS = {"name": Derived("名称", str), "weight": Derived("分值"), "score": Derived("得分"),
                     "rate": Derived("得分率", description="得分÷分值")}

_DERIVE: dict[type, tuple[dict[str, Derived], Callable]] = {}


def derives(model: type[BaseModel], **fields: Derived) -> Callable:
    """Register the figures derived for ``model``'s view: their names, titles and types, and how."""
    def register(fn: Callable[[Any, dict, Any], dict]) -> Callable:
        _DERIVE[model] = (fields, fn)
        return fn
    return register


def _spec_and_converter(annotation: Any) -> tuple[Any, Callable[[Any, Any], Any]]:
    """What a model field becomes in the view, and the function converting its value."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        unit = next((m.name for m in meta if isinstance(m, Unit)), None)
        if unit is not None:
            if unit == "pct":  # typed in percent, kept as a fraction like every computed rate
                return Figure, lambda v, root: None if v is None else Figure(v / HUNDRED, "pct")
            return Figure, lambda v, root: None if v is None else Figure(v, unit)
        return _spec_and_converter(base)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _spec_and_converter(args[0])
        return str, lambda v, root: None if v is None else str(v)  # e.g. answers: 2 or "P2"
    if origin in (tuple, list):
        spec, convert = _spec_and_converter(typing.get_args(annotation)[0])
        return ListOf(spec), lambda v, root: tuple(convert(x, root) for x in v)
    if origin is typing.Literal:
        return str, lambda v, root: v
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return view_class(annotation), lambda v, root: None if v is None else _build(v, root)
    if annotation in (str, int, bool, date, Decimal):
        return annotation, lambda v, root: v
    raise TypeError(f"no view for field type {annotation!r}")  # a new model type needs a line above


class ViewObject:
    """A generated view class's base: frozen, slotted, compared and hashed by its fields.

    Written out once instead of per class by ``dataclasses``, whose generated methods cost a
    millisecond a class at every start."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __init__(self, **values: Any):
        self._set(values)

    def _set(self, values: dict[str, Any]) -> None:
        put = object.__setattr__
        for name in self._fields:
            put(self, name, values[name])
        if len(values) != len(self._fields):
            raise TypeError(f"{type(self).__name__} has no field {', '.join(set(values) - set(self._fields))}")

    @classmethod
    def _of(cls, values: dict[str, Any]) -> Any:
        """A view object from a mapping of all its fields (what ``_build`` makes: no keyword unpacking)."""
        self = object.__new__(cls)
        self._set(values)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple:
        return tuple(getattr(self, n) for n in self._fields)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._fields)})"

    def __reduce__(self) -> tuple:
        return (_rebuild, (type(self), dict(zip(self._fields, self._values()))))


def _rebuild(cls: type, values: dict) -> Any:
    return cls(**values)


def replaced(obj: Any, **changes: Any) -> Any:
    """A copy with some fields changed, for view objects and the plain dataclasses here alike."""
    if isinstance(obj, ViewObject):
        return type(obj)(**{**dict(zip(obj._fields, obj._values())), **changes})
    return dataclasses.replace(obj, **changes)


@dataclass(frozen=True)
class _ClassInfo:
    view: type
    converters: tuple[tuple[str, Callable], ...]
    derive: tuple[Callable, ...]


_INFO: dict[type, _ClassInfo] = {}
SPECS: dict[type, dict[str, Derived]] = {}  # view class -> field -> title, type (for lint and docs)


def view_class(model: type[BaseModel]) -> type:
    """The frozen dataclass that views ``model``: its fields, then its derived figures."""
    return _info(model).view


def _info(model: type[BaseModel]) -> _ClassInfo:
    if model in _INFO:
        return _INFO[model]
    derived: dict[str, Derived] = {}
    derive = []
    for klass in model.__mro__:  # the most specific first: a base may use what a subclass set
        if klass in _DERIVE:
            fields, fn = _DERIVE[klass]
            derive.append(fn)
            for name, d in fields.items():
                derived.setdefault(name, d)
    names = list(model.model_fields) + [n for n in derived if n not in model.model_fields]
    view = type(f"{model.__name__}View", (ViewObject,), {"__slots__": tuple(names), "_fields": tuple(names),
                                                         "__module__": __name__})
    _INFO[model] = _ClassInfo(view, (), ())  # the class exists before its fields' types: trees refer to themselves
    converters, specs = [], {}
    for name, info in model.model_fields.items():
        # pydantic has resolved the annotation (and moved a top-level Annotated's metadata, such as the unit, aside)
        annotation = typing.Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        spec, convert = _spec_and_converter(annotation)
        converters.append((name, convert))
        specs[name] = Derived(info.title or name, spec, info.description or "")
    for name, d in derived.items():
        specs.setdefault(name, d)
    _INFO[model] = info = _ClassInfo(view, tuple(converters), tuple(derive))
    SPECS[view] = specs
    return info


def _build(obj: BaseModel, root: Any) -> Any:
    info = _info(type(obj))
    values = {name: convert(getattr(obj, name), root) for name, convert in info.converters}
    for fn in info.derive:
        values.update(fn(obj, values, root))
    return info.view._of(values)


SPECS[ScorePart] = SCORE_PART_FIELDS
SPECS[FundRow] = FUND_ROW_FIELDS
SPECS[Figure] = {"value": Derived("数值", Decimal), "unit": Derived("单位", str), "base": Derived("基数", str),
                 "number": Derived("数字（不带单位）", str), "text": Derived("数字（带单位）", str),
                 "negative": Derived("是否为负", bool), "zero": Derived("是否为零", bool), "magnitude": Derived("绝对值")}


def view(report: ReportBase) -> Any:
    """The view of a validated report, computed once (the model is frozen, so it cannot go stale)."""
    cached = report._view
    if cached is not None and cached[0] == id(report):  # a model_copy carries its original's cache
        return cached[1]
    result = _build(report, report)
    report._view = (id(report), result)
    return result


@functools.lru_cache(maxsize=None)
def report_view_class(kind: str) -> type:
    return view_class(REPORT_KINDS[kind])


# --- derived figures: each defined here once ----------------------------------------------------

SCORE_RATE = "得分÷分值"


_NUMBER_IN_TEXT = re.compile(r"\d[\d,，]*(?:\.\d+)?")
_AT_LEAST = ("≥", ">", "＞", "不低于", "不少于", "不小于", "以上", "大于", "至少")
_AT_MOST = ("≤", "<", "＜", "不高于", "不超过", "不多于", "不大于", "以内", "以下", "小于", "低于")


def number_in(text: str | None) -> Decimal | None:
    """The one number a 指标值 text holds ("≥95%", "100个", "≤ 3天"); None for qualitative text or several numbers."""
    found = _NUMBER_IN_TEXT.findall(text or "")
    if len(found) != 1:
        return None
    return Decimal(found[0].replace(",", "").replace("，", ""))


# The longest phrase wins where two start at one place, so 不低于 is read before 低于 and 不大于 before 大于.
_DIRECTION_WORDS = re.compile("|".join(sorted(map(re.escape, _AT_LEAST + _AT_MOST), key=len, reverse=True)))


def direction(nature: str | None, target: str | None) -> str:
    """≥, ≤ or =: as declared, else as the 指标值 text says it (不低于95% is ≥)."""
    if nature:
        return nature
    found = _DIRECTION_WORDS.search(target or "")
    if found is None:
        return "="
    return "≥" if found.group(0) in _AT_LEAST else "≤"


SCORE_BY_DIRECTION = {"≥": "完成值÷指标值×分值", "=": "完成值÷指标值×分值", "≤": "指标值÷完成值×分值"}


@derives(Indicator, is_leaf=Derived("末级指标", bool), total_weight=Derived("分值合计"),
         total_score=Derived("得分合计"), rate=Derived("得分率", description=SCORE_RATE),
         direction=Derived("指标方向", str, "≥ 正向、≤ 反向、= 等于（未填指标性质时从指标值文字判断）"),
         completion=Derived("完成比例", description="正向：完成值÷指标值；反向：指标值÷完成值（定量指标）"),
         direction_score=Derived("按完成值计算的得分", description="完成比例（不超过 100%）×分值"))
def _indicator(m: Indicator, v: dict, root: Any) -> dict:
    kids = v["children"]
    weight = v["weight"] if not kids else total((c.total_weight for c in kids), "weight")
    score = v["score"] if not kids else total((c.total_score for c in kids), "points")
    way = direction(m.nature, m.target)
    target, actual = number_in(m.target), number_in(m.actual)
    completion = None
    if not kids and target is not None and actual is not None:
        part, whole = (target, actual) if way == "≤" else (actual, target)
        completion = rate(part, whole, SCORE_BY_DIRECTION[way].removesuffix("×分值"))
        if completion is None and way == "≤":  # nothing at all where at most some was allowed
            completion = Figure(ONE, "pct", SCORE_BY_DIRECTION[way].removesuffix("×分值"))
    return {"is_leaf": not kids, "total_weight": weight, "total_score": score, "rate": rate(score, weight, SCORE_RATE),
            "direction": way, "completion": completion,
            "direction_score": None if completion is None else Figure(min(completion.value, ONE) * m.weight, "points",
                                                                     SCORE_BY_DIRECTION[way])}


@derives(Department, staff_authorized=Derived("编制数合计"), staff_actual=Derived("实有人数合计"))
def _department(m: Department, v: dict, root: Any) -> dict:
    return {"staff_authorized": total((s.authorized for s in v["staffing"]), "count"),
            "staff_actual": total((s.actual for s in v["staffing"]), "count")}


@derives(Income, total=Derived("收入合计", description="财政拨款收入＋其他收入＋年初结转结余"),
         this_year=Derived("本年收入合计", description="财政拨款收入＋其他收入（不含年初结转结余）"),
         fiscal_share=Derived("财政拨款收入占比"), other_share=Derived("其他收入占比"),
         carryover_share=Derived("年初结转结余占比"), total_share=Derived("收入合计占比（100%）"),
         fiscal_of_this_year=Derived("财政拨款收入占本年收入比例"), other_of_this_year=Derived("其他收入占本年收入比例"))
def _income(m: Income, v: dict, root: Any) -> dict:
    whole, this_year = m.fiscal + m.other + m.carryover, m.fiscal + m.other
    return {"total": Figure(whole, "money"), "this_year": Figure(this_year, "money"),
            "fiscal_share": rate(m.fiscal, whole, "财政拨款收入÷收入合计"),
            "other_share": rate(m.other, whole, "其他收入÷收入合计"),
            "carryover_share": rate(m.carryover, whole, "年初结转结余÷收入合计"),
            "total_share": rate(whole, whole, "收入合计÷收入合计"),
            "fiscal_of_this_year": rate(m.fiscal, this_year, "财政拨款收入÷本年收入合计"),
            "other_of_this_year": rate(m.other, this_year, "其他收入÷本年收入合计")}


@derives(Spending, has_split=Derived("分列人员经费和公用经费", bool), basic_total=Derived("基本支出"),
         total=Derived("支出合计", description="基本支出＋项目支出"),
         basic_share=Derived("基本支出占比"), project_share=Derived("项目支出占比"),
         personnel_share=Derived("人员经费占比"), public_share=Derived("公用经费占比"),
         total_share=Derived("支出合计占比（100%）"),
         personnel_of_basic=Derived("人员经费占基本支出比例"), public_of_basic=Derived("公用经费占基本支出比例"))
def _spending(m: Spending, v: dict, root: Any) -> dict:
    split = m.personnel is not None
    basic = m.personnel + m.public if split else m.basic
    whole = basic + m.project
    return {"has_split": split, "basic_total": Figure(basic, "money"), "total": Figure(whole, "money"),
            "basic_share": rate(basic, whole, "基本支出÷支出合计"),
            "project_share": rate(m.project, whole, "项目支出÷支出合计"),
            "personnel_share": rate(m.personnel, whole, "人员经费÷支出合计"),
            "public_share": rate(m.public, whole, "公用经费÷支出合计"),
            "total_share": rate(whole, whole, "支出合计÷支出合计"),
            "personnel_of_basic": rate(m.personnel, basic, "人员经费÷基本支出"),
            "public_of_basic": rate(m.public, basic, "公用经费÷基本支出")}


@derives(ThreePublic, has_split=Derived("分项填写", bool),
         amount=Derived("“三公”经费合计", description="各分项之和；只填合计时为所填合计"))
def _three_public(m: ThreePublic, v: dict, root: Any) -> dict:
    parts = (m.abroad, m.vehicles, m.reception)
    split = any(x is not None for x in parts)
    amount = sum((x for x in parts if x is not None), ZERO) if split else m.total
    return {"has_split": split, "amount": Figure(amount, "money")}


ASSET_SHARE = "账面价值÷资产总额"


@derives(AssetItem, value=Derived("账面价值", description="账面净值；未填净值的按账面原值"),
         share=Derived("占资产总额比例", description=ASSET_SHARE),
         original_share=Derived("原值占资产原值合计比例", description="账面原值÷账面原值合计"))
def _asset_item(m: AssetItem, v: dict, root: Any) -> dict:
    return {"value": Figure(m.net if m.net is not None else m.original, "money"),
            "share": None, "original_share": None}  # filled by Assets, which sees the totals


@derives(Assets, total=Derived("资产总额", description="各类资产账面价值之和（有净值的按净值）"),
         original_total=Derived("账面原值合计"))
def _assets(m: Assets, v: dict, root: Any) -> dict:
    items = v["items"]
    if not items:
        return {"total": None, "original_total": None}
    whole = total((i.value for i in items), "money")
    original = total((i.original for i in items), "money")
    items = tuple(replaced(i, share=rate(i.value, whole, ASSET_SHARE),
                                      original_share=rate(i.original, original, "账面原值÷账面原值合计"))
                  for i in items)
    return {"items": items, "total": whole, "original_total": original}


LEVEL_RATE = "实际支出数÷年初预算数"


@derives(LevelLine, rate=Derived("执行率", description=LEVEL_RATE))
def _level_line(m: LevelLine, v: dict, root: Any) -> dict:
    return {"rate": rate(m.spent, m.initial, LEVEL_RATE)}


def _level_total(lines: tuple) -> Any:
    """The 合计 row of a by-level table, as one more line of the same kind."""
    if not lines:
        return None
    parts = {key: total((getattr(line, key) for line in lines), "money") for key in ("initial", "received", "spent", "budget")}
    return view_class(LevelLine)(level="合计", **parts, rate=rate(parts["spent"], parts["initial"], LEVEL_RATE))


@derives(DeptFunds, execution_base=Derived("预算执行率的基数", view_class(Spending)),
         execution_base_label=Derived("基数名称", str), execution_rate=Derived("预算执行率"),
         arrival_rate=Derived("资金到位率"), usage_rate=Derived("资金使用率"), carryover_end=Derived("年末结转结余"),
         change_from_previous=Derived("较上年增减"), by_level_total=Derived("按资金级次合计", view_class(LevelLine)),
         execution_rates=Derived("各基数上的执行率", ListOf(Figure), "决算支出分别除以年初预算数、调整后预算数"),
         basic_execution=Derived("基本支出执行率"), personnel_execution=Derived("人员经费执行率"),
         public_execution=Derived("公用经费执行率"), project_execution=Derived("项目支出执行率"))
def _dept_funds(m: DeptFunds, v: dict, root: Any) -> dict:
    base = v["adjusted_budget"] or v["budget"]
    label = None if base is None else ("调整后预算数" if v["adjusted_budget"] else "年初预算数")
    final, income = v["final"].total, v["income"]
    return {
        "execution_base": base,
        "execution_base_label": label,
        "execution_rate": rate(final, base and base.total, f"决算支出÷{label}"),
        "execution_rates": tuple(x for x in (rate(final, v["budget"] and v["budget"].total, "决算支出÷年初预算数"),
                                             rate(final, v["adjusted_budget"] and v["adjusted_budget"].total,
                                                  "决算支出÷调整后预算数")) if x),
        "arrival_rate": rate(m.received, base and base.total, f"实际到位数÷{label}"),
        "usage_rate": rate(final, income and income.total, "支出合计÷收入合计"),
        "carryover_end": None if income is None else Figure(income.total.value - final.value, "money"),
        "change_from_previous": None if m.previous_final is None else rate(
            final.value - m.previous_final, m.previous_final, "（本年决算支出−上年决算支出）÷上年决算支出"),
        "by_level_total": _level_total(v["by_level"]),
        **{f"{key}_execution": rate(getattr(v["final"], attr), base and getattr(base, attr), f"{what}决算数÷{what}{label}")
           for key, attr, what in (("basic", "basic_total", "基本支出"), ("personnel", "personnel", "人员经费"),
                                   ("public", "public", "公用经费"), ("project", "project", "项目支出"))},
    }


@derives(ExpenseItem, change=Derived("较上年增减额", description="本年支出−上年支出"),
         change_rate=Derived("较上年增减率", description="（本年支出−上年支出）÷上年支出"))
def _expense_item(m: ExpenseItem, v: dict, root: Any) -> dict:
    if m.previous is None:
        return {"change": None, "change_rate": None}
    return {"change": Figure(m.amount - m.previous, "money"),
            "change_rate": rate(m.amount - m.previous, m.previous, "（本年支出−上年支出）÷上年支出")}


@derives(Procurement, count_shown=Derived("采购项目个数", description="所填个数，或所列名称的个数"), rate=Derived("政府采购执行率", description="实际采购÷采购预算"))
def _procurement(m: Procurement, v: dict, root: Any) -> dict:
    count = m.count if m.count is not None else (len(m.items) if m.items else None)
    return {"count_shown": figure(count, "count"), "rate": rate(m.actual, m.budget, "实际采购÷采购预算")}


@derives(Goals, projects_total=Derived("项目预算合计"))
def _goals(m: Goals, v: dict, root: Any) -> dict:
    return {"projects_total": Figure(sum((p.amount for p in m.projects if p.amount is not None), ZERO), "money")}


PROJECT_RATE = "全年执行数÷全年预算数"
ARRIVAL_RATE = "实际到位数÷全年预算数"
USAGE_RATE = "全年执行数÷实际到位数"


def execution_on(base: str) -> str:
    return f"全年执行数÷{base}"


def _declared_base(root: Any) -> str:
    funds = getattr(root, "funds", None)
    return getattr(funds, "execution_base", None) or "全年预算数"


@derives(FundLine, rate=Derived("执行率", description="全年执行数÷所填基数（默认全年预算数）"))
def _fund_line(m: FundLine, v: dict, root: Any) -> dict:
    base = _declared_base(root)
    return {"rate": rate(m.spent, getattr(m, EXECUTION_BASES[base]), execution_on(base))}


def execution_leaf(report: Any) -> Any:
    """The leaf of the indicator tree that scores 预算执行率 (a model Indicator), if the form puts it there."""
    stack = list(getattr(report, "indicators", ()))
    while stack:
        node = stack.pop(0)
        if not node.children and node.measures == "预算执行率":
            return node
        stack[:0] = node.children
    return None


def shown_levels(present: set[str]) -> list[str]:
    """The funding levels a table lists: 中央, 省级, 市级, 区级 (县级 when used instead), 其他, and any other used."""
    return [lv for lv in FUNDING_LEVELS if lv in present or lv in ("中央", "省级", "市级", "其他")
            or (lv == "区级" and "县级" not in present)]


def _fund_row(label: str, line: Any, base: str) -> FundRow:
    def get(key: str) -> Any:
        return getattr(line, key, None) if line is not None else None
    return FundRow(label, get("initial"), get("adjusted"), get("budget"), get("received"), get("spent"),
                   rate(get("spent"), get(EXECUTION_BASES[base]), execution_on(base)),
                   rate(get("received"), get("budget"), ARRIVAL_RATE))


@derives(ProjectFunds, initial=Derived("年初预算数合计"), budget=Derived("全年预算数合计"),
         received=Derived("实际到位数合计"), spent=Derived("全年执行数合计"), adjusted=Derived("调整后预算数合计"),
         execution_rate=Derived("预算执行率", description="全年执行数÷所填基数（默认全年预算数）"),
         execution_rates=Derived("各基数上的执行率", ListOf(Figure), "全年执行数分别除以全年预算数、实际到位数、调整后预算数"),
         arrival_rate=Derived("资金到位率", description=ARRIVAL_RATE),
         usage_rate=Derived("资金使用率", description=USAGE_RATE),
         scored_as=Derived("作为指标计分", str, "预算执行率作为末级指标计分时，该指标的名称"),
         execution_weight=Derived("预算执行率分值", description="单列时为所填分值（默认 10），作为指标时为该指标的分值"),
         score=Derived("预算执行率得分"), sources=Derived("按资金来源（官方表格的固定三行）", ListOf(view_class(FundLine))),
         by_level_total=Derived("按资金级次合计", view_class(LevelLine)),
         total_row=Derived("自评表·年度资金总额行", FundRow),
         source_rows=Derived("自评表·按资金来源的行", ListOf(FundRow)),
         change=Derived("较上年增减额", description="全年执行数合计−上年全年执行数"),
         change_from_previous=Derived("较上年增减率", description="（全年执行数合计−上年全年执行数）÷上年全年执行数"),
         level_rows=Derived("自评表·按资金级次的行", ListOf(FundRow)))
def _project_funds(m: ProjectFunds, v: dict, root: Any) -> dict:
    lines = v["lines"]
    sums = {key: total((getattr(line, key) for line in lines), "money")
            for key in ("initial", "budget", "received", "spent", "adjusted")}
    base = m.execution_base
    rates = tuple(r for b, key in EXECUTION_BASES.items() if (r := rate(sums["spent"], sums[key], execution_on(b))))
    execution = rate(sums["spent"], sums[EXECUTION_BASES[base]], execution_on(base))
    leaf = execution_leaf(root)
    weight = leaf.weight if leaf is not None else (m.weight if m.weight is not None else Decimal(10))
    by_source = {line.source: line for line in lines}
    by_level = {line.level: line for line in v["by_level"]}
    return {**sums, "execution_rate": execution, "execution_rates": rates,
            "arrival_rate": rate(sums["received"], sums["budget"], ARRIVAL_RATE),
            "usage_rate": rate(sums["spent"], sums["received"], USAGE_RATE),
            "scored_as": leaf.name if leaf is not None else None,
            "execution_weight": Figure(weight, "weight"),
            "score": Figure(_execution_score(m.scoring, weight, execution), "points"),
            "sources": tuple(by_source.get(s) for s in FUND_SOURCES),
            "by_level_total": _level_total(v["by_level"]),
            "total_row": _fund_row("年度资金总额", types.SimpleNamespace(**sums), base),
            "source_rows": tuple(_fund_row(s, by_source.get(s), base) for s in FUND_SOURCES),
            "level_rows": tuple(_fund_row(lv, by_level.get(lv), base) for lv in shown_levels(set(by_level))) if by_level else (),
            **_change(sums["spent"], m.previous_spent, "全年执行数合计", "上年全年执行数")}


def _change(now: Figure, before: Decimal | None, this: str, last: str) -> dict:
    """较上年: the amount and the rate on last year's figure."""
    if before is None:
        return {"change": None, "change_from_previous": None}
    return {"change": Figure(now.value - before, now.unit),
            "change_from_previous": rate(now.value - before, before, f"（{this}−{last}）÷{last}")}


def _execution_score(scoring: str, weight: Decimal, execution: Figure | None) -> Decimal:
    fraction = execution.value if execution else ZERO
    if scoring == "比例":
        return weight * min(fraction, ONE)
    for floor, points in ((ONE, 10), (Decimal("0.8"), 7), (Decimal("0.6"), 5)):
        if fraction >= floor:
            return weight * points / 10
    return ZERO


def answer_base(scale: Any) -> str:
    """How satisfaction is computed from answer counts, in the report's words."""
    parts = "＋".join(f"{title}×{getattr(scale, key).normalize():f}%" for key, title, _ in ANSWERS)
    return f"（{parts}）÷回答总数"


YEAR_RATE = "支出金额÷预算安排"
YEAR_SHARE = "预算安排÷当年预算安排小计"
TOTAL_SHARE = "预算安排÷预算安排总计"


@derives(FundYearLine, rate=Derived("预算执行率", description=YEAR_RATE),
         share=Derived("资金占比", description=YEAR_SHARE + "（不分子项目时和小计行：" + TOTAL_SHARE + "）"),
         share_of_total=Derived("占预算安排总计比例", description=TOTAL_SHARE),
         spent_share=Derived("支出占比", description="支出金额÷当年支出金额小计"))
def _fund_year_line(m: FundYearLine, v: dict, root: Any) -> dict:
    return {"rate": rate(m.spent, m.budget, YEAR_RATE), "share": None, "share_of_total": None,
            "spent_share": None}  # filled by YearFunds, which sees the subtotals


SPECS[FundYear] = {"year": Derived("年度", int), "lines": Derived("各子项目", ListOf(view_class(FundYearLine))),
                   "subtotal": Derived("小计", view_class(FundYearLine))}


@derives(YearFunds, years=Derived("各年度", ListOf(FundYear)), total=Derived("总计", view_class(FundYearLine)),
         named=Derived("分子项目", bool), first_year=Derived("最早年度", int), last_year=Derived("最后年度", int))
def _year_funds(m: YearFunds, v: dict, root: Any) -> dict:
    line_view = view_class(FundYearLine)

    def summed(name: str, lines: tuple, year: int | None) -> Any:
        budget = total((x.budget for x in lines), "money")
        spent = total((x.spent for x in lines), "money")
        return line_view(year=year, name=name, budget=budget, spent=spent, stated_share=None, stated_rate=None,
                         rate=rate(spent, budget, YEAR_RATE), share=None, share_of_total=None, spent_share=None)

    grand = summed("总计", v["lines"], None)
    years = []
    for year in sorted({x.year for x in v["lines"]}):
        sub = summed("小计", tuple(x for x in v["lines"] if x.year == year), year)
        lines = tuple(replaced(
            x, share=rate(x.budget, sub.budget, YEAR_SHARE) if x.name else rate(x.budget, grand.budget, TOTAL_SHARE),
            share_of_total=rate(x.budget, grand.budget, TOTAL_SHARE),
            spent_share=rate(x.spent, sub.spent, "支出金额÷当年支出金额小计")) for x in v["lines"] if x.year == year)
        share = rate(sub.budget, grand.budget, "当年预算安排÷预算安排总计")
        years.append(FundYear(year, lines, replaced(sub, share=share, share_of_total=share)))
    grand = replaced(grand, share=rate(grand.budget, grand.budget, "预算安排总计÷预算安排总计"))
    return {"years": tuple(years), "total": grand, "named": any(x.name for x in m.lines),
            "first_year": years[0].year, "last_year": years[-1].year}


@derives(SurveyGroup, answered=Derived("回答总数", description="各选项回答人数之和"),
         rate=Derived("满意度", description="按回答人数和各选项分值计算；未填回答人数时为所填满意度"),
         weighted=Derived("加权满意度", description="满意度×权重"))
def _survey_group(m: SurveyGroup, v: dict, root: Any) -> dict:
    if m.answers is None:
        answered, satisfaction = None, v["satisfaction"]
    else:
        scale = root.survey.scale
        counts = [(getattr(m.answers, key), getattr(scale, key)) for key, _, _ in ANSWERS]
        answered = sum(n for n, _ in counts)
        points = sum((n * score for n, score in counts), ZERO) / HUNDRED
        satisfaction = rate(points, answered, answer_base(scale))
    weighted = None if satisfaction is None or m.weight is None else Figure(satisfaction.value * v["weight"].value, "pct")
    return {"answered": figure(answered, "count"), "rate": satisfaction, "weighted": weighted}


SURVEY_BASE = "各组满意度×权重之和"


@derives(Survey, weight_total=Derived("权重合计"),
         overall=Derived("综合满意度", description=SURVEY_BASE + "；各组都填权重时才有"),
         samples=Derived("有效问卷合计"))
def _survey(m: Survey, v: dict, root: Any) -> dict:
    groups = v["groups"]
    weighted = total((g.weighted for g in groups), "pct")
    samples = [g.samples if g.answered is None else g.answered for g in groups]
    return {"weight_total": total((g.weight for g in groups), "pct"),
            "overall": weighted and Figure(weighted.value, "pct", SURVEY_BASE),
            "samples": total(samples, "count")}


@derives(TargetPoints, not_completed=Derived("未完成", description="评价点总数−已完成"),
         rate=Derived("完成率", description="已完成÷评价点总数"))
def _target_points(m: TargetPoints, v: dict, root: Any) -> dict:
    return {"not_completed": Figure(m.total - m.completed, "count"),
            "rate": rate(m.completed, m.total, "已完成÷评价点总数")}


@derives(GradeBand, upper=Derived("上一档最低分", description="本档总分须低于它；最高档为空"))
def _grade_band(m: GradeBand, v: dict, root: Any) -> dict:
    return {"upper": None}  # filled by the settings, which see the neighbouring bands


@derives(Settings)
def _settings(m: Settings, v: dict, root: Any) -> dict:
    bands = v["grade_bands"]
    return {"grade_bands": tuple(replaced(b, upper=bands[i - 1].min if i else None)
                                 for i, b in enumerate(bands))}


@derives(Suggestion, problem_numbers=Derived("对应问题的序号", ListOf(int), "所回应的问题在报告中的序号"))
def _suggestion(m: Suggestion, v: dict, root: Any) -> dict:
    return {"problem_numbers": tuple(sorted({n for ref in m.answers if (n := problem_number(root, ref))}))}


def problem_number(report: ReportBase, ref: str | int) -> int | None:
    """1-based position of the problem a suggestion names by id or by position (the first that matches)."""
    cached = report._problem_index
    if cached is not None and cached[0] == id(report):  # a model_copy carries its original's index
        return cached[1].get(str(ref))
    index = {}
    for i in range(len(report.problems), 0, -1):  # the earliest match is written last, so it wins
        if report.problems[i - 1].id:
            index[report.problems[i - 1].id] = i
        index[str(i)] = i
    report._problem_index = (id(report), index)  # the model is frozen: this cannot go stale
    return index.get(str(ref))


def _grade(settings: Settings, score: Decimal) -> str:
    for band in settings.grade_bands:
        if score >= band.min:
            return band.grade
    return settings.grade_bands[-1].grade


@derives(ProjectSelfReport, report_title=Derived("报告标题", str), signer=Derived("落款单位", str),
         self_name=Derived("自称", str))
def _project_report(m: ProjectSelfReport, v: dict, root: Any) -> dict:
    year = "" if f"{m.year}年" in m.project.name else f"{m.year}年度"  # a name that holds the year says it once
    return {"report_title": m.title or f"{m.project.name}{year}{KIND_TITLES[m.kind]}",
            "signer": m.author or m.project.implementer, "self_name": "本单位"}


@derives(DeptSelfReport, report_title=Derived("报告标题", str), signer=Derived("落款单位", str),
         self_name=Derived("自称", str))
def _dept_report(m: DeptSelfReport, v: dict, root: Any) -> dict:
    return {"report_title": m.title or f"{m.department.name}{m.year}年{KIND_TITLES[m.kind]}",
            "signer": m.author or m.department.name, "self_name": m.department.self_name}


@derives(KeyEvalReport, report_title=Derived("报告标题", str), signer=Derived("落款单位", str),
         self_name=Derived("自称", str))
def _key_eval_report(m: KeyEvalReport, v: dict, root: Any) -> dict:
    return {"report_title": m.title or f"{m.department.name}{m.year}年部门整体支出{KIND_TITLES[m.kind]}",
            "signer": m.author or m.evaluator or m.department.name, "self_name": m.department.self_name}


@derives(KeyEvalProjectReport, report_title=Derived("报告标题", str), signer=Derived("落款单位", str),
         self_name=Derived("自称", str), first_year=Derived("评价起始年度", int),
         years_text=Derived("评价年度（文字）", str, "如 2021—2023年，只评一年时为 2023年"))
def _key_eval_project_report(m: KeyEvalProjectReport, v: dict, root: Any) -> dict:
    first = m.start_year or min(m.year, v["funds"].first_year)
    years = f"{first}—{m.year}年" if first != m.year else f"{m.year}年"
    in_name = f"{m.year}年" in m.project.name or f"{first}—{m.year}" in m.project.name
    # The project's own name says 项目 (or 资金): the title ends as a key evaluation's does.
    return {"report_title": m.title or f"{m.project.name}{'' if in_name else years + '度'}{KIND_TITLES['key_eval']}",
            "signer": m.author or m.evaluator or m.project.implementer or m.project.department or m.project.name,
            "self_name": "评价组", "first_year": first, "years_text": years}


@derives(ReportBase, kind_title=Derived("报告类型名称", str), scored=Derived("有指标评分", bool),
         has_conclusion=Derived("有评价结论（评分或结论文字）", bool), period_start=Derived("评价时段起", date),
         period_end=Derived("评价时段止", date), execution_part=Derived("预算执行率得分（项目自评表）", ScorePart),
         score_parts=Derived("一级得分", ListOf(ScorePart)),
         total_weight=Derived("总分值"), total_score=Derived("总得分"),
         score_rate=Derived("总得分率", description=SCORE_RATE), grade=Derived("评价等级", str),
         grade_ticks=Derived("评价等次（勾选）", str, "如 优√ 良□ 中□ 差□"),
         score_change=Derived("总得分较上年增减", description="总得分−上年总得分"))
def _report(m: ReportBase, v: dict, root: Any) -> dict:
    scored = bool(m.indicators)  # a report without a score table has no score, grade or ticks
    execution = _scored_outside_tree(m, v) if scored else None
    parts = ((execution,) if execution else ()) + tuple(
        ScorePart(i.name, i.total_weight, i.total_score, i.rate) for i in v["indicators"])
    weight = total((p.weight for p in parts), "weight") if scored else None
    score = total((p.score for p in parts), "points") if scored else None
    grade = _grade(m.settings, score.value) if scored else None
    return {
        "kind_title": KIND_TITLES[m.kind], "scored": scored, "has_conclusion": scored or bool(m.conclusion),
        "period_start": m.evaluation.period_start or date(v.get("first_year") or m.year, 1, 1),
        "period_end": m.evaluation.period_end or date(m.year, 12, 31),
        "execution_part": execution, "score_parts": parts, "total_weight": weight, "total_score": score,
        "score_rate": rate(score, weight, SCORE_RATE), "grade": grade,
        "grade_ticks": " ".join(f"{b.grade}{'√' if b.grade == grade else '□'}" for b in m.settings.grade_bands)
        if scored else None,
        "score_change": Figure(score.value - m.previous_total_score, "points")
        if scored and m.previous_total_score is not None else None,
    }


def _scored_outside_tree(m: ReportBase, v: dict) -> ScorePart | None:
    """财预〔2020〕10号 scores 预算执行率 beside the indicator tree; local forms score it as a leaf inside it."""
    if not isinstance(m, ProjectSelfReport) or v["funds"].scored_as is not None:
        return None
    f = v["funds"]
    return ScorePart("预算执行率", f.execution_weight, f.score, rate(f.score, f.execution_weight, SCORE_RATE))


def leaves(node: Any) -> list[Any]:
    """The leaves under an indicator view (itself when it is one)."""
    return [node] if node.is_leaf else [leaf for c in node.children for leaf in leaves(c)]


_KIND_WORDS = {str: "文字", int: "整数", bool: "是/否", date: "日期", Decimal: "数值", Figure: "数字（带单位）"}


def field_list(kind: str) -> list[tuple[str, str, str]]:
    """Every path a template can read from ``r`` for a kind: (path, title, what it is).

    A list's items are written ``[]``; a tree (the indicators) is listed once, not again under
    its own children.
    """
    rows: list[tuple[str, str, str]] = []

    def walk(cls: type, prefix: str, seen: tuple[type, ...]) -> None:
        for name, d in SPECS[cls].items():
            spec, path = d.spec, f"{prefix}.{name}"
            is_list = isinstance(spec, ListOf)
            item = spec.item if is_list else spec
            if is_list:
                path += "[]"
            what = _KIND_WORDS.get(item) or ("数据块" if item in SPECS else "值")
            rows.append((path, d.title, f"列表，每项为{what}" if is_list else what))
            if item in SPECS and item is not Figure and item not in seen:
                walk(item, path, seen + (item,))

    root = report_view_class(kind)
    walk(root, "r", (root,))
    return rows


for _model in REPORT_KINDS.values():  # generate every view class up front, in one place
    _info(_model)


class _Module(types.ModuleType):
    """``reporttool.view`` is both this module and the function above: the package loads its names lazily,
    and importing the module rebinds the package's ``view`` to it, so calling it computes the view."""

    def __call__(self, report: Any) -> Any:
        return view(report)


sys.modules[__name__].__class__ = _Module
