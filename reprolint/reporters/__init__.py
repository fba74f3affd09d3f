"""Reporters only format: each takes a RunReport (and display options) and returns text.

One module per ``--output-format``: full (default), concise, json, sarif, github, junit, gitlab,
rdjson, pylint.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

FORMATS = ("full", "concise", "json", "sarif", "github", "junit", "gitlab", "rdjson", "pylint")


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False  # ANSI colour: only on a TTY, never with NO_COLOR (decided by the CLI)
    quiet: bool = False  # findings and errors only, no summary line
    unsafe_fixes: bool = False  # count unsafe fixes as applicable ([*] markers, the fix hint)
    summary_line: str = ""  # replaces the default summary (``--fix`` reports what it fixed)
    fix_hint: bool = True  # the "[*] N fixable with --fix" line (not after ``--diff``)


def render(run, output_format: str = "full", options: ReportOptions = ReportOptions()) -> str:
    if output_format not in FORMATS:
        raise ValueError(f"unknown output format {output_format!r}; expected one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"reprolint.reporters.{output_format}")
    return module.render(run, options)
