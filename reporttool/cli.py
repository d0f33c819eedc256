"""Command line: load and validate, then hand the validated model to the library."""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from . import __version__, cli_zh
from .document import display_width
from .errors import ERROR, SEVERITY_CN, WARNING, Problem, RenderWarning, UserError, in_file_order
from .formats import ANNEX_FORMATS, DEFAULT_ANNEX_FORMATS, DEFAULT_REPORT_FORMATS, REPORT_FORMATS, describe
from .kinds import KIND_TITLES


class _Later:
    """A module imported when a command first uses it: `--help` and the usage errors start without the model."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name, __package__), attr)


api = _Later(".api")
_loading, _nextyear, _forms, _templates, _model = (_Later(".loading"), _Later(".nextyear"), _Later(".forms"),
                                                  _Later(".templates"), _Later(".model"))


def load(path):
    return _loading.load(path)


def load_report(path, previous=None):
    return _nextyear.load_report(path, previous)


def resolve_form(spec):
    return _forms.resolve(spec)


def template_set(folder=None):
    return _templates.template_set(folder)


def kind_file(kind, name):
    return _templates.kind_file(kind, name)


cli_zh.install()

app = typer.Typer(
    name="reporttool",
    help="预算绩效评价报告生成工具：从 YAML 数据生成 Word 与 Markdown 报告。",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)

KINDS_HELP = "、".join(f"{k}（{v}）" for k, v in KIND_TITLES.items())
TEMPLATE_HELP = "自定义模板目录（用 reporttool templates export 导出后修改）；未提供的文件用内置模板"
OUTLINE_HELP = "自定义大纲文件（用 reporttool outline export 导出后修改）"
FORM_HELP = "项目支出绩效自评表的样式：内置样式名（cz2020、local、yitihua）或样式文件；不填则按报告中的 settings.form_layout"
templates_app = typer.Typer(help="模板：导出内置模板供修改，或检查自定义模板。", no_args_is_help=True)
app.add_typer(templates_app, name="templates")
outline_app = typer.Typer(help="大纲：查看、导出标准大纲，或检查任意报告（.docx/.md/.txt）是否符合大纲。", no_args_is_help=True)
app.add_typer(outline_app, name="outline")


OutDir = Annotated[Optional[Path], typer.Option("-o", "--output-dir", help="输出目录（默认当前目录；给出文件夹时，其子文件夹结构照搬到输出目录中）")]
Force = Annotated[bool, typer.Option("--force", help="即使有校验错误也生成并列出错误；覆盖手工改过的输出文件（先备份为 .bak）")]
TemplateDir = Annotated[Optional[Path], typer.Option("--template", help=TEMPLATE_HELP)]
OutlineFile = Annotated[Optional[Path], typer.Option("--outline", help=OUTLINE_HELP)]
FormOption = Annotated[Optional[str], typer.Option("--form", help=FORM_HELP)]
PreviousFile = Annotated[Optional[Path], typer.Option(
    "--previous", help="上年的数据文件（.yaml 或 .xlsx）：本年没有填写的上年数字从中带入（较上年增减），两者不一致的列出")]


def templates_from(folder: Optional[Path]):
    return template_set(str(folder) if folder else None)


def setup(template: Optional[Path], outline: Optional[Path]):
    """The template set and the custom outline (or None), both checked."""
    templates = templates_from(template)
    return templates, (templates.custom_outline(outline) if outline else None)


def _marks() -> tuple[str, str]:
    """✓ and ✗, or √ and × on a console that cannot print them (GBK, a redirected Windows console)."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "✓✗".encode(encoding)
        return "✓", "✗"
    except (UnicodeEncodeError, LookupError):
        return "√", "×"


def mark(ok: bool) -> str:
    return _marks()[0 if ok else 1]


@app.callback(invoke_without_command=True)
def _root(version: bool = typer.Option(False, "--version", help="显示版本号并退出", is_eager=True)) -> None:
    if version:
        typer.echo(f"reporttool {__version__}")
        raise typer.Exit(0)


