"""The report schema: every field once, with its Chinese title and description.

The model holds what the user typed and nothing derived: it is frozen after validation, and
every total, rate, score and grade is computed once into the view (``view.py``). The fields
named ``stated_*`` hold figures copied from an official form, which the checks compare with the
computed ones instead of trusting them.
"""

# No `from __future__ import annotations`: pydantic would evaluate every field's annotation from text at each start.

import math
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from . import kinds

KIND_TITLES = kinds.KIND_TITLES  # the names live in a light module, for the command line

ZERO = Decimal(0)
HUNDRED = Decimal(100)
MAX_MONEY = Decimal("1e10")  # 万元; anything larger is a typo, not a budget


# --- scalar types -----------------------------------------------------------------------

MAX_TEXT = 20_000  # characters in one text field: a long section is a few thousand
MAX_PLACES = 6     # decimal places of an amount in 万元 (0.000001 万元 is one fen)


def shown(value: Any) -> str:
    """A value as the user typed it, for messages: never a Python repr."""
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "typed"):
        return value.typed
    if isinstance(value, (list, tuple)):
        return "列表"
    if isinstance(value, dict):
        return "“字段: 值”映射"
    return str(value)


def _as_text(value: Any) -> Any:
    """A number or date typed where text is expected is that text, exactly as typed (99.80 stays 99.80)."""
    if isinstance(value, bool):
        return value
    if hasattr(value, "typed"):
        return value.typed
    if isinstance(value, (int, Decimal, date)):
        return str(value)
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise PydanticCustomError("rt_too_long", f"文字过长（{len(value):,} 字，上限 {MAX_TEXT:,} 字），请精简或分段")
    return value


_CN_DATE = re.compile(r"\s*(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*(?:[月/.\-]\s*(\d{1,2})\s*日?|月)?\s*")


def _parse_date(value: Any, month_ok: bool) -> tuple[int, int, int | None]:
    if isinstance(value, date):
        return value.year, value.month, value.day
    m = _CN_DATE.fullmatch(str(value)) if isinstance(value, str) else None
    if not m or (m.group(3) is None and not month_ok):
        example = "2025-03-28、2025年3月28日、2025/3/28" + ("，或只写月份 2025年5月" if month_ok else "")
        raise PydanticCustomError("rt_date", f"应为日期，如 {example}，收到 {{input}}", {"input": shown(value)})
    year, month, day = int(m.group(1)), int(m.group(2)), m.group(3) and int(m.group(3))
    try:
        date(year, month, day or 1)
    except ValueError:
        raise PydanticCustomError("rt_date", "日期不存在：{input}", {"input": shown(value)}) from None
    return year, month, day


def _date(value: Any) -> date:
    year, month, day = _parse_date(value, month_ok=False)
    return date(year, month, day)


def _sign_date(value: Any) -> str:
    year, month, day = _parse_date(value, month_ok=True)
    return f"{year}年{month}月" + (f"{day}日" if day else "")


def _to_decimal(value: Any, what: str, example: str) -> Decimal:
    if isinstance(value, bool):
        raise PydanticCustomError("rt_number", f"应为{what}，例如 {example}，收到 {{input}}", {"input": shown(value)})
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise PydanticCustomError("rt_not_finite", f"{what}不能是 NaN 或无穷大")
        d = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise PydanticCustomError("rt_number", f"应为{what}，例如 {example}，收到 {{input}}", {"input": shown(value)}) from None
    else:
        raise PydanticCustomError("rt_number", f"应为{what}，例如 {example}，收到 {{input}}", {"input": shown(value)})
    if not d.is_finite():
        raise PydanticCustomError("rt_not_finite", f"{what}不能是 NaN 或无穷大")
    if d.is_zero():
        d = d.copy_abs()  # -0.0 is zero, and prints as 0.00
    if d.as_tuple().exponent < -MAX_PLACES:
        raise PydanticCustomError("rt_places", f"{what}最多保留 {MAX_PLACES} 位小数，收到 {{input}}", {"input": shown(value)})
    return d


def _money(value: Any) -> Decimal:
    if isinstance(value, str) and value.strip().endswith("万元"):
        value = value.strip()[:-2]
    d = _to_decimal(value, "金额（万元）", "6348.37 或 \"6,348.37\"")
    if d < 0:
        raise PydanticCustomError("rt_negative", "金额不能为负数，收到 {input}", {"input": shown(value)})
    if d > MAX_MONEY:
        raise PydanticCustomError("rt_too_large", "金额过大（单位是万元），收到 {input}", {"input": shown(value)})
    return d


def _signed_money(value: Any) -> Decimal:
    """An amount that may be negative (a decrease)."""
    text = value.strip()[:-2] if isinstance(value, str) and value.strip().endswith("万元") else value
    d = _to_decimal(text, "金额（万元）", "-12.50")
    if abs(d) > MAX_MONEY:
        raise PydanticCustomError("rt_too_large", "金额过大（单位是万元），收到 {input}", {"input": shown(value)})
    return d


def _points(value: Any) -> Decimal:
    if isinstance(value, str) and value.strip().endswith("分"):
        value = value.strip()[:-1]
    d = _to_decimal(value, "分数", "8.5")
    if d < 0:
        raise PydanticCustomError("rt_negative", "分数不能为负数，收到 {input}", {"input": shown(value)})
    if d > 1000:
        raise PydanticCustomError("rt_too_large", "分数过大，收到 {input}", {"input": shown(value)})
    return d


