"""Review a report written by others: its outline, its indicator tables and the figures its text states.

What is read comes from ``received`` (Word, .doc, PDF, Markdown, text) or, for a 自评表 workbook, from
the form reader and the same rules as ``check``. The indicator table becomes a tree that
``checks.tree_rules`` and ``checks.total_rules`` judge exactly as they judge our own data, so a
finding here reads as it does in ``check``; each is placed as the reviewer finds it: 第N段,
表N第R行第C列, 第P页, 工作表!单元格.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

from .errors import Counted, WARNING, Problem, UserError
from .received import Para, Received, TableRead, read_received

HUNDRED = Decimal(100)
WORKBOOK_SUFFIXES = (".xlsx",)

# --- the indicator table ----------------------------------------------------------------------

LEVEL_HEADS = {1: "一级指标", 2: "二级指标", 3: "三级指标"}
WEIGHT_HEADS = ("分值", "权重", "标准分", "指标分值", "满分")
SCORE_HEADS = ("得分", "评价得分", "自评得分", "实际得分", "评分", "考评得分")
RATE_HEADS = ("得分率",)
TOTAL_ROWS = ("合计", "总计", "总分", "合计得分", "总得分")
SUBTOTAL_ROWS = ("小计", "合计", "小结")
_SPACE = re.compile(r"\s+")
_NUM = re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?$")


def _plain(text: str) -> str:
    return _SPACE.sub("", text)


def _head(text: str) -> str:
    """A header cell without spaces or a unit in brackets: 分值（分） -> 分值."""
    return re.sub(r"[（(][^）)]*[）)]$", "", _plain(text))


def number(text: str) -> Decimal | None:
    """A figure as a table cell writes it: 3、2.60、1,234.5、95.00%、8分 (None when it is not one)."""
    t = _plain(text).rstrip("分%％").replace("，", ",")
    if not t or not _NUM.match(t):
        return None
    try:
        return Decimal(t.replace(",", ""))
    except InvalidOperation:
        return None


@dataclass
class Columns:
    header_row: int
    levels: dict[int, int]                          # level -> column
    weights: dict[int, int] = field(default_factory=dict)  # level -> its 分值 column
    scores: dict[int, int] = field(default_factory=dict)
    rate: int | None = None

    @property
    def leaf_level(self) -> int:
        return max(self.levels)


def find_columns(table: TableRead) -> Columns | None:
    """The indicator columns, by their header cells; a 分值/得分 column belongs to the level left of it."""
    for r, row in enumerate(table.rows[:4]):
        heads = [_head(c) for c in row]
        levels = {lvl: heads.index(name) for lvl, name in LEVEL_HEADS.items() if name in heads}
        if not levels:
            continue
        cols = Columns(r, levels)
        current = None
        for c, h in enumerate(heads):
            if c and h == heads[c - 1]:
                continue  # one header cell merged across columns
            level_here = next((lvl for lvl, col in levels.items() if col == c), None)
            if level_here is not None:
                current = level_here
            elif h in RATE_HEADS:
                cols.rate = c
            elif h in WEIGHT_HEADS or (h.endswith("分值") and "得分" not in h):
                cols.weights.setdefault(current or cols.leaf_level, c)
            elif h in SCORE_HEADS or (h.endswith("得分") and "率" not in h):
                cols.scores.setdefault(current or cols.leaf_level, c)
        if cols.weights or cols.scores:
            # one 分值 column right of the deepest level is the leaves'; so is a lone 得分 column
            for d in (cols.weights, cols.scores):
                if len(d) == 1 and cols.leaf_level not in d:
                    d[cols.leaf_level] = d.pop(next(iter(d)))
            return cols
    return None


@dataclass
class Node:
    """An indicator as the received table states it, shaped as ``checks.tree_rules`` reads a view's."""
    name: str
    level: int
    weight: Any = None      # Figure or None (not stated)
    score: Any = None
    children: list["Node"] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)   # "" | weight | score -> 表N第R行第C列
    order: int = 0

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def total_weight(self) -> Any:
        from .view import Figure
        if self.is_leaf:
            return self.weight or Figure(Decimal(0), "weight")
        return Figure(sum((c.weight or c.total_weight).value for c in self.children), "weight")

    @property
    def total_score(self) -> Any:
        from .view import Figure
        if self.is_leaf:
            return self.score or Figure(Decimal(0), "points")
        return Figure(sum((c.score or c.total_score).value for c in self.children), "points")


@dataclass
class IndicatorTable:
    table: TableRead
    roots: list[Node]
    stated_weight: Any = None   # the 合计 row's figures
    stated_score: Any = None
    total_places: dict[str, str] = field(default_factory=dict)
    blanks: list[Problem] = field(default_factory=list)


_PAGE_NUMBER = re.compile(r"^[—\-－\s]*\d+[—\-－\s]*$")


