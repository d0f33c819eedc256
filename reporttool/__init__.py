"""reporttool: budget performance evaluation reports (预算绩效评价报告) from YAML data.

The public names load on first use, so the command line starts without the model when it needs none.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_WHERE = {
    "load": "loading", "load_text": "loading", "validate": "api", "view": "view", "Figure": "view",
    "render": "api", "render_bytes": "api", "render_annexes": "api", "annex_bytes": "api",
    "FORMATS": "api", "ANNEX_FORMATS": "api",
    "DeptSelfReport": "model", "ProjectSelfReport": "model", "ReportBase": "model", "REPORT_KINDS": "model",
    "Problem": "errors", "ReportToolError": "errors", "UserError": "errors", "InputError": "errors",
    "ValidationFailed": "errors", "TemplateProblem": "errors", "RenderWarning": "errors",
}

__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
