"""Fuzzing: mutated examples, every kind of character in every text field, generated models.

The only acceptable outcomes are a document that re-opens or a user error with a message: no
traceback, no partial file. REPORTTOOL_FUZZ_EXAMPLES sets the total number of cases (CI: 2,000).
"""

from __future__ import annotations

import copy
import os
import tempfile

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reporttool as rt
from reporttool.document import title_lines
from reporttool.env import clean_text
from tests.conftest import EXAMPLES, PROJECT_EXAMPLE, example_data
from tests.docx_reader import read_docx

TOTAL = int(os.environ.get("REPORTTOOL_FUZZ_EXAMPLES", "200"))
SETTINGS = dict(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
BASES = [example_data(path) for path in EXAMPLES]


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


def text_paths(node, prefix=()):
    return [p for p in paths(node, prefix) if p and isinstance(get(node, p), str)]


def get(node, path):
    for part in path:
        node = node[part]
    return node


def exercise(text: str) -> None:
    """Load, check, render and re-open; only user errors may stop it."""
    try:
        report = rt.load_text(text, "fuzz.yaml")
    except rt.UserError as exc:
        assert exc.problems or exc.message
        for problem in exc.problems:
            assert problem.message and problem.format()
        return
    for problem in rt.validate(report):
        assert problem.format()
    with tempfile.TemporaryDirectory() as folder:
        written = rt.render(report, outdir=folder, force=True)
        assert sorted(os.listdir(folder)) == sorted([p.name for p in written] + [".reporttool"])
        document = read_docx(written[0].read_bytes()).doc
        assert document.paragraphs[0].text == "\n".join(title_lines(clean_text(rt.view(report).report_title)))
        assert written[1].read_text(encoding="utf-8").startswith("# ")
        try:
            annexes = rt.annex_bytes(report, ["xlsx"])
        except rt.UserError as exc:  # a report that carries no annex at all
            assert "没有附件可生成" in exc.message
            return
        assert annexes["xlsx"][:2] == b"PK"


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**15, 10**15),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["6,348.37", "95.39%", "-1", "1e400", "", "　", "0.005", "12万元", "2024-13-01", "优", "P1"]),
    st.lists(st.integers(0, 5), max_size=3), st.dictionaries(st.sampled_from(["name", "x", "weight"]), st.integers(0, 50), max_size=2),
)


