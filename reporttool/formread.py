"""An official 项目支出绩效自评表 (.xlsx) read back into project_self data.

Every part is found by its label — 项目名称, 年度资金总额, 预期目标, 一级指标, 总分 — using the titles the
form layouts (``templates/forms``) print, so the 财预〔2020〕10号 附1 form, the local form with 实际到位数 and
资金级次, the 一体化 export and reporttool's own ``annex -f xlsx`` all read, and a form with an extra row or
column still does. What the form cannot hold for the report (项目概况, the evaluation's narrative) is left
out, and the report marks it 【待补充】.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .errors import WARNING
from .fillin import Col, SheetSpec, _Reader, layout, squeeze
from .forms import FOOTER_ROWS, FUNDS_COLUMNS, HEADER_FIELDS, INDICATOR_COLUMNS, builtin, builtin_names
from .model import EXECUTION_BASES, FUND_SOURCES, FUNDING_LEVELS, MEASURES, PLACEHOLDERS, PROJECT_TERMS
from .xlsxread import Sheet, Workbook
from .yamlio import Source

FORM_TITLES = ("项目支出绩效自评表", "项目支出绩效评价表", "项目绩效自评表")
DRAFT = "项目支出绩效自评表"
TOTAL_LABELS = ("年度资金总额", "资金总额", "合计", "总计")
TICKS = "√✓✔☑■"
MAX_FUND_ROWS = 40  # a funds block is a dozen rows
_YEAR = re.compile(r"(20\d{2})\s*年度?")
# Other words real forms print for a column (besides each layout's own titles)
SYNONYMS = {"initial": ("年初预算",), "spent": ("预算执行数", "实际支出数", "执行数"), "rate": ("预算执行率",),
            "weight": ("权重",), "deviation": ("偏差原因", "偏差原因分析"), "target": ("指标值",),
            "actual": ("实际值", "全年实际值"), "budget": ("全年预算",), "adjusted": ("调整后预算",)}
FUND_KINDS = {"initial": "money", "adjusted": "money", "budget": "money", "received": "money", "spent": "money",
              "weight": "weight", "rate": "pct", "arrival_rate": "pct", "score": "points", "reason": "text"}


@lru_cache(maxsize=None)
def _labels() -> dict[str, dict[str, str]]:
    """label as printed (squeezed) -> key, for each part of the form, from every built-in layout."""
    heads = {squeeze(t): k for k, t in HEADER_FIELDS.items()}
    funds = {squeeze(t): k for k, t in FUNDS_COLUMNS.items()}
    inds = {squeeze(t): k for k, t in INDICATOR_COLUMNS.items()}
    foot = {squeeze(t): k for k, t in FOOTER_ROWS.items()}
    for name in builtin_names():
        form = builtin(name)
        for k, t in form.titles.items():
            (heads if k in HEADER_FIELDS else foot)[squeeze(t)] = k
        if form.funds:
            funds.update({squeeze(t): k for k, t in form.funds.titles.items()})
        inds.update({squeeze(t): k for k, t in form.indicators.titles.items()})
    for key, words in SYNONYMS.items():
        for w in words:
            (funds if key in FUNDS_COLUMNS else inds).setdefault(squeeze(w), key)
            if key in INDICATOR_COLUMNS:
                inds.setdefault(squeeze(w), key)
    foot.update({"评价等级": "grade", "合计": "total"})
    return {"header": heads, "funds": funds, "indicators": inds, "footer": foot}


def _find(sheet: Sheet, text: str, first: int = 1, last: int | None = None) -> tuple[int, int] | None:
    for row in sheet.filled_rows(first, last):
        for col in sheet.filled_cols(row):
            if squeeze(sheet.text(row, col)) == text:
                return row, col
    return None


def _form_sheet(book: Workbook) -> Sheet | None:
    for sheet in book.sheets:
        if not sheet.hidden and _find(sheet, "项目名称") and _find(sheet, "一级指标"):
            return sheet
    return None


def _next_value(sheet: Sheet, row: int, col: int) -> int:
    """The column of the value beside a label: the first filled cell right of the label's merged range
    (the cell just right of it when none is filled)."""
    first = sheet.span(row, col)[3] + 1
    return next((c for c in sheet.filled_cols(row) if c >= first and sheet.text(row, c).strip()), first)


class _FormReader(_Reader):
    def __init__(self, book: Workbook, sheet: Sheet):
        super().__init__(book)
        self.sheet = sheet
        self.src.draft = DRAFT
        self.labels = _labels()

    def field(self, key: str, kind: str, title: str) -> Col:
        return Col((key,), title, "", kind)

    def put_value(self, out: dict, path: tuple, row: int, col: int, kind: str, title: str, keep_marks: bool = False,
                  where: tuple | None = None) -> Any:
        """The cell's value at ``path`` of ``out`` (placeholders are blanks unless kept, as a target's are);
        ``where``: its path in the report, when ``out`` is a part of it."""
        where = where or path
        self.at(where, self.sheet, row, col)
        value = self.value(self.sheet, row, col, self.field(path[-1], kind, title), where)
        if isinstance(value, str) and value.strip() in PLACEHOLDERS and not keep_marks:
            return None
        if value is not None:
            here = out
            for part in path[:-1]:
                here = here.setdefault(part, {})
            here[path[-1]] = value
        return value

    def read(self) -> tuple[dict, Source]:
        s = self.sheet
        data: dict = {"kind": "project_self"}
        self.src.positions[()] = (1, 1, s.name)
        self.src.positions[("kind",)] = (1, 1, s.name)
        ind_head = _find(s, "一级指标")[0]
        self.year(data, ind_head)
        self.header(data, ind_head)
        goal_at = _find(s, "预期目标", 1, ind_head - 1)
        self.funds(data, goal_at[0] if goal_at else ind_head)
        if goal_at:
            self.goals(data, goal_at, ind_head)
        end = self.indicators(data, ind_head)
        self.footer(data, end)
        return data, self.src

    def year(self, data: dict, before: int) -> None:
        for row in self.sheet.filled_rows(1, before - 1):
            for col in self.sheet.filled_cols(row):
                text = self.sheet.text(row, col)
                m = _YEAR.search(text)
                if m and ("年度" in text or any(t in text for t in FORM_TITLES)):
                    data["year"] = int(m.group(1))
                    self.at(("year",), self.sheet, row, col)
                    self.base_from_title(data, text)
                    return
        self.src.errors.append(self.problem(self.sheet, 1, 1, "找不到评价年度：表头应有“（2024年度）”这样的年度",
                                            "评价年度", rule="form.year", path=("year",)))

    def base_from_title(self, data: dict, text: str) -> None:
        for base in EXECUTION_BASES:
            if f"÷{base}" in text.replace(" ", ""):
                data.setdefault("funds", {})["execution_base"] = base

    def header(self, data: dict, before: int) -> None:
        labels = self.labels["header"]
        for row in self.sheet.filled_rows(1, before - 1):
            for col in self.sheet.filled_cols(row):
                key = labels.get(squeeze(self.sheet.text(row, col)))
                if key is None:
                    continue
                value_col = _next_value(self.sheet, row, col)
                if key == "term":
                    self.term(data, row, value_col)
                else:
                    self.put_value(data, ("project", key), row, value_col, "text", HEADER_FIELDS[key])
                self.src.positions.setdefault(("project",), (row, value_col, self.sheet.name))

    def term(self, data: dict, row: int, col: int) -> None:
        text = self.sheet.text(row, col)
        ticked = [t for t in PROJECT_TERMS if re.search(re.escape(t) + rf"\s*[（(]?\s*[{TICKS}]|[{TICKS}]\s*{re.escape(t)}", text)]
        if not ticked and squeeze(text) in PROJECT_TERMS:
            ticked = [squeeze(text)]
        if len(ticked) == 1:
            data.setdefault("project", {})["term"] = ticked[0]
            self.at(("project", "term"), self.sheet, row, col)

    def funds(self, data: dict, before: int) -> None:
        s, labels = self.sheet, self.labels["funds"]
        head, columns = None, {}
        for row in s.filled_rows(1, before - 1):
            found = {labels[squeeze(s.text(row, c))]: c for c in s.filled_cols(row) if squeeze(s.text(row, c)) in labels}
            if len(found) >= 3:
                head, columns = row, found
                break
        funds = data.setdefault("funds", {})
        if head is None:
            return
        self.src.positions[("funds",)] = (head, 1, s.name)
        first = min(columns.values())
        lines, levels, total_row = [], [], None
        for row in range(head + 1, before):  # merged labels on rows of their own: the range of the block
            label = next((squeeze(s.text(row, c)) for c in reversed(s.filled_cols(row))
                          if c < first and squeeze(s.text(row, c))), "")
            if row - head > MAX_FUND_ROWS:
                break
            label = label.removeprefix("其中：").removeprefix("其中:").removeprefix("其中")
            if label in TOTAL_LABELS:
                total_row = row
            elif label in FUND_SOURCES:
                lines.append((row, {"source": label}))
            elif label.removesuffix("财政") in FUNDING_LEVELS:
                levels.append((row, {"level": label.removesuffix("财政")}))
        money = [k for k in ("initial", "adjusted", "budget", "received", "spent") if k in columns]
        for kind_key, rows in (("lines", lines), ("by_level", levels)):
            items = []
            for row, item in rows:
                path = ("funds", kind_key, len(items))
                self.at(path, s, row, first)
                for key in money:
                    target = "budget" if kind_key == "by_level" and key == "adjusted" else key
                    if kind_key == "by_level" and target not in ("initial", "received", "spent", "budget"):
                        continue
                    self.put_value(item, (target,), row, columns[key], "money", FUNDS_COLUMNS[key], where=path + (target,))
                if any(k in item for k in money):
                    self.fill_budget(item, path, columns)
                    items.append(item)
            if items:
                funds[kind_key] = items
        if total_row is not None:
            self.total(data, total_row, columns, money)

    def fill_budget(self, item: dict, path: tuple, columns: dict) -> None:
        """A form without 全年预算数 (the 一体化 export) gives 调整后预算数 — the full-year budget after adjustment —
        or, with no adjustment, the 年初预算数."""
        if "budget" in columns or "source" not in item:
            return
        if "adjusted" in item:
            item["budget"] = item["adjusted"]
        elif "initial" in item:
            item["budget"] = item["initial"]
            self.src.warnings.append(self.problem(
                self.sheet, *self.src.positions[path][:2], "表中没有全年预算数、调整后预算数未填，全年预算数按年初预算数读入",
                "全年预算数", severity=WARNING, rule="form.budget", path=path + ("budget",)))

    def total(self, data: dict, row: int, columns: dict, money: list[str]) -> None:
        s, funds = self.sheet, data["funds"]
        totals: dict = {}
        for key in money:
            self.put_value(totals, (key,), row, columns[key], "money", FUNDS_COLUMNS[key],
                           where=("funds", "stated_totals", key))
        for key, field, kind in (("rate", "stated_rate", "pct"), ("arrival_rate", "stated_arrival_rate", "pct"),
                                 ("score", "stated_score", "points"), ("weight", "weight", "weight"),
                                 ("reason", "reason", "text")):
            if key in columns:
                self.put_value(data, ("funds", field), row, columns[key], kind, FUNDS_COLUMNS[key])
        if not funds.get("lines") and totals:
            # only the 年度资金总额 row carries figures: read as one line of 当年财政拨款, and say so
            line = dict(totals)
            if "budget" not in columns:
                line["budget"] = line.get("adjusted", line.get("initial"))
            funds["lines"] = [{"source": FUND_SOURCES[0], **{k: v for k, v in line.items() if v is not None}}]
            self.src.positions[("funds", "lines", 0)] = (row, min(columns.values()), s.name)
            self.src.warnings.append(self.problem(
                s, row, min(columns.values()), f"自评表只填了年度资金总额，按“{FUND_SOURCES[0]}”一行读入", "资金来源",
                severity=WARNING, rule="form.sources", path=("funds", "lines", 0)))
        elif totals:
            funds["stated_totals"] = totals

    def goals(self, data: dict, at: tuple[int, int], before: int) -> None:
        s = self.sheet
        row, expected_col = at
        actual_at = _find(s, "实际完成情况", row, row)
        if actual_at is None:
            return
        goals = []
        for r in s.filled_rows(row + 1, before - 1):
            expected, actual = s.text(r, expected_col).strip(), s.text(r, actual_at[1]).strip()
            if not expected and not actual:
                continue
            path = ("goals", len(goals))
            goal: dict = {}
            self.at(path, s, r, expected_col)
            self.put_value(goal, ("expected",), r, expected_col, "text", "预期目标", True, path + ("expected",))
            self.put_value(goal, ("actual",), r, actual_at[1], "text", "实际完成情况", True, path + ("actual",))
            goals.append(goal)
        if goals:
            data["goals"] = goals
            self.src.positions[("goals",)] = (row, expected_col, s.name)

    def indicators(self, data: dict, head: int) -> int:
        s = self.sheet
        labels, footer = self.labels["indicators"], self.labels["footer"]
        spec = next(x for x in layout("project_self") if x.tree)
        by_key = {c.key[0]: c for c in spec.cols}
        levels, columns = [], {}
        for c in s.filled_cols(head):
            text = squeeze(s.text(head, c))
            if text in ("一级指标", "二级指标", "三级指标", "四级指标"):
                levels.append(c)
            elif text in labels:
                key = {"unit": "measure_unit"}.get(labels[text], labels[text])
                columns[by_key[key]] = c
        end = next((row for row in s.filled_rows(head + 1) if squeeze(s.text(row, 1)) in footer), s.max_row + 1)
        self.tree(s, SheetSpec(spec.name, ("indicators",), spec.cols, True, True, "绩效指标"), head, levels, columns,
                  data, last=end - 1)
        self.clean_tree(data.get("indicators", []), "indicators")
        return end

    def clean_tree(self, nodes: list, *path: Any) -> None:
        """Placeholders mean not filled; a leaf named 预算执行率 (or 资金到位率) scores that rate."""
        for node in nodes:
            for key in ("weight", "score", "deviation", "nature", "measure_unit", "code"):
                if isinstance(node.get(key), str) and node[key].strip() in PLACEHOLDERS:
                    node.pop(key)
            if not node.get("children") and node.get("name") in MEASURES:
                node.setdefault("measures", node["name"])
            self.clean_tree(node.get("children", []))

    def footer(self, data: dict, start: int) -> None:
        s, footer = self.sheet, self.labels["footer"]
        ind_head = _find(s, "一级指标")[0]
        score_col = next((c for c in s.filled_cols(ind_head) if squeeze(s.text(ind_head, c)) == "得分"), None)
        done = 0
        for row in s.filled_rows(start):
            if row <= done:
                continue  # inside the block of a row before (评价人员 and its people)
            key = footer.get(squeeze(s.text(row, 1)))
            value_col = _next_value(s, row, 1)
            if key == "total" and score_col:
                self.put_value(data, ("stated_total_score",), row, score_col, "points", "总分")
            elif key == "grade":
                self.grade(data, row, value_col)
            elif key == "problems":
                self.problems(data, row, value_col)
            elif key == "evaluators":
                done = self.evaluators(data, row) - 1

    def grade(self, data: dict, row: int, col: int) -> None:
        text = self.sheet.text(row, col).strip()
        m = re.search(rf"(\S+?)\s*[{TICKS}]", text) or re.search(rf"[{TICKS}]\s*(\S+?)(?:\s|$|□)", text)
        grade = m.group(1).strip("（()）") if m else (text if text and "□" not in text else None)
        if grade:
            data["stated_grade"] = grade
            self.at(("stated_grade",), self.sheet, row, col)

    def problems(self, data: dict, row: int, col: int) -> None:
        text = self.sheet.text(row, col).strip()
        if not text or text in PLACEHOLDERS:
            return
        parts = dict(re.findall(r"(问题|建议)[：:]\s*(.*?)(?=(?:问题|建议)[：:]|$)", text, re.S))
        if not parts:
            parts = {"问题": text}
        for key, word in (("problems", "问题"), ("suggestions", "建议")):
            items = [i.strip(" ；;。\n") for i in re.split(r"(?:^|[；;\n])\s*\d+[.、．]\s*", parts.get(word, "")) if i.strip(" ；;。\n")]
            if items:
                data[key] = [{"title": t} for t in items]
                for i in range(len(items)):
                    self.at((key, i), self.sheet, row, col)
        if len(data.get("problems", ())) == len(data.get("suggestions", ())):
            for n, suggestion in enumerate(data.get("suggestions", ()), 1):
                suggestion["answers"] = [n]  # 建议 n answers 问题 n, as the form numbers them

    def evaluators(self, data: dict, row: int) -> int:
        s = self.sheet
        titles = {squeeze(s.text(row, c)): c for c in s.filled_cols(row) if c > 1}
        name_col = titles.get("姓名")
        position_col = titles.get("职务/职称") or titles.get("职务") or titles.get("职称")
        unit_col = titles.get("单位")
        last = s.span(row, 1)[2]
        people = []
        for r in s.filled_rows(row + 1, last):
            name = s.text(r, name_col).strip() if name_col else ""
            if not name:
                continue
            person = {"name": name}
            path = ("evaluators", len(people))
            self.at(path, s, r, name_col)
            for key, c in (("position", position_col), ("unit", unit_col)):
                if c and s.text(r, c).strip():
                    person[key] = s.text(r, c).strip()
            people.append(person)
        if people:
            data["evaluators"] = people
        return last + 1


def read_form(book: Workbook) -> tuple[dict, Source] | None:
    """The form's data and where each field sits, or None when no sheet looks like a 自评表."""
    sheet = _form_sheet(book)
    if sheet is None:
        return None
    return _FormReader(book, sheet).read()