def err(text: str) -> None:
    typer.echo(text, err=True)


def fail(exc: UserError) -> None:
    err(str(exc))
    raise typer.Exit(1)


def guarded(command):
    """Every command: a user error prints its message and exits 1, never a traceback."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UserError as exc:
            fail(exc)
    return run


def print_problems(problems: list[Problem], to_stderr: bool = True) -> None:
    for p in problems:
        typer.echo(p.format(), err=to_stderr)


def summary(problems: list[Problem]) -> str:
    n_err = sum(p.severity == ERROR for p in problems)
    n_warn = len(problems) - n_err
    if not problems:
        return "无问题"
    return f"{n_err} 个错误，{n_warn} 个警告"


@contextlib.contextmanager
def output_warnings(file: Path):
    """What the library warns about its outputs (a font the PDF substitutes), each once, as ［警告］ lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RenderWarning)
        yield
    said = dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, RenderWarning))
    print_problems([Problem(message=message, file=str(file), severity=WARNING) for message in said])


def formats_option(choices: tuple[str, ...], default: tuple[str, ...]):
    return typer.Option(",".join(default), "-f", "--format", help=f"输出格式，逗号分隔：{describe(choices)}")


def parse_formats(value: str, allowed: tuple[str, ...] = REPORT_FORMATS) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in formats if f not in allowed]
    if bad or not formats:
        raise typer.BadParameter(f"可选格式：{describe(allowed)}；收到 {value}")
    return list(dict.fromkeys(formats))


def checked(report, templates, custom, force: bool, more: list[Problem] = ()) -> list[Problem]:
    """Validate once and show what the user should know before files are written."""
    problems = in_file_order([*api.validate(report, custom, templates=templates), *more])
    errors = [p for p in problems if p.severity == ERROR]
    if errors and force:
        err(f"注意：输入有 {len(errors)} 个错误，已按 --force 生成，请在定稿前修正：")
    print_problems(problems if (force or not errors) else [p for p in problems if p.severity != ERROR])
    return problems


InputPaths = Annotated[List[Path], typer.Argument(
    help="数据文件（.yaml、.xlsx）或文件夹（其中的数据文件逐个处理，含子文件夹），可多个")]
JobsOption = Annotated[Optional[int], typer.Option("-j", "--jobs", min=1, max=256,
                                                   help="同时处理的进程数（多个文件时；默认为 CPU 核数）")]


def single(paths: List[Path]) -> bool:
    return len(paths) == 1 and not paths[0].is_dir()


@app.command()
@guarded
def render(
    files: InputPaths,
    formats: str = formats_option(REPORT_FORMATS, DEFAULT_REPORT_FORMATS),
    outdir: OutDir = None,
    force: Force = False,
    template: TemplateDir = None,
    outline: OutlineFile = None,
    form: FormOption = None,
    previous: PreviousFile = None,
    jobs: JobsOption = None,
) -> None:
    """生成报告（各输出格式见 -f）；可一次处理多个文件或整个文件夹。"""
    fmts = parse_formats(formats)
    if not single(files):
        from .batch import Options
        return run_batch(files, outdir, Options("render", tuple(fmts), force, _str(template), _str(outline), form,
                                                _str(previous)), jobs)
    file, outdir = files[0], outdir or Path(".")
    templates, custom = setup(template, outline)
    layout = resolve_form(form) if form else None
    report, compared = load_report(file, previous)
    problems = checked(report, templates, custom, force, compared)
    with output_warnings(file):
        paths = api.render(report, fmts, outdir, force=force, templates=templates, outline=custom, problems=problems,
                           form=layout)
    for path in paths:
        typer.echo(f"已生成 {path}")


def _str(path: Optional[Path]) -> Optional[str]:
    return None if path is None else str(path)


