"""Formatting of figures, ordinals and dates: the one place template filters are defined.

Rounding happens here and only here: two decimals, half-up.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
MISSING = "—"
_DIGITS = "零一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def q2(value: Decimal | int) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal | int | None) -> str:
    """6348.365 -> '6,348.37'"""
    return MISSING if value is None else f"{q2(value):,.2f}"


def pct(fraction: Decimal | None) -> str:
    """A computed rate (0.9539...) as '95.39%'."""
    return MISSING if fraction is None else f"{q2(Decimal(fraction) * 100):,.2f}%"


def points(value: Decimal | int | None) -> str:
    """Scores carry two decimals: '90.52'."""
    return MISSING if value is None else f"{q2(value):.2f}"


def weight(value: Decimal | int | None) -> str:
    """Weights as typed, without trailing zeros: 35, 2.5."""
    if value is None:
        return MISSING
    d = q2(value).normalize()
    return f"{d:f}"


def count(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一, 105 -> 一百零五, 10000 -> 一万 (any size)."""
    if n < 0:
        raise ValueError(f"cannot write {n} in Chinese numerals")
    if n >= 10000:
        high, low = divmod(n, 10000)
        return cn_number(high) + "万" + ("" if not low else ("零" if low < 1000 else "") + _below_10000(low, inner=True))
    return _below_10000(n)


def _below_10000(n: int, inner: bool = False) -> str:
    if n < 10:
        return _DIGITS[n]
    if n < 20 and not inner:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    out = ""
    zero = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit_value % 10
        if digit:
            if zero and out:
                out += "零"
            out += _DIGITS[digit] + unit
            zero = False
        elif out:
            zero = True
    return out


def ordinal(position: int, level: int) -> str:
    """Heading ordinal for the 1-based position at a level: 一、 （一） 1. （1） ①."""
    if level == 1:
        return cn_number(position) + "、"
    if level == 2:
        return f"（{cn_number(position)}）"
    if level == 3:
        return f"{position}."
    if level == 4:
        return f"（{position}）"
    if level == 5 and position <= len(_CIRCLED):
        return _CIRCLED[position - 1]
    return f"{position})"


def list_ordinal(loop: Any, level: int) -> str:
    """The ordinal of a list item, or nothing when the list has one item (a lone “1.” reads oddly)."""
    return "" if loop.length == 1 else ordinal(loop.index, level)


def with_suffix(text: str, suffix: str) -> str:
    """经常性 + 项目 -> 经常性项目; 经常性项目 stays (never 经常性项目项目)."""
    return text if text.endswith(suffix) else text + suffix


def cndate(value: date | str | None) -> str:
    """2024-12-31 -> 2024年12月31日; a date already written in Chinese (2025年5月) stays."""
    if value is None:
        return MISSING
    return value if isinstance(value, str) else f"{value.year}年{value.month}月{value.day}日"


def sentence(text: str) -> str:
    """End a clause typed without punctuation with 。 so the next sentence does not run on."""
    text = text.rstrip()
    return text if not text or text[-1] in "。！？；：.!?;:）)”」" else text + "。"


def dash(value: Any) -> Any:
    """A figure that may be unknown (a rate on a zero base) prints as — instead of stopping the render."""
    return MISSING if value is None else value


def join_cn(items: Any, sep: str = "、") -> str:
    return sep.join(str(i) for i in items)


# What templates may call. Numbers need no filter: a Figure prints with its own unit.
FILTERS = {
    "cn_number": cn_number,
    "ordinal": ordinal,
    "list_ordinal": list_ordinal,
    "with_suffix": with_suffix,
    "cndate": cndate,
    "join_cn": join_cn,
    "dash": dash,
    "sentence": sentence,
}


def register(env: Any) -> None:
    env.filters.update(FILTERS)