def _percent(value: Any) -> Decimal:
    if isinstance(value, str) and value.strip().endswith(("%", "％")):
        value = value.strip()[:-1]
    d = _to_decimal(value, "百分数", "95.39 或 \"95.39%\"")
    if abs(d) > 100000:
        raise PydanticCustomError("rt_too_large", "百分数过大，收到 {input}", {"input": shown(value)})
    return d


@dataclass(frozen=True)
class Unit:
    """How a number field is shown: money (万元), pct (typed in percent), points, weight, count."""
    name: str


Money = Annotated[Decimal, BeforeValidator(_money), Unit("money")]
SignedMoney = Annotated[Decimal, BeforeValidator(lambda v: _signed_money(v)), Unit("money")]
Points = Annotated[Decimal, BeforeValidator(_points), Unit("points")]
Weight = Annotated[Decimal, BeforeValidator(_points), Unit("weight")]
Percent = Annotated[Decimal, BeforeValidator(_percent), Unit("pct")]
Str = Annotated[str, BeforeValidator(_as_text)]
Text = Annotated[str, BeforeValidator(_as_text), StringConstraints(strip_whitespace=True, min_length=1)]
Date = Annotated[date, BeforeValidator(_date)]
SignDate = Annotated[str, BeforeValidator(_sign_date)]
Count = Annotated[int, Field(ge=0, le=10_000_000), Unit("count")]
_YES_NO = {"是": True, "否": False, "true": True, "false": False}


def _yes_no(value: Any) -> Any:
    if isinstance(value, str):
        if value.strip() not in _YES_NO:
            raise PydanticCustomError("rt_yes_no", "应为 是 或 否，收到 {input}", {"input": value})
        return _YES_NO[value.strip()]
    return value


YesNo = Annotated[bool, BeforeValidator(_yes_no)]


def F(title: str, description: str, default: Any = ..., **kw: Any) -> Any:
    return Field(default, title=title, description=description, **kw)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data: Any) -> Any:
        # "key:" with nothing after it is a field not filled in (an uncommented optional line, say).
        if isinstance(data, dict) and None in data.values():
            return {k: v for k, v in data.items() if v is not None}
        return data


# --- settings ---------------------------------------------------------------------------

class GradeBand(Model):
    grade: Text = F("等级", "等级名称，如 优、良、中、差")
    min: Weight = F("最低分", "达到该等级的最低总分（含）")


DEFAULT_BANDS = [("优", 90), ("良", 80), ("中", 60), ("差", 0)]


class CapBand(Model):
    below: Percent = F("执行率低于（%）", "预算执行率低于此值时适用本档上限")
    max_score: Points = F("总分上限", "本档总分不超过的分数")


# One 一体化 manual: 70–80% → ≤ 89; 60–70% → ≤ 79; < 60% → ≤ 69; < 50% → ≤ 59.
DEFAULT_CAPS = [(80, 89), (70, 79), (60, 69), (50, 59)]
PLACEHOLDERS = ("*", "—", "/", "-", "——", "－", "／", "＊", "\\")


class SelfEvalRules(Model):
    """The rules 预算管理一体化 self-evaluation modules and reviewers apply to a project form; each can be switched off."""
    indicator_score: bool = F("按完成值核对得分", "定量指标：正向（≥）得分=完成值÷指标值×分值（不超过分值），反向（≤）得分=指标值÷完成值×分值", True)
    deviation_reason: bool = F("未完成须说明偏差原因", "未达到年度指标值（或未得满分）的指标须填写偏差原因分析及改进措施", True)
    low_execution_reason: bool = F("执行率偏低须说明原因", "预算执行率低于下面的比例时须填写原因", True)
    low_execution_below: Percent = F("须说明原因的执行率（%）", "预算执行率低于此值须说明原因", Decimal(90))
    score_cap: bool = F("按执行率限制总分", "预算执行率偏低时总分不超过对应上限（部分地区的做法，默认不启用）", False)
    score_caps: tuple[CapBand, ...] = F("总分上限分档", "执行率低于某值时的总分上限；默认 80%→89、70%→79、60%→69、50%→59",
                                       default_factory=lambda: tuple(CapBand(below=b, max_score=m) for b, m in DEFAULT_CAPS))
    over_target: bool = F("超额完成提示", "完成值超过年度指标值一定比例时提示（目标定得偏低或数据有误）", True)
    over_target_percent: Percent = F("超额比例（%）", "完成值超过指标值的比例达到此值时提示", Decimal(30))
    required_dimensions: bool = F("产出、效益、满意度指标齐全", "指标体系须包含下列各类指标", True)
    dimensions: tuple[Text, ...] = F("必备指标类别", "指标名称中须出现的词", ("产出", "效益", "满意度"))
    placeholder: bool = F("占位符提示", "年度指标值、实际完成值只填了占位符（如 *、—、/）时提示", True)
    placeholders: tuple[Text, ...] = F("占位符", "视为未填写的符号", PLACEHOLDERS)
    arrival_full_marks: bool = F("到位率未满得满分提示", "资金到位率低于 100% 而“资金到位率”指标得满分时提示", True)


