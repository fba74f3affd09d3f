"""The values that flow from rules to reporters: findings, fixes, per-file errors and reports."""

from __future__ import annotations

import re

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Optional


class Applicability(str, enum.Enum):
    """Whether applying a fix keeps the program's random streams identical (ruff's terms)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Position:
    """A 1-based line and a 1-based column, as ruff prints them."""

    line: int
    column: int


@dataclass
class Fix:
    """A fix expressed as libcst edits of the tree the rule saw, applied by ``reprolint.fix``.

    ``replacements`` maps an original node (by identity) to its replacement: a node, or a
    function of the node as already edited by fixes nested inside it. ``imports`` lists the
    import statements the replacement needs (``"import torch"``); one whose names the module
    already binds is not added again. ``statements_before`` holds ``(anchor, code)`` pairs: the
    statement ``code`` goes right before the statement that contains ``anchor``.
    """

    applicability: Applicability
    message: str
    replacements: dict = field(default_factory=dict)
    imports: tuple[str, ...] = ()
    # Statements to insert once after the module's leading imports (e.g. determinism setup).
    statements_after_imports: tuple[str, ...] = ()
    # Statements to insert before the first ``import torch`` (environment variables).
    statements_before_torch: tuple[str, ...] = ()
    statements_before: tuple = ()
    # Free-form edit for fixes that need the whole module; called with (module, settings).
    transform: Optional[Callable[..., Any]] = None

    @property
    def nodes(self) -> list:
        """The nodes this fix rewrites; two fixes touching nested nodes are applied in turn."""
        return list(self.replacements)


VERIFY_TARGETS = "verify_targets"  # the key of ``Finding.verify_targets`` in ``Finding.extra``


@dataclass
class Finding:
    code: str
    name: str
    message: str
    path: str
    start: Position
    end: Position
    fix: Optional[Fix] = None
    # Extra data a reporter may show (the notebook cell, a verification verdict, ...).
    extra: dict = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.start.line, self.start.column, self.code)

    @property
    def verify_targets(self) -> list:
        """The calls whose outputs ``--verify`` records for this finding, as the rule found them:
        spans (start line, start column, end line, end column) in libcst's numbering (1-based
        lines, 0-based columns) of the Python source the rule analysed. Kept in ``extra``, as
        JSON lists, so that worker processes and the lint cache carry them; no reporter prints
        them."""
        return [tuple(span) for span in self.extra.get(VERIFY_TARGETS, ())]

    @verify_targets.setter
    def verify_targets(self, spans) -> None:
        if spans:
            self.extra[VERIFY_TARGETS] = [list(span) for span in spans]
        else:
            self.extra.pop(VERIFY_TARGETS, None)


# Characters a report must not print as they are: C0/C1 controls (ESC starts the escape sequences
# that drive a terminal), line separators, and the bidirectional overrides of "Trojan source".
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` as a text report may show it: a file name's bytes that are not UTF-8 as
    ``\\xe9``, control characters (a tab excepted) and escape sequences as ``\\x1b``, so that a
    name can neither break the report's encoding nor drive the terminal that shows it."""
    return _UNPRINTABLE.sub(_escaped, text)


@dataclass
class FileError:
    """A file that could not be read or parsed. Reported, counted, and the run goes on."""

    path: str
    message: str
    line: int = 1
    column: int = 1
    cell: Optional[int] = None  # the notebook code cell ``line`` is in
    file_position: Optional[tuple] = None  # (line, column) in a notebook's JSON text, for SARIF
    detail: Optional[str] = None  # an internal error's traceback, shown with --verbose

    @property
    def location(self) -> str:
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{printable(self.path)}:{cell}{self.line}:{self.column}"

    def render(self, severity: str = "error") -> str:
        return f"{self.location}: {severity}: {self.message}"


@dataclass
class FileReport:
    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    # Set when the file was skipped before parsing because no enabled rule could match.
    prefiltered: bool = False
    # Informational FileError-shaped notes (a skipped Markdown block): never failures.
    notes: list[FileError] = field(default_factory=list)


@dataclass
class RunReport:
    """A whole run: one FileReport per file, in path order, and how many files were checked."""

    files: list[FileReport] = field(default_factory=list)
    checked: int = 0

    @property
    def findings(self) -> list:
        return [f for report in self.files for f in report.findings]

    @property
    def errors(self) -> list:
        return [e for report in self.files for e in report.errors]
