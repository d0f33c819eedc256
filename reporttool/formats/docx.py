"""Word: the report.docx skin, a docxtpl template checked, patched and compiled once, rendered many times.

docxtpl's per-render cost is mostly re-patching and re-compiling a template that does not
change, so the patched XML is compiled once and each render only fills it and re-zips.
Tables are emitted as OOXML with spans computed from the data (docxtpl's {% vm %} restarts
its merge per inner loop, which breaks nested indicator groups).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
import struct
import zipfile
import zlib
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Optional

from xml.parsers import expat

from markupsafe import Markup

from ..document import LINE_PITCH, TOC_LEVELS, Document, Heading, SectionBreak, Table, Toc
from ..text import clean_text, xml_escape as escape
from ..errors import TemplateProblem
from . import OutputFormat
from .docx_look import TableLook, parse_xml, restore, safe_xml, unescape_tags

TWIPS_PER_MM = 56.7
_JINJA = re.compile(r"\{[{%]")
_LISTING = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\a\f]")
_XML_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml|docProps/core\.xml")


def _run_start(bold: bool, size: int | None) -> str:
    """A run's opening with only what is data: bold where the cell is a total, a size where the table carries its own."""
    rpr = ("<w:b/><w:bCs/>" if bold else "") + (f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>' if size else "")
    return f"<w:r><w:rPr>{rpr}</w:rPr>" if rpr else "<w:r>"


def _run_text(text: str) -> str:
    return "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in clean_text(text).split("\n"))


def _pitch(size: int | None) -> str:
    # a table that sets its own size (a form, a landscape table) sets its line pitch with it, so its height is known
    return f'<w:spacing w:line="{round(size * LINE_PITCH * 10)}" w:lineRule="exact"/>' if size else ""


_ALIGN = {"left": "left", "center": "center", "right": "right"}


def _para(text: str, style: str, align: str | None = None, bold: bool = False, size: int | None = None,
          keep: bool = False) -> str:
    jc = f'<w:jc w:val="{_ALIGN[align]}"/>' if align else ""
    return (f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{"<w:keepNext/>" if keep else ""}{_pitch(size)}{jc}</w:pPr>'
            f"{f'{_run_start(bold, size)}{_run_text(text)}</w:r>' if text else ''}</w:p>")


KEEP_WHOLE_ROWS = 8  # a table this short never splits across pages
TOTAL_LABELS = frozenset({"合计", "小计", "总计", "总分"})


def _keep_with_next(table: Table, r: int) -> bool:
    """Whether row ``r`` stays on the page of the row after it: all rows of a short table, the header and the
    first row with the second (a page never ends on a header and one row), the last two rows, the row above a total."""
    last = len(table.rows) - 1
    if r >= last:
        return False
    return (len(table.rows) <= KEEP_WHOLE_ROWS or r <= table.header_rows or r == last - 1
            or any(c.text in TOTAL_LABELS for c in table.rows[r + 1] if not c.covered))


def _cell_props(span: int, rowspan: int, covered: str | None, width: int) -> str:
    merge = ('<w:vMerge w:val="restart"/>' if rowspan > 1 else "<w:vMerge/>" if covered == "v" else "")
    return (f'<w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{f"<w:gridSpan w:val={chr(34)}{span}{chr(34)}/>" if span > 1 else ""}'
            f'{merge}<w:vAlign w:val="center"/></w:tcPr>')


def table_xml(table: Table, look: TableLook = TableLook()) -> Markup:
    """A table in the template's styles; only what is data (spans, widths, bold totals, a form's own size) is direct.

    A table is most of a report's Word time, so what is the same for every cell is written once here."""
    widths = [round(c.width_mm * TWIPS_PER_MM) for c in table.columns]
    size = table.size
    out = []
    # the caption and unit line stay with the table
    if table.caption:
        out.append(_para(table.caption, look.caption, keep=True))
    if table.unit:
        out.append(_para(table.unit, look.unit, keep=True))
    # rules and cell margins come from the table style; its alignment is repeated here for LibreOffice
    jc = f'<w:jc w:val="{_ALIGN[look.align]}"/>' if look.align else ""
    out.append(f'<w:tbl><w:tblPr><w:tblStyle w:val="{look.table}"/><w:tblW w:w="{sum(widths)}" w:type="dxa"/>{jc}'
               f'<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>{"".join(f"<w:gridCol w:w={chr(34)}{w}{chr(34)}/>" for w in widths)}</w:tblGrid>')
    # what _para and _run write for a cell, by the few things that vary
    line = _pitch(size)
    run_open = {bold: _run_start(bold, size) for bold in (False, True)}
    aligns = {a: f'<w:jc w:val="{_ALIGN[a]}"/>' for a in _ALIGN}
    props: dict[tuple, str] = {}
    for r, row in enumerate(table.rows):
        head_row = r < table.header_rows
        # a landscape table's tall rows may run on to the next page rather than leave half a page empty
        split = "" if table.landscape and not head_row else "<w:cantSplit/>"
        trpr = f"<w:trPr>{split}<w:tblHeader/></w:trPr>" if head_row else f"<w:trPr>{split}</w:trPr>"
        keep = "<w:keepNext/>" if _keep_with_next(table, r) else ""
        cells = [f"<w:tr>{trpr}"]
        for col, cell in enumerate(row):
            covered = cell.covered
            if covered == "h":
                continue
            key = (col, cell.colspan, cell.rowspan, covered)
            tcpr = props.get(key)
            if tcpr is None:
                tcpr = props[key] = _cell_props(cell.colspan, cell.rowspan, covered, sum(widths[col:col + cell.colspan]))
            # a bold cell of a header row takes the header style; a bold total elsewhere is bold by itself
            head = head_row and cell.bold
            align = cell.align or table.columns[col].align
            text = "" if covered else cell.text
            if text:
                text = f"{run_open[cell.bold and not head]}{_run_text(text)}</w:r>"
            cells.append(f'<w:tc>{tcpr}<w:p><w:pPr><w:pStyle w:val="{look.head if head else look.text}"/>{keep}{line}'
                         f'{aligns[align] if align else ""}</w:pPr>{text}</w:p></w:tc>')
        cells.append("</w:tr>")
        out.append("".join(cells))
    out.append("</w:tbl>")
    # An empty paragraph after the table keeps the following text from gluing onto it.
    out.append(f'<w:p><w:pPr><w:pStyle w:val="{look.text}"/></w:pPr></w:p>')
    return Markup("".join(out))


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{_W}}}"
_BODY_SECTION = re.compile(r"<w:sectPr[ >](?:(?!<w:sectPr[ >]).)*?</w:sectPr>(?=\s*</w:body>)", re.S)


