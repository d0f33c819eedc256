"""A report's data as YAML text that reads back to the same model (convert, next year's file)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import yaml

from .model import ReportBase

FIRST = ("kind", "year")  # a reader sees what the file is before anything else


class _Dumper(yaml.SafeDumper):
    pass


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    text = format(value, "f")  # 1E+3 is written 1000: the figure as a clerk would type it
    return dumper.represent_scalar("tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int", text)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:  # a paragraph per line, kept as written
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_str(value)


def _date(dumper: yaml.SafeDumper, value: date) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


def _none(dumper: yaml.SafeDumper, value: None) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "")  # "key:" and nothing: a field to fill in


_Dumper.add_representer(Decimal, _decimal)
_Dumper.add_representer(type(None), _none)
_Dumper.add_representer(str, _str)
_Dumper.add_representer(date, _date)
_Dumper.add_representer(tuple, yaml.SafeDumper.represent_list)


def plain(value: Any) -> Any:
    """Model data as plain mappings, lists and scalars (subclasses such as a typed number made plain)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return Decimal(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    return value


def report_data(report: ReportBase) -> dict:
    """What the user gave, without the defaults they did not change: kind and year first, then the kind's own
    blocks (project, funds…), then what every kind has."""
    data = report.model_dump(exclude_defaults=True)
    data["kind"] = report.kind
    own = [k for k in type(report).model_fields if k not in ReportBase.model_fields]
    order = [*FIRST, *own, *ReportBase.model_fields]
    return plain({k: data[k] for k in order if k in data})


def dump(data: dict, header: str = "") -> str:
    """YAML text of plain report data; ``header`` lines become comments at the top."""
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000, indent=2)
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comments + body


def dump_report(report: ReportBase, header: str = "") -> str:
    return dump(report_data(report), header)