def _as_grid(table: TableRead, cols: Columns) -> TableRead:
    """A PDF table's lines as the rows Word has: a merged cell's label, set between rows (vertically centred)
    or on its first row, given to every row it spans; a wrapped name joined to its row."""
    body = range(cols.header_row + 1, len(table.rows))
    figures = {*cols.weights.values(), *cols.scores.values()}
    leaf = cols.levels[cols.leaf_level]
    outer = sorted(lvl for lvl in cols.levels if lvl != cols.leaf_level)

    def filled(r: int, c: int) -> str:
        return table.rows[r][c].strip() if c < len(table.rows[r]) else ""

    anchors = [r for r in body if any(number(filled(r, c)) is not None for c in figures)
               or _plain(filled(r, leaf)) in TOTAL_ROWS + SUBTOTAL_ROWS]
    if not anchors:
        return table
    grid = {r: list(table.rows[r]) for r in anchors}
    # an indicator whose name spans the level columns (a 预算执行率 of level 1 with no children) stands alone
    alone = set()
    for i, r in enumerate(anchors):
        named = [lvl for lvl in outer if filled(r, cols.levels[lvl])]
        if not filled(r, leaf) and named and _plain(filled(r, cols.levels[named[0]])) not in TOTAL_ROWS + SUBTOTAL_ROWS:
            alone.add(i)
            for lvl in sorted(cols.levels):
                if lvl >= named[0]:
                    grid[r][cols.levels[lvl]] = filled(r, cols.levels[named[0]])
    labels: dict[int, list[tuple[int, str]]] = {lvl: [] for lvl in outer}  # level -> (line, text)
    standing = {anchors[i] for i in alone}
    for r in body:
        if r in standing:
            continue
        for lvl in outer:
            text = filled(r, cols.levels[lvl])
            if text and not _PAGE_NUMBER.match(text):
                labels[lvl].append((table.lines[r], text))
        if r not in grid and filled(r, leaf) and not _PAGE_NUMBER.match(filled(r, leaf)):
            at = bisect.bisect_left(anchors, r)  # a wrapped name: to the nearest row with figures
            near = min(anchors[max(0, at - 1):at + 1], key=lambda a: (abs(table.lines[a] - table.lines[r]), a))
            grid[near][leaf] = filled(r, leaf) + grid[near][leaf] if r < near else grid[near][leaf] + filled(r, leaf)
    lines = [table.lines[r] for r in anchors]
    # the outermost level splits at its 小计 rows; each deeper level within its parent's rows
    closing = [i for i, r in enumerate(anchors) if _plain(filled(r, leaf)) in SUBTOTAL_ROWS + TOTAL_ROWS]
    blocks = [(0, len(anchors))]
    for lvl in outer:
        inner = []
        for start, end in blocks:
            cut = sorted({start, end, *(i + 1 for i in closing if start <= i < end - 1),
                          *(j for i in alone if start <= i < end for j in (i, i + 1))}) if lvl == outer[0] else [start, end]
            for a, b in zip(cut, cut[1:]):
                rows = [i for i in range(a, b) if i not in closing and i not in alone]
                if not rows:
                    continue
                top, bottom = lines[rows[0]] - 1.5, lines[rows[-1]] + 1.5
                own = [(y, t) for y, t in labels[lvl] if top <= y <= bottom]
                for (first, last), text in _partition([lines[i] for i in rows], own):
                    for i in rows[first:last]:
                        grid[anchors[i]][cols.levels[lvl]] = text
                    inner.append((rows[first], rows[last - 1] + 1))
        blocks = inner or blocks
    for i in closing:  # a 小计 row states the figures of the outermost indicator above it, as Word's rows do
        row = grid[anchors[i]]
        if i and _plain(row[leaf]) in SUBTOTAL_ROWS and len(outer) > 1:
            row[cols.levels[outer[0]]] = grid[anchors[i - 1]][cols.levels[outer[0]]]
            row[cols.levels[outer[1]]], row[leaf] = row[leaf], ""
    return TableRead(table.no, [table.rows[cols.header_row]] + [grid[r] for r in anchors],
                     table.page, [table.lines[cols.header_row]] + lines,
                     [table.pages[cols.header_row]] + [table.pages[r] for r in anchors])


def _partition(ys: list[int], labels: list[tuple[int, str]]) -> list[tuple[tuple[int, int], str]]:
    """Rows (at lines ys) cut into one block per label: on its block's first row when every label sits on the
    first of the rows after the one before (top-aligned), else at its block's centre."""
    if not labels:
        return []
    if len(labels) == 1:
        return [((0, len(ys)), labels[0][1])]
    firsts = [bisect.bisect_left(ys, p) for p, _ in labels]
    if firsts[0] == 0 and all(ys[f] == p for f, (p, _) in zip(firsts, labels) if f < len(ys)):
        bounds = firsts + [len(ys)]
    else:
        bounds, start = [0], 0
        for (p, _), (q, _) in zip(labels, labels[1:]):
            if start >= len(ys):
                break
            own = max(start, bisect.bisect_right(ys, p) - 1)  # the label's own line is in its block
            limit = max(own, bisect.bisect_left(ys, q) - 1)   # and the next label's is not
            at = bisect.bisect_left(ys, 2 * p - ys[start], own, limit + 1)  # the end that centres the block on p
            end = min({min(max(e, own), limit) for e in (at - 1, at)}, key=lambda e: (abs((ys[start] + ys[e]) / 2 - p), e))
            start = end + 1
            bounds.append(start)
        bounds.append(len(ys))
    return [((a, b), text) for (a, b), (_, text) in zip(zip(bounds, bounds[1:]), labels) if a < b]


