"""Many reports in one command: inputs gathered from files and folders, a pool of worker processes that
compile the templates once each, one result per input, one office process for a batch's PDFs.

One bad file never stops the batch; Ctrl-C stops it cleanly — what was written stays whole (each file is
written through a temporary one), what was not is recorded as not done.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import Counted, ERROR, WARNING, Problem, RenderWarning, UserError

INPUT_SUFFIXES = (".yaml", ".yml", ".xlsx")
WRITTEN, REFUSED, FAILED, CHECKED, NOT_DONE = "written", "refused", "failed", "checked", "not_done"
STATUS_CN = {WRITTEN: "已生成", REFUSED: "有错误未生成", FAILED: "失败", CHECKED: "已检查", NOT_DONE: "未处理（已中断）"}
RECORD_DIR = ".reporttool"


@dataclass(frozen=True)
class Job:
    source: Path
    outdir: Path


@dataclass
class Outcome(Counted):
    source: str
    status: str
    paths: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ran: bool = True           # whether the rules ran (not held back by structure problems)
    message: str = ""
    pdf_source: bytes | None = None  # the .docx to lay out as PDF, in the batch's one office run
    pdf_target: str = ""
    summary: dict = field(default_factory=dict)  # review: kind, score, grade, note



def gather(paths: Iterable[Path], outdir: Path | None,
           suffixes: tuple[str, ...] = INPUT_SUFFIXES) -> tuple[list[Job], list[Problem]]:
    """The inputs named or found in the folders named (recursively, links not followed), each with the
    folder its outputs go to: ``outdir`` mirrors a named folder's structure."""
    jobs: list[Job] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = []
            for folder, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "~")))
                found += [Path(folder) / f for f in sorted(files) if f.lower().endswith(suffixes)
                          and not f.startswith(("~$", ".")) and not (Path(folder) / f).is_symlink()]
            if not found:
                problems.append(Problem(message=f"文件夹中没有 {'、'.join(suffixes)} 文件", file=str(path),
                                        severity=WARNING, rule="batch.empty"))
            for f in found:
                target = (outdir or path) / f.parent.relative_to(path)
                if f.resolve() not in seen:
                    seen.add(f.resolve())
                    jobs.append(Job(f, target))
        elif path.exists() or path.is_symlink():
            if path.resolve() not in seen:
                seen.add(path.resolve())
                jobs.append(Job(path, outdir or Path(".")))
        else:
            problems.append(Problem(message=f"找不到文件或文件夹：{path}", file=str(path), rule="batch.missing"))
    return jobs, problems


# --- the work of one input, in a worker -----------------------------------------------------------

_TEMPLATES: dict[Any, Any] = {}  # per process: compiled once, used for every input the worker is given


def _templates(folder: str | None, outline: str | None) -> tuple[Any, Any]:
    key = (folder, outline)
    if key not in _TEMPLATES:
        from .templates import template_set
        templates = _TEMPLATES[(folder, None)][0] if (folder, None) in _TEMPLATES else template_set(folder)
        oldest = next((k for k in _TEMPLATES if k[1] is not None), None)
        if len(_TEMPLATES) >= 8 and oldest:  # a server's workers see a new outline file per request: keep a few
            del _TEMPLATES[oldest]
        _TEMPLATES[key] = (templates, templates.custom_outline(Path(outline)) if outline else None)
    return _TEMPLATES[key]


@dataclass(frozen=True)
class Options:
    """What every input of a batch is done with (plain values: sent to the workers)."""
    task: str                       # render | annex | validate
    formats: tuple[str, ...] = ()
    force: bool = False
    template: str | None = None
    outline: str | None = None
    form: str | None = None
    previous: str | None = None
    only: tuple[str, ...] | None = None
    kind: str | None = None         # review: the kind of every file, or None to tell each file's kind


