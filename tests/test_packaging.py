"""A non-editable install carries the templates: the wheel alone renders the examples."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import EXAMPLES, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    return next(out.glob("reporttool-*.whl"))


def test_wheel_ships_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("reporttool/templates/report.docx", "reporttool/templates/report.md.j2",
                   "reporttool/templates/kinds/dept_self/outline.yaml", "reporttool/templates/kinds/project_self/skeleton.yaml",
                   "reporttool/web/pages/base.html", "reporttool/web/static/style.css"):
        assert needed in names


def test_installed_wheel_renders_examples(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run([sys.executable, "-c", "import reporttool.templates as t; print(t.BUILTIN)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == str(target / "reporttool" / "templates")
    for example in EXAMPLES:
        result = subprocess.run([sys.executable, "-m", "reporttool", "render", str(example), "-o", str(tmp_path / "out")],
                                cwd=tmp_path, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "out" / f"{example.stem}.docx").stat().st_size > 5000
    page = ("from starlette.testclient import TestClient\n"
            "from reporttool.web import Settings, create_app\n"
            "c = TestClient(create_app(Settings(workers=1)), base_url='http://127.0.0.1')\n"
            "print(c.get('/outlines').status_code, c.get('/static/style.css').status_code, '一、部门概况' in c.get('/outlines').text)")
    served = subprocess.run([sys.executable, "-c", page], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert served.stdout.split() == ["200", "200", "True"], served.stderr  # the web page's files are in the wheel too
