"""Input as clerks type it on a Chinese keyboard: right line, Chinese words, never a traceback or a wrong figure."""

from __future__ import annotations

import codecs
import io
import zipfile
from decimal import Decimal as D

import pytest
import yaml

import reporttool as rt
from reporttool.errors import InputError
from tests.test_errors import BASE


def problems(text: str, name: str = "r.yaml") -> list[str]:
    try:
        report = rt.load_text(text, name)
    except InputError as exc:
        return [p.format() for p in exc.problems]
    return [p.format() for p in rt.validate(report)]


def line_of(text: str, needle: str) -> int:
    return next(i for i, t in enumerate(text.splitlines(), 1) if needle in t)


SLIPS = [
    ("full-width colon", "  name: 某某局", "  name：某某局", "“name”后面是中文全角冒号“：”，应改为英文半角冒号“:”并在其后加一个空格"),
    ("full-width colon in a list", "    - title: 工作一", "    - title：工作一", "“title”后面是中文全角冒号“：”"),
    ("full-width colon top", "year: 2024", "year：2024", "“year”后面是中文全角冒号“：”"),
    ("no space block", "  rank: 正科级", "  rank:正科级", "“rank:”后面缺少空格，应写成“rank: 正科级”"),
    ("tab at line start", "  rank: 正科级", "\trank: 正科级", "行首的缩进用了制表符（Tab），请改用空格"),
    ("quotes inside", "  rank: 正科级", '  rank: "两个确保"工作机制', "引号只能把整段文字括起来，引号后面还有“工作机制”"),
    ("at sign", "  rank: 正科级", "  rank: @所有人", "文字不能以“@”开头"),
    ("percent sign", "  rank: 正科级", "  rank: %50完成", "文字不能以“%”开头"),
    ("backtick", "  rank: 正科级", "  rank: `代码`", "文字不能以“`”开头"),
    ("bang", "  rank: 正科级", "  rank: !重要", "以“!”开头会被当作 YAML 标签"),
    ("star", "  rank: 正科级", "  rank: *重点*工作", "会被当作 YAML 的别名"),
    ("ampersand", "  rank: 正科级", "  rank: &重点", "会被当作 YAML 的锚点"),
    ("dash", "  rank: 正科级", "  rank: - 第一", "冒号后面不能直接写“- ”列表项"),
    ("flow commas", "  - {id: P1, title: 档案不全}", "  - {id: P1, title: 档案不全, 原因是人手不足}", "花括号 {…} 里的文字含有英文逗号或冒号"),
]


@pytest.mark.parametrize("name, old, new, expected", [s for s in SLIPS if s[3]], ids=[s[0] for s in SLIPS if s[3]])
def test_slip_is_named_on_its_own_line(name, old, new, expected):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    [message] = problems(text)
    assert message.startswith(f"r.yaml:{line_of(text, new.strip())}:"), message
    assert expected in message


def test_all_slips_of_a_file_in_one_run():
    text = BASE
    for old, new in (("  name: 某某局", "  name：某某局"), ("year: 2024", "year：2024"), ("  rank: 正科级", "\trank: 正科级"),
                     ("    - title: 工作一", "    - title:工作一"),
                     ("  purpose: 改进管理。", "  purpose: @改进管理。")):
        text = text.replace(old, new, 1)
    found = problems(text)
    assert [int(m.split(":")[1]) for m in found] == [2, 4, 5, 8, 17]
    assert [int(m.split(":")[1]) for m in found] == sorted(int(m.split(":")[1]) for m in found)


def test_hash_after_a_space_warns_that_text_was_cut():
    text = BASE.replace("  rank: 正科级", "  rank: 正科级 #重点")
    [warning] = [m for m in problems(text) if "注释" in m]
    assert warning.startswith(f"r.yaml:{line_of(text, '#重点')}:") and "［警告］" in warning


def test_trailing_comments_of_the_skeleton_are_not_warned():
    for kind in rt.REPORT_KINDS:
        from reporttool.templates import BUILTIN, kind_file
        text = (BUILTIN / kind_file(kind, "skeleton.yaml")).read_text(encoding="utf-8")
        assert [m for m in problems(text) if "注释" in m] == []


# Numbers are read as typed: never YAML 1.1's octal, hexadecimal or base 60.
@pytest.mark.parametrize("typed, expected", [("0100", "100.00"), ("010", "10.00"), ("0100.50", "100.50")])
def test_leading_zeros_are_decimal(typed, expected):
    text = BASE.replace("fiscal: 100.00", f"fiscal: {typed}")
    r = rt.view(rt.load_text(text, "r.yaml"))
    assert r.funds.income.fiscal.number == expected