def read_indicators(table: TableRead, file: str, order: int) -> IndicatorTable | None:
    from .view import Figure

    cols = find_columns(table)
    if cols is None:
        return None
    if table.layout:
        table = _as_grid(table, cols)
        cols = find_columns(table)
    out = IndicatorTable(table, [])
    last: dict[int, Node] = {}
    header_texts = {_plain(c) for c in table.rows[cols.header_row]}
    for r in range(cols.header_row + 1, len(table.rows)):
        row = table.rows[r]

        def cell(c: int | None) -> str:
            return row[c].strip() if c is not None and c < len(row) else ""

        first = next((_plain(x) for x in row if x.strip()), "")
        if first in TOTAL_ROWS or first.startswith(("合计", "总计")):
            w = number(cell(cols.weights.get(cols.leaf_level)) or cell(next(iter(cols.weights.values()), None)))
            s = number(cell(cols.scores.get(cols.leaf_level)) or cell(next(iter(cols.scores.values()), None)))
            out.stated_weight = Figure(w, "weight") if w is not None else None
            out.stated_score = Figure(s, "points") if s is not None else None
            out.total_places = {"weight": table.place(r, cols.weights.get(cols.leaf_level)),
                                "score": table.place(r, cols.scores.get(cols.leaf_level))}
            continue
        names = {lvl: cell(c) for lvl, c in cols.levels.items()}
        if all(not n or _plain(n) in header_texts for n in names.values()):
            continue  # a second header line, or an empty row
        sub = next((lvl for lvl in sorted(names) if _plain(names[lvl]) in SUBTOTAL_ROWS), None)
        if sub is not None:  # “小计” under a level: the row states the figures of the level above
            names = {lvl: (n if lvl < sub else "") for lvl, n in names.items()}
            if not any(names.values()):
                continue
        level = max(lvl for lvl, n in names.items() if n)
        parent = None
        for lvl in sorted(cols.levels):
            if lvl > level:
                break
            name = names[lvl] or (last[lvl].name if lvl in last else "")
            if not name:
                continue
            if lvl in last and last[lvl].name == name and (parent is None or last[lvl] in parent.children
                                                             or (lvl == min(cols.levels) and last[lvl] in out.roots)):
                node = last[lvl]
            else:
                node = Node(name, lvl, places={"": table.place(r, cols.levels[lvl])}, order=order * 10_000 + r)
                (parent.children if parent is not None else out.roots).append(node)
                last[lvl] = node
                for deeper in [k for k in last if k > lvl]:
                    del last[deeper]
            _stated(node, cols, row, r, table, lvl == level)
            parent = node
    for node in _all(out.roots):
        if node.is_leaf:
            for key, unit, what in (("weight", "weight", "分值"), ("score", "points", "得分")):
                if getattr(node, key) is None and (cols.weights if key == "weight" else cols.scores):
                    out.blanks.append(Problem(f"末级指标「{node.name}」没有{what}", file=file,
                                              where=node.places.get(""), title=f"指标「{node.name}」·{what}",
                                              rule="review.blank", severity=WARNING, line=node.order))
                    setattr(node, key, Figure(Decimal(0), unit))
    return out if out.roots else None


def _stated(node: Node, cols: Columns, row: list[str], r: int, table: TableRead, own_row: bool) -> None:
    """The 分值/得分 a row states for ``node``: its level's own columns, or the leaf columns on its own row."""
    from .view import Figure

    for key, columns, unit in (("weight", cols.weights, "weight"), ("score", cols.scores, "points")):
        c = columns.get(node.level)
        if c is None and own_row:
            c = columns.get(cols.leaf_level)
        if c is None or getattr(node, key) is not None:
            continue
        value = number(row[c]) if c < len(row) else None
        if value is not None:
            setattr(node, key, Figure(value, unit))
            node.places[key] = table.place(r, c)


def _all(nodes: list[Node]) -> Iterator[Node]:
    for n in nodes:
        yield n
        yield from _all(n.children)


class _Places:
    """What ``checks`` calls ``src``: a rule's path within the tree -> the cell it came from."""

    def __init__(self, file: str, roots: list[Node], totals: dict[str, str], table_place: str = "", order: int = 0):
        self.file = file
        self.at: dict[tuple, tuple[str, int]] = {("indicators",): (table_place, order)}
        self.totals = totals
        self._index(roots, ("indicators",))

    def _index(self, nodes: list[Node], path: tuple) -> None:
        for i, n in enumerate(nodes):
            here = path + (i,)
            self.at[here] = (n.places.get("", ""), n.order)
            for key in ("weight", "score"):
                self.at[here + (key,)] = (n.places.get(key) or n.places.get("", ""), n.order)
            self._index(n.children, here + ("children",))

    def problem(self, path: tuple, message: str, **kw: Any) -> Problem:
        key = tuple(path)
        if key == ("stated_total_score",):
            where, order = self.totals.get("score", ""), 10**9
        elif key == ("stated_grade",):
            where, order = self.totals.get("grade", ""), 10**9
        else:
            while key and key not in self.at:
                key = key[:-1]
            where, order = self.at.get(key, ("", None))
        return Problem(message=message, file=self.file, where=where, line=order, **kw)


_SETTINGS: list[Any] = []


def settings() -> Any:
    """The default grade bands and tolerances, as the rules read them."""
    if not _SETTINGS:
        from .model import Settings
        from .view import _build
        _SETTINGS.append(_build(Settings(), None))
    return _SETTINGS[0]


