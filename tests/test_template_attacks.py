"""A user's template folder is hostile: every attack ends in a located Chinese message, nothing written.

Each case builds its payload under tmp_path and is tried through both `templates lint` and
`render --template`: lint must refuse whatever render would.
"""

from __future__ import annotations

import io
import os
import time
import zipfile

import pytest
from docx import Document
from typer.testing import CliRunner

import reporttool as rt
import reporttool.sandbox as sandbox
from reporttool.cli import app
from tests.conftest import DEPT_EXAMPLE

runner = CliRunner(env={"COLUMNS": "300"})
SECTIONS = "kinds/dept_self/sections.j2"
MARKER = "{{ r.department.management }}"  # a line of sections.j2 a payload replaces


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "tpl"
    assert runner.invoke(app, ["templates", "export", str(folder)]).exit_code == 0
    return folder


@pytest.fixture(autouse=True)
def short_time_limit(monkeypatch):
    monkeypatch.setattr(sandbox, "TIME_LIMIT", 1.5)


def put(folder, relpath, old, new):
    path = folder / relpath
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path, needle):
    return next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in t)


def refused(folder, tmp_path, *needles):
    """Both lint and render refuse, in bounded time, with the needles in the message and nothing written."""
    out = tmp_path / "out"
    for args in (["templates", "lint", str(folder)],
                 ["render", str(DEPT_EXAMPLE), "--template", str(folder), "-o", str(out)]):
        start = time.monotonic()
        result = runner.invoke(app, args)
        assert time.monotonic() - start < 20
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output and "Undefined" not in result.output
        for needle in needles:
            assert needle in result.stderr, result.stderr
        assert not out.exists()
    return result.stderr


PICKLE = "cos\nsystem\n(S'touch {flag}'\ntR."


def test_a_template_cannot_reach_pydantic_loaders(folder, tmp_path):
    flag = tmp_path / "pwned"
    payload = '{% set x = r.parse_raw("' + PICKLE.format(flag=flag).replace("\n", "\\n") + \
              '", proto="pickle", allow_pickle=True) %}'
    path = put(folder, SECTIONS, "{% macro summary() %}", "{% macro summary() %}\n" + payload)
    refused(folder, tmp_path, f"{path}:{line_of(path, 'parse_raw')}: r.parse_raw：报告数据只能读取，不能调用")
    assert not flag.exists()


@pytest.mark.parametrize("obj", ["view", "model"])
def test_the_sandbox_refuses_methods_even_of_a_model(obj):
    from reporttool.env import make_env

    report = rt.load(DEPT_EXAMPLE)
    env = make_env(None, "text", sandboxed=True)
    template = env.from_string("{{ r.parse_raw('x', proto='pickle', allow_pickle=True) }}")
    with pytest.raises(Exception) as info:
        template.render(r=rt.view(report) if obj == "view" else report)
    expected = "has no attribute 'parse_raw'" if obj == "view" else "模板不能访问 parse_raw"
    assert expected in str(info.value)


def test_the_view_holds_plain_values_only():
    r = rt.view(rt.load(DEPT_EXAMPLE))
    seen, stack = 0, [r]
    while stack:
        value = stack.pop()
        seen += 1
        assert not hasattr(value, "model_validate") and not callable(value)
        if isinstance(value, tuple):
            stack.extend(value)
        elif type(value) in sandbox.SAFE_ATTRS:
            stack.extend(getattr(value, name) for name in sandbox.SAFE_ATTRS[type(value)] if name != "magnitude")
        else:
            assert isinstance(value, (str, int, bool, type(None), *sandbox.ALLOWED_OUTPUT)), type(value)
    assert seen > 500


NOTHING_BUT_FIELDS = [
    ("{{ [r] | map(attribute='__class__') | list }}", "模板不能访问 __class__"),
    ("{{ r.funds.__class__ }}", "r.funds.__class__：模板不允许访问以下划线开头的属性"),
    ("{{ r.funds }}", "模板只能输出文字和数字"),
    ("{{ r.indicators[0].children }}", "模板只能输出文字和数字，不能输出列表或映射"),
]
SIZE_BOMBS = [
    ("{{ 'x' | center(999999999) }}", "center 宽度过大"),
    ("{{ '{:>999999999}'.format('x') }}", "模板不能访问 format"),
    ("{{ '%0999999999d' % 1 }}", "格式宽度过大"),
    ("{{ '%*d' % (999999999, 1) }}", "不能用 * 指定宽度"),
    ("{{ 'x' | indent(999999999) }}", "indent 宽度过大"),
    ("{{ ('x' * 100000) | replace('x', 'x' * 100000) }}", "文字过长"),
    ("{{ range(100000) | join('x' * 100000) }}", "文字过长"),
    ("{{ lipsum(999999999) }}", "lipsum"),
    ("{{ 'x' * 1000000000 }}", "文字过长"),
    ("{{ range(10) | batch(999999999, 'x') | list }}", "batch 数量过大"),
]


@pytest.mark.parametrize("payload, needle", NOTHING_BUT_FIELDS + SIZE_BOMBS)
def test_refused_in_section_macros(folder, tmp_path, payload, needle):
    put(folder, SECTIONS, MARKER, payload)
    refused(folder, tmp_path, needle)


