"""The look of the Word output as report.docx defines it: the styles the tables name, the fonts' fallbacks.

The tables take their look from styles (``tools/make_docx_template.py`` builds them), so a user
who edits report.docx in Word or LibreOffice changes it. A template saved by LibreOffice renames
style ids (``rtTableText`` becomes ``RtTableText``, the name stays), drops the table style's
alignment, the font table's fallbacks and dates it cannot parse, and escapes quotes inside the
Jinja tags; this module reads such a template as it is and fills back only what is missing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Optional

TABLE_STYLE = "rtTable"          # table style: rules, cell margins, alignment
TEXT_STYLE = "rtTableText"       # paragraph style of table cells
HEAD_STYLE = "rtTableHead"       # header cells (based on rtTableText)
CAPTION_STYLE = "rtTableCaption"
UNIT_STYLE = "rtTableUnit"
# (id, type) in the order they are based on one another
TABLE_STYLES = ((TABLE_STYLE, "table"), (TEXT_STYLE, "paragraph"), (HEAD_STYLE, "paragraph"),
                (CAPTION_STYLE, "paragraph"), (UNIT_STYLE, "paragraph"))

FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
# The Chinese fonts the styles name, each with the face Word or WPS uses where the official font is missing.
FONT_TABLE = ((FANGSONG, "仿宋"), (KAITI, "楷体"), (XIAOBIAOSONG, "宋体"), (HEITI, "SimHei"), (SONGTI, "SimSun"))

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@functools.lru_cache(maxsize=1)
def safe_xml() -> tuple[Any, Any]:
    """lxml and a parser that resolves no entity and fetches nothing: imported only when a Word part is read."""
    from lxml import etree

    return etree, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse_xml(data: bytes) -> Any:
    etree, parser = safe_xml()
    return etree.fromstring(data, parser)


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


@dataclass(frozen=True)
class TableLook:
    """The style ids the tables name in this template, and the table style's alignment.

    LibreOffice reads a table style's rules and cell margins but not its alignment, so the
    alignment is copied onto each table: the style still decides it, in Word and in LibreOffice.
    """

    table: str = TABLE_STYLE
    text: str = TEXT_STYLE
    head: str = HEAD_STYLE
    caption: str = CAPTION_STYLE
    unit: str = UNIT_STYLE
    align: Optional[str] = "center"


_TAG_BODY = re.compile(r"(?<=\{[\{%])(.*?)(?=[\}%]})")
_ENTITY = re.compile(r"&(apos|quot|amp|#39|#34|#x27|#x22);")
_UNESCAPED = {"apos": "'", "quot": '"', "amp": "&", "#39": "'", "#34": '"', "#x27": "'", "#x22": '"'}


def unescape_tags(xml: str) -> str:
    """Quotes inside {{ }} / {% %} as Jinja reads them: LibreOffice writes ' as &apos; there."""
    return _TAG_BODY.sub(lambda m: _ENTITY.sub(lambda e: _UNESCAPED[e.group(1)], m.group(0)), xml)


def _styles(root: Any) -> tuple[dict[tuple[str, str], Any], dict[tuple[str, str], Any]]:
    by_id, by_name = {}, {}
    for style in root.iter(_w("style")):
        kind = style.get(_w("type"), "paragraph")
        by_id.setdefault((kind, style.get(_w("styleId"), "")), style)
        name = style.find(_w("name"))
        if name is not None:
            by_name.setdefault((kind, name.get(_w("val"), "")), style)
    return by_id, by_name


def _find(found: tuple[dict, dict], kind: str, name: str) -> Any:
    by_id, by_name = found
    return by_id.get((kind, name)) if (kind, name) in by_id else by_name.get((kind, name))


def _align(found: tuple[dict, dict], style: Any) -> Optional[str]:
    """The table style's alignment, through the styles it is based on; centred where none says."""
    for _ in range(10):  # a basedOn chain is short; a cycle must not loop
        jc = style.find(f"{_w('tblPr')}/{_w('jc')}")
        if jc is not None:
            value = jc.get(_w("val"))
            return {"start": "left", "end": "right"}.get(value, value) if value in (
                "left", "center", "right", "start", "end") else None
        based = style.find(_w("basedOn"))
        parent = found[0].get(("table", based.get(_w("val")))) if based is not None else None
        if parent is None:
            break
        style = parent
    return "center"