class Sections:
    """The template's page setup (its closing sectPr) and the same page turned landscape, margins turned with it."""

    def __init__(self, portrait: str, landscape: str):
        self.portrait, self.landscape = portrait, landscape

    @classmethod
    def of(cls, document_xml: bytes) -> "Sections":
        etree = safe_xml()[0]
        body = parse_xml(document_xml).find(f"{{{_W}}}body")
        found = body.find(f"{{{_W}}}sectPr") if body is not None else None
        portrait = etree.tostring(found, encoding="unicode") if found is not None else "<w:sectPr/>"
        turned = etree.fromstring(portrait)
        size, margins = turned.find(f"{{{_W}}}pgSz"), turned.find(f"{{{_W}}}pgMar")
        if size is not None:
            w, h = size.get(f"{{{_W}}}w"), size.get(f"{{{_W}}}h")
            size.set(f"{{{_W}}}w", h or "16838")
            size.set(f"{{{_W}}}h", w or "11906")
            size.set(f"{{{_W}}}orient", "landscape")
        if margins is not None:
            side = {k: margins.get(f"{{{_W}}}{k}") for k in ("top", "right", "bottom", "left")}
            for new, old in (("top", "left"), ("right", "bottom"), ("bottom", "right"), ("left", "top")):
                if side[old] is not None:
                    margins.set(f"{{{_W}}}{new}", side[old])
        return cls(portrait, etree.tostring(turned, encoding="unicode"))

    def closing(self, doc: Document) -> Markup:
        return Markup(self.landscape if doc.ends_landscape else self.portrait)

    def break_xml(self, block: SectionBreak) -> Markup:
        """An empty paragraph that ends the pages before it, with their page setup."""
        return Markup(f"<w:p><w:pPr>{self.landscape if block.landscape_before else self.portrait}</w:pPr></w:p>")


