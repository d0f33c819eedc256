"""Command line: load and validate, then hand the validated model to the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import api
from .errors import ERROR, Problem, UserError
from .loading import load
from .model import KIND_TITLES, REPORT_KINDS
from .templates import template_set

app = typer.Typer(
    name="reporttool",
    help="预算绩效评价报告生成工具：从 YAML 数据生成 Word 与 Markdown 报告。",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)

KINDS_HELP = "、".join(f"{k}（{v}）" for k, v in KIND_TITLES.items())


def err(text: str) -> None:
    typer.echo(text, err=True)


def fail(exc: UserError) -> None:
    err(str(exc))
    raise typer.Exit(1)


def print_problems(problems: list[Problem], to_stderr: bool = True) -> None:
    for p in problems:
        typer.echo(p.format(), err=to_stderr)


def summary(problems: list[Problem]) -> str:
    n_err = sum(p.severity == ERROR for p in problems)
    n_warn = len(problems) - n_err
    if not problems:
        return "无问题"
    return f"{n_err} 个错误，{n_warn} 个警告"


def parse_formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in formats if f not in api.FORMATS]
    if bad or not formats:
        raise typer.BadParameter(f"可选格式：{','.join(api.FORMATS)}；收到 {value!r}")
    return list(dict.fromkeys(formats))


@app.command()
def render(
    file: Path = typer.Argument(..., help="报告数据 YAML 文件"),
    formats: str = typer.Option("docx,md", "-f", "--format", help="输出格式，逗号分隔：docx,md"),
    outdir: Path = typer.Option(Path("."), "-o", "--output-dir", help="输出目录"),
    force: bool = typer.Option(False, "--force", help="即使有校验错误也生成，并列出这些错误"),
) -> None:
    """生成报告（Word 和/或 Markdown）。"""
    fmts = parse_formats(formats)
    try:
        report = load(file)
        problems = api.validate(report)
        errors = [p for p in problems if p.severity == ERROR]
        if errors and force:
            err(f"注意：输入有 {len(errors)} 个错误，已按 --force 生成，请在定稿前修正：")
        print_problems(problems if (force or not errors) else [p for p in problems if p.severity != ERROR])
        paths = api.render(report, fmts, outdir, force=force)
    except UserError as exc:
        fail(exc)
    for path in paths:
        typer.echo(f"已生成 {path}")


@app.command()
def validate(files: List[Path] = typer.Argument(..., help="一个或多个 YAML 文件")) -> None:
    """校验输入：一次列出所有问题（文件:行号、字段、原因）。有错误时退出码为 1。"""
    failed = False
    results = []
    for file in files:
        try:
            problems = api.validate(load(file))
        except UserError as exc:
            problems = exc.problems or [Problem(message=exc.message, file=str(file))]
            print_problems(problems, to_stderr=False)
            typer.echo(f"{file}: 以上结构问题修正后，还会继续核对合计、比率与大纲")
        else:
            print_problems(problems, to_stderr=False)
        failed |= any(p.severity == ERROR for p in problems)
        results.append((file, problems))
    for file, problems in results:
        mark = "✗" if any(p.severity == ERROR for p in problems) else "✓"
        typer.echo(f"{mark} {file}：{summary(problems)}")
    if failed:
        raise typer.Exit(1)


def _kind(kind: str) -> str:
    if kind not in REPORT_KINDS:
        raise typer.BadParameter(f"未知的报告类型 {kind!r}，可选：{KINDS_HELP}")
    return kind


@app.command()
def new(
    kind: str = typer.Argument(..., help=f"报告类型：{KINDS_HELP}"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写入文件（默认输出到屏幕）"),
    force: bool = typer.Option(False, "--force", help="覆盖已存在的文件"),
) -> None:
    """生成带中文注释的 YAML 模板，照着填写即可。"""
    _kind(kind)
    text = template_set().find(f"kinds/{kind}/skeleton.yaml").read_text(encoding="utf-8")
    if output is None:
        sys.stdout.write(text)
        return
    if output.exists() and not force:
        err(f"{output} 已存在，未覆盖（如需覆盖请加 --force）")
        raise typer.Exit(1)
    api.write_atomic(output, text.encode("utf-8"))
    typer.echo(f"已生成 {output}")


@app.command()
def schema(kind: Optional[str] = typer.Argument(None, help=f"报告类型（不填则输出全部）：{KINDS_HELP}")) -> None:
    """输出 JSON Schema（含中文字段名与说明），供编辑器自动补全和校验。"""
    if kind is not None:
        doc = REPORT_KINDS[_kind(kind)].model_json_schema()
    else:
        from pydantic import Field, TypeAdapter
        from typing import Annotated, Union

        union = Annotated[Union[tuple(REPORT_KINDS.values())], Field(discriminator="kind")]
        doc = TypeAdapter(union).json_schema()
        doc["title"] = "reporttool 报告数据"
    typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
