"""Text as the outputs take it: characters XML cannot hold removed, Markdown's markers escaped.

Light on purpose: the output formats use it without loading the template machinery.
"""

from __future__ import annotations

import re

# Characters XML 1.0 forbids. Word's manual line break \x0b is kept apart: in paragraph text it
# survives as the in-paragraph break (a newline separates paragraphs), and each output maps it.
LINE_BREAK = "\x0b"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INVALID_KEEP_BREAK = re.compile("[\x00-\x08\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-]|\d+[.)])(?=\s|$)", re.M)

def clean_text(value: str, keep_breaks: bool = False) -> str:
    if value.isprintable():  # no control, surrogate or noncharacter: the common case, in C
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if keep_breaks:
        return _INVALID_KEEP_BREAK.sub("", value)
    return _INVALID_XML.sub("", value.replace(LINE_BREAK, "\n"))


def invalid_chars(value: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in _INVALID_XML.findall(value.replace("\x0b", ""))})


def _backslashed(m: re.Match) -> str:
    return "\\" + m.group(1)


def md_escape(value: str) -> str:
    return _MD_SPECIAL.sub(_backslashed, value)  # a function, not r"\\\1": re parses a template string at every call


def xml_escape(value: str) -> str:
    """Text for an XML element's content (the three characters that need it)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
