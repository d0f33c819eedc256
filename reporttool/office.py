"""The office suite: LibreOffice found once, run headless with a private profile, bounded in time.

Everything it reads and writes lives in one temporary folder; the caller gets the converted bytes
and writes them through api.py's all-or-nothing write. A user's own LibreOffice may be open:
the private profile (-env:UserInstallation) starts a separate instance that leaves it alone.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import UserError

SUITE = "LibreOffice"
ENV_PROGRAM = "REPORTTOOL_SOFFICE"         # where soffice is, when it is not on PATH
ENV_TIMEOUT = "REPORTTOOL_OFFICE_TIMEOUT"  # seconds per file
SECONDS_PER_FILE = 120  # a long report takes seconds; the first start of a profile a few more
# where installers put it when it is not on PATH
INSTALLED = (r"C:\Program Files\LibreOffice\program\soffice.exe", r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
             "/Applications/LibreOffice.app/Contents/MacOS/soffice", "/opt/libreoffice/program/soffice")
INSTALL = (f"未找到 {SUITE}，无法生成 PDF：Debian/Ubuntu 上运行 sudo apt-get install libreoffice-writer-nogui "
           f"fonts-noto-cjk；Windows 上从 libreoffice.org 下载安装 {SUITE}，或设置环境变量 {ENV_PROGRAM} 指向 soffice.exe；"
           "未写入任何文件")


def find_soffice() -> str:
    """The soffice program: REPORTTOOL_SOFFICE, else PATH, else where installers put it."""
    named = os.environ.get(ENV_PROGRAM, "").strip()
    if named:
        found = shutil.which(named)
        if not found:
            raise UserError(f"环境变量 {ENV_PROGRAM} 指向的 {named} 不存在或不能运行；请改为 soffice 的完整路径；未写入任何文件")
        return found
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for path in INSTALLED:
        if os.path.isfile(path):
            return path
    raise UserError(INSTALL)


def seconds_per_file() -> float:
    value = os.environ.get(ENV_TIMEOUT, "").strip()
    try:
        seconds = float(value) if value else SECONDS_PER_FILE
    except ValueError:
        seconds = -1
    if not 0 < seconds <= 3600:
        raise UserError(f"环境变量 {ENV_TIMEOUT} 应为每个文件允许的秒数（1 至 3600），收到 {value}")
    return seconds


def convert(files: dict[str, tuple[str, bytes]], target: str = "pdf") -> dict[str, bytes]:
    """Convert many files in one office process: {label: (suffix, content)} -> {label: converted content}.

    ``label`` names a file in messages. The process may take ``seconds_per_file`` per file; past
    that it is killed with everything it started, and the message says which files did not convert.
    """
    program = find_soffice()
    timeout = seconds_per_file() * len(files)
    try:
        # a killed office suite may still hold its files on Windows: what cannot be removed is left to the system
        with tempfile.TemporaryDirectory(prefix="reporttool-office-", ignore_cleanup_errors=True) as tmp:
            return _convert(program, Path(tmp), files, target, timeout)
    except OSError as exc:
        raise UserError(f"无法在临时文件夹中准备 {SUITE} 转换（{exc.strerror or exc}）；未写入任何文件") from None


def _convert(program: str, folder: Path, files: dict[str, tuple[str, bytes]], target: str, timeout: float) -> dict[str, bytes]:
    (folder / "in").mkdir()
    # plain ASCII names: no path or encoding on any platform can trip the office suite
    sources = {label: folder / "in" / f"{n:04d}{suffix}" for n, (label, (suffix, _)) in enumerate(files.items())}
    for label, path in sources.items():
        path.write_bytes(files[label][1])
    out = folder / "out"
    command = [program, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--invisible",
               "--nologo", "--norestore", "--nolockcheck", "--convert-to", target, "--outdir", str(out),
               *map(str, sources.values())]
    results = {label: out / (path.stem + "." + target) for label, path in sources.items()}
    why = _run(command, timeout)
    missing = [label for label, path in results.items() if not path.is_file() or not path.stat().st_size]
    if why == "timeout":
        raise UserError(f"{SUITE} 转换超时（每个文件限 {timeout / len(files):g} 秒）：{_names(missing or list(files))}"
                        f"未能转换为 {target.upper()}；未写入任何文件（可用环境变量 {ENV_TIMEOUT} 放宽每个文件的秒数）")
    if missing:
        raise UserError(f"{SUITE} 未能将 {_names(missing)} 转换为 {target.upper()}{why}；未写入任何文件")
    return {label: path.read_bytes() for label, path in results.items()}


def _names(labels: list[str]) -> str:
    return "、".join(f"「{label}」" for label in labels)


def _run(command: list[str], timeout: float) -> str:
    """Run the office suite; "timeout" when it had to be killed, else what it said when it failed (or "")."""
    windows = sys.platform == "win32"
    try:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=not windows,
                                creationflags=subprocess.CREATE_NEW_PROCESS_GROUP if windows else 0)
    except OSError as exc:
        raise UserError(f"无法启动 {SUITE}（{command[0]}）：{exc.strerror or exc}；未写入任何文件") from None
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, windows)
        return "timeout"
    said = err.decode("utf-8", "replace").strip().splitlines()
    return f"（{said[-1][:200]}）" if said and proc.returncode else ""


def _kill_group(proc: subprocess.Popen, windows: bool) -> None:
    """The office suite and every process it started (soffice is a script that starts soffice.bin)."""
    try:
        if windows:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, timeout=30)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, subprocess.SubprocessError):
        pass
    proc.kill()
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def substitutes(fonts: list[str]) -> list[tuple[str, str]]:
    """(font, the face used instead) for each font this machine lacks, where fontconfig can tell (fc-match)."""
    program = shutil.which("fc-match")
    if not program:
        return []
    found = [(font, _match(program, font)) for font in fonts]
    return [(font, face) for font, face in found if face]


@functools.lru_cache(maxsize=256)
def _match(program: str, font: str) -> str:
    """The face fontconfig gives Chinese text asked for in ``font``; "" when it is that font itself."""
    pattern = "".join("\\" + c if c in "\\-:,=" else c for c in font) + ":lang=zh-cn"
    try:
        done = subprocess.run([program, "-f", "%{family}", pattern], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    families = [f.strip() for f in done.stdout.decode("utf-8", "replace").split(",") if f.strip()]
    if done.returncode or not families or font.casefold() in {f.casefold() for f in families}:
        return ""
    return families[0]
