"""What a browser sends, taken in as hostile: bounded sizes and counts, names that cannot leave the
request's folder, and .zip files unpacked only as far as they are plainly a folder of reports."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import UserError

MB = 2 ** 20


def size(n: int) -> str:
    """20 MB, 1.5 MB, 800 KB: a limit as a person reads it."""
    return f"{n / MB:g} MB" if n >= MB // 2 else f"{max(1, round(n / 1024))} KB"


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 20 * MB      # one uploaded file (and one file inside an uploaded .zip)
    request_bytes: int = 200 * MB  # one request, and everything one .zip unpacks to
    files: int = 200               # files in one request, those inside .zip files included
    seconds: float = 120.0         # one render or review in a worker

    def describe(self) -> str:
        return f"单个文件不超过 {size(self.file_bytes)}，每次上传合计不超过 {size(self.request_bytes)}、{self.files} 个文件"


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def safe_name(name: str, fallback: str = "上传文件") -> str:
    """A file name as the user's computer gave it, reduced to its last part and to characters every disk takes."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    name = _UNSAFE.sub("", name).strip(" ").rstrip(". ")
    stem, dot, suffix = name.rpartition(".")
    if dot and 0 < len(suffix) <= 8 and " " not in suffix:
        stem = stem[:80].strip(" .")
        return f"{stem or fallback}.{suffix}"
    return name.lstrip(".")[:80] or fallback


def unique(folder: Path, name: str) -> Path:
    """A path in ``folder`` for ``name`` that no earlier file took (报告.docx, 报告（2）.docx …)."""
    path = folder / name
    stem, suffix, n = path.stem, path.suffix, 2
    while path.exists():
        path = folder / f"{stem}（{n}）{suffix}"
        n += 1
    return path


async def save(upload: Any, folder: Path, limits: Limits) -> Path:
    """One uploaded file written into ``folder`` under a safe name, read no further than the size limit."""
    folder.mkdir(parents=True, exist_ok=True)
    name = safe_name(upload.filename or "")
    data = await upload.read(limits.file_bytes + 1)
    if len(data) > limits.file_bytes:
        raise UserError(f"文件 {name} 超过 {size(limits.file_bytes)}，未处理")
    path = unique(folder, name)
    path.write_bytes(data)
    return path


def unpack(archive: Path, folder: Path, suffixes: tuple[str, ...], limits: Limits, budget: list[int]) -> tuple[list[Path], list[str]]:
    """The reports inside an uploaded .zip, each under a safe path in ``folder``; and what was left out, said.

    ``budget`` holds [files, bytes] still allowed for the request: a zip bomb or a million entries stop here."""
    found: list[Path] = []
    notes: list[str] = []
    try:
        z = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UserError(f"{archive.name} 不是有效的 .zip 压缩包") from None
    with z:
        for info in z.infolist():
            if info.is_dir():
                continue
            raw = info.filename
            parts = PurePosixPath(raw.replace("\\", "/")).parts
            if raw.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                notes.append(f"{archive.name} 中的 {raw!r} 指向压缩包之外，未解压")
                continue
            name = safe_name(parts[-1] if parts else "")
            if not name.lower().endswith(suffixes):
                if name.lower().endswith(".zip"):
                    notes.append(f"{archive.name} 中的压缩包 {name} 未展开（只展开一层）")
                continue
            if budget[0] <= 0:
                raise UserError(f"{archive.name} 中的文件超过每次 {limits.files} 个的上限，未处理")
            if info.flag_bits & 0x1:
                notes.append(f"{archive.name} 中的 {name} 已加密，未解压")
                continue
            try:
                with z.open(info) as fh:
                    data = fh.read(min(limits.file_bytes, budget[1]) + 1)
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, RuntimeError):
                notes.append(f"{archive.name} 中的 {name} 已损坏，未解压")
                continue
            if len(data) > limits.file_bytes:
                notes.append(f"{archive.name} 中的 {name} 解压后超过 {size(limits.file_bytes)}，未处理")
                continue
            if len(data) > budget[1]:
                raise UserError(f"{archive.name} 解压后超过 {size(limits.request_bytes)}（疑似压缩炸弹），未处理")
            budget[0] -= 1
            budget[1] -= len(data)
            sub = folder.joinpath(*[safe_name(p, "文件夹") for p in parts[:-1]][:4])
            sub.mkdir(parents=True, exist_ok=True)
            path = unique(sub, name)
            path.write_bytes(data)
            found.append(path)
    return found, notes