def do_one(job: Job, opts: Options) -> Outcome:
    """One input: never raises for the input's own faults — they are its outcome."""
    from .loading import no_cycle_collection

    try:
        with no_cycle_collection():  # reading, checking, rendering and writing it: the collector runs once after
            return _do_one(job, opts)
    finally:
        _settle()


_SETTLED: list[bool] = []


def _settle() -> None:
    """After a process's first input, what it keeps from then on (modules, compiled templates, the outline) is set
    aside from the cyclic collector, which otherwise walks it all again every few reports."""
    if not _SETTLED:
        import gc

        _SETTLED.append(True)
        gc.freeze()


def _do_one(job: Job, opts: Options) -> Outcome:
    from . import api
    from .nextyear import load_report

    source = str(job.source)
    try:
        templates, custom = _templates(opts.template, opts.outline)
        if opts.task == "review":
            return _review_one(job, opts, templates, custom)
        try:
            report, compared = load_report(job.source, Path(opts.previous) if opts.previous else None)
        except UserError as exc:
            problems = exc.problems or [Problem(message=exc.message, file=source)]
            ran = not any(p.rule.startswith("schema.") for p in problems)
            return Outcome(source, REFUSED if opts.task != "validate" else CHECKED, problems=problems, ran=ran,
                           message=exc.message)
        from .errors import in_file_order
        problems = in_file_order([*api.validate(report, custom, templates=templates), *compared])
        if opts.task == "validate":
            return Outcome(source, CHECKED, problems=problems)
        errors = [p for p in problems if p.severity == ERROR]
        if errors and not opts.force:
            return Outcome(source, REFUSED, problems=problems)
        from .forms import resolve
        layout = resolve(opts.form) if opts.form else None
        formats = [f for f in opts.formats if f != "pdf"]
        pdf = "pdf" in opts.formats
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RenderWarning)
            if opts.task == "render":
                rendered = api.render_bytes(report, formats, templates=templates, outline=custom, form=layout) if formats else {}
                name = ""
            else:
                rendered = api.annex_bytes(report, formats, opts.only, templates=templates, outline=custom,
                                           form=layout) if formats else {}
                name = "-附件"
            pdf_source = _pdf_source(report, opts, templates, custom, layout) if pdf else None
        said = dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, RenderWarning))
        problems += [Problem(message=m, file=source, severity=WARNING, rule="render.warning") for m in said]
        stem = job.source.stem
        files = {job.outdir / f"{stem}{name}{api._REGISTRY[fmt].suffix}": data for fmt, data in rendered.items()}
        written = api.write_outputs(files, opts.force) if files else []
        return Outcome(source, WRITTEN, [str(p) for p in written], problems,
                       pdf_source=pdf_source, pdf_target=str(job.outdir / f"{stem}{name}.pdf") if pdf else "")
    except UserError as exc:
        return Outcome(source, FAILED, problems=exc.problems, message=exc.message)
    except Exception as exc:  # noqa: BLE001 -- one input's fault must not stop the others; said plainly
        return Outcome(source, FAILED, message=f"处理时出错（{type(exc).__name__}：{exc}）")


def _review_one(job: Job, opts: Options, templates: Any, custom: Any) -> Outcome:
    from .kinds import KIND_TITLES
    from .review import review_file

    outlines = {k: templates.outline(k) for k in KIND_TITLES}
    r = review_file(job.source, outlines, opts.kind, custom)
    return Outcome(str(job.source), CHECKED, problems=r.problems, summary=r.summary())


def _pdf_source(report: Any, opts: Options, templates: Any, custom: Any, layout: Any) -> bytes:
    """The .docx the PDF is laid out from (the office suite converts a whole batch in one run)."""
    from .api import outline_for
    from .formats import docx

    if opts.task == "render":
        doc = templates.build(report, outline_for(report, custom, templates), layout)
    else:
        from .api import check_annex_names
        names = check_annex_names(report, opts.only, templates, custom)
        doc = templates.annex_document(report, templates.annex_tables(report, names, outline_for(report, custom, templates), layout))
    return docx.render(templates.skin("docx"), doc.for_layout())


