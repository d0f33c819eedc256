"""The small public API: load, validate, render."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from .annexes import ANNEXES, annex_plan, resolve_names
from .checks import run_rules
from .errors import ERROR, Problem, UserError, ValidationFailed
from .formats import ANNEX_FORMATS, FORMATS as _REGISTRY, REPORT_FORMATS, describe
from .loading import load, source_of
from .model import ReportBase
from .outline import Outline, outline_problems
from .templates import TemplateSet, template_set
from .view import view

STATE_FILE = ".reporttool-state.json"  # what reporttool last wrote in a folder, by file name and hash
FORMATS = REPORT_FORMATS


def outline_for(report: ReportBase, outline: Outline | None, templates: TemplateSet) -> Outline:
    if outline is None:
        return templates.outline(report.kind)
    if outline.kind != report.kind:
        raise UserError(f"大纲是 {outline.kind} 类型，报告是 {report.kind} 类型，两者不符")
    return outline


def validate(report: ReportBase, outline: Outline | None = None, templates: TemplateSet | None = None) -> list[Problem]:
    """Every rule problem (errors and warnings) of a loaded report, in file order."""
    templates = templates or template_set()
    problems = run_rules(report) + outline_problems(outline_for(report, outline, templates), report)
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


@contextlib.contextmanager
def disk_errors() -> Iterator[None]:
    """A full disk or a missing folder is the user's to fix: a message, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"无法写入 {exc.filename or '输出目录'}：{exc.strerror or exc}"
                        "（请检查目录是否存在、是否有写入权限、磁盘是否已满）") from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, so a crash leaves the old file or the new one."""
    with disk_errors():
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
    formats = _checked_formats(formats, REPORT_FORMATS, "输出格式")
    templates = templates or template_set()
    doc = templates.build(report, outline_for(report, outline, templates))
    return {fmt: templates.render(fmt, doc) for fmt in formats}


def _checked_formats(formats: Iterable[str], allowed: tuple[str, ...], what: str) -> list[str]:
    formats = list(formats)
    for fmt in formats:
        if fmt not in allowed:
            raise UserError(f"不支持的{what} {fmt!r}，可选：{describe(allowed)}")
    return formats


def check_annex_names(report: ReportBase, only: Iterable[str] | None, templates: TemplateSet,
                      outline: Outline | None = None) -> list[str] | None:
    """Annex ids (or Chinese titles) asked for, checked against what this report carries."""
    if only is None:
        return None
    outline = outline_for(report, outline, templates)
    names = resolve_names(list(only))
    plan = annex_plan(view(report), outline.annexes)
    carried = {a.name for _, a in plan}
    for name in names:
        if name not in carried:
            offered = "、".join(f"{a.name}（{a.title}）" for _, a in plan)
            why = "没有这个附件" if name not in ANNEXES else f"本报告没有附件“{ANNEXES[name].title}”（报告类型不适用或缺少所需数据）"
            raise UserError(f"{why}：{name}；可选：{offered}")
    return names


def annex_bytes(report: ReportBase, formats: Iterable[str] = ANNEX_FORMATS, only: Iterable[str] | None = None, *,
                templates: TemplateSet | None = None, outline: Outline | None = None) -> dict[str, bytes]:
    """The annex tables alone: {format: file content}."""
    formats = _checked_formats(formats, ANNEX_FORMATS, "附件格式")
    templates = templates or template_set()
    names = check_annex_names(report, only, templates, outline)
    tables = templates.annex_tables(report, names, outline_for(report, outline, templates))
    doc = templates.annex_document(report, tables)
    return {fmt: templates.render(fmt, doc) for fmt in formats}


def _refuse_errors(report: ReportBase, force: bool, templates: TemplateSet, outline: Outline | None,
                   problems: list[Problem] | None) -> None:
    errors = errors_only(validate(report, outline, templates) if problems is None else problems)
    if errors and not force:
        raise ValidationFailed(f"输入有 {len(errors)} 个错误，未生成报告（修正后重试，或用 --force 强制生成）", errors)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_state(folder: Path) -> dict[str, str]:
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        return {k: v for k, v in state.get("files", {}).items() if isinstance(v, str)}
    except (OSError, ValueError, AttributeError):
        return {}


def _backup(path: Path) -> Path:
    n = 1
    while True:
        bak = path.with_name(path.name + (".bak" if n == 1 else f".bak{n}"))
        if not bak.exists():
            shutil.copy2(path, bak)
            return bak
        n += 1


def write_outputs(files: dict[Path, bytes], force: bool = False) -> list[Path]:
    """Write files without destroying hand edits.

    A file already there is replaced only if it is byte for byte what reporttool last wrote to it;
    otherwise nothing is written unless ``force``, which first keeps a .bak copy.
    """
    touched = []
    for path in files:
        if path.exists() and _read_state(path.parent).get(path.name) != _digest(path.read_bytes()):
            touched.append(path)
    if touched and not force:
        names = "、".join(str(p) for p in touched)
        raise UserError(f"未覆盖：{names} 在上次生成之后被修改过（或不是 reporttool 生成的）。"
                        "为免丢失手工修改，请另选输出目录；确需覆盖请加 --force（会先备份为 .bak）")
    with disk_errors():
        for path in touched:
            _backup(path)
    for path, data in files.items():
        write_atomic(path, data)
    for folder in {p.parent for p in files}:
        state = _read_state(folder)
        state.update({p.name: _digest(d) for p, d in files.items() if p.parent == folder})
        write_atomic(folder / STATE_FILE, json.dumps({"files": state}, ensure_ascii=False, indent=1).encode("utf-8"))
    return list(files)


def _write_all(report: ReportBase, rendered: dict[str, bytes], outdir: str | Path, name: str, force: bool) -> list[Path]:
    stem = Path(source_of(report).file).stem
    stem = "report" if not stem or stem.startswith("<") else stem
    return write_outputs({Path(outdir) / f"{stem}{name}{_REGISTRY[fmt].suffix}": data for fmt, data in rendered.items()}, force)


def render(report: ReportBase, formats: Iterable[str] = FORMATS, outdir: str | Path = ".", *,
           force: bool = False, templates: TemplateSet | None = None, outline: Outline | None = None,
           problems: list[Problem] | None = None) -> list[Path]:
    """Validate, render every format in memory, then write them; returns the paths written.

    ``force`` renders despite rule errors and overwrites hand-edited outputs (keeping a .bak).
    ``problems``: what ``validate`` already found for this report, so it is not checked twice.
    """
    templates = templates or template_set()
    _refuse_errors(report, force, templates, outline, problems)
    return _write_all(report, render_bytes(report, formats, templates=templates, outline=outline), outdir, "", force)


def render_annexes(report: ReportBase, formats: Iterable[str] = ANNEX_FORMATS, outdir: str | Path = ".",
                   only: Iterable[str] | None = None, *, force: bool = False, templates: TemplateSet | None = None,
                   outline: Outline | None = None, problems: list[Problem] | None = None) -> list[Path]:
    """Write the annex tables alone as <name>-附件.docx/.xlsx/.md."""
    templates = templates or template_set()
    _refuse_errors(report, force, templates, outline, problems)
    rendered = annex_bytes(report, formats, only, templates=templates, outline=outline)
    return _write_all(report, rendered, outdir, "-附件", force)


__all__ = ["load", "validate", "view", "render", "render_bytes", "render_annexes", "annex_bytes", "FORMATS", "ANNEX_FORMATS"]