def grade_of(score: Decimal) -> str:
    return next((b.grade for b in settings().grade_bands if score >= b.min.value), settings().grade_bands[-1].grade)


# --- figures stated in the text --------------------------------------------------------------

N = r"(\d[\d,]*(?:\.\d+)?)"
_ORDINAL_START = re.compile(r"^\s*(?:\d+[)）.．、]|[（(]\d+[）)]|[①-⑳])")
_STATEMENT = re.compile(
    rf"(?P<name>[^，,。；;：:、\s]{{0,30}}?)(?:指标)?[：:]?\s*(?:指标)?(?:分值|权重|满分)(?:为)?{N}分[，,]\s*(?:实际|评价|自评)?得分(?:为)?{N}分"
    rf"(?:[，,]\s*得分率(?:为)?{N}\s*[%％])?")
_SET_UNDER = re.compile(r"^(?P<name>[^，,。；;：:]{2,20}?)(?:下设|包括|包含)")
_TOTAL = re.compile(rf"(总得分|自评得分|评价得分|综合得分|总分|得分)(?:为|是|达|：|:)?\s*{N}\s*分")
_GRADE = re.compile(r"(?:评价)?等级(?:为|是|：|:)?\s*[“\"「]?(优秀|优|良好|良|中|差)[”\"」]?")
_GRADE_WORD = {"优秀": "优", "良好": "良"}
_AMOUNT = re.compile(rf"{N}\s*(亿元|万元|元)")
_UNIT_WAN = {"亿元": Decimal(10000), "万元": Decimal(1), "元": Decimal("0.0001")}
_RATE = re.compile(rf"(?P<name>[\u4e00-\u9fa5]{{0,8}}?(?:执行率|完成率|到位率|使用率))(?:为|是|达到|达|：|:)?\s*{N}\s*[%％]")
_CHANGE = re.compile(rf"{N}\s*(亿元|万元|元)[^。；;，,]{{0,4}}[，,]?\s*较(上年|上一年度?|去年|\d{{4}}年度?|年初预算数?|预算数?|计划数?)(?:同期)?(?:的)?\s*"
                     rf"{N}\s*(亿元|万元|元)\s*(增长|增加|上升|提高|下降|减少|降低)(?:了)?\s*{N}\s*[%％]")
_SHARE = re.compile(rf"{N}\s*(亿元|万元|元)[^。；;]{{0,30}}?占[^。；;\d]{{0,20}}?{N}\s*(亿元|万元|元)的\s*{N}\s*[%％]")
_SENTENCE = re.compile(r"[^。；;！？!?\n]+")


def _dec(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _wan(value: str, unit: str) -> Decimal:
    return _dec(value) * _UNIT_WAN[unit]


def _fits(value: Decimal, written: str) -> bool:
    """value (a fraction) as a percentage at the precision ``written`` uses: 106.7 fits 1.06649."""
    quoted = _dec(written)
    places = Decimal(1).scaleb(quoted.as_tuple().exponent)
    return (value * HUNDRED).quantize(places, rounding="ROUND_HALF_UP") == quoted


def _pct(value: Decimal) -> str:
    return f"{(value * HUNDRED).quantize(Decimal('0.01'), rounding='ROUND_HALF_UP')}%"


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding='ROUND_HALF_UP'):,}万元"


_ORDINAL_KINDS = ((re.compile(r"^\s*[一二三四五六七八九十]+[、.．]"), "一、"), (re.compile(r"^\s*[（(][一二三四五六七八九十]+[）)]"), "（一）"),
                  (re.compile(r"^\s*\d+[.．、]"), "1."), (re.compile(r"^\s*\d+[)）]"), "1）"),
                  (re.compile(r"^\s*[（(]\d+[）)]"), "（1）"), (re.compile(r"^\s*[①-⑳]"), "①"))


def ordinal_kind(text: str) -> str:
    """How a paragraph is numbered (1. or （1） or ①…), "" when it is not."""
    return next((kind for pattern, kind in _ORDINAL_KINDS if pattern.match(text)), "")


@dataclass
class Statement:
    """“X指标分值3分，实际得分2.60分，得分率86.67%” in a paragraph."""
    name: str
    weight: Decimal | None    # None: a numbered heading without figures
    score: Decimal | None
    rate: str | None
    para: Para
    kind: str        # the paragraph's ordinal kind: where the statement sits in the text's own hierarchy


def statements(paragraphs: list[Para]) -> list[Statement]:
    """Every statement, in order, each with the numbering it sits under (its own, else its heading's); a
    numbered heading with no figures is kept as a placeholder, so what is listed under it is not taken
    for the children of the statement before it."""
    from .outline_check import _looks_like_heading

    out = []
    context = ""
    for p in paragraphs:
        if not _STATEMENT.search(p.text):
            if _looks_like_heading(p.text):
                context = ordinal_kind(p.text)
                out.append(Statement(p.text, None, None, None, p, context))  # type: ignore[arg-type]
            continue
        for m in _STATEMENT.finditer(p.text):
            name = _ORDINAL_START.sub("", m.group("name")).strip()
            if not name:
                under = _SET_UNDER.match(_ORDINAL_START.sub("", p.text[:m.start()]))
                name = under.group("name") if under else ""
            name = re.sub(r"^(?:其中|从评价得分情况看)", "", name)
            first = m.start() == next(_STATEMENT.finditer(p.text)).start()
            out.append(Statement(name, _dec(m.group(2)), _dec(m.group(3)), m.group(4), p,
                                 (ordinal_kind(p.text) or context) if first else "·"))
    return out


