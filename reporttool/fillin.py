"""The fill-in workbook: a report's whole model as sheets a clerk fills in Excel, and read back."""

from __future__ import annotations

from .xlsxread import Workbook
from .yamlio import Source


def is_fillin(book: Workbook) -> bool:
    return False


def read(book: Workbook) -> tuple[dict, Source]:
    raise NotImplementedError


def write_workbook(kind: str, data: dict | None, note: str = "") -> bytes:
    raise NotImplementedError