@pytest.mark.parametrize("relpath, old", [
    (SECTIONS, MARKER),
    ("report.md.j2", "{% for b in doc.blocks %}"),
])
@pytest.mark.parametrize("payload, needle", [
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "模板运行超过 1.5 秒"),
    ("{{ 9**64**64**64 }}", "乘方过大"),
])
def test_cpu_bombs(folder, tmp_path, relpath, old, payload, needle):
    put(folder, relpath, old, payload + old)
    refused(folder, tmp_path, needle)


def test_cpu_bomb_in_the_word_skin(folder, tmp_path):
    doc = Document(folder / "report.docx")
    doc.add_paragraph("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    doc.save(folder / "report.docx")
    refused(folder, tmp_path, f"{folder / 'report.docx'}: 模板出错（第 ", "模板运行超过 1.5 秒")


@pytest.mark.parametrize("payload, needle", [
    ("{% set x = 1/0 %}", "除数为零"),
    ("{% set x = 'a' + 1 %}", "类型不符"),
    ("{% import 'kinds/dept_self/sections.j2' as me %}", "形成循环"),
    ("{% if %}", "语法错误"),
])
def test_top_level_errors_are_located(folder, tmp_path, payload, needle):
    path = put(folder, SECTIONS, '{% import "kinds/shared.j2" as shared %}',
               '{% import "kinds/shared.j2" as shared %}\n' + payload)
    refused(folder, tmp_path, f"{path}:{line_of(path, payload)}: ", needle)


def test_extends_itself(folder, tmp_path):
    path = folder / "report.md.j2"
    path.write_text("{% extends 'report.md.j2' %}", encoding="utf-8")
    refused(folder, tmp_path, f"{path}:", "形成循环")


def test_template_not_utf8(folder, tmp_path):
    path = folder / SECTIONS
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    refused(folder, tmp_path, f"{path}:", "不是 UTF-8 编码")


def test_symlinked_file_outside_the_folder(folder, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:secret", encoding="utf-8")
    os.symlink(secret, folder / "kinds" / "leak.j2")
    put(folder, SECTIONS, MARKER, "{% include 'kinds/leak.j2' %}")
    stderr = refused(folder, tmp_path, f"{folder / 'kinds' / 'leak.j2'}: 指向模板目录之外")
    assert "root:x" not in stderr


def test_symlinked_folder_outside(folder, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.j2").write_text("secret", encoding="utf-8")
    os.symlink(outside, folder / "kinds" / "more")
    put(folder, SECTIONS, MARKER, "{% include 'kinds/more/x.j2' %}")
    refused(folder, tmp_path, "指向模板目录之外")


def test_a_device_is_not_a_template(folder, tmp_path):
    (folder / "report.docx").unlink()
    os.symlink("/dev/zero", folder / "report.docx")
    refused(folder, tmp_path, "指向模板目录之外")


def rezip(folder, members: dict, compression=zipfile.ZIP_DEFLATED, drop=()):
    """Rewrite the user's report.docx with extra or replaced members."""
    skin = folder / "report.docx"
    with zipfile.ZipFile(skin) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist() if i.filename not in drop}
    parts.update(members)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in parts.items():
            if callable(data):
                with z.open(name, "w", force_zip64=True) as fh:
                    data(fh)
            else:
                z.writestr(name, data)
    skin.write_bytes(buf.getvalue())


def test_zip_bomb(folder, tmp_path):
    def zeros(fh):
        block = b"\0" * 2**20
        for _ in range(80):
            fh.write(block)
    rezip(folder, {"word/media/bomb.bin": zeros})
    assert (folder / "report.docx").stat().st_size < 2 * 2**20
    refused(folder, tmp_path, "疑似压缩炸弹")


def test_zip_slip_member(folder, tmp_path):
    rezip(folder, {"../../evil.txt": b"x"})
    refused(folder, tmp_path, "指向包外")


def test_lzma_members(folder, tmp_path):
    rezip(folder, {}, compression=zipfile.ZIP_LZMA)
    refused(folder, tmp_path, "不支持的压缩方式")


def test_docx_without_document_xml(folder, tmp_path):
    rezip(folder, {}, drop=("word/document.xml",))
    refused(folder, tmp_path, "缺少 word/document.xml")


def test_not_a_zip(folder, tmp_path):
    (folder / "report.docx").write_bytes(b"not a zip")
    refused(folder, tmp_path, "不是有效的 .docx")


def test_dtd_in_a_part(folder, tmp_path):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    rezip(folder, {"word/custom.xml": bomb})
    refused(folder, tmp_path, "DTD")


@pytest.mark.parametrize("old, new, needle", [
    ("each: problems", "each: __class__.__mro__", "逐项生成 __class__.__mro__ 无效：数据中没有 __class__"),
    ("each: problems", "each: department.name", "逐项生成 department.name 无效：它不是由多项组成的列表"),
    ("each: problems", "each: year", "逐项生成 year 无效：它不是由多项组成的列表"),
    ("when: procurement", "when: procurement.__dict__", "所需数据 procurement.__dict__ 无效：数据中没有 __dict__"),
])
def test_outline_paths_resolve_against_the_view_only(folder, tmp_path, old, new, needle):
    path = put(folder, "kinds/dept_self/outline.yaml", old, new)
    refused(folder, tmp_path, f"{path}:{line_of(path, new)}:", needle)


def test_item_title_must_be_a_text_field(folder, tmp_path):
    path = folder / "kinds/dept_self/outline.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("each: problems", "each: problems\n    item_title: __dict__", 1)
    path.write_text(text, encoding="utf-8")
    refused(folder, tmp_path, f"{path}:{line_of(path, 'item_title: __dict__')}:", "下级标题字段 __dict__ 无效")