class Reviewer:
    """The findings of one received document."""

    def __init__(self, received: Received):
        self.doc = received
        self.problems: list[Problem] = []
        self.score: Decimal | None = None
        self.grade: str = ""
        self._seen_rates: list = []  # every rate stated, for the check across the document

    def at(self, para: Para, message: str, **kw: Any) -> None:
        self.problems.append(Problem(message=message, file=self.doc.file, where=self.doc.place(para),
                                     line=para.no * 10_000, **kw))

    # the indicator tables
    def tables(self) -> list[IndicatorTable]:
        from . import checks
        from .view import Figure

        found = []
        for t in self.doc.tables:
            ind = read_indicators(t, self.doc.file, self._order(t))
            if ind is None:
                continue
            if t.layout and not self._read_as_laid_out(t, ind):
                continue
            found.append(ind)
            self.problems += ind.blanks
            src = _Places(self.doc.file, ind.roots, ind.total_places, t.place(0), t.no * 10_000)
            total_weight = Figure(sum(n.total_weight.value if n.weight is None else n.weight.value for n in ind.roots),
                                  "weight")
            total_score = Figure(sum(n.total_score.value if n.score is None else n.score.value for n in ind.roots),
                                 "points")
            r = SimpleNamespace(settings=settings(), indicators=ind.roots, scored=True, total_weight=total_weight,
                                total_score=total_score, execution_part=None, stated_total_score=ind.stated_score,
                                stated_grade=None, grade=grade_of(total_score.value))
            # tree.uneven is a hint for data entry; a received table's layout is not ours to judge
            self.problems += [x for x in checks.tree_rules(None, r, src) if x.rule != "tree.uneven"]
            if ind.stated_weight is not None and checks._differs(ind.stated_weight, total_weight, Decimal("0.01")):
                self.problems.append(checks._mismatch(
                    _OnePlace(self.doc.file, ind.total_places.get("weight", "")), (), "合计·分值", "tree.weight_sum",
                    ind.stated_weight, total_weight, "各一级指标分值合计"))
            self.problems += list(checks.total_rules(None, r, src))
            if self.score is None:
                self.score = (ind.stated_score or total_score).value
        return found

    def _read_as_laid_out(self, t: TableRead, ind: IndicatorTable) -> bool:
        """A PDF table whose leaves do not reach its own 合计 (or, without one, 100 分值) was not read as it is
        laid out — or is wrong; it cannot be told which, so it is said once instead of judged row by row."""
        leaves = [n for n in _all(ind.roots) if n.is_leaf]
        if ind.stated_score is not None:
            stated, read, what = ind.stated_score.value, sum((n.score.value for n in leaves if n.score), Decimal(0)), "得分"
        else:
            stated, read, what = Decimal(100), sum((n.weight.value for n in leaves if n.weight), Decimal(0)), "分值"
        if abs(stated - read) <= Decimal("0.01"):
            return True
        self.problems.append(Problem(
            f"表{t.no}的版式未能可靠读出：读出的末级指标{what}合计 {read} 与{'表中合计' if what == '得分' else '满分'} {stated} "
            "不符，未逐项核对此表（请对照 Word 原件或人工核对）", file=self.doc.file, where=t.place(0), title=f"表{t.no}",
            rule="review.layout", severity=WARNING, stated=str(stated), computed=str(read), line=t.no * 10_000))
        if self.score is None and ind.stated_score is not None:
            self.score = ind.stated_score.value
        return False

    def _order(self, table: TableRead) -> int:
        return table.no

    # the figures in the text
    def narrative(self, tables: list[IndicatorTable]) -> None:
        from .view import Figure

        named = {_plain(n.name): n for ind in tables for n in _all(ind.roots)}
        found = statements(self.doc.paragraphs)
        for st in found:
            if st.weight is None:
                continue
            if st.score > st.weight:
                self.at(st.para, f"「{st.name}」得分 {st.score} 超过分值 {st.weight}", title=f"文字中的指标「{st.name}」·得分",
                        rule="tree.score_range", stated=str(st.score), computed=str(st.weight))
            if st.rate is not None and st.weight and not _fits(st.score / st.weight, st.rate):
                self.at(st.para, f"「{st.name}」得分率 {st.rate}% 与按得分÷分值（{st.score}÷{st.weight}）计算的 "
                                 f"{_pct(st.score / st.weight)} 不符", title=f"文字中的指标「{st.name}」·得分率",
                        rule="review.score_rate", stated=f"{st.rate}%", computed=_pct(st.score / st.weight))
            node = named.get(_plain(st.name))
            if node is not None:
                for key, said, what in (("total_weight", st.weight, "分值"), ("total_score", st.score, "得分")):
                    table_value = (getattr(node, key[6:]) or getattr(node, key)).value
                    if abs(table_value - said) > Decimal("0.01"):
                        self.at(st.para, f"文字中「{st.name}」{what} {said} 与评分表（{node.places.get('')}）的 "
                                         f"{Figure(table_value, 'points').number} 不符",
                                title=f"文字中的指标「{st.name}」·{what}", rule="narrative.subtotal",
                                stated=str(said), computed=Figure(table_value, "points").number)
        self._children_sums(found)
        self._total_and_grade(tables)
        for p in self.doc.paragraphs:
            for sentence in _SENTENCE.finditer(p.text):
                self._rates(p, sentence.group(0), sentence.start())
                self._changes(p, sentence.group(0))
                self._shares(p, sentence.group(0))
        self._rate_twice()

    def _children_sums(self, found: list[Statement]) -> None:
        """A statement and the numbered ones listed under it: the parent and its children."""
        for parent, run in _parents(found):
            for key, what in (("weight", "分值"), ("score", "得分")):
                stated = getattr(parent, key)
                total = sum(getattr(c, key) for c in run)
                if abs(stated - total) > Decimal("0.01"):
                    names = "、".join(c.name for c in run)
                    self.at(parent.para, f"「{parent.name}」{what} {stated} 与其下所列 {len(run)} 个指标（{names}）"
                                         f"{what}合计 {total} 不符（相差 {abs(stated - total)}）",
                            title=f"文字中的指标「{parent.name}」·{what}",
                            rule="tree.weight_sum" if key == "weight" else "tree.score_sum",
                            stated=str(stated), computed=str(total))

    def _total_and_grade(self, tables: list[IndicatorTable]) -> None:
        computed = None
        if tables:
            t = tables[0]
            computed = t.stated_score.value if t.stated_score is not None else sum(n.total_score.value for n in t.roots)
        for p in self.doc.paragraphs:
            for sentence in _SENTENCE.finditer(p.text):
                s = sentence.group(0)
                g = _GRADE.search(s)
                totals = [m for m in _TOTAL.finditer(s) if m.group(1) != "得分" or g]
                if _STATEMENT.search(s) or not totals:
                    if g and not totals:
                        self.grade = self.grade or _GRADE_WORD.get(g.group(1), g.group(1))
                    continue
                stated = _dec(totals[0].group(2))
                if stated > HUNDRED:
                    continue
                if self.score is None:
                    self.score = stated
                if computed is not None and abs(stated - computed) > Decimal("0.01"):
                    self.at(p, f"文字中写的「{totals[0].group(0)}」与评分表的总得分 {computed} 分不符",
                            title="文字中的总得分", rule="narrative.total", stated=str(stated), computed=str(computed))
                if g:
                    grade = _GRADE_WORD.get(g.group(1), g.group(1))
                    self.grade = self.grade or grade
                    expected = grade_of(stated)
                    if grade != expected:
                        self.at(p, f"所填等级“{grade}”与总分 {stated} 对应的等级“{expected}”不符（优≥90、良≥80、中≥60）",
                                title="文字中的评价等级", rule="total.grade", stated=grade, computed=expected)

    def _rates(self, p: Para, s: str, offset: int) -> None:
        """A rate with its parts in the text: on the base it writes out (“（全年执行数÷实际到位数）”), else on
        some two amounts of its sentence; none fitting is a finding that names the figures."""
        in_para = _amounts(p.text)
        for m in _RATE.finditer(s):
            rate, name = m.group(2), m.group("name")
            explicit = _BASE.match(s[m.end():])
            fits = ""
            if explicit:
                part, whole = _by_label(in_para, explicit.group(1)), _by_label(in_para, explicit.group(2))
                if part is None or not whole or not whole[1]:
                    self._seen_rates.append((name, rate, p, explicit.group(0)))
                    continue
                fitting = [(part, whole)] if _fits(part[1] / whole[1], rate) else []
                expected = (part, whole)
            else:
                amounts = [a for a in in_para if offset <= a[0] < offset + m.start()]
                if len(amounts) < 2:
                    self._seen_rates.append((name, rate, p, ""))
                    continue
                fitting = [(x, y) for x, y in itertools.permutations(amounts, 2) if y[1] and _fits(x[1] / y[1], rate)]
                whole = next((a for a in amounts if "全年预算" in a[2] or "调整" in a[2]), amounts[0])
                expected = (amounts[-1] if amounts[-1] is not whole else amounts[-2], whole)
            if fitting:
                fits = f"{_label(fitting[0][0])}÷{_label(fitting[0][1])}"
                self._seen_rates.append((name, rate, p, fits))
                continue
            part, whole = expected
            value = part[1] / whole[1]
            self._seen_rates.append((name, rate, p, ""))
            self.at(p, f"「{m.group(0)}」与按{_label(part)}÷{_label(whole)}（{_money(part[1])}÷{_money(whole[1])}）"
                       f"计算的 {_pct(value)} 不符", title=f"文字中的{name}", rule="narrative.rate",
                    stated=f"{rate}%", computed=_pct(value))

    def _rate_twice(self) -> None:
        """The same 预算执行率 stated with two values: say where, and which base each fits."""
        seen = [(v, p, base) for name, v, p, base in self._seen_rates
                if name.endswith("预算执行率") and not name.startswith(("项目", "采购"))]
        values = {_dec(v) for v, _, _ in seen}
        if len(values) > 1:
            first_v, first_p, first_base = seen[0]
            for v, p, base in seen[1:]:
                if _dec(v) != _dec(first_v):
                    bases = (f"（此处{'按' + base if base else '未写明基数'}，"
                             f"{self.doc.place(first_p)}{'按' + first_base if first_base else '未写明基数'}）")
                    self.at(p, f"预算执行率写作 {v}%，而{self.doc.place(first_p)}写作 {first_v}%：同一执行率出现两个数字"
                               f"{bases}，请统一基数并写明",
                            title="文字中的预算执行率", rule="review.rate_twice", stated=f"{v}%", computed=f"{first_v}%")

    def _changes(self, p: Para, s: str) -> None:
        for m in _CHANGE.finditer(s):
            now, before = _wan(m.group(1), m.group(2)), _wan(m.group(4), m.group(5))
            word, written = m.group(6), m.group(7)
            if not before:
                continue
            falls = word in ("下降", "减少", "降低")
            if (now < before) != falls and now != before:
                self.at(p, f"「{m.group(0)}」：本年 {_money(now)}{'高于' if now > before else '低于'}上年 {_money(before)}，"
                           f"应为{'增长' if now > before else '下降'}", title="文字中的增减", rule="review.change",
                        stated=word, computed="增长" if now > before else "下降")
                continue
            right = abs(now - before) / before
            if _fits(right, written):
                continue
            wrong = abs(now - before) / now if now else None
            hint = ("（所填数是以本年数为基数算的，增减率应以比较的数为基数）" if wrong and _fits(wrong, written)
                    else "（所填数是两数之比，不是增减率）" if _fits(now / before, written) else "")
            base = "上年数" if re.match(r"上|去|\d", m.group(3)) else "比较的数"
            self.at(p, f"「{m.group(0)}」与按增减额÷{base}（{_money(abs(now - before))}÷{_money(before)}）计算的 "
                       f"{_pct(right)} 不符{hint}", title="文字中的增减率", rule="review.change",
                    stated=f"{written}%", computed=_pct(right))

    def _shares(self, p: Para, s: str) -> None:
        for m in _SHARE.finditer(s):
            part, whole = _wan(m.group(1), m.group(2)), _wan(m.group(3), m.group(4))
            if whole and not _fits(part / whole, m.group(5)):
                self.at(p, f"「{m.group(0)}」与按部分÷总额（{_money(part)}÷{_money(whole)}）计算的 {_pct(part / whole)} 不符",
                        title="文字中的占比", rule="review.share", stated=f"{m.group(5)}%", computed=_pct(part / whole))


