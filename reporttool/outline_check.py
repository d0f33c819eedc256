"""Check any report — ours or written by hand in Word — against an outline.

Headings are found by style where the document has heading styles (Word's Heading N, Markdown's
#), otherwise by pattern: a short paragraph that starts with an ordinal (一、 （一） (一) 1. 1、
（1） ①), a lone 、 whose number was lost, a bold-only short paragraph, or a short line that is
exactly a section title. Headings are matched to the outline by meaning (title and synonyms), then
checked for missing and out-of-order sections, ordinals, levels, duplicates and unknown sections.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from .errors import ERROR, WARNING, UserError
from .filters import ordinal
from .model import KIND_TITLES
from .outline import Outline, Section

if TYPE_CHECKING:
    from .received import Received

_CN = "零一二三四五六七八九十百"
ORDINALS = [
    (1, re.compile(rf"^([{_CN}]+)、")),
    (2, re.compile(rf"^[（(]([{_CN}]+)[）)]")),
    (3, re.compile(r"^(\d+)[.．、](?![\d.．])")),
    (4, re.compile(r"^[（(](\d+)[）)]")),
    (5, re.compile(r"^([①-⑳])")),
]
_BROKEN = re.compile(r"^[、.．]")
_LEADERS = ".．…·"


def _is_toc_line(text: str) -> bool:
    """A table-of-contents line: leader dots (or a tab) then a page number. Linear, whatever the line."""
    t = text.rstrip()
    body = t.rstrip("0123456789")
    if body == t:
        return False
    return body.rstrip(" \u3000").endswith("\t") or len(body.rstrip()) - len(body.rstrip().rstrip(_LEADERS)) >= 2
_SENTENCE_END = "。；;！？!?"
MAX_HEADING = 60  # a real level-1 heading ran to 58 characters
_PUNCT = re.compile(r"[\s、，,：:；;。（）()“”\"'《》〈〉【】\[\]·.．\-—_/]+")


@dataclass
class Heading:
    """A heading found in a document."""

    position: int  # paragraph number (docx) or line number (md, txt)
    text: str
    number: str  # the ordinal as written, "" if none
    title: str
    level: int | None
    unit: str = "段"  # 段 for paragraphs, 行 for lines

    @property
    def where(self) -> str:
        return f"第 {self.position} {self.unit}"


@dataclass
class Finding:
    kind: str  # missing, order, ordinal, level, duplicate, unknown
    severity: str
    message: str
    heading: Heading | None = None

    @property
    def where(self) -> str:
        return self.heading.where if self.heading else "—"

    def as_dict(self) -> dict:
        h = self.heading
        return {"type": self.kind, "severity": self.severity, "message": self.message,
                "position": h.position if h else None, "unit": h.unit if h else None, "heading": h.text if h else None}


@dataclass
class Result:
    file: str
    kind: str
    title: str
    headings: list[Heading]
    findings: list[Finding] = field(default_factory=list)
    guessed: str = ""

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == WARNING for f in self.findings)


# --- reading ----------------------------------------------------------------------------

def split_ordinal(text: str) -> tuple[str, int | None, str]:
    """'（三）评价依据' -> ('（三）', 2, '评价依据'); a lost number '、主要经验' -> ('、', None, '主要经验')."""
    text = text.strip()
    for level, pattern in ORDINALS:
        m = pattern.match(text)
        if m:
            return m.group(0), level, text[m.end():].strip()
    m = _BROKEN.match(text)
    if m:
        return m.group(0), None, text[m.end():].strip()
    return "", None, text


_INNER_PUNCT = re.compile(r"[，,；;：:。！？!?]")


def _title_end_ok(title: str) -> bool:
    """A heading does not end a sentence — except with one 。 after a title that has no other punctuation
    (“（三）部门工作完成情况。”), which a list item's sentence always has."""
    if title[-1] not in _SENTENCE_END:
        return True
    return title[-1] == "。" and not _INNER_PUNCT.search(title[:-1])


def _looks_like_heading(text: str) -> bool:
    number, _, title = split_ordinal(text)
    return bool(number) and 0 < len(title) <= MAX_HEADING and _title_end_ok(title) and not _is_toc_line(text)


