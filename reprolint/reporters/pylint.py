"""``--output-format pylint``: ``path:line: [CODE] message``, one line per finding, as pylint's
``parseable`` format (and ruff's ``pylint`` format) print it, for tools that parse that format.

Lines are the file's own lines: for a notebook, the line of its JSON, with the cell and the line
within it at the start of the message. A file that could not be read or parsed is ``[error]``.
"""

from __future__ import annotations


def _file_line(finding) -> int:
    region = finding.extra.get("file_region")
    return region[0] if region else finding.start.line


def render(run, options=None) -> str:
    lines = []
    for report in run.files:
        for error in report.errors:
            line = error.file_position[0] if error.file_position else error.line
            where = f"cell {error.cell}, line {error.line}: " if error.cell is not None else ""
            lines.append(f"{error.path}:{line}: [error] {where}{error.message}")
        for finding in report.findings:
            cell = finding.extra.get("cell")
            where = f"cell {cell}, line {finding.start.line}: " if cell is not None else ""
            lines.append(f"{finding.path}:{_file_line(finding)}: [{finding.code}] {where}{finding.message}")
    return "".join(line + "\n" for line in lines)