@st.composite
def mutated_yaml(draw):
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from([p for p in paths(data) if p]))
        parent, key = get(data, path[:-1]), path[-1]
        op = draw(st.sampled_from(["drop", "duplicate", "retype", "garbage", "rename", "extra"]))
        if op == "drop":
            del parent[key]
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif op == "retype":
            parent[key] = draw(SCALARS)
        elif op == "garbage":
            parent[key] = draw(st.text(min_size=1, max_size=40))
        elif op == "rename" and isinstance(parent, dict):
            parent[str(key) + draw(st.sampled_from(["s", "_", "x"]))] = parent.pop(key)
        elif op == "extra" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["note", "备注", "weight", "children"]))] = draw(SCALARS)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if draw(st.booleans()):
        lines = text.splitlines()
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "tab", "truncate", "dedent"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "tab":
            lines[i] = "\t" + lines[i]
        elif op == "truncate":
            lines = lines[:i] + [lines[i][: len(lines[i]) // 2]]
        else:
            lines[i] = lines[i].lstrip()
        text = "\n".join(lines)
    return text


@settings(max_examples=max(TOTAL // 2, 20), **SETTINGS)
@given(mutated_yaml())
def test_mutated_examples(text):
    exercise(text)


ANY_CHARACTER = st.characters(codec=None, categories=None)  # every category, surrogates and private use included


@st.composite
def text_in_a_field(draw):
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    path = draw(st.sampled_from(text_paths(data)))
    value = draw(st.text(alphabet=ANY_CHARACTER, min_size=1, max_size=60))
    get(data, path[:-1])[path[-1]] = value
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@settings(max_examples=max(TOTAL // 4, 20), **SETTINGS)
@given(text_in_a_field())
def test_every_character_in_every_text_field(text):
    exercise(text)


money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False).map(str)
points = st.decimals(min_value=0, max_value=40, places=2, allow_nan=False)


@st.composite
def indicator(draw, depth):
    name = draw(st.text(alphabet=st.characters(categories=["Lo", "Nd", "Ll"]), min_size=1, max_size=8))
    if depth == 3 or draw(st.integers(0, 3)) == 0:
        weight = draw(points)
        return {"name": name, "weight": str(weight), "score": str(min(weight, draw(points)))}
    return {"name": name, "children": draw(st.lists(indicator(depth + 1), min_size=1, max_size=3))}


@st.composite
def generated_report(draw):
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    data["indicators"] = draw(st.lists(indicator(1), min_size=1, max_size=4))
    for key in ("stated_total_score", "stated_grade", "experience", "other", "summary"):
        if draw(st.booleans()):
            data.pop(key, None)
    if data["kind"] in ("dept_self", "key_eval"):
        f = data["funds"]
        for block in ("budget", "final"):
            f[block] = {"personnel": draw(money), "public": draw(money), "project": draw(money)}
        f["income"] = {"fiscal": draw(money), "other": draw(money), "carryover": draw(money)}
        for key in ("stated_carryover_end", "stated_shares", "by_level", "stated_usage_rate"):
            f.pop(key, None)
        if draw(st.booleans()):
            data.pop("procurement", None)
        if "goals" in data and draw(st.booleans()):
            data["goals"]["projects"] = []
    else:
        data["funds"]["lines"] = [{"source": s, "initial": draw(money), "budget": draw(money), "spent": draw(money)}
                                  for s in draw(st.lists(st.sampled_from(["当年财政拨款", "上年结转资金", "其他资金"]),
                                                         min_size=1, max_size=3, unique=True))]
        data["funds"].pop("stated_rate", None), data["funds"].pop("stated_score", None)
    data["problems"] = data["problems"][: draw(st.integers(1, len(data["problems"])))]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@settings(max_examples=max(TOTAL // 4, 20), **SETTINGS)
@given(generated_report())
def test_generated_models(text):
    exercise(text)


# --- raw input as keyboards and other programs produce it: loading only, so it can run 10,000 cases ---

INPUT_TOTAL = int(os.environ.get("REPORTTOOL_FUZZ_INPUT", "500"))
EXAMPLE_TEXTS = [path.read_text(encoding="utf-8") for path in EXAMPLES]
NUMBER_FORMS = ["0100", "010", "0x1F", "0o17", "0b101", "1:30", "1:30.5", "1_000", "-0.0", ".5", "1e3", "1.0e-20",
                "9" * 40, ".inf", "-.nan", "1,234.56", "95%", "９５％", "1234.56万元", "二〇二四", "2025年3月28日",
                "2025/13/1", "2025年5月", "~", "null", "yes", "on"]
SLIPS = ["：", ":", "\t", "\x08", "\x0b", "\x00", "\u2028", "\x85", "\ufeff", '"', "'", "#", " #", "@", "%", "`", "!",
         "&", "*", "{", "}", "[", "]", ",", "- ", "|", ">", "\r", "\\"]


@st.composite
def raw_input(draw):
    text = draw(st.sampled_from(EXAMPLE_TEXTS))
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        action = draw(st.sampled_from(["number", "slip", "nest", "indent", "key"]))
        if action == "number" and ": " in line:
            lines[i] = line.split(": ", 1)[0] + ": " + draw(st.sampled_from(NUMBER_FORMS))
        elif action == "slip":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(st.sampled_from(SLIPS)) + line[at:]
        elif action == "nest":
            depth = draw(st.sampled_from([10, 60, 1000, 5000]))
            lines[i] = line.split(":", 1)[0] + ": " + "[" * depth + "]" * draw(st.sampled_from([0, depth]))
        elif action == "indent":
            lines[i] = " " * draw(st.sampled_from([1, 3, 250])) + line
        else:
            lines[i] = draw(st.sampled_from(["null", "1", "true", "2024-01-01", "? [a]"])) + ": x"
    data = "\n".join(lines).encode("utf-8")
    prefix = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf\xb2\xbb"]))
    if draw(st.booleans()) and prefix in (b"", b"\xef\xbb\xbf"):
        data = data.decode("utf-8").encode("gb18030", "replace")
    return prefix + data


@settings(max_examples=INPUT_TOTAL, **SETTINGS)
@given(raw_input())
def test_raw_input_never_gives_a_traceback(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "r.yaml")
        with open(path, "wb") as fh:
            fh.write(raw)
        try:
            report = rt.load(path)
        except rt.UserError as exc:
            assert exc.problems or exc.message
            for problem in exc.problems:
                text = problem.format()
                assert "Decimal(" not in text and "Traceback" not in text
            return
        for problem in rt.validate(report):
            assert problem.format()
        rt.view(report)


def test_a_character_that_never_prints_takes_no_room_in_the_title():
    """Found by the property test at full strength: the title was broken by a width that counted U+001F."""
    data = example_data(PROJECT_EXAMPLE)
    data["project"]["name"] = "000000\x1f\u2db7\u0e5e"
    exercise(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
