"""Output formats, registered here and nowhere else: one module each.

A format names its file suffix, the skin it draws with (a template in the template folder,
compiled once per template set), whether it holds a whole report or only the annex tables, and
whether it needs the office suite. ``render``, ``annex``, the CLI's choices and its help read this
registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..document import Document


@dataclass(frozen=True)
class OutputFormat:
    name: str                                   # what -f takes: docx
    suffix: str                                 # .docx
    title: str                                  # Word
    skin: str | None                            # template file it draws with, or None
    compile: Callable[[Any], Any]               # (TemplateSet) -> the compiled skin
    render: Callable[[Any, Document], bytes]    # (compiled skin, document) -> file content
    full_report: bool = True                    # False: the annex tables only
    needs_office: bool = False


def _registry() -> dict[str, OutputFormat]:
    from . import docx, markdown, xlsx

    return {f.name: f for f in (docx.FORMAT, markdown.FORMAT, xlsx.FORMAT)}


FORMATS: dict[str, OutputFormat] = _registry()
REPORT_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if f.full_report)
ANNEX_FORMATS: tuple[str, ...] = tuple(FORMATS)
SKINS: tuple[OutputFormat, ...] = tuple(f for f in FORMATS.values() if f.skin)


def describe(names: tuple[str, ...]) -> str:
    """For help texts: docx（Word）、md（Markdown）"""
    return "、".join(f"{n}（{FORMATS[n].title}）" for n in names)
