"""Our templates' compiled code and our Word skin's preparation kept between runs: the same reports, and
never a user's templates."""

from __future__ import annotations

import io
import shutil
import zipfile

import reporttool as rt
from reporttool.templates import BUILTIN, TemplateSet
from tests.conftest import DEPT_EXAMPLE


def parts(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core.xml: the time written


def kept(folder):
    return sorted(p for p in folder.rglob("*.cache"))


def skins(folder):
    return sorted(folder.rglob("word-skins/*.json"))


def test_compiled_templates_are_kept_and_give_the_same_report(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path))
    report = rt.load(DEPT_EXAMPLE)
    first = rt.render_bytes(report, templates=TemplateSet())
    files = kept(tmp_path)
    assert {p.parent.name for p in files} == {"docx", "markdown", "text"}  # one folder per flavor
    again = rt.render_bytes(report, templates=TemplateSet())  # compiled code read back
    assert again["md"] == first["md"] and parts(again["docx"]) == parts(first["docx"])
    assert kept(tmp_path) == files
    for p in files:  # damaged entries are compiled afresh, not run
        p.write_bytes(b"not compiled code")
    damaged = rt.render_bytes(report, templates=TemplateSet())
    assert damaged["md"] == first["md"] and parts(damaged["docx"]) == parts(first["docx"])


def test_a_cache_folder_that_cannot_be_made_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setenv("LOCALAPPDATA", str(blocked))
    files = rt.render_bytes(rt.load(DEPT_EXAMPLE), templates=TemplateSet())
    assert files["md"].startswith("# ".encode())


def test_a_users_templates_are_never_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "cache"))
    theirs = tmp_path / "tpl"
    shutil.copytree(BUILTIN, theirs)  # what `templates export` writes
    rt.render_bytes(rt.load(DEPT_EXAMPLE), templates=TemplateSet(theirs))
    assert kept(tmp_path / "cache") == [] and skins(tmp_path / "cache") == []


def test_the_word_skin_is_prepared_once_and_read_back_without_docxtpl(tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path))
    report = rt.load(DEPT_EXAMPLE)
    first = rt.render_bytes(report, ["docx"], templates=TemplateSet())["docx"]
    [skin] = skins(tmp_path)
    # a fresh process reads the preparation back: neither docxtpl (nor python-docx) nor lxml is loaded
    probe = ("import sys, reporttool as rt\nfrom reporttool.templates import TemplateSet\n"
             f"open(sys.argv[1], 'wb').write(rt.render_bytes(rt.load({str(DEPT_EXAMPLE)!r}), ['docx'], templates=TemplateSet())['docx'])\n"
             "print([m for m in ('docxtpl', 'docx', 'lxml') if m in sys.modules])")
    out = tmp_path / "again.docx"
    run = subprocess.run([sys.executable, "-c", probe, str(out)], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
    assert parts(out.read_bytes()) == parts(first)
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert z.testzip() is None  # parts copied from the template's package keep their checksums
    skin.write_bytes(b"{not json")  # a damaged preparation is prepared afresh
    assert parts(rt.render_bytes(report, ["docx"], templates=TemplateSet())["docx"]) == parts(first)
    assert skin.read_bytes().startswith(b'{"restored"')

