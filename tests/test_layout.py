"""Table layout: the shortcuts that make fitting fast give what the plain computation gives."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reporttool.document import TABLE_PT, Cell, Shape, span

TEXT = st.one_of(st.text(alphabet="字a1，", min_size=0, max_size=90), st.sampled_from(["1,234.56", "95.39%", "合计"]))


@st.composite
def tables(draw):
    cols = draw(st.integers(2, 7))
    rows = [[Cell(draw(TEXT)) for _ in range(cols)] for _ in range(draw(st.integers(1, 12)))]
    start = draw(st.integers(0, len(rows) - 1))
    span(rows, 0, start, draw(st.integers(1, len(rows) - start)))  # a merged first column, as in score tables
    widths = [draw(st.floats(8, 60)) for _ in range(cols)]
    return rows, widths


def _even_lines_by_trying_each(shape: Shape, floor: list, total: float) -> list:
    """The definition: the fewest lines L, tried one by one, at which the cells' widths fit."""
    alone = [(c, rowspan, ems) for _r, c, width, rowspan, ems in shape.cells if width == 1]
    most = max((sum(math.ceil(e - 1e-9) for e in ems) for _c, _rs, ems in alone), default=1)
    for lines in range(1, most + 1):
        widths = list(floor)
        for c, rowspan, ems in alone:
            fewest = next(n for n in range(1, max(1, math.ceil(max(ems))) + 1)
                          if sum(math.ceil(e / n - 1e-9) for e in ems) <= lines * rowspan)
            widths[c] = max(widths[c], fewest * shape.em + shape.margins + 0.05)
        if sum(widths) <= total:
            return widths
    return list(floor)


@settings(max_examples=150, deadline=None)
@given(tables(), st.floats(60, 400))
def test_fewest_even_lines_found_by_halving_are_those_found_one_by_one(table, total):
    rows, floor = table
    shape = Shape(rows, TABLE_PT)
    assert shape.even_lines(floor, total) == _even_lines_by_trying_each(shape, floor, total)


@settings(max_examples=150, deadline=None)
@given(tables(), st.data())
def test_remembered_lines_and_widenings_are_those_of_a_fresh_shape(table, data):
    rows, widths = table
    shape = Shape(rows, Decimal("10.5"))
    lines = shape.cell_lines(widths)
    for _ in range(3):  # widen one column at a time, as the layout search does
        col = data.draw(st.integers(0, len(widths) - 1))
        widths[col] += data.draw(st.floats(0.5, 20))
        lines = shape.widened(widths, lines, col)
        fresh = Shape(rows, Decimal("10.5"))
        assert lines == fresh.cell_lines(widths)
        assert [shape.widenings(widths, j) for j in range(len(widths))] == \
               [fresh.widenings(widths, j) for j in range(len(widths))]