def run_batch(paths: List[Path], outdir: Optional[Path], opts, jobs: Optional[int]) -> None:
    """Many inputs: a result line each (with the problems that held it back), then a summary."""
    from . import batch

    setup(Path(opts.template) if opts.template else None, Path(opts.outline) if opts.outline else None)  # checked once, here
    found, missing = batch.gather(paths, outdir)
    print_problems(missing)
    outcomes, interrupted = batch.run(found, opts, jobs or batch.default_jobs(), batch.Progress(len(found)))
    for o in outcomes:
        if o.status == batch.WRITTEN:
            note = f"（{o.warnings} 个警告）" if o.warnings else ""
            typer.echo(f"{mark(True)} {o.source} → {'、'.join(o.paths)}{note}")
        elif o.status != batch.NOT_DONE:
            typer.echo(f"{mark(False)} {o.source}：{batch.STATUS_CN[o.status]}" + (f"（{o.message}）" if o.message and o.status == batch.FAILED else ""))
            print_problems([p for p in o.problems if p.severity == ERROR] or o.problems, to_stderr=False)
    counts = {status: sum(o.status == status for o in outcomes) for status in batch.STATUS_CN}
    parts = [f"{batch.STATUS_CN[k]} {n} 个" for k, n in counts.items() if n]
    where = batch.record(outcomes, interrupted, outdir or Path("."))
    typer.echo(f"共 {len(outcomes)} 个输入：" + "，".join(parts or ["无"]) + (f"；记录见 {where}" if where else ""))
    if interrupted:
        err("已按 Ctrl-C 停止：已写入的文件完整保留，未处理的输入见记录")
        raise typer.Exit(130)
    if missing or counts[batch.REFUSED] or counts[batch.FAILED]:
        raise typer.Exit(1)


PENDING = "以上结构问题修正后，还会继续核对合计、比率与大纲"


def collect_all(paths: List[Path], template: Optional[Path], outline: Optional[Path], previous: Optional[Path],
                jobs: Optional[int]) -> list[tuple[Path, list[Problem], bool]]:
    """Every problem of every input (files, and the data files in folders), in input order; and for each whether
    the rules ran (they wait for structure problems to be fixed)."""
    from . import batch

    setup(template, outline)  # a bad template folder or outline is said once, before any input
    found, missing = batch.gather(paths, None)
    opts = batch.Options("validate", template=_str(template), outline=_str(outline), previous=_str(previous))
    outcomes, interrupted = batch.run(found, opts, jobs or batch.default_jobs(), batch.Progress(len(found)))
    if interrupted:
        err("已按 Ctrl-C 停止")
        raise typer.Exit(130)
    results = [(Path(p.file), [p], True) for p in missing]
    return results + [(Path(o.source), o.problems or ([Problem(message=o.message, file=o.source)] if o.message and
                       o.status == batch.FAILED else []), o.ran) for o in outcomes]


def summaries(results: list[tuple[Path, list[Problem]]]) -> None:
    for file, problems in results:
        typer.echo(f"{mark(not any(p.severity == ERROR for p in problems))} {file}：{summary(problems)}")
    if any(p.severity == ERROR for _, problems in results for p in problems):
        raise typer.Exit(1)


@app.command()
@guarded
def validate(
    files: InputPaths,
    template: TemplateDir = None,
    outline: OutlineFile = None,
    previous: PreviousFile = None,
    jobs: JobsOption = None,
) -> None:
    """校验输入：一次列出所有问题（文件:行号、字段、原因）。有错误时退出码为 1。"""
    results = []
    for file, problems, ran in collect_all(files, template, outline, previous, jobs):
        print_problems(problems, to_stderr=False)
        if not ran:  # only schema problems hold the rules back
            typer.echo(f"{file}: {PENDING}")
        results.append((file, problems))
    summaries(results)