def toc_style(level: int) -> str:
    """Word's built-in style of a table-of-contents line (name "toc 1", id TOC1): Word restyles its own TOC with it."""
    return f"TOC{level}"


def _bookmark(seq: int) -> str:
    return f"_Toc{seq:08d}"  # Word's own prefix: hidden from the bookmark list, kept when it rebuilds the TOC


def heading_anchor(heading: Heading) -> Markup:
    """A bookmark at the start of a heading, for the table of contents to link to and count pages from."""
    if not heading.seq:
        return Markup("")
    return Markup(f'<w:bookmarkStart w:id="{heading.seq}" w:name="{_bookmark(heading.seq)}"/><w:bookmarkEnd w:id="{heading.seq}"/>')


def _fld(kind: str) -> str:
    return f'<w:r><w:fldChar w:fldCharType="{kind}"/></w:r>'


def _field_start(instruction: str) -> str:
    return _fld("begin") + f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>' + _fld("separate")


def toc_style_ids(styles_xml: bytes | None) -> dict[int, str]:
    """Each TOC level's style id in a template, found by its name ("toc 1"): LibreOffice saves it as Contents1."""
    ids = {level: toc_style(level) for level in range(1, TOC_LEVELS + 1)}
    for style in parse_xml(styles_xml).iter(W + "style") if styles_xml else ():
        name = style.find(W + "name")
        level = re.fullmatch(r"toc (\d)", name.get(W + "val", "").lower()) if name is not None else None
        if level and int(level.group(1)) in ids and style.get(W + "styleId"):
            ids[int(level.group(1))] = style.get(W + "styleId")
    return ids


def toc_xml(toc: Toc, styles: dict[int, str] | None = None) -> Markup:
    """The TOC lines: a TOC field of levels 1–2 whose stored result lists the headings, linked to them.

    A page number is a PAGEREF field holding the page where one is known. For the office suite's own
    layout (``live_pages``) the lines are not wrapped in a TOC field, whose stored result LibreOffice
    keeps as it is: it computes the PAGEREF fields as it lays out the pages.
    """
    wrap = not toc.live_pages
    lines = []
    for i, entry in enumerate(toc.entries):
        name = _bookmark(entry.seq)
        runs = f'<w:r><w:t xml:space="preserve">{escape(clean_text(entry.text))}</w:t></w:r>'
        if toc.live_pages or entry.page is not None:
            page = "" if entry.page is None else f"<w:r><w:t>{entry.page}</w:t></w:r>"
            runs += "<w:r><w:tab/></w:r>" + _field_start(f"PAGEREF {name} \\h") + page + _fld("end")
        start = _field_start(f'TOC \\o "1-{TOC_LEVELS}" \\h \\z \\u') if wrap and i == 0 else ""
        end = _fld("end") if wrap and i == len(toc.entries) - 1 else ""
        style = (styles or {}).get(entry.level) or toc_style(entry.level)
        lines.append(f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{start}'
                     f'<w:hyperlink w:anchor="{name}" w:history="1">{runs}</w:hyperlink>{end}</w:p>')
    return Markup("".join(lines))


MAX_PACKAGE_BYTES = 20 * 1024 * 1024    # a letterhead template is well under 1 MB
MAX_UNPACKED_BYTES = 64 * 1024 * 1024   # what its parts may unpack to (zip bombs stop here)
MAX_MEMBERS = 1_000
_REQUIRED = ("[Content_Types].xml", "word/document.xml")


def read_package(path: Path, raw: bytes, what: str = "Word 模板",
                 only: frozenset[str] | None = None) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """The parts of a .docx template, refused unless it is a plain, bounded Word package.

    Every part is copied into each report we write, so a member name that could escape a folder,
    a compression Word cannot read, a DTD, or parts that unpack to more than MAX_UNPACKED_BYTES
    are refused here, before anything renders. A reader names the parts it needs in `only`: every
    name is still checked, but only those parts are unpacked (and parsed by the reader itself).
    """
    def bad(why: str) -> TemplateProblem:
        return TemplateProblem(f"{what} {path} 无法使用：{why}")

    if len(raw) > MAX_PACKAGE_BYTES:
        raise bad(f"文件超过 {MAX_PACKAGE_BYTES // 2**20} MB")
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise bad("不是有效的 .docx 文件（应为 Word 保存的 zip 包）") from None
    with z:
        return _read_members(z, bad, only)


