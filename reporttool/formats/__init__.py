"""Output formats, registered here and nowhere else: one module each.

A format names its file suffix, the skin it draws with (a template in the template folder,
compiled once per template set), whether it holds a whole report or only the annex tables, and
whether it needs the office suite. ``render``, ``annex``, the CLI's choices and its help read this
registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..document import Document
from ..office import SUITE


@dataclass(frozen=True)
class OutputFormat:
    name: str                                   # what -f takes: docx
    suffix: str                                 # .docx
    title: str                                  # Word
    skin: str | None                            # template file it draws with, or None
    compile: Callable[[Any], Any]               # (TemplateSet) -> the compiled skin
    render: Callable[[Any, Document], bytes]    # (compiled skin, document) -> file content
    full_report: bool = True                    # False: the annex tables only
    needs_office: bool = False                  # made by the office suite: never a default, and it takes seconds
    # (document, file content) -> the document with its table of contents numbered as this file lays out the pages
    paginate: Optional[Callable[[Document, bytes], Document]] = None
    media_type: str = "application/octet-stream"  # what a download of it is sent as


def _registry() -> dict[str, OutputFormat]:
    from . import docx, markdown, pdf, xlsx

    return {f.name: f for f in (docx.FORMAT, markdown.FORMAT, xlsx.FORMAT, pdf.FORMAT)}


FORMATS: dict[str, OutputFormat] = _registry()
REPORT_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if f.full_report)
ANNEX_FORMATS: tuple[str, ...] = tuple(FORMATS)
DEFAULT_REPORT_FORMATS: tuple[str, ...] = tuple(n for n in REPORT_FORMATS if not FORMATS[n].needs_office)
DEFAULT_ANNEX_FORMATS: tuple[str, ...] = tuple(n for n in ANNEX_FORMATS if not FORMATS[n].needs_office)
SKINS: tuple[OutputFormat, ...] = tuple(f for f in FORMATS.values() if f.skin)


def describe(names: tuple[str, ...]) -> str:
    """For help texts: docx（Word）、md（Markdown）、pdf（PDF，需要 LibreOffice）"""
    return "、".join(f"{n}（{FORMATS[n].title}{f'，需要 {SUITE}' if FORMATS[n].needs_office else ''}）" for n in names)