_BASE = re.compile(r"^\s*[（(]\s*([\u4e00-\u9fa5]{2,12})\s*[÷/]\s*([\u4e00-\u9fa5]{2,12})\s*[）)]")


def _amounts(text: str) -> list[tuple[int, Decimal, str]]:
    """(where, 万元, the words before it) for each amount in a text."""
    return [(a.start(), _wan(a.group(1), a.group(2)), text[max(0, a.start() - 10):a.start()])
            for a in _AMOUNT.finditer(text)]


def _by_label(amounts: list[tuple[int, Decimal, str]], term: str) -> tuple | None:
    """The amount a base's word names: 实际到位数 -> “实际到位128.00万元”."""
    term = term.rstrip("数额")
    for a in amounts:
        words = re.findall(r"[\u4e00-\u9fa5]+", a[2])
        label = (words[-1] if words else "").rstrip("数额为达")
        if len(label) >= 2 and (label.endswith(term) or term.endswith(label)):
            return a
    return None


def _label(amount: tuple) -> str:
    words = re.findall(r"[\u4e00-\u9fa5]+", amount[2])
    return (words[-1] if words else "") or "金额"


def _parents(found: list[Statement]) -> Iterator[tuple[Statement, list[Statement]]]:
    """Each statement with the numbered statements under it: “1.” under an unnumbered one, “（1）” under “1.”.

    Depth comes from the order in which the kinds of numbering first appear below a statement."""
    children: dict[int, list[Statement]] = {}
    stack: list[Statement] = []
    for st in found:
        if st.kind in ("", "·"):
            stack = [st] if st.kind == "" else stack
            continue
        kinds = [x.kind for x in stack]
        if st.kind in kinds:
            del stack[kinds.index(st.kind):]
        if stack:
            children.setdefault(id(stack[-1]), []).append(st)
        stack.append(st)
    for st in found:
        run = children.get(id(st), [])
        if len(run) >= 2 and st.weight is not None and all(c.weight is not None for c in run):
            yield st, run


