"""Markdown pieces: GFM tables with merged cells shown once and the covered cells left empty."""

from __future__ import annotations

from markupsafe import Markup

from .document import Table
from .env import clean_text, md_escape

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
