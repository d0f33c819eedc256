from __future__ import annotations

import atexit
import copy
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml

# The office suite and a PDF text reader: tests that need them skip without, except where CI requires them.
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
OFFICE_MISSING = None if SOFFICE and PDFTOTEXT else (
    "LibreOffice 或 pdftotext 未安装（apt-get install libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk poppler-utils）")
if OFFICE_MISSING and os.environ.get("REPORTTOOL_REQUIRE_OFFICE") == "1":
    raise RuntimeError(OFFICE_MISSING + "；REPORTTOOL_REQUIRE_OFFICE=1 要求必须运行")
needs_office = pytest.mark.skipif(bool(OFFICE_MISSING), reason=OFFICE_MISSING or "")

# Our templates' compiled code is kept in the user's cache folder; the tests keep theirs in one of their own.
_CACHE = tempfile.mkdtemp(prefix="reporttool-test-cache-")
os.environ["XDG_CACHE_HOME"] = os.environ["LOCALAPPDATA"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
DEPT_EXAMPLE = ROOT / "examples" / "xishan-2024-dept-self.yaml"
PROJECT_EXAMPLE = ROOT / "examples" / "xishan-2024-project-self.yaml"
HONGYUN_EXAMPLE = ROOT / "examples" / "hongyun-2023-key-eval.yaml"
QINGSHI_EXAMPLE = ROOT / "examples" / "qingshi-2021-2023-project-key-eval.yaml"


def example_data(path: Path = DEPT_EXAMPLE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write(tmp_path: Path, data, name: str = "report.yaml") -> Path:
    """Write a dict (as YAML) or text into tmp_path and return the path."""
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def visible(folder: Path) -> list[str]:
    """File names in a folder, without reporttool's hidden state file."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def figures(text: str) -> list[str]:
    """Amounts, percentages and scores as printed: 1,354.10万元, 95.39%, 94.50分."""
    return re.findall(r"\d[\d,]*\.\d{2}(?:万元|%|分)", text)


@pytest.fixture
def dept() -> dict:
    return copy.deepcopy(_DEPT)


@pytest.fixture
def project() -> dict:
    return copy.deepcopy(_PROJECT)


_DEPT = example_data(DEPT_EXAMPLE)
_PROJECT = example_data(PROJECT_EXAMPLE)


def typical_project(leaves: int = 20) -> dict:
    """The project example with a typical full tree: ``leaves`` 三级指标 of 5–9 characters, short targets and
    three deviations of a sentence each — what a 自评表 must hold on one page."""
    data = copy.deepcopy(_PROJECT)
    groups = [("产出指标", ["数量指标", "质量指标", "时效指标", "成本指标"]), ("效益指标", ["社会效益指标", "可持续影响指标"]),
              ("满意度指标", ["服务对象满意度指标"])]
    names = ["办结行政许可事项数", "线上审批率", "按时办结率", "窗口服务人次", "平均审批时长", "材料一次性告知率",
             "单件办理成本", "审批时限压缩率", "群众办事跑动次数", "政务服务标准化水平"]
    slots = [(l1, l2) for l1, l2s in groups for l2 in l2s]
    tree: dict = {}
    for i in range(leaves):
        l1, l2 = slots[i * len(slots) // leaves]
        weight = 5 if i < 10 else 4
        leaf = {"name": f"{names[i % len(names)]}{i + 1}", "weight": weight, "score": weight,
                "target": ["≥95%", "≥150件", "100%", "≤3个工作日"][i % 4], "actual": ["98.6%", "173件", "100%", "2.5个工作日"][i % 4]}
        if i % 7 == 3:
            leaf.update(target="100%", actual="90%", score=weight * 9 / 10)
            leaf["deviation"] = "部分事项需跨部门会签，办理时间偏长；已建立并联审批机制。"
        tree.setdefault(l1, {}).setdefault(l2, []).append(leaf)
    data["indicators"] = [{"name": l1, "children": [{"name": l2, "children": kids} for l2, kids in l2s.items()]}
                          for l1, l2s in tree.items()]
    for key in [k for k in data if k.startswith("stated_")]:
        del data[key]
    return data


def wide_tree_report(leaves: int = 35, chars: int = 40) -> dict:
    """The 红云 key evaluation with a score tree of ``leaves`` 三级指标, each with 指标解释, 评分标准 and 评分说明
    of about ``chars`` characters — the table that must print landscape in a few pages."""
    data = example_data(HONGYUN_EXAMPLE)
    text = "按照年度绩效目标和预算批复逐项核对相关资料并结合现场核查情况" * 4
    l2_names = ["目标设定", "预算配置与编制", "资金管理", "组织实施与监管", "产出数量", "产出质量与时效", "成本控制",
                "社会效益", "可持续影响", "服务对象满意度"]
    shape = [("决策", 4, 2), ("过程", 4, 3), ("产出", 3, 4), ("效益", 3, 4)]  # 一级, its 二级 count, 三级 per 二级
    tree, n, k = [], 0, 0
    for name, count, per in shape:
        kids = []
        for _ in range(count):
            group = []
            for _ in range(per):
                if n < leaves:
                    n += 1
                    weight = 2 if n <= 5 else 3
                    group.append({"name": f"三级指标第{n}项", "weight": weight, "score": f"{weight - 1}.5",
                                  **{key: (f"{title}{n}：" + text)[:chars] for key, title in
                                     (("explanation", "解释"), ("criteria", "标准"), ("note", "说明"))}})
            if group:
                kids.append({"name": l2_names[k % len(l2_names)], "children": group})
            k += 1
        if kids:
            tree.append({"name": name, "children": kids})
    data["indicators"] = tree
    for key in ("stated_total_score", "stated_grade"):
        data.pop(key, None)
    data["conclusion"] = "评价组按照评分表逐项打分，结果见附件。"
    return data