class Settings(Model):
    grade_bands: tuple[GradeBand, ...] = F(
        "评价等级分档", "从高到低排列的等级及最低分；默认 优≥90、良≥80、中≥60、差<60",
        default_factory=lambda: tuple(GradeBand(grade=g, min=m) for g, m in DEFAULT_BANDS))
    tolerance: Decimal = F("容差", "金额、分数的填报数与计算数允许的差额", default=Decimal("0.01"), ge=0, le=1)
    rate_tolerance: Decimal = F("比率容差", "比率的填报数与计算数允许的差额（百分点）", default=Decimal("0.01"), ge=0, le=1)
    score_table_rate: bool = F("评分表显示得分率", "附件“绩效评价指标评分表”是否增加得分率一列", default=False)
    page_numbers: Literal["单双页分置", "居中"] = F(
        "页码位置", "单双页分置：单页居右、双页居左，各空一字（GB/T 9704，默认）；居中：每页居中", "单双页分置")
    toc: Optional[YesNo] = F("目录", "是：标题之后列出一级、二级标题及页码，另起一页开始正文；否：不列。不填时按大纲："
                            "重点绩效评价报告（key_eval、key_eval_project）列目录，自评报告不列", None)
    form_layout: Optional[Text] = F("自评表样式", "附件“项目支出绩效自评表”的样式：cz2020（财预〔2020〕10号 附1，默认）、local（地方评价表）、"
                                    "yitihua（一体化系统导出），或自定义样式文件的路径（相对于本文件）", None)
    self_eval: SelfEvalRules = F("自评规则", "一体化系统和审核人员对项目自评表适用的规则：开关与参数", default_factory=SelfEvalRules)

    @model_validator(mode="after")
    def _bands_descending(self) -> "Settings":
        mins = [b.min for b in self.grade_bands]
        if not mins or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise PydanticCustomError("rt_bands", "评价等级分档应按最低分从高到低排列，且最低分互不相同")
        return self


# --- indicator tree ---------------------------------------------------------------------

MEASURES = ("预算执行率", "资金到位率")
NATURES = ("=", "≥", "≤")
_NATURE_SPELLINGS = {">=": "≥", "＞＝": "≥", "≧": "≥", "<=": "≤", "＜＝": "≤", "≦": "≤", "＝": "=", "==": "="}


def _nature(value: Any) -> Any:
    return _NATURE_SPELLINGS.get(value.strip(), value.strip()) if isinstance(value, str) else value


class Indicator(Model):
    name: Text = F("指标名称", "一级、二级或三级指标的名称")
    code: Optional[Str] = F("指标编码", "报告中的指标编号，如 A11、B203；填写后表格中显示在名称前", None)
    weight: Optional[Weight] = F("分值", "指标权重分；末级指标必填，上级指标填写时须等于下级合计", None)
    score: Optional[Points] = F("得分", "评价得分；末级指标必填，上级指标填写时须等于下级合计", None)
    explanation: Optional[Str] = F("指标解释", "指标的含义与计算口径", None)
    description: Optional[Str] = F("指标说明", "指标考察什么、数据从哪里来（重点评价评分表用）", None)
    criteria: Optional[Str] = F("评分标准", "如何给分", None)
    note: Optional[Str] = F("评分说明", "扣分理由、佐证材料", None)
    opinion: Optional[Str] = F("评价意见", "评价组对该指标的意见（重点评价评分表用）", None)
    deduction: Optional[Str] = F("扣分原因", "得分低于分值时扣分的原因", None)

    target: Optional[Str] = F("年度指标值", "年初设定的指标值（项目自评表用）", None)
    actual: Optional[Str] = F("实际完成值", "年末实际完成值（项目自评表用）", None)
    deviation: Optional[Str] = F("偏差原因分析及改进措施", "未完成或有偏差时的原因与措施", None)
    measures: Optional[Literal[MEASURES]] = F(
        "计分内容", "该末级指标就是预算执行率（或资金到位率）时填写；预算执行率作为指标计分时不再单列 10 分", None)
    nature: Optional[Annotated[Literal[NATURES], BeforeValidator(_nature)]] = F(
        "指标性质", "= 、≥（正向，越大越好）或 ≤（反向，越小越好）；不填时从年度指标值中的 ≥、≤、不低于、以内 等判断", None)
    measure_unit: Optional[Str] = F("度量单位", "如 %、个、天（一体化系统导出的表格单列）", None)
    analysis: Optional[Str] = F("绩效分析", "在“具体绩效分析”中对该指标的文字分析", None)
    children: tuple["Indicator", ...] = F("下级指标", "下一层指标；末级指标不填", default=())

    @model_validator(mode="after")
    def _leaf_has_figures(self) -> "Indicator":
        if not self.children:
            missing = [t for t, v in (("分值 weight", self.weight), ("得分 score", self.score)) if v is None]
            if missing:
                raise PydanticCustomError("rt_leaf", "末级指标「{name}」缺少{missing}",
                                          {"name": self.name, "missing": "、".join(missing)})
        return self


# --- narrative lists --------------------------------------------------------------------

class Titled(Model):
    title: Text = F("标题", "小标题，一句话")
    detail: Optional[Str] = F("具体内容", "展开说明", None)


class WorkItem(Titled):
    pass


class Experience(Titled):
    pass


class ProblemItem(Titled):
    id: Optional[Str] = F("问题编号", "供建议引用的编号，如 P1；不填则按顺序为 1、2、3…", None)
    category: Text = F("问题分类", "项目立项、资金管理、业务管理、项目产出、项目效益、其他等", "其他",
                       examples=["项目立项", "资金管理", "业务管理", "项目产出", "项目效益", "其他"])
    cause: Optional[Str] = F("原因分析", "产生问题的原因", None)
    unit: Optional[Str] = F("责任单位", "负责整改的单位或科室", None)


