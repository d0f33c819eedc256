from datetime import date
from decimal import Decimal as D

import pytest

from reporttool import filters as f
from reporttool.view import Figure


@pytest.mark.parametrize("value, expected", [
    (D("6348.37"), "6,348.37"),
    (D("2.675"), "2.68"),          # half-up, not banker's rounding
    (D("2.665"), "2.67"),
    (D("0.005"), "0.01"),
    (D("1234567.891"), "1,234,567.89"),
    (D("0"), "0.00"),
    (7, "7.00"),
    (None, "—"),
])
def test_money(value, expected):
    assert f.money(value) == expected


@pytest.mark.parametrize("value, unit, text, number", [
    (D("6348.365"), "money", "6,348.37万元", "6,348.37"),
    (D("0.95385"), "pct", "95.39%", "95.39%"),
    (D("32"), "points", "32.00分", "32.00"),
    (D("2.50"), "weight", "2.5分", "2.5"),
    (72, "count", "72", "72"),
])
def test_figure_prints_with_its_unit(value, unit, text, number):
    fig = Figure(value, unit)
    assert (fig.text, fig.number, str(fig)) == (text, number, text)


@pytest.mark.parametrize("fraction, expected", [
    (D("0.95385"), "95.39%"),
    (D(1444.16) / D(1354.10), "106.65%"),
    (D("2.7867"), "278.67%"),
    (D(0), "0.00%"),
    (None, "—"),
])
def test_pct(fraction, expected):
    assert f.pct(fraction) == expected


def test_points_and_weight():
    assert f.points(D("90.5")) == "90.50"
    assert f.points(D("0.125")) == "0.13"
    assert f.weight(D("35")) == "35"
    assert f.weight(D("2.50")) == "2.5"
    assert f.weight(D("0.25")) == "0.25"


@pytest.mark.parametrize("n, expected", [
    (1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"),
    (99, "九十九"), (100, "一百"), (101, "一百零一"), (110, "一百一十"), (1005, "一千零五"),
])
def test_cn_number(n, expected):
    assert f.cn_number(n) == expected


@pytest.mark.parametrize("position, level, expected", [
    (1, 1, "一、"), (12, 1, "十二、"), (3, 2, "（三）"), (10, 2, "（十）"),
    (4, 3, "4."), (2, 4, "（2）"), (3, 5, "③"),
])
def test_ordinal(position, level, expected):
    assert f.ordinal(position, level) == expected


def test_cndate():
    assert f.cndate(date(2024, 12, 31)) == "2024年12月31日"
    assert f.cndate(date(2025, 8, 4)) == "2025年8月4日"
