"""``--output-format full`` (the default): each finding's line, then the source line it points
at with a caret under the reported span, then the summary line.

    train.py:12:9: RPL101 pipeline call without `generator=` ...
       |
    12 |     image = pipe(prompt).images[0]
       |             ^^^^^^^^^^^^
"""

from __future__ import annotations

import click

from reprolint.reporters.text import closing_lines, error_line, finding_line, verification_lines


def excerpt(finding, color: bool = False) -> list:
    source = finding.extra.get("source_line")
    if source is None:
        return []
    source = source.expandtabs(1).rstrip("\r\n")  # one column per tab, as the positions count
    start = max(finding.start.column - 1, 0)
    same_line = finding.end.line == finding.start.line
    end = finding.end.column - 1 if same_line else len(source.rstrip())
    width = max(end - start, 1)
    number = str(finding.start.line)
    gutter = " " * len(number)
    caret = "^" * width
    if color:
        caret = click.style(caret, fg="red", bold=True)
    return [f"{gutter} |", f"{number} | {source}", f"{gutter} | {' ' * start}{caret}", ""]


def render(run, options=None) -> str:
    color = bool(options and options.color)
    unsafe_fixes = bool(options and options.unsafe_fixes)
    lines = []
    for report in run.files:
        lines.extend(error_line(error, color) for error in report.errors)
        for finding in report.findings:
            lines.append(finding_line(finding, unsafe_fixes, color))
            lines.extend(verification_lines(finding))
            lines.extend(excerpt(finding, color))
    lines.extend(closing_lines(run, options))
    return "".join(line + "\n" for line in lines)