def _read_members(z: zipfile.ZipFile, bad: Any, only: frozenset[str] | None = None) -> list[tuple[zipfile.ZipInfo, bytes]]:
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise bad(f"包含 {len(infos)} 个部件，超过 {MAX_MEMBERS} 个")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise bad("包中有重名的部件")
    for missing in (n for n in _REQUIRED if n not in names):
        raise bad(f"缺少 {missing}，Word 无法打开这样的文件")
    parts, unpacked = [], 0
    for info in infos:
        name = info.filename
        if name.startswith("/") or "\\" in name or ":" in name or "\x00" in name or ".." in name.split("/"):
            raise bad(f"部件名 {name!r} 指向包外（zip 路径穿越），已拒绝")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise bad(f"部件 {name} 使用了 Word 不支持的压缩方式")
        if info.flag_bits & 0x1:
            raise bad(f"部件 {name} 已加密")
        if only is not None and name not in only:
            unpacked += info.file_size  # as declared: an unread bomb is harmless, but still not a report
            if unpacked > MAX_UNPACKED_BYTES:
                raise bad(f"解压后超过 {MAX_UNPACKED_BYTES // 2**20} MB（疑似压缩炸弹）")
            continue
        try:
            with z.open(info) as fh:
                data = fh.read(MAX_UNPACKED_BYTES - unpacked + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError):
            raise bad(f"部件 {name} 已损坏") from None
        unpacked += len(data)
        if unpacked > MAX_UNPACKED_BYTES:
            raise bad(f"解压后超过 {MAX_UNPACKED_BYTES // 2**20} MB（疑似压缩炸弹）")
        if name.endswith((".xml", ".rels")):
            if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
                raise bad(f"部件 {name} 含有 DTD 声明，Word 文件不会有，已拒绝")
            try:
                if only is None:
                    parse_xml(data)
            except safe_xml()[0].XMLSyntaxError as exc:
                raise bad(f"部件 {name} 不是有效的 XML（{exc}）") from None
        parts.append((info, data))
    return parts


class _Member:
    """One zip member with its compressed bytes, so parts that never change are deflated once (or never)."""

    def __init__(self, info: zipfile.ZipInfo, crc: int, size: int, packed: bytes, method: int = zipfile.ZIP_DEFLATED):
        self.name = info.filename.encode("utf-8")
        self.flags = 0x800 if not info.filename.isascii() else 0
        self.time, self.date = _dos_time(info.date_time)
        self.external = info.external_attr
        self.crc, self.size, self.packed, self.method = crc, size, packed, method

    @classmethod
    def deflated(cls, info: zipfile.ZipInfo, data: bytes, level: int = 6) -> "_Member":
        deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
        return cls(info, zlib.crc32(data), len(data), deflate.compress(data) + deflate.flush())

    @classmethod
    def copied(cls, info: zipfile.ZipInfo, package: bytes) -> "_Member":
        """A part as the template's package holds it, compressed bytes and all (read_package checked them)."""
        at = info.header_offset
        name_len, extra_len = struct.unpack_from("<HH", package, at + 26)
        start = at + 30 + name_len + extra_len
        return cls(info, info.CRC, info.file_size, package[start:start + info.compress_size], info.compress_type)

    def local(self) -> bytes:
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, self.flags, self.method, self.time, self.date, self.crc,
                           len(self.packed), self.size, len(self.name), 0) + self.name + self.packed

    def central(self, offset: int) -> bytes:
        return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, self.flags, self.method, self.time, self.date,
                           self.crc, len(self.packed), self.size, len(self.name), 0, 0, 0, 0, self.external, offset) + self.name


def _dos_time(dt: tuple) -> tuple[int, int]:
    year, month, day, hour, minute, second = dt
    return (hour << 11) | (minute << 5) | (second // 2), (max(year, 1980) - 1980) << 9 | (month << 5) | day


def _zip(members: list[_Member]) -> bytes:
    out, central, offset = [], [], 0
    for m in members:
        central.append(m.central(offset))
        local = m.local()
        out.append(local)
        offset += len(local)
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), offset, 0)
    return b"".join(out) + directory + end


