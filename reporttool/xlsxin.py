"""A workbook handed to reporttool as report data: the fill-in workbook (``reporttool new -o x.xlsx``) or an
official 项目支出绩效自评表, told apart by what the sheets say."""

from __future__ import annotations

from .errors import InputError, Problem
from .xlsxread import read_workbook
from .yamlio import Source


def workbook_data(raw: bytes, file: str) -> tuple[dict, Source]:
    from . import fillin

    book = read_workbook(raw, file)
    if fillin.is_fillin(book):
        return fillin.read(book)
    from .formread import read_form

    found = read_form(book)
    if found is not None:
        return found
    raise InputError("无法识别的 Excel 工作簿", [Problem(
        message="既不是 reporttool 的填报工作簿（reporttool new 报告类型 -o 文件.xlsx 生成），"
                "也不是能识别的项目支出绩效自评表（找不到“项目名称”“年度指标值”等表头）", file=file, rule="xlsx.kind")])