# --- running many -------------------------------------------------------------------------------

def _worker_init() -> None:
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops handing out work


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def run(jobs: list[Job], opts: Options, workers: int, progress: Callable[[Outcome, int, int], None] | None = None) -> tuple[list[Outcome], bool]:
    """Every job's outcome in input order, and whether Ctrl-C stopped the batch early."""
    results: dict[int, Outcome] = {}
    interrupted = False
    if workers <= 1 or len(jobs) <= 1:
        try:
            for i, job in enumerate(jobs):
                results[i] = do_one(job, opts)
                if progress:
                    progress(results[i], len(results), len(jobs))
        except KeyboardInterrupt:
            interrupted = True
    else:
        # only a pool needs concurrent.futures and multiprocessing: not loaded for one file
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)), initializer=_worker_init)
        futures: dict[Any, int] = {}
        try:
            pending = iter(enumerate(jobs))
            # a bounded queue: Ctrl-C leaves few inputs started, and memory stays flat on 100,000 inputs
            for _ in range(workers * 4):
                first = next(pending, None)
                if first is not None:
                    futures[pool.submit(do_one, first[1], opts)] = first[0]
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    i = futures.pop(future)
                    results[i] = future.result()
                    if progress:
                        progress(results[i], len(results), len(jobs))
                    nxt = next(pending, None)
                    if nxt is not None:
                        futures[pool.submit(do_one, nxt[1], opts)] = nxt[0]
        except KeyboardInterrupt:
            interrupted = True
            for future in futures:
                future.cancel()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # a worker writing finishes its file; none is left half-written
    if not interrupted and opts.task not in ("validate", "review"):
        pdfs(jobs, results, opts)
    outcomes = [results.get(i) or Outcome(str(job.source), NOT_DONE) for i, job in enumerate(jobs)]
    return outcomes, interrupted


def pdfs(jobs: list[Job], results: dict[int, Outcome], opts: Options) -> None:
    """The batch's PDFs in one office run; written like every output (never over a hand-edited file)."""
    from . import office
    from .api import write_outputs

    wanted = {i: o for i, o in results.items() if o.pdf_source is not None}
    if not wanted:
        return
    try:
        pdfs = office.convert({o.pdf_target: (".docx", o.pdf_source) for o in wanted.values()})
    except UserError as exc:
        for o in wanted.values():
            o.status, o.message = FAILED, exc.message
        return
    for o in wanted.values():
        try:
            o.paths += [str(p) for p in write_outputs({Path(o.pdf_target): pdfs[o.pdf_target]}, opts.force)]
        except UserError as exc:
            o.status, o.message = FAILED, exc.message
        o.pdf_source = None


def record(outcomes: list[Outcome], interrupted: bool, folder: Path) -> Path | None:
    """What a batch did, kept beside its outputs: which inputs were written, refused, failed or not done."""
    from .api import write_atomic

    path = folder / RECORD_DIR / f"batch-{time.strftime('%Y%m%d-%H%M%S')}.json"
    doc = {"interrupted": interrupted, "inputs": [
        {"file": o.source, "status": o.status, "outputs": o.paths, "errors": o.errors, "warnings": o.warnings,
         **({"message": o.message} if o.message else {})} for o in outcomes]}
    try:
        write_atomic(path, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    except UserError:
        return None
    return path


class Progress:
    """A bar on a terminal, nothing otherwise (the result lines say it all)."""

    def __init__(self, total: int, stream: Any = None):
        self.stream = stream or sys.stderr
        self.on = total > 1 and getattr(self.stream, "isatty", lambda: False)()
        self.start = time.perf_counter()

    def __call__(self, outcome: Outcome, done: int, total: int) -> None:
        if not self.on:
            return
        width = 30
        filled = width * done // total
        rate = done / max(time.perf_counter() - self.start, 1e-6)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {rate:.0f} 个/秒 ")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()