PROBLEM_STATUSES = ("已整改", "整改中", "未整改")


class PreviousProblem(Model):
    title: Text = F("问题", "上年报告列出的问题（一句话）")
    status: Optional[Literal[PROBLEM_STATUSES]] = F("整改情况", "已整改、整改中或未整改；不填视为尚未说明", None)
    note: Optional[Str] = F("整改说明", "采取的措施与结果", None)


class Suggestion(Titled):
    answers: tuple[Union[str, int], ...] = F("对应问题", "本建议回应的问题编号（或序号 1、2…）", default=())


class Evaluation(Model):
    approach: Optional[Str] = F("评价思路", "评价的总体思路", None)
    purpose: Optional[Str] = F("评价目的", "为什么开展本次评价", None)
    basis: tuple[Text, ...] = F("评价依据", "政策文件、制度、预算批复等，每条一行", default=())
    scope: Optional[Str] = F("评价对象及范围", "评价覆盖的单位、资金和项目", None)
    period_start: Optional[Date] = F("评价时段起", "默认为评价年度 1 月 1 日", None)
    period_end: Optional[Date] = F("评价时段止", "默认为评价年度 12 月 31 日", None)
    principles: Optional[Str] = F("评价原则", "如科学公正、统筹兼顾、激励约束、公开透明", None)
    method: Optional[Str] = F("评价方法", "如比较法、因素分析法、公众评判法", None)
    standards: Optional[Str] = F("评价标准", "计划标准、行业标准、历史标准等", None)
    process: Optional[Str] = F("评价工作过程", "前期准备、组织实施、分析评价的经过", None)


# --- department (dept_self) -------------------------------------------------------------

class Staffing(Model):
    kind: Text = F("编制类型", "行政编制、事业编制、工勤人员编制等", examples=["行政编制", "事业编制", "工勤人员编制"])
    authorized: Count = F("编制数", "核定编制人数")
    actual: Optional[Count] = F("实有人数", "年末在职实有人数", None)


class Vehicles(Model):
    authorized: Count = F("编制车辆数", "核定公务用车编制数", 0)
    actual: Count = F("实有车辆数", "年末实有公务用车数")


class Department(Model):
    name: Text = F("部门名称", "部门全称，用于标题和落款")
    self_name: Text = F("自称", "正文中部门的自称，如 我局、本单位", "本部门")
    rank: Optional[Str] = F("机构级别", "如 正科级", None)
    setup: Optional[Str] = F("机构设置说明", "挂牌、管理模式等补充说明", None)
    divisions: tuple[Text, ...] = F("内设科室", "内设机构名称", default=())
    subordinate_units: tuple[Text, ...] = F("下属单位", "下设的事业单位等", default=())
    budget_units: tuple[Text, ...] = F("纳入预算编报的单位", "纳入本年度部门预算编报的单位", default=())
    staffing: tuple[Staffing, ...] = F("人员编制", "按编制类型分列的编制数与实有人数", default=())
    vehicles: Optional[Vehicles] = F("车辆", "公务用车编制与实有数", None)
    functions: tuple[Text, ...] = F("部门职能", "主要职能，每条一项", default=())
    work: tuple[WorkItem, ...] = F("部门工作完成情况", "年度重点工作及完成情况", default=())
    management: Optional[Str] = F("部门管理制度", "内部控制、议事规则等制度建设情况", None)


class IncomeShares(Model):
    fiscal: Optional[Percent] = F("财政拨款收入占比", "%", None)
    other: Optional[Percent] = F("其他收入占比", "%", None)
    carryover: Optional[Percent] = F("年初结转结余占比", "%", None)


class Income(Model):
    fiscal: Money = F("财政拨款收入", "本年财政拨款收入（万元）")
    other: Money = F("其他收入", "事业收入、经营收入等其他收入（万元）", ZERO)
    carryover: Money = F("年初结转结余", "上年结转到本年的资金（万元）", ZERO)
    stated_total: Optional[Money] = F("收入合计（填报数）", "报表中的收入合计（含年初结转结余），用于核对", None)
    stated_this_year: Optional[Money] = F("本年收入合计（填报数）", "报表中的本年收入（不含年初结转结余），用于核对", None)
    stated_shares: Optional[IncomeShares] = F("收入占比（填报数）", "各项收入占收入合计的比例（%），用于核对", None)


class Spending(Model):
    personnel: Optional[Money] = F("人员经费", "基本支出中的人员经费（万元）", None)
    public: Optional[Money] = F("公用经费", "基本支出中的公用经费（万元）", None)
    basic: Optional[Money] = F("基本支出", "未分人员、公用经费时直接填写；分列时可作为填报数核对", None)
    project: Money = F("项目支出", "项目支出（万元）")
    stated_total: Optional[Money] = F("支出合计（填报数）", "报表中的支出合计，用于核对", None)

    @model_validator(mode="after")
    def _basic_known(self) -> "Spending":
        split = (self.personnel is None, self.public is None)
        if split == (True, True) and self.basic is None:
            raise PydanticCustomError("rt_basic", "请填写基本支出 basic，或同时填写人员经费 personnel 和公用经费 public")
        if split in ((True, False), (False, True)):
            raise PydanticCustomError("rt_basic", "人员经费 personnel 和公用经费 public 须同时填写")
        return self


