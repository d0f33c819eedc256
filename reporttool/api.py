"""The small public API: load, validate, render."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

from .annexes import ANNEXES, annex_plan, resolve_names
from .checks import run_rules
from .errors import ERROR, Problem, UserError, ValidationFailed
from .loading import load, source_of
from .model import ReportBase
from .outline import Outline, outline_problems
from .templates import TemplateSet, template_set

FORMATS = ("docx", "md")
ANNEX_FORMATS = ("docx", "xlsx", "md")


def validate(report: ReportBase, outline: Outline | None = None, templates: TemplateSet | None = None) -> list[Problem]:
    """Every rule problem (errors and warnings) of a loaded report, in file order."""
    templates = templates or template_set()
    problems = run_rules(report) + outline_problems(outline or templates.outline(report.kind), report)
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, so a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp makes 0600 files; give the mode a plain open() would (or keep the old file's).
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def render_bytes(report: ReportBase, formats: Iterable[str] = FORMATS, *, templates: TemplateSet | None = None,
                 outline: Outline | None = None) -> dict[str, bytes]:
    """Render to memory: {format: file content}."""
    templates = templates or template_set()
    doc = templates.build(report, outline)
    out: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "md":
            out[fmt] = templates.markdown(doc).encode("utf-8")
        elif fmt == "docx":
            out[fmt] = templates.docx(doc)
        else:
            raise UserError(f"不支持的输出格式 {fmt!r}，可选：{'、'.join(FORMATS)}")
    return out


def check_annex_names(report: ReportBase, only: Iterable[str] | None, templates: TemplateSet,
                      outline: Outline | None = None) -> list[str] | None:
    """Annex ids (or Chinese titles) asked for, checked against what this report carries."""
    if only is None:
        return None
    outline = outline or templates.outline(report.kind)
    names = resolve_names(list(only))
    carried = {a.name for _, a in annex_plan(report, outline.annexes)}
    for name in names:
        if name not in carried:
            offered = "、".join(f"{a.name}（{a.title}）" for _, a in annex_plan(report, outline.annexes))
            why = "没有这个附件" if name not in ANNEXES else f"本报告没有附件“{ANNEXES[name].title}”（报告类型不适用或缺少所需数据）"
            raise UserError(f"{why}：{name}；可选：{offered}")
    return names


def annex_bytes(report: ReportBase, formats: Iterable[str] = ANNEX_FORMATS, only: Iterable[str] | None = None, *,
                templates: TemplateSet | None = None, outline: Outline | None = None) -> dict[str, bytes]:
    """The annex tables alone: {format: file content}."""
    templates = templates or template_set()
    names = check_annex_names(report, only, templates, outline)
    out: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "xlsx":
            from .render_xlsx import workbook
            out[fmt] = workbook(templates.annex_tables(report, names, outline))
        elif fmt in ("docx", "md"):
            doc = templates.annex_document(report, names, outline)
            out[fmt] = templates.docx(doc) if fmt == "docx" else templates.markdown(doc).encode("utf-8")
        else:
            raise UserError(f"不支持的附件格式 {fmt!r}，可选：{'、'.join(ANNEX_FORMATS)}")
    return out


def _refuse_errors(report: ReportBase, force: bool, templates: TemplateSet, outline: Outline | None) -> None:
    errors = errors_only(validate(report, outline, templates))
    if errors and not force:
        raise ValidationFailed(f"输入有 {len(errors)} 个错误，未生成报告（修正后重试，或用 --force 强制生成）", errors)


def _write_all(report: ReportBase, rendered: dict[str, bytes], outdir: str | Path, name: str) -> list[Path]:
    stem = Path(source_of(report).file).stem
    stem = "report" if not stem or stem.startswith("<") else stem
    paths = []
    for fmt, data in rendered.items():
        path = Path(outdir) / f"{stem}{name}.{fmt}"
        write_atomic(path, data)
        paths.append(path)
    return paths


def render(report: ReportBase, formats: Iterable[str] = FORMATS, outdir: str | Path = ".", *,
           force: bool = False, templates: TemplateSet | None = None, outline: Outline | None = None) -> list[Path]:
    """Validate, render every format in memory, then write them; returns the paths written."""
    templates = templates or template_set()
    _refuse_errors(report, force, templates, outline)
    return _write_all(report, render_bytes(report, formats, templates=templates, outline=outline), outdir, "")


def render_annexes(report: ReportBase, formats: Iterable[str] = ANNEX_FORMATS, outdir: str | Path = ".",
                   only: Iterable[str] | None = None, *, force: bool = False, templates: TemplateSet | None = None,
                   outline: Outline | None = None) -> list[Path]:
    """Write the annex tables alone as <name>-附件.docx/.xlsx/.md."""
    templates = templates or template_set()
    _refuse_errors(report, force, templates, outline)
    rendered = annex_bytes(report, formats, only, templates=templates, outline=outline)
    return _write_all(report, rendered, outdir, "-附件")


__all__ = ["load", "validate", "render", "render_bytes", "render_annexes", "annex_bytes", "FORMATS", "ANNEX_FORMATS"]