@pytest.mark.parametrize("typed", ["0x1F", "1:30.5", "1:30", "0o17", "0b101"])
def test_other_number_forms_are_refused_not_converted(typed):
    text = BASE.replace("fiscal: 100.00", f"fiscal: {typed}")
    [message] = problems(text)
    assert f"应为金额（万元），例如 6348.37 或 \"6,348.37\"，收到 {typed}" in message


def test_negative_zero_is_zero():
    r = rt.view(rt.load_text(BASE.replace("other: 0,", "other: -0.0,", 1), "r.yaml"))
    assert r.funds.income.other.number == "0.00"


def test_too_many_decimal_places_is_refused():
    [message] = problems(BASE.replace("fiscal: 100.00", "fiscal: 1.0e-20"))
    assert "金额（万元）最多保留 6 位小数" in message


@pytest.mark.parametrize("typed, text", [("100", "100"), ("99.80", "99.80"), ("2024", "2024"), ("0100", "0100")])
def test_numbers_in_text_fields_are_kept_as_typed(typed, text):
    source = BASE.replace("  rank: 正科级", f"  rank: {typed}")
    assert rt.view(rt.load_text(source, "r.yaml")).department.rank == text


@pytest.mark.parametrize("typed, expected", [
    ("2025年3月28日", "2025年3月28日"), ("2025/3/28", "2025年3月28日"), ("2025.3.28", "2025年3月28日"),
    ("2025-3-28", "2025年3月28日"), ("2025-03-28", "2025年3月28日"), ("2025年5月", "2025年5月"),
])
def test_signing_dates_as_clerks_write_them(typed, expected):
    r = rt.view(rt.load_text(BASE.replace("year: 2024", f"year: 2024\nsigned_on: {typed}"), "r.yaml"))
    assert r.signed_on == expected


@pytest.mark.parametrize("typed", ["2025年2月30日", "2025/13/1"])
def test_impossible_dates_stay_errors(typed):
    [message] = problems(BASE.replace("year: 2024", f"year: 2024\nsigned_on: {typed}"))
    assert f"日期不存在：{typed}" in message


def test_period_dates_in_chinese():
    text = BASE.replace("  purpose: 改进管理。", "  purpose: 改进管理。\n  period_start: 2024年1月1日\n  period_end: 2024/12/31")
    r = rt.view(rt.load_text(text, "r.yaml"))
    assert (r.period_start.month, r.period_end.day) == (1, 31)


def test_choices_and_inputs_are_shown_in_chinese():
    text = BASE.replace("funds:", "funds:\n  by_level:\n    - {level: 乡级, initial: 1, spent: 1}", 1)
    [message] = [m for m in problems(text) if "level" in m]
    assert "只能取以下值之一：中央、省级、市级、区级、县级、其他，收到 乡级" in message
    assert "'" not in message.split("）", 1)[1]


def test_folded_lines_do_not_put_spaces_between_chinese():
    text = BASE.replace("  rank: 正科级", "  rank: >-\n    负责财务\n    核算， 文联\n    工作")
    assert rt.view(rt.load_text(text, "r.yaml")).department.rank == "负责财务核算，文联工作"


def test_plain_multiline_value_is_joined_without_spaces():
    text = BASE.replace("  rank: 正科级", "  rank: 负责财务\n    核算工作")
    assert rt.view(rt.load_text(text, "r.yaml")).department.rank == "负责财务核算工作"


@pytest.mark.parametrize("char", ["\x08", "\x0b", "\x1f"])
def test_raw_control_characters_are_removed_with_a_warning(char):
    text = BASE.replace("  rank: 正科级", f"  rank: 正科{char}级")
    report = rt.load_text(text, "r.yaml")
    assert rt.view(report).department.rank == "正科级"
    [warning] = [m for m in (p.format() for p in rt.validate(report)) if "控制字符" in m]
    assert warning.startswith(f"r.yaml:{line_of(text, 'rank:')}:") and "已删除" in warning


@pytest.mark.parametrize("sep", ["\u2028", "\x85"])
def test_line_separators_do_not_shift_line_numbers(sep):
    text = BASE.replace("  rank: 正科级", f"  rank: 正科{sep}级").replace("  name: 某某局", "  name：某某局")
    assert rt.load_text(BASE.replace("  rank: 正科级", f"  rank: 正科{sep}级"), "r.yaml").department.rank == f"正科{sep}级"
    [message] = problems(text)
    assert message.startswith(f"r.yaml:{line_of(text, 'name：')}:")


@pytest.mark.parametrize("key", ["null", "1", "true", "2024-01-01"])
def test_non_string_keys(key):
    text = BASE.replace("  rank: 正科级", f"  {key}: 正科级")
    [message] = problems(text)
    assert message.startswith(f"r.yaml:{line_of(text, key + ':')}:") and "字段名应为英文字段名" in message