def table(rows: list[list[str]]) -> str:
    """Rows padded by display width (CJK characters count double); the last column runs free."""
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for r in rows:
        cells = [c + " " * (w - display_width(c)) for c, w in zip(r, widths)] + [r[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _shown(value) -> str:
    return "" if value is None else str(value)


@app.command()
@guarded
def check(
    files: InputPaths,
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出，供程序读取"),
    template: TemplateDir = None,
    outline: OutlineFile = None,
    previous: PreviousFile = None,
    jobs: JobsOption = None,
) -> None:
    """勾稽核对：合计、比率、得分、等级、满意度、文字中引用的数字，一次列出全部不一致。有错误时退出码为 1。"""
    results = collect_all(files, template, outline, previous, jobs)
    if as_json:
        doc = {"ok": not any(p.severity == ERROR for _, ps, _ in results for p in ps), "files": [
            {"file": str(f), "rules_ran": ran, "errors": sum(p.severity == ERROR for p in ps),
             "warnings": sum(p.severity != ERROR for p in ps), "problems": [p.as_dict() for p in ps]}
            for f, ps, ran in results]}
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        if not doc["ok"]:
            raise typer.Exit(1)
        return
    for file, problems, ran in results:
        typer.echo(f"== {file}")
        if problems:
            rows = [["位置", "级别", "规则", "字段", "填报数", "计算数", "说明"]]
            for p in problems:
                rows.append([p.place, SEVERITY_CN[p.severity], p.rule or "-", p.title or p.dotted,
                             _shown(p.stated), _shown(p.computed), p.message])
            typer.echo(table(rows))
        if not ran:
            typer.echo(PENDING)
    summaries([(f, ps) for f, ps, _ in results])


@app.command()
@guarded
def annex(
    files: InputPaths,
    only: Optional[str] = typer.Option(None, "--only", help="只生成这些附件，逗号分隔，如 score_table,problem_list 或 绩效评价指标评分表"),
    formats: str = formats_option(ANNEX_FORMATS, DEFAULT_ANNEX_FORMATS),
    outdir: OutDir = None,
    force: Force = False,
    template: TemplateDir = None,
    outline: OutlineFile = None,
    form: FormOption = None,
    jobs: JobsOption = None,
) -> None:
    """单独重新生成附件表格（评分表、自评表、问题清单、预算执行表等），编号与完整报告一致；可一次处理多个文件或文件夹。"""
    fmts = parse_formats(formats, ANNEX_FORMATS)
    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    if not single(files):
        from .batch import Options
        return run_batch(files, outdir, Options("annex", tuple(fmts), force, _str(template), _str(outline), form,
                                                only=tuple(names) if names else None), jobs)
    file, outdir = files[0], outdir or Path(".")
    templates, custom = setup(template, outline)
    layout = resolve_form(form) if form else None
    report = load(file)
    problems = checked(report, templates, custom, force)
    with output_warnings(file):
        paths = api.render_annexes(report, fmts, outdir, names, force=force, templates=templates, outline=custom,
                                   problems=problems, form=layout)
    for path in paths:
        typer.echo(f"已生成 {path}")


def _kind(kind: str) -> str:
    """A kind by its id or by its Chinese name (the names the messages list)."""
    by_title = {title: k for k, title in KIND_TITLES.items()}
    kind = by_title.get(kind.strip(), kind.strip())
    if kind not in KIND_TITLES:
        raise typer.BadParameter(f"未知的报告类型 {kind}，可选：{KINDS_HELP}")
    return kind


@app.command()
@guarded
def new(
    kind: Optional[str] = typer.Argument(None, help=f"报告类型：{KINDS_HELP}（用 --from 时不填）"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写入文件：.yaml（带中文注释的 YAML）或 .xlsx（填报工作簿）；默认把 YAML 输出到屏幕"),
    source: Optional[Path] = typer.Option(None, "--from", help="上年的数据文件（.yaml 或 .xlsx）：生成下一年度的文件，沿用单位情况和指标体系，清空本年要填的数字"),
    force: bool = typer.Option(False, "--force", help="覆盖已存在的文件"),
) -> None:
    """生成填报模板：YAML（带中文注释）或 Excel 填报工作簿（-o 文件.xlsx）；--from 上年文件 生成下一年度的文件。"""
    from .convert import data_bytes

    if source is None and kind is None:
        raise typer.BadParameter(f"请给出报告类型（{KINDS_HELP}），或用 --from 上年文件")
    data, note = None, ""
    if source is not None:
        from .nextyear import roll_forward

        last = load(source)
        if kind is not None and _kind(kind) != last.kind:
            raise typer.BadParameter(f"{source} 是 {last.kind} 类型，与所给的 {_kind(kind)} 不符")
        data, note = roll_forward(last)
        kind = last.kind
    kind = _kind(kind)
    name = output or Path("-.yaml")
    if output is not None and output.exists() and not force:
        err(f"{output} 已存在，未覆盖（如需覆盖请加 --force）")
        raise typer.Exit(1)
    content = data_bytes(kind, data, name, note)
    if output is None:
        sys.stdout.write(content.decode("utf-8"))
        return
    api.write_atomic(output, content)
    typer.echo(f"已生成 {output}" + ("（开头的说明列出了沿用的内容和需要填写的内容）" if note else ""))


@app.command()
@guarded
def convert(
    source: Path = typer.Argument(..., help="要转换的数据文件：.yaml 或 .xlsx（填报工作簿、项目支出绩效自评表）"),
    target: Path = typer.Argument(..., help="写入的文件：.yaml 或 .xlsx（按扩展名）"),
    force: bool = typer.Option(False, "--force", help="覆盖已存在的文件"),
) -> None:
    """在 YAML 与 Excel 填报工作簿之间转换（数据不增不减：写入前读回核对）。"""
    from .convert import convert as convert_file

    if target.exists() and not force:
        err(f"{target} 已存在，未覆盖（如需覆盖请加 --force）")
        raise typer.Exit(1)
    data, problems = convert_file(source, target)
    print_problems(problems)
    api.write_atomic(target, data)
    typer.echo(f"已生成 {target}" + (f"（输入还有 {summary(problems)}，请在新文件中修正）" if any(
        p.severity == ERROR for p in problems) else ""))


@app.command()
@guarded
def schema(kind: Optional[str] = typer.Argument(None, help=f"报告类型（不填则输出全部）：{KINDS_HELP}")) -> None:
    """输出 JSON Schema（含中文字段名与说明），供编辑器自动补全和校验。"""
    if kind is not None:
        doc = _model.REPORT_KINDS[_kind(kind)].model_json_schema()
    else:
        from pydantic import Field, TypeAdapter
        from typing import Annotated, Union

        union = Annotated[Union[tuple(_model.REPORT_KINDS.values())], Field(discriminator="kind")]
        doc = TypeAdapter(union).json_schema()
        doc["title"] = "reporttool 报告数据"
    typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))


@templates_app.command("export")
@guarded
def templates_export(
    folder: Path = typer.Argument(..., help="导出到此目录"),
    force: bool = typer.Option(False, "--force", help="目录非空时仍然导出（覆盖同名文件）"),
) -> None:
    """导出内置模板（Word 版式、Markdown、大纲、正文宏），修改后用 --template 目录 使用。"""
    import shutil

    from .templates import BUILTIN

    if folder.exists() and any(folder.iterdir()) and not force:
        err(f"{folder} 不是空目录，未导出（如需覆盖同名文件请加 --force）")
        raise typer.Exit(1)
    with api.disk_errors():
        shutil.copytree(BUILTIN, folder, dirs_exist_ok=True)
    typer.echo(f"已导出模板到 {folder}；修改后运行 reporttool templates lint {folder} 检查")


@templates_app.command("lint")
@guarded
def templates_lint(folder: Path = typer.Argument(..., help="自定义模板目录")) -> None:
    """检查自定义模板：引用了数据模型中没有的字段、大纲路径错误、语法错误、试生成失败。有问题时退出码为 1。"""
    templates_from(folder)
    typer.echo(f"{mark(True)} {folder}：模板无问题")


@templates_app.command("fields")
@guarded
def templates_fields(kind: str = typer.Argument(..., help=f"报告类型：{KINDS_HELP}")) -> None:
    """列出模板中 r 可以读取的全部字段（含计算好的合计、比率、得分与等级）；数字字段另有 .text .number .base。"""
    from .view import field_list

    rows = [["字段", "名称", "类型"]] + [list(row) for row in field_list(_kind(kind))]
    typer.echo(table(rows))


FINDING_CN = {"missing": "缺少章节", "order": "顺序错误", "ordinal": "序号", "level": "层级",
              "duplicate": "重复", "unknown": "未知章节"}


@outline_app.command("show")
@guarded
def outline_show(
    kind: str = typer.Argument(..., help=f"报告类型：{KINDS_HELP}"),
    template: TemplateDir = None,
    outline: OutlineFile = None,
) -> None:
    """显示大纲：章节、序号（按全部章节都有数据时编排）、可选与逐项生成的章节、同义标题。"""
    from .outline import listing

    templates, custom = setup(template, outline)
    chosen = custom or templates.outline(_kind(kind))
    typer.echo(f"{chosen.name}（{chosen.kind}）")
    for row in listing(chosen):
        line = f"{'  ' * (row.level - 1)}{row.number}{row.title}"
        typer.echo(line + (" " * max(2, 36 - display_width(line)) + "；".join(row.notes) if row.notes else ""))
    if chosen.annexes:
        from .annexes import ANNEXES
        typer.echo("附件：" + "；".join(f"{i}.{ANNEXES[a].title}" for i, a in enumerate(chosen.annexes, 1)))


@outline_app.command("export")
@guarded
def outline_export(
    kind: str = typer.Argument(..., help=f"报告类型：{KINDS_HELP}"),
    file: Path = typer.Argument(..., help="写入的大纲文件"),
    force: bool = typer.Option(False, "--force", help="覆盖已存在的文件"),
) -> None:
    """导出标准大纲（YAML，带注释），修改后用 --outline 文件 传给 render、validate、outline check。"""
    source = template_set().find(kind_file(_kind(kind), "outline.yaml"))
    if file.exists() and not force:
        err(f"{file} 已存在，未覆盖（如需覆盖请加 --force）")
        raise typer.Exit(1)
    api.write_atomic(file, source.read_bytes())
    typer.echo(f"已导出 {file}；修改后用 --outline {file} 使用")


@outline_app.command("check")
@guarded
def outline_check(
    files: List[Path] = typer.Argument(..., help="要检查的报告：.docx、.md 或 .txt，可多个"),
    kind: str = typer.Option("auto", "--kind", help=f"报告类型：auto（自动判断）或 {KINDS_HELP}"),
    outline: OutlineFile = None,
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """检查报告是否符合大纲：缺少或顺序错误的必备章节（退出码 1）、序号、层级、重复与未知章节。"""
    from .outline_check import check_file

    templates, custom = setup(None, outline)
    if custom is not None:
        outlines, chosen = {custom.kind: custom}, custom.kind
    else:
        outlines = {k: templates.outline(k) for k in KIND_TITLES}
        chosen = None if kind in ("auto", "自动") else _kind(kind)
    results = [check_file(file, outlines, chosen) for file in files]
    if as_json:
        typer.echo(json.dumps({"ok": not any(r.errors for r in results), "files": [
            {"file": r.file, "kind": r.kind, "guessed": r.guessed, "headings": len(r.headings),
             "errors": r.errors, "warnings": r.warnings, "findings": [f.as_dict() for f in r.findings]}
            for r in results]}, ensure_ascii=False, indent=2))
    else:
        for r in results:
            typer.echo(f"== {r.file}（{r.kind}：{outlines[r.kind].name}；识别出 {len(r.headings)} 个标题）")
            if r.guessed:
                typer.echo(r.guessed)
            if r.findings:
                rows = [["位置", "级别", "类型", "说明"]] + [
                    [f.where, SEVERITY_CN[f.severity], FINDING_CN[f.kind], f.message] for f in r.findings]
                typer.echo(table(rows))
        for r in results:
            verdict = f"{r.errors} 个错误，{r.warnings} 个警告" if r.findings else "符合大纲"
            typer.echo(f"{mark(not r.errors)} {r.file}：{verdict}")
    if any(r.errors for r in results):
        raise typer.Exit(1)


@app.command("review")
@guarded
def review_command(
    files: List[Path] = typer.Argument(..., help="收到的报告：.docx、.doc、.pdf、.xlsx（自评表）、.md、.txt，或包含它们的文件夹"),
    kind: str = typer.Option("auto", "--kind", help=f"报告类型：auto（逐个自动判断）或 {KINDS_HELP}"),
    outline: OutlineFile = None,
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    xlsx: Optional[Path] = typer.Option(None, "--xlsx", help="把汇总（每个文件一行）和全部问题写入这个 .xlsx 工作簿"),
    jobs: JobsOption = None,
) -> None:
    """审核收到的报告：大纲、评分表（分值、得分、合计、等级）和文字中的数字（得分率、执行率、增减率、占比）。有错误时退出码为 1。"""
    from . import batch
    from .received import SUFFIXES
    from .review import WORKBOOK_SUFFIXES, Review, summary_workbook

    setup(None, outline)  # a bad outline is said once, before any file
    chosen = None if kind in ("auto", "自动") else _kind(kind)
    found, missing = batch.gather(files, None, SUFFIXES + WORKBOOK_SUFFIXES)
    opts = batch.Options("review", outline=_str(outline), kind=chosen)
    outcomes, interrupted = batch.run(found, opts, jobs or batch.default_jobs(), batch.Progress(len(found)))
    if interrupted:
        err("已按 Ctrl-C 停止")
        raise typer.Exit(130)
    reviews = [Review.from_outcome(o) for o in outcomes]
    if xlsx is not None:
        api.write_atomic(xlsx, summary_workbook(reviews))
    if as_json:
        typer.echo(json.dumps({"ok": not any(r.errors for r in reviews) and not missing, "files": [
            {**r.summary(), "findings": [{**p.as_dict(), "place": p.place} for p in r.problems]} for r in reviews],
            "missing": [p.as_dict() for p in missing]}, ensure_ascii=False, indent=2))
    else:
        print_problems(missing)
        for r in reviews:
            print_problems(r.problems, to_stderr=False)
        for r in reviews:
            typer.echo(f"{mark(not r.errors)} {r.file}：{r.line()}")
        if xlsx is not None:
            typer.echo(f"汇总已写入 {xlsx}")
    if missing or any(r.errors for r in reviews):
        raise typer.Exit(1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址；局域网内共用请用 0.0.0.0（建议同时设 --token）"),
    port: int = typer.Option(8000, "--port", help="端口"),
    data: Optional[Path] = typer.Option(None, "--data", help="把每次上传的文件和生成的文件保留在这个文件夹（默认处理完即删除）"),
    token: Optional[str] = typer.Option(None, "--token", help="访问口令：须在地址（?token=…）或请求头 X-Reporttool-Token 中给出"),
    jobs: JobsOption = None,
    max_file_mb: int = typer.Option(20, "--max-file-mb", help="单个上传文件的上限（MB）"),
    max_request_mb: int = typer.Option(200, "--max-request-mb", help="每次上传合计的上限（MB）"),
    seconds: float = typer.Option(120, "--seconds", help="每次生成或审核的时间上限（秒）"),
) -> None:
    """打开网页版：起草报告、重新生成附件、审核报告、查看大纲（浏览器访问 http://127.0.0.1:8000）。"""
    import uvicorn

    from .batch import default_jobs
    from .web import Settings, create_app
    from .web.uploads import MB, Limits

    settings = Settings(host, port, data.resolve() if data else None, token, jobs or default_jobs(),
                        Limits(max_file_mb * MB, max_request_mb * MB, seconds=seconds))
    if settings.hosts is None and not token:  # not this machine alone
        err(f"注意：{host} 上的页面局域网内任何人都能打开；如需限制，请加 --token 口令")
    address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/" + (f"?token={token}" if token else "")
    typer.echo(f"网页已启动：{address}（按 Ctrl-C 停止）")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def main() -> None:
    for stream in (sys.stdout, sys.stderr):  # a console that cannot show a character gets ? instead of a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    app()


if __name__ == "__main__":
    main()
