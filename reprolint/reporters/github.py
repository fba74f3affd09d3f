"""``--output-format github``: GitHub Actions workflow commands, which annotate the pull request.

    ::warning file=train.py,line=12,col=9,endLine=12,endColumn=21,title=RPL101::message
"""

from __future__ import annotations

from reprolint.findings import printable


def _escape_data(text: str) -> str:
    # GitHub's own escapes for line breaks first; other control characters as the text formats show them.
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, properties: dict, message: str) -> str:
    props = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    return f"::{kind} {props}::{_escape_data(message)}"


def render(run, options=None) -> str:
    lines = []
    for report in run.files:
        for error in report.errors:
            if error.cell is not None:
                lines.append(_command("error", {"file": error.path, "title": "reprolint error"},
                                      f"cell {error.cell}, line {error.line}: {error.message}"))
            else:
                lines.append(_command("error", {"file": error.path, "line": error.line, "col": error.column,
                                                "title": "reprolint error"}, error.message))
        for finding in report.findings:
            cell = finding.extra.get("cell")
            if cell is not None:
                # Lines of a notebook would point into its JSON: annotate the file, name the cell.
                properties = {"file": finding.path, "title": finding.code}
                message = f"cell {cell}, line {finding.start.line}, column {finding.start.column}: {finding.message}"
            else:
                properties = {"file": finding.path, "line": finding.start.line, "col": finding.start.column,
                              "endLine": finding.end.line, "endColumn": finding.end.column,
                              "title": finding.code}
                message = finding.message
            lines.append(_command("warning", properties, message))
    return "".join(line + "\n" for line in lines)