class ThreePublic(Model):
    abroad: Optional[Money] = F("因公出国（境）费", "万元", None)
    vehicles: Optional[Money] = F("公务用车购置及运行费", "万元", None)
    reception: Optional[Money] = F("公务接待费", "万元", None)
    total: Optional[Money] = F("“三公”经费合计", "万元；报告只给合计时填写，与分项同时填写时核对", None)

    @model_validator(mode="after")
    def _something_given(self) -> "ThreePublic":
        if self.abroad is None and self.vehicles is None and self.reception is None and self.total is None:
            raise PydanticCustomError("rt_three_public", "请填写“三公”经费合计 total，或分项 abroad、vehicles、reception")
        return self


FUNDING_LEVELS = ("中央", "省级", "市级", "区级", "县级", "其他")


class LevelLine(Model):
    level: Literal[FUNDING_LEVELS] = F("资金级次", "中央、省级、市级、区级（县级）或其他")
    initial: Money = F("年初预算数", "万元")
    received: Optional[Money] = F("实际到位数", "万元", None)
    spent: Money = F("实际支出数", "万元")
    budget: Optional[Money] = F("全年预算数", "调整后的全年预算（万元；项目自评表按资金级次列示时用）", None)


class Shares(Model):
    basic: Optional[Percent] = F("基本支出占比", "%", None)
    project: Optional[Percent] = F("项目支出占比", "%", None)
    personnel: Optional[Percent] = F("人员经费占比", "%", None)
    public: Optional[Percent] = F("公用经费占比", "%", None)


class ExpenseItem(Model):
    name: Text = F("支出项目", "会议费、培训费、差旅费等报告单列的支出")
    amount: Money = F("本年支出", "万元")
    previous: Optional[Money] = F("上年支出", "万元；填写后计算较上年增减", None)
    stated_change: Optional[SignedMoney] = F("较上年增减额（填报数）", "万元，减少填负数；用于核对", None)
    stated_change_rate: Optional[Percent] = F("较上年增减率（填报数）", "%，下降填负数；用于核对", None)


class DeptFunds(Model):
    income: Optional[Income] = F("收入", "本年收入，按来源分列", None)
    budget: Optional[Spending] = F("预算支出", "年初部门预算支出（报告没有给出预算数时不填；预算执行率只在有预算数时计算）", None)
    adjusted_budget: Optional[Spending] = F("调整后预算", "年中调整后的预算；填写后预算执行率以此为基数", None)
    final: Spending = F("决算支出", "本年实际支出（决算数）")
    received: Optional[Money] = F("资金实际到位数", "实际到位的资金（万元），用于计算资金到位率", None)
    previous_final: Optional[Money] = F("上年决算支出", "上年支出合计，用于计算较上年增减", None)
    three_public_budget: Optional[ThreePublic] = F("“三公”经费预算", "“三公”经费年初预算", None)
    three_public_actual: Optional[ThreePublic] = F("“三公”经费支出", "“三公”经费实际支出", None)
    expense_items: tuple[ExpenseItem, ...] = F("单列支出项目", "会议费、培训费等报告单列的支出及其较上年增减", default=())
    stated_carryover_end: Optional[Money] = F("年末结转结余（填报数）", "报表中的年末结转结余，用于核对", None)
    stated_execution_rate: Optional[Percent] = F("预算执行率（填报数）", "报表中的预算执行率（%），用于核对", None)
    stated_arrival_rate: Optional[Percent] = F("资金到位率（填报数）", "报表中的资金到位率（%），用于核对", None)
    stated_usage_rate: Optional[Percent] = F("资金使用率（填报数）", "报告中的资金使用率（支出合计÷收入合计，%），用于核对", None)
    stated_change: Optional[Percent] = F("较上年增减（填报数）", "支出较上年增减的百分比（下降填负数），用于核对", None)
    stated_shares: Optional[Shares] = F("支出占比（填报数）", "各类支出占决算支出的比例（%），用于核对", None)
    by_level: tuple[LevelLine, ...] = F("预算执行（按资金级次）", "按中央、省级、市级、区级等分列的预算、到位与支出，用于附件“预算执行表”",
                                  default=())


class Procurement(Model):
    budget: Optional[Money] = F("政府采购预算", "年度政府采购预算总额（万元）", None)
    actual: Optional[Money] = F("实际采购金额", "年度实际政府采购支出（万元）", None)
    items: tuple[Text, ...] = F("采购项目", "本年政府采购项目名称", default=())
    count: Optional[Count] = F("采购项目数", "报告只写项目个数、不列名称时填写；与名称同时填写时核对个数", None)
    stated_rate: Optional[Percent] = F("政府采购执行率（填报数）", "用于核对（%）", None)
    text: Optional[Str] = F("采购情况说明", "报告只用文字叙述采购情况时填写；有数字时接在数字之后", None)

    @model_validator(mode="after")
    def _something_given(self) -> "Procurement":
        if self.budget is None and self.actual is None and self.text is None and not self.items and self.count is None:
            raise PydanticCustomError("rt_empty", "请填写采购预算 budget、实际采购 actual、采购项目 items，或采购情况说明 text")
        return self


class AssetItem(Model):
    name: Text = F("资产类别", "流动资产、固定资产、无形资产、在建工程等")
    original: Money = F("账面原值", "万元；流动资产等没有原值、净值之分的填其金额")
    net: Optional[Money] = F("账面净值", "万元；填写后资产总额按净值计", None)
    stated_share: Optional[Percent] = F("占资产总额比例（填报数）", "%，用于核对", None)