_BREAK = {"\n": "<w:br/>", "\t": "<w:tab/>"}
# put before each paragraph at compiling, for the block tags; taken out after (text cannot hold "<w:p": it is escaped)
_PARAGRAPH_LINES = (("\n<w:p ", "<w:p "), ("\n<w:p>", "<w:p>"))


def _split_text(text: str) -> str:
    parts = re.split(r"([\n\t])", text)
    return "".join(_BREAK[p] if p in _BREAK else f'<w:t xml:space="preserve">{p}</w:t>' for p in parts if p)


def _breaks(xml: str) -> str:
    """A line break or tab typed in a text (a title's two lines) as Word's own element, within the run.

    Found from the few break characters outward, not by matching every <w:t> of the document."""
    out, done = [], 0
    at = _next_break(xml, 0)
    while at >= 0:
        opening = xml.rfind("<", 0, at)
        closing = xml.find("<", at)
        if (xml.startswith("<w:t", opening) and xml[opening + 4] in " >" and opening >= done
                and xml.startswith("</w:t>", closing)):
            out += [xml[done:opening], _split_text(xml[xml.index(">", opening) + 1:closing])]
            done = closing + len("</w:t>")
        at = _next_break(xml, max(at + 1, done))
    return "".join(out) + xml[done:]


def _next_break(xml: str, start: int) -> int:
    """Where the next line break or tab is, or -1 (str.find: a pattern scans the document far slower)."""
    line, tab = xml.find("\n", start), xml.find("\t", start)
    return line if tab < 0 else tab if line < 0 else min(line, tab)


def well_formed(data: bytes, name: str) -> None:
    """Never write a package Word cannot open (expat with namespaces: no tree built, prefixes checked)."""
    try:
        expat.ParserCreate(namespace_separator=" ").Parse(data, True)
    except expat.ExpatError as exc:
        raise ValueError(f"{name} 生成的 XML 无效：{exc}") from None


@dataclass
class Prepared:
    """What a Word skin's parts become before any report is rendered: plain data, so our own skin's is kept
    between runs (preparing it parses 800 KB of styles and loads docxtpl, a seventh of a cold ``render``)."""

    restored: dict[str, str]    # parts filled back where a save dropped something (table styles, font fallbacks, dates)
    look: TableLook
    portrait: str               # the closing page setup, and the same page turned
    landscape: str
    toc_styles: dict[int, str]
    patched: dict[str, str]     # each part with Jinja tags, as Jinja source
    updating: Optional[str]     # the settings part asking Word to update the fields on opening

    def dumps(self) -> bytes:
        return json.dumps({**dataclasses.asdict(self), "look": dataclasses.astuple(self.look)}, ensure_ascii=False).encode("utf-8")

    @classmethod
    def loads(cls, data: bytes) -> "Prepared":
        found = json.loads(data)
        found["look"] = TableLook(*found["look"])
        found["toc_styles"] = {int(k): v for k, v in found["toc_styles"].items()}
        return cls(**found)


def prepare(path: Path, raw: bytes, parts: dict[str, bytes]) -> Prepared:
    from docxtpl import DocxTemplate  # heavy import, only when a skin is first prepared

    _check_skin(path, parts["word/document.xml"])
    restored, look = restore(parts)
    sections = Sections.of(parts["word/document.xml"])
    tpl = DocxTemplate(io.BytesIO(raw))
    patched = {}
    for name, data in parts.items():
        text = restored.get(name, data).decode("utf-8") if _XML_PARTS.fullmatch(name) else ""
        if not _JINJA.search(text):
            continue
        source = unescape_tags(tpl.patch_xml(text))
        if name == "word/document.xml":  # the closing page setup follows the last pages' orientation
            source = _BODY_SECTION.sub("{{ doc | docx_closing_section }}", source, count=1)
        patched[name] = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)
    settings = parts.get(SETTINGS_PART)
    updating = ask_to_update_fields(settings).decode("utf-8") if settings and SETTINGS_PART not in patched else None
    return Prepared({n: d.decode("utf-8") for n, d in restored.items()}, look, sections.portrait, sections.landscape,
                    toc_style_ids(parts.get("word/styles.xml")), patched, updating)


_PREPARED_BY = ("docx.py", "docx_look.py")  # the code a prepared skin depends on, with docxtpl's patching


