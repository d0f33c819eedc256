"""Outlines are data: one file per report kind lists the sections, their nesting and which are required.

Ordinals come from position among the sections present, so leaving out an optional section
renumbers the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, NamedTuple, Optional

from pydantic import Field, model_validator

from .errors import ERROR, WARNING, InputError, Problem, in_file_order
from .loading import field_title, source_of, validated
from .model import REPORT_KINDS, Model, ReportBase
from .view import SPECS, ListOf, report_view_class, view
from .yamlio import load_file


# Empty lists as default=[] (pydantic copies them for each object): default_factory=list has pydantic read
# the builtin's signature, which compiles Python's tokenizer (a twentieth of a command's start).
class Block(Model):
    text: Optional[str] = Field(None, title="文字块", description="sections.j2 中生成段落的宏名")
    table: Optional[str] = Field(None, title="表格", description="表格名称")

    @model_validator(mode="after")
    def _one(self) -> "Block":
        if (self.text is None) == (self.table is None):
            raise ValueError("每个内容块须且只能填写 text 或 table 之一")
        return self


class Section(Model):
    id: str = Field(title="章节标识", description="唯一的英文标识")
    title: str = Field(title="章节标题", description="不含序号的标题，序号按位置自动生成")
    synonyms: list[str] = Field(default=[], title="同义标题", description="检查他人报告时视为同一章节的标题")
    required: bool = Field(True, title="必备章节", description="缺少所需数据时报错（true）或省略本章节（false）")
    required_if: Optional[str] = Field(None, title="必备条件", description="数据路径：只有该数据存在时本章节才必备（如 scored：有评分表的报告）；检查他人报告时仍视为必备")
    numbered: bool = Field(True, title="编号", description="是否生成序号（如“摘要”不编号）")
    when: Optional[str] = Field(None, title="所需数据", description="章节所依赖的数据路径，如 procurement；为空或未填写即视为缺少")
    body: list[Block] = Field(default=[], title="正文", description="依次生成的段落和表格")
    each: Optional[str] = Field(None, title="逐项生成", description="列表数据路径：每一项生成一个下级章节")
    item_title: str = Field("title", title="下级标题字段", description="逐项生成时用作标题的字段")
    item_body: Optional[str] = Field(None, title="下级正文宏", description="逐项生成时每项正文的宏名")
    children: list["Section"] = Field(default=[], title="下级章节", description="固定的下级章节")


MAX_DEPTH = 5  # 一、 （一） 1. （1） ①


class Outline(Model):
    kind: str = Field(title="报告类型", description="dept_self、project_self、key_eval")
    name: str = Field(title="报告类型名称", description="如 部门整体支出绩效自评报告")
    sections: list[Section] = Field(title="章节", description="一级章节列表", min_length=1)
    annexes: list[str] = Field(default=[], title="附件", description="正文之后依次附上的附件表格（无数据的自动省略）")
    toc: bool = Field(False, title="目录", description="报告未填 settings.toc 时是否在标题之后列出目录（长报告宜列）")

    def walk(self, sections: list[Section] | None = None) -> Iterator[Section]:
        for s in self.sections if sections is None else sections:
            yield s
            yield from self.walk(s.children)


class Listed(NamedTuple):
    """One line of an outline as `outline show` and the web page list it."""
    level: int
    number: str   # its ordinal when every section is present, "" when unnumbered
    title: str
    notes: tuple[str, ...]  # 可选, 有 X 时必备, 逐项, 同义


def listing(outline: Outline) -> list[Listed]:
    """The sections in order with the ordinals they get when every one of them has its data."""
    from .filters import ordinal

    out: list[Listed] = []

    def walk(sections: list[Section], level: int) -> None:
        position = 0
        for s in sections:
            number = ""
            if s.numbered:
                position += 1
                number = ordinal(position, level)
            notes = tuple(n for n in ("可选" if not s.required else "",
                                      _when_present(_named(outline.kind, s.required_if)) if s.required_if else "",
                                      f"逐项：{_named(outline.kind, s.each)}" if s.each else "",
                                      f"同义：{'、'.join(s.synonyms)}" if s.synonyms else "") if n)
            out.append(Listed(level, number, s.title, notes))
            walk(s.children, level + 1)

    walk(outline.sections, 1)
    return out


def _when_present(named: str) -> str:
    return f"{named if named.startswith('有') else '有' + named}时必备"


def _named(kind: str, dotted: str) -> str:
    """A data path as a reader knows it, with the path the outline file uses: 评分表（scored）."""
    if kind not in REPORT_KINDS:
        return dotted
    current: Any = report_view_class(kind)
    title = dotted
    for part in dotted.split("."):
        fields = SPECS.get(current) if isinstance(current, type) else None
        if not fields or part not in fields:
            return dotted
        title, current = fields[part].title, fields[part].spec
    return f"{title}（{dotted}）"


def _structure_problems(data: dict, src) -> list[Problem]:
    """Duplicate section ids (with both lines) and nesting deeper than the ordinal styles allow."""
    problems: list[Problem] = []
    first: dict[str, tuple] = {}

    def walk(sections: Any, path: tuple, depth: int) -> None:
        if not isinstance(sections, list):
            return
        for i, s in enumerate(sections):
            if not isinstance(s, dict):
                continue
            here = path + (i,)
            if depth > MAX_DEPTH:
                problems.append(src.problem(here, f"章节最多 {MAX_DEPTH} 层（一、（一）1.（1）①），此处是第 {depth} 层",
                                            title="章节", rule="outline.depth"))
            sid = s.get("id")
            if isinstance(sid, str):
                if sid in first:
                    line = src.locate(first[sid] + ("id",))[0]
                    problems.append(src.problem(here + ("id",), f"章节标识 {sid!r} 重复（第 {line} 行已使用）",
                                                title="章节标识", rule="outline.duplicate_id"))
                else:
                    first[sid] = here
            walk(s.get("children"), here + ("children",), depth + 1)

    walk(data.get("sections"), ("sections",), 1)
    return problems


def _spec_of(root: type, dotted: str) -> tuple[Any, str | None]:
    """The type a data path leads to in the report's view, or why it leads nowhere."""
    current: Any = root
    for part in dotted.split("."):
        fields = SPECS.get(current) if isinstance(current, type) else None
        if fields is None:
            return None, f"{dotted} 中的 {part} 之前已不是数据块"
        if part not in fields:
            return None, f"数据中没有 {part}（可用：{'、'.join(fields)}）"
        current = fields[part].spec
    return current, None