def normalize(text: str) -> str:
    return _PUNCT.sub("", split_ordinal(text)[2])


def _heading(position: int, text: str, unit: str, level: int | None = None) -> Heading:
    number, ordinal_level, title = split_ordinal(text)
    return Heading(position, text.strip(), number, title.rstrip("。"), ordinal_level or level, unit)


_LONE_ORDINAL = re.compile(rf"^(?:[{_CN}]+[、。]|[（(][{_CN}\d]+[）)]|\d+[.．、。]|[①-⑳])$")


def _joined(lines: list[tuple[int, str, bool]]) -> list[tuple[int, str, bool]]:
    """An ordinal alone on its line (“1。” then the title below it) is one heading with the next line."""
    out: list[tuple[int, str, bool]] = []
    skip = False
    for i, (position, text, bold) in enumerate(lines):
        if skip:
            skip = False
            continue
        text = text.strip()
        nxt = lines[i + 1][1].strip() if i + 1 < len(lines) else ""
        if _LONE_ORDINAL.match(text) and nxt and not _LONE_ORDINAL.match(nxt) and not split_ordinal(nxt)[0]:
            number = text[:-1] + ("." if text[-1] == "。" and text[0].isdigit() else "、" if text[-1] == "。" else text[-1])
            out.append((position, number + nxt, bold))
            skip = True
        else:
            out.append((position, text, bold))
    return out


def _pattern_headings(lines: list[tuple[int, str, bool]], names: set[str], unit: str) -> list[Heading]:
    """(position, text, bold) lines -> headings found by ordinal, bold or a known title.

    A line that is only a known title counts when the document numbers none of its headings: where
    headings are numbered, an unnumbered “绩效目标” is a table's header cell, not a section."""
    lines = _joined(lines)
    numbered = any(_looks_like_heading(text.strip()) for _, text, _ in lines)
    found = []
    for i, (position, text, bold) in enumerate(lines):
        text = text.strip()
        if not text or _is_toc_line(text) or "\t" in text:  # a tab-separated line is a table's row
            continue
        short = len(text) <= MAX_HEADING and _title_end_ok(text)
        known = normalize(text) in names and (not numbered or _between_paragraphs(lines, i))
        if _looks_like_heading(text) or (short and (bold or known) and len(text) <= 24):
            found.append(_heading(position, text, unit))
    return found


def _cell_like(text: str) -> bool:
    """A short line that neither ends a sentence nor is numbered: a table's cell, as text exports print them."""
    text = text.strip()
    return bool(text) and len(text) <= 24 and text[-1] not in _SENTENCE_END and not split_ordinal(text)[0]


def _between_paragraphs(lines: list[tuple[int, str, bool]], i: int) -> bool:
    """Whether an unnumbered title (its ordinal lost) stands as a heading: not among a table's cells."""
    before = lines[i - 1][1] if i > 0 else ""
    after = lines[i + 1][1] if i + 1 < len(lines) else ""
    return not _cell_like(before) and not _cell_like(after)


def docx_headings(received: Received, names: set[str]) -> tuple[str, list[Heading]]:
    """Title and headings of a Word file: by heading style where it uses them, else by ordinal and bold."""
    styled, lines, title = [], [], ""
    for p in received.paragraphs:
        text, style = p.text, p.style
        if style.lower().startswith(("toc", "目录")):
            continue
        m = re.match(r"(?:heading|标题)\s*(\d)", style, re.I)
        if m:
            styled.append(_heading(p.no, text, "段", int(m.group(1))))
        elif not title and (style.lower() in ("title", "rttitle") or not lines):
            title = text
            continue
        lines.append((p.no, text, p.bold and len(text) <= MAX_HEADING * 3))
    return title, styled or _pattern_headings(lines, names, "段")


def layout_headings(received: Received, names: set[str]) -> tuple[str, list[Heading]]:
    """Title and headings of a PDF's text: by ordinal (its lines are numbered across the pages)."""
    lines, toc, first = [], False, None
    for p in received.paragraphs:
        text = p.text.strip()
        if re.match(r"^附件[:：]", text):
            break  # the list of annexes: items, not headings
        if re.sub(r"\s", "", text) == "目录":
            toc = True  # its entries are skipped up to the first of them again, the section itself
            continue
        if toc:
            if first is None or text != first:
                first = first or text
                continue
            toc = False
        lines.append((p.no, text, False))
    title = ""
    while lines and not _looks_like_heading(lines[0][1]) and len(title) < 200:
        title += lines.pop(0)[1]
    return title, _pattern_headings(lines, names, "行")


