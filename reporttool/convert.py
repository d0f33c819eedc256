"""Report data saved as YAML or as a fill-in workbook, and converted between the two."""

from __future__ import annotations

from pathlib import Path

from .yamlout import dump

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def is_workbook_name(path: str | Path) -> bool:
    return Path(path).suffix.lower() in WORKBOOK_SUFFIXES


def data_bytes(kind: str, data: dict | None, path: str | Path, note: str = "") -> bytes:
    """The file for ``data`` (plain report data; None: the kind's example to fill in), by the name's suffix."""
    if is_workbook_name(path):
        from .fillin import write_workbook
        return write_workbook(kind, data, note)
    if data is None:
        from .templates import kind_file, template_set
        return template_set().find(kind_file(kind, "skeleton.yaml")).read_bytes()
    return dump(data, note).encode("utf-8")