class _OnePlace:
    def __init__(self, file: str, where: str):
        self.file, self.where = file, where

    def problem(self, path: tuple, message: str, **kw: Any) -> Problem:
        return Problem(message=message, file=self.file, where=self.where, line=10**9, **kw)


# --- one file -----------------------------------------------------------------------------------

@dataclass
class Review(Counted):
    file: str
    kind: str = ""
    score: Decimal | None = None
    grade: str = ""
    problems: list[Problem] = field(default_factory=list)
    note: str = ""          # how the kind was chosen, or why the file could not be read


    def summary(self) -> dict:
        return {"file": self.file, "kind": self.kind, "score": None if self.score is None else str(self.score),  # str: exact in JSON
                "grade": self.grade, "errors": self.errors, "warnings": self.warnings, "note": self.note}

    @property
    def kind_title(self) -> str:
        from .kinds import KIND_TITLES
        return KIND_TITLES.get(self.kind, self.kind) or "类型未知"

    def line(self) -> str:
        """部门整体支出绩效自评报告，总分 94.50，等级 优，0 个错误，2 个警告"""
        parts = [self.kind_title]
        if self.score is not None:
            parts.append(f"总分 {self.score}")
        if self.grade:
            parts.append(f"等级 {self.grade}")
        parts.append(f"{self.errors} 个错误，{self.warnings} 个警告")
        return "，".join(parts)

    @classmethod
    def from_outcome(cls, outcome: Any) -> "Review":
        """A file's review as the batch runner hands it back from a worker."""
        s = outcome.summary
        problems = outcome.problems or ([Problem(message=outcome.message, file=outcome.source, rule="review.unreadable")]
                                        if outcome.message else [])
        score = Decimal(s["score"]) if s.get("score") is not None else None
        return cls(outcome.source, s.get("kind", ""), score, s.get("grade", ""), problems, s.get("note", ""))


