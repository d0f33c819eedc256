"""The small public API: load, validate, render."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Iterable, Iterator

from .annexes import ANNEXES, annex_plan, resolve_names
from .checks import run_rules
from .errors import ERROR, Problem, UserError, ValidationFailed, in_file_order
from .document import Document
from .formats import (ANNEX_FORMATS as _ANNEX_CHOICES, DEFAULT_ANNEX_FORMATS, DEFAULT_REPORT_FORMATS,
                      FORMATS as _REGISTRY, REPORT_FORMATS, describe)
from .forms import FormLayout
from .loading import load, no_cycle_collection, source_of
from .model import ReportBase
from .outline import Outline, outline_problems
from .templates import TemplateSet, template_set
from .view import view

STATE_DIR = ".reporttool"               # one record per output: the hashes of what reporttool wrote there
STATE_FILE = ".reporttool-state.json"  # the single record of earlier versions, still honoured when read
FORMATS = DEFAULT_REPORT_FORMATS  # what render writes unless told: not PDF, which needs the office suite
ANNEX_FORMATS = DEFAULT_ANNEX_FORMATS


def outline_for(report: ReportBase, outline: Outline | None, templates: TemplateSet) -> Outline:
    if outline is None:
        return templates.outline(report.kind)
    if outline.kind != report.kind:
        raise UserError(f"大纲是 {outline.kind} 类型，报告是 {report.kind} 类型，两者不符")
    return outline


def validate(report: ReportBase, outline: Outline | None = None, templates: TemplateSet | None = None) -> list[Problem]:
    """Every rule problem (errors and warnings) of a loaded report, in file order."""
    templates = templates or template_set()
    with no_cycle_collection():
        problems = run_rules(report) + outline_problems(outline_for(report, outline, templates), report)
        return in_file_order(problems)


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


_ERRNO_CN = {
    errno.ENOENT: "目录不存在", errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限", errno.ENOSPC: "磁盘已满",
    errno.ENAMETOOLONG: "文件名过长（请缩短输入文件的名字或输出目录的路径）", errno.EISDIR: "同名的是一个文件夹",
    errno.EROFS: "磁盘是只读的", errno.ENOTDIR: "路径中有一段不是文件夹",
}


@contextlib.contextmanager
def disk_errors() -> Iterator[None]:
    """A full disk or a missing folder is the user's to fix: a message, not a traceback."""
    try:
        yield
    except OSError as exc:
        why = _ERRNO_CN.get(exc.errno, exc.strerror or str(exc))
        raise UserError(f"无法写入 {exc.filename or '输出目录'}：{why}"
                        "（请检查目录是否存在、是否有写入权限、磁盘是否已满；Windows 上请先关闭在 Word 或 Excel 中打开的该文件）") from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, so a crash leaves the old file or the new one."""
    with disk_errors():
        fd, tmp = _temporary(path)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                # made with the mode a plain open() gives (0666 less the umask); an old file keeps its own
                old = _lstat(path)
                if old is not None and stat.S_ISREG(old.st_mode) and stat.S_IMODE(old.st_mode) != stat.S_IMODE(os.fstat(fd).st_mode):
                    os.chmod(tmp, stat.S_IMODE(old.st_mode))
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _temporary(path: Path) -> tuple[int, str]:
    """A new file beside ``path`` (its folder made if missing), open for writing."""
    made = False
    while True:
        tmp = os.path.join(path.parent, f".rt.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, _NEW_FILE, 0o666), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            if made:
                raise
            path.parent.mkdir(parents=True, exist_ok=True)  # another writer may be making it too
            made = True


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def render_bytes(report: ReportBase, formats: Iterable[str] = FORMATS, *, templates: TemplateSet | None = None,
                 outline: Outline | None = None, form: FormLayout | None = None) -> dict[str, bytes]:
    """Render to memory: {format: file content}. ``form``: the 自评表 layout (default: the report's own choice)."""
    formats = _checked_formats(formats, REPORT_FORMATS, "输出格式")
    templates = templates or template_set()
    with no_cycle_collection():
        doc = templates.build(report, outline_for(report, outline, templates), form)
        return _render_formats(templates, doc, formats)


def _render_formats(templates: TemplateSet, doc: Document, formats: list[str]) -> dict[str, bytes]:
    """Every format of one document. A laid-out format (PDF) comes first: its pages number the others' contents."""
    rendered = {}
    for fmt in sorted(formats, key=lambda f: _REGISTRY[f].paginate is None):
        rendered[fmt] = templates.render(fmt, doc)
        if _REGISTRY[fmt].paginate and len(formats) > 1:
            doc = _REGISTRY[fmt].paginate(doc, rendered[fmt])
    return {fmt: rendered[fmt] for fmt in formats}


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
                templates: TemplateSet | None = None, outline: Outline | None = None,
                form: FormLayout | None = None) -> dict[str, bytes]:
    """The annex tables alone: {format: file content}."""
    formats = _checked_formats(formats, _ANNEX_CHOICES, "附件格式")
    templates = templates or template_set()
    names = check_annex_names(report, only, templates, outline)
    with no_cycle_collection():
        tables = templates.annex_tables(report, names, outline_for(report, outline, templates), form)
        if not tables:
            raise UserError("本报告没有附件可生成（没有指标评分表、问题清单或预算执行表等所需的数据），未写入任何文件")
        return _render_formats(templates, templates.annex_document(report, tables), formats)


