"""``--output-format full`` (the default): each finding's line, then the source line it points
at with a caret under the reported span, then the summary line.

    train.py:12:9: RPL101 pipeline call without `generator=` ...
       |
    12 |     image = pipe(prompt).images[0]
       |             ^^^^^^^^^^^^
"""

from __future__ import annotations

import click

from reprolint.findings import printable
from reprolint.reporters import concise


def excerpt(finding, color: bool = False) -> list:
    source = finding.extra.get("source_line")
    if source is None:
        return []
    source = printable(source.expandtabs(1).rstrip("\r\n"))  # one column per tab, as the positions count
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
    return concise.render(run, options, details=excerpt)