def read_docx(path: Path, names: set[str]) -> tuple[str, list[Heading]]:
    """Headings of a received Word file, which may be damaged or hostile: checked as a package first."""
    from .received import read_docx as read

    return docx_headings(read(path), names)


def read_text(path: Path, names: set[str], markdown: bool) -> tuple[str, list[Heading]]:
    from .received import read_bounded
    from .yamlio import decode

    text = decode(read_bounded(path), str(path))
    # Markdown reports either keep # for the title and ## for 一、, or use # for both.
    hashes = [len(m.group(1)) for m in re.finditer(r"(?m)^\s*(#{1,6})\s", text)] if markdown else []
    offset = 0 if hashes.count(1) > 1 else 1
    marked, lines, title, fenced = [], [], "", False
    for i, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
            continue
        if fenced or not stripped or stripped.startswith(("|", "<")):
            continue
        m = re.match(r"^(#{1,6})\s+(.*)$", stripped) if markdown else None
        if m:
            if len(m.group(1)) == 1 and not title:
                title = m.group(2).strip()
            else:
                marked.append(_heading(i, m.group(2), "行", max(1, len(m.group(1)) - offset)))
            continue
        if not marked and not lines and not markdown:
            title += stripped + "\n"  # the lines before the body: title, banners, issuer
            if len(title) < 400 and not _looks_like_heading(stripped):
                continue
        elif not title:
            title = stripped.strip("*")
            continue
        if re.match(r"^附件[:：]", stripped):
            break  # the list of annexes: items, not headings
        bold = markdown and stripped.startswith("**") and stripped.endswith("**")
        lines.append((i, stripped.strip("*") if bold else stripped, bold))
    return title, marked or _pattern_headings(lines, names, "行")


def read_headings(path: Path, names: set[str]) -> tuple[str, list[Heading]]:
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return read_docx(path, names)
    if suffix in (".md", ".markdown", ".txt", ".text"):
        return read_text(path, names, markdown=suffix in (".md", ".markdown"))
    raise UserError(f"不支持的文件类型：{path}（可检查 .docx、.md、.txt）")


# --- matching ---------------------------------------------------------------------------

@dataclass
class Node:
    section: Section
    depth: int
    parent: "Node | None"
    order: int  # position among its siblings
    names: list[str] = field(init=False)  # normalised once: every heading is compared with every section

    def __post_init__(self) -> None:
        self.names = [normalize(n) for n in [self.section.title, *self.section.synonyms]]


def nodes(outline: Outline) -> list[Node]:
    out: list[Node] = []
    _walk(outline.sections, 1, None, out)
    return out


def _walk(sections: list[Section], depth: int, parent: Node | None, out: list[Node]) -> None:
    for i, s in enumerate(sections):
        node = Node(s, depth, parent, i)
        out.append(node)
        _walk(s.children, depth + 1, node, out)


def similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and long_.startswith(short):  # a long heading that opens with the section's title
        return max(0.85, 0.6 + 0.4 * len(short) / len(long_))
    if len(short) >= 3 and short in long_:
        return 0.6 + 0.4 * len(short) / len(long_)
    by_length = 2 * len(short) / (len(short) + len(long_))  # upper bounds first: below the threshold,
    if by_length < THRESHOLD:  # the exact ratio cannot matter
        return by_length
    matcher = difflib.SequenceMatcher(None, a, b)
    bound = matcher.quick_ratio()
    return bound if bound < THRESHOLD else matcher.ratio()


THRESHOLD = 0.75  # same level
THRESHOLD_OTHER_LEVEL = 0.9  # a section written at another level must be recognised clearly