def review_file(path: Path, outlines: dict, kind: str | None = None, custom: Any = None) -> Review:
    """Everything a reviewer checks in one received file; what cannot be read is its one finding."""
    try:
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            return _review_workbook(path)
        return _review_document(path, outlines, kind, custom)
    except UserError as exc:
        return Review(str(path), problems=[Problem(message=exc.message, file=str(path), rule="review.unreadable")]
                      + list(exc.problems), note=exc.message)


def _review_workbook(path: Path) -> Review:
    """A 自评表 (or our fill-in workbook): read as `check` reads it, with the same rules."""
    from . import api
    from .loading import load
    from .view import view

    try:
        report = load(path)
    except UserError as exc:
        return Review(str(path), problems=list(exc.problems) or [Problem(message=exc.message, file=str(path))],
                      note=exc.message)
    r = view(report)
    return Review(str(path), report.kind, r.total_score.value if r.scored else None, r.grade if r.scored else "",
                  api.validate(report))


def _review_document(path: Path, outlines: dict, kind: str | None, custom: Any) -> Review:
    from . import outline_check as oc

    doc = read_received(path)
    names = oc.all_names(list(outlines.values()))
    suffix = path.suffix.lower()
    if suffix in (".docx", ".doc"):
        title, headings = oc.docx_headings(doc, names)
    elif suffix == ".pdf":
        title, headings = oc.layout_headings(doc, names)
    else:
        title, headings = oc.read_text(path, names, markdown=suffix in (".md", ".markdown"))
    note = ""
    if custom is not None:
        outline, kind = custom, custom.kind
    else:
        if kind is None:
            kind, why = oc.guess_kind(title, headings, outlines)
            note = f"自动判断为 {kind}，依据：{why}"
        outline = outlines[kind]
    result = Review(str(path), kind, note=note)
    pages = {p.no: p for p in doc.paragraphs}
    for f in oc.check(outline, headings):
        para = pages.get(f.heading.position) if f.heading else None
        where = doc.place(para) if para is not None else (f.heading.where.replace(" ", "") if f.heading else "")
        result.problems.append(Problem(message=f.message, file=str(path), where=where, severity=f.severity,
                                       rule=f"outline.{f.kind}", title="大纲",
                                       line=(f.heading.position * 10_000) if f.heading else None))
    reviewer = Reviewer(doc)
    tables = reviewer.tables()
    reviewer.narrative(tables)
    result.problems += reviewer.problems
    result.problems.sort(key=lambda p: p.line or 0)
    result.score, result.grade = reviewer.score, reviewer.grade or (grade_of(reviewer.score) if reviewer.score is not None and tables else "")
    return result


# --- the summary workbook ----------------------------------------------------------------------

SUMMARY_HEADERS = ("文件", "报告类型", "总分", "等级", "错误", "警告", "说明")
FINDING_HEADERS = ("文件", "位置", "级别", "规则", "项目", "所填", "计算", "说明")


def summary_workbook(reviews: list[Review]) -> bytes:
    """One row per file, and one sheet of every finding; every cell text, as written (never a formula)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from .errors import SEVERITY_CN
    from .kinds import KIND_TITLES

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(SUMMARY_HEADERS)
    for r in reviews:
        ws.append([r.file, KIND_TITLES.get(r.kind, r.kind), r.score,
                   r.grade, r.errors, r.warnings, r.note])
        if r.score is not None:
            ws.cell(ws.max_row, 3).number_format = "0.00"
    fs = wb.create_sheet("问题清单")
    fs.append(FINDING_HEADERS)
    for r in reviews:
        for p in r.problems:
            fs.append([r.file, p.place, SEVERITY_CN.get(p.severity, p.severity), p.rule, p.title,
                       "" if p.stated is None else str(p.stated),
                       "" if p.computed is None else str(p.computed), p.message])
    for sheet, widths in ((ws, (40, 22, 10, 8, 8, 8, 50)), (fs, (36, 22, 8, 20, 28, 12, 12, 80))):
        for i, w in enumerate(widths):
            sheet.column_dimensions[chr(65 + i)].width = w
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in sheet.iter_rows(min_row=2):
            row[-1].alignment = Alignment(wrap_text=True, vertical="top")
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text: a name beginning with = is never a formula
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

