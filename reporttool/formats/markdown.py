"""Markdown: the report.md.j2 skin, with GFM tables whose merged cells are shown once."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ..document import Document, Table
from ..env import clean_text, md_escape
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


def heading_marks(level: int) -> str:
    """One # more than the heading's level: the title is the only #."""
    return "#" * (level + 1)


def compile_skin(templates: Any) -> Any:
    env = templates.env("markdown")
    env.filters.update(md_table=md_table, heading_marks=heading_marks)
    return env.get_template(FORMAT.skin)


def render(template: Any, doc: Document) -> bytes:
    return (template.render(doc=doc).rstrip("\n") + "\n").encode("utf-8")


FORMAT = OutputFormat("md", ".md", "Markdown", "report.md.j2", compile_skin, render)