def _path_problems(outline: Outline, src) -> list[Problem]:
    """Data paths (when, each, item_title) that the report's view does not have, located in the file."""
    if outline.kind not in REPORT_KINDS:
        known = "、".join(REPORT_KINDS)
        return [src.problem(("kind",), f"未知的报告类型 {outline.kind}，可选：{known}", title="报告类型", rule="outline.kind")]
    root = report_view_class(outline.kind)
    problems: list[Problem] = []

    def check(sections: list[Section], path: tuple) -> None:
        for i, s in enumerate(sections):
            here = path + (i,)
            where = f"章节「{s.title}」"
            for key, value, title in (("when", s.when, "所需数据"), ("required_if", s.required_if, "必备条件")):
                if value is not None:
                    _, why = _spec_of(root, value)
                    if why:
                        problems.append(src.problem(here + (key,), f"{where}的{title} {value} 无效：{why}",
                                                    title=title, rule="outline.path"))
            if s.each is not None:
                spec, why = _spec_of(root, s.each)
                if why is None and not (isinstance(spec, ListOf) and spec.item in SPECS):
                    why = "它不是由多项组成的列表"
                if why:
                    problems.append(src.problem(here + ("each",), f"{where}的逐项生成 {s.each} 无效：{why}",
                                                title="逐项生成", rule="outline.path"))
                elif SPECS[spec.item].get(s.item_title, None) is None or SPECS[spec.item][s.item_title].spec is not str:
                    texts = "、".join(n for n, d in SPECS[spec.item].items() if d.spec is str)
                    problems.append(src.problem(here + ("item_title",), f"{where}的下级标题字段 {s.item_title} 无效："
                                                f"应为每一项中的文字字段（可用：{texts}）", title="下级标题字段", rule="outline.path"))
            check(s.children, here + ("children",))

    check(outline.sections, ("sections",))
    return problems


def load_outline(path: str | Path) -> Outline:
    """Read and validate an outline file; every problem at once, located.

    Data paths are checked against the view of the outline's report kind here, so nothing but the
    view's declared fields can ever be looked up.
    """
    data, src = load_file(path)
    outline, problems = validated(Outline, data, src)
    problems += _structure_problems(data, src)
    if outline is not None:
        problems += _path_problems(outline, src)
    if problems:
        raise InputError(f"大纲文件 {path} 有误", in_file_order(problems))
    return outline


def data_title(kind: str, dotted: str) -> str:
    """How the report names a data path: 评价思路和过程·评价对象及范围."""
    current: Any = report_view_class(kind)
    titles = []
    for part in dotted.split("."):
        field = SPECS.get(current, {}).get(part)
        if field is None:
            break
        titles.append(field.title)
        current = field.spec.item if isinstance(field.spec, ListOf) else field.spec
    return "·".join(titles) or dotted


def resolve(r: Any, dotted: str) -> Any:
    """A data path's value in a report view: declared fields only, whoever built the outline."""
    value = r
    for part in dotted.split("."):
        if part not in SPECS.get(type(value), ()):
            return None
        value = getattr(value, part)
    return value


def _has_data(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, tuple, dict)):
        return len(value) > 0 if not isinstance(value, str) else bool(value.strip())
    return True


def required(section: Section, r: Any) -> bool:
    """Whether this report must have the section (required_if: only when its data exists)."""
    return section.required and (section.required_if is None or _has_data(resolve(r, section.required_if)))


def present(section: Section, r: Any) -> bool:
    if section.when is not None and not _has_data(resolve(r, section.when)):
        return False
    if section.each is not None and not _has_data(resolve(r, section.each)):
        return False
    if section.children and not section.body and section.each is None:
        return any(present(c, r) for c in section.children)
    return True


def outline_problems(outline: Outline, report: ReportBase) -> list[Problem]:
    """Required sections whose data is missing."""
    src, r = source_of(report), view(report)
    problems: list[Problem] = []
    for s, name in _missing(outline.sections, "", r):
        need = s.when or s.each or ""
        path = tuple(need.split(".")) if need else ()
        title = field_title(type(report), path) if path else s.title
        fill = need or "其下级章节的数据"
        problems.append(src.problem(
            path, f"{src.draft}中没有报告必备章节「{name}」所需的内容，报告中标为【待补充】；请补写 {fill}"
            if src.draft else f"缺少必备章节「{name}」所需的数据，请填写 {fill}",
            title=title, rule="outline.required", severity=WARNING if src.draft else ERROR))
    return problems


def _missing(sections: list[Section], trail: str, r: Any) -> Iterator[tuple[Section, str]]:
    """Required sections without their data, with their names from the top (a function of its own, not a
    closure that calls itself: that is a reference cycle holding the report until the cyclic collector runs)."""
    for s in sections:
        name = f"{trail}／{s.title}" if trail else s.title
        if not present(s, r):
            if required(s, r):
                yield s, name
            continue
        yield from _missing(s.children, name, r)