class Assets(Model):
    as_of: Optional[Date] = F("截止日期", "默认为评价年度 12 月 31 日", None)
    items: tuple[AssetItem, ...] = F("资产明细", "按类别列示", default=())
    stated_total: Optional[Money] = F("资产总额（填报数）", "报告中的资产总额（万元），用于核对", None)
    text: Optional[Str] = F("资产情况说明", "报告只用文字叙述资产情况时填写；有数字时接在数字之后", None)

    @model_validator(mode="after")
    def _something_given(self) -> "Assets":
        if not self.items and self.text is None and self.stated_total is None:
            raise PydanticCustomError("rt_empty", "请填写资产明细 items，或资产情况说明 text")
        return self


class ProjectGoal(Model):
    name: Text = F("项目名称", "预算项目名称")
    amount: Optional[Money] = F("预算金额", "万元", None)
    level: Optional[Str] = F("项目级次", "区级、上级等", None)
    goal: Text = F("绩效目标", "该项目的年度绩效目标")
    result: Optional[Str] = F("完成情况", "目标完成情况", None)


class Goals(Model):
    overall: Text = F("部门总目标", "部门年度总体绩效目标")
    projects: tuple[ProjectGoal, ...] = F("部门项目具体计划目标", "各项目的绩效目标", default=())


# --- project (project_self) -------------------------------------------------------------

FUND_SOURCES = ("当年财政拨款", "上年结转资金", "其他资金")
PROJECT_TERMS = ("经常性项目", "一次性项目")
# The bases a project's 预算执行率 may be stated on, and the amount each one names.
EXECUTION_BASES = {"全年预算数": "budget", "实际到位数": "received", "调整后预算数": "adjusted"}


class ProjectInfo(Model):
    name: Text = F("项目名称", "预算批复中的项目全称")
    department: Text = F("主管部门", "项目主管部门")
    implementer: Text = F("实施单位", "项目实施单位")
    type: Optional[Str] = F("项目类型", "如 运转类、特定目标类", None, examples=["运转类", "特定目标类"])
    period: Optional[Str] = F("实施周期", "如 2024年1月—12月", None)
    overview: Optional[Text] = F("项目概况", "立项依据、主要内容、资金安排的概述；不填时报告中标为【待补充】（从自评表读入的数据没有这一项）", None)
    term: Optional[Literal[PROJECT_TERMS]] = F("经常性/一次性", "经常性项目或一次性项目（地方评价表中打勾）", None)
    leader: Optional[Str] = F("项目负责人", "项目负责人姓名", None)
    phone: Optional[Str] = F("联系电话", "项目负责人的联系电话", None)


class FundLine(Model):
    source: Literal[FUND_SOURCES] = F("资金来源", "当年财政拨款、上年结转资金或其他资金")
    initial: Money = F("年初预算数", "万元")
    budget: Money = F("全年预算数", "调整后的全年预算（万元）")
    received: Optional[Money] = F("实际到位数", "万元", None)
    spent: Money = F("全年执行数", "万元")
    adjusted: Optional[Money] = F("调整后预算数", "一体化系统中的调整后预算数（万元）", None)


class FundTotals(Model):
    initial: Optional[Money] = F("年初预算数合计", "万元", None)
    budget: Optional[Money] = F("全年预算数合计", "万元", None)
    received: Optional[Money] = F("实际到位数合计", "万元", None)
    spent: Optional[Money] = F("全年执行数合计", "万元", None)
    adjusted: Optional[Money] = F("调整后预算数合计", "万元", None)


class ProjectFunds(Model):
    lines: tuple[FundLine, ...] = F("资金明细", "按资金来源分列", min_length=1)
    weight: Optional[Weight] = F("分值", "预算执行率单列计分时的分值，不填为 10；作为指标体系中的末级指标（measures: 预算执行率）计分时不填", None)
    execution_base: Literal[tuple(EXECUTION_BASES)] = F(
        "预算执行率的基数", "全年预算数（默认，财预〔2020〕10号）、实际到位数（部分地方评价表）或调整后预算数（一体化系统）", "全年预算数")
    scoring: Literal["比例", "分档"] = F(
        "执行率计分方法", "比例：分值×执行率（不超过分值）；分档：100% 满分、80% 以上 7 分、60% 以上 5 分、其余 0 分（按分值折算）", "比例")
    stated_score: Optional[Points] = F("执行率得分（填报数）", "用于核对", None)
    stated_rate: Optional[Percent] = F("预算执行率（填报数）", "用于核对（%）", None)
    stated_totals: Optional[FundTotals] = F("年度资金总额（填报数）", "自评表“年度资金总额”一行的各数（万元），用于核对各资金来源之和", None)
    stated_arrival_rate: Optional[Percent] = F("资金到位率（填报数）", "实际到位数÷全年预算数（%），用于核对", None)
    stated_usage_rate: Optional[Percent] = F("资金使用率（填报数）", "全年执行数÷实际到位数（%），用于核对", None)
    reason: Optional[Str] = F("执行偏差原因", "预算执行率偏低（或未执行完毕）的原因", None)
    by_level: tuple[LevelLine, ...] = F("预算执行（按资金级次）", "按中央、省级、市级、区级等分列，用于附件“预算执行表”",
                                  default=())
    previous_spent: Optional[Money] = F("上年全年执行数", "上年该项目的全年执行数（万元），用于计算较上年增减", None)


class AnnualGoal(Model):
    expected: Text = F("预期目标", "年初设定的年度总体目标")
    actual: Text = F("实际完成情况", "年末实际完成情况")