@pytest.mark.parametrize("text, needle", [
    ("[" * 1000 + "]" * 1000, "嵌套超过 50 层"),
    ("[" * 50000, "嵌套超过 50 层"),
    ("".join(f"{'  ' * i}k{i}:\n" for i in range(150)), "缩进超过 200 列"),
    ("x: &a [*a]\n", "别名（*）引用了包含它自己的锚点"),
    ("a: &a {b: *a}\n", "别名（*）引用了包含它自己的锚点"),
])
def test_deep_and_looping_input(text, needle):
    [message] = problems(text)
    assert needle in message


def test_deep_indicator_tree_is_refused():
    tree = "indicators:\n" + "".join(f"{'  ' * (2 * i + 1)}- name: 指标{i}\n{'  ' * (2 * i + 2)}children:\n" for i in range(40))
    text = BASE.split("indicators:")[0] + tree + "  " * 82 + "- {name: 叶, weight: 100, score: 90}\n"
    found = problems(text)
    assert found and all("Traceback" not in m for m in found)


@pytest.mark.parametrize("raw, needle", [
    (codecs.BOM_UTF8 + "kind: 部门".encode("gbk"), "文件开头标明是 UTF-8 编码，但内容不是"),
    (codecs.BOM_UTF16_LE + b"k\x00i\x00n\x00\x00\xd8", "文件开头标明是 UTF-16 编码，但内容不是"),
    (b"%PDF-1.7\n", "这是PDF 文件，不是 YAML 数据文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Word/Excel 文件"),
])
def test_files_that_are_not_yaml(tmp_path, raw, needle):
    path = tmp_path / "r.yaml"
    path.write_bytes(raw)
    with pytest.raises(InputError) as info:
        rt.load(path)
    assert needle in str(info.value)


@pytest.mark.parametrize("member, needle", [("word/document.xml", "Word 文档（.docx）"), ("xl/workbook.xml", "工作簿缺少 xl/_rels/workbook.xml.rels，文件不完整")])
def test_office_files_given_as_yaml(tmp_path, member, needle):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(member, "<x/>")
    path = tmp_path / "报告.docx"
    path.write_bytes(buf.getvalue())
    with pytest.raises(InputError) as info:
        rt.load(path)
    assert needle in str(info.value)
    if "Word" in needle:
        assert f"reporttool outline check {path}" in str(info.value)


def test_messages_never_show_python_reprs():
    for old, new in (("fiscal: 100.00", "fiscal: 一百"), ("  rank: 正科级", "  rank: [甲, 乙]"), ("year: 2024", "year: 二〇二四")):
        for message in problems(BASE.replace(old, new, 1)):
            assert "Decimal(" not in message and "None" not in message and "'" not in message, message


def test_exact_decimal_kept_through_the_view():
    r = rt.view(rt.load_text(BASE.replace("fiscal: 100.00", "fiscal: 100.10"), "r.yaml"))
    assert r.funds.income.fiscal.value == D("100.10")


def test_odd_length_utf16(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(codecs.BOM_UTF16_LE + "kind: x".encode("utf-16-le") + b"\x00")
    with pytest.raises(InputError) as info:
        rt.load(path)
    assert "UTF-16" in str(info.value)


def test_outline_that_includes_itself_by_alias(tmp_path):
    from reporttool.outline import load_outline
    path = tmp_path / "o.yaml"
    path.write_text("kind: dept_self\nname: x\nsections: &s\n  - {id: a, title: 甲, children: *s}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_outline(path)
    assert "别名（*）引用了包含它自己的锚点" in str(info.value)


def test_ten_thousand_problems_render(tmp_path):
    data = yaml.safe_load(BASE)
    data["problems"] = [{"id": f"P{i}", "title": f"第{i}个问题"} for i in range(1, 10_001)]
    data["suggestions"] = [{"title": "逐项整改", "answers": [f"P{i}" for i in range(1, 10_001)]}]
    report = rt.load_text(yaml.safe_dump(data, allow_unicode=True), "r.yaml")
    md = rt.render_bytes(report, ["md"])["md"].decode()
    assert "（一万）第10000个问题" in md


def test_huge_text_is_refused_by_validation():
    [message] = problems(BASE.replace("  rank: 正科级", "  rank: " + "长" * 30_000))
    assert "文字过长（30,000 字，上限 20,000 字）" in message


def test_huge_file_is_refused_before_parsing():
    with pytest.raises(InputError) as info:
        rt.load_text(BASE + "other: " + "x" * 10_000_001, "r.yaml")
    assert "文件超过 10,000,000 个字符" in str(info.value)