def _kept(raw: bytes) -> Path | None:
    """Where our own skin's preparation is kept: named by the package and the code that prepares it."""
    import hashlib
    import importlib.util

    from ..env import cache_dir

    digest = hashlib.sha256(raw)
    try:
        here = Path(__file__).parent
        docxtpl = importlib.util.find_spec("docxtpl")
        for code in [here / n for n in _PREPARED_BY] + [Path(docxtpl.origin).parent / "template.py"]:
            digest.update(code.read_bytes())
    except (OSError, AttributeError, TypeError, ValueError):
        return None
    return cache_dir() / "word-skins" / f"{digest.hexdigest()}.json"


def prepared(path: Path, raw: bytes, keep: bool) -> tuple[Prepared, list[zipfile.ZipInfo]]:
    """The skin's preparation and its package's members. ``keep``: ours, whose preparation is read back
    from the cache folder when the package and the code are the same."""
    kept = _kept(raw) if keep else None
    if kept is not None:
        try:
            found = Prepared.loads(kept.read_bytes())
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                return found, z.infolist()
        except (OSError, ValueError, TypeError, KeyError, zipfile.BadZipFile):
            pass  # not kept yet, or unreadable: prepared afresh
    entries = read_package(path, raw)
    found = prepare(path, raw, {info.filename: data for info, data in entries})
    if kept is not None:
        _keep(kept, found.dumps())
    return found, [info for info, _ in entries]


def _keep(path: Path, data: bytes) -> None:
    """Written whole or not at all; a folder that cannot be written only costs time."""
    from ..api import write_atomic
    from ..errors import UserError

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, data)
    except (OSError, UserError):
        pass


class CompiledDocx:
    """A .docx template whose Jinja parts are patched and compiled once; its other parts are copied into each
    report as the package holds them, compressed (the ones filled back are deflated once)."""

    def __init__(self, path: Path, raw: bytes, env: Any, check: bool = True):
        from ..env import from_source  # the template machinery: not for --help, which lists this format

        self.path, self.raw, self.check = path, raw, check
        skin, entries = prepared(path, raw, keep=not check)
        self.look = skin.look
        sections = Sections(skin.portrait, skin.landscape)
        env.filters.update(docx_table=functools.partial(table_xml, look=self.look), docx_section=sections.break_xml,
                           docx_closing_section=sections.closing, docx_anchor=heading_anchor,
                           docx_toc=functools.partial(toc_xml, styles=skin.toc_styles))
        self.infos = entries
        self.templates = {name: from_source(env, source, name) for name, source in skin.patched.items()}
        self.fixed = {info.filename: self._member(info, skin.restored.get(info.filename))
                      for info in entries if info.filename not in self.templates}
        self.updating_fields = {SETTINGS_PART: self._member(next(i for i in entries if i.filename == SETTINGS_PART),
                                                            skin.updating)} if skin.updating is not None else {}

    def _member(self, info: zipfile.ZipInfo, text: str | None) -> _Member:
        """A part as the package holds it, or deflated from the text that replaces it."""
        if text is not None:
            return _Member.deflated(info, text.encode("utf-8"))
        return _Member.copied(info, self.raw)

    @functools.cached_property
    def _listing(self) -> Any:
        from docxtpl import DocxTemplate

        return DocxTemplate(io.BytesIO(self.raw))

    def _render_part(self, name: str, context: dict) -> bytes:
        xml = self.templates[name].render(context)
        for line, paragraph in _PARAGRAPH_LINES:
            xml = xml.replace(line, paragraph)
        if "{_" in xml or "_}" in xml:
            xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        # a character test first: the pattern, tried at every <w:t>, costs more than the rest of this pass
        if "\n" in xml or "\t" in xml:
            xml = _breaks(xml)
        if ("\a" in xml or "\f" in xml) and _LISTING.search(xml):  # a new paragraph or page break: docxtpl's pass
            xml = self._listing.resolve_listing(xml)
        data = xml.encode("utf-8")
        if self.check:
            well_formed(data, name)
        return data

    def render(self, context: dict, update_fields: bool = False) -> bytes:
        fixed = {**self.fixed, **self.updating_fields} if update_fields else self.fixed
        return _zip([fixed.get(info.filename) or _Member.deflated(info, self._render_part(info.filename, context), level=3)
                     for info in self.infos])