# The five answers of a satisfaction question, as the survey counts them, with their default scores (%).
ANSWERS = (("very_satisfied", "非常满意", 100), ("satisfied", "比较满意", 75), ("neutral", "一般", 50),
           ("dissatisfied", "比较不满意", 25), ("very_dissatisfied", "非常不满意", 0))

Answers = type("Answers", (Model,), {
    "__doc__": "各选项的回答人数",
    "__annotations__": {key: Count for key, _, _ in ANSWERS},
    **{key: F(title, "选择该项的人数（份）", 0) for key, title, _ in ANSWERS},
    "__module__": __name__,
})
AnswerScale = type("AnswerScale", (Model,), {
    "__doc__": "各选项计入满意度的分值（%）",
    "__annotations__": {key: Percent for key, _, _ in ANSWERS},
    **{key: F(title, f"该项计入满意度的比例（%），默认 {score}%", Decimal(score)) for key, title, score in ANSWERS},
    "__module__": __name__,
})


class Evaluator(Model):
    name: Text = F("姓名", "评价人员姓名")
    position: Optional[Str] = F("职务/职称", "如 财务科科长、会计师", None)
    unit: Optional[Str] = F("单位", "所在单位或科室", None)


class SurveyGroup(Model):
    name: Text = F("调查对象", "如 企业工作人员、社区居民")
    samples: Optional[Count] = F("有效问卷数", "份；填写回答人数 answers 时核对是否等于其合计", None)
    satisfied: Optional[Count] = F("满意问卷数", "份", None)
    answers: Optional[Answers] = F("回答人数", "非常满意、比较满意、一般、比较不满意、非常不满意各有多少人；填写后按各选项分值计算满意度", None)
    satisfaction: Optional[Percent] = F("满意度", "该类对象的满意度（%）；填写回答人数时为填报数，用于核对", None)
    weight: Optional[Percent] = F("权重", "该类对象在综合满意度中的权重（%）；各组都填才计算综合满意度", None)

    @model_validator(mode="after")
    def _satisfaction_known(self) -> "SurveyGroup":
        if self.answers is None and self.satisfaction is None:
            raise PydanticCustomError("rt_survey", "请填写满意度 satisfaction，或各选项回答人数 answers")
        return self


class Survey(Model):
    groups: tuple[SurveyGroup, ...] = F("调查对象分组", "各类调查对象的样本、满意度与权重", min_length=1)
    scale: AnswerScale = F("选项分值", "按回答人数计算满意度时各选项的分值（%），默认 100、75、50、25、0",
                           default_factory=lambda: AnswerScale())
    stated_overall: Optional[Percent] = F("综合满意度（填报数）", "报告中的综合满意度（%），用于核对", None)


class TargetPoints(Model):
    indicators: Optional[Count] = F("绩效指标数", "绩效目标涉及的指标个数", None)
    total: Count = F("评价点总数", "评价点个数")
    completed: Count = F("已完成", "完成的评价点个数")
    incomplete: Optional[Count] = F("未完成（填报数）", "用于核对：应等于总数减已完成", None)
    stated_rate: Optional[Percent] = F("完成率（填报数）", "用于核对（%）", None)


# --- project key evaluation (key_eval_project) ------------------------------------------

class EvaluatedProject(Model):
    name: Text = F("项目名称", "被评价项目（专项资金）的名称")
    department: Optional[Str] = F("主管部门", "项目主管部门", None)
    implementer: Optional[Str] = F("实施单位", "项目实施单位", None)
    basis: Optional[Str] = F("立项依据", "项目设立的政策依据与背景", None)
    overview: Text = F("项目概况", "项目内容、实施范围、资金安排的概述")
    sub_projects: Optional[Str] = F("子项目情况", "各子项目的内容与实施情况", None)


class FundYearLine(Model):
    year: int = F("年度", "预算年度", ge=2000, le=2100)
    name: Optional[Text] = F("子项目", "子项目名称；项目不分子项目时不填", None)
    budget: Money = F("预算安排", "当年安排的预算（万元）")
    spent: Money = F("支出金额", "当年实际支出（万元）")
    stated_share: Optional[Percent] = F("资金占比（填报数）", "报告中的资金占比（%，占当年预算安排小计；不分子项目时占预算安排总计），用于核对", None)
    stated_rate: Optional[Percent] = F("预算执行率（填报数）", "报告中的预算执行率（%，支出金额÷预算安排），用于核对", None)


class YearFunds(Model):
    lines: tuple[FundYearLine, ...] = F("资金明细", "每个年度、每个子项目一行", min_length=1)
    stated_budget: Optional[Money] = F("预算安排总计（填报数）", "万元，用于核对", None)
    stated_spent: Optional[Money] = F("支出金额总计（填报数）", "万元，用于核对", None)
    stated_rate: Optional[Percent] = F("总体预算执行率（填报数）", "%，用于核对", None)


# --- reports ----------------------------------------------------------------------------

