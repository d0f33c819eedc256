"""Many inputs in one command: folders of mixed inputs with bad files among them, a record of what was done."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reporttool import batch, office
from reporttool.cli import app
from tests.conftest import needs_office

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
runner = CliRunner(env={"COLUMNS": "300"})


def _inputs(tmp_path: Path) -> Path:
    """Every example, one as a workbook in a subfolder, a YAML slip and a damaged workbook among them."""
    folder = tmp_path / "各单位"
    (folder / "二科").mkdir(parents=True)
    for example in EXAMPLES:
        shutil.copy(example, folder / example.name)
    result = runner.invoke(app, ["convert", str(EXAMPLES[0]), str(folder / "二科" / "工作簿.xlsx")])
    assert result.exit_code == 0, result.output
    (folder / "二科" / "坏.yaml").write_text("kind: dept_self\nyear: 2024\n  department: x\n", encoding="utf-8")
    (folder / "损坏.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "~$锁定文件.xlsx").write_bytes(b"Excel's lock file, never an input")
    (folder / "说明.txt").write_text("not an input", encoding="utf-8")
    return folder


def _check_outputs(folder: Path, out: Path) -> None:
    for example in EXAMPLES:
        assert (out / f"{example.stem}.docx").stat().st_size > 0 and (out / f"{example.stem}.md").is_file()
    assert (out / "二科" / "工作簿.docx").is_file()  # the folder's structure, mirrored
    assert not (out / "二科" / "坏.docx").exists() and not (out / "损坏.docx").exists()
    record = json.loads(max((out / ".reporttool").glob("batch-*.json")).read_text(encoding="utf-8"))
    status = {Path(i["file"]).name: i["status"] for i in record["inputs"]}
    assert status["坏.yaml"] == batch.REFUSED and status["损坏.xlsx"] == batch.REFUSED
    assert [s for s in status.values()].count(batch.WRITTEN) == len(EXAMPLES) + 1
    assert "~$锁定文件.xlsx" not in status and "说明.txt" not in status


def test_render_a_folder_in_process(tmp_path):
    folder, out = _inputs(tmp_path), tmp_path / "输出"
    result = runner.invoke(app, ["render", str(folder), "-o", str(out), "-j", "2"])
    assert result.exit_code == 1  # bad inputs among them
    _check_outputs(folder, out)
    assert f"共 {len(EXAMPLES) + 3} 个输入：已生成 {len(EXAMPLES) + 1} 个，有错误未生成 2 个" in result.output
    assert "坏.yaml:3:" in result.output  # the bad file's problem, located, among the results


def test_render_a_folder_through_the_console_script(tmp_path):
    folder, out = _inputs(tmp_path), tmp_path / "输出"
    script = Path(sys.executable).with_name("reporttool")
    proc = subprocess.run([str(script), "render", str(folder), "-o", str(out), "-j", "2"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    _check_outputs(folder, out)


def test_annex_validate_and_check_over_a_folder(tmp_path):
    folder, out = _inputs(tmp_path), tmp_path / "附件"
    result = runner.invoke(app, ["annex", str(folder), "-o", str(out), "-f", "xlsx", "-j", "2"])
    assert result.exit_code == 1
    assert (out / "二科" / "工作簿-附件.xlsx").is_file()
    for command in ("validate", "check"):
        result = runner.invoke(app, [command, str(folder), "-j", "2"])
        assert result.exit_code == 1
        for example in EXAMPLES:
            assert example.name in result.output
        assert "坏.yaml" in result.output and "损坏.xlsx" in result.output


def test_a_clean_folder_exits_0(tmp_path):
    folder = tmp_path / "ok"
    folder.mkdir()
    for example in EXAMPLES[:2]:
        shutil.copy(example, folder / example.name)
    result = runner.invoke(app, ["render", str(folder), str(EXAMPLES[2]), "-o", str(tmp_path / "out"), "-f", "md"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / f"{EXAMPLES[2].stem}.md").is_file()


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_cleanly(tmp_path, workers):
    folder, out = _inputs(tmp_path), tmp_path / "out"
    jobs, _ = batch.gather([folder], out)
    opts = batch.Options("render", ("md",))

    def stop_after_first(outcome, done, total):
        raise KeyboardInterrupt

    outcomes, interrupted = batch.run(jobs, opts, workers, stop_after_first)
    assert interrupted
    written = [o for o in outcomes if o.status == batch.WRITTEN]
    assert written and any(o.status == batch.NOT_DONE for o in outcomes)
    for o in written:  # what was written is whole
        for path in o.paths:
            assert Path(path).read_text(encoding="utf-8").startswith("# ")
    assert not list(out.rglob("*.tmp"))
    record = batch.record(outcomes, interrupted, out)
    assert json.loads(record.read_text(encoding="utf-8"))["interrupted"] is True


@needs_office
def test_pdfs_of_a_batch_in_one_office_run(tmp_path, monkeypatch):
    calls = []
    real = office.convert
    monkeypatch.setattr(office, "convert", lambda files, target="pdf": calls.append(len(files)) or real(files, target))
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(EXAMPLES[0]), str(EXAMPLES[1]), "-f", "pdf,md", "-o", str(out), "-j", "2"])
    assert result.exit_code == 0, result.output
    assert calls == [2]
    for example in EXAMPLES[:2]:
        assert (out / f"{example.stem}.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("example", [p.name for p in EXAMPLES])
def test_a_report_leaves_nothing_for_the_cyclic_collector(tmp_path, example):
    """Everything one input allocates is freed as soon as it is done with (no reference cycles), so a
    worker's collector has nothing to walk between reports."""
    import gc

    source = tmp_path / example
    source.write_bytes((ROOT / "examples" / example).read_bytes())
    job = batch.Job(source, tmp_path / "out")
    # (an .xlsx annex is openpyxl's workbook, whose cells and sheets refer to each other by design)
    for opts in (batch.Options("render", ("docx", "md"), force=True), batch.Options("annex", ("docx", "md"), force=True),
                 batch.Options("validate")):
        done = batch.do_one(job, opts)  # compiles the templates, fills the caches
        gc.collect()
        was = gc.isenabled()
        gc.disable()
        try:
            assert batch.do_one(job, opts).status == done.status
            assert gc.collect() == 0, opts.task
        finally:
            if was:
                gc.enable()