@functools.lru_cache(maxsize=1)
def _builtin_styles() -> bytes:
    import zipfile

    from ..templates import BUILTIN  # lazily: templates imports the formats

    with zipfile.ZipFile(BUILTIN / "report.docx") as z:
        return z.read("word/styles.xml")


def restore(parts: dict[str, bytes]) -> tuple[dict[str, bytes], TableLook]:
    """The parts of a template (member name -> bytes) that need filling in, and the tables' look."""
    styles, look = table_look(parts.get("word/styles.xml"))
    new = {"word/styles.xml": styles, "word/fontTable.xml": font_table(parts.get("word/fontTable.xml"))}
    if "docProps/core.xml" in parts:
        new["docProps/core.xml"] = dated(parts["docProps/core.xml"].decode("utf-8")).encode("utf-8")
    return {name: data for name, data in new.items() if data is not None and data != parts.get(name)}, look


def table_look(styles_xml: Optional[bytes]) -> tuple[Optional[bytes], TableLook]:
    """The template's styles.xml with any table style it lacks taken from the built-in template, and the look.

    A template made before the tables had styles, or one whose table styles were deleted, gets the
    built-in ones rather than tables without rules; a style the template has is never touched.
    """
    if styles_xml is None:
        return None, TableLook()
    etree = safe_xml()[0]
    root = parse_xml(styles_xml)
    found = _styles(root)
    builtin = None
    ids: dict[str, str] = {}
    for name, kind in TABLE_STYLES:
        style = _find(found, kind, name)
        if style is None:
            if builtin is None:
                builtin = _styles(parse_xml(_builtin_styles()))
            style = _copy_style(builtin[0][(kind, name)], ids, found)
            root.append(style)
            found[0][(kind, name)] = style
        ids[name] = style.get(_w("styleId"))
    look = TableLook(*(ids[name] for name, _ in TABLE_STYLES), align=_align(found, _find(found, "table", TABLE_STYLE)))
    changed = builtin is not None
    return (etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True) if changed else styles_xml), look


def _copy_style(style: Any, ids: dict[str, str], found: tuple[dict, dict]) -> Any:
    """A built-in style for another template: based on that template's own ids for our styles."""
    from copy import deepcopy

    copy = deepcopy(style)
    taken = {sid for _, sid in found[0]}
    sid = copy.get(_w("styleId"))
    while sid in taken:  # the id names another kind of style in this template
        sid += "Rt"
    copy.set(_w("styleId"), sid)
    based = copy.find(_w("basedOn"))
    if based is not None:
        parent = based.get(_w("val"))
        kind = copy.get(_w("type"), "paragraph")
        if parent in ids:
            based.set(_w("val"), ids[parent])
        elif _find(found, kind, parent) is None:
            copy.remove(based)  # e.g. TableNormal missing: the style stands alone
    return copy


def font_table(xml: Optional[bytes]) -> Optional[bytes]:
    """The template's font table with each official font's fallback face, where a save dropped it."""
    if xml is None:
        return None
    etree = safe_xml()[0]
    root = parse_xml(xml)
    fonts = {f.get(_w("name")): f for f in root.iter(_w("font"))}
    changed = False
    for name, alt in FONT_TABLE:
        font = fonts.get(name)
        if font is None:
            font = etree.SubElement(root, _w("font"))
            font.set(_w("name"), name)
        if font.find(_w("altName")) is None:
            element = etree.Element(_w("altName"))
            element.set(_w("val"), alt)
            font.insert(0, element)  # altName comes first in a font entry
            changed = True
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True) if changed else xml


CREATED = "{{ doc.created }}"


def dated(core: str) -> str:
    """core.xml whose created and modified dates are the rendering's; LibreOffice drops dates it cannot read."""
    if 'xmlns:dcterms="http://purl.org/dc/terms/"' not in core or "XMLSchema-instance" not in core:
        return core
    for what in ("created", "modified"):
        element = f'<dcterms:{what} xsi:type="dcterms:W3CDTF">{CREATED}</dcterms:{what}>'
        core, found = re.subn(rf"<dcterms:{what}\b[^>]*?(/>|>[^<]*</dcterms:{what}>)", element, core)
        if not found:
            core = core.replace("</cp:coreProperties>", element + "</cp:coreProperties>")
    return core
