"""One error hierarchy. User-facing errors carry problems and never print themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"

SEVERITY_CN = {ERROR: "错误", WARNING: "警告"}


@dataclass(frozen=True)
class Problem:
    """One finding about the input, located in the YAML file (line, column) or the workbook (sheet, row, column)."""

    message: str
    path: tuple[Any, ...] = ()
    title: str = ""
    file: str = ""
    line: int | None = None
    column: int | None = None
    severity: str = ERROR
    rule: str = ""
    stated: Any = None
    computed: Any = None
    extra: dict = field(default_factory=dict, compare=False)
    sheet: str = ""      # the worksheet, when the input is a workbook: line is then its row
    sheet_no: int = 0    # the sheet's position in the workbook, for file order
    where: str = ""      # a place in a received document: 第3段, 表2第4行第5列, 第2页第17行 (line then orders)

    @property
    def cell(self) -> str:
        """The cell as Excel names it (E12), for a problem in a workbook."""
        if not self.sheet or self.line is None:
            return ""
        return (column_letter(self.column) if self.column else "") + str(self.line)

    @property
    def place(self) -> str:
        """Where in the file: 指标体系!E12 in a workbook, 12:3 in a text file, 表2第4行第5列 in a received report."""
        if self.where:
            return self.where
        if self.sheet:
            return f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        if self.line is None:
            return ""
        return f"{self.line}:{self.column}" if self.column is not None else str(self.line)

    @property
    def place_cn(self) -> str:
        """The place as a page shows it: 指标体系!E12, 第12行, 表2第4行第5列."""
        if self.where or self.sheet or self.line is None:
            return self.place
        return f"第{self.line}行" + (f"第{self.column}列" if self.column is not None else "")

    def order(self) -> tuple:
        """File order: sheet by sheet, then line (row) and column."""
        return (self.sheet_no, self.line or 0, self.column or 0)

    @property
    def dotted(self) -> str:
        return dotted_path(self.path)

    def format(self) -> str:
        where = self.file or "<输入>"
        if self.place:
            where += ":" + self.place
        parts = [where + ":"]
        if self.severity != ERROR:
            parts.append(f"［{SEVERITY_CN[self.severity]}］")
        if self.path:
            field_desc = self.dotted + (f"（{self.title}）" if self.title else "")
            parts.append(field_desc)
        elif self.title:
            parts.append(f"（{self.title}）")
        parts.append(self.message)
        return " ".join(parts)

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            **({"sheet": self.sheet, "cell": self.cell} if self.sheet else {}),
            **({"place": self.where, "line": None} if self.where else {}),
            "path": self.dotted,
            "field": self.title,
            "message": self.message,
            "stated": None if self.stated is None else str(self.stated),
            "computed": None if self.computed is None else str(self.computed),
            **({"detail": self.extra["detail"]} if "detail" in self.extra else {}),
        }


class Counted:
    """Errors and warnings among an object's ``problems`` (a batch outcome, a reviewed file)."""

    problems: list

    @property
    def errors(self) -> int:
        return sum(p.severity == ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity != ERROR for p in self.problems)


def column_letter(n: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def in_file_order(problems) -> list["Problem"]:
    return sorted(problems, key=Problem.order)


def dotted_path(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class ReportToolError(Exception):
    """Base of every error reporttool raises on purpose."""


class UserError(ReportToolError):
    """Something the user can fix; the CLI prints the message and exits 1."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return "\n".join([self.message, *(p.format() for p in self.problems)])


class InputError(UserError):
    """The input file cannot be read or does not match the schema."""


class ValidationFailed(UserError):
    """The input parsed but breaks rules (sums, rates, outline)."""


class TemplateProblem(UserError):
    """A template cannot be loaded or rendered."""


class RenderWarning(UserWarning):
    """Something to know about an output that was written all the same (a font the PDF substitutes).

    Raised through Python's ``warnings``; the command line prints it as a ［警告］ line.
    """