def best_match(heading: Heading, candidates: list[Node], parent: Node | None = None) -> Node | None:
    title = normalize(heading.text)
    scored = []
    for node in candidates:
        score = max(similarity(title, name) for name in node.names)
        same_level = heading.level is None or heading.level == node.depth
        if score >= (THRESHOLD if same_level else THRESHOLD_OTHER_LEVEL):
            scored.append((score == 1.0, same_level, score, node.parent is parent, -node.depth, node))
    return max(scored, key=lambda t: t[:5])[5] if scored else None


def check(outline: Outline, headings: list[Heading]) -> list[Finding]:
    all_nodes = nodes(outline)
    findings: list[Finding] = []
    matched: list[tuple[Heading, Node | None, bool]] = []  # (heading, section, counts for the order check)
    seen: dict[int, Heading] = {}
    enclosing: list[tuple[int, Node]] = []  # (level, node) of the matched headings that contain what follows

    def pop_to(level: int) -> Node | None:
        while enclosing and enclosing[-1][0] >= level:
            enclosing.pop()
        return enclosing[-1][1] if enclosing else None

    for h in headings:
        parent = pop_to(h.level) if h.level else (enclosing[-1][1] if enclosing else None)
        if parent is not None and parent.section.each and h.level is not None and h.level > parent.depth:
            # Fixed children come first; any other heading here is one per item (a problem, an indicator…)
            node = best_match(h, [n for n in all_nodes if n.parent is parent])
            if node is None:
                # an item, unless it is plainly another section written a level too deep (（二）改进措施及建议 under 五、)
                other = best_match(h, [n for n in all_nodes if n is not parent and n.parent is not parent])
                if other is None or id(other) in seen or max(similarity(normalize(h.text), name)
                                                              for name in other.names) < THRESHOLD_OTHER_LEVEL:
                    matched.append((h, None, False))
                    continue
                node = other
                pop_to(h.level)
        else:
            node = best_match(h, all_nodes, parent)
        if node is None:
            matched.append((h, None, False))
            if h.level is None and not h.number:
                continue
            if parent is None:
                findings.append(Finding("unknown", WARNING, f"「{h.title or h.text}」不是大纲中的章节", h))
            elif parent.section.children and not parent.section.each:
                findings.append(Finding("unknown", WARNING, f"「{h.title or h.text}」不是「{parent.section.title}」下的章节", h))
            continue  # else: a sub-heading inside a section's own content
        if h.level is None:
            pop_to(node.depth)
        enclosing.append((h.level or node.depth, node))
        if id(node) in seen:
            findings.append(Finding("duplicate", WARNING,
                                    f"章节「{node.section.title}」重复出现（{seen[id(node)].where}已出现）", h))
            matched.append((h, node, False))
            continue
        seen[id(node)] = h
        if h.level is not None and h.level != node.depth and node.section.numbered:
            findings.append(Finding("level", WARNING,
                                    f"「{h.title}」应为{_LEVEL_CN[node.depth]}标题（如“{ordinal(1, node.depth)}”），实际为{_LEVEL_CN[h.level]}标题", h))
        matched.append((h, node, True))

    findings += _order(matched)
    findings += _ordinals(matched)
    findings += _missing(all_nodes, seen)
    return sorted(findings, key=lambda f: (f.heading.position if f.heading else 10**9))


_LEVEL_CN = {1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}


def _order(matched: list[tuple[Heading, Node | None, bool]]) -> Iterator[Finding]:
    """Within each group of siblings, the outline's order."""
    latest: dict[int, tuple[int, Node]] = {}
    for h, node, counts in matched:
        if node is None or not counts:
            continue
        group = id(node.parent)
        if group in latest and node.order < latest[group][0]:
            ahead = latest[group][1]
            yield Finding("order", ERROR, f"章节「{node.section.title}」应在「{ahead.section.title}」之前", h)
            continue
        latest[group] = (node.order, node)