def _refuse_errors(report: ReportBase, force: bool, templates: TemplateSet, outline: Outline | None,
                   problems: list[Problem] | None) -> None:
    errors = errors_only(validate(report, outline, templates) if problems is None else problems)
    if errors and not force:
        raise ValidationFailed(f"输入有 {len(errors)} 个错误，未生成报告（修正后重试，或用 --force 强制生成）", errors)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record_path(path: Path) -> Path:
    # One small record per output, so writers of different outputs never share a file to lose.
    return path.parent / STATE_DIR / (hashlib.sha256(path.name.encode("utf-8")).hexdigest()[:24] + ".json")


def _accepted(path: Path) -> set[str]:
    """Hashes of what reporttool wrote (or was about to write) at ``path``."""
    try:
        record = json.loads(_record_path(path).read_text(encoding="utf-8"))
        hashes = {h for h in record.get("hashes", []) if isinstance(h, str)}
    except (OSError, ValueError, AttributeError):
        hashes = set()
    try:  # the single state file of earlier versions
        legacy = json.loads((path.parent / STATE_FILE).read_text(encoding="utf-8")).get("files", {})
        if isinstance(legacy.get(path.name), str):
            hashes.add(legacy[path.name])
    except (OSError, ValueError, AttributeError):
        pass
    return hashes


def _record(path: Path, hashes: set[str]) -> None:
    folder = path.parent / STATE_DIR
    found = _lstat(folder)
    if found is not None and not stat.S_ISDIR(found.st_mode):  # a file, or a link (even to a folder)
        raise UserError(f"{folder} 应为 reporttool 的记录文件夹，却是一个文件或链接；请删除或改名后重试")
    write_atomic(_record_path(path), json.dumps({"name": path.name, "hashes": sorted(hashes)}, ensure_ascii=False).encode("utf-8"))


def _current(path: Path) -> str | None:
    """The hash of the regular file at ``path``; None when there is nothing (or something else) there."""
    if not os.path.lexists(path):
        return None
    if path.is_symlink() or not path.is_file():
        return ""  # a link or a folder is never ours to overwrite quietly
    return _digest(path.read_bytes())


def _backup(path: Path) -> Path:
    """Copy ``path`` to the first free .bak name, never through a link that happens to sit there."""
    data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
    n = 1
    while True:
        bak = path.with_name(path.name + (".bak" if n == 1 else f".bak{n}"))
        try:
            fd = os.open(bak, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except FileExistsError:
            n += 1
            continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return bak


def write_outputs(files: dict[Path, bytes], force: bool = False) -> list[Path]:
    """Write files without destroying hand edits.

    A file already there is replaced only if it is byte for byte what reporttool last wrote to it;
    otherwise nothing is written unless ``force``, which first keeps a .bak copy. The record of a
    file is written once, before the file, holding the new hash and the one it replaces: a crash in
    between never makes a fresh file look hand-edited, and the old hash accepted besides is only ever
    a file reporttool wrote itself.
    """
    with disk_errors():
        current = {path: _current(path) for path in files}
        touched = [p for p, h in current.items() if h is not None and h not in _accepted(p)]
        if touched and not force:
            names = "、".join(str(p) for p in touched)
            raise UserError(f"未覆盖：{names} 在上次生成之后被修改过（或不是 reporttool 生成的）。"
                            "为免丢失手工修改，请另选输出目录；确需覆盖请加 --force（会先备份为 .bak）")
        for path in touched:
            _backup(path)
        for path, data in files.items():
            new = _digest(data)
            ours = current[path] if current[path] and path not in touched else None  # never a hand edit's hash
            _record(path, {new} | ({ours} if ours else set()))
            write_atomic(path, data)
    return list(files)


def _write_all(report: ReportBase, rendered: dict[str, bytes], outdir: str | Path, name: str, force: bool) -> list[Path]:
    stem = Path(source_of(report).file).stem
    stem = "report" if not stem or stem.startswith("<") else stem
    return write_outputs({Path(outdir) / f"{stem}{name}{_REGISTRY[fmt].suffix}": data for fmt, data in rendered.items()}, force)


def render(report: ReportBase, formats: Iterable[str] = FORMATS, outdir: str | Path = ".", *,
           force: bool = False, templates: TemplateSet | None = None, outline: Outline | None = None,
           problems: list[Problem] | None = None, form: FormLayout | None = None) -> list[Path]:
    """Validate, render every format in memory, then write them; returns the paths written.

    ``force`` renders despite rule errors and overwrites hand-edited outputs (keeping a .bak).
    ``problems``: what ``validate`` already found for this report, so it is not checked twice.
    """
    templates = templates or template_set()
    with no_cycle_collection():  # once for the whole: the collector then finds only what is kept
        _refuse_errors(report, force, templates, outline, problems)
        rendered = render_bytes(report, formats, templates=templates, outline=outline, form=form)
        return _write_all(report, rendered, outdir, "", force)


def render_annexes(report: ReportBase, formats: Iterable[str] = ANNEX_FORMATS, outdir: str | Path = ".",
                   only: Iterable[str] | None = None, *, force: bool = False, templates: TemplateSet | None = None,
                   outline: Outline | None = None, problems: list[Problem] | None = None,
                   form: FormLayout | None = None) -> list[Path]:
    """Write the annex tables alone as <name>-附件.docx/.xlsx/.md."""
    templates = templates or template_set()
    with no_cycle_collection():
        _refuse_errors(report, force, templates, outline, problems)
        rendered = annex_bytes(report, formats, only, templates=templates, outline=outline, form=form)
        return _write_all(report, rendered, outdir, "-附件", force)


__all__ = ["load", "validate", "view", "render", "render_bytes", "render_annexes", "annex_bytes", "FORMATS", "ANNEX_FORMATS"]
