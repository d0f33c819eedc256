"""Outputs: concurrent writers lose nothing, a crash never makes a fresh file look hand-edited, links are not followed."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

import reporttool as rt
from reporttool import api
from reporttool.errors import UserError


def test_concurrent_writers_into_one_folder_lose_no_record(tmp_path):
    def worker(k: int) -> None:
        for i in range(100):
            api.write_outputs({tmp_path / f"w{k}-{i}.md": f"{k}-{i}".encode()})

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = list((tmp_path / api.STATE_DIR).iterdir())
    assert len(records) == 400
    # Each output is still recognised as ours: a second write goes through without --force.
    api.write_outputs({tmp_path / f"w{k}-{i}.md": b"again" for k in range(4) for i in range(100)})


def test_record_cost_does_not_grow_with_the_folder(tmp_path):
    api.write_outputs({tmp_path / f"o{i}.md": b"x" for i in range(300)})
    sizes = {p.stat().st_size for p in (tmp_path / api.STATE_DIR).iterdir()}
    assert max(sizes) < 200  # one small record per output, not one file holding them all


@pytest.mark.parametrize("stage", ["before", "after"])
def test_a_crash_around_the_replace_is_not_a_hand_edit(tmp_path, monkeypatch, stage):
    out = tmp_path / "r.md"
    api.write_outputs({out: b"old"})
    real = api.write_atomic
    calls = []

    def crashing(path: Path, data: bytes) -> None:
        calls.append(path)
        if path == out and stage == "before":
            raise KeyboardInterrupt  # killed before the output was replaced
        real(path, data)
        if path == out and stage == "after":
            raise KeyboardInterrupt  # killed after it, before the final record

    monkeypatch.setattr(api, "write_atomic", crashing)
    with pytest.raises(KeyboardInterrupt):
        api.write_outputs({out: b"new"})
    monkeypatch.setattr(api, "write_atomic", real)
    api.write_outputs({out: b"newer"})  # no refusal either way
    assert out.read_bytes() == b"newer"


def test_hand_edit_is_still_refused(tmp_path):
    out = tmp_path / "r.md"
    api.write_outputs({out: b"ours"})
    out.write_bytes(b"edited by hand")
    with pytest.raises(UserError, match="被修改过"):
        api.write_outputs({out: b"new"})
    assert out.read_bytes() == b"edited by hand"


def test_legacy_state_file_is_honoured(tmp_path):
    out = tmp_path / "r.md"
    out.write_bytes(b"from an earlier version")
    (tmp_path / api.STATE_FILE).write_text(json.dumps({"files": {"r.md": api._digest(b"from an earlier version")}}))
    api.write_outputs({out: b"new"})
    assert out.read_bytes() == b"new"


def test_backup_never_writes_through_a_link(tmp_path):
    out = tmp_path / "r.md"
    out.write_bytes(b"hand made")
    elsewhere = tmp_path / "elsewhere" / "victim.txt"
    os.symlink(elsewhere, tmp_path / "r.md.bak")  # dangling link where the backup would go
    api.write_outputs({out: b"new"}, force=True)
    assert not elsewhere.exists()
    assert (tmp_path / "r.md.bak2").read_bytes() == b"hand made"


def test_an_output_that_is_a_link_is_replaced_not_followed(tmp_path):
    target = tmp_path / "target.txt"
    target.write_bytes(b"keep me")
    os.symlink(target, tmp_path / "r.md")
    with pytest.raises(UserError, match="被修改过"):
        api.write_outputs({tmp_path / "r.md": b"new"})
    api.write_outputs({tmp_path / "r.md": b"new"}, force=True)
    assert target.read_bytes() == b"keep me" and (tmp_path / "r.md").read_bytes() == b"new"


def test_state_folder_that_is_a_file(tmp_path):
    (tmp_path / api.STATE_DIR).write_text("not a folder")
    with pytest.raises(UserError, match="记录文件夹"):
        api.write_outputs({tmp_path / "r.md": b"x"})


def test_very_long_input_name_is_a_message(tmp_path):
    from tests.conftest import PROJECT_EXAMPLE
    name = "项" * 82 + ".yaml"  # 246 bytes in UTF-8; with -附件.xlsx the output name is too long
    source = tmp_path / name
    source.write_bytes(PROJECT_EXAMPLE.read_bytes())
    with pytest.raises(UserError) as info:
        rt.render_annexes(rt.load(source), ["xlsx"], tmp_path / "out")
    assert "文件名过长" in str(info.value)