class ReportBase(Model):
    _source: Any = PrivateAttr(default=None)
    _view: Any = PrivateAttr(default=None)  # (id of the report, its view): see view.view()
    _problem_index: Any = PrivateAttr(default=None)  # (id of the report, problem id or position -> position)

    year: int = F("评价年度", "被评价的预算年度", ge=2000, le=2100)
    title: Optional[Str] = F("报告标题", "不填则按部门（项目）名称和年度生成", None)
    summary: Optional[Str] = F("摘要", "报告开头的摘要（可选）", None)
    evaluation: Evaluation = F("评价思路和过程", "评价思路、目的、依据、对象及时段等", default_factory=Evaluation)
    indicators: tuple[Indicator, ...] = F(
        "指标体系", "一级指标列表，每个一级指标下有二级、三级指标；报告没有评分表时不填（不出现得分、等级与评分表）", default=())
    stated_total_score: Optional[Points] = F("总得分（填报数）", "官方表格中的总分，用于核对", None)
    stated_grade: Optional[Str] = F("评价等级（填报数）", "官方表格中的等级，用于核对", None)
    previous_total_score: Optional[Points] = F("上年总得分", "上年评价的总得分；填写后说明较上年的变化（reporttool new --from 自动带入）", None)
    previous_grade: Optional[Str] = F("上年评价等级", "上年评价的等级", None)
    previous_problems: tuple[PreviousProblem, ...] = F(
        "上年问题整改情况", "上年报告列出的问题及本年整改情况；既未整改、本年也未再列出的会提示", default=())
    conclusion: Optional[Str] = F("评价结论补充说明", "综合评价的文字说明", None)
    experience: tuple[Experience, ...] = F("主要经验做法", "值得推广的做法", default=())
    problems: tuple[ProblemItem, ...] = F("存在的问题", "正文中论述的问题", default=())
    more_problems: tuple[ProblemItem, ...] = F(
        "问题清单补充", "只列入附件“问题清单”、正文不展开的问题（问题清单常比正文长）", default=())
    suggestions: tuple[Suggestion, ...] = F("改进措施及建议", "针对问题的建议", default=())
    other: Optional[Str] = F("其他需要说明的情况", "其他需要说明的事项", None)
    survey: Optional[Survey] = F("满意度调查", "问卷调查分组、样本、权重与综合满意度", None)
    target_points: Optional[TargetPoints] = F("绩效目标实现情况", "评价点总数、完成数与完成率", None)
    author: Optional[Str] = F("落款单位", "不填则为部门名称", None)
    signed_on: Optional[SignDate] = F("落款日期", "报告落款日期，如 2025-08-04、2025年8月4日，或只写月份 2025年8月", None)
    settings: Settings = F("设置", "评价等级分档、核对容差", default_factory=Settings)


class DeptSelfReport(ReportBase):
    kind: Literal["dept_self"] = F("报告类型", "dept_self：部门整体支出绩效自评报告")
    department: Department = F("部门概况", "部门名称、机构、编制、职能、工作完成情况")
    funds: DeptFunds = F("部门资金", "收入、预算与决算支出")
    procurement: Optional[Procurement] = F("政府采购情况", "采购预算与实际采购", None)
    assets: Optional[Assets] = F("固定资产情况", "资产账面原值与净值", None)
    goals: Goals = F("绩效目标", "部门总目标与项目具体计划目标")


class ProjectSelfReport(ReportBase):
    kind: Literal["project_self"] = F("报告类型", "project_self：项目支出绩效自评报告")
    project: ProjectInfo = F("项目基本情况", "项目名称、主管部门、实施单位、概况")
    funds: ProjectFunds = F("项目资金", "按来源分列的预算数与执行数")
    goals: tuple[AnnualGoal, ...] = F("年度总体目标", "预期目标与实际完成情况（报告必备：缺少时大纲核对会指出）", default=())
    evaluators: tuple[Evaluator, ...] = F("评价人员", "参加自评的人员（地方评价表列示并签字）", default=())


class KeyEvalReport(ReportBase):
    kind: Literal["key_eval"] = F("报告类型", "key_eval：重点绩效评价报告（第三方）")
    department: Department = F("部门基本情况", "部门名称、机构、职责、主要工作完成情况")
    funds: DeptFunds = F("年度预算及决算", "收入、支出与结转结余")
    procurement: Optional[Procurement] = F("政府采购情况", "采购预算与实际采购", None)
    assets: Optional[Assets] = F("资产情况", "资产账面原值与净值", None)
    evaluator: Optional[Str] = F("评价机构", "承担重点绩效评价的第三方机构；落款默认用它", None)
    commissioned_by: Optional[Str] = F("委托单位", "委托开展评价的单位，如 某区财政局", None)


class KeyEvalProjectReport(ReportBase):
    kind: Literal["key_eval_project"] = F("报告类型", "key_eval_project：项目重点绩效评价报告（第三方）")
    start_year: Optional[int] = F("评价起始年度", "评价多个年度时的第一年（评价年度 year 为最后一年）；不填则取资金明细中最早的年度",
                                  None, ge=2000, le=2100)
    project: EvaluatedProject = F("项目基本情况", "项目名称、主管部门、立项依据、概况")
    funds: YearFunds = F("项目资金", "按年度、子项目分列的预算安排与支出")
    evaluator: Optional[Str] = F("评价机构", "承担重点绩效评价的第三方机构；落款默认用它", None)
    commissioned_by: Optional[Str] = F("委托单位", "委托开展评价的单位，如 某区财政局", None)


REPORT_KINDS: dict[str, type[ReportBase]] = {
    "dept_self": DeptSelfReport,
    "project_self": ProjectSelfReport,
    "key_eval": KeyEvalReport,
    "key_eval_project": KeyEvalProjectReport,
}


Report = Union[DeptSelfReport, ProjectSelfReport, KeyEvalReport, KeyEvalProjectReport]
