"""``--output-format concise``: one line per finding, then the summary line."""

from __future__ import annotations

from reprolint.reporters.text import error_line, finding_line, summary


def render(run, options=None) -> str:
    color = bool(options and options.color)
    lines = []
    for report in run.files:
        lines.extend(error_line(error, color) for error in report.errors)
        lines.extend(finding_line(finding, color) for finding in report.findings)
    if not (options and options.quiet):
        lines.append(summary(run))
    return "".join(line + "\n" for line in lines)
