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


def _differences(a: object, b: object, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in dict.fromkeys([*a, *b]) for d in _differences(a.get(k), b.get(k), f"{path}.{k}" if path else k)]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


def convert(source: str | Path, target: str | Path) -> tuple[bytes, list]:
    """``source`` (.yaml or .xlsx) as the file ``target`` names: (its bytes, problems to show).

    A valid report converts losslessly — the result is read back and compared, field by field, before
    anything is written. Data that does not validate yet (a file still being filled) converts as it is,
    with its problems listed, unless it holds fields the target cannot carry.
    """
    from .errors import InputError, UserError
    from .loading import load_data, parse
    from .model import REPORT_KINDS
    from .yamlout import plain, report_data

    data, src = load_data(source)
    kind = data.get("kind")
    try:
        report = parse(data, src)
    except InputError as exc:
        if kind not in REPORT_KINDS:
            raise
        unknown = [p for p in exc.problems if p.rule == "schema.extra_forbidden"]
        if unknown:
            raise UserError(f"{source} 中有 {len(unknown)} 个不认识的字段，转换后会丢失，请先修正", unknown) from None
        return data_bytes(kind, plain(data), target, f"由 reporttool convert 从 {Path(source).name} 转换"), exc.problems
    normal = report_data(report)
    out = data_bytes(report.kind, normal, target, f"由 reporttool convert 从 {Path(source).name} 转换")
    back = _read_back(out, target)
    lost = _differences(report.model_dump(), back.model_dump())
    if lost:
        raise UserError(f"转换为 {Path(target).suffix} 会改变这些字段，未写入：{'、'.join(lost[:20])}")
    return out, list(src.warnings)


def _read_back(raw: bytes, target: str | Path):
    from .loading import parse
    from .yamlio import loads

    if is_workbook_name(target):
        from .xlsxin import workbook_data
        return parse(*workbook_data(raw, str(target)))
    return parse(*loads(raw.decode("utf-8"), str(target)))
