"""An official 项目支出绩效自评表 (.xlsx) read back into project_self data."""

from __future__ import annotations

from .xlsxread import Workbook
from .yamlio import Source


def read_form(book: Workbook) -> tuple[dict, Source] | None:
    """The form's data and where each field sits, or None when no sheet looks like a 自评表."""
    return None
