"""Slips a clerk makes on a Chinese keyboard, found line by line before the YAML parser runs.

The parser stops at the first slip and often reports it a line later, in English; this scan reads
every line first, so all of a file's slips are listed at once, each on its own line with what to
type instead. It also removes characters no editor shows (control characters, with a warning) and
shields the Unicode line separators that would shift every later line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import WARNING, Problem

# Line separators YAML honours but editors do not: kept out of the parser's sight, restored in values.
SHIELD = {"\u2028": "\ue028", "\u2029": "\ue029", "\x85": "\ue085"}
UNSHIELD = str.maketrans({v: k for k, v in SHIELD.items()})
_SHIELDING = str.maketrans(SHIELD)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_FLOW_DEPTH = 50      # [ and { nested deeper than this are refused (libyaml crashes near 50,000)
MAX_INDENT = 200         # columns of indentation: about 100 nested blocks

_KEY = r"(?P<indent>[ ]*)(?P<dash>-[ ]+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)"
_FULLWIDTH_COLON = re.compile(_KEY + r"[ ]*：")
# "key:" then either a character where the space should be, or the space and a value
_KEYED = re.compile(_KEY + r":(?:(?P<after>[^\s/:])|[ ]+(?P<value>\S.*)$)?")
_BLOCK_SCALAR = re.compile(r":[ ]+[|>][-+0-9]*[ ]*(#.*)?$")
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"
_BRACKETS = re.compile(r"[\[\]{}]")
_CUT_COMMENT = re.compile(r"\S (#\S.*)$")


@dataclass
class Scan:
    text: str
    shielded: bool = False  # whether the text held a line separator now shielded (values restore it)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def scan(text: str, file: str) -> Scan:
    out = Scan(text)

    def error(line: int, col: int, message: str, rule: str = "yaml.syntax") -> None:
        out.errors.append(Problem(message=message, file=file, line=line, column=col, rule=rule))

    lines = text.split("\n")
    block_indent: int | None = None  # inside a | or > block scalar: lines indented past this are text
    depth = 0
    controls = bool(_CONTROL.search(text))
    for n, raw in enumerate(lines, 1):
        bad = controls and _CONTROL.search(raw)
        if bad:
            chars = "、".join(sorted({f"U+{ord(c):04X}" for c in _CONTROL.findall(raw)}))
            out.warnings.append(Problem(
                message=f"含有看不见的控制字符 {chars}（多为从其他软件粘贴带入），已删除", file=file, line=n,
                column=bad.start() + 1, severity=WARNING, rule="text.control_chars"))
            raw = lines[n - 1] = _CONTROL.sub("", raw)
        stripped = raw.lstrip(" ")
        indent = len(raw) - len(stripped)
        if block_indent is not None:
            if not stripped or indent > block_indent:
                continue
            block_indent = None
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("\t") or (raw.startswith("\t")):
            error(n, indent + 1, "行首的缩进用了制表符（Tab），请改用空格（每层两个空格）", "yaml.tab")
            continue
        if indent > MAX_INDENT:
            error(n, 1, f"缩进超过 {MAX_INDENT} 列（层次过深），请检查本行是否多了空格", "yaml.depth")
            break
        depth, deepest = _flow_depth(raw, depth)
        if deepest > MAX_FLOW_DEPTH:
            error(n, 1, f"方括号或花括号嵌套超过 {MAX_FLOW_DEPTH} 层，已拒绝读取", "yaml.depth")
            break
        if ("|" in raw or ">" in raw) and _BLOCK_SCALAR.search(raw):
            block_indent = indent
        m = "：" in raw and _FULLWIDTH_COLON.match(raw)
        if m:
            error(n, m.end(), f"“{m['key']}”后面是中文全角冒号“：”，应改为英文半角冒号“:”并在其后加一个空格"
                              f"（{m['key']}: …）")
            continue
        m = _KEYED.match(raw)
        if m and m["after"]:
            error(n, m.start("after"), f"“{m['key']}:”后面缺少空格，应写成“{m['key']}: {raw[m.start('after'):].strip()}”")
            continue
        if m and m["value"]:
            why = _value_slip(m["value"])
            if why:
                error(n, m.start("value") + 1, why)
                continue
            cut = " #" in m["value"] and _CUT_COMMENT.search(m["value"])
            if cut and not m["value"].startswith(("'", '"')):
                out.warnings.append(Problem(
                    message=f"“{cut.group(1)}”前有空格，YAML 把它当作注释删去了；如要保留，请给整段文字加引号",
                    file=file, line=n, column=m.start("value") + cut.start(1) + 1, severity=WARNING, rule="yaml.comment_cut"))
        why = "{" in raw and _flow_slip(raw)
        if why:
            error(n, raw.index("{") + 1, why)
    out.text = "\n".join(lines) if controls else text
    out.shielded = any(c in out.text for c in SHIELD)
    if out.shielded:
        out.text = out.text.translate(_SHIELDING)
    return out


def _value_slip(value: str) -> str | None:
    """What is wrong with a value as typed after 'key: ', or None."""
    first = value[0]
    if first in "\"'":
        end = _closing_quote(value)
        if end is not None:
            rest = value[end + 1:].strip()
            if rest and not rest.startswith("#"):
                return (f"引号只能把整段文字括起来，引号后面还有“{rest[:10]}”；请去掉这对引号，"
                        f"或把整段文字放进单引号：'{value.replace(chr(39), chr(39) * 2)}'")
        return None
    if first in "@`%":
        return f"文字不能以“{first}”开头（YAML 保留了这个符号），请给整段文字加引号：'{value}'"
    if value.startswith("!!"):
        return "不支持的 YAML 标签（以 !! 或 ! 开头），出于安全不会执行；请删去标签，只写数据"
    if first == "!":
        return f"以“!”开头会被当作 YAML 标签，请给整段文字加引号：'{value}'"
    if first in "&*" and re.match(_CJK, value[1:2] or " "):
        what = "锚点" if first == "&" else "别名"
        return f"以“{first}”开头会被当作 YAML 的{what}，请给整段文字加引号：'{value}'"
    if value.startswith("- ") and not value.startswith("- -"):
        return "冒号后面不能直接写“- ”列表项；列表应另起一行，每项以“- ”开头，并比字段多缩进两个空格"
    return None


def _closing_quote(value: str) -> int | None:
    quote, i = value[0], 1
    while i < len(value):
        c = value[i]
        if quote == '"' and c == "\\":
            i += 2
            continue
        if c == quote:
            if quote == "'" and value[i + 1:i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    return None


_FLOW_MAP = re.compile(r"\{([^{}\[\]\"']*)\}")
_FLOW_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*:( |$)")
_FLOW_MARKS = re.compile(r"[\"'#\[\]{}]")  # the only characters that change the bracket count


def _flow_slip(line: str) -> str | None:
    """A one-line {key: value, …} whose text holds a comma or colon of its own."""
    m = _FLOW_MAP.search(line)
    if not m:
        return None
    for part in m.group(1).split(","):
        part = part.strip()
        if part and not _FLOW_KEY.match(part):
            return ("花括号 {…} 里的文字含有英文逗号或冒号，被拆成了多个字段；请给这段文字加引号，"
                    "或改用每个字段一行的写法")
        if part.count(": ") > 1:
            return "花括号 {…} 里的文字含有“: ”，请给这段文字加引号，或改用每个字段一行的写法"
    return None


def _flow_depth(line: str, depth: int) -> tuple[int, int]:
    """Open [ and { after this line, and the most open within it (quotes and comments skipped)."""
    if not _BRACKETS.search(line):
        return depth, depth
    quote, deepest = None, depth
    for m in _FLOW_MARKS.finditer(line):
        i = m.start()
        c = line[i]
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'" and (i == 0 or line[i - 1] in " [{,:"):
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] == " "):
            break
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth = max(0, depth - 1)
    return depth, deepest
