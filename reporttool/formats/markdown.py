"""Markdown: the report.md.j2 skin, with GFM tables whose merged cells are shown once."""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any

from markupsafe import Markup

from ..document import Document, Table, Toc
from ..text import clean_text, md_escape
from . import OutputFormat

_SEP = {"left": ":---", "center": ":---:", "right": "---:"}


def _cell_text(text: str, bold: bool) -> str:
    text = md_escape(clean_text(text)).replace("\n", "<br>")
    return f"**{text}**" if bold and text else text


def md_table(table: Table) -> Markup:
    lines = []
    if table.caption:
        lines += [f"**{md_escape(table.caption)}**", ""]
    if table.unit:
        lines += [md_escape(table.unit), ""]
    for r, row in enumerate(table.rows):
        cells = ["" if c.covered else _cell_text(c.text, c.bold and r >= table.header_rows) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
        if r == 0:
            lines.append("| " + " | ".join(_SEP[col.align] for col in table.columns) + " |")
    return Markup("\n".join(lines))


def slug(text: str) -> str:
    """The anchor GitHub and most Markdown viewers give a heading: lower case, punctuation dropped, spaces to hyphens."""
    return "".join(c for c in text.lower() if c in " -_" or unicodedata.category(c)[0] in "LNM").replace(" ", "-")


def heading_anchors(doc: Document) -> dict[int, str]:
    """Each heading's anchor by seq; a repeated one gets -1, -2 … in document order, the title counted first."""
    seen: Counter = Counter([slug(doc.title)] if doc.title else [])
    anchors = {}
    for heading in doc.headings():
        base = slug(heading.text)
        anchors[heading.seq] = f"{base}-{seen[base]}" if seen[base] else base
        seen[base] += 1
    return anchors


def md_toc(toc: Toc, doc: Document) -> Markup:
    """目录 as a list of links to the headings, level 2 indented under level 1."""
    anchors = heading_anchors(doc)
    lines = [f"**{md_escape(toc.title)}**", ""]
    lines += [f"{'  ' * (e.level - 1)}- [{md_escape(clean_text(e.text))}](#{anchors[e.seq]})" for e in toc.entries]
    return Markup("\n".join(lines))


def heading_marks(level: int) -> str:
    """One # more than the heading's level: the title is the only #."""
    return "#" * (level + 1)


def compile_skin(templates: Any) -> Any:
    env = templates.env("markdown")
    env.filters.update(md_table=md_table, md_toc=md_toc, heading_marks=heading_marks)
    return env.get_template(FORMAT.skin)


def render(template: Any, doc: Document) -> bytes:
    return (template.render(doc=doc).rstrip("\n") + "\n").encode("utf-8")


FORMAT = OutputFormat("md", ".md", "Markdown", "report.md.j2", compile_skin, render,
                      media_type="text/markdown; charset=utf-8")
