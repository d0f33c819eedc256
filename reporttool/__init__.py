"""reporttool: budget performance evaluation reports (预算绩效评价报告) from YAML data."""

from .api import ANNEX_FORMATS, FORMATS, annex_bytes, render, render_annexes, render_bytes, validate
from .view import Figure, view
from .errors import InputError, Problem, RenderWarning, ReportToolError, TemplateProblem, UserError, ValidationFailed
from .loading import load, load_text
from .model import REPORT_KINDS, DeptSelfReport, ProjectSelfReport, ReportBase

__version__ = "0.1.0"

__all__ = [
    "load", "load_text", "validate", "view", "Figure", "render", "render_bytes", "render_annexes", "annex_bytes",
    "FORMATS", "ANNEX_FORMATS",
    "DeptSelfReport", "ProjectSelfReport", "ReportBase", "REPORT_KINDS",
    "Problem", "ReportToolError", "UserError", "InputError", "ValidationFailed", "TemplateProblem", "RenderWarning",
]