def _ordinals(matched: list[tuple[Heading, Node | None, bool]]) -> Iterator[Finding]:
    """Ordinals count the headings of a level since the last heading above it."""
    counters: dict[int, int] = {}
    for h, node, _ in matched:
        level = h.level or (node.depth if node else None)
        if level is None:
            continue
        if node is not None and not node.section.numbered:
            if h.number:
                yield Finding("ordinal", WARNING, f"「{h.title}」不应编号，实际为“{h.number}”", h)
            continue
        for deeper in [lv for lv in counters if lv > level]:
            del counters[deeper]
        counters[level] = counters.get(level, 0) + 1
        expected = ordinal(counters[level], level)
        if not h.number or h.number in ("、", ".", "．"):
            yield Finding("ordinal", WARNING, f"「{h.title}」缺少序号，应为“{expected}”", h)
        elif h.number.replace("(", "（").replace(")", "）") != expected and not _same_number(h.number, expected):
            yield Finding("ordinal", WARNING, f"「{h.title}」的序号应为“{expected}”，实际为“{h.number}”", h)


def _same_number(written: str, expected: str) -> bool:
    """1、 and 1. are the same number; so are (一) and （一）."""
    norm = lambda s: re.sub(r"[.．、()（）]", "", s)  # noqa: E731
    return norm(written) == norm(expected) and written[0] not in "、"


def _missing(all_nodes: list[Node], seen: dict[int, Heading]) -> Iterator[Finding]:
    for node in all_nodes:
        if id(node) in seen or not node.section.required:
            continue
        if node.parent is not None and id(node.parent) not in seen:
            continue  # the parent is absent as a whole: reported once, for the parent (if required)
        where = f"「{node.parent.section.title}」下" if node.parent else ""
        yield Finding("missing", ERROR, f"缺少必备章节{where}「{node.section.title}」")


# --- kinds ------------------------------------------------------------------------------

# A department's key evaluation says 部门整体; one of a project names the project (or fund) before the words.
TITLE_HINTS = [("key_eval", ("部门整体支出重点绩效评价", "整体支出重点绩效评价")),
               ("key_eval_project", ("项目重点绩效评价", "资金重点绩效评价", "项目绩效评价报告", "资金绩效评价报告")),
               ("key_eval", ("重点绩效评价",)), ("project_self", ("项目支出绩效", "项目绩效自评")),
               ("dept_self", ("部门整体支出绩效自评", "整体支出绩效自评", "预算支出绩效自评"))]
_YEARS = re.compile(r"\d{4}(?:\s*[—\-–至~]\s*\d{4})?\s*年度?")


def guess_kind(title: str, headings: list[Heading], outlines: dict[str, Outline]) -> tuple[str, str]:
    """(kind, why): from the title (or the lines before the first heading), else from matching headings."""
    # "某项目2021—2023年度重点绩效评价报告" names the project before the words; a title may be broken in lines
    plain = _YEARS.sub("", re.sub(r"\s+", "", title))
    plain = re.sub(r"[（(][）)]", "", plain)  # “某项目（2023年度）重点…” once the year is gone
    key = plain.find("重点绩效评价")
    if key > 0 and "整体" not in plain[:key] and re.search(r"项目|专项资金|资金", plain[:key]) and "key_eval_project" in outlines:
        return "key_eval_project", f"标题在“重点绩效评价”之前写明了{re.search(r'项目|专项资金|资金', plain[:key]).group(0)}"
    for kind, words in TITLE_HINTS:
        if kind in outlines and any(w in plain for w in words):
            return kind, f"标题含“{next(w for w in words if w in plain)}”"
    scores = {kind: sum(best_match(h, nodes(o)) is not None for h in headings) for kind, o in outlines.items()}
    kind = max(scores, key=scores.get)
    return kind, f"与{KIND_TITLES.get(kind, kind)}大纲匹配的标题最多（{scores[kind]} 个）"


def all_names(outlines: list[Outline]) -> set[str]:
    return {name for o in outlines for n in nodes(o) for name in n.names}


def check_file(path: Path, outlines: dict[str, Outline], kind: str | None = None) -> Result:
    if not path.is_file():
        raise UserError(f"找不到文件：{path}")
    title, headings = read_headings(path, all_names(list(outlines.values())))
    guessed = ""
    if kind is None:
        kind, why = guess_kind(title, headings, outlines)
        guessed = f"自动判断为 {kind}（{KIND_TITLES.get(kind, outlines[kind].name)}），依据：{why}"
    result = Result(str(path), kind, title, headings, guessed=guessed)
    result.findings = check(outlines[kind], headings)
    return result
