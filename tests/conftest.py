from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

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