STRICT_OOXML = b"http://purl.oclc.org/ooxml/wordprocessingml/main"


def _check_skin(path: Path, document: bytes) -> None:
    """What no repair can make work: refused with what to do, before anything renders."""
    if STRICT_OOXML in document:
        raise TemplateProblem(f"Word 模板 {path} 无法使用：它是“Strict Open XML 文档”格式，请在 Word 中另存为“Word 文档 (*.docx)”")
    if b"docx_table" not in document:
        raise TemplateProblem(f"Word 模板 {path} 无法使用：正文中没有输出表格的 {{{{p b | docx_table }}}} 段落，"
                              "报告中的表格会丢失（可从 reporttool templates export 导出的 report.docx 复制）")


SETTINGS_PART = "word/settings.xml"
# what may follow w:updateFields in w:settings (ECMA-376 CT_Settings): it goes before the first of these
_AFTER_UPDATE_FIELDS = frozenset(
    W + n for n in ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "attachedSchema",
                    "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures",
                    "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary",
                    "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator")) | {
    "{http://schemas.openxmlformats.org/officeDocument/2006/math}mathPr"}


def ask_to_update_fields(settings: bytes) -> bytes:
    """settings.xml with <w:updateFields w:val="true"/> where Word's schema wants it."""
    etree = safe_xml()[0]
    root = parse_xml(settings)
    for old in root.findall(W + "updateFields"):
        root.remove(old)
    flag = etree.Element(W + "updateFields")
    flag.set(W + "val", "true")
    later = next((i for i, child in enumerate(root) if child.tag in _AFTER_UPDATE_FIELDS), len(root))
    root.insert(later, flag)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


_TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
_STYLE_REFS = frozenset(W + n for n in ("pStyle", "rStyle", "tblStyle"))


def fonts_used(package: bytes) -> list[str]:
    """The fonts a Word file's text is set in (Latin and East Asian), each once, defaults first, then as the text uses them.

    Read from the runs and from the styles the text uses (with the styles they are based on), so a
    style nothing uses does not count.
    """
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        names = z.namelist()
        parts = [parse_xml(z.read(n)) for n in names if _TEXT_PARTS.fullmatch(n)]
        styles = parse_xml(z.read("word/styles.xml")) if "word/styles.xml" in names else safe_xml()[0].Element("x")
    based_on, own, found = {}, {}, {}
    for style in styles.iter(W + "style"):
        base = style.find(W + "basedOn")
        based_on[style.get(W + "styleId")] = base.get(W + "val") if base is not None else None
        own[style.get(W + "styleId")] = [f for el in style.iter(W + "rFonts") for f in _fonts(el)]

    def use(sid: str | None) -> None:
        seen = set()
        while sid in own and sid not in seen:
            seen.add(sid)
            found.update(dict.fromkeys(own[sid]))
            sid = based_on[sid]

    for defaults in styles.iter(W + "docDefaults"):
        found.update(dict.fromkeys(f for el in defaults.iter(W + "rFonts") for f in _fonts(el)))
    use(next((s.get(W + "styleId") for s in styles.iter(W + "style")
              if s.get(W + "type") == "paragraph" and s.get(W + "default") in ("1", "true")), None))
    for part in parts:
        for el in part.iter(W + "rFonts", *_STYLE_REFS):
            if el.tag == W + "rFonts":
                found.update(dict.fromkeys(_fonts(el)))
            else:
                use(el.get(W + "val"))
    return list(found)


def _fonts(element: Any) -> list[str]:
    return [f for f in (element.get(W + "ascii"), element.get(W + "eastAsia")) if f]


def compile_skin(templates: Any) -> CompiledDocx:
    env = templates.env("docx")
    path, raw = templates.read_binary(FORMAT.skin, MAX_PACKAGE_BYTES)
    # a user's template may write any text; ours are checked by the tests (every example, every character)
    return CompiledDocx(path, raw, env, check=templates.sandboxed)


def render(compiled: CompiledDocx, doc: Document) -> bytes:
    return compiled.render({"doc": doc}, update_fields=doc.update_fields)


FORMAT = OutputFormat("docx", ".docx", "Word", "report.docx", compile_skin, render,
                      media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
